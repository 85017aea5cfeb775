"""Verification: counts and sampled rows compared value by value after conversion."""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from psycopg2 import sql

from sqlite2pg_tui.core.events import Log, OnEvent, ignore
from sqlite2pg_tui.core.plan.mapping import ColumnMapping, Mapping, TableMapping
from sqlite2pg_tui.core.report import ORPHAN_ACTIONS, Mismatch, Report, TableReport
from sqlite2pg_tui.core.source.reader import open_readonly, qi, row_locator_sql
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.target.ddl import pg_type_sql
from sqlite2pg_tui.core.target.postgres import qualified
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.core.verify.equality import same_stored
from sqlite2pg_tui.core.verify.rejected import rejected_rows

_ABSENT = object()  # the row was rejected, so PostgreSQL must not have it


@dataclass
class CellPair:
    column: str
    sqlite: str  # the source value, shown for people
    expected: str  # after conversion
    postgres: str
    equal: bool


@dataclass
class RowPair:
    locator: Any
    found: bool
    expected_absent: bool = False
    cells: list[CellPair] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        if self.expected_absent:
            return not self.found
        return self.found and all(c.equal for c in self.cells)


def _key_columns(table: Table, tm: TableMapping) -> list[ColumnMapping]:
    pk = table.primary_key
    if pk:
        return [tm.column(c) for c in pk]
    return list(tm.columns)  # no key: the whole row is its own identity


def sample_locators(conn: sqlite3.Connection, table: Table, n: int, seed: int | None = None) -> list[Any]:
    """Up to n rows spread over the table, without reading all of it when it is large."""
    rng = random.Random(seed)
    if table.without_rowid or table.row_count <= n * 4:
        rows = conn.execute(f"SELECT {row_locator_sql(table)} FROM {qi(table.name)}").fetchall()
        return [r[0] for r in rng.sample(rows, min(n, len(rows)))]
    # Uniform over rows (not over the rowid range, which gaps would skew); OFFSET walks
    # the rowid b-tree, cheap for the handful of rows sampled. Each walk starts from the row
    # picked before it, so the table's rowids are walked once, not once per sample.
    offsets = sorted(rng.sample(range(table.row_count), n))
    picked: list[Any] = []
    last = -1
    for o in offsets:
        if not picked:
            row = conn.execute(f"SELECT rowid FROM {qi(table.name)} ORDER BY rowid LIMIT 1 "
                               "OFFSET ?", (o,)).fetchone()
        else:
            row = conn.execute(f"SELECT rowid FROM {qi(table.name)} WHERE rowid > ? ORDER BY "
                               "rowid LIMIT 1 OFFSET ?", (picked[-1], o - last - 1)).fetchone()
        if row is None:  # a live file may have lost rows since counted
            break
        picked.append(row[0])
        last = o
    return picked


def compare_rows(sqlite_conn: sqlite3.Connection, pg_conn: Any, table: Table, tm: TableMapping,
                 schema: str, locators: list[Any], refused: set[Any] | None = None,
                 nulled: set[str] | frozenset[str] = frozenset()) -> list[RowPair]:
    """Side-by-side rows for the given locators: the source converted, and what PostgreSQL holds.
    ``refused``: locators of rows PostgreSQL refused during the copy, or an orphans policy
    removed after it (expected absent). ``nulled``: source columns an orphans policy set to
    NULL where their parent row is missing (a NULL there is what was asked for)."""
    cms = list(tm.columns)
    fns = [converters.build(c.converter, c.options) for c in cms]
    keys = _key_columns(table, tm)
    key_idx = [cms.index(k) for k in keys]
    loc_sql = row_locator_sql(table)
    cols_sql = ", ".join(qi(c.source) for c in cms)
    pairs: list[RowPair] = []
    with pg_conn.cursor() as cur:
        for loc in locators:
            row = sqlite_conn.execute(
                f"SELECT {cols_sql} FROM {qi(table.name)} WHERE {loc_sql} = ?", (loc,)).fetchone()
            if row is None:
                continue
            expected: list[Any] = []
            for cm, fn, v in zip(cms, fns, row, strict=True):
                if v is None:
                    expected.append(None)
                    continue
                try:
                    expected.append(fn(v))
                except converters.Reject:
                    expected.append(None if cm.on_error == "null" and not _notnull(table, cm)
                                     else _ABSENT)
            absent = any(e is _ABSENT for e in expected) or bool(refused and (
                loc in refused or _key_of(expected, key_idx) in refused))
            pair = RowPair(loc, found=False, expected_absent=absent)
            if absent:
                pairs.append(pair)
                continue
            # "=" where we can, so the primary key's index is used; IS NULL for NULLs.
            where = sql.SQL(" AND ").join(
                sql.SQL("{} IS NULL").format(sql.Identifier(cms[i].target)) if expected[i] is None
                else sql.SQL("{} = {}::{}").format(
                    sql.Identifier(cms[i].target), sql.Placeholder(), pg_type_sql(cms[i].pg_type))
                for i in key_idx)
            params = [_param(expected[i]) for i in key_idx if expected[i] is not None]
            cur.execute(sql.SQL("SELECT {} FROM {} WHERE {} LIMIT 1").format(
                sql.SQL(", ").join(sql.Identifier(c.target) for c in cms),
                qualified(schema, tm.target), where), params)
            got = cur.fetchone()
            pair.found = got is not None
            for i, cm in enumerate(cms):
                pg_val = got[i] if got is not None else None
                pair.cells.append(CellPair(
                    cm.target, converters.show(row[i]), _shown(expected[i], cm.pg_type),
                    converters.show(pg_val) if got is not None else "(missing)",
                    got is not None and (same_stored(expected[i], pg_val, cm.pg_type)
                                         or (pg_val is None and cm.source in nulled))))
            pairs.append(pair)
    return pairs


def _shown(expected: Any, pg_type: str) -> str:
    """The converted value as PostgreSQL's side is shown: JSON text parsed, as psycopg2 does."""
    if converters.base_type(pg_type) in ("json", "jsonb") and isinstance(expected, str):
        try:
            return converters.show(json.loads(expected))
        except ValueError:
            pass
    return converters.show(expected)


def _hashable(loc: Any) -> Any:
    """A locator as a set member: a composite key arrives as a list."""
    return tuple(_hashable(v) for v in loc) if isinstance(loc, list | tuple) else loc


def _key_of(expected: list[Any], key_idx: list[int]) -> Any:
    """The row's key as a removed row's reject line shows it (JSON values, one value
    unwrapped): rows taken out of an existing table are named by their key."""
    key = [expected[i] for i in key_idx]
    if any(k is _ABSENT for k in key):
        return None
    shown = tuple(json.loads(json.dumps(k, default=str)) for k in key)
    return shown[0] if len(shown) == 1 else shown


def _notnull(table: Table, cm: ColumnMapping) -> bool:
    c = table.column(cm.source)
    return c.notnull or c.pk > 0


def _param(v: Any) -> Any:
    if isinstance(v, uuid.UUID):
        return str(v)
    return v


def verify_table(sqlite_conn: sqlite3.Connection, pg_conn: Any, table: Table, tm: TableMapping,
                 schema: str, tr: TableReport, sample: int, seed: int | None = None,
                 removed: set[Any] | frozenset[Any] = frozenset(),
                 nulled: set[str] | frozenset[str] = frozenset()) -> TableReport:
    """Counts and sampled rows side by side. ``removed``/``nulled``: what an orphans policy
    did after the copy (rows removed to the reject file, key columns set to NULL)."""
    tr.source_rows = sqlite_conn.execute(f"SELECT count(*) FROM {qi(table.name)}").fetchone()[0]
    with pg_conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT count(*) FROM {}").format(qualified(schema, tm.target)))
        tr.target_rows = cur.fetchone()[0]
    tr.count_match = tr.target_rows == tr.source_rows - tr.rejected_rows
    pairs = compare_rows(sqlite_conn, pg_conn, table, tm, schema,
                         sample_locators(sqlite_conn, table, sample, seed),
                         {_hashable(r) for r in tr.refused_by_postgres} | set(removed), nulled)
    tr.sample_checked = len(pairs)
    tr.sample_mismatches = sum(not p.ok for p in pairs)
    tr.mismatches = []
    for p in pairs:
        if p.ok:
            continue
        if p.expected_absent:
            tr.mismatches.append(Mismatch(p.locator, "(row)", "rejected", "present"))
        elif not p.found:
            tr.mismatches.append(Mismatch(p.locator, "(row)", "present", "missing"))
        else:
            tr.mismatches += [Mismatch(p.locator, c.column, c.expected, c.postgres)
                              for c in p.cells if not c.equal]
    pg_conn.rollback()
    return tr


def included_pairs(mapping: Mapping, tables: list[Table]) -> list[tuple[Table, TableMapping]]:
    by_name = {t.name: t for t in tables}
    return [(by_name[tm.source], tm) for tm in mapping.included if tm.source in by_name]


def verify_into(report: Report, source: str, pg_conn: Any, pairs: list[tuple[Table, TableMapping]],
                schema: str, sample: int, seed: int | None = None, *,
                cancel: threading.Event | None = None, on_event: OnEvent = ignore) -> None:
    """Counts and sampled rows per table; a cancel stops between tables (nothing is written)."""
    by_source = {t.source: t for t in report.tables}
    sconn = open_readonly(source)
    lossless = None
    try:
        for table, tm in pairs:
            tr = by_source.get(tm.source)
            if tr is None:
                tr = TableReport(tm.source, tm.target)
                report.tables.append(tr)
            if tr.error:
                continue
            if cancel is not None and cancel.is_set():
                return
            on_event(Log(f"verifying {tm.target}"))
            removed, nulled = _orphan_effects(report, source, table, tm, tr)
            try:
                verify_table(sconn, pg_conn, table, tm, schema, tr, sample, seed, removed, nulled)
            except sqlite3.OperationalError as e:  # invalid UTF-8: verify this table losslessly
                if "decode" not in str(e).lower():
                    raise
                pg_conn.rollback()
                lossless = lossless or open_readonly(source, lossless_text=True)
                verify_table(lossless, pg_conn, table, tm, schema, tr, sample, seed, removed,
                             nulled)
    finally:
        sconn.close()
        if lossless:
            lossless.close()


def _orphan_effects(report: Report, source: str, table: Table, tm: TableMapping,
                    tr: TableReport) -> tuple[set[Any], set[str]]:
    """What the orphans policy did to ``table`` after the copy: the rows it removed (found
    again from the reject file) and the key columns it set to NULL."""
    removed: set[Any] = set()
    nulled: set[str] = set()
    for o in report.orphans:
        if o.table != tm.target:
            continue
        if o.action == ORPHAN_ACTIONS["reject"]:
            removed |= rejected_rows(source, table, tm, tr, report.rejects_dir)[0] or set()
        elif o.action == ORPHAN_ACTIONS["null"]:
            nulled |= {c.strip() for c in o.column.split(",")}  # the key's source columns
    return removed, nulled
