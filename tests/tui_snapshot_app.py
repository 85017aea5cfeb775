"""The wizard on fixed data, for snapshot tests and scripts/screenshots.py.

The SQLite side is the real demo database (built once into a temp dir, shown as
"shop.db"); everything PostgreSQL would say is canned, so pictures carry no live
timings, ports or paths.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from textual.clock import MockClock
from textual.pilot import Pilot

from sqlite2pg_tui.core.events import (
    Log,
    OnEvent,
    PhaseStarted,
    RowsCopied,
    TableFinished,
    TableStarted,
)
from sqlite2pg_tui.core.pipeline import RunOptions
from sqlite2pg_tui.core.plan.mapping import ColumnMapping, Mapping, TableMapping
from sqlite2pg_tui.core.report import Mismatch, NotMigrated, Orphans, Report, TableReport
from sqlite2pg_tui.core.source import dirty
from sqlite2pg_tui.core.source.dirty import ColumnDirt
from sqlite2pg_tui.core.source.inspection import Inspection, inspect, read_source
from sqlite2pg_tui.core.source.profile import TableProfile
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.target.postgres import TargetInfo
from sqlite2pg_tui.core.verify.results import QueryComparison
from sqlite2pg_tui.core.verify.samples import CellPair, RowPair
from sqlite2pg_tui.tui.app import WizardApp
from sqlite2pg_tui.tui.backend import Backend, RejectLine

SHOWN_SOURCE = "shop.db"
DSN = "host=db.example.com port=5432 dbname=shop user=app password=secret"
TARGET = "host=db.example.com port=5432 dbname=shop user=app"


@cache
def demo_path() -> str:
    from sqlite2pg_tui.core.source.demo_data import build_demo

    return str(build_demo(Path(tempfile.mkdtemp(prefix="s2p-snap-")) / "shop.db"))


class FakeClock:
    """Seconds the test sets by hand, for rows/s and ETA."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def canned_report() -> Report:
    return Report(
        source=SHOWN_SOURCE, target=TARGET, schema="public", rejects_dir="rejects",
        tables=[
            TableReport("customers", "customers", 115, 115, 0, 115, True, 20, 0),
            TableReport("orders", "orders", 172, 170, 2, 170, True, 20, 1,
                        rejected_by_column={"placed_at": 2},
                        mismatches=[Mismatch(42, "placed_at", "2024-07-15 02:15:00",
                                             "2024-07-15 03:15:00")]),
            TableReport("order items", "order items", 342, 342, 0, 342, True, 20, 0),
            TableReport("audit_log", "audit_log", 300, 300, 0, 300, True, 20, 0),
        ],
        orphans=[
            Orphans("orders", "customer_id", "customers", 1, "constraint added NOT VALID; rows kept"),
            Orphans("order items", "order_id", "orders", 6, "constraint added NOT VALID; rows kept"),
        ],
        not_migrated=[
            NotMigrated("internal", "sqlite_sequence", "SQLite's own bookkeeping, not data"),
            NotMigrated("trigger", "customers_touch", "triggers need porting by hand to PL/pgSQL",
                        "CREATE TRIGGER customers_touch AFTER UPDATE ON customers BEGIN … END"),
        ],
        phases_s={"inspect": 0.1, "schema": 0.1, "data": 0.4, "verify": 0.2},
        checks=canned_checks(),
    )


def canned_checks() -> list[dict[str, Any]]:
    """What run_migration puts in Report.checks: default checks per table, then the mapping's."""
    def default(name: str, ok: bool = True, **extra: Any) -> dict[str, Any]:
        return {"name": name, "ok": ok, "sqlite_rows": 1, "pg_rows": 1,
                "first_difference": None, "kind": "default", **extra}

    return [
        default("customers: rows"),
        default("customers: min(id)"),
        default("customers: nulls(email)"),
        default("orders: rows"),
        default("orders: sum(total)"),
        default("orders: max(placed_at)", False,
                first_difference={"row": 0, "sqlite": ["2024-12-31 23:15:00"],
                                  "postgres": ["2025-01-01 00:15:00"]}),
        default("orders: nulls(notes)", note="1 value(s) set to NULL by the column's "
                "on_error policy"),
        default("order items: rows"),
        default("audit_log: rows"),
        {"name": "paid orders", "ok": True, "sqlite_rows": 1, "pg_rows": 1,
         "first_difference": None, "kind": "user",
         "sqlite_sql": "SELECT count(*) FROM orders WHERE paid = 1",
         "postgres_sql": 'SELECT COUNT(*) FROM "orders" WHERE "paid" = TRUE'},
        {"name": "totals by customer", "ok": False, "sqlite_rows": 3, "pg_rows": 3,
         "first_difference": None, "kind": "user",
         "error": "PostgreSQL: function group_concat(numeric) does not exist",
         "sqlite_sql": "SELECT customer_id, group_concat(total) FROM orders GROUP BY 1"},
    ]


CANNED_QUERY = "SELECT id, placed_at, total FROM orders\nWHERE id BETWEEN 40 AND 44 ORDER BY id"


def canned_query(sqlite_sql: str) -> QueryComparison:
    """The canned answer to any query: one timestamp an hour off, as in canned_report."""
    stamps = ["2024-05-13 00:15:00", "2024-06-14 01:15:00", "2024-07-15 02:15:00",
              "2024-08-16 03:15:00", "2024-09-17 04:15:00"]
    totals = [140, 143.5, 147, 150.5, 154]
    srows = [(40 + i, stamps[i].replace(" ", "T"), totals[i]) for i in range(5)]
    stamps[2] = "2024-07-15 03:15:00"
    prows = [(40 + i, datetime.fromisoformat(stamps[i]), Decimal(f"{totals[i]:.2f}"))
             for i in range(5)]
    diff = {"row": 2, "sqlite": [42, "2024-07-15 02:15:00", 147],
            "postgres": [42, "2024-07-15 03:15:00", 147]}
    return QueryComparison(
        sqlite_sql=sqlite_sql,
        postgres_sql='SELECT "id", "placed_at", "total" FROM "orders" WHERE "id" BETWEEN 40 AND 44 '
                     'ORDER BY "id" NULLS FIRST',
        ordered=True, sqlite_columns=["id", "placed_at", "total"],
        postgres_columns=["id", "placed_at", "total"], sqlite_rows=srows, postgres_rows=prows,
        ok=False, first_difference=diff, differences=[diff])


def _cells(row: list[tuple[str, str, str, str]], differ: str = "") -> list[CellPair]:
    return [CellPair(c, s, e, p, c != differ) for c, s, e, p in row]


def canned_rows(table: str) -> list[RowPair]:
    if table != "orders":
        return [RowPair(1, True, False, _cells([("id", "1", "1", "1"),
                                                 ("name", "'Customer 1'", "'Customer 1'",
                                                  "'Customer 1'")]))]
    return [
        RowPair(5, True, False, _cells([
            ("id", "5", "5", "5"), ("customer_id", "3", "3", "3"),
            ("placed_at", "'2024-06-06T05:15:00'", "2024-06-06 05:15:00", "2024-06-06 05:15:00"),
            ("total", "'17.50'", "17.50", "17.5"), ("paid", "1", "True", "True"),
            ("notes", "'tab\\there\\nnewline'", "'tab\\there\\nnewline'", "'tab\\there\\nnewline'"),
            ("meta", "'{\"channel\": \"web\"}'", "'{\"channel\": \"web\"}'", '{"channel": "web"}'),
        ])),
        RowPair(17, False, True),
        RowPair(42, True, False, _cells([
            ("id", "42", "42", "42"), ("customer_id", "20", "20", "20"),
            ("placed_at", "'2024-07-15T02:15:00'", "2024-07-15 02:15:00", "2024-07-15 03:15:00"),
            ("total", "'147.00'", "147.00", "147.0"),
        ], differ="placed_at")),
    ]


class FakeBackend(Backend):
    """The real SQLite side (on the demo file), a canned PostgreSQL side."""

    def __init__(self, existing: tuple[str, ...] = ("customers",)) -> None:
        self.real = demo_path()
        self.existing = existing

    def _real(self, path: str) -> str:
        return self.real if path == SHOWN_SOURCE else path

    def inspect(self, path: str, on_table: Callable[[str, int, int], None] | None = None) -> Inspection:
        ins = inspect(self._real(path), on_table=on_table)
        ins.schema.path = path
        return ins

    def read_source(self, path: str) -> Inspection:
        ins = read_source(self._real(path))
        ins.schema.path = path
        return ins

    def profile_tables(self, path: str, ins: Inspection, on_profile: Callable[[TableProfile], None],
                       cancel: threading.Event | None = None) -> None:
        super().profile_tables(self._real(path), ins, on_profile, cancel)

    def probe(self, dsn: str, schema: str, tables: list[str]) -> TargetInfo:
        return TargetInfo("16.4", "app", "shop", schema, True, True,
                          [t for t in tables if t in self.existing])

    def scan_table(self, path: str, table: Table, tm: TableMapping,
                   profile: TableProfile | None = None) -> dict[str, ColumnDirt]:
        return dirty.scan_table(self._real(path), table, tm, profile=profile)

    def scan_column(self, path: str, table: Table, cm: ColumnMapping,
                    profile: TableProfile | None = None) -> ColumnDirt:
        return dirty.scan_column(self._real(path), table, cm, profile=profile)

    def run(self, source: str, dsn: str, mapping: Mapping, options: RunOptions,
            on_event: OnEvent, cancel: threading.Event) -> Report:
        return canned_report()

    def sample_rows(self, source: str, dsn: str, schema: str, table: Table, tm: TableMapping,
                    n: int = 12, seed: int = 1) -> list[RowPair]:
        return canned_rows(table.name)

    def exclusions(self, source: str, mapping: Mapping, report: Report) -> dict[str, set[Any]]:
        return {"orders": {17, 23}}

    def query_both(self, source: str, dsn: str, mapping: Mapping, sqlite_sql: str, schema: str,
                   exclude: dict[str, set[Any]]) -> QueryComparison:
        return canned_query(sqlite_sql)

    def read_rejects(self, reject_dir: str | None, target: str, limit: int = 500) -> list[RejectLine]:
        if target != "orders":
            return []
        return [RejectLine("17", "placed_at", "'2024-02-30 10:00:00'",
                           "impossible date (day is out of range for month)"),
                RejectLine("23", "placed_at", "'yesterday'", "not an ISO 8601 date/time")]


def make_app(mapping: str | None = None, **kwargs: Any) -> WizardApp:
    return WizardApp(SHOWN_SOURCE, DSN, mapping, "replace", backend=FakeBackend(),
                     reject_dir="rejects", env={}, clock=FakeClock(), bar_clock=MockClock(),
                     cursor_blink=False, **kwargs)


# --- getting to each screen ------------------------------------------------------------

async def settle(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def to_connect(pilot: Pilot[Any]) -> None:
    await settle(pilot)


def drifted_mapping() -> Mapping:
    """A mapping saved before the database changed: one table gone, a column moved on."""
    from sqlite2pg_tui.core.plan.propose import plan

    ins = inspect(demo_path())
    m = plan(ins.schema, ins.profiles)
    m.tables = [t for t in m.tables if t.source != "audit_log"]
    customers = m.table("customers")
    customers.column("email").declared = "VARCHAR(80)"
    customers.columns.append(ColumnMapping("phone", "phone", "TEXT", "text", "text"))
    return m


async def to_drift(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, WizardApp)
    app.state.pending_mapping = drifted_mapping()
    app.state.mapping_path = "shop.toml"
    await pilot.press("ctrl+t")
    await settle(pilot)


async def to_review(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("ctrl+n")
    await settle(pilot)


async def to_review_dirty(pilot: Pilot[Any]) -> None:
    await to_review(pilot)
    await pilot.press("down", "tab", "down", "down")
    await settle(pilot)


async def to_converter(pilot: Pilot[Any]) -> None:
    await to_review_dirty(pilot)
    await pilot.press("c")
    await settle(pilot)


async def to_type(pilot: Pilot[Any]) -> None:
    await to_review_dirty(pilot)
    await pilot.press("t")
    await settle(pilot)


async def to_help(pilot: Pilot[Any]) -> None:
    await to_review(pilot)
    await pilot.press("question_mark")
    await settle(pilot)


async def to_run(pilot: Pilot[Any]) -> None:
    await to_review(pilot)
    await pilot.press("ctrl+n")
    await settle(pilot)


def _progress_events(app: WizardApp) -> None:
    from sqlite2pg_tui.tui.screens.run import RunScreen

    screen = app.screen
    assert isinstance(screen, RunScreen)
    clock = app.clock
    assert isinstance(clock, FakeClock)
    screen.begin()
    for ev in (PhaseStarted("inspect"), PhaseStarted("schema"),
               Log("dropping existing table public.customers"), PhaseStarted("data"),
               TableStarted("order items", 342), TableStarted("audit_log", 300),
               TableFinished("audit_log", 300, 0, 0.3), TableStarted("orders", 172),
               RowsCopied("order items", 200, 342), RowsCopied("orders", 60, 172)):
        screen.apply_event(ev)
    clock.now += 2.0
    screen.tick()


async def to_run_progress(pilot: Pilot[Any]) -> None:
    await to_run(pilot)
    _progress_events(pilot.app)  # type: ignore[arg-type]
    await pilot.pause()


async def to_run_done(pilot: Pilot[Any]) -> None:
    from sqlite2pg_tui.tui.screens.run import RunScreen

    await to_run_progress(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RunScreen)
    for ev in (TableFinished("order items", 342, 0, 0.4), TableFinished("orders", 170, 2, 0.3),
               TableStarted("customers", 115), TableFinished("customers", 115, 0, 0.1),
               PhaseStarted("constraints"), PhaseStarted("foreign keys"),
               Log("1 orphan row(s) in orders(customer_id) → customers", "warning"),
               PhaseStarted("verify")):
        screen.apply_event(ev)
    screen.finish(canned_report())
    await pilot.pause()


async def to_compare(pilot: Pilot[Any]) -> None:
    await to_run_done(pilot)
    await pilot.press("ctrl+n")
    await settle(pilot)


async def to_compare_orders(pilot: Pilot[Any]) -> None:
    await to_compare(pilot)
    await pilot.press("down")
    await settle(pilot)


async def to_compare_rejects(pilot: Pilot[Any]) -> None:
    await to_compare_orders(pilot)
    await pilot.press("2")
    await settle(pilot)


async def to_compare_other(pilot: Pilot[Any]) -> None:
    await to_compare(pilot)
    await pilot.press("3")
    await settle(pilot)


async def to_compare_checks(pilot: Pilot[Any]) -> None:
    """4 Checks, the failing default check highlighted."""
    await to_compare(pilot)
    await pilot.press("4")
    await settle(pilot)
    for _ in range(5):
        await pilot.press("down")
    await settle(pilot)


async def to_compare_query(pilot: Pilot[Any]) -> None:
    """5 Query: a query typed, run (canned answer: one timestamp differs), added to checks."""
    from textual.widgets import TextArea

    from sqlite2pg_tui.tui.screens.modals import PathModal

    await to_compare(pilot)
    await pilot.press("5")
    await settle(pilot)
    area = pilot.app.screen.query_one("#q-sql", TextArea)
    area.text = CANNED_QUERY
    area.move_cursor(area.document.end)
    await pilot.press("ctrl+r")
    await settle(pilot)
    await pilot.press("ctrl+a")
    await settle(pilot)
    assert isinstance(pilot.app.screen, PathModal)
    await pilot.press("ctrl+u", *"one hour off", "enter")  # ctrl+u clears the field
    await settle(pilot)


SAMPLE_APP = Path(__file__).resolve().parent / "sample_app"


async def to_next_steps(pilot: Pilot[Any]) -> None:
    """Next steps after a scan of tests/sample_app (shown relative: no absolute paths)."""
    import os

    from textual.widgets import Input, Static

    await to_compare(pilot)
    await pilot.press("ctrl+n")
    await settle(pilot)
    folder = pilot.app.screen.query_one("#ns-folder", Input)
    folder.value = os.path.relpath(SAMPLE_APP)
    folder.cursor_position = 0
    await pilot.press("ctrl+r")
    await settle(pilot)
    status = pilot.app.screen.query_one("#ns-code-status", Static)
    for _ in range(50):  # the scan's message may land a frame after its worker ends
        if "finding(s)" in str(status.render()):
            break
        await pilot.pause(0.05)
    await pilot.pause()
    await pilot.pause()


STAGES: dict[str, Callable[[Pilot[Any]], Awaitable[None]]] = {
    "connect": to_connect,
    "drift": to_drift,
    "review": to_review,
    "review-dirty": to_review_dirty,
    "converter": to_converter,
    "type": to_type,
    "help": to_help,
    "run": to_run,
    "run-progress": to_run_progress,
    "run-done": to_run_done,
    "compare": to_compare_orders,
    "compare-rejects": to_compare_rejects,
    "compare-other": to_compare_other,
    "compare-checks": to_compare_checks,
    "compare-query": to_compare_query,
    "next-steps": to_next_steps,
}


def screen_text(app: WizardApp) -> str:
    """The screen as plain text, as a person reads it (for layout tests)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system=None, record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.export_text()
