"""The SQLite file is never modified: same bytes, and no -wal/-shm/-journal left behind,
whatever command ran, including on a WAL-mode database."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from helpers import dir_snapshot, isolate_environment, make_sqlite, run_cli

SCHEMA = """
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, at TEXT, n INTEGER);
CREATE INDEX t_name ON t(name);
CREATE TABLE seq(id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
"""
ROWS = [(i, f"name {i}", f"2024-01-{1 + i % 28:02d}T00:00:00Z", i if i % 10 else "dirty")
        for i in range(1, 300)]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


def _make(directory: Path, wal: bool) -> Path:
    directory.mkdir()
    path = make_sqlite(directory / "src.db", SCHEMA, {"t": ROWS, "seq": [(1, "a"), (2, "b")]},
                       wal=wal)
    conn = sqlite3.connect(path)
    try:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()  # the last connection closing removes -wal and -shm
    assert mode == ("wal" if wal else "delete")
    return path


@pytest.mark.parametrize("wal", [False, True], ids=["rollback-journal", "wal"])
def test_no_command_modifies_the_source(wal: bool, tmp_path: Path, pg_dsn: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    src = _make(tmp_path / "db", wal)
    before = dir_snapshot(src.parent)
    assert list(before) == ["src.db"]  # a clean start: no WAL files lying around
    mtime = os.stat(src).st_mtime_ns
    out = tmp_path / "out"
    steps = [
        ("inspect", src),
        ("inspect", src, "--json"),
        ("plan", src, "-o", out / "m.toml"),
        ("run", src, "--pg", pg_dsn, "--quiet", "--reject-dir", out / "rj",
         "--report", out / "r.json"),
        ("run", src, "--pg", pg_dsn, "--quiet", "--reject-dir", out / "rj", "--mapping",
         out / "m.toml", "--if-exists", "replace"),
        ("verify", src, "--pg", pg_dsn, "--quiet", "--sample", "1000"),
    ]
    for argv in steps:
        res = run_cli(capsys, *argv)
        assert res.code in (0, 1), (argv, res.err)  # 1: the "dirty" values are rejected
        assert dir_snapshot(src.parent) == before, argv
    assert os.stat(src).st_mtime_ns == mtime


def test_source_on_a_read_only_directory(tmp_path: Path, pg_dsn: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    # A file someone may read but not write (a backup, a mounted snapshot) still migrates.
    if os.geteuid() == 0:
        pytest.skip("root ignores file permissions")
    src = _make(tmp_path / "ro", wal=False)
    src.chmod(0o444)
    src.parent.chmod(0o555)
    try:
        res = run_cli(capsys, "run", src, "--pg", pg_dsn, "--quiet",
                      "--reject-dir", tmp_path / "rj")
        assert res.code in (0, 1), res.err
    finally:
        src.parent.chmod(0o755)


def test_wal_database_in_use_reads_the_latest_commits(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # While an application holds the file open, committed rows may live only in -wal:
    # they must be read, and the application's -wal/-shm left as they are.
    src = _make(tmp_path / "live", wal=True)
    writer = sqlite3.connect(src)
    try:
        writer.execute("PRAGMA wal_autocheckpoint=0")  # keep new rows in -wal
        writer.executemany("INSERT INTO seq(v) VALUES (?)", [("late",)] * 5)
        writer.commit()
        assert (src.parent / "src.db-wal").stat().st_size > 0
        res = run_cli(capsys, "inspect", src, "--json")
        assert res.code == 0, res.err

        tables = {t["name"]: t for t in json.loads(res.out)["tables"]}
        assert tables["seq"]["rows"] == 7
        assert tables["seq"]["sequence"] == 7
        # The writer is unharmed and can go on.
        writer.execute("INSERT INTO seq(v) VALUES ('after')")
        writer.commit()
    finally:
        writer.close()
    assert sorted(p.name for p in src.parent.iterdir()) == ["src.db"]
