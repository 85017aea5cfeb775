"""1 Rows and 2 Rejected: the highlighted table's sampled rows side by side, and its
rejected rows with the reason (read from the reject file)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable

from sqlite2pg_tui.core.report import TableReport
from sqlite2pg_tui.core.verify.samples import CellPair, RowPair
from sqlite2pg_tui.tui.backend import RejectLine
from sqlite2pg_tui.tui.screens.modals import TextModal
from sqlite2pg_tui.tui.widgets.cells import cut, plain


def pg_shown(text: str) -> str:
    # verify shows Python's repr for booleans; print them the way PostgreSQL does.
    return {"True": "true", "False": "false"}.get(text, text)


@dataclass
class Loaded:
    """What was read for one table: sampled row pairs, rejected rows, or why not."""

    rows: list[RowPair]
    rejects: list[RejectLine]
    error: str = ""


class SampleRows(DataTable[Text]):
    """Sampled rows, one line per cell: the SQLite value, what PostgreSQL holds, equal or
    not. ``entries`` has one (row, cell or None, note) per line."""

    entries: list[tuple[str, CellPair | None, str]]

    def fill(self, data: Loaded | None, loading: bool = False) -> None:
        # Columns afresh: their widths fit this table's values, not the widest seen so far.
        self.clear(columns=True)
        for label, key in (("Row", "row"), ("Column", "column"), ("SQLite", "sqlite"),
                           ("PostgreSQL", "postgres"), ("=", "eq")):
            self.add_column(label, key=key)
        self.entries = []
        if loading or data is None:
            self.add_row(*plain("", "", "loading…", "", ""))
            self.entries.append(("", None, ""))
            return
        if data.error:
            self.add_row(*plain("", "", Text(cut(data.error, 60), style="red"), "", ""))
            self.entries.append(("", None, data.error))
        for pair in data.rows:
            self._add_pair(pair)
        if not data.rows and not data.error:
            self.add_row(*plain("", "", "(no rows)", "", ""))
            self.entries.append(("", None, ""))

    def _add_pair(self, pair: RowPair) -> None:
        loc = str(pair.locator)
        if pair.expected_absent:
            ok = not pair.found
            self.add_row(*plain(loc, "(row)", "rejected by a converter",
                                "absent" if ok else Text("present", style="red bold"),
                                Text("✓", style="green") if ok else Text("✗", style="red bold")))
            self.entries.append((loc, None, "rejected in the copy, so not expected in "
                                 "PostgreSQL: " + ("absent, as expected" if ok else "present!")))
            return
        if not pair.found:
            self.add_row(*plain(loc, "(row)", "present", Text("missing", style="red bold"),
                                Text("✗", style="red bold")))
            self.entries.append((loc, None, "this row is not in PostgreSQL"))
            return
        for i, cell in enumerate(pair.cells):
            style = "" if cell.equal else "red bold"
            self.add_row(*plain(loc if i == 0 else "", cut(cell.column, 14),
                                Text(cut(cell.sqlite, 22), style=style),
                                Text(cut(pg_shown(cell.postgres), 22), style=style),
                                Text("✓", style="green") if cell.equal
                                else Text("✗", style="red bold")))
            self.entries.append((loc, cell, ""))

    def _entry(self) -> tuple[str, CellPair | None, str] | None:
        i = self.cursor_row
        return self.entries[i] if 0 <= i < len(getattr(self, "entries", [])) else None

    def detail(self) -> Text | None:
        """Two lines on the highlighted cell, for the line below the views."""
        entry = self._entry()
        if entry is None:
            return None
        loc, cell, note = entry
        if cell is None:
            return Text(note)
        return Text.assemble(
            (f"row {loc} · {cell.column}: ", "bold"), "SQLite ", cut(cell.sqlite, 60),
            "\nexpected ", cut(pg_shown(cell.expected), 40), " · PostgreSQL ",
            (cut(pg_shown(cell.postgres), 40), "" if cell.equal else "red bold"))

    def full(self, table: str) -> TextModal | None:
        """The highlighted cell in full, in a modal."""
        entry = self._entry()
        if entry is None:
            return None
        loc, cell, note = entry
        if cell is None:
            return TextModal(f"{table}, row {loc}", note)
        body = Text.assemble(("SQLite      ", "bold"), cell.sqlite,
                             ("\nexpected    ", "bold"), pg_shown(cell.expected),
                             ("\nPostgreSQL  ", "bold"), pg_shown(cell.postgres),
                             ("\n\n" + ("✓ equal" if cell.equal else "✗ different")))
        return TextModal(f"{table}, row {loc}, {cell.column}", body)


class RejectRows(DataTable[Text]):
    """The table's rejected rows: row, column, value and the converter's reason."""

    rejects: list[RejectLine]

    def fill(self, data: Loaded | None, tr: TableReport | None, rejects_dir: str | None) -> None:
        self.clear(columns=True)
        for label, key in (("Row", "row"), ("Column", "column"), ("Value", "value"),
                           ("Reason", "reason")):
            self.add_column(label, key=key)
        self.rejects = data.rejects if data is not None else []
        for i, r in enumerate(self.rejects):
            self.add_row(*plain(r.rowid, cut(r.column, 14), cut(r.value, 26),
                                Text(r.reason, style="red")), key=str(i))
        if tr is not None and tr.rejected_rows and not self.rejects:
            where = rejects_dir or "(no reject directory)"
            self.add_row(*plain("", "", f"{tr.rejected_rows:,} rejected; file not found in {where}",
                                ""))

    def _reject(self) -> RejectLine | None:
        i = self.cursor_row
        rejects = getattr(self, "rejects", [])
        return rejects[i] if 0 <= i < len(rejects) else None

    def detail(self) -> Text | None:
        r = self._reject()
        if r is None:
            return None
        return Text.assemble((f"row {r.rowid} · {r.column}: ", "bold"), cut(r.value, 60), "\n",
                             r.reason)

    def full(self, table: str) -> TextModal | None:
        r = self._reject()
        if r is None:
            return None
        return TextModal(f"{table}, row {r.rowid}, {r.column}",
                         Text.assemble(("value   ", "bold"), r.value, ("\nreason  ", "bold"),
                                       r.reason))
