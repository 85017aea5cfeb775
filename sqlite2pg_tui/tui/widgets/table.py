"""A DataTable whose columns follow cells updated in place."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets._data_table import CellKey

from sqlite2pg_tui.tui.widgets.cells import plain


class FitTable(DataTable[Any]):
    """DataTable recomputes a column's width (update_cell(..., update_width=True)) when idle,
    but rows it had already drawn keep the old width until the cursor moves: a state that
    grew from "scanning…" to "! 2 dirty value(s)" showed as "! 2 dir". Redraw them."""

    def _update_column_widths(self, updated_cells: set[CellKey]) -> None:
        super()._update_column_widths(updated_cells)
        self._clear_caches()
        self.refresh()

    def add_keyed_columns(self, columns: Iterable[tuple[str, str]]) -> None:
        """Columns by (label, key): cells are updated by key."""
        for label, key in columns:
            self.add_column(label, key=key)

    def refill(self, rows: Iterable[tuple[str, list[str | Text]]], keep: str) -> str:
        """All rows afresh, keyed, the cursor back on ``keep`` (else the first row): the key
        it lands on, "" for no rows."""
        self.clear()
        keys = []
        for key, cells in rows:
            self.add_row(*plain(*cells), key=key)
            keys.append(key)
        if not keys:
            return ""
        row = keys.index(keep) if keep in keys else 0
        self.move_cursor(row=row)
        return keys[row]

    def update_row(self, key: str, cells: list[str | Text]) -> None:
        """The row's cells replaced in place, in column order, the widths following them."""
        for column, value in zip(self.columns, plain(*cells), strict=True):
            self.update_cell(key, column, value, update_width=True)
