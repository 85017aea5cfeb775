"""Inspect a SQLite file: its schema plus a profile of every column's real contents."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlite2pg_tui.core.source.profile import DEFAULT_SAMPLE_ROWS, TableProfile, profile_schema
from sqlite2pg_tui.core.source.reader import open_readonly, read_schema
from sqlite2pg_tui.core.source.schema import SourceSchema


@dataclass
class Inspection:
    schema: SourceSchema
    profiles: dict[str, TableProfile]

    @property
    def path(self) -> str:
        return self.schema.path


def inspect(path: str | os.PathLike[str], *, limit: int | None = DEFAULT_SAMPLE_ROWS,
            on_table: Callable[[str, int, int], None] | None = None,
            cancel: threading.Event | None = None) -> Inspection:
    """Read the schema and profile each table (converters tried on ``limit`` rows spread
    over each table; None for every row)."""
    path = str(path)
    conn = open_readonly(path)
    try:
        schema = read_schema(conn, path)
    finally:
        conn.close()
    return Inspection(schema, profile_schema(path, schema, limit=limit, on_table=on_table,
                                             cancel=cancel))


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
