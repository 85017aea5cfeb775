"""The SQL engine of the profile: SQLite classifies every value (profile_sql's class
codes) and counts them in one scan. It profiles WITHOUT ROWID tables (the Arrow engine,
profile_columnar, reads by rowid) and is the second opinion the tests hold the Arrow
engine to.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from sqlite2pg_tui.core.errors import Cancelled
from sqlite2pg_tui.core.source import profile_sql
from sqlite2pg_tui.core.source.profile import (
    EXAMPLES_KEPT,
    ColumnProfile,
    TableProfile,
    _ColumnTracker,
)
from sqlite2pg_tui.core.source.reader import qi, reading, row_locator_sql
from sqlite2pg_tui.core.source.schema import Table


def _exact_stats(conn: sqlite3.Connection, table: Table, names: list[str]) -> dict[str, ColumnProfile]:
    """Counts, storage classes, max length, min/max (SQLite's ordering) and NULs of every
    column, in one scan by SQLite. Kept lean: each extra expression costs on every row."""
    per = 8
    parts = ["count(*)"]
    for n in names:
        c = qi(n)
        parts += [
            f"count({c})",
            f"count(CASE typeof({c}) WHEN 'integer' THEN 1 END)",
            f"count(CASE typeof({c}) WHEN 'real' THEN 1 END)",
            f"count(CASE typeof({c}) WHEN 'text' THEN 1 END)",
            f"max(length({c}))",
            f"min({c})",
            f"max({c})",
            f"count(CASE WHEN instr({c}, char(0)) THEN 1 END)",
        ]
    row = conn.execute(f"SELECT {', '.join(parts)} FROM {qi(table.name)}").fetchone()
    total = row[0]
    out = {}
    for i, n in enumerate(names):
        non_null, ints, reals, texts, longest, lo, hi, nuls = row[1 + i * per: 1 + (i + 1) * per]
        blobs = non_null - ints - reals - texts
        storage = {k: v for k, v in (("integer", ints), ("real", reals), ("text", texts),
                                     ("blob", blobs)) if v}
        p = ColumnProfile(name=n, rows=total, nulls=total - non_null, storage=storage,
                          max_text_len=(longest or 0) if texts else 0,
                          max_blob_len=(longest or 0) if blobs else 0, nul_bytes=nuls)
        p.min, p.max = lo, hi
        out[n] = p
    return out


_HASH_MOD = 1_000_003  # a prime: rowid * multiplier mod it scatters periodic data


def _sample_where(table: Table, rows: int, limit: int | None) -> str:
    """A WHERE/LIMIT clause taking about ``limit`` rows spread over the whole table.

    A hash of the rowid rather than a stride: data written in a repeating pattern
    (every 4th row has a note…) would otherwise alias with the stride."""
    if not limit or rows <= limit:
        return ""
    if table.without_rowid:
        return f"LIMIT {int(limit)}"
    keep = max(1, _HASH_MOD * limit // rows)
    return f"WHERE (rowid * 2654435761) % {_HASH_MOD} < {keep}"


def profile_table_sql(conn: sqlite3.Connection, table: Table, *, limit: int | None,
                       on_rows: Callable[[int], None] | None = None,
                       cancel: threading.Event | None = None) -> TableProfile:
    """Exact counts over every row; then ``limit`` rows spread over the table (None: all)
    are classified by SQLite (profile_sql), and only the values it cannot decide go
    through the Python converters."""
    names = [c.name for c in table.columns if not c.generated]
    if on_rows:
        on_rows(0)
    with reading(conn, table.name, cancel):
        profiles = _exact_stats(conn, table, names)
        rows = next(iter(profiles.values())).rows if profiles else 0
        trackers = [_ColumnTracker(profiles[n]) for n in names]
        examples = [_ColumnTracker(ColumnProfile(n)) for n in names]
        if names and rows:
            _from_codes(conn, table, names, trackers, examples,
                        _sample_where(table, rows, limit), cancel)
            for tracker in trackers:  # a sparse column the sample missed: read its own values
                p = tracker.p
                if p.sample_non_null == 0 and p.non_null and limit:
                    for rowid, v in conn.execute(
                            f"SELECT {row_locator_sql(table)}, {qi(p.name)} FROM {qi(table.name)} "
                            f"WHERE {qi(p.name)} IS NOT NULL LIMIT {int(limit)}"):
                        tracker.add(rowid, v)
    for tracker, ex in zip(trackers, examples, strict=True):
        # Failures in row order, as if every value had been tried one by one.
        for cand, found in ex.p.failures.items():
            merged = tracker.p.failures[cand] + found
            merged.sort(key=lambda e: (str(type(e.rowid)), e.rowid))
            tracker.p.failures[cand] = merged[:EXAMPLES_KEPT]
    if on_rows:
        on_rows(min(rows, limit) if limit else rows)
    return TableProfile(table.name, rows, {t.p.name: t.finish() for t in trackers})


def _from_codes(conn: sqlite3.Connection, table: Table, names: list[str],
                trackers: list[_ColumnTracker], examples: list[_ColumnTracker],
                where: str, cancel: threading.Event | None) -> None:
    """The sampled rows (``where``) classified by SQLite in one scan (profile_sql): counts
    per code, the first rows of each code as failure examples, and the undecided values
    through the Python converters, which also keep the first few values seen."""
    src, loc = qi(table.name), row_locator_sql(table)
    got = conn.execute(profile_sql.counts_query(src, loc, names, where)).fetchone()
    sampled = got[0]
    per = 1 + 3 * len(profile_sql.CODES)
    undecided = [0] * len(names)
    fetch: list[tuple[int, int, Any, Any]] = []  # (column, code, first, last)
    for i, tracker in enumerate(trackers):
        p = tracker.p
        base = 1 + i * per
        p.sampled = sampled
        p.sample_nulls = got[base]
        for j, code in enumerate(profile_sql.CODES):
            n, first, last = got[base + 1 + 3 * j: base + 4 + 3 * j]
            if not n:
                continue
            if code == profile_sql.UNDECIDED:
                undecided[i] = n
                continue
            accepted, timed = profile_sql.EFFECTS[code]
            for cand in accepted:
                p.parses[cand] += n
            p.with_time += n if timed else 0
            fetch.append((i, code, first, last))
    # The sample's rows (after WHERE: a hash of the rowid, or a LIMIT) as a subquery.
    sample = f"(SELECT * FROM {src} {where})" if where else src
    found: list[list[tuple[Any, Any]]] = [[] for _ in names]
    for i, code, first, last in fetch:
        # The rowid range keeps this a b-tree range, not a scan.
        cond = f"({profile_sql.class_sql(names[i])}) = {code}"
        if not table.without_rowid:
            cond = f"rowid BETWEEN {int(first)} AND {int(last)} AND " + cond
        found[i] += conn.execute(f"SELECT {loc}, {qi(names[i])} FROM {sample} WHERE {cond} "
                                 f"LIMIT {EXAMPLES_KEPT}").fetchall()
    for i, rows_found in enumerate(found):
        # In row order: each candidate keeps its first few failures, as one by one would.
        for rowid, v in sorted(rows_found, key=lambda r: (str(type(r[0])), r[0])):
            examples[i].add(rowid, v)
    todo = [i for i, n in enumerate(undecided) if n]
    if todo:
        cols = [names[i] for i in todo]
        sub = profile_sql.coded(src, loc, cols, [qi(c) for c in cols], where)
        flags = " OR ".join(f"k{j} = {profile_sql.UNDECIDED}" for j in range(len(cols)))
        cur = conn.execute(f"SELECT * FROM {sub} WHERE {flags}")
        while batch := cur.fetchmany(5000):
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"profiling of {table.name} cancelled")
            for row in batch:
                for j, i in enumerate(todo):
                    if row[1 + j] == profile_sql.UNDECIDED:
                        trackers[i].collect(row[0], row[1 + len(cols) + j])
    _samples(conn, sample, loc, trackers)


def _samples(conn: sqlite3.Connection, sample: str, loc: str,
             trackers: list[_ColumnTracker]) -> None:
    """The first few sampled values with where they are (the wizard names their row), and,
    when there are at most 20, every distinct one."""
    for tracker in trackers:
        p, c = tracker.p, qi(tracker.p.name)
        if not p.sample_non_null:
            continue
        first = conn.execute(f"SELECT {loc}, {c} FROM {sample} WHERE {c} IS NOT NULL LIMIT 8")
        p.sample_rowids, p.samples = [], []
        for rowid, v in first:
            p.sample_rowids.append(rowid)
            p.samples.append(v)
        distinct = {v for (v,) in conn.execute(
            f"SELECT DISTINCT {c} FROM {sample} WHERE {c} IS NOT NULL LIMIT 21")}
        tracker.distinct = distinct if len(distinct) <= 20 else None
