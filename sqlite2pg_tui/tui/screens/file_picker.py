"""Pick the SQLite file from a directory tree (typing the path works just as well)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Footer, Label


class _Tree(DirectoryTree):
    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        # Hidden entries are noise here; directories stay so one can walk down.
        return [p for p in paths if not p.name.startswith(".")]


class FilePickerModal(ModalScreen[str | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker-cancel"),
        Binding("backspace", "up", "Parent dir", id="picker-up"),
    ]

    def __init__(self, start: Path) -> None:
        super().__init__(classes="wizard-modal")
        self.start = start.resolve()

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Label(Text("Choose the SQLite file", style="bold"), classes="modal-title")
            yield Label(str(self.start), id="picker-dir", markup=False)
            yield _Tree(self.start, id="picker-tree")
            yield Label("enter: open/choose   backspace: parent   esc: cancel", classes="modal-keys")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(_Tree).focus()

    @on(DirectoryTree.FileSelected)
    def _chosen(self, event: DirectoryTree.FileSelected) -> None:
        self.dismiss(str(event.path))

    def action_up(self) -> None:
        tree = self.query_one(_Tree)
        parent = Path(tree.path).resolve().parent
        tree.path = parent
        self.query_one("#picker-dir", Label).update(str(parent))

    def action_cancel(self) -> None:
        self.dismiss(None)
