"""Small modals every screen may use: confirm, a path to save/load, a long value, help."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Label, Static

from sqlite2pg_tui.tui.widgets.field import Field

ResultT = TypeVar("ResultT")


def bullets(body: str | list[str], note: str = "") -> str:
    """A body given as a list reads as bullet points; ``note`` follows it."""
    text = body if isinstance(body, str) else "\n".join(f"• {b}" for b in body)
    return text + ("\n\n" + note if note else "")


class BoxModal(ModalScreen[ResultT]):
    """A titled box whose body scrolls (it has the focus), and under it the keys it answers
    to (``keys()``; none for a box that only closes)."""

    def __init__(self, title: str, body: str | Text | Group) -> None:
        super().__init__(classes="wizard-modal")
        self.title_text = title
        self.body = body

    def keys(self) -> Text | None:
        return None

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Label(Text(self.title_text, style="bold"), classes="modal-title")
            with VerticalScroll(classes="modal-body"):
                yield Static(self.body, markup=False)
            if (keys := self.keys()) is not None:
                yield Label(keys, classes="modal-keys")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(".modal-body").focus()


class ConfirmModal(BoxModal[bool]):
    """Yes/no with the consequences spelled out; ``body`` may be long (it scrolls)."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm-no"),
    ]

    body: str

    def __init__(self, title: str, body: str | list[str], *, note: str = "", yes: str = "Yes",
                 no: str = "No") -> None:
        super().__init__(title, bullets(body, note))
        self.yes = yes
        self.no = no

    def keys(self) -> Text:
        return Text.assemble(("y/enter", "bold"), f": {self.yes}   ", ("n/esc", "bold"),
                             f": {self.no}")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class ChoiceModal(BoxModal[str | None]):
    """One of a few named choices, each on its own key, with what it does; esc chooses none.

    Used where the CLI would print advice ("use --if-exists replace"): the wizard offers
    the choice itself instead."""

    BINDINGS = [Binding("escape", "choose('')", "Not now", id="choice-cancel")]

    body: str

    def __init__(self, title: str, body: str | list[str],
                 choices: list[tuple[str, str, str]], *, note: str = "") -> None:
        """``choices``: (key, value, label) triples, e.g. ("r", "replace", "Replace them")."""
        super().__init__(title, bullets(body, note))
        self.choices = choices
        for key, value, label in choices:
            self._bindings.bind(key, f"choose({value!r})", label)

    def keys(self) -> Text:
        keys = Text()
        for key, _, label in self.choices:
            keys.append(key, style="bold")
            keys.append(f": {label}   ")
        keys.append("esc", style="bold")
        keys.append(": not now")
        return keys

    def action_choose(self, value: str) -> None:
        self.dismiss(value or None)


class PathModal(ModalScreen[str | None]):
    """A file path (or any short text, e.g. a name), prefilled and editable; enter accepts,
    escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="path-cancel")]

    def __init__(self, title: str, path: str | Path, hint: str = "", *,
                 empty: str = "a path is needed", replace: bool = False) -> None:
        super().__init__(classes="wizard-modal")
        self.title_text = title
        self.path = str(path)
        self.hint = hint
        self.empty = empty  # said when enter is pressed on an empty field
        # The default selected: typing replaces it (a folder like "." is rarely extended).
        self.replace = replace

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box modal-small"):
            yield Label(Text(self.title_text, style="bold"), classes="modal-title")
            yield Field(self.path, id="path", select_on_focus=False)
            yield Label(self.hint or "enter: OK   esc: cancel", classes="modal-keys", markup=False)
            yield Label("", id="path-error", classes="error", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        inp = self.query_one("#path", Input)
        inp.focus()
        if self.replace:
            inp.select_all()
        else:
            inp.cursor_position = len(inp.value)

    @on(Input.Submitted, "#path")
    def _submit(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value:
            self.query_one("#path-error", Label).update(self.empty)
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextModal(BoxModal[None]):
    """Read-only text that may not fit elsewhere: a full value, a DDL statement."""

    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="text-close")]

    def action_close(self) -> None:
        self.dismiss(None)


# Textual's own screen bindings (focus moves, copy): not part of the wizard's vocabulary.
NOT_WIZARD_KEYS = ("focus_next", "focus_previous", "copy_text")


def help_text(screen: Screen[object]) -> Group:
    """Every key the screen and the app answer to, then the screen's own help paragraphs."""
    keys: dict[str, list[str]] = {}  # description → key labels, in binding order
    modal = isinstance(screen, ModalScreen)
    for node in (screen, screen.app):
        for key, b in node._bindings:  # merged with any user keymap
            if not b.description or b.system or b.action.endswith(NOT_WIZARD_KEYS):
                continue
            if modal and node is screen.app and not b.priority:
                continue  # a modal sees only the app's priority keys
            # The key itself, not key_display: "f1,question_mark" shows as "f1, ?".
            label = screen.app.get_key_display(Binding(key, b.action))
            labels = keys.setdefault(b.tooltip or b.description, [])
            if label not in labels:
                labels.append(label)
    keys.setdefault("next pane or field", ["tab"])
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for desc, labels in keys.items():
        grid.add_row(", ".join(labels), desc)
    intro = getattr(screen, "HELP", "")
    # HELP is wrapped for the source file; rewrap it to the modal's width.
    paragraphs = [" ".join(p.split()) for p in intro.strip().split("\n\n")] if intro else []
    return Group(grid, Text("\n" + "\n\n".join(paragraphs)) if paragraphs else Text())


class HelpModal(TextModal):
    def __init__(self, screen: Screen[object]) -> None:
        stage = getattr(screen, "STAGE", "") or type(screen).__name__
        super().__init__(f"Help: {stage} (keys, then what this screen does)", help_text(screen))
        self.add_class("help")
