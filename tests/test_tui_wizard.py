"""The wizard driven by keys at 80×24, end to end against a real PostgreSQL."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from sqlite2pg_tui.core.pipeline import RunOptions, run_migration
from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.source.demo_data import build_demo
from sqlite2pg_tui.core.source.inspection import inspect
from sqlite2pg_tui.tui.app import WizardApp
from sqlite2pg_tui.tui.screens.compare import CompareScreen
from sqlite2pg_tui.tui.screens.connect import ConnectScreen
from sqlite2pg_tui.tui.screens.converter import ConverterModal
from sqlite2pg_tui.tui.screens.modals import ChoiceModal, ConfirmModal, PathModal
from sqlite2pg_tui.tui.screens.review import ReviewScreen
from sqlite2pg_tui.tui.screens.run import RunScreen
from sqlite2pg_tui.tui.widgets.choice import Choice

SIZE = (80, 24)
NO_SERVER = "host=/nonexistent-s2p-socket-dir port=1"  # fails at once, no timeout


async def settle(pilot: Pilot[Any]) -> None:
    for _ in range(2):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def text_of(widget: Static) -> str:
    """What the widget shows, rendered wide enough that nothing wraps."""
    console = Console(width=300, record=True, color_system=None, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def cell(table: DataTable[Any], row: str, column: str) -> str:
    return str(table.get_cell(row, column))


async def highlight_converter(pilot: Pilot[Any], name: str) -> ConverterModal:
    modal = pilot.app.screen
    assert isinstance(modal, ConverterModal)
    for _ in range(25):
        if modal.highlighted == name:
            return modal
        await pilot.press("down")
    raise AssertionError(f"converter {name} not reachable with the arrow keys")


async def test_walk_the_whole_wizard(pg_dsn: str, tmp_path: Path) -> None:
    src = build_demo(tmp_path / "shop.db")
    saved = tmp_path / "shop.toml"
    app = WizardApp(str(src), pg_dsn, None, None, reject_dir=str(tmp_path / "rejects"), env={})
    async with app.run_test(size=SIZE) as pilot:
        # Connect: the check ran on its own because a source was given.
        await settle(pilot)
        assert isinstance(app.screen, ConnectScreen)
        st = app.state
        assert st.source_error == "" and st.target_error == ""
        assert st.target is not None and st.target.can_create and st.target.existing_tables == []
        check = text_of(app.screen.query_one("#check", Static))
        assert "4 tables, 929 rows" in check
        assert f"PostgreSQL {st.target.server_version}" in check

        # Review: exact dirt for the planned converters.
        await pilot.press("ctrl+n")
        await settle(pilot)
        review = app.screen
        assert isinstance(review, ReviewScreen)
        assert st.dirt["orders"]["placed_at"].rejected == 2
        tables = review.query_one("#tables", DataTable)
        assert cell(tables, "orders", "dirty") == "1"

        # Exclude audit_log with space.
        await pilot.press("down", "down", "down", "space")
        assert review.table_name == "audit_log"
        assert st.mapping is not None and not st.mapping.table("audit_log").include
        assert "no" in cell(tables, "audit_log", "incl")

        # orders.placed_at: keep its two odd values by making it text.
        await pilot.press("up", "up", "tab", "down", "down")
        assert (review.table_name, review.column_name) == ("orders", "placed_at")
        assert "2 refused by timestamp" in str(review.query_one("#dirt-title").render())
        await pilot.press("c")
        await highlight_converter(pilot, "text")
        await pilot.press("enter")
        await settle(pilot)
        placed_at = st.mapping.table("orders").column("placed_at")
        assert (placed_at.converter, placed_at.pg_type) == ("text", "text")
        assert st.dirt["orders"]["placed_at"].rejected == 0
        assert review.column_name == "placed_at"  # the cursor stays where it was
        assert cell(review.query_one("#columns", DataTable), "placed_at", "converter") == "text"

        # Save the mapping (ctrl+s, path edited in the modal).
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PathModal)
        app.screen.query_one("#path", Input).value = str(saved)
        await pilot.press("enter")
        await pilot.pause()
        assert saved.exists() and st.mapping_path == str(saved)
        planned = st.mapping.to_dict()

        # Run: the summary, then the real migration.
        await pilot.press("ctrl+n")
        await pilot.pause()
        run = app.screen
        assert isinstance(run, RunScreen)
        assert "3 (629 rows)" in text_of(run.query_one("#run-summary", Static))
        await pilot.press("enter")
        await settle(pilot)
        assert run.status == "done"
        report = st.report
        assert report is not None and report.ok, report.to_json()
        assert "Every row accounted for" in text_of(run.query_one("#run-result", Static))
        assert app.exit_code() == 0

        # Compare: counts on both sides, sampled rows side by side.
        await pilot.press("ctrl+n")
        await settle(pilot)
        compare = app.screen
        assert isinstance(compare, CompareScreen)
        ctable = compare.query_one("#cmp-tables", DataTable)
        assert [cell(ctable, "orders", k) for k in ("source", "target", "rejected", "count")] == \
            ["172", "172", "0", "✓"]
        assert "✓ ok" in cell(ctable, "orders", "result")
        rows = compare.query_one("#rows", DataTable)
        assert rows.row_count > 6  # one line per column of each sampled row
        marks = {str(rows.get_row_at(i)[4]) for i in range(rows.row_count)}
        assert marks == {"✓"}
        await pilot.press("3")
        other = compare.query_one("#other", DataTable)
        kinds = {str(other.get_row_at(i)[0]) for i in range(other.row_count)}
        names = {str(other.get_row_at(i)[1]) for i in range(other.row_count)}
        assert {"orphan rows", "table", "trigger"} <= kinds
        assert "audit_log" in names

    # A new wizard on the saved mapping plans the same thing.
    again = WizardApp(str(src), pg_dsn, str(saved), None, env={})
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.state.mapping is not None
        assert again.state.mapping.to_dict() == planned
        assert again.state.mapping_path == str(saved)
        assert "shop.toml" in text_of(again.screen.query_one("#check", Static))


async def test_drifted_mapping_shows_the_differences(tmp_path: Path) -> None:
    src = build_demo(tmp_path / "shop.db")
    ins = inspect(src)
    mapping = plan(ins.schema, ins.profiles)
    mapping.table("orders").column("placed_at").converter = "text"
    mapping.table("orders").column("placed_at").pg_type = "text"
    saved = mapping.save(tmp_path / "shop.toml")
    conn = sqlite3.connect(src)
    conn.executescript("ALTER TABLE customers ADD COLUMN phone TEXT; DROP TABLE audit_log;")
    conn.close()

    app = WizardApp(str(src), NO_SERVER, str(saved), None, env={})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        assert "customers.phone is new" in modal.body
        assert "'audit_log' is in the mapping but not in the database" in modal.body
        await pilot.press("y")
        await pilot.pause()
        st = app.state
        assert st.mapping is not None
        assert [t.source for t in st.mapping.tables] == ["customers", "orders", "order items"]
        assert st.mapping.table("customers").column("phone").converter == "text"
        assert st.mapping.table("orders").column("placed_at").converter == "text"  # kept
        assert "cannot connect" in st.target_error


async def test_connect_says_what_is_wrong(tmp_path: Path) -> None:
    app = WizardApp(str(tmp_path / "missing.db"), NO_SERVER, None, None, env={})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        check = text_of(app.screen.query_one("#check", Static))
        assert "✗ SQLite file not found" in check
        assert "✗ cannot connect to PostgreSQL" in check
        await pilot.press("ctrl+n")  # cannot go on without a readable source
        await settle(pilot)
        assert isinstance(app.screen, ConnectScreen)



async def test_existing_tables_are_a_choice_on_run_not_a_failure(pg_dsn: str,
                                                                 tmp_path: Path) -> None:
    src = build_demo(tmp_path / "shop.db")
    first = run_migration(str(src), pg_dsn, options=RunOptions(reject_dir=str(tmp_path / "r0")))
    assert not first.cancelled
    app = WizardApp(str(src), pg_dsn, None, None, reject_dir=str(tmp_path / "r1"), env={})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        st = app.state
        assert st.target is not None and len(st.target.existing_tables) == 4
        assert "4 exist: customers, orders, order items, audit_log; the run will stop" in \
            text_of(app.screen.query_one("#check", Static))
        await pilot.press("ctrl+n")
        await settle(pilot)
        tables = app.screen.query_one("#tables", DataTable)
        assert "exists: fail" in cell(tables, "orders", "state")
        await pilot.press("ctrl+n")
        await settle(pilot)
        run = app.screen
        assert isinstance(run, RunScreen)
        assert "enter asks what to do with them" in text_of(run.query_one("#run-summary", Static))
        await pilot.press("enter")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ChoiceModal)  # offered, not "use --if-exists replace"
        assert "customers" in modal.body and "--if-exists" not in modal.body
        await pilot.press("escape")  # not now: nothing happens
        await pilot.pause()
        assert app.screen is run and run.status == "ready" and st.if_exists == "fail"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("r")
        await settle(pilot)
        assert run.status == "done", run.error
        assert st.if_exists == "replace" and st.mapping is not None
        assert st.mapping.if_exists == "replace"
        assert st.report is not None and not st.report.cancelled
        assert [t.target_rows for t in st.report.tables] == [115, 170, 342, 300]

        # Back on Connect, the choice shows in its field.
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, ConnectScreen)
        assert app.screen.query_one("#if-exists", Choice).value == "replace"
