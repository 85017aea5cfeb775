"""After the data: primary keys, CHECKs, generated columns, indexes, foreign keys (with
the orphan policy), identity sequences and views.

Each statement runs in a savepoint: PostgreSQL refusing one (a CHECK old rows break, an
index it cannot build) is reported in the Report and costs that one object, never the run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from sqlite2pg_tui.core.events import Log, OnEvent
from sqlite2pg_tui.core.load import rejects
from sqlite2pg_tui.core.plan.mapping import Mapping, TableMapping
from sqlite2pg_tui.core.plan.naming import NameAllocator
from sqlite2pg_tui.core.report import ORPHAN_ACTIONS, NotMigrated, Orphans, Report
from sqlite2pg_tui.core.source import frameworks
from sqlite2pg_tui.core.source.schema import SourceSchema, Table
from sqlite2pg_tui.core.target import ddl
from sqlite2pg_tui.core.target.postgres import plain_error, qualified


def relation_names(conn: Any, schema: str) -> set[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = %s", (schema,))
        names = {r[0] for r in cur.fetchall()}
        cur.execute("SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                    "WHERE n.nspname = %s", (schema,))
        names |= {r[0] for r in cur.fetchall()}
    conn.rollback()
    return names


def _attempt(conn: Any, stmt: Any) -> psycopg2.Error | None:
    """Run one statement in a savepoint: PostgreSQL's refusal, or None. A refusal undoes
    that statement only, never the transaction around it."""
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT s2p")
        try:
            cur.execute(stmt)
        except psycopg2.Error as e:
            cur.execute("ROLLBACK TO SAVEPOINT s2p")
            return e
        cur.execute("RELEASE SAVEPOINT s2p")
    return None


def _try(conn: Any, stmt: Any, report: Report, kind: str, name: str, on_event: OnEvent,
         original: str = "") -> bool:
    """Run one DDL statement in a savepoint; a refusal is reported, never fatal."""
    refused = _attempt(conn, stmt)
    if refused is not None:
        msg = plain_error(refused)
        report.not_migrated.append(NotMigrated(kind, name, msg, original))
        on_event(Log(f"{kind} {name}: {msg}", "warning"))
    return refused is None


@dataclass
class Planned:
    """One object of a table's finishing, named before any table is finished: the names are
    the same whatever order the tables' copies end in (finisher.py finishes each as soon as
    its copy commits). ``stmt`` None: only ``reason`` (not migrated) or ``note`` to say."""
    kind: str  # primary key | generated column | check | index
    label: str
    stmt: sql.Composable | None = None
    original: str = ""
    reason: str = ""
    note: str = ""  # said once the statement succeeded (or at once, without one)
    check_name: str = ""  # a CHECK to validate once added


@dataclass
class TableFinish:
    table: Table
    tm: TableMapping
    constraints: list[Planned] = field(default_factory=list)
    indexes: list[Planned] = field(default_factory=list)


def prepare(pairs: list[tuple[Table, TableMapping]], schema: str, names: NameAllocator,
            nocase: sql.Composable | None = None, unique_as_constraint: bool = False,
            ) -> list[TableFinish]:
    """Every table's keys, generated columns, CHECKs and indexes as statements. Names are
    claimed as they always were: all the constraints in table order, then all the indexes."""
    out = [TableFinish(t, tm) for t, tm in pairs]
    for tf in out:
        tf.constraints = _constraints(tf.table, tf.tm, schema, names)
    for tf in out:
        tf.indexes = _indexes(tf.table, tf.tm, schema, names, nocase, unique_as_constraint)
    return out


def _constraints(table: Table, tm: TableMapping, schema: str, names: NameAllocator) -> list[Planned]:
    out: list[Planned] = []
    pk = ddl.primary_key(table, tm, schema, names)
    if pk is not None:
        out.append(Planned("primary key", tm.target, pk))
    for col, stmt, why in ddl.generated_columns(table, tm, schema):
        label = f"{tm.target}.{col}"
        if stmt is None:
            out.append(Planned("generated column", label, reason=why))
        else:
            out.append(Planned("generated column", label, stmt, note=f"generated column {col} "
                               "recreated (STORED, added after the data)"))
    given = table.check_names or [None] * len(table.checks)
    for n, (check, check_name) in enumerate(zip(table.checks, given, strict=True), 1):
        json_col = frameworks.json_valid_column(check)
        if json_col and _is_json(tm, json_col):
            out.append(Planned("check", tm.target, note=f"CHECK ({check}) is enforced by the jsonb "
                               f"type of {tm.column_by_name(json_col).target}"))
            continue
        label = f"{tm.target}: CONSTRAINT {check_name}" if check_name else tm.target
        try:
            stmt, name = ddl.check_constraint(check, tm, schema, names, n, check_name)
        except ValueError as e:
            out.append(Planned("check", label, original=check, reason=str(e)))
            continue
        out.append(Planned("check", f"{tm.target}: CHECK ({check})", stmt, check, check_name=name))
    return out


def _indexes(table: Table, tm: TableMapping, schema: str, names: NameAllocator,
             nocase: sql.Composable | None, unique_as_constraint: bool) -> list[Planned]:
    out: list[Planned] = []
    for idx in table.indexes:
        if idx.origin == "pk":
            continue
        if idx.name in tm.skip_indexes:
            out.append(Planned("index", idx.name, note=f"index {idx.name} skipped by choice (the "
                               "mapping's skip_indexes)"))
            continue
        try:
            stmt = ddl.index_statement(idx, table, tm, schema, names, nocase is None, nocase,
                                       unique_as_constraint)
        except (ValueError, KeyError) as e:
            out.append(Planned("index", idx.name, original=idx.sql or "", reason=str(e)))
            continue
        out.append(Planned("index", idx.name, stmt, idx.sql or ""))
    return out


def build(conn: Any, tm: TableMapping, planned: list[Planned], schema: str, report: Report,
          on_event: OnEvent) -> None:
    """Run one table's planned statements, each in a savepoint (a refusal costs that object
    only), and commit."""
    for p in planned:
        if p.stmt is None:
            if p.reason:
                report.not_migrated.append(NotMigrated(p.kind, p.label, p.reason, p.original))
            elif p.note:
                report.notes.append({"table": tm.target, "note": p.note})
            continue
        if not _try(conn, p.stmt, report, p.kind, p.label, on_event, p.original):
            continue
        if p.check_name:
            _validate_check(conn, tm, schema, p.check_name, p.original, report)
        elif p.note:
            report.notes.append({"table": tm.target, "note": p.note})
    conn.commit()


def analyze(conn: Any, tm: TableMapping, schema: str) -> None:
    with conn.cursor() as cur:
        cur.execute(sql.SQL("ANALYZE {}").format(qualified(schema, tm.target)))
    conn.commit()


def _is_json(tm: TableMapping, column: str) -> bool:
    try:
        return ddl.is_json(tm.column_by_name(column).pg_type)
    except KeyError:
        return False


def _one_or_list(values: list[object]) -> object:
    return values[0] if len(values) == 1 else values


def _validate_check(conn: Any, tm: TableMapping, schema: str, name: str, check: str,
                    report: Report) -> None:
    stmt = sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(
        qualified(schema, tm.target), sql.Identifier(name))
    if _attempt(conn, stmt) is not None:
        report.not_migrated.append(NotMigrated(
            "check", f"{tm.target}: CHECK ({check})",
            "existing rows violate it: added NOT VALID (enforced for new rows only)", check))


def _failed(report: Report, tm: TableMapping) -> bool:
    try:
        return bool(report.table(tm.source).error)
    except KeyError:
        return True



@dataclass
class PlannedKey:
    """A foreign key between two included tables, named before any table is finished."""
    tm: TableMapping
    table: Table
    fk: Any
    parent: TableMapping
    label: str
    name: str = ""
    stmt: sql.Composable | None = None
    reason: str = ""  # not migrated, why (no statement)


def prepare_keys(pairs: list[tuple[Table, TableMapping]], mapping: Mapping, schema: str,
                 names: NameAllocator) -> list[PlannedKey]:
    """Every table's foreign keys, claimed after prepare()'s names as they always were."""
    included = {tm.source: tm for _, tm in pairs}
    out: list[PlannedKey] = []
    for table, tm in pairs:
        for fk in table.foreign_keys:
            label = f"{tm.target}({', '.join(fk.columns)}) → {fk.ref_table}"
            parent = included.get(fk.ref_table)
            if parent is None:
                why = ("references a table that is not in the database"
                       if not any(t.source == fk.ref_table for t in mapping.tables)
                       else "references a table that is excluded from the migration")
                out.append(PlannedKey(tm, table, fk, tm, label, reason=why))
                continue
            try:
                name = ddl.foreign_key_name(fk, tm, names)
                stmt = ddl.foreign_key(fk, tm, parent, schema, name, not_valid=False)
            except (ValueError, KeyError) as e:
                out.append(PlannedKey(tm, table, fk, parent, label, reason=str(e)))
                continue
            out.append(PlannedKey(tm, table, fk, parent, label, name, stmt))
    return out


def _merge_joins(conn: Any, key: PlannedKey, schema: str) -> None:
    """For the rest of this transaction, no hash joins when both tables' pages are all
    visible. Validating a foreign key is an anti-join of the child against the parent's
    unique index, and PostgreSQL plans it as a hash join that spills to disk in batches at
    the default work_mem; a merge join over the two indexes, whose index-only scans need
    no heap when COPY FREEZE left every page all-visible, is 3-4 times faster (events →
    orders, 500 k rows: 0.09-0.14 s against 0.37-0.57 s; without the child's index,
    sorting it first still wins: 0.25-0.35 s against 0.43-0.48 s). Not so for tables
    copied without FREEZE (in rowid ranges): there the scans visit the heap and the hash
    join wins (0.30-0.32 s against 0.51-0.68 s). A preference, not a forced plan: the
    planner still hashes where nothing else can answer."""
    with conn.cursor() as cur:
        cur.execute("SELECT bool_and(relallvisible >= 0.9 * relpages) FROM pg_class "
                    "WHERE oid IN (to_regclass(%s), to_regclass(%s))",
                    tuple(qualified(schema, t.target).as_string(conn) for t in (key.tm, key.parent)))
        if cur.fetchone()[0]:
            cur.execute("SET LOCAL enable_hashjoin = off")


def add_key_early(conn: Any, key: PlannedKey, schema: str) -> bool:
    """Add a key whose two tables are finished while other tables are still copied. Only
    the clean case: any refusal (orphans above all) is left to foreign_keys() after the
    copy, which says why and applies the orphan policy."""
    _merge_joins(conn, key, schema)
    refused = _attempt(conn, key.stmt)
    conn.commit()
    return refused is None


def foreign_keys(conn: Any, keys: list[PlannedKey], mapping: Mapping, schema: str,
                 report: Report, on_event: OnEvent, reject_dir: Path | None = None,
                 added: frozenset[str] | set[str] = frozenset()) -> None:
    """Each key not ``added`` beside the copy is first added as it is (one scan of the
    child when there are no orphans, the usual case); only a refusal for orphans leads to
    counting and the orphan policy. Constraints that met orphans are added after every
    policy ran: removing orphans of one key must not trip another's constraint."""
    pending: list[PlannedKey] = []
    for key in keys:
        tm, fk, parent, label = key.tm, key.fk, key.parent, key.label
        if _failed(report, tm) or key.name in added:
            continue
        if key.stmt is None:
            report.not_migrated.append(NotMigrated("foreign key", label, key.reason))
            continue
        _merge_joins(conn, key, schema)  # the key's check, the orphans' count and removal
        # "reject" deletes rows: no constraint may exist yet, or an ON DELETE CASCADE
        # added early would silently take other tables' rows along.
        if mapping.orphans != "reject":
            refused = _attempt(conn, key.stmt)
            if not isinstance(refused, psycopg2.errors.ForeignKeyViolation):
                if refused is not None:
                    report.not_migrated.append(NotMigrated("foreign key", label,
                                                           plain_error(refused)))
                conn.commit()
                continue
        try:
            orphans = _handle_orphans(conn, fk, key.table, tm, parent, schema, mapping.orphans,
                                      report, reject_dir)
        except (psycopg2.Error, KeyError) as e:
            conn.rollback()
            msg = plain_error(e) if isinstance(e, psycopg2.Error) else f"unknown column {e}"
            report.not_migrated.append(NotMigrated("foreign key", label, msg))
            continue
        if orphans:
            on_event(Log(f"{orphans} orphan row(s) in {label}", "warning"))
        if orphans and mapping.orphans == "skip":
            report.not_migrated.append(NotMigrated(
                "foreign key", label, f"{orphans} orphan row(s); {ORPHAN_ACTIONS['skip']}"))
            continue
        pending.append(key)
        conn.commit()
    for key in pending:
        _merge_joins(conn, key, schema)
        with conn.cursor() as cur:  # again: removals above may have orphaned other rows
            cur.execute(ddl.orphan_count_sql(key.fk, key.tm, key.parent, schema))
            left = cur.fetchone()[0]
        _try(conn, ddl.foreign_key(key.fk, key.tm, key.parent, schema, key.name,
                                   not_valid=left > 0), report, "foreign key", key.label, on_event)
        conn.commit()


def _handle_orphans(conn: Any, fk: Any, table: Table, tm: TableMapping, parent: TableMapping,
                    schema: str, policy: str, report: Report, reject_dir: Path | None) -> int:
    with conn.cursor() as cur:
        cur.execute(ddl.orphan_count_sql(fk, tm, parent, schema))
        orphans = cur.fetchone()[0]
        if not orphans:
            return 0
        cur.execute(ddl.orphan_examples_sql(fk, table, tm, parent, schema))
        examples = [r[0] for r in cur.fetchall()]
        action = ORPHAN_ACTIONS[policy]
        cond = ddl.orphan_condition(fk, tm, parent, schema)
        tr = report.table(tm.source)
        cols = [tm.column(c).target for c in fk.columns]
        if policy == "null":
            refused = _attempt(conn, sql.SQL("UPDATE {} AS c SET {} WHERE {}").format(
                qualified(schema, tm.target),
                sql.SQL(", ").join(sql.SQL("{} = NULL").format(sql.Identifier(c)) for c in cols),
                cond))
            if refused is None:
                for c in fk.columns:
                    tr.nulled_by_column[c] = tr.nulled_by_column.get(c, 0) + orphans
            else:  # e.g. the column is NOT NULL
                action = f"could not set NULL ({plain_error(refused)}): {ORPHAN_ACTIONS['not_valid']}"
        elif policy == "reject":
            key = [tm.column(c).target for c in (table.primary_key or fk.columns)]
            cur.execute(sql.SQL("DELETE FROM {} AS c WHERE {} RETURNING to_jsonb(c)::text").format(
                qualified(schema, tm.target), cond))
            removed = [json.loads(r[0]) for r in cur.fetchall()]
            rejects.append(reject_dir, tm.target, (  # with the whole row: found again by key
                rejects.RejectRecord(
                    _one_or_list([row.get(k) for k in key]), ", ".join(fk.columns),
                    _one_or_list([row.get(c) for c in cols]),
                    f"orphan: no row in {fk.ref_table} matches {', '.join(fk.columns)}", row)
                for row in removed))
            key_name = ", ".join(fk.columns)
            tr.copied_rows -= len(removed)
            tr.rejected_rows += len(removed)
            tr.rejected_by_column[key_name] = tr.rejected_by_column.get(key_name, 0) + len(removed)
            tr.rejected_reasons.setdefault(key_name, {})[f"orphan: no row in {fk.ref_table}"] = len(removed)
    report.orphans.append(Orphans(tm.target, ", ".join(fk.columns), parent.target, orphans, action,
                                  examples))
    return orphans


def sequences(conn: Any, pairs: list[tuple[Table, TableMapping]], schema: str) -> None:
    with conn.cursor() as cur:
        for table, tm in pairs:
            for cm in tm.columns:
                if not cm.identity:
                    continue
                # Past the highest id SQLite ever handed out (sqlite_sequence for
                # AUTOINCREMENT), not just the highest id still present.
                cur.execute(sql.SQL(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), "
                    "GREATEST(coalesce(max({col}), 0), %s, 1), "
                    "coalesce(max({col}), 0) > 0 OR %s > 0) FROM {tbl}").format(
                        col=sql.Identifier(cm.target), tbl=qualified(schema, tm.target)),
                    (sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(tm.target))
                     .as_string(conn), cm.target, table.sequence or 0, table.sequence or 0))
    conn.commit()


def views(conn: Any, schema_src: SourceSchema, mapping: Mapping, schema: str, report: Report,
           on_event: OnEvent) -> None:
    tables = {t.source: t.target for t in mapping.tables}
    columns: dict[str, str] = {}
    ambiguous: set[str] = set()
    for t in mapping.included:
        for c in t.columns:
            if columns.get(c.source, c.target) != c.target:
                ambiguous.add(c.source)
            columns[c.source] = c.target
    booleans = set().union(*(ddl.booleans_of(t) for t in mapping.included)) if mapping.included else set()
    excluded = {t.source.lower() for t in mapping.tables if not t.include}
    failed = {r.source.lower() for r in report.tables if r.error}
    for v in schema_src.views:
        from sqlite2pg_tui.core.sql import sql_translate  # (sqlglot: only when there are views)

        try:
            used = sql_translate.table_names(v.sql)
            if used & excluded:
                raise sql_translate.Untranslatable(
                    f"depends on excluded table(s) {', '.join(sorted(used & excluded))}")
            if used & failed:
                raise sql_translate.Untranslatable(
                    f"depends on table(s) that failed to copy: {', '.join(sorted(used & failed))}")
            if ambiguous:
                raise sql_translate.Untranslatable(
                    f"columns renamed differently per table ({', '.join(sorted(ambiguous))})")
            text = sql_translate.statement(v.sql, columns, tables, booleans)
        except sql_translate.Untranslatable as e:
            report.not_migrated.append(NotMigrated("view", v.name, f"not translated: {e}", v.sql))
            continue
        with conn.cursor() as cur:
            cur.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        ok = _try(conn, sql.SQL(text), report, "view", v.name, on_event, v.sql)
        conn.commit()
        if ok:
            on_event(Log(f"view {v.name} created"))
    with conn.cursor() as cur:
        cur.execute("RESET search_path")
    conn.commit()
