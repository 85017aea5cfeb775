"""Compare's 4 Checks and 5 Query panels: canned checks, a canned query, and a real query
run on both sides after a real migration of the demo database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TextArea
from tui_snapshot_app import CANNED_QUERY, canned_checks, make_app, settle, to_compare

from sqlite2pg_tui.core.pipeline import RunOptions, run_migration
from sqlite2pg_tui.core.plan.mapping import Check
from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.source.demo_data import build_demo
from sqlite2pg_tui.core.source.inspection import inspect
from sqlite2pg_tui.tui.app import WizardApp
from sqlite2pg_tui.tui.screens.compare import CompareScreen
from sqlite2pg_tui.tui.screens.modals import HelpModal, PathModal, TextModal
from sqlite2pg_tui.tui.screens.run import RunScreen

SIZE = (80, 24)


def compare_of(pilot: Pilot[Any]) -> CompareScreen:
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    return screen


def rendered(renderable: Any, width: int = 200) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def static_text(screen: CompareScreen, selector: str) -> str:
    content = screen.query_one(selector, Static).content  # a rich renderable or a str
    return rendered(content)


def row_text(table: DataTable[Any], i: int) -> list[str]:
    return [str(c) for c in table.get_row_at(i)]


def status(screen: CompareScreen) -> str:
    return static_text(screen, "#q-status")


async def type_query(pilot: Pilot[Any], text: str) -> None:
    area = compare_of(pilot).query_one("#q-sql", TextArea)
    assert area.has_focus
    area.text = text
    area.move_cursor(area.document.end)
    await pilot.pause()


async def wait_for(pilot: Pilot[Any], cond: Any, tries: int = 200) -> None:
    for _ in range(tries):  # a worker's message may land a frame after the worker ends
        await settle(pilot)
        if cond():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition never met")


# --- 4 Checks, canned ----------------------------------------------------------------------

async def test_checks_table_lists_every_check_with_its_result() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_compare(pilot)
        screen = compare_of(pilot)
        assert "2 check(s) failed (4)" in str(screen.query_one("#verdict").render())
        await pilot.press("4")
        await settle(pilot)
        assert screen.view == "checks"
        assert not screen.query_one("#cmp-tables").display  # database-wide: the list folds away
        table = screen.query_one("#chk-table", DataTable)
        assert table.has_focus
        checks = canned_checks()
        assert table.row_count == len(checks)
        results = [row_text(table, i)[0] for i in range(table.row_count)]
        assert results.count("✓ ok") == len(checks) - 2  # ✓/✗ in text, not only colour
        failing = [i for i, c in enumerate(checks) if not c["ok"]]
        assert all(results[i].startswith("✗") for i in failing)
        diff_row = row_text(table, failing[0])
        assert diff_row[1] == "orders: max(placed_at)" and diff_row[2] == "default"
        assert "2024-12-31 23:15:00 ≠" in diff_row[3]
        assert "error: PostgreSQL" in row_text(table, failing[1])[3]
        assert "Checks (11, 2 ✗)" in static_text(screen, "#cmp-tabs")

        for _ in range(failing[0]):
            await pilot.press("down")
        await pilot.pause()
        detail = static_text(screen, "#chk-detail")
        assert "orders: max(placed_at)" in detail and "✗ diff" in detail
        assert "2024-12-31 23:15:00" in detail and "2025-01-01 00:15:00" in detail
        line = next(x for x in detail.splitlines() if "2024-12-31" in x)
        assert "2025-01-01" in line  # side by side, on one line

        table.move_cursor(row=len(checks) - 2)  # a user check: its SQL on both sides
        await pilot.pause()
        detail = static_text(screen, "#chk-detail")
        assert "SELECT count(*) FROM orders WHERE paid = 1" in detail
        assert '"paid" = TRUE' in detail
        table.move_cursor(row=len(checks) - 1)
        await pilot.pause()
        assert "error: PostgreSQL: function group_concat" in static_text(screen, "#chk-detail")

        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, TextModal)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen

        await pilot.press("1")
        await settle(pilot)
        assert screen.query_one("#cmp-tables").display
        assert screen.query_one("#cmp-tables").has_focus
        await pilot.press("escape")  # back to Run, as before
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)


async def test_help_and_footer_name_the_new_panels() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_compare(pilot)
        screen = compare_of(pilot)
        assert "run_query" not in {b.binding.action for b in screen.active_bindings.values()}
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpModal)
        body = rendered(app.screen.body, 74)
        assert "4 Checks" in body and "5 Query" in body
        assert "ctrl+r" in body and "ctrl+a" in body
        await pilot.press("escape")
        await pilot.press("5")
        await settle(pilot)
        shown = {b.binding.action for b in screen.active_bindings.values()
                 if b.binding.show and b.enabled}
        assert {"run_query", "add_check"} <= shown
        assert "show_value" not in shown and "save_report" not in shown


# --- 5 Query, canned -------------------------------------------------------------------------

async def test_query_panel_marks_differing_cells_and_adds_a_check() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_compare(pilot)
        screen = compare_of(pilot)
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("ctrl+r")  # nothing typed yet
        await settle(pilot)
        assert "type a SQLite query first" in status(screen)
        await type_query(pilot, CANNED_QUERY)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen.comparison is not None)
        text = status(screen)
        assert 'PostgreSQL (translated): SELECT "id", "placed_at"' in text
        assert "✗ differs: row 3" in text
        left = screen.query_one("#q-sqlite", DataTable)
        right = screen.query_one("#q-pg", DataTable)
        assert left.row_count == right.row_count == 5
        assert row_text(left, 2)[1].startswith("≠ 2024-07-15T02:15")
        assert row_text(right, 2)[1].startswith("≠ 2024-07-15 03:15")
        # Equal cells are not marked, whatever type each side used (text vs timestamp, 147.0 vs 147.00).
        assert not any("≠" in c for i in (0, 1, 3, 4) for t in (left, right) for c in row_text(t, i))
        assert not any("≠" in c for c in (row_text(left, 2)[0], row_text(left, 2)[2]))

        mapping = app.state.mapping
        assert mapping is not None and mapping.checks == []
        await pilot.press("ctrl+a")
        await settle(pilot)
        assert isinstance(app.screen, PathModal)
        await pilot.press("escape")  # cancelled: nothing added
        await settle(pilot)
        assert mapping.checks == []
        for name in ("one hour off", "one hour off"):
            await pilot.press("ctrl+a")
            await settle(pilot)
            await pilot.press("ctrl+u", *name, "enter")
            await settle(pilot)
        assert mapping.checks == [Check("one hour off", CANNED_QUERY)]  # the second one refused
        assert "exists already" in status(screen)


# --- 5 Query, for real -------------------------------------------------------------------------

async def test_real_query_runs_on_both_sides(tmp_path: Path, pg_dsn: str) -> None:
    src = build_demo(tmp_path / "shop.db")
    ins = inspect(str(src))
    mapping = plan(ins.schema, ins.profiles)
    report = run_migration(str(src), pg_dsn, mapping,
                           options=RunOptions(reject_dir=str(tmp_path / "rejects")))
    assert report.checks  # the run made its default checks
    app = WizardApp(str(src), pg_dsn, env={}, auto_test=False, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        st = app.state
        st.inspection, st.mapping, st.report = ins, mapping, report
        await app.push_screen(CompareScreen())
        await settle(pilot)
        screen = compare_of(pilot)
        await pilot.press("4")
        await settle(pilot)
        assert screen.query_one("#chk-table", DataTable).row_count == len(report.checks)
        # The highlighted default check: its SQL on both sides and what each answered.
        first = report.checks[0]
        assert first["name"] == "customers: rows" and first["kind"] == "default"
        detail = " ".join(static_text(screen, "#chk-detail").split())
        assert 'SELECT count(*) FROM "customers"' in detail.replace("COUNT", "count")
        assert "value 115 115" in detail, detail

        await pilot.press("5")
        await settle(pilot)
        await type_query(pilot, "SELECT count(*) FROM customers")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: screen.comparison is not None or screen.query_error)
        assert not screen.query_error
        qc = screen.comparison
        assert qc is not None and qc.ok, qc
        text = status(screen)
        assert "✓ same answer on both sides (1 row)" in text
        assert "PostgreSQL (translated):" in text and '"customers"' in text
        left = screen.query_one("#q-sqlite", DataTable)
        right = screen.query_one("#q-pg", DataTable)
        assert row_text(left, 0) == row_text(right, 0) == [str(qc.sqlite_rows[0][0])]
        assert int(row_text(left, 0)[0]) > 0

        await pilot.press("ctrl+a")
        await settle(pilot)
        await pilot.press("ctrl+u", *"customers", "enter")
        await settle(pilot)
        assert mapping.checks == [Check("customers", "SELECT count(*) FROM customers")]
        assert "added check 'customers'" in status(screen)
        saved = mapping.save(tmp_path / "shop.toml")  # what ctrl+s writes
        assert "SELECT count(*) FROM customers" in saved.read_text(encoding="utf-8")


async def test_query_says_when_rejected_rows_are_left_out(tmp_path: Path, pg_dsn: str) -> None:
    """Issue 13 #8: count(*) FROM orders said 170 on SQLite's side, the file holds 172."""
    src = build_demo(tmp_path / "shop.db")
    ins = inspect(str(src))
    mapping = plan(ins.schema, ins.profiles)
    report = run_migration(str(src), pg_dsn, mapping,
                           options=RunOptions(reject_dir=str(tmp_path / "rejects")))
    assert report.table("orders").rejected_rows == 2
    app = WizardApp(str(src), pg_dsn, env={}, auto_test=False, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        st = app.state
        st.inspection, st.mapping, st.report = ins, mapping, report
        await app.push_screen(CompareScreen())
        await settle(pilot)
        screen = compare_of(pilot)
        await pilot.press("5")
        await settle(pilot)
        for query, said in (("SELECT count(*) FROM orders", True),
                            ("SELECT count(*) FROM customers", False)):
            screen.comparison = None
            await type_query(pilot, query)
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: screen.comparison is not None or screen.query_error)
            qc = screen.comparison
            assert qc is not None and qc.ok, qc
            text = " ".join(status(screen).split())
            assert ("rejected rows left out on SQLite's side (2 of orders)" in text) is said, text
        assert qc.sqlite_rows == [(115,)]


async def test_query_history_clear_and_the_checks_count() -> None:
    """ctrl+l empties the box, ctrl+↑/↓ walk the queries run; an added check is counted."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_compare(pilot)
        await pilot.press("5")
        await settle(pilot)
        screen = compare_of(pilot)
        before = len(screen.report.checks)
        for q in ("SELECT 1", CANNED_QUERY):
            await type_query(pilot, q)
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: not screen.query_running)
        area = screen.query_one("#q-sql", TextArea)
        await pilot.press("ctrl+l")
        assert area.text == ""
        await pilot.press("ctrl+up")
        assert area.text == CANNED_QUERY
        await pilot.press("ctrl+up")
        assert area.text == "SELECT 1"
        await pilot.press("ctrl+up")  # the oldest stays
        assert area.text == "SELECT 1"
        await pilot.press("ctrl+down", "ctrl+down")
        assert area.text == ""  # past the newest: an empty box again
        await pilot.press("ctrl+up")
        await pilot.press("ctrl+a")
        await settle(pilot)
        await pilot.press("ctrl+u", *"hour", "enter")
        await settle(pilot)
        assert len(screen.report.checks) == before + 1
        assert screen.report.checks[-1]["name"] == "hour"
        tabs = rendered(screen.query_one("#cmp-tabs", Static).content)
        assert f"Checks ({before + 1}," in tabs, tabs
