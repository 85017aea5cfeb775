"""One large table copied in several streams, each a rowid range with its own COPY and
connection, so a huge table need not hold the run to one stream (``--ranges N``).

What still holds per table:
  * every row copied or rejected: each range runs the columnar copy (copy.py) on its rows;
    anything a range cannot take (a converter without a vectorized form, text that is not
    UTF-8, a value PostgreSQL refuses) rolls every range back and the table is copied in
    one stream as usual, which then says what happened;
  * all or nothing: the ranges commit only once every one of them has sent its last row
    (a barrier before COMMIT); a failure or cancel before that rolls them all back. Only a
    kill in the milliseconds between their COMMITs could leave a part, and ``--resume``
    finds it by its count;
  * the reject file lists the rows in rowid order, as one stream writes it: each range
    writes its own file, joined in range order at the end;
  * memory: each stream holds its own read-ahead of a few batches, as a table does.

What does not: ``COPY … FREEZE`` needs the table emptied in the same transaction as the
COPY, which only one stream can have; ranged tables are emptied first (committed) and
copied without FREEZE.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

from psycopg2 import sql

from sqlite2pg_tui.core.cancel import cancels_server_work
from sqlite2pg_tui.core.errors import Cancelled
from sqlite2pg_tui.core.events import OnEvent, RowsCopied, TableFinished, TableStarted
from sqlite2pg_tui.core.load import rejects
from sqlite2pg_tui.core.load.copy import CopyResult, TableCopier
from sqlite2pg_tui.core.plan.mapping import TableMapping
from sqlite2pg_tui.core.source.reader import open_readonly, qi
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.target.postgres import connect, qualified
from sqlite2pg_tui.core.values import columnar
from sqlite2pg_tui.core.values.columnar import Unsupported

MIN_ROWS_PER_RANGE = 100_000  # below it a second stream costs more than it gives


def splits(source: str, table: Table, streams: int) -> list[tuple[int, int]]:
    """Rowid ranges [from, to) of about equal width covering the table; one range when the
    table is too small or cannot be read by rowid."""
    n = min(streams, table.row_count // MIN_ROWS_PER_RANGE)
    if n < 2 or table.without_rowid:
        return []
    conn = open_readonly(source)
    try:
        lo, hi = conn.execute(f"SELECT min(rowid), max(rowid) FROM {qi(table.name)}").fetchone()
    finally:
        conn.close()
    if lo is None or hi - lo < n:
        return []
    step = (hi - lo + 1) // n
    edges = [lo + i * step for i in range(n)] + [hi + 1]
    return list(zip(edges, edges[1:], strict=False))


def copy_in_ranges(source: str, dsn: str, table: Table, tm: TableMapping, schema: str,
                   reject_dir: Path | None, on_event: OnEvent, cancel: threading.Event,
                   truncate: bool, parts: list[tuple[int, int]]) -> CopyResult | None:
    """The table copied in ``parts``; None when it must go through one stream instead
    (nothing of it is left in PostgreSQL then)."""
    if not columnar.available() or any(columnar.form_of(cm) is None for cm in tm.columns):
        return None
    start = time.perf_counter()
    on_event(TableStarted(tm.source, table.row_count))
    if truncate:
        conn = connect(dsn)
        try:
            with conn.cursor() as cur:
                cur.execute(sql.SQL("TRUNCATE {}").format(qualified(schema, tm.target)))
            conn.commit()
        finally:
            conn.close()
    barrier = threading.Barrier(len(parts))
    done = [0] * len(parts)
    lock = threading.Lock()
    copiers: list[TableCopier | None] = [None] * len(parts)
    failures: list[BaseException] = []
    dirs = [reject_dir / f".{rejects.safe_filename(tm.target)}.range{i}" if reject_dir else None
            for i in range(len(parts))]

    def ready() -> None:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            raise Unsupported("another range of the table failed") from None

    def part(i: int) -> None:
        def events(e: Any) -> None:  # one table to the faces, not one per range
            if isinstance(e, RowsCopied):
                with lock:
                    done[i] = e.done
                    on_event(RowsCopied(tm.source, sum(done), max(table.row_count, sum(done))))

        conn = connect(dsn)
        try:
            copiers[i] = c = TableCopier(source, table, tm, conn, schema, dirs[i], events, cancel,
                                         truncate=False, rowids=parts[i], before_commit=ready)
            with cancels_server_work(conn, cancel):
                c.run()
        except BaseException as e:  # noqa: BLE001 - judged below, in the table's thread
            failures.append(e)
        finally:
            if copiers[i] is None or not copiers[i].result.committed:  # type: ignore[union-attr]
                barrier.abort()
            conn.close()

    threads = [threading.Thread(target=part, args=(i,), name=f"range {i}") for i in range(1, len(parts))]
    for t in threads:
        t.start()
    part(0)
    for t in threads:
        t.join()
    results = [c.result for c in copiers if c is not None]
    try:
        if len(results) == len(parts) and all(r.committed for r in results):
            merged = _merged(tm, results)
            _join_rejects(reject_dir, tm.target, dirs)
            merged.seconds = time.perf_counter() - start
            on_event(TableFinished(tm.source, merged.copied, merged.rejected, merged.seconds))
            return merged
    finally:
        for d in dirs:
            if d is not None:
                shutil.rmtree(d, ignore_errors=True)
    if cancel.is_set() or any(isinstance(f, Cancelled) for f in failures):
        msg = f"cancelled while copying {table.name}"
        on_event(TableFinished(tm.source, 0, 0, time.perf_counter() - start, msg))
        raise Cancelled(msg)
    return None  # rolled back: the caller copies the table in one stream, which says why


def _merged(tm: TableMapping, results: list[CopyResult]) -> CopyResult:
    out = CopyResult(tm.source, tm.target, fast_path=True, engine="columnar", committed=True)
    for r in results:
        out.source_rows += r.source_rows
        out.copied += r.copied
        out.rejected += r.rejected
        for mine, theirs in ((out.rejected_by_column, r.rejected_by_column),
                             (out.nulled_by_column, r.nulled_by_column),
                             (out.altered_by_column, r.altered_by_column)):
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
        for col, reasons in r.reasons_by_column.items():
            mine_r = out.reasons_by_column.setdefault(col, {})
            for k, v in reasons.items():
                mine_r[k] = mine_r.get(k, 0) + v
        if out.streamed is None:
            out.streamed = r.streamed
        elif r.streamed is not None:
            out.streamed.merge(r.streamed)
    return out


def _join_rejects(reject_dir: Path | None, target: str, dirs: list[Path | None]) -> None:
    """The ranges' reject files, in range (so rowid) order, as the table's one file."""
    if reject_dir is None:
        return
    final = rejects.reject_file(reject_dir, target)
    final.unlink(missing_ok=True)
    pieces = [rejects.reject_file(d, target) for d in dirs if d is not None]
    if not any(p.exists() for p in pieces):
        return
    with final.open("wb") as out:
        for p in pieces:
            if p.exists():
                with p.open("rb") as fh:
                    shutil.copyfileobj(fh, out)
