"""The Review's two lists: every table (upper), and the highlighted table's columns
(middle); what each cell shows, cut to what the terminal's width lets it have."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.widgets.data_table import RowDoesNotExist

from sqlite2pg_tui.core.plan.mapping import ColumnMapping, TableMapping
from sqlite2pg_tui.tui.widgets.bars import storage_bar
from sqlite2pg_tui.tui.widgets.cells import cut
from sqlite2pg_tui.tui.widgets.table import FitTable

if TYPE_CHECKING:
    from sqlite2pg_tui.tui.screens.review.screen import ReviewScreen

BAR_CELLS = 4  # the storage-class bar in front of "Holds"

# Cell widths at 80 columns, and each one's share of the columns a wider terminal adds.
WIDTHS: dict[str, tuple[int, float]] = {
    "table": (22, 0.4), "column": (16, 0.25), "declared": (10, 0.2), "holds": (18, 0.35),
    "pg_type": (16, 0.15), "converter": (12, 0.1)}


class ReviewList(FitTable):
    """A list of the Review screen: it reads the state and the mapping through it."""

    @property
    def review(self) -> ReviewScreen:
        return cast("ReviewScreen", self.screen)

    def width_of(self, cell: str) -> int:
        """How much of a value fits: more on a wide terminal, where nothing need be cut."""
        base, share = WIDTHS[cell]
        return base + int(max(0, self.app.size.width - 80) * share)


class TableList(ReviewList):
    """One line per table: rows, columns, dirty columns, included, state in PostgreSQL.
    The row key is the table's source name."""

    def setup(self) -> None:
        self.add_keyed_columns((("Table", "name"), ("Rows", "rows"), ("Cols", "cols"),
                                ("Dirty", "dirty"), ("Incl", "incl"), ("State", "state")))

    def cells(self, tm: TableMapping) -> list[str | Text]:
        st = self.review.state
        table = st.table(tm.source)
        dirty = st.dirty_columns(tm.source)
        return [
            cut(tm.source if tm.target == tm.source else f"{tm.source}→{tm.target}",
                self.width_of("table")),
            Text(f"{table.row_count:,}", justify="right"),
            Text(str(len(tm.columns)), justify="right"),
            Text("…" if dirty is None else str(dirty), justify="right",
                 style="yellow bold" if dirty else ""),
            Text("✓ yes", style="green") if tm.include else Text("✗ no", style="dim"),
            self.table_state(tm),
        ]

    def table_state(self, tm: TableMapping) -> Text:
        st = self.review.state
        if not tm.include:
            return Text("skipped", style="dim")
        if tm.source in self.review.blank_choices:
            return Text("reading…", style="dim")
        exists = st.target is not None and tm.target in st.target.existing_tables
        if exists:
            if st.if_exists == "fail":
                return Text("✗ exists: fail", style="red bold")
            return Text(f"! exists: {st.if_exists}", style="yellow")
        dirty = st.dirty_columns(tm.source)
        if dirty is None:
            return Text("scanning…", style="dim")
        if dirty:
            rejected = sum(d.rejected for d in st.dirt[tm.source].values())
            return Text(f"! {rejected:,} dirty value(s)", style="yellow")
        return Text("✓ ready", style="green")

    def fill(self, keep: str) -> str:
        """Every table; the highlighted one's name ("" for none)."""
        return self.refill(((tm.source, self.cells(tm)) for tm in self.review.mapping.tables),
                           keep)

    def update_table(self, name: str) -> None:
        self.update_row(name, self.cells(self.review.mapping.table(name)))


class ColumnList(ReviewList):
    """The highlighted table's columns: declared type, what the data holds, PG type (◆: the
    data suggests another), converter, dirty values. The row key is the column's source name."""

    def setup(self) -> None:
        self.add_keyed_columns((("Column", "name"), ("Declared", "declared"),
                                ("Holds", "holds"), ("PG type", "pg_type"),
                                ("Converter", "converter"), ("Dirty", "dirty")))

    def cells(self, cm: ColumnMapping) -> list[str | Text]:
        review = self.review
        p = review.state.profile(review.table_name, cm.source)
        d = review.state.column_dirt(review.table_name, cm.source)
        if d is None:
            dirty: str | Text = "…"
        elif d.rejected:
            dirty = Text(f"✗ {d.rejected:,}", style="red bold")
        elif d.altered:
            dirty = Text(f"~{d.altered:,}", style="yellow")
        else:
            dirty = "0"
        w = self.width_of
        if p:  # the mix as a stacked bar first: a mixed column stands out at a glance
            holds = storage_bar(p.storage, p.nulls, BAR_CELLS)
            holds.append(" " + cut(p.storage_mix(), w("holds") - BAR_CELLS - 1))
        elif review.table_name in review.blank_choices:
            holds = Text(cut("reading…", w("holds")), style="dim")
        else:
            holds = Text(cut("generated", w("holds")))
        name = cm.source if cm.target == cm.source else f"{cm.source}→{cm.target}"
        return [cut(name, w("column")), cut(cm.declared or "-", w("declared")), holds,
                cut(cm.pg_type + (" ◆" if cm.suggestion else ""), w("pg_type")),
                cut(cm.converter, w("converter")), dirty]

    def fill(self, columns: list[ColumnMapping], keep: str) -> str:
        """These columns; the highlighted one's name ("" for none)."""
        return self.refill(((cm.source, self.cells(cm)) for cm in columns), keep)

    def update_column(self, cm: ColumnMapping) -> None:
        try:
            self.get_row_index(cm.source)
        except RowDoesNotExist:  # filtered out of view
            return
        self.update_row(cm.source, self.cells(cm))
