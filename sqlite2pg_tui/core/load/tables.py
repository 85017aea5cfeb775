"""All the tables of a run through COPY: the per-table transactions, side by side."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from sqlite2pg_tui.core.cancel import cancels_server_work
from sqlite2pg_tui.core.errors import Cancelled
from sqlite2pg_tui.core.events import Log, OnEvent
from sqlite2pg_tui.core.load import ranges
from sqlite2pg_tui.core.load.copy import CopyResult, TableCopier
from sqlite2pg_tui.core.plan.mapping import TableMapping
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.source.spool import Spool
from sqlite2pg_tui.core.target.postgres import connect


def copy_tables(source: str, dsn: str, pairs: list[tuple[Table, TableMapping]], schema: str,
                reject_dir: Path | None, workers: int, streams: int, on_event: OnEvent,
                cancel: threading.Event, truncate: bool,
                on_committed: Callable[[CopyResult], None] | None = None,
                spooled: Spool | None = None) -> list[CopyResult]:
    """Each table in its own transaction and connection, ``workers`` at once (largest
    first), large ones in ``streams`` rowid ranges (ranges.py); a result per pair, in order.
    A failure or cancel stops the rest; tables not copied say so in their result.
    ``on_committed(result)`` is called as each table's copy commits (finisher.py).
    ``spooled``: the profile's batches, read instead of SQLite where kept (spool.py)."""
    results: dict[str, CopyResult] = {}
    lock = threading.Lock()

    def safe_event(e: Any) -> None:
        with lock:
            on_event(e)

    def work(table: Table, tm: TableMapping) -> CopyResult:
        got = copy_one(table, tm)
        if on_committed is not None and got.committed and not got.error:
            on_committed(got)
        return got

    def copy_one(table: Table, tm: TableMapping) -> CopyResult:
        if cancel.is_set():
            raise Cancelled("cancelled before this table started")
        parts = ranges.splits(source, table, streams) if streams > 1 else []
        if parts:
            try:
                got = ranges.copy_in_ranges(source, dsn, table, tm, schema, reject_dir,
                                            safe_event, cancel, truncate, parts)
            except Cancelled as e:
                results[tm.source] = CopyResult(tm.source, tm.target, table.row_count, error=str(e))
                raise
            if got is not None:
                results[tm.source] = got
                return got
        conn = connect(dsn)
        try:
            copier = TableCopier(source, table, tm, conn, schema, reject_dir, safe_event, cancel,
                                 truncate=truncate, spooled=spooled)
            results[tm.source] = copier.result
            with cancels_server_work(conn, cancel):
                return copier.run()
        finally:
            conn.close()

    # Largest first: the longest table starts at once and the small ones fill in around it.
    order = sorted(pairs, key=lambda p: -p[0].row_count)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(work, t, tm) for t, tm in order]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failure = next((f.exception() for f in done if f.exception()), None)
        if failure is not None:
            cancel.set()
            wait(futures)
    if failure is not None and not isinstance(failure, Cancelled):
        raise failure
    out = []
    for _, tm in pairs:
        r = results.get(tm.source) or CopyResult(tm.source, tm.target, error="not started")
        if failure is not None and not r.error and r.copied == 0:
            r.error = "not copied: the run was cancelled"
        out.append(r)
    if failure is not None:
        on_event(Log(str(failure), "warning"))
    return out
