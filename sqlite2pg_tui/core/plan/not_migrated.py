"""What the report lists as not migrated (or notes) before anything is copied: skipped tables,
excluded ones, triggers, collations and clauses PostgreSQL has no form for, tables whose
CREATE statement could not be read. Nothing disappears without a line here."""

from __future__ import annotations

import re

from sqlite2pg_tui.core.plan.mapping import Mapping, TableMapping
from sqlite2pg_tui.core.report import NotMigrated, Report
from sqlite2pg_tui.core.source.schema import SourceSchema, Table


def note_unmigrated(schema: SourceSchema, mapping: Mapping, report: Report) -> None:
    for s in schema.skipped:
        report.not_migrated.append(NotMigrated(s.kind, s.name, s.reason))
    for tm in mapping.tables:
        if not tm.include:
            report.not_migrated.append(NotMigrated("table", tm.source, "excluded in the mapping"))
    for table in schema.tables:
        tm = next((t for t in mapping.included if t.source == table.name), None)
        if tm is not None and not table.primary_key:
            report.notes.append({"table": tm.target, "note": "no primary key in SQLite: rows "
                                 "copied as they are, duplicates included; none added"})
        if tm is not None and table.unreadable and re.search(r"\b(CHECK|CONSTRAINT)\b",
                                                             table.sql, re.I):
            report.not_migrated.append(NotMigrated(
                "table constraints", tm.target, "its CREATE TABLE could not be parsed "
                f"({table.unreadable}): CHECKs and constraint names were not carried over",
                table.sql))
        if tm is not None:
            note_collations(table, tm, report)
        if tm is not None and table.conflict_clauses:
            report.not_migrated.append(NotMigrated(
                "conflict clause", tm.target, "SQLite's ON CONFLICT "
                f"{'/'.join(sorted(set(table.conflict_clauses)))} on the table's constraints has no "
                "PostgreSQL form: write INSERT … ON CONFLICT in the application instead"))
    for tr in schema.triggers:
        report.not_migrated.append(NotMigrated(
            "trigger", tr.name, "triggers need porting by hand to PL/pgSQL", tr.sql))


# SQLite's collations that PostgreSQL has an equivalent for (NOCASE: see _nocase_collation).
CARRIED_COLLATIONS = {"BINARY", "NOCASE"}


def note_collations(table: Table, tm: TableMapping, report: Report) -> None:
    """A column or index key collation PostgreSQL has no equivalent for is listed, not dropped
    in silence: RTRIM (trailing spaces ignored) or an application's own C collation."""
    for c in table.columns:
        coll = (c.collation or "").upper()
        if coll and coll not in CARRIED_COLLATIONS:
            target = next((cm.target for cm in tm.columns if cm.source == c.name), c.name)
            report.not_migrated.append(NotMigrated(
                "collation", f"{tm.target}.{target}", f"COLLATE {coll} has no PostgreSQL "
                "equivalent: the column compares with the database's default collation"))
    for idx in table.indexes:
        for col, coll in zip(idx.columns, idx.collations, strict=False):
            if coll and coll.upper() not in CARRIED_COLLATIONS:
                report.not_migrated.append(NotMigrated(
                    "collation", f"{idx.name} ({col or 'expression'})", f"COLLATE {coll} on "
                    "this index key has no PostgreSQL equivalent: the key uses the default"))
