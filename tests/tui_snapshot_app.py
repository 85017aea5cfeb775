"""The wizard on fixed data, for snapshot tests and scripts/screenshots.py.

The SQLite side is the real demo database (built once into a temp dir, shown as
"shop.db"); everything PostgreSQL would say is canned, so pictures carry no live
timings, ports or paths.
"""

from __future__ import annotations

import os
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
from textual.widgets import Input, Static, TextArea

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
from sqlite2pg_tui.tui.screens.compare import CompareScreen
from sqlite2pg_tui.tui.screens.modals import PathModal
from sqlite2pg_tui.tui.screens.run import RunScreen

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


async def until(pilot: Pilot[Any], cond: Callable[[], bool], tries: int = 400) -> None:
    for _ in range(tries):
        if cond():
            return
        await pilot.pause(0.05)
    raise RuntimeError("the wizard never got there")


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


SAMPLE_APP = Path(__file__).resolve().parent / "sample_app"
Stage = Callable[[Pilot[Any]], Awaitable[None]]


class WizardDriver:
    """The keys a person presses to reach each stage of the wizard: the one home for the
    snapshot tests (this canned driver) and scripts/screenshots.py (which makes a real run
    and types other text: see RealRunDriver there)."""

    query = CANNED_QUERY  # typed in Compare's 5 Query
    check_name: str | None = "one hour off"  # the query is added to the checks under it

    @property
    def code_folder(self) -> str:
        """Scanned in Next steps; relative to where the test runs, so no absolute path shows."""
        return os.path.relpath(SAMPLE_APP)

    async def settle(self, pilot: Pilot[Any]) -> None:
        await settle(pilot)

    async def connect(self, pilot: Pilot[Any]) -> None:
        await self.settle(pilot)

    async def drift(self, pilot: Pilot[Any]) -> None:
        await self.settle(pilot)
        app = pilot.app
        assert isinstance(app, WizardApp)
        app.state.pending_mapping = drifted_mapping()
        app.state.mapping_path = "shop.toml"
        await pilot.press("ctrl+t")
        await until(pilot, lambda: app.state.target is not None or bool(app.state.target_error))
        await self.settle(pilot)

    async def review(self, pilot: Pilot[Any]) -> None:
        await self.settle(pilot)
        await pilot.press("ctrl+n")
        await self.settle(pilot)

    async def review_dirty(self, pilot: Pilot[Any]) -> None:
        await self.review(pilot)
        await pilot.press("down", "tab", "down", "down")
        await self.settle(pilot)

    async def converter(self, pilot: Pilot[Any]) -> None:
        await self.review_dirty(pilot)
        await pilot.press("c")
        await self.settle(pilot)

    async def type_(self, pilot: Pilot[Any]) -> None:
        await self.review_dirty(pilot)
        await pilot.press("t")
        await self.settle(pilot)

    async def help(self, pilot: Pilot[Any]) -> None:
        await self.review(pilot)
        await pilot.press("question_mark")
        await self.settle(pilot)

    async def run(self, pilot: Pilot[Any]) -> None:
        await self.review(pilot)
        await pilot.press("ctrl+n")
        await self.settle(pilot)

    async def run_progress(self, pilot: Pilot[Any]) -> None:
        """Part way through a run: canned events, two seconds on the wizard's clock."""
        await self.run(pilot)
        app = pilot.app
        assert isinstance(app, WizardApp)
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
        await pilot.pause()

    async def run_done(self, pilot: Pilot[Any]) -> None:
        await self.run_progress(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, RunScreen)
        for ev in (TableFinished("order items", 342, 0, 0.4),
                   TableFinished("orders", 170, 2, 0.3),
                   TableStarted("customers", 115), TableFinished("customers", 115, 0, 0.1),
                   PhaseStarted("constraints"), PhaseStarted("foreign keys"),
                   Log("1 orphan row(s) in orders(customer_id) → customers", "warning"),
                   PhaseStarted("verify")):
            screen.apply_event(ev)
        screen.finish(canned_report())
        await pilot.pause()

    async def compare(self, pilot: Pilot[Any]) -> None:
        await self.run_done(pilot)
        await pilot.press("ctrl+n")
        await self.settle(pilot)

    async def compare_orders(self, pilot: Pilot[Any]) -> None:
        await self.compare(pilot)
        await pilot.press("down")
        await self.settle(pilot)

    async def compare_rejects(self, pilot: Pilot[Any]) -> None:
        await self.compare_orders(pilot)
        await pilot.press("2")
        await self.settle(pilot)

    async def compare_other(self, pilot: Pilot[Any]) -> None:
        await self.compare(pilot)
        await pilot.press("3")
        await self.settle(pilot)

    async def compare_checks(self, pilot: Pilot[Any]) -> None:
        """4 Checks, the failing default check highlighted."""
        await self.compare(pilot)
        await pilot.press("4")
        await self.settle(pilot)
        for _ in range(5):
            await pilot.press("down")
        await self.settle(pilot)

    async def compare_query(self, pilot: Pilot[Any]) -> None:
        """5 Query: a query typed and run (canned answer: one timestamp differs), then added
        to the checks when check_name is set."""
        await self.compare(pilot)
        await pilot.press("5")
        await self.settle(pilot)
        area = pilot.app.screen.query_one("#q-sql", TextArea)
        area.text = self.query
        area.move_cursor(area.document.end)
        await pilot.press("ctrl+r")
        screen = pilot.app.screen
        assert isinstance(screen, CompareScreen)
        await until(pilot, lambda: screen.comparison is not None or bool(screen.query_error))
        await self.settle(pilot)
        if self.check_name is None:
            return
        await pilot.press("ctrl+a")
        await self.settle(pilot)
        assert isinstance(pilot.app.screen, PathModal)
        await pilot.press("ctrl+u", *self.check_name, "enter")  # ctrl+u clears the field
        await self.settle(pilot)

    async def next_steps(self, pilot: Pilot[Any]) -> None:
        """Next steps after a scan of code_folder."""
        await self.compare(pilot)
        await pilot.press("ctrl+n")
        await self.settle(pilot)
        folder = pilot.app.screen.query_one("#ns-folder", Input)
        folder.value = self.code_folder
        folder.cursor_position = 0
        await pilot.press("ctrl+r")
        await self.settle(pilot)
        status = pilot.app.screen.query_one("#ns-code-status", Static)
        # The scan's message may land a frame after its worker ends.
        await until(pilot, lambda: "finding(s)" in str(status.render()))
        await pilot.pause()
        await pilot.pause()

    def stages(self) -> dict[str, Stage]:
        """Each picture's name and how to get there."""
        return {
            "connect": self.connect,
            "drift": self.drift,
            "review": self.review,
            "review-dirty": self.review_dirty,
            "converter": self.converter,
            "type": self.type_,
            "help": self.help,
            "run": self.run,
            "run-progress": self.run_progress,
            "run-done": self.run_done,
            "compare": self.compare_orders,
            "compare-rejects": self.compare_rejects,
            "compare-other": self.compare_other,
            "compare-checks": self.compare_checks,
            "compare-query": self.compare_query,
            "next-steps": self.next_steps,
        }


DRIVER = WizardDriver()
STAGES: dict[str, Stage] = DRIVER.stages()
# The steps other tests start from.
to_review, to_run, to_compare = DRIVER.review, DRIVER.run, DRIVER.compare


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
