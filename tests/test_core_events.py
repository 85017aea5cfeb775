"""The progress API: run_migration(on_event=...) reports phases and per-table progress."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from helpers import isolate_environment, make_sqlite

from sqlite2pg_tui.core.events import (
    PHASES,
    Event,
    PhaseStarted,
    RowsCopied,
    TableFinished,
    TableStarted,
)
from sqlite2pg_tui.core.pipeline import RunOptions, run_migration
from sqlite2pg_tui.core.report import Report

ROWS = 25_000  # more than two batches


def _rows(dirty_at: int | None = None) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = [(i, i, f"v{i}") for i in range(1, ROWS + 1)]
    if dirty_at is not None:
        rows[dirty_at - 1] = (dirty_at, "not a number", "dirty")
    return rows


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ev") / "ev.db"
    return make_sqlite(path, """
        CREATE TABLE big(id INTEGER PRIMARY KEY, n INTEGER, s TEXT);
        CREATE TABLE late_dirt(id INTEGER PRIMARY KEY, n INTEGER, s TEXT);
        CREATE TABLE tiny(id INTEGER PRIMARY KEY, s TEXT);
        CREATE TABLE empty(id INTEGER PRIMARY KEY, s TEXT);
    """, {"big": _rows(), "late_dirt": _rows(dirty_at=ROWS - 3), "tiny": [(1, "x")]})


TOTALS = {"big": ROWS, "late_dirt": ROWS, "tiny": 1, "empty": 0}


@pytest.fixture(scope="module")
def run(src: Path, tmp_path_factory: pytest.TempPathFactory,
        pg_server_dsn: str) -> tuple[Report, list[Event]]:
    # One migration, inspected by every test below (module scope: it is the slow part).
    import uuid

    import psycopg2
    from psycopg2 import sql

    name = "ev_" + uuid.uuid4().hex[:10]
    admin = psycopg2.connect(pg_server_dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    params = psycopg2.extensions.parse_dsn(pg_server_dsn)
    params["dbname"] = name
    events: list[Event] = []
    try:
        report = run_migration(
            str(src), psycopg2.extensions.make_dsn(**params), on_event=events.append,
            options=RunOptions(reject_dir=str(tmp_path_factory.mktemp("rj"))))
    finally:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()
    return report, events


def test_every_phase_is_announced_in_order(run: tuple[Report, list[Event]]) -> None:
    _, events = run
    assert [e.phase for e in events if isinstance(e, PhaseStarted)] == list(PHASES)


def test_each_table_starts_once_and_finishes_once(run: tuple[Report, list[Event]]) -> None:
    _, events = run
    started = [(e.table, e.total) for e in events if isinstance(e, TableStarted)]
    assert sorted(started) == sorted(TOTALS.items())
    finished = {e.table: e for e in events if isinstance(e, TableFinished)}
    assert len([e for e in events if isinstance(e, TableFinished)]) == len(TOTALS)
    assert {t: (e.copied, e.rejected, e.error) for t, e in finished.items()} == {
        "big": (ROWS, 0, ""), "late_dirt": (ROWS - 1, 1, ""), "tiny": (1, 0, ""),
        "empty": (0, 0, "")}
    assert all(e.seconds >= 0 for e in finished.values())


def test_table_events_come_in_order_within_the_data_phase(run: tuple[Report, list[Event]]) -> None:
    _, events = run
    phase_at = {e.phase: i for i, e in enumerate(events) if isinstance(e, PhaseStarted)}
    for table in TOTALS:
        idx = [i for i, e in enumerate(events)
               if isinstance(e, TableStarted | RowsCopied | TableFinished) and e.table == table]
        assert isinstance(events[idx[0]], TableStarted)
        assert isinstance(events[idx[-1]], TableFinished)
        assert phase_at["data"] < idx[0] and idx[-1] < phase_at["constraints"]


def test_rows_copied_is_monotone_and_reaches_the_total(run: tuple[Report, list[Event]]) -> None:
    _, events = run
    done: dict[str, list[int]] = defaultdict(list)
    for e in events:
        if isinstance(e, RowsCopied):
            assert e.total == TOTALS[e.table]
            assert 0 <= e.done <= e.total
            done[e.table].append(e.done)
    for table, total in TOTALS.items():
        seq = done[table]
        assert seq, f"no RowsCopied for {table}"
        assert seq == sorted(seq), f"{table} progress went backwards: {seq}"
        assert seq[-1] == total


def test_report_matches_the_events(run: tuple[Report, list[Event]]) -> None:
    report, events = run
    finished = {e.table: e for e in events if isinstance(e, TableFinished)}
    for t in report.tables:
        assert (t.copied_rows, t.rejected_rows) == (finished[t.source].copied,
                                                    finished[t.source].rejected)
