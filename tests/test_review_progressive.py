"""Review lists every table from the schema at once and fills each table's profile, proposal
and dirt as its data is read (a worker; the screen never talks SQL)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable
from tui_snapshot_app import FakeBackend, demo_path, make_app, settle

from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.source.inspection import Inspection, inspect
from sqlite2pg_tui.core.source.profile import TableProfile
from sqlite2pg_tui.tui.screens.review import ReviewScreen


class Gated(FakeBackend):
    """Profiles every table, but tells each one only when the test releases it."""

    def __init__(self) -> None:
        super().__init__()
        self.released: queue.Queue[str] = queue.Queue()

    def release(self, *tables: str) -> None:
        for t in tables:
            self.released.put(t)

    def profile_tables(self, path: str, ins: Inspection, on_profile: Callable[[TableProfile], None],
                       cancel: threading.Event | None = None) -> None:
        landed: dict[str, TableProfile] = {}
        super().profile_tables(path, ins, lambda p: landed.__setitem__(p.name, p), cancel)
        while landed:
            on_profile(landed.pop(self.released.get(timeout=30)))


async def until(pilot: Pilot[Any], done: Callable[[], bool]) -> None:
    for _ in range(300):
        if done():
            return
        await pilot.pause(0.02)
    raise AssertionError("never happened")


async def test_tables_listed_at_once_and_filled_as_they_land() -> None:
    backend = Gated()
    app = make_app()
    app.backend = backend
    full = inspect(demo_path())
    expected = plan(full.schema, full.profiles)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        st = app.state
        assert st.inspection is not None and st.inspection.profiles == {}  # schema only
        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen))
        review = app.screen
        assert isinstance(review, ReviewScreen)
        tables = review.query_one("#tables", DataTable)
        names = [t.name for t in full.schema.tables]
        assert tables.row_count == len(names)
        assert all(str(tables.get_cell(n, "state")) == "reading…" for n in names)
        first = review.table_name
        holds = str(review.query_one("#columns", DataTable).get_cell_at((0, 2)))
        assert "reading…" in holds

        # Next waits for the data: the proposals would change under the user.
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen is review

        # A choice made before the data is in is the user's: it stays.
        other = next(n for n in names if n != first)
        mine = st.mapping.table(other).columns[1]
        mine.converter, mine.pg_type = "text", "text"

        backend.release(first)
        await until(pilot, lambda: first in st.dirt)
        assert str(tables.get_cell(first, "state")) != "reading…"
        assert str(tables.get_cell(other, "state")) == "reading…"
        assert "reading…" not in str(review.query_one("#columns", DataTable).get_cell_at((0, 2)))
        for cm, want in zip(st.mapping.table(first).columns, expected.table(first).columns,
                            strict=True):
            assert (cm.pg_type, cm.converter, cm.note) == (want.pg_type, want.converter, want.note)

        backend.release(*(n for n in names if n != first))
        await until(pilot, lambda: all(n in st.dirt for n in names))
        await settle(pilot)
        assert st.inspection.complete
        assert (mine.converter, mine.pg_type) == ("text", "text")
        for tm in st.mapping.tables:
            for cm, want in zip(tm.columns, expected.table(tm.source).columns, strict=True):
                if cm is not mine:
                    assert (cm.pg_type, cm.converter) == (want.pg_type, want.converter)
        assert st.dirt["orders"]["placed_at"].rejected == 2
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen is not review
