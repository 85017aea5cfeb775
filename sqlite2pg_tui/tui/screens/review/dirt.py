"""The lower list of Review: the values of the highlighted column its converter refuses, with
their rowid and the reason, under a title that counts them."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from sqlite2pg_tui.core.plan.mapping import ColumnMapping
from sqlite2pg_tui.core.source.dirty import ColumnDirt
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.tui.screens.modals import TextModal
from sqlite2pg_tui.tui.widgets.cells import plain


def dirt_title(cm: ColumnMapping | None, d: ColumnDirt | None) -> str:
    if cm is None:
        return ""
    if d is None:
        return f"Dirty values of {cm.source}: scanning…"
    if not d.rejected:
        extra = f"; {d.altered:,} altered by {cm.converter}" if d.altered else ""
        return f"No value of {cm.source} is refused by {cm.converter}{extra}"
    shown = len(d.examples)
    return (f"Dirty values of {cm.source}: {d.rejected:,} refused by {cm.converter}"
            + (f" (first {shown})" if shown < d.rejected else "") + " · v: full value")


class DirtList(DataTable[Text]):
    """The refused values (the first ones the scan kept), one line each."""

    def setup(self) -> None:
        for label, key in (("Row", "rowid"), ("Value", "value"), ("Reason", "reason")):
            self.add_column(label, key=key)

    def fill(self, d: ColumnDirt | None) -> None:
        self.clear()
        if d is None or not d.rejected:
            return
        for i, ex in enumerate(d.examples):
            self.add_row(*plain(str(ex.rowid), converters.describe(ex.value, 34)),
                         Text(ex.reason, style="red"), key=str(i))

    def full(self, where: str, d: ColumnDirt | None) -> TextModal | None:
        """The highlighted value in full with its reason, when the list has the focus."""
        if not (self.has_focus and d and d.examples and self.cursor_row < len(d.examples)):
            return None
        ex = d.examples[self.cursor_row]
        body = Text.assemble(("value  ", "bold"), converters.describe(ex.value, 1_000_000),
                             ("\nreason ", "bold"), ex.reason)
        return TextModal(f"{where}, row {ex.rowid}", body)
