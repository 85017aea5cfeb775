"""4 Checks: every verification check the run made, ✓ or ✗ with the first difference, and
below the highlighted check's SQL on both sides and its first difference side by side."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table as RichTable
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from sqlite2pg_tui.tui.widgets.cells import cut, plain


def _values(vals: Any) -> str:
    if vals is None:
        return "(no row)"
    if isinstance(vals, list | tuple):
        return ", ".join("NULL" if v is None else str(v) for v in vals)
    return str(vals)


def _single(c: dict[str, Any]) -> bool:
    """A one-row answer (every default check): "row 1" would say nothing."""
    return (c.get("sqlite_rows") or 0) <= 1 and (c.get("pg_rows") or 0) <= 1


def difference_summary(fd: dict[str, Any] | None, single: bool = False) -> str:
    """One line for a first difference: its message, or row N: SQLite … ≠ PostgreSQL …"""
    if not fd:
        return ""
    if fd.get("message"):
        return str(fd["message"])
    where = f"row {fd['row'] + 1}: " if isinstance(fd.get("row"), int) and not single else ""
    return f"{where}{_values(fd.get('sqlite'))} ≠ {_values(fd.get('postgres'))}"


def check_result(c: dict[str, Any]) -> Text:
    if c.get("ok", True):
        return Text("✓ ok", style="green")
    return Text("✗ err" if c.get("error") else "✗ diff", style="red bold")


def check_detail(c: dict[str, Any]) -> Group:
    """The check's SQL on both sides and its first difference side by side, then error/note."""
    head = Text.assemble((c.get("name", ""), "bold"), "  ", check_result(c),
                         (f"  {c.get('kind', '')} check", "dim"))
    grid = RichTable.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_column(ratio=1)
    grid.add_row("", Text("SQLite", style="bold underline"),
                 Text("PostgreSQL", style="bold underline"))
    if c.get("sqlite_sql") or c.get("postgres_sql"):
        grid.add_row("SQL", Text(c.get("sqlite_sql", "")), Text(c.get("postgres_sql", "")))
    rows = (c.get("sqlite_rows"), c.get("pg_rows"))
    grid.add_row("rows", "-" if rows[0] is None else str(rows[0]),
                 "-" if rows[1] is None else str(rows[1]))
    fd = c.get("first_difference")
    answered = c.get("values")
    if answered and not fd:
        grid.add_row("value", Text(_values(answered.get("sqlite"))),
                     Text(_values(answered.get("postgres"))))
    if fd:
        if fd.get("message"):
            grid.add_row("differs", Text(str(fd["message"]), style="red"), "")
        if "sqlite" in fd or "postgres" in fd:
            label = (f"row {fd['row'] + 1}" if isinstance(fd.get("row"), int) and not _single(c)
                     else "value")
            grid.add_row(label, Text(_values(fd.get("sqlite")), style="red bold"),
                         Text(_values(fd.get("postgres")), style="red bold"))
    parts: list[Any] = [head, grid]
    if c.get("error"):
        parts.append(Text("error: " + str(c["error"]), style="red"))
    if c.get("note"):
        parts.append(Text("note: " + str(c["note"]), style="yellow"))
    if c.get("ok", True) and not fd and not c.get("error"):
        parts.append(Text("✓ the same answer on both sides", style="green"))
    return Group(*parts)


class ChecksPanel(Vertical):
    """The checks of ``checks`` (the report's list, shared: a check added from the Query view
    shows here after ``fill``)."""

    def __init__(self, checks: list[dict[str, Any]], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.checks = checks

    def compose(self) -> ComposeResult:
        yield DataTable(id="chk-table", cursor_type="row")
        with VerticalScroll(id="chk-detail-box"):
            yield Static(id="chk-detail", markup=False)

    def on_mount(self) -> None:
        chk = self.query_one("#chk-table", DataTable)
        # Fixed widths: a snapshot must not depend on when auto-sizing runs.
        for label, key, width in (("Result", "result", 6), ("Check", "name", 26),
                                  ("Kind", "kind", 7), ("First difference", "diff", 29)):
            chk.add_column(label, key=key, width=width)
        self.fill()

    def fill(self) -> None:
        chk = self.query_one("#chk-table", DataTable)
        chk.clear()
        for i, c in enumerate(self.checks):
            summary = (f"error: {c['error']}" if c.get("error")
                       else difference_summary(c.get("first_difference"), _single(c))
                       or c.get("note", ""))
            style = "red" if not c.get("ok", True) else "dim"
            chk.add_row(*plain(check_result(c), cut(str(c.get("name", "")), 26),
                               str(c.get("kind", "")), Text(cut(summary, 29), style=style)),
                        key=str(i))
        if not self.checks:
            chk.add_row(*plain("", "(no checks in this report)", "", ""))
        self.show_check()

    def check_at_cursor(self) -> dict[str, Any] | None:
        i = self.query_one("#chk-table", DataTable).cursor_row
        return self.checks[i] if 0 <= i < len(self.checks) else None

    def show_check(self) -> None:
        c = self.check_at_cursor()
        self.query_one("#chk-detail", Static).update(
            check_detail(c) if c is not None else
            Text("The run made no checks (run again with checks on, or add one with 5 Query)."))

    def focus_list(self) -> None:
        self.query_one("#chk-table", DataTable).focus()

    @on(DataTable.RowHighlighted, "#chk-table")
    def _check_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.show_check()
