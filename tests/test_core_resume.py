"""`run --resume`: an interrupted run's tables copied in full are kept (counts, and with
--full-verify digests, match), the rest are copied, and the report says which and why."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg2.extensions
import pytest
from helpers import isolate_environment, pg_count, pg_one, pg_table_exists, run_cli

from sqlite2pg_tui.core.events import TableStarted
from sqlite2pg_tui.core.pipeline import RunOptions, plan_for, run_migration

BIG = 60_000


@pytest.fixture
def src(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_environment(monkeypatch, tmp_path)
    path = tmp_path / "shop.db"
    conn = sqlite3.connect(path)
    conn.executescript(f"""
        CREATE TABLE big(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER);
        CREATE TABLE small(id INTEGER PRIMARY KEY, big_id INTEGER REFERENCES big(id), label TEXT);
        CREATE INDEX small_big ON small(big_id);
        CREATE VIEW named AS SELECT id, name FROM big WHERE n > 10;
        WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT {BIG})
        INSERT INTO big SELECT x, 'row ' || x, CASE WHEN x = 7 THEN 'seven' ELSE x * 3 END FROM c;
        INSERT INTO small VALUES (1, 1, 'one'), (2, 2, 'two'), (3, 99999999, 'orphan');
    """)
    conn.commit()
    conn.close()
    return path


def _cancelled_after_big(src: Path, dsn: str, rejects: Path) -> Any:
    """One table at a time, largest first: cancel as the second (small) starts."""
    cancel = threading.Event()

    def on_event(e: object) -> None:
        if isinstance(e, TableStarted) and e.table == "small":
            cancel.set()

    return run_migration(str(src), dsn, options=RunOptions(workers=1, reject_dir=str(rejects)),
                         on_event=on_event, cancel=cancel)


def test_resume_after_a_cancel_keeps_the_table_copied_and_copies_the_rest(
        src: Path, tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    first = _cancelled_after_big(src, pg_dsn, tmp_path / "rj")
    assert first.cancelled
    assert pg_count(pg_conn, "big") == BIG - 1  # row 7 rejected ('seven' is no integer)
    assert not pg_table_exists(pg_conn, "small")
    assert any("--resume keeps the tables copied in full" in line for line in first.after_cancel)
    report = run_migration(str(src), pg_dsn, options=RunOptions(
        reject_dir=str(tmp_path / "rj"), resume=True))
    assert report.resumed == [{"table": "big", "note": f"kept: {BIG - 1:,} row(s) copied in full "
                                                       "by an earlier run (count matches)"}]
    big, small = report.table("big"), report.table("small")
    assert (big.engine, big.rejected_rows, big.rejected_by_column) == ("kept", 1, {"n": 1})
    assert small.engine == "columnar" and small.copied_rows == 3
    assert pg_count(pg_conn, "small") == 3
    # The finishing ran for both, once: keys, the unique index, the foreign key, the view.
    assert report.not_migrated == []
    assert pg_one(pg_conn, "SELECT count(*) FROM pg_indexes WHERE tablename = 'big'") == 2
    assert pg_one(pg_conn, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == 1
    assert pg_one(pg_conn, "SELECT count(*) FROM named") == BIG - 4
    assert report.table("big").count_match and report.failed_checks == 0


def test_resume_after_a_finished_run_rebuilds_each_object_once(
        src: Path, tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    done = run_migration(str(src), pg_dsn, options=RunOptions(reject_dir=str(tmp_path / "rj")))
    assert not done.cancelled and done.not_migrated == []
    before = pg_one(pg_conn, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'")
    again = run_migration(str(src), pg_dsn, options=RunOptions(
        reject_dir=str(tmp_path / "rj"), resume=True))
    assert [r["table"] for r in again.resumed if r["note"].startswith("kept")] == ["big", "small"]
    assert again.not_migrated == [] and again.renamed == []
    assert pg_one(pg_conn, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'") == before
    assert pg_count(pg_conn, "big") == BIG - 1 and again.failed_checks == 0
    assert [t.count_match for t in again.tables] == [True, True]


def test_resume_copies_again_a_table_whose_count_or_digest_differs(
        src: Path, tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    _cancelled_after_big(src, pg_dsn, tmp_path / "rj")
    pg_conn.cursor().execute("DELETE FROM big WHERE id = 100")
    report = run_migration(str(src), pg_dsn, options=RunOptions(
        reject_dir=str(tmp_path / "rj"), resume=True))
    assert report.resumed[0]["table"] == "big"
    assert report.resumed[0]["note"].startswith(f"copied again: PostgreSQL held {BIG - 2:,} row(s), "
                                                f"{BIG - 1:,} expected")
    assert pg_count(pg_conn, "big") == BIG - 1 and report.table("big").engine == "columnar"
    # Same count, one value changed: only the digest tells, so only --full-verify does.
    pg_conn.cursor().execute("UPDATE big SET name = 'changed' WHERE id = 5")
    plain = run_migration(str(src), pg_dsn, options=RunOptions(
        reject_dir=str(tmp_path / "rj"), resume=True, checks=False))
    assert plain.table("big").engine == "kept"
    full = run_migration(str(src), pg_dsn, options=RunOptions(
        reject_dir=str(tmp_path / "rj"), resume=True, full=True))
    assert [(r["table"], r["note"]) for r in full.resumed] == [
        ("big", "copied again: its count matches but its digest does not"),
        ("small", "kept: 3 row(s) copied in full by an earlier run (count and digest match)")]
    assert pg_one(pg_conn, "SELECT name FROM big WHERE id = 5") == "row 5"
    assert full.ok is False and full.failed_checks == 0  # row 7's reject is the only difference
    assert [t.checksum_match for t in full.tables] == [True, True]


def test_a_killed_run_leaves_empty_tables_a_rerun_names_and_resume_fills(
        src: Path, tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Like a kill -9 after the tables were created: every table there, none copied.
    _, mapping = plan_for(str(src), None)
    run_migration(str(src), pg_dsn, mapping, options=RunOptions(reject_dir=str(tmp_path / "rj")))
    with pg_conn.cursor() as cur:
        cur.execute("DROP TABLE big, small CASCADE")
    proc = subprocess.Popen([sys.executable, "-c", (
        "import sys, os, signal\n"
        "from sqlite2pg_tui.core.load import copy\n"
        "real = copy.TableCopier.run\n"
        "def run(self):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "copy.TableCopier.run = run\n"
        "from sqlite2pg_tui.cli.main import main\n"
        "sys.exit(main(sys.argv[1:]))\n"), "run", str(src), "--pg", pg_dsn,
        "--reject-dir", str(tmp_path / "rj"), "--quiet"], env=dict(os.environ))
    assert proc.wait(timeout=120) == -signal.SIGKILL
    assert pg_table_exists(pg_conn, "big") and pg_count(pg_conn, "big") == 0
    plain = run_cli(capsys, "run", str(src), "--pg", pg_dsn, "--reject-dir", str(tmp_path / "rj"))
    assert plain.code == 2
    assert "Empty, as an interrupted run leaves them: big, small; --resume keeps" in plain.err
    start = time.monotonic()
    res = run_cli(capsys, "run", str(src), "--pg", pg_dsn, "--reject-dir", str(tmp_path / "rj"),
                  "--resume")
    assert time.monotonic() - start < 60
    assert res.code == 1, res.err  # row 7 rejected
    assert "resumed:\n  big: copied again: the earlier run left it empty" in res.out
    assert pg_count(pg_conn, "big") == BIG - 1 and pg_count(pg_conn, "small") == 3
