"""Full-table checksums: every row's converted values, digested on both sides, order-free.

PostgreSQL digests in SQL; SQLite's side streams once through the very converters (and
on-error policies) the copy used, so a row the copy rejected is absent from both. A row's
digest is the md5 of its canonical text (see :mod:`canonical`); a table's digest is the
row count and two independent sums (the two halves of each md5) modulo 2**64. Sums, not
XOR: a duplicated row must change the digest, and sums subtract, so a range's right half
is its whole minus its left half.

On a mismatch the differing rows are found without loading either table:

* an integer key (the usual INTEGER PRIMARY KEY): bisect the key's range, digesting one
  half on both sides (the other is the difference), recursing into halves that differ,
  down to ranges of a few dozen rows that are then compared row by row;
* any other key, or none: rows are hashed into buckets by key (or, keyless, by the whole
  row), per-bucket digests compared in one grouped pass, and only the rows of differing
  buckets fetched. Without a key a changed row shows as one row missing and one extra.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any

import psycopg2

from sqlite2pg_tui.core.errors import SourceError
from sqlite2pg_tui.core.events import Log, OnEvent, ignore
from sqlite2pg_tui.core.plan.mapping import TableMapping
from sqlite2pg_tui.core.source.reader import open_readonly, qi
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.target.postgres import connect, plain_error
from sqlite2pg_tui.core.values import canonical
from sqlite2pg_tui.core.verify.checksum_digest import (  # noqa: F401 - the checksum's limits, for callers
    LEAF_ROWS,
    MAX_ROWS_REPORTED,
    Digest,
    TableCanon,
    TableChecksum,
)
from sqlite2pg_tui.core.verify.checksum_locate import (
    Locator,
)
from sqlite2pg_tui.core.verify.checksum_sides import (
    PgSide,
    SqliteSide,
)

# --- the whole thing -----------------------------------------------------------------------------

def checksum_table(source: str, pg_conn: Any, table: Table, tm: TableMapping, schema: str, *,
                   exclude: set[Any] | None = None, locate: bool = True,
                   pg_digest: Digest | None = None, sqlite_digest: Digest | None = None,
                   skip: set[str] | None = None) -> TableChecksum:
    """Digest one table on both sides; on a mismatch, find (some of) the differing rows.
    ``exclude``: locators of rows PostgreSQL legitimately lacks beyond those the converters
    reject (refused by PostgreSQL, removed as orphans); ``skip``: source columns left out."""
    start = time.perf_counter()
    res = TableChecksum(tm.source, tm.target)
    tc = TableCanon(table, tm, skip)
    res.skipped_columns = tc.skipped
    s = SqliteSide(source, tc, exclude or set())
    try:
        with pg_conn.cursor() as cur:
            cur.execute(canonical.PG_SESSION)
        p = PgSide(pg_conn, schema, tc)
        res.sqlite = sqlite_digest if sqlite_digest is not None else s.digest()
        res.postgres = pg_digest if pg_digest is not None else p.digest()
        res.match = res.sqlite == res.postgres
        if not res.match and locate:
            loc = Locator(tc, s, p, res)
            if tc.int_key is None or not loc.bisect(res.sqlite, res.postgres):
                loc.buckets(res.sqlite, res.postgres)
    except psycopg2.Error as e:
        pg_conn.rollback()
        res.match, res.error = False, plain_error(e)
    except (ValueError, TypeError, OverflowError) as e:  # a value no canonical form expected
        res.match, res.error = False, f"{type(e).__name__}: {e}"
    finally:
        s.close()
        pg_conn.rollback()
        res.seconds = round(time.perf_counter() - start, 3)
    return res


PARALLEL_MIN_ROWS = 200_000  # below this, starting processes costs more than it saves
SLICE_ROWS = 100_000


def default_processes(total_rows: int) -> int:
    """SQLite's side is Python-bound (converters, canonical text, md5): on a large database it
    runs in worker processes, a rowid slice each, while PostgreSQL digests in its backends."""
    cpus = os.cpu_count() or 1
    if total_rows < PARALLEL_MIN_ROWS or cpus < 2:
        return 0
    return min(cpus, 4)


def _slices(source: str, table: Table) -> list[tuple[int | None, int | None]]:
    if table.without_rowid or table.row_count < 2 * SLICE_ROWS:
        return [(None, None)]
    conn = open_readonly(source)
    try:
        lo, hi = conn.execute(f"SELECT min(rowid), max(rowid) FROM {qi(table.name)}").fetchone()
    finally:
        conn.close()
    if lo is None:
        return [(None, None)]
    k = -(-table.row_count // SLICE_ROWS)
    step = max(1, -(-(hi - lo + 1) // k))
    return [(lo + i * step, lo + (i + 1) * step) for i in range(k)]


def _slice_digest(source: str, table: Table, tm: TableMapping, exclude: set[Any],
                  skip: set[str], lo: int | None, hi: int | None) -> Digest:
    """One slice of SQLite's side; runs in a worker process (module-level: it is pickled)."""
    s = SqliteSide(source, TableCanon(table, tm, skip), exclude)
    try:
        if lo is None:
            return s.digest()
        return s.digest("WHERE rowid >= ? AND rowid < ?", (lo, hi))
    finally:
        s.close()


def checksum_tables(source: str, dsn: str, pairs: list[tuple[Table, TableMapping]], schema: str, *,
                    exclude: dict[str, set[Any]] | None = None, locate: bool = True,
                    on_event: OnEvent = ignore, processes: int | None = None,
                    skip: dict[str, set[str]] | None = None) -> list[TableChecksum]:
    """Every table. PostgreSQL's digests run in threads (each its own connection and backend),
    SQLite's in worker processes (or this one, when small), so the sides overlap."""
    exclude = exclude or {}
    skip = skip or {}
    order = sorted(pairs, key=lambda p: -p[0].row_count)  # the longest work starts first
    nproc = default_processes(sum(t.row_count for t, _ in pairs)) if processes is None else processes

    def pg_side(table: Table, tm: TableMapping) -> Digest:
        conn = connect(dsn)
        try:
            with conn.cursor() as cur:
                cur.execute(canonical.PG_SESSION)
            return PgSide(conn, schema, TableCanon(table, tm, skip.get(tm.source))).digest()
        finally:
            conn.close()

    out: dict[str, TableChecksum] = {}
    pool: ProcessPoolExecutor | None = None
    with ThreadPoolExecutor(max_workers=max(1, min(3, len(pairs)))) as threads:
        pg_futures = {tm.source: threads.submit(pg_side, table, tm) for table, tm in order}
        sq_futures: dict[str, list[Future[Digest]]] = {}
        if nproc > 1:
            try:
                pool = ProcessPoolExecutor(max_workers=nproc, mp_context=get_context("spawn"))
                for table, tm in order:
                    sq_futures[tm.source] = [
                        pool.submit(_slice_digest, source, table, tm, exclude.get(tm.source, set()),
                                    skip.get(tm.source, set()), lo, hi)
                        for lo, hi in _slices(source, table)]
            except (OSError, RuntimeError, ValueError) as e:  # no processes here: stay in-process
                on_event(Log(f"checksum: worker processes unavailable ({e}); using one", "warning"))
                sq_futures = {}
        conn = connect(dsn)
        try:
            for table, tm in order:
                sqlite_digest = _gather(sq_futures.get(tm.source))
                try:
                    pg_digest = pg_futures[tm.source].result()
                except psycopg2.Error as e:
                    res = TableChecksum(tm.source, tm.target, match=False, error=plain_error(e))
                else:
                    res = checksum_table(source, conn, table, tm, schema,
                                         exclude=exclude.get(tm.source), locate=locate,
                                         pg_digest=pg_digest, sqlite_digest=sqlite_digest,
                                         skip=skip.get(tm.source))
                on_event(Log(f"checksum {tm.source}: "
                             + ("match" if res.match else "DIFFERENT" if res.match is False
                                else "not computed") + f" ({res.seconds:.1f}s)"))
                out[tm.source] = res
        finally:
            conn.close()
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    return [out[tm.source] for _, tm in pairs]


def _gather(futures: list[Future[Digest]] | None) -> Digest | None:
    """The sum of a table's slices; None (compute in-process) if the workers broke down."""
    if not futures:
        return None
    try:
        total = Digest()
        for f in futures:
            total = total + f.result()
        return total
    except SourceError:
        raise
    except (BrokenProcessPool, Exception):  # noqa: BLE001 - redone here, where it can be reported
        return None
