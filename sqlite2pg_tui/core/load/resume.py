"""`run --resume`: after an interrupted run, keep the tables it copied in full, copy the rest.

A table is kept when PostgreSQL holds exactly the rows the earlier copy committed: its
count is the source's rows minus the distinct rows of its reject file (written by that
copy, and by the orphan policy after it), and with ``--full-verify`` its digest matches
too (verify/checksum.py). Anything else (an empty table a killed run left, a count that
differs, a digest that differs) is dropped and copied again.

A kept table is put back as the copy left it: the keys, indexes, CHECKs, generated columns
and views the earlier run may have added are removed, so the finishing phases run for
every table as on a first run and create each object once, under its planned name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg2 import sql

from sqlite2pg_tui.core.events import Log, OnEvent
from sqlite2pg_tui.core.load import rejects
from sqlite2pg_tui.core.load.copy import CopyResult
from sqlite2pg_tui.core.plan.mapping import TableMapping
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.target.postgres import existing_tables, qualified


@dataclass
class Resumed:
    kept: dict[str, CopyResult] = field(default_factory=dict)  # by source table
    lines: list[dict[str, str]] = field(default_factory=list)  # {"table", "note"}: what and why


def decide(conn: Any, source: str, dsn: str, pairs: list[tuple[Table, TableMapping]],
           schema: str, reject_dir: Path | None, digests: bool, on_event: OnEvent) -> Resumed:
    """Which tables an earlier run copied in full; every other target table it left is
    dropped (the caller creates and copies them as on a first run)."""
    out = Resumed()
    with conn.cursor() as cur:
        present = set(existing_tables(cur, schema, [tm.target for _, tm in pairs]))
        candidates: list[tuple[Table, TableMapping, CopyResult]] = []
        for table, tm in pairs:
            if tm.target not in present:
                continue
            cur.execute(sql.SQL("SELECT count(*) FROM {}").format(qualified(schema, tm.target)))
            held = cur.fetchone()[0]
            recs = rejects.read(reject_dir, tm.target)
            res = _from_rejects(table, tm, held, recs)
            if held == table.row_count - res.rejected:
                candidates.append((table, tm, res))
            elif held == 0 and table.row_count:
                out.lines.append(_line(tm, "copied again: the earlier run left it empty (its "
                                           "copy never committed)"))
            else:
                out.lines.append(_line(tm, f"copied again: PostgreSQL held {held:,} row(s), "
                                           f"{table.row_count - res.rejected:,} expected "
                                           f"({table.row_count:,} in SQLite, {res.rejected:,} "
                                           "rejected per its reject file)"))
    conn.rollback()
    if digests and candidates:
        candidates = _matching_digests(source, dsn, candidates, schema, reject_dir, out)
    for _table, tm, res in candidates:
        out.kept[tm.source] = res
        out.lines.append(_line(tm, f"kept: {res.copied:,} row(s) copied in full by an earlier "
                                   "run (count" + (" and digest match)" if digests else " matches)")))
    with conn.cursor() as cur:
        for _, tm in pairs:
            if tm.source in out.kept:
                _reset(cur, schema, tm)
            elif tm.target in present:
                cur.execute(sql.SQL("DROP TABLE {} CASCADE").format(qualified(schema, tm.target)))
    conn.commit()
    for line in out.lines:
        on_event(Log(f"resume: {line['table']}: {line['note']}", "info"))
    return out


def _line(tm: TableMapping, note: str) -> dict[str, str]:
    return {"table": tm.target, "note": note}


def _from_rejects(table: Table, tm: TableMapping, held: int,
                  recs: list[rejects.RejectRecord]) -> CopyResult:
    """What the earlier copy reported, read back from its reject file."""
    res = CopyResult(tm.source, tm.target, source_rows=table.row_count, copied=held,
                     engine="kept", committed=True, fast_path=True)
    rows: set[Any] = set()
    for rec in recs:
        loc = tuple(rec.rowid) if isinstance(rec.rowid, list) else rec.rowid
        rows.add(loc)
        key = rec.column or "(row)"
        res.rejected_by_column[key] = res.rejected_by_column.get(key, 0) + 1
        reasons = res.reasons_by_column.setdefault(key, {})
        reasons[rec.reason] = reasons.get(rec.reason, 0) + 1
    res.rejected = len(rows)
    return res


def _matching_digests(source: str, dsn: str, candidates: list[tuple[Table, TableMapping, CopyResult]],
                      schema: str, reject_dir: Path | None,
                      out: Resumed) -> list[tuple[Table, TableMapping, CopyResult]]:
    from sqlite2pg_tui.core.verify.checksum import checksum_tables
    from sqlite2pg_tui.core.verify.rejected import locators_of

    exclude = {tm.source: locators_of(source, table, tm, rejects.read(reject_dir, tm.target))
               for table, tm, _ in candidates}
    sums = {s.source: s for s in checksum_tables(
        source, dsn, [(t, tm) for t, tm, _ in candidates], schema, exclude=exclude, locate=False)}
    kept = []
    for table, tm, res in candidates:
        s = sums.get(tm.source)
        if s is not None and s.match:
            kept.append((table, tm, res))
        else:
            out.lines.append(_line(tm, "copied again: its count matches but its digest does not"))
    return kept


def _reset(cur: Any, schema: str, tm: TableMapping) -> None:
    """Back to what the copy left: no keys, indexes, CHECKs, generated columns or views."""
    target = qualified(schema, tm.target)
    cur.execute("SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname = %s", (schema, tm.target))
    oid = cur.fetchone()[0]
    # Views on the table are the earlier run's (finish.views creates them again).
    cur.execute("SELECT DISTINCT n.nspname, v.relname FROM pg_depend d "
                "JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class "
                "JOIN pg_namespace n ON n.oid = v.relnamespace "
                "WHERE d.refobjid = %s AND v.oid <> %s AND v.relkind = 'v'", (oid, oid))
    for nsp, view in cur.fetchall():
        cur.execute(sql.SQL("DROP VIEW IF EXISTS {} CASCADE").format(qualified(nsp, view)))
    cur.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s AND contype IN "
                "('p', 'u', 'f', 'c', 'x') ORDER BY contype = 'p'", (oid,))
    for (name,) in cur.fetchall():
        cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {} CASCADE").format(
            target, sql.Identifier(name)))
    cur.execute("SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = %s", (oid,))
    for (index,) in cur.fetchall():
        cur.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(qualified(schema, index)))
    planned = {c.target for c in tm.columns}
    cur.execute("SELECT attname FROM pg_attribute WHERE attrelid = %s AND attnum > 0 "
                "AND NOT attisdropped", (oid,))
    for (col,) in cur.fetchall():
        if col not in planned:  # a generated column, added after the data
            cur.execute(sql.SQL("ALTER TABLE {} DROP COLUMN {}").format(target, sql.Identifier(col)))
