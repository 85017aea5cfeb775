"""The wizard app: the stages in order and the moves between them (advance, back), shared
state, app-wide keys (save mapping, help, quit), and run_wizard."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.clock import Clock
from textual.screen import Screen
from textual.widgets import Input, TextArea

from sqlite2pg_tui import locations
from sqlite2pg_tui.core.errors import EXIT_OK
from sqlite2pg_tui.core.plan.mapping import IF_EXISTS
from sqlite2pg_tui.tui.backend import Backend, split_dsn
from sqlite2pg_tui.tui.messages import Advance, GoBack
from sqlite2pg_tui.tui.saving import save_or_say
from sqlite2pg_tui.tui.screens.compare import CompareScreen
from sqlite2pg_tui.tui.screens.connect import ConnectScreen, read_mapping
from sqlite2pg_tui.tui.screens.modals import (
    NOT_WIZARD_KEYS,
    ConfirmModal,
    HelpModal,
    PathModal,
    TextModal,
)
from sqlite2pg_tui.tui.screens.next_steps import NextStepsScreen
from sqlite2pg_tui.tui.screens.review import ReviewScreen
from sqlite2pg_tui.tui.screens.run import RunScreen
from sqlite2pg_tui.tui.state import WizardState

QUIT_GRACE_S = 1.0  # how long quitting waits for a cancelled run to wind down


@dataclass(frozen=True)
class Stage:
    name: str  # as the header shows it, and as the screen's STAGE says it
    screen: Callable[[], Screen[Any]] | None  # None: opened as a modal of the stage before
    listed: bool = True  # False: the header names it only once you are there


# The wizard's stages in order: the one place that knows it (the header reads it too).
STAGES: tuple[Stage, ...] = (
    Stage("Connect", ConnectScreen),
    Stage("Review", ReviewScreen),
    Stage("Converters", None),  # a column's converter, picked from Review (c)
    Stage("Run", RunScreen),
    Stage("Compare", CompareScreen),
    Stage("Next steps", NextStepsScreen, listed=False),
)


class WizardApp(App[int]):
    CSS_PATH = "wizard.tcss"
    TITLE = "sqlite2pg-tui"
    # ctrl+p: every key of the screen as a command to search for (get_system_commands).
    COMMAND_PALETTE_DISPLAY = "^p"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save_mapping", "Save", id="save-mapping",
                tooltip="save the mapping (TOML, never a password)"),
        # "?" is a character in a text field, so there help is on F1 and the footer says so.
        # F1 works everywhere; only one of these shows at a time (see check_action).
        Binding("question_mark", "help('?')", "Help", key_display="?", id="help",
                tooltip="this help"),
        Binding("f1", "help('F1')", "Help", key_display="F1", id="help-f1",
                tooltip="this help"),
        Binding("f1", "help('f1')", "Help", show=False, id="help-f1-hidden",
                tooltip="this help"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="quit",
                tooltip="quit the wizard"),
    ]

    def __init__(self, source: str | None = None, dsn: str | None = None,
                 mapping: str | None = None, if_exists: str | None = None, *,
                 backend: Backend | None = None, reject_dir: str | None = None,
                 env: dict[str, str] | None = None, auto_test: bool = True,
                 clock: Callable[[], float] = time.monotonic,
                 bar_clock: Clock | None = None, cursor_blink: bool = True) -> None:
        super().__init__()
        self.backend = backend or Backend()
        dsn_text, fields = split_dsn(dsn, env)
        self.state = WizardState(source=os.path.expanduser(source or ""), dsn_text=dsn_text,
                                 fields=fields, reject_dir=reject_dir)
        if if_exists in IF_EXISTS:
            self.state.if_exists = if_exists
        self.mapping_arg = mapping
        self.if_exists_arg = if_exists
        self.auto_test = auto_test
        # Injected so snapshots show fixed rates and still bars.
        self.clock = clock
        self.bar_clock = bar_clock
        self.cursor_blink = cursor_blink
        self.cancel_event: threading.Event | None = None
        self.run_thread: threading.Thread | None = None  # the migration, while it runs

    async def on_mount(self) -> None:
        connect = ConnectScreen()  # STAGES[0]
        await self.push_screen(connect)
        if self.mapping_arg:
            self._load_mapping_arg(connect, self.mapping_arg)
        if self.state.source and self.auto_test:
            connect.action_test()

    def _load_mapping_arg(self, connect: ConnectScreen, path: str) -> None:
        st = self.state
        loaded = read_mapping(self, path)
        if loaded is None:
            return
        st.pending_mapping = loaded
        st.mapping_path = path
        st.schema = loaded.schema
        st.if_exists = self.if_exists_arg if self.if_exists_arg in IF_EXISTS else loaded.if_exists
        loaded.if_exists = st.if_exists
        connect.set_fields()

    # --- the stages --------------------------------------------------------------

    def header_stages(self, current: str) -> list[str]:
        """The stage names the header shows while ``current`` is open."""
        return [s.name for s in STAGES if s.listed or s.name == current]

    def advance(self, done: str) -> None:
        """``done`` is finished: open the next stage that has a screen of its own."""
        names = [s.name for s in STAGES]
        for stage in STAGES[names.index(done) + 1:]:
            if stage.screen is not None:
                self.push_screen(stage.screen())
                return

    def back(self) -> None:
        # The Connect screen sits on Textual's default screen; never pop down to that.
        if len(self.screen_stack) > 2:
            self.pop_screen()

    @on(Advance)
    def _advance(self, msg: Advance) -> None:
        self.advance(msg.stage)

    @on(GoBack)
    def _back(self, _msg: GoBack) -> None:
        self.back()

    # --- app-wide actions -------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save_mapping":
            return True if self.state.mapping is not None else None
        if action == "help":
            # False, not None: hidden from the footer, and the key goes on to the field.
            typing = self.typing()
            return {"?": not typing, "F1": typing, "f1": not typing}.get(
                str(parameters[0]) if parameters else "?", True)
        return True

    def typing(self) -> bool:
        """Keys are text here: the focus is in a field or the query editor."""
        return isinstance(self.focused, Input | TextArea)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The palette: Textual's own commands (theme, keys…), then every key that works on
        ``screen`` now, under the words of its help line."""
        yield from super().get_system_commands(screen)
        seen: set[tuple[int, str]] = set()
        for key, active in screen.active_bindings.items():
            b = active.binding
            # The wizard's keys only: a list's own cursor keys are not commands.
            if not isinstance(active.node, Screen | App) or not active.enabled \
                    or not b.description or b.action.endswith(("command_palette", *NOT_WIZARD_KEYS)):
                continue
            if (id(active.node), b.action) in seen:
                continue
            seen.add((id(active.node), b.action))
            words = b.tooltip or b.description
            yield SystemCommand(words[:1].upper() + words[1:],
                                f"key: {self.get_key_display(Binding(key, b.action))}",
                                partial(self.run_action, b.action, active.node))

    def action_save_mapping(self) -> None:
        st = self.state
        if st.mapping is None:
            self.notify("Nothing to save yet: test the SQLite file first (^t)", severity="warning", markup=False)
            return
        default = st.mapping_path or str(locations.default_mapping_path(st.source or "mapping"))

        def chosen(path: str | None) -> None:
            if not path or st.mapping is None:
                return
            st.sync_mapping()
            mapping = st.mapping
            saved = save_or_say(self, path, lambda: mapping.save(path))
            if saved is None:
                return
            st.mapping_path = str(saved)
            st.mark_saved()
            self.notify(f"mapping saved to {saved} (no password in it)", title="Mapping saved", markup=False)

        self.push_screen(PathModal("Save the mapping (TOML)", default), chosen)

    def action_help(self, key: str = "?") -> None:
        if isinstance(self.screen, TextModal | ConfirmModal | PathModal):
            return
        self.push_screen(HelpModal(self.screen))

    async def action_quit(self) -> None:
        if isinstance(self.screen, ConfirmModal):
            return  # already asking
        st = self.state

        def answered(stop: bool | None) -> None:
            if stop:
                if self.cancel_event is not None:
                    self.cancel_event.set()
                self.exit(self.exit_code())

        if st.running:
            self.push_screen(ConfirmModal("A run is in progress", "Quitting cancels it: the "
                                          "table being copied is rolled back.",
                                          yes="Cancel and quit", no="Keep running"), answered)
        elif st.unsaved():
            where = f" ({st.mapping_path})" if st.mapping_path else ""
            self.push_screen(ConfirmModal(
                "Quit without saving the mapping?",
                f"Your changes to the mapping{where} are not saved; ctrl+s saves them.",
                yes="Quit", no="Stay"), answered)
        else:
            self.exit(self.exit_code())

    def on_unmount(self) -> None:
        # However the app ends, a run still going must stop at its next batch.
        if self.cancel_event is not None:
            self.cancel_event.set()
        self.backend.close()

    def exit_code(self) -> int:
        report = self.state.report
        if report is None or report.cancelled:
            return EXIT_OK  # nothing was verified, and stopping was the user's own choice
        return report.exit_code


def run_wizard(source: str | None = None, dsn: str | None = None, mapping: str | None = None,
               if_exists: str | None = None) -> int:
    """Start the wizard; the exit code follows the last finished run (0 ok or none or
    cancelled, 1 differences)."""
    app = WizardApp(source, dsn, mapping, if_exists)
    result = app.run()
    code = result if isinstance(result, int) else app.exit_code()
    run = app.run_thread
    if run is not None and run.is_alive():
        # Quit during a run: it was told to stop; give it a moment to roll back cleanly.
        # A COPY still going past that is rolled back by the server when we disconnect.
        run.join(QUIT_GRACE_S)
    return code
