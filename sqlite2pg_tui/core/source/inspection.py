"""Inspect a SQLite file: its schema plus a profile of every column's real contents."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlite2pg_tui.core.source.profile import (
    DEFAULT_SAMPLE_ROWS,
    ColumnProfile,
    TableProfile,
    profile_schema,
)
from sqlite2pg_tui.core.source.reader import open_readonly, read_schema
from sqlite2pg_tui.core.source.schema import SourceSchema

if TYPE_CHECKING:
    from sqlite2pg_tui.core.source.spool import Spool


@dataclass
class Inspection:
    schema: SourceSchema
    profiles: dict[str, TableProfile]  # filled table by table (see profile_into)

    @property
    def path(self) -> str:
        return self.schema.path

    @property
    def complete(self) -> bool:
        return all(t.name in self.profiles for t in self.schema.tables)

    def profiles_or_blank(self) -> dict[str, TableProfile]:
        """Every table's profile, a blank one (no values seen) for those not read yet: the
        planner then goes by the declared types until the data is in."""
        out = {}
        for t in self.schema.tables:
            out[t.name] = self.profiles.get(t.name) or TableProfile(t.name, t.row_count, {
                c.name: ColumnProfile(c.name, rows=t.row_count, nulls=t.row_count)
                for c in t.columns})
        return out


def read_source(path: str | os.PathLike[str]) -> Inspection:
    """The schema alone (a few milliseconds): what the wizard lists before the data is read."""
    path = str(path)
    conn = open_readonly(path)
    try:
        return Inspection(read_schema(conn, path), {})
    finally:
        conn.close()


def profile_into(ins: Inspection, *, path: str | None = None,
                 on_profile: Callable[[TableProfile], None] | None = None,
                 on_table: Callable[[str, int, int], None] | None = None,
                 cancel: threading.Event | None = None, spooled: Spool | None = None) -> None:
    """Profile the tables ``ins`` has no profile for (read from ``path``, by default the
    inspection's); each lands in ``ins.profiles`` (and is told to ``on_profile``) as soon
    as it is done. ``spooled``: where the batches read are kept for a later copy."""
    todo = SourceSchema(path=path or ins.path, tables=[t for t in ins.schema.tables
                                               if t.name not in ins.profiles])

    def landed(p: TableProfile) -> None:
        ins.profiles[p.name] = p
        if on_profile is not None:
            on_profile(p)

    profile_schema(path or ins.path, todo, on_table=on_table, cancel=cancel, on_profile=landed,
                   spooled=spooled)


def inspect(path: str | os.PathLike[str], *, limit: int | None = DEFAULT_SAMPLE_ROWS,
            on_table: Callable[[str, int, int], None] | None = None,
            cancel: threading.Event | None = None, spooled: Spool | None = None) -> Inspection:
    """Read the schema and profile every row of each table (``limit`` is kept for callers;
    nothing is sampled any more). ``spooled``: where the batches read are kept for the copy
    that follows (spool.py)."""
    ins = read_source(path)
    ins.profiles = profile_schema(ins.path, ins.schema, limit=limit, on_table=on_table,
                                  cancel=cancel, spooled=spooled)
    return ins


def inspection_to_dict(ins: Inspection) -> dict[str, Any]:
    from sqlite2pg_tui.core.plan.propose import plan
    from sqlite2pg_tui.core.source.frameworks import detect

    s = ins.schema
    fw = detect(s)
    proposed = {(tm.source, c.source): c for tm in plan(s, ins.profiles).tables for c in tm.columns}

    def proposal(table: str, column: str) -> dict[str, Any] | None:
        c = proposed.get((table, column))
        if c is None:
            return None
        out = {"pg_type": c.pg_type, "converter": c.converter, "note": c.note}
        if c.suggestion:
            out["suggestion"] = {"pg_type": c.suggestion.pg_type,
                                 "converter": c.suggestion.converter, "note": c.suggestion.note}
        return out

    return {
        "source": s.path, "size_bytes": s.size_bytes, "sqlite_version": s.sqlite_version,
        "framework": {"key": fw.key, "name": fw.name, "history_table": fw.history_table,
                      "recommended": fw.data_only_steps(s.path)} if fw else None,
        "tables": [{
            "name": t.name, "rows": t.row_count, "without_rowid": t.without_rowid,
            "autoincrement": t.autoincrement, "sequence": t.sequence,
            "primary_key": t.primary_key, "primary_key_name": t.pk_name,
            "checks": [{"name": n, "check": c} for c, n in
                       zip(t.checks, t.check_names or [None] * len(t.checks), strict=True)],
            "columns": [{
                "name": c.name, "declared_type": c.declared_type, "notnull": c.notnull,
                "default": c.default, "pk": c.pk, "collation": c.collation,
                "generated": c.generated_expr, "proposed": proposal(t.name, c.name),
                "profile": ins.profiles[t.name].columns[c.name].to_dict()
                if c.name in ins.profiles[t.name].columns else None,
            } for c in t.columns],
            "indexes": [{"name": i.name, "unique": i.unique, "columns": i.columns,
                         "descending": i.descending, "partial": i.partial, "origin": i.origin,
                         "constraint_name": i.constraint_name, "sql": i.sql} for i in t.indexes],
            "foreign_keys": [{"columns": f.columns, "references": f.ref_table,
                              "ref_columns": f.ref_columns, "on_delete": f.on_delete,
                              "on_update": f.on_update, "deferrable": f.deferrable, "name": f.name}
                             for f in t.foreign_keys],
        } for t in s.tables],
        "views": [{"name": v.name, "sql": v.sql} for v in s.views],
        "triggers": [{"name": t.name, "table": t.table, "sql": t.sql} for t in s.triggers],
        "skipped": [{"kind": k.kind, "name": k.name, "reason": k.reason} for k in s.skipped],
    }
