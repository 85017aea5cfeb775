"""The Next steps screen: port the code of tests/sample_app, and the production kit built
against a real (embedded) PostgreSQL."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input, Static
from tui_snapshot_app import SAMPLE_APP, STAGES, make_app, settle

from sqlite2pg_tui.tui.backend import DSN_FIELDS
from sqlite2pg_tui.tui.screens.compare import CompareScreen
from sqlite2pg_tui.tui.screens.modals import ConfirmModal, PathModal
from sqlite2pg_tui.tui.screens.next_steps import DIFF_NAME, NextStepsScreen

SIZE = (80, 24)


def footer_keys(app: Any) -> str:
    """The descriptions the footer shows now."""
    return " ".join(b.description for (_, b, enabled, _) in app.screen.active_bindings.values()
                    if enabled and b.show)


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.py"))}


async def test_scan_shows_findings_and_saves_the_diff(tmp_path: Path) -> None:
    before = _digest(SAMPLE_APP)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await STAGES["next-steps"](pilot)
        screen = app.screen
        assert isinstance(screen, NextStepsScreen)
        table = screen.query_one("#ns-findings", DataTable)
        assert table.row_count > 0
        assert "finding(s)" in str(screen.query_one("#ns-code-status", Static).render())
        assert "db.py" in " ".join(str(table.get_row_at(i)[0]) for i in range(table.row_count))
        detail = str(screen.query_one("#ns-finding-detail", Static).render())
        assert "→" in detail
        status = " ".join(str(screen.query_one("#ns-code-status", Static).render()).split())
        # Every finding is in a named group (issue 13: "what are the 14 others?").
        found, auto, look = (int(x) for x in re.search(
            r"(\d+) finding\(s\): (\d+) rewritten for you, (\d+) to check by hand",
            status).groups())
        assert found == auto + look and found == table.row_count
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, PathModal)
        # The default folder is selected: what is typed replaces it (it used to append: ./tmp/…).
        await pilot.press(*str(tmp_path / "out"))
        assert app.screen.query_one("#path", Input).value == str(tmp_path / "out")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NextStepsScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
    diff = (tmp_path / "out" / DIFF_NAME).read_text(encoding="utf-8")
    assert diff.startswith("--- ") and "psycopg2" in diff
    assert _digest(SAMPLE_APP) == before  # the sources are never changed


async def test_a_bad_folder_is_explained(tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await STAGES["compare"](pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        app.screen.query_one("#ns-folder", Input).value = str(tmp_path / "missing")
        await pilot.press("ctrl+r")
        await settle(pilot)
        status = str(app.screen.query_one("#ns-code-status", Static).render())
        assert status.startswith("cannot scan"), status


async def test_kit_is_built_shown_and_written(pg_dsn: str, tmp_path: Path) -> None:
    from sqlite2pg_tui.tui.backend import Backend

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await STAGES["compare"](pilot)
        app.backend = Backend()  # the kit reads the real database
        app.state.dsn_text = pg_dsn
        app.state.fields = dict.fromkeys(DSN_FIELDS, "")
        await pilot.press("ctrl+n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, NextStepsScreen)
        assert "Write" not in footer_keys(app)  # nothing to write yet
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, PathModal)  # the role's name first, "app" proposed
        assert app.screen.query_one("#path", Input).value == "app"
        await pilot.press(*"shop_app", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PathModal)
        out = tmp_path / "kit"
        app.screen.query_one("#path", Input).value = str(out)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.kit is not None and screen.kit.role == "shop_app"
        assert "Write" in footer_keys(app)
        assert screen.kit is not None, str(screen.query_one("#ns-kit-status", Static).render())
        files = screen.query_one("#ns-kit-files", DataTable)
        assert files.row_count == len(screen.kit.files) > 0
        status = str(screen.query_one("#ns-kit-status", Static).render())
        password = screen.kit.password
        assert password and password in status  # shown once, on screen
        content = str(screen.query_one("#ns-kit-content", Static).render())
        assert content.strip()
        await pilot.press("w")
        await pilot.pause()
        assert "written" in str(screen.query_one("#ns-kit-status", Static).render())
        first = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
        await pilot.press("w")  # the files exist: a choice, not "pass --force"
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmModal) and "already exist" in modal.title_text
        assert "--force" not in modal.body
        await pilot.press("n")
        await pilot.pause()
        assert {p: p.stat().st_mtime_ns for p in first} == first  # kept
        await pilot.press("w", "y")
        await pilot.pause()
        assert "written" in str(screen.query_one("#ns-kit-status", Static).render())
    written = [p for p in out.rglob("*") if p.is_file()]
    assert written
    for p in written:
        assert password not in p.read_text(encoding="utf-8", errors="replace")
