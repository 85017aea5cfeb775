"""Review marks the types the data suggests beyond the declared one; `a` accepts one, nothing
changes without it (issue 10 §1)."""

from __future__ import annotations

from pathlib import Path

from helpers import make_sqlite
from test_tui_wizard import SIZE, settle, text_of
from textual.widgets import DataTable, Static

from sqlite2pg_tui.tui.app import WizardApp
from sqlite2pg_tui.tui.screens.review import ReviewScreen

SCHEMA = """
CREATE TABLE orders (id INTEGER PRIMARY KEY, paid INTEGER NOT NULL, note TEXT);
INSERT INTO orders (paid, note) VALUES (0, 'a'), (1, 'b'), (1, NULL);
"""


async def test_suggestion_is_marked_and_accepted_with_a(pg_dsn: str, tmp_path: Path) -> None:
    src = make_sqlite(tmp_path / "s.db", SCHEMA)
    app = WizardApp(str(src), pg_dsn, None, None, env={})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        assert app.state.mapping is not None
        paid = app.state.mapping.table("orders").column("paid")
        assert (paid.pg_type, paid.suggestion and paid.suggestion.pg_type) == ("bigint", "boolean")

        await pilot.press("enter")  # into the columns list
        await pilot.press("down")  # id → paid
        await settle(pilot)
        assert screen.column_name == "paid"
        columns = screen.query_one("#columns", DataTable)
        assert "◆" in str(columns.get_cell("paid", "pg_type"))
        detail = text_of(screen.query_one("#column-detail", Static))
        assert "the data suggests boolean" in detail and "a: accept" in detail
        # Declared types win until a person says otherwise.
        assert paid.pg_type == "bigint"

        await pilot.press("a")
        await settle(pilot)
        assert (paid.pg_type, paid.converter, paid.suggestion) == ("boolean", "boolean", None)
        assert "◆" not in str(columns.get_cell("paid", "pg_type"))
        assert app.state.unsaved()
        # `a` on a column with nothing suggested changes nothing.
        await pilot.press("down")
        await settle(pilot)
        note = app.state.mapping.table("orders").column("note")
        before = (note.pg_type, note.converter)
        await pilot.press("a")
        await settle(pilot)
        assert (note.pg_type, note.converter) == before
