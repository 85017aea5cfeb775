"""The Run stage's progress view: the status line, the overall bar, one bar per table and
the log. The screen decides what they say; this widget only draws it."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.clock import Clock
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Label, ProgressBar, RichLog


def bar_id(table: str) -> str:
    """A widget id for any table name (ids allow letters, digits, - and _ only)."""
    return "bar-" + "".join(c if c.isalnum() else f"_{ord(c):x}" for c in table)


def duration(seconds: float) -> str:
    s = int(seconds + 0.5)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class RunProgress(Vertical):
    def __init__(self, tables: list[tuple[str, int]], *, clock: Clock | None = None,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.tables = tables  # (source name, rows) of each table to copy, in order
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield Label("", id="run-status", markup=False)
        with Horizontal(classes="bar-row", id="overall-row"):
            yield Label(Text("Overall", style="bold"), classes="bar-name")
            yield ProgressBar(total=sum(rows for _, rows in self.tables), show_eta=False,
                              id="overall", clock=self.clock)
            yield Label("", id="overall-count", classes="bar-count", markup=False)
        with VerticalScroll(id="table-bars"):
            for table, rows in self.tables:
                with Horizontal(classes="bar-row"):
                    yield Label(table, classes="bar-name", markup=False)
                    yield ProgressBar(total=rows, show_eta=False, id=bar_id(table),
                                      clock=self.clock)
                    yield Label("waiting", id=bar_id(table) + "-n", classes="bar-count",
                                markup=False)
        yield RichLog(id="run-log", wrap=True, markup=False, max_lines=2000)

    def follow(self, table: str) -> None:
        """Scroll the bars so the table just started is in view (more tables than rows)."""
        try:
            row = self.query_one("#" + bar_id(table), ProgressBar).parent
        except NoMatches:
            return
        if row is not None:
            self.query_one("#table-bars", VerticalScroll).scroll_to_widget(row, animate=False)

    def set_bar(self, table: str, done: int, total: int, label: str) -> None:
        try:
            bar = self.query_one("#" + bar_id(table), ProgressBar)
        except NoMatches:
            return
        bar.update(total=total, progress=done)
        self.query_one("#" + bar_id(table) + "-n", Label).update(label)

    def set_overall(self, done: int, total: int, status: str) -> None:
        self.query_one("#overall", ProgressBar).update(total=total, progress=done)
        self.query_one("#overall-count", Label).update(f"{done:,}/{total:,}")
        self.query_one("#run-status", Label).update(status)

    def clear_log(self) -> None:
        self.query_one("#run-log", RichLog).clear()

    def log_line(self, text: str, level: str) -> None:
        style = {"error": "red bold", "warning": "yellow", "phase": "bold"}.get(level, "")
        prefix = {"error": "✗ ", "warning": "! "}.get(level, "  ")
        # The mark in a column of its own: a wrapped line continues under the text, not at 0.
        line = Table.grid()
        line.add_column(width=2, no_wrap=True)
        line.add_column(overflow="fold")
        line.add_row(Text(prefix, style=style), Text(text, style=style))
        self.query_one("#run-log", RichLog).write(line)
