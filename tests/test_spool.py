"""A run without a mapping reads each table from SQLite once: the copy takes the batches the
profile read (core/source/spool.py), with the same result as reading SQLite again."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from pathlib import Path
from typing import Any

import psycopg2.extensions
import pytest
from helpers import isolate_environment, pg_all, sqlite_exec

from sqlite2pg_tui.core.events import Event, PhaseStarted
from sqlite2pg_tui.core.pipeline import RunOptions, run_migration
from sqlite2pg_tui.core.report import Report

ROWS = 40_000  # several batches, on the profile's side and the copy's


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    isolate_environment(monkeypatch, tmp_path)
    spools = tmp_path / "tmp"
    spools.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spools))
    return spools


def _db(path: Path, wal: bool = False) -> Path:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript("""
        CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER NOT NULL, label TEXT, at DATETIME,
                       x REAL, doc TEXT, unset TEXT, b BLOB);
        CREATE TABLE loose(id INTEGER PRIMARY KEY, v);
    """)
    rows: list[tuple[Any, ...]] = [
        (i, i * 3, f"row\t{i}", f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:00:00",
         i / 7, f'{{"i": {i}}}', None, bytes([i % 256, 0])) for i in range(1, ROWS + 1)]
    # Another storage class hiding in a column read through CASE typeof (each shows as the
    # marker and is read again by rowid), in different batches; text the driver must not
    # decode; NULs; a column that is NULL throughout.
    # One per row, so each is seen on its own.
    rows[10] = (11, 5, b"\xff\xfe", *rows[10][3:])
    rows[11] = (12, 6, "x", 1_700_000_000, *rows[11][4:])
    rows[12] = (13, 7, "y", rows[12][3], "not a number", *rows[12][5:])
    rows[13] = (14, 8, "z", rows[13][3], 14, "[1]", None, None)  # a whole REAL is stored real
    rows[20_000] = (20_001, 7, "nul\x00here", "2024-01-05T10:00:00Z", 2, "null", None, b"")
    rows[39_999] = (40_000, 2**63 - 1, None, None, None, None, None, None)
    conn.executemany("INSERT INTO t VALUES (?,?,?,?,?,?,?,?)", rows)
    conn.execute("UPDATE t SET doc = CAST(x'7b22c3' AS TEXT) WHERE id = 30000")  # bad UTF-8
    # No declared type, two classes: the profile reads it split, so nothing is kept.
    conn.executemany("INSERT INTO loose VALUES (?, ?)",
                     [(i, i if i % 3 else f"text {i}") for i in range(1, 5_001)])
    conn.commit()
    conn.close()
    return path


def _run(src: Path, dsn: str, tmp_path: Path, schema: str, spool: bool, **kw: Any) -> Report:
    return run_migration(str(src), dsn, options=RunOptions(
        schema=schema, reject_dir=str(tmp_path / f"rj-{schema}"), spool=spool), **kw)


def _contents(conn: psycopg2.extensions.connection, schema: str, table: str) -> list[tuple]:
    return pg_all(conn, f'SELECT * FROM "{schema}"."{table}" ORDER BY id')


def test_the_copy_takes_the_profiles_batches_with_the_same_result(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        _isolated: Path) -> None:
    src = _db(tmp_path / "s.db")
    once = _run(src, pg_dsn, tmp_path, "once", spool=True)
    twice = _run(src, pg_dsn, tmp_path, "twice", spool=False)
    assert {t.source: t.read_once for t in once.tables} == {"t": True, "loose": False}
    assert not any(t.read_once for t in twice.tables)
    for table in ("t", "loose"):
        assert _contents(pg_conn, "once", table) == _contents(pg_conn, "twice", table)
        a, b = once.table(table), twice.table(table)
        assert (a.copied_rows, a.rejected_rows, a.rejected_reasons, a.nulled_by_column) == (
            b.copied_rows, b.rejected_rows, b.rejected_reasons, b.nulled_by_column)
    # The odd rows really went the one-by-one way: what they hold arrived or was rejected.
    assert once.table("t").rejected_rows + once.table("t").copied_rows == ROWS
    assert once.ok == twice.ok and once.failed_checks == twice.failed_checks == 0
    rejects = {p.name: p.read_text() for p in (tmp_path / "rj-once").iterdir()}
    assert rejects == {p.name: p.read_text() for p in (tmp_path / "rj-twice").iterdir()}
    assert list(_isolated.iterdir()) == []  # nothing left behind


@pytest.mark.parametrize("wal", [False, True], ids=["rollback-journal", "wal"])
def test_a_file_changed_after_the_profile_is_read_again(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        _isolated: Path, wal: bool) -> None:
    src = _db(tmp_path / "s.db", wal)

    def on_event(e: Event) -> None:
        if isinstance(e, PhaseStarted) and e.phase == "data":  # profiled, not yet copied
            sqlite_exec(src, "UPDATE t SET label = 'changed' WHERE id = 1")

    report = _run(src, pg_dsn, tmp_path, "moved", spool=True, on_event=on_event)
    assert not any(t.read_once for t in report.tables)
    assert pg_all(pg_conn, 'SELECT label FROM moved.t WHERE id = 1') == [("changed",)]
    assert report.table("t").count_match and not report.table("t").sample_mismatches
    assert list(_isolated.iterdir()) == []


@pytest.mark.parametrize("short_of", ["disk", "memory"])
def test_where_it_would_not_pay_nothing_is_kept(
        tmp_path: Path, pg_dsn: str, monkeypatch: pytest.MonkeyPatch, _isolated: Path,
        short_of: str) -> None:
    """Twice the file's size free in $TMPDIR, and the file within a quarter of the memory
    available (the batches should stay in the page cache), or the copy reads SQLite."""
    import shutil

    from sqlite2pg_tui.core.source import spool

    src = _db(tmp_path / "s.db")
    size = src.stat().st_size
    if short_of == "disk":
        real = shutil.disk_usage
        monkeypatch.setattr(shutil, "disk_usage", lambda p: real(p)._replace(free=size))
    else:
        monkeypatch.setattr(spool, "_memory_available", lambda: 3 * size)
    report = _run(src, pg_dsn, tmp_path, "short", spool=True)
    assert report.table("t").count_match
    assert not any(t.read_once for t in report.tables)
    assert list(_isolated.iterdir()) == []


def test_a_cancel_during_the_copy_leaves_no_spool(
        tmp_path: Path, pg_dsn: str, _isolated: Path) -> None:
    from sqlite2pg_tui.core.events import TableStarted

    src = _db(tmp_path / "s.db")
    cancel = threading.Event()
    report = _run(src, pg_dsn, tmp_path, "stopped", spool=True, cancel=cancel,
                  on_event=lambda e: cancel.set() if isinstance(e, TableStarted) else None)
    assert report.cancelled
    assert list(_isolated.iterdir()) == []


def test_a_spool_left_by_a_killed_run_is_removed_by_the_next(
        tmp_path: Path, pg_dsn: str, _isolated: Path) -> None:
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    left = _isolated / f"sqlite2pg-spool-{dead}-abc"
    left.mkdir()
    (left / "1.arrow").write_bytes(b"x" * 1000)
    alive = _isolated / f"sqlite2pg-spool-{os.getppid()}-def"  # a process still running
    alive.mkdir()
    src = _db(tmp_path / "s.db")
    assert _run(src, pg_dsn, tmp_path, "swept", spool=True).table("t").read_once
    assert sorted(p.name for p in _isolated.iterdir()) == [alive.name]


def test_the_wizard_copies_what_its_review_read(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        _isolated: Path) -> None:
    """The Review's profile keeps the batches; the Run takes them for each table whose
    columns the mapping still reads as the profile did, and reads SQLite for the others."""
    from sqlite2pg_tui.tui.backend import Backend

    def run(mapping: Any, schema: str, backend: Backend | None = None) -> Report:
        options = RunOptions(schema=schema, reject_dir=str(tmp_path / f"rj-{schema}"))
        if backend is None:  # with a mapping and no spool: SQLite read again
            return run_migration(str(src), pg_dsn, mapping, options=options)
        return backend.run(str(src), pg_dsn, mapping, options, lambda _e: None,
                           threading.Event())

    src = _db(tmp_path / "s.db")
    backend = Backend()
    backend.profile_tables(str(src), ins := backend.read_source(str(src)), lambda _p: None)
    mapping = backend.plan(ins)
    reviewed = run(mapping, "reviewed", backend)
    assert {t.source: t.read_once for t in reviewed.tables} == {"t": True, "loose": False}
    plain = run(mapping, "plain")
    assert not any(t.read_once for t in plain.tables)
    assert _contents(pg_conn, "reviewed", "t") == _contents(pg_conn, "plain", "t")
    assert reviewed.table("t").rejected_reasons == plain.table("t").rejected_reasons

    # Integers made text: no longer read the way the profile read them.
    backend.profile_tables(str(src), ins := backend.read_source(str(src)), lambda _p: None)
    n = mapping.tables[0].column("n")
    n.pg_type, n.converter = "text", "text"
    changed = run(mapping, "changed", backend)
    assert not changed.table("t").read_once and changed.table("t").count_match
    assert pg_all(pg_conn, "SELECT n FROM changed.t WHERE id = 2") == [("6",)]

    assert list(_isolated.iterdir()) != []  # (the spool, until the wizard ends)
    backend.close()
    assert list(_isolated.iterdir()) == []
