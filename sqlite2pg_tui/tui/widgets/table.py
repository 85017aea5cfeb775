"""A DataTable whose columns follow cells updated in place."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable
from textual.widgets._data_table import CellKey


class FitTable(DataTable[Any]):
    """DataTable recomputes a column's width (update_cell(..., update_width=True)) when idle,
    but rows it had already drawn keep the old width until the cursor moves: a state that
    grew from "scanning…" to "! 2 dirty value(s)" showed as "! 2 dir". Redraw them."""

    def _update_column_widths(self, updated_cells: set[CellKey]) -> None:
        super()._update_column_widths(updated_cells)
        self._clear_caches()
        self.refresh()
