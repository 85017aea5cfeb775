"""Defects a newcomer found walking the wizard (issue 13), each driven by keys against a
real PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

from test_tui_wizard import NO_SERVER, SIZE, settle, text_of
from textual.widgets import Label, Static

from sqlite2pg_tui.core.events import Event, OnEvent, PhaseStarted
from sqlite2pg_tui.core.pipeline import RunOptions
from sqlite2pg_tui.core.plan.mapping import Mapping
from sqlite2pg_tui.core.report import Report
from sqlite2pg_tui.core.source.demo_data import build_demo
from sqlite2pg_tui.tui.app import WizardApp
from sqlite2pg_tui.tui.backend import Backend
from sqlite2pg_tui.tui.screens.connect import ConnectScreen
from sqlite2pg_tui.tui.screens.converter import ConverterModal
from sqlite2pg_tui.tui.screens.modals import ChoiceModal
from sqlite2pg_tui.tui.screens.review import ReviewScreen
from sqlite2pg_tui.tui.screens.run import RunScreen
from sqlite2pg_tui.tui.widgets.choice import Choice


async def test_next_stays_on_connect_when_postgresql_failed(tmp_path: Path) -> None:
    """#3: ^n went on to Review ("✓ ready") and Run ("Ready to migrate") with no server."""
    src = build_demo(tmp_path / "shop.db")
    app = WizardApp(str(src), NO_SERVER, None, None, env={})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.state.ready and "cannot connect" in app.state.target_error
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, ConnectScreen)
        shown = [n.message for n in app._notifications]
        assert any("Fix the PostgreSQL target" in m for m in shown), shown


async def test_a_changed_target_is_tested_again_before_review(pg_dsn: str, tmp_path: Path) -> None:
    """#3: a target edited after a good Test is not trusted on the old answer."""
    src = build_demo(tmp_path / "shop.db")
    app = WizardApp(str(src), pg_dsn, None, None, env={})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.state.target is not None
        connect = app.screen
        assert isinstance(connect, ConnectScreen)
        connect.query_one("#port").value = "1"  # type: ignore[attr-defined]
        await pilot.pause()
        assert app.state.target is None
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, ConnectScreen)
        assert app.state.target_error


async def test_run_summary_after_a_run_says_the_tables_exist(pg_dsn: str, tmp_path: Path) -> None:
    """#5: esc, esc, ^n after a run showed "no target table exists yet"."""
    src = build_demo(tmp_path / "shop.db")
    app = WizardApp(str(src), pg_dsn, None, None, reject_dir=str(tmp_path / "rj"), env={})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+n", "enter")
        await settle(pilot)
        assert app.state.report is not None and not app.state.report.cancelled
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("ctrl+n")
        await settle(pilot)
        summary = text_of(app.screen.query_one("#run-summary", Static))
        assert "no target table exists yet" not in summary
        assert "customers, orders, order items, audit_log exist" in summary


class CancelAtData(Backend):
    """The real run, cancelled the moment the data phase starts (the tables exist, empty)."""

    def run(self, source: str, dsn: str, mapping: Mapping, options: RunOptions,
            on_event: OnEvent, cancel: threading.Event) -> Report:
        def hook(ev: Event) -> None:
            if isinstance(ev, PhaseStarted) and ev.phase == "data":
                cancel.set()
            on_event(ev)

        return super().run(source, dsn, mapping, options, hook, cancel)


async def test_retry_after_a_cancelled_run_needs_no_choice(pg_dsn: str, tmp_path: Path) -> None:
    """#6: a run cancelled as its data phase starts leaves no empty table behind (the core
    drops what it created and never committed), so the retry from the same screen just runs,
    with no "already exists" question and no "replace" needed."""
    src = build_demo(tmp_path / "shop.db")
    app = WizardApp(str(src), pg_dsn, None, None, backend=CancelAtData(),
                    reject_dir=str(tmp_path / "rj"), env={})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+n", "enter")
        await settle(pilot)
        run = app.screen
        assert isinstance(run, RunScreen)
        report = app.state.report
        assert report is not None and report.cancelled
        assert "PostgreSQL holds nothing from this run" in " ".join(report.after_cancel)
        app.backend = Backend()  # the retry runs to the end
        await pilot.press("enter")  # retry from the same screen
        await settle(pilot)
        assert not isinstance(app.screen, ChoiceModal)
        assert app.state.if_exists == "fail"
        report = app.state.report
        assert report is not None and not report.cancelled
        assert [t.target_rows for t in report.tables] == [115, 170, 342, 300]


async def test_set_null_is_not_offered_on_a_not_null_column(tmp_path: Path) -> None:
    """#4: "set NULL" was accepted on orders.placed_at (NOT NULL); the run rejected the rows."""
    src = build_demo(tmp_path / "shop.db")
    app = WizardApp(str(src), NO_SERVER, None, None, env={})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.state.target_error = ""  # Review itself needs no server; reach it directly
        app.push_screen(ReviewScreen())
        await settle(pilot)
        review = app.screen
        assert isinstance(review, ReviewScreen)
        await pilot.press("down", "tab", "down", "down")
        await settle(pilot)
        assert (review.table_name, review.column_name) == ("orders", "placed_at")
        assert "declared DATETIME NOT NULL" in text_of(review.query_one("#column-detail", Static))
        await pilot.press("c")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ConverterModal)
        policy = modal.query_one("#policy", Choice)
        seen = set()
        for _ in range(4):
            seen.add(policy.value)
            await pilot.press("o")
        assert seen == {"reject", "abort"}
        assert "NOT NULL" in text_of(modal.query_one("#policy-why", Label))
        await pilot.press("enter")
        await settle(pilot)
        assert app.state.mapping is not None
        assert app.state.mapping.table("orders").column("placed_at").on_error != "null"

        # A nullable dirty column still offers it.
        assert not app.state.not_null("orders", "notes")
