"""The profile's reader reads ahead in a thread of its own: a cancel mid-table, a table
read again split by class and a driver failure all stop it, leaving no thread behind."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from sqlite2pg_tui.core.errors import Cancelled
from sqlite2pg_tui.core.source import profile_columnar, profile_read
from sqlite2pg_tui.core.source.profile import profile_table
from sqlite2pg_tui.core.source.reader import open_readonly, read_schema


def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "profile-read"]


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(profile_columnar, "BATCH_ROWS", 50)
    path = tmp_path / "r.db"
    conn = sqlite3.connect(path)
    # v: integers, then text far down (the driver's type from the first batch no longer
    # holds: the table is read again split by class).
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v, s TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)", [
        (k, k if k < 900 else f"x{k}", f"s{k % 7}") for k in range(1, 1001)])
    conn.commit()
    conn.close()
    return path


def test_a_cancel_mid_table_stops_the_reader(db: Path) -> None:
    cancel = threading.Event()

    def told(done: int) -> None:
        if done >= 100:
            cancel.set()

    conn = open_readonly(str(db), lossless_text=True)
    try:
        table = read_schema(conn, str(db)).tables[0]
        with pytest.raises(Cancelled):
            profile_table(conn, table, limit=None, cancel=cancel, on_rows=told)
    finally:
        conn.close()
    assert _readers() == []


def test_a_table_read_again_split_leaves_no_reader(db: Path) -> None:
    conn = open_readonly(str(db), lossless_text=True)
    try:
        table = read_schema(conn, str(db)).tables[0]
        prof = profile_table(conn, table, limit=None)
    finally:
        conn.close()
    assert prof.columns["v"].storage == {"integer": 899, "text": 101}
    assert prof.rows == 1000
    assert _readers() == []


def test_a_driver_failure_reaches_the_caller(db: Path) -> None:
    batches = profile_read.ahead(str(db), "SELECT no_such_column FROM t", 50, None)
    with pytest.raises(profile_read.DriverError):
        next(batches)
    assert _readers() == []


def test_stopping_early_stops_the_reader(db: Path) -> None:
    batches = profile_read.ahead(str(db), "SELECT rowid, v FROM t", 10, None)
    assert next(batches).num_rows == 10
    batches.close()
    assert _readers() == []
