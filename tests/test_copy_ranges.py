"""A large table copied in several rowid ranges (load/ranges.py) ends exactly as one stream
leaves it: same rows, same rejects in the same order, same report, checks streamed; and a
range that cannot finish takes the whole table back to one stream."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import psycopg2.extensions
import pytest
from helpers import isolate_environment, pg_all, pg_count, pg_table_exists

from sqlite2pg_tui.core.events import RowsCopied
from sqlite2pg_tui.core.load import ranges
from sqlite2pg_tui.core.load.rejects import reject_file
from sqlite2pg_tui.core.pipeline import RunOptions, run_migration
from sqlite2pg_tui.core.values import columnar
from sqlite2pg_tui.core.values.columnar import Unsupported

ROWS = 12_000


@pytest.fixture(autouse=True)
def _small_ranges(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)
    monkeypatch.setattr(ranges, "MIN_ROWS_PER_RANGE", 3_000)


def _db(path: Path, bad_utf8_at: int | None = None) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, at TEXT, label TEXT)")
    conn.execute("CREATE TABLE s(id INTEGER PRIMARY KEY, v TEXT)")
    rows: list[tuple[Any, ...]] = [(i, i * 2, f"2024-01-{1 + i % 28:02d} 10:00:00", f"r{i}")
                                   for i in range(1, ROWS + 1)]
    for i in (5, 4_000, 7_000, 11_999):  # one reject in each range, and two in the last
        rows[i - 1] = (i, f"n{i}", rows[i - 1][2], rows[i - 1][3])
    rows[8_999] = (9_000, 1, "2024-02-30 10:00:00", "x")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    conn.executemany("INSERT INTO s VALUES (?, ?)", [(i, f"s{i}") for i in range(50)])
    if bad_utf8_at is not None:
        conn.execute("UPDATE t SET label = CAST(x'41ff42' AS TEXT) WHERE id = ?", (bad_utf8_at,))
    conn.commit()
    conn.close()
    return path


def _mapping_with_timestamp(src: Path) -> Any:
    from sqlite2pg_tui.core.pipeline import plan_for

    _, m = plan_for(str(src), None)
    at = m.table("t").column("at")
    at.pg_type, at.converter = "timestamp", "timestamp"
    return m


def test_ranges_copy_exactly_what_one_stream_copies(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    src = _db(tmp_path / "r.db")
    ranged: list[tuple[str, Any]] = []
    real = ranges.copy_in_ranges

    def spy(*args: Any) -> Any:
        got = real(*args)
        ranged.append((args[2].name, got is not None and got.streamed is not None))
        return got

    monkeypatch.setattr(ranges, "copy_in_ranges", spy)
    mapping = _mapping_with_timestamp(src)
    assert len(ranges.splits(str(src), next(t for t in _tables(src) if t.name == "t"), 4)) == 4
    progress: list[int] = []

    def on_event(e: object) -> None:
        if isinstance(e, RowsCopied) and e.table == "t":
            progress.append(e.done)

    one = run_migration(str(src), pg_dsn, mapping, options=RunOptions(
        schema="one", reject_dir=str(tmp_path / "one"), full=True))
    many = run_migration(str(src), pg_dsn, mapping, options=RunOptions(
        schema="many", reject_dir=str(tmp_path / "many"), ranges=4, full=True),
        on_event=on_event)
    a, b = one.table("t"), many.table("t")
    assert ranged == [("t", True)]  # in ranges, checks streamed; s is too small to split
    assert b.engine == "columnar" and b.committed
    assert (b.copied_rows, b.rejected_rows, b.rejected_by_column, b.rejected_reasons) == (
        a.copied_rows, a.rejected_rows, a.rejected_by_column, a.rejected_reasons)
    assert (a.copied_rows, a.rejected_rows) == (ROWS - 5, 5)
    assert pg_all(pg_conn, "SELECT * FROM many.t ORDER BY id") == pg_all(
        pg_conn, "SELECT * FROM one.t ORDER BY id")
    # One reject file, in rowid order, as one stream writes it.
    assert (reject_file(tmp_path / "many", "t").read_text()
            == reject_file(tmp_path / "one", "t").read_text())
    assert [p.name for p in (tmp_path / "many").iterdir()] == ["t.jsonl"]
    assert many.failed_checks == 0 and b.checksum_match is True and b.count_match
    assert progress and progress[-1] == ROWS and progress == sorted(progress)


def _tables(src: Path) -> list[Any]:
    from sqlite2pg_tui.core.source.reader import open_readonly, read_schema

    conn = open_readonly(src)
    try:
        return read_schema(conn, str(src)).tables
    finally:
        conn.close()


def test_a_range_that_cannot_finish_sends_the_table_through_one_stream(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The last range's reader fails after its first batch, as adbc does on a file it cannot
    # read: every range rolls back and the whole table is copied once, in one stream.
    src = _db(tmp_path / "u.db", bad_utf8_at=ROWS - 10)
    real_read = columnar.read_batches
    failed: list[str] = []

    def read(path: str, query: str, rows_per_batch: int) -> Any:
        batches = real_read(path, query, rows_per_batch)
        try:
            if f"rowid < {ROWS + 1}" not in query:  # one stream, or not the last range
                yield from batches
                return
            yield next(batches)
            failed.append(query)
            raise Unsupported("reading with adbc: the last range cannot be read")
        finally:
            batches.close()

    monkeypatch.setattr(columnar, "read_batches", read)
    outcomes: list[Any] = []
    real_ranges = ranges.copy_in_ranges

    def spy(*args: Any) -> Any:
        got = real_ranges(*args)
        outcomes.append(got)
        return got

    monkeypatch.setattr(ranges, "copy_in_ranges", spy)
    report = run_migration(str(src), pg_dsn, _mapping_with_timestamp(src),
                           options=RunOptions(reject_dir=str(tmp_path / "rj"), ranges=3))
    t = report.table("t")
    assert failed and outcomes == [None]  # the ranges gave up; one stream took the table
    assert t.committed and not t.error
    assert pg_count(pg_conn, "t") == t.copied_rows == ROWS - t.rejected_rows
    assert t.rejected_rows == 6  # the five of test_ranges_copy_exactly…, and the invalid UTF-8
    assert report.failed_checks == 0 and t.count_match


def test_a_cancel_during_ranges_leaves_nothing_of_the_table(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    src = _db(tmp_path / "c.db")
    cancel = threading.Event()

    def on_event(e: object) -> None:
        if isinstance(e, RowsCopied) and e.table == "t" and e.done > 2_000:
            cancel.set()

    report = run_migration(str(src), pg_dsn, _mapping_with_timestamp(src), options=RunOptions(
        reject_dir=str(tmp_path / "rj"), ranges=4, workers=1), on_event=on_event, cancel=cancel)
    assert report.cancelled
    assert not pg_table_exists(pg_conn, "t")
    assert any("rolled back and dropped" in line and "t" in line for line in report.after_cancel)
