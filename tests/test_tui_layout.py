"""Layout at 80×24 and using more room when there is more (issue 13): help that scrolls to
its last line, help from a text field, Run's bars, cells that follow their content."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from textual.actions import parse as parse_action
from textual.containers import VerticalScroll
from textual.widgets import Input, TextArea
from tui_snapshot_app import STAGES, make_app, screen_text, settle

from sqlite2pg_tui.core.events import PhaseStarted, TableStarted
from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.source.inspection import inspect
from sqlite2pg_tui.tui.app import WizardApp
from sqlite2pg_tui.tui.screens.converter import ConverterModal
from sqlite2pg_tui.tui.screens.modals import HelpModal, PathModal
from sqlite2pg_tui.tui.screens.review import ReviewScreen
from sqlite2pg_tui.tui.screens.run import RunScreen
from sqlite2pg_tui.tui.widgets.run_progress import bar_id as _bar_id

SMALL, LARGE = (80, 24), (120, 40)


def footer_line(app: Any) -> str:
    return screen_text(app).rstrip("\n").splitlines()[-1]


def last_words(help_text: str, n: int = 4) -> str:
    return " ".join(help_text.split()[-n:])


@pytest.mark.parametrize(("stage", "keys"), [("review", ()), ("converter", ()),
                                             ("compare", ()), ("next-steps", ())])
async def test_help_scrolls_to_its_last_line(stage: str, keys: tuple[str, ...]) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await STAGES[stage](pilot)
        if isinstance(app.focused, Input | TextArea):
            await pilot.press("f1")
        else:
            await pilot.press("question_mark")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, HelpModal)
        helped = app.screen_stack[-2]
        await pilot.press("end")
        await pilot.pause()
        inside = [ln.split("│")[1] for ln in screen_text(app).splitlines() if ln.count("│") >= 2]
        text = " ".join(" ".join(inside).split())
        assert last_words(helped.HELP) in text, text


async def test_help_from_a_text_field_is_f1_and_the_footer_says_so() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        field = app.screen.query_one("#dsn", Input)
        field.focus()
        await pilot.pause()
        assert "F1 Help" in footer_line(app) and "? Help" not in footer_line(app)
        await pilot.press("question_mark")  # a character in a DSN, not a key
        assert field.value.endswith("?") and not isinstance(app.screen, HelpModal)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpModal)
        await pilot.press("escape")
        await pilot.press("ctrl+t")  # a half-typed DSN is said on the screen, not a crash
        await settle(pilot)
        assert app.state.target_error.startswith("the DSN cannot be read")
        await pilot.press("backspace")

        # Away from text, ? is help again and the footer shows it.
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert "? Help" in footer_line(app) and "F1" not in footer_line(app)
        await pilot.press("f1")  # F1 works here too
        assert isinstance(app.screen, HelpModal)


def _many_tables(path: Path, n: int = 20) -> Path:
    conn = sqlite3.connect(path)
    for i in range(n):
        conn.execute(f"CREATE TABLE t{i:02d}(id INTEGER PRIMARY KEY, v TEXT)")
        conn.executemany(f"INSERT INTO t{i:02d}(v) VALUES (?)", [(str(j),) for j in range(i + 1)])
    conn.commit()
    conn.close()
    return path


async def _run_screen(app: WizardApp, pilot: Any, src: Path) -> RunScreen:
    ins = inspect(str(src))
    st = app.state
    st.inspection, st.target_error = ins, ""
    st.adopt(plan(ins.schema, ins.profiles), settings=False)
    screen = RunScreen()
    await app.push_screen(screen)
    await settle(pilot)
    screen.begin()
    await pilot.pause()
    return screen


def _visible(screen: RunScreen, table: str) -> bool:
    bars = screen.query_one("#table-bars", VerticalScroll)
    row = screen.query_one("#" + _bar_id(table)).parent
    assert row is not None
    return bars.region.contains_region(row.region)


@pytest.mark.parametrize("size", [SMALL, LARGE])
async def test_run_bars_follow_the_table_being_copied(tmp_path: Path, size: tuple[int, int]) -> None:
    src = _many_tables(tmp_path / "many.db")
    app = WizardApp(str(src), "host=/nonexistent port=1", env={}, auto_test=False,
                    cursor_blink=False)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = await _run_screen(app, pilot, src)
        names = [f"t{i:02d}" for i in range(20)]
        shown = sum(_visible(screen, n) for n in names)
        if size == LARGE:
            assert shown == 20  # the list grows with the terminal: every bar shown
        else:
            assert 11 <= shown < 20  # the 11 tables fit at 80×24; more scroll
        screen.apply_event(PhaseStarted("data"))
        screen.apply_event(TableStarted("t19", 20))
        await pilot.pause()
        assert _visible(screen, "t19")
        screen.apply_event(TableStarted("t00", 1))
        await pilot.pause()
        assert _visible(screen, "t00")


async def test_state_column_shows_the_whole_state_after_a_converter_change() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await STAGES["converter"](pilot)
        modal = app.screen
        assert isinstance(modal, ConverterModal)
        await pilot.press("down", "enter")  # julian: every value refused
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        line = next(ln for ln in screen_text(app).splitlines() if ln.startswith(" orders"))
        assert line.rstrip().endswith("! 172 dirty value(s)"), line


async def test_converter_preview_names_the_row_of_every_sample() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await STAGES["converter"](pilot)
        modal = app.screen
        assert isinstance(modal, ConverterModal)
        preview = modal.query_one("#conv-preview")
        rows = [modal.rowids.get((type(v), v), "") for v in modal.values]
        assert len(rows) == 10 and all(str(r) for r in rows), rows
        # The 10th value can be reached with the keys: tab to the preview, then down.
        await pilot.press("tab", "tab")
        assert app.focused is preview
        await pilot.press(*["down"] * 9)
        await pilot.pause()
        assert str(modal.values[9])[:10] in screen_text(app)


async def test_a_planner_note_goes_when_the_converter_changes() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await STAGES["review"](pilot)
        review = app.screen
        assert isinstance(review, ReviewScreen)
        await pilot.press("down", "tab", "down", "down", "down")  # orders.total
        cm = app.state.mapping.table("orders").column("total")  # type: ignore[union-attr]
        await pilot.press("c")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ConverterModal)
        for _ in range(25):
            if modal.highlighted == "epoch":
                break
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert cm.converter == "epoch" and cm.note == ""
        assert "whole number" not in screen_text(app)


async def test_command_palette_offers_every_key_of_the_screen() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await STAGES["review-dirty"](pilot)
        review = app.screen
        titles = {c.title.lower() for c in app.get_system_commands(review)}
        for binding in review.BINDINGS:
            b = binding if not isinstance(binding, tuple) else None
            assert b is not None
            _, name, params = parse_action(b.action)
            if review.check_action(name, params) is False:
                continue  # hidden right now (a: no suggestion on this column): not offered
            assert (b.tooltip or b.description).lower() in titles, b
        assert "save the mapping (toml, never a password)" in titles
        assert not any("cursor" in t or "copy" in t for t in titles)  # a list's own keys
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await pilot.press(*"pick the converter")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConverterModal)


async def test_rename_a_column_and_a_table_in_review() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await STAGES["review-dirty"](pilot)  # orders.placed_at, the columns list focused
        review = app.screen
        assert isinstance(review, ReviewScreen)
        mapping = app.state.mapping
        assert mapping is not None
        placed = mapping.table("orders").column("placed_at")
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, PathModal)
        await pilot.press(*"placed_on", "enter")  # the old name is selected: typing replaces it
        await pilot.pause()
        assert placed.target == "placed_on"
        assert str(review.query_one("#columns").get_row("placed_at")[0]).startswith("placed_at→")
        await pilot.press("n", *"id", "enter")  # taken by another column
        await pilot.pause()
        assert placed.target == "placed_on"
        assert any("another one has that name" in n.message for n in app._notifications)

        await pilot.press("shift+tab")  # the tables list
        await pilot.press("n", *("x" * 64), "enter")
        await pilot.pause()
        assert mapping.table("orders").target == "orders"  # 64 bytes: PostgreSQL would cut it
        await pilot.press("n", *"sales", "enter")
        await pilot.pause()
        assert mapping.table("orders").target == "sales"
        assert app.state.unsaved()  # and ctrl+q would ask before losing it
