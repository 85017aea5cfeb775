"""Each table is copied in its own transaction: a cancelled or failed copy leaves no half
table, and reruns with --if-exists replace give exact counts without duplicates."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg2.extensions
import pytest
from helpers import (
    assert_clean_failure,
    isolate_environment,
    make_sqlite,
    migrate_cli,
    pg_count,
    pg_one,
    pg_table_exists,
    run_cli,
    table_report,
)

from sqlite2pg_tui.core.events import Event, PhaseStarted, RowsCopied, TableFinished
from sqlite2pg_tui.core.load.copy import BATCH_ROWS
from sqlite2pg_tui.core.pipeline import RunOptions, run_migration
from sqlite2pg_tui.core.values import columnar

BIG = 50_000  # several batches, so a cancel can land in the middle of a table


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built once: 50k rows take a moment, and no test changes the file.
    path = tmp_path_factory.mktemp("tx") / "tx.db"
    return make_sqlite(path, """
        CREATE TABLE big(id INTEGER PRIMARY KEY, name TEXT, n INTEGER);
        CREATE TABLE small(id INTEGER PRIMARY KEY, label TEXT);
    """, {"big": ((i, f"row {i}", i * 3) for i in range(1, BIG + 1)),
          "small": [(1, "one"), (2, "two")]})


def test_big_table_needs_several_batches() -> None:
    # otherwise the mid-table cancel below proves nothing, on either engine
    assert 3 * max(BATCH_ROWS, columnar.MAX_BATCH_ROWS) <= BIG


def test_cancel_before_start_copies_nothing(src: Path, tmp_path: Path, pg_dsn: str,
                                            pg_conn: psycopg2.extensions.connection) -> None:
    cancel = threading.Event()

    def on_event(e: Event) -> None:
        if isinstance(e, PhaseStarted) and e.phase == "data":
            cancel.set()  # the tables exist, no copy has started

    report = run_migration(str(src), pg_dsn, options=RunOptions(reject_dir=str(tmp_path / "rj")),
                           on_event=on_event, cancel=cancel)
    assert report.cancelled is True and report.ok is False
    for name in ("big", "small"):
        assert report.table(name).copied_rows == 0
        assert report.table(name).error  # says why, for the report
        # No empty table is left behind to make the rerun fail with "already exists".
        assert not pg_table_exists(pg_conn, name)
    assert report.after_cancel[0] == "PostgreSQL holds nothing from this run (schema public)"
    assert "rolled back and dropped (their copy never committed): big, small" in report.after_cancel
    assert report.after_cancel[-1] == "a rerun starts from the beginning with the same command"


def test_cancel_while_inspecting_writes_nothing(src: Path, tmp_path: Path, pg_dsn: str,
                                               pg_conn: psycopg2.extensions.connection) -> None:
    cancel = threading.Event()
    cancel.set()
    report = run_migration(str(src), pg_dsn, options=RunOptions(reject_dir=str(tmp_path / "rj")),
                           cancel=cancel)
    assert report.cancelled is True and report.tables == []
    assert not pg_table_exists(pg_conn, "big") and not pg_table_exists(pg_conn, "small")
    assert report.after_cancel[0] == ("cancelled while reading the SQLite file: nothing was "
                                      "written to PostgreSQL")


def test_cancel_mid_table_leaves_no_half_table(src: Path, tmp_path: Path, pg_dsn: str,
                                               pg_conn: psycopg2.extensions.connection,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    cancel = threading.Event()
    events: list[Event] = []

    def on_event(e: Event) -> None:
        events.append(e)
        if isinstance(e, RowsCopied) and e.table == "big":
            cancel.set()  # after the first batch of the big table

    report = run_migration(str(src), pg_dsn, options=RunOptions(reject_dir=str(tmp_path / "rj"),
                                                                workers=1),
                           on_event=on_event, cancel=cancel)
    assert report.cancelled is True
    first = next(e for e in events if isinstance(e, RowsCopied) and e.table == "big")
    assert 0 < first.done < BIG  # the cancel really landed mid-table
    finished = [e for e in events if isinstance(e, TableFinished) and e.table == "big"]
    assert len(finished) == 1 and finished[0].error and finished[0].copied == 0
    assert report.table("big").copied_rows == 0
    # Rolled back (not the batches already sent), and the empty table dropped again.
    assert not pg_table_exists(pg_conn, "big")

    # A rerun that replaces the tables gives exact counts.
    res, data = migrate_cli(capsys, src, pg_dsn, tmp_path, "--if-exists", "replace")
    assert res.code == 0, res.err
    assert (pg_count(pg_conn, "big"), pg_count(pg_conn, "small")) == (BIG, 2)
    assert table_report(data, "big")["count_match"] is True


def test_rerun_with_replace_has_no_duplicates(src: Path, tmp_path: Path, pg_dsn: str,
                                              pg_conn: psycopg2.extensions.connection,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        res, _data = migrate_cli(capsys, src, pg_dsn, tmp_path, "--if-exists", "replace")
        assert res.code == 0, res.err
    assert pg_count(pg_conn, "big") == BIG
    assert pg_one(pg_conn, "SELECT count(DISTINCT id) FROM big") == BIG
    assert pg_one(pg_conn, "SELECT sum(n) FROM big") == 3 * BIG * (BIG + 1) // 2


def test_if_exists_fail_names_the_existing_tables(src: Path, tmp_path: Path, pg_dsn: str,
                                                  pg_conn: psycopg2.extensions.connection,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    res, _ = migrate_cli(capsys, src, pg_dsn, tmp_path)
    assert res.code == 0, res.err
    with pg_conn.cursor() as cur:
        cur.execute("INSERT INTO small (label) VALUES ('added in pg')")
    for extra in ((), ("--if-exists", "fail")):
        res = run_cli(capsys, "run", src, "--pg", pg_dsn, "--quiet", *extra)
        line = assert_clean_failure(res, "big", "small", "exist")
        assert line.startswith("sqlite2pg-tui: error:")
    # Nothing was touched.
    assert pg_count(pg_conn, "small") == 3
    assert pg_count(pg_conn, "big") == BIG


def test_a_failing_table_does_not_undo_the_others(tmp_path: Path, pg_dsn: str,
                                                  pg_conn: psycopg2.extensions.connection) -> None:
    # The mapping sends text into varchar(2) with the plain text converter, which knows no
    # length, so PostgreSQL itself refuses the long values; past MAX_PG_REJECT_RETRIES
    # refusals the table fails as a whole. The other tables are committed on their own.
    from sqlite2pg_tui.core.load.copy import MAX_PG_REJECT_RETRIES
    from sqlite2pg_tui.core.plan.propose import plan
    from sqlite2pg_tui.core.source.inspection import inspect

    n_bad = MAX_PG_REJECT_RETRIES + 20  # 'x10' and up are three characters
    path = make_sqlite(tmp_path / "f.db", """
        CREATE TABLE good(id INTEGER PRIMARY KEY, v TEXT);
        CREATE TABLE bad(id INTEGER PRIMARY KEY, v TEXT);
        CREATE TABLE few(id INTEGER PRIMARY KEY, v TEXT);
    """, {"good": [(1, "a"), (2, "b")], "bad": [(i, f"x{i}") for i in range(1, n_bad + 1)],
          "few": [(1, "ab"), (2, "abc"), (3, "cd")]})
    ins = inspect(path)
    mapping = plan(ins.schema, ins.profiles)
    mapping.table("bad").column("v").pg_type = "varchar(2)"
    mapping.table("few").column("v").pg_type = "varchar(2)"
    report = run_migration(str(path), pg_dsn, mapping,
                           options=RunOptions(reject_dir=str(tmp_path / "rj"), workers=1))
    assert report.table("good").ok
    assert pg_count(pg_conn, "good") == 2
    bad = report.table("bad")
    assert bad.error and bad.copied_rows == 0
    assert pg_count(pg_conn, "bad") == 0  # failed as a whole: nothing half-copied
    # A few refusals are rows rejected with PostgreSQL's own words; the rest is copied.
    few = report.table("few")
    assert (few.copied_rows, few.rejected_rows, few.error) == (2, 1, "")
    assert pg_count(pg_conn, "few") == 2
    assert report.ok is False
