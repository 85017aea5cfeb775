"""ctrl+q: asks before losing unsaved mapping work or stopping a run, and otherwise quits
at once; quitting during a run is quick and exits 0 (issue 13)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from textual.widgets import Input
from tui_snapshot_app import make_app, settle, to_review

from sqlite2pg_tui.tui.screens.modals import ConfirmModal, PathModal
from sqlite2pg_tui.tui.screens.review import ReviewScreen

SIZE = (80, 24)
TESTS = Path(__file__).resolve().parent


async def test_ctrl_q_quits_at_once_when_nothing_would_be_lost() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_value == 0


async def test_ctrl_q_asks_before_losing_mapping_changes(tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_review(pilot)
        await pilot.press("space")  # exclude a table: the mapping changed
        await pilot.press("ctrl+q")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmModal) and "without saving" in modal.title_text
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen) and app.return_value is None
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PathModal)
        app.screen.query_one("#path", Input).value = str(tmp_path / "m.toml")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+q")  # saved: nothing to lose now
        await pilot.pause()
    assert app.return_value == 0


QUIT_DURING_RUN = """
import sys, threading, time
sys.path.insert(0, {tests!r})
from tui_snapshot_app import FakeBackend, make_app, settle, to_run
from sqlite2pg_tui.core.events import TableStarted
from sqlite2pg_tui.tui import app as app_module

class Stuck(FakeBackend):
    # A COPY that does not look at the cancel flag for a long time.
    def run(self, source, dsn, mapping, options, on_event, cancel):
        on_event(TableStarted("orders", 172))
        time.sleep(30)
        raise RuntimeError("not reached")

app = make_app()
app.backend = Stuck()

async def drive(pilot):
    await to_run(pilot)
    await pilot.press("enter", "y")  # start (customers exists: replace is confirmed)
    await pilot.pause(0.3)
    assert app.state.running
    global asked
    await pilot.press("ctrl+q")
    await pilot.pause()
    asked = type(app.screen).__name__
    global quit_at
    quit_at = time.monotonic()
    await pilot.press("y")

asked, quit_at = "", 0.0
result = app.run(headless=True, size=(80, 24), auto_pilot=drive)
run = app.run_thread
if run is not None and run.is_alive():
    run.join(app_module.QUIT_GRACE_S)
print("asked", asked, "code", result, "took", round(time.monotonic() - quit_at, 2))
"""


def test_quitting_during_a_run_is_quick_and_exits_0() -> None:
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(QUIT_DURING_RUN.format(
        tests=str(TESTS)))], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "asked ConfirmModal code 0" in proc.stdout, proc.stdout + proc.stderr[-2000:]
    took = float(proc.stdout.split("took")[1])
    assert took < 2.5, took  # the stuck copy sleeps 30 s; quitting does not wait for it
