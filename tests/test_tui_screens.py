"""Screens and their pieces on the demo file with a canned PostgreSQL (no server needed)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from rich.console import Group
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static
from tui_snapshot_app import (
    STAGES,
    FakeBackend,
    make_app,
    settle,
    to_review,
    to_run,
)

from sqlite2pg_tui.core.events import OnEvent, TableFinished, TableStarted
from sqlite2pg_tui.core.pipeline import RunOptions
from sqlite2pg_tui.core.plan.mapping import Mapping
from sqlite2pg_tui.core.report import Report, TableReport
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.tui import backend
from sqlite2pg_tui.tui.screens.converter import ConverterModal, TypeModal
from sqlite2pg_tui.tui.screens.modals import ConfirmModal, HelpModal, PathModal, TextModal
from sqlite2pg_tui.tui.screens.review import ReviewScreen
from sqlite2pg_tui.tui.screens.run import RunScreen

SIZE = (80, 24)


def review_of(pilot: Pilot[Any]) -> ReviewScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ReviewScreen)
    return screen


async def go_to(pilot: Pilot[Any], table: str, column: str | None = None) -> ReviewScreen:
    review = review_of(pilot)
    tables = review.query_one("#tables", DataTable)
    tables.focus()
    tables.move_cursor(row=tables.get_row_index(table))
    await pilot.pause()
    if column is not None:
        columns = review.query_one("#columns", DataTable)
        columns.focus()
        columns.move_cursor(row=columns.get_row_index(column))
        await pilot.pause()
    assert (review.table_name, review.column_name or None) == (table, column or review.column_name or None)
    return review


async def highlight(pilot: Pilot[Any], name: str) -> ConverterModal:
    """Arrow down the converter list to ``name``, as a person would."""
    modal = pilot.app.screen
    assert isinstance(modal, ConverterModal)
    for _ in range(25):
        if modal.highlighted == name:
            return modal
        await pilot.press("down")
    raise AssertionError(f"converter {name} not reachable with the arrow keys")


async def test_epoch_converter_with_a_unit(tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot)
        review = await go_to(pilot, "audit_log", "ts")
        await pilot.press("c")
        modal = await highlight(pilot, "epoch")
        assert modal.query_one("#unit-row").display
        await pilot.press("u")  # s → ms
        preview = modal.query_one("#conv-preview", DataTable)
        assert "1970-01-20" in str(preview.get_row_at(0)[2])  # 1.7e9 ms is in January 1970
        await pilot.press("o")  # reject → null
        await pilot.press("enter")
        await settle(pilot)
        cm = app.state.mapping.table("audit_log").column("ts")  # type: ignore[union-attr]
        assert (cm.converter, cm.options, cm.pg_type, cm.on_error) == (
            "epoch", {"unit": "ms"}, "timestamptz", "null")
        assert app.state.dirt["audit_log"]["ts"].rejected == 0
        assert "timestamptz" in str(review.query_one("#columns", DataTable).get_cell("ts", "pg_type"))


async def test_varchar_from_the_measured_length() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot)
        await go_to(pilot, "customers", "email")
        longest = app.state.profile("customers", "email").max_text_len  # type: ignore[union-attr]
        await pilot.press("t")
        assert isinstance(app.screen, TypeModal)
        await pilot.press("down")  # text → varchar(longest)
        await pilot.press("enter")
        await settle(pilot)
        cm = app.state.mapping.table("customers").column("email")  # type: ignore[union-attr]
        assert (cm.pg_type, cm.options) == (f"varchar({longest})", {"length": longest})
        assert cm.converter in converters.converters_for(cm.pg_type)
        assert app.state.dirt["customers"]["email"].rejected == 0

        # Shorter than the data: the picker says so, and so does the exact rescan.
        await pilot.press("c")
        modal = app.screen
        assert isinstance(modal, ConverterModal)
        await highlight(pilot, "varchar")
        await pilot.press("l")
        await pilot.pause()
        length = modal.query_one("#length", Input)
        assert length.has_focus and length.value == str(longest)
        length.value = "10"
        await pilot.pause()
        assert "refused" in str(modal.query_one("#conv-summary").render())
        await pilot.press("enter")
        await settle(pilot)
        assert (cm.pg_type, cm.converter) == ("varchar(10)", "varchar")
        assert app.state.dirt["customers"]["email"].rejected == 115


async def test_type_names_are_checked() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot)
        await go_to(pilot, "orders", "total")
        await pilot.press("t", "tab")
        modal = app.screen
        assert isinstance(modal, TypeModal)
        custom = modal.query_one("#type-custom", Input)
        assert custom.has_focus
        custom.value = "numeric(12,2); drop table x"
        await pilot.press("enter")
        assert isinstance(app.screen, TypeModal)
        assert "not a PostgreSQL type name" in str(modal.query_one("#type-error").render())
        custom.value = "numeric(12,2)"
        await pilot.press("enter")
        await settle(pilot)
        cm = app.state.mapping.table("orders").column("total")  # type: ignore[union-attr]
        assert (cm.pg_type, cm.converter) == ("numeric(12,2)", "numeric")


async def test_problem_filter_and_full_values() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot)
        review = await go_to(pilot, "orders")
        await pilot.press("f")
        columns = review.query_one("#columns", DataTable)
        assert [str(columns.get_row_at(i)[0]) for i in range(columns.row_count)] == ["placed_at"]
        dirt = review.query_one("#dirt", DataTable)
        assert [str(dirt.get_row_at(i)[1]) for i in range(dirt.row_count)] == [
            "'2024-02-30 10:00:00'", "'yesterday'"]
        dirt.focus()
        await pilot.press("down", "v")
        assert isinstance(app.screen, TextModal)
        shown = str(app.screen.query_one(".modal-body Static").render())
        assert "'yesterday'" in shown and "not an ISO 8601" in shown
        await pilot.press("escape", "f")
        assert columns.row_count == 7


async def test_help_lists_the_screen_keys() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpModal)
        help_modal = app.screen
        assert isinstance(help_modal, HelpModal)
        body = help_modal.body
        assert isinstance(body, Group)
        keys = {str(row[0]): str(row[1]) for row in zip(*(c._cells for c in body.renderables[0].columns), strict=True)}
        assert keys["space"] == "include or exclude the highlighted table"
        assert keys["?, f1"] == "this help" and keys["^s"].startswith("save the mapping")
        assert list(keys.values()).count("this help") == 1  # ? and F1 on one line, once
        assert "Dirty counts are exact" in str(body.renderables[1])
        await pilot.press("escape")
        assert isinstance(app.screen, ReviewScreen)


async def test_saved_mapping_holds_no_password(tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.state.fields["password"] == "secret"  # in the masked field, not the DSN
        assert "secret" not in app.state.dsn_text
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, PathModal)
        app.screen.query_one("#path", Input).value = str(tmp_path / "m.toml")
        await pilot.press("enter")
        await pilot.pause()
    text = (tmp_path / "m.toml").read_text()
    assert "secret" not in text and "password" not in text.split("No password")[1]
    assert Mapping.load(tmp_path / "m.toml").if_exists == "replace"


class _CancellableBackend(FakeBackend):
    """Copies customers, then blocks in orders until cancelled, like the real engine."""

    def run(self, source: str, dsn: str, mapping: Mapping, options: RunOptions,
            on_event: OnEvent, cancel: threading.Event) -> Report:
        on_event(TableStarted("customers", 115))
        on_event(TableFinished("customers", 115, 0, 0.1))
        on_event(TableStarted("orders", 172))
        cancel.wait(10)
        on_event(TableFinished("orders", 0, 0, 0.2, "cancelled while copying orders"))
        tables = [TableReport("customers", "customers", 115, 115),
                  TableReport("orders", "orders", 172, 0, error="cancelled while copying orders"),
                  TableReport("order items", "order items", 342, 0,
                              error="not copied: the run was cancelled")]
        return Report(source=source, target="x", tables=tables, cancelled=True)


async def test_cancel_says_what_was_copied() -> None:
    app = make_app()
    app.backend = _CancellableBackend()
    async with app.run_test(size=SIZE) as pilot:
        await to_run(pilot)
        run = app.screen
        assert isinstance(run, RunScreen)
        await pilot.press("enter")  # customers exists and the policy is replace: confirm
        assert isinstance(app.screen, ConfirmModal)
        assert "customers" in app.screen.body
        await pilot.press("y")
        await pilot.pause()
        assert run.status == "running" and app.state.running
        await pilot.press("escape")  # no way back while running
        assert app.screen is run
        await pilot.press("x")
        await settle(pilot)
        assert run.status == "done"
        assert app.state.report is not None and app.state.report.cancelled
        result = str(run.query_one("#run-result", Static).render())
        assert "Cancelled" in result and "Copied: customers" in result
        log = "\n".join(str(line.text) for line in run.query_one("#run-log").lines)
        assert "not copied: orders (cancelled while copying orders)" in log
        assert app.exit_code() == 0  # cancelling was the user's choice, not a failure


# --- the backend's plain helpers ----------------------------------------------------------

def test_split_dsn_puts_the_password_in_its_field() -> None:
    rest, fields = backend.split_dsn("postgresql://u:pw@h:5433/db?sslmode=require&connect_timeout=3",
                                     env={"PGHOST": "ignored", "PGUSER": "envuser"})
    assert fields == {"host": "h", "port": "5433", "dbname": "db", "user": "u", "password": "pw",
                      "sslmode": "require"}
    assert rest == "connect_timeout=3"
    assert backend.split_dsn(None, env={"PGUSER": "envuser"})[1]["user"] == "envuser"
    dsn = backend.build_dsn(rest, fields)
    assert "password=pw" in dsn and "connect_timeout=3" in dsn
    assert backend.build_dsn(" host=x ", dict.fromkeys(fields, "")) == "host=x"


def test_read_rejects_makes_values_visible(tmp_path: Path) -> None:
    lines = [{"rowid": 3, "column": "c", "value": "a\tb", "reason": "r1"},
             {"rowid": 4, "column": "", "value": {"hex": "00ff"}, "reason": "r2"},
             {"rowid": 5, "column": "c", "value": {"bytes_hex": "61ff"}, "reason": "r3"}]
    (tmp_path / "order_items.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    got = backend.Backend().read_rejects(str(tmp_path), "order items")
    assert [(r.rowid, r.column, r.value) for r in got] == [
        ("3", "c", "'a\\tb'"), ("4", "(row)", "x'00ff'"), ("5", "c", "'a\\xff'")]
    assert backend.Backend().read_rejects(str(tmp_path), "nothing") == []


def test_the_core_and_the_tui_backend_never_import_textual() -> None:
    code = ("import sys, sqlite2pg_tui.core.pipeline, sqlite2pg_tui.tui.backend, "
            "sqlite2pg_tui.tui.state; assert 'textual' not in sys.modules, 'textual imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_a_broken_mapping_file_is_explained_not_fatal(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('version = 1\n[[tables]]\nsource = "x"\ntarget = "x"\nbogus = 1\n')
    app = make_app(mapping=str(bad))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("unexpected or missing key" in m for m in messages), messages
        assert app.state.mapping is not None  # planned from the data instead
        assert app.state.mapping_path is None


class _BrokenProbe(FakeBackend):
    def probe(self, dsn: str, schema: str, tables: list[str]) -> Any:
        raise RuntimeError("the driver fell over")


async def test_an_unexpected_worker_error_is_shown() -> None:
    app = make_app()
    app.backend = _BrokenProbe()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        check = str(app.screen.query_one("#check", Static).render())
        assert "✗ RuntimeError: the driver fell over" in check
        assert "4 tables, 929 rows" in check  # the SQLite side still answered


async def test_compare_saves_the_report_as_json(tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await STAGES["compare"](pilot)
        await pilot.press("r")
        assert isinstance(app.screen, PathModal)
        app.screen.query_one("#path", Input).value = str(tmp_path / "report.json")
        await pilot.press("enter")
        await pilot.pause()
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["ok"] is False and [t["source"] for t in saved["tables"]][:2] == ["customers", "orders"]
    assert saved["tables"][1]["rejected_rows"] == 2


async def test_markup_in_names_and_values_is_shown_as_is(tmp_path: Path) -> None:
    import sqlite3

    from sqlite2pg_tui.tui.app import WizardApp

    src = tmp_path / "odd.db"
    conn = sqlite3.connect(src)
    conn.execute('CREATE TABLE "[b]odd" ("[i]n" INTEGER)')
    conn.executemany('INSERT INTO "[b]odd" VALUES (?)', [(1,), (2,), ("[/oops]",)])
    conn.commit()
    conn.close()
    app = WizardApp(str(src), "host=/nonexistent-s2p-socket-dir port=1", None, None, env={})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # No server: ^n stays on Connect (issue 13 #3), but Review itself needs none.
        await app.push_screen(ReviewScreen())
        await settle(pilot)
        review = review_of(pilot)
        assert str(review.query_one("#tables", DataTable).get_row_at(0)[0]) == "[b]odd"
        assert str(review.query_one("#columns", DataTable).get_row_at(0)[0]) == "[i]n"
        dirt = review.query_one("#dirt", DataTable)
        assert [str(c) for c in dirt.get_row_at(0)[:2]] == ["3", "'[/oops]'"]
        await pilot.press("c")
        assert isinstance(app.screen, ConverterModal)
        preview = app.screen.query_one("#conv-preview", DataTable)
        assert str(preview.get_row_at(0)[1]) == "'[/oops]'"
