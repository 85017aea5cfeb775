"""3 Not migrated: what the whole database left behind (orphan rows, views, triggers, notes,
renamed objects), with the reason."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from sqlite2pg_tui.core.report import Report
from sqlite2pg_tui.tui.widgets.cells import cut, plain


def other_rows(r: Report) -> list[tuple[str | Text, str, str, str]]:
    """(kind, name, reason, full text) for the database-wide view."""
    rows: list[tuple[str | Text, str, str, str]] = []
    for o in r.orphans:
        name = f"{o.table}({o.column}) → {o.references}"
        examples = getattr(o, "examples", None) or []
        shown = f"; e.g. {', '.join(map(str, examples[:5]))}" if examples else ""
        reason = f"{o.rows:,} row(s) point at no parent; {o.action}{shown}"
        rows.append((Text("orphan rows", style="yellow"), name, reason, f"{name}: {reason}"))
    for n in r.not_migrated:
        rows.append((n.kind, n.name, n.reason,
                     f"{n.kind} {n.name}: {n.reason}" + (f"\n\n{n.sql}" if n.sql else "")))
    for note in getattr(r, "notes", None) or []:
        text = str(note.get("note", ""))
        rows.append(("note", str(note.get("table", "")), text, text))
    for rn in r.renamed:
        reason = f"renamed to {rn.get('to', '')} (PostgreSQL's 63-byte limit or a clash)"
        rows.append(("renamed", f"{rn.get('kind', '')} {rn.get('from', '')}", reason,
                     f"{rn.get('kind', '')} {rn.get('from', '')}: {reason}"))
    return rows


class NotMigratedTable(DataTable[Text]):
    """One line per thing not migrated; ``items`` holds each line's full text."""

    items: list[str]

    def fill(self, report: Report) -> None:
        if not self.columns:
            for label, key in (("Kind", "kind"), ("Name", "name"), ("Reason", "reason")):
                self.add_column(label, key=key)
        self.clear()
        rows = other_rows(report)
        self.items = [full for *_, full in rows]
        for kind, name, reason, _full in rows:
            self.add_row(*plain(kind, cut(name, 30), reason))
        if self.row_count == 0:
            self.add_row(*plain("", "", "everything was migrated"))

    def highlighted(self) -> str | None:
        """The full text of the line under the cursor."""
        i = self.cursor_row
        return self.items[i] if 0 <= i < len(self.items) else None
