"""Stage 2, Review: every table and column, what it really holds, what it becomes, and the
values that would not fit. The screen holds the keys and the selection; the lists, the
detail lines and the dirty values are drawn by the modules beside it, and the data arrives
in workers (fill.py: each table's profile; scans.py: the dirt scans)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Label, Static

from sqlite2pg_tui.core.errors import MappingError
from sqlite2pg_tui.core.plan.mapping import ColumnMapping, Mapping
from sqlite2pg_tui.core.plan.naming import MAX_IDENT_BYTES
from sqlite2pg_tui.core.plan.redundant import redundant_indexes
from sqlite2pg_tui.core.source import frameworks
from sqlite2pg_tui.tui.messages import TableScanned
from sqlite2pg_tui.tui.screens.base import WizardScreen
from sqlite2pg_tui.tui.screens.converter import (
    ConverterChoice,
    ConverterModal,
    TypeModal,
    apply_choice,
    apply_type,
)
from sqlite2pg_tui.tui.screens.modals import PathModal, TextModal
from sqlite2pg_tui.tui.screens.review.detail import column_detail, toggle_skip
from sqlite2pg_tui.tui.screens.review.dirt import DirtList, dirt_title
from sqlite2pg_tui.tui.screens.review.fill import (
    TableProfiled,
    blank_choices,
    profile_tables,
    table_profiled,
    unread_tables,
)
from sqlite2pg_tui.tui.screens.review.lists import ColumnList, TableList
from sqlite2pg_tui.tui.screens.review.scans import rescan, scan_tables, table_scanned


def name_problem(name: str, taken: set[str]) -> str:
    """Why PostgreSQL (or the mapping) cannot take ``name``; "" when it can."""
    if not name.strip():
        return "a name cannot be blank"
    if any(not ch.isprintable() for ch in name):
        return "a name cannot hold control characters"
    if len(name.encode("utf-8")) > MAX_IDENT_BYTES:
        return f"longer than PostgreSQL's {MAX_IDENT_BYTES} bytes (it would be cut)"
    if name in taken:
        return "another one has that name already"
    return ""


class ReviewScreen(WizardScreen):
    STAGE = "Review"
    HELP = """
The upper list has every table: rows, columns, how many columns hold values the
chosen converters would refuse ("dirty"), whether it is included, and its state in
PostgreSQL. The middle list has the highlighted table's columns: the declared type,
what the data really holds (a bar of its values by kind: blue integer, cyan real, green
text, magenta blob, grey NULL), the proposed PostgreSQL type and converter, and how many
values it refuses. The lower list shows those values with their rowid and the reason.

Dirty counts are exact: they come from running the very converters the copy runs.
Refused values go through the column's on-error policy (reject the row, set NULL or
abort), chosen in the converter picker.

The declared type is the contract the application was written against, so it decides
the PostgreSQL type. Where the data suggests more (0/1 in an integer column could be a
boolean, ISO dates in a varchar a date), the PG type carries a ◆ and the line under
the columns says what and why: `a` accepts it for that column. Nothing is changed
without you: the application's own code may rely on the declared type.

A unique index that only repeats the primary key (same columns, same order) is noted
under the columns as redundant: `i` skips it (saved in the mapping as skip_indexes;
the report lists it as skipped by choice), `i` again builds it.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_table", "Incl", key_display="␣", id="toggle-table",
                tooltip="include or exclude the highlighted table"),
        Binding("c", "converter", "Conv", id="converter",
                tooltip="pick the converter and on-error policy of the column (also enter)"),
        Binding("t", "change_type", "Type", id="change-type",
                tooltip="change the PostgreSQL type of the column"),
        Binding("f", "filter", "Dirty", id="filter-problems",
                tooltip="only columns with refused or altered values (again: all)"),
        Binding("v", "show_value", "View", id="show-value",
                tooltip="the highlighted dirty value (or column) in full"),
        Binding("n", "rename", "Name", id="rename",
                tooltip="rename the highlighted table or column (its name in PostgreSQL)"),
        Binding("a", "accept_suggestion", "◆", id="accept-suggestion",
                tooltip="take the type the data suggests for this column (marked ◆)"),
        # Shown only where it fits (see check_action); the hidden twin keeps the key working.
        Binding("i", "skip_index('shown')", "Idx", id="skip-index",
                tooltip="skip (or build again) the unique index that repeats the primary key"),
        Binding("i", "skip_index('hidden')", "Idx", show=False, id="skip-index-hidden"),
        Binding("ctrl+n", "next", "Run", id="next", tooltip="on to Run: a summary to confirm"),
        Binding("escape", "back", "Back", id="back", tooltip="back to Connect"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.only_problems = False
        self.table_name = ""
        self.column_name = ""
        # Per table still being profiled: each column's choice as planned from its declared
        # type. A column still so when its profile lands takes the data's proposal (fill.py).
        self.blank_choices: dict[str, dict[str, str]] = {}

    def compose(self) -> ComposeResult:
        yield self.breadcrumb()
        yield TableList(id="tables", cursor_type="row")
        yield ColumnList(id="columns", cursor_type="row")
        yield Static(id="column-detail", markup=False)
        yield Label(id="dirt-title", markup=False)
        yield DirtList(id="dirt", cursor_type="row")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        t = self.query_one(TableList)
        t.setup()
        self.query_one(ColumnList).setup()
        self.query_one(DirtList).setup()
        self.fill_tables()
        t.focus()
        if fw := frameworks.by_key(self.mapping.framework):
            self.notify(f"Made by {fw.name}: the surest path is to let its migrations create the "
                        "schema on PostgreSQL, then load the data into it (Run: truncate). "
                        + " · ".join(fw.data_only_steps(self.state.source or "app.db")),
                        title=f"{fw.name} database", timeout=12, markup=False)
        ins = self.state.inspection
        unread = unread_tables(ins)
        if unread and ins is not None:
            self.blank_choices = blank_choices(self.mapping, unread)
            profile_tables(self, ins)
        missing = [tm.source for tm in self.mapping.tables
                   if tm.source not in self.state.dirt and tm.source not in unread]
        if missing:
            scan_tables(self, missing)

    def on_screen_resume(self) -> None:
        # Back from a modal, or from Run (the if-exists setting shows in the state column):
        # redraw the cells in place so the cursors stay where the user left them.
        if self.is_mounted:
            for tm in self.mapping.tables:
                self.update_table_row(tm.source)
            if self.table_name:
                for cm in self.visible_columns():
                    self.update_column_row(cm.source)

    def on_resize(self) -> None:
        if self.is_mounted and self.table_name:
            self.fill_tables()

    @property
    def mapping(self) -> Mapping:
        assert self.state.mapping is not None
        return self.state.mapping

    # --- tables list ------------------------------------------------------------

    def fill_tables(self) -> None:
        if name := self.query_one(TableList).fill(self.table_name):
            self.select_table(name)

    def update_table_row(self, name: str) -> None:
        self.query_one(TableList).update_table(name)

    @on(DataTable.RowHighlighted, "#tables")
    def _table_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value and event.row_key.value != self.table_name:
            self.select_table(event.row_key.value)

    @on(DataTable.RowSelected, "#tables")
    def _table_selected(self, _event: DataTable.RowSelected) -> None:
        self.query_one(ColumnList).focus()

    def select_table(self, name: str) -> None:
        self.table_name = name
        self.column_name = ""
        self.fill_columns()

    # --- columns of the highlighted table, its detail and dirty values ------------------

    def visible_columns(self) -> list[ColumnMapping]:
        tm = self.mapping.table(self.table_name)
        if not self.only_problems:
            return list(tm.columns)
        return [cm for cm in tm.columns if self.state.problem(tm.source, cm)]

    def fill_columns(self) -> None:
        self.select_column(self.query_one(ColumnList).fill(self.visible_columns(),
                                                           self.column_name))

    def update_column_row(self, name: str) -> None:
        self.query_one(ColumnList).update_column(self.mapping.table(self.table_name).column(name))

    @on(DataTable.RowHighlighted, "#columns")
    def _column_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value:
            self.select_column(event.row_key.value)

    @on(DataTable.RowSelected, "#columns")
    def _column_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_converter()

    def select_column(self, name: str) -> None:
        self.column_name = name
        self.refresh_bindings()
        self.query_one("#column-detail", Static).update(self.column_detail())
        cm = self.current_column()
        d = self.state.column_dirt(self.table_name, cm.source) if cm else None
        self.query_one("#dirt-title", Label).update(dirt_title(cm, d))
        self.query_one(DirtList).fill(d)

    def current_column(self) -> ColumnMapping | None:
        if not self.table_name or not self.column_name:
            return None
        try:
            return self.mapping.table(self.table_name).column(self.column_name)
        except KeyError:
            return None

    def column_detail(self) -> Text:
        tm = self.mapping.table(self.table_name) if self.table_name else None
        return column_detail(self.state, self.table_name, tm, self.current_column(),
                             self.redundant_indexes(), self.only_problems)

    def redundant_indexes(self) -> list[str]:
        """The highlighted table's unique indexes that only repeat its primary key."""
        return redundant_indexes(self.state.table(self.table_name)) if self.table_name else []

    # --- the data arriving, in workers ----------------------------------------------

    @on(TableProfiled)
    def _profiled(self, msg: TableProfiled) -> None:
        table_profiled(self, msg)

    @on(TableScanned)
    def _scanned(self, msg: TableScanned) -> None:
        table_scanned(self, msg)

    # --- actions ----------------------------------------------------------------------

    def action_toggle_table(self) -> None:
        if not self.table_name:
            return
        tm = self.mapping.table(self.table_name)
        tm.include = not tm.include
        self.update_table_row(tm.source)

    def action_converter(self) -> None:
        cm = self.current_column()
        if cm is None:
            return
        table = self.table_name

        def chosen(choice: ConverterChoice | None) -> None:
            if choice is None:
                return
            apply_choice(cm, choice)
            rescan(self, cm)

        self.app.push_screen(ConverterModal(
            table, cm, self.state.profile(table, cm.source),
            self.state.column_dirt(table, cm.source),
            not_null=self.state.not_null(table, cm.source)), chosen)

    def action_change_type(self) -> None:
        cm = self.current_column()
        if cm is None:
            return
        p = self.state.profile(self.table_name, cm.source)

        def chosen(pg_type: str | None) -> None:
            if pg_type and pg_type != cm.pg_type:
                apply_type(cm, pg_type)
                rescan(self, cm)

        self.app.push_screen(TypeModal(f"{self.table_name}.{cm.source}", cm.pg_type,
                                       p.max_text_len if p else 0), chosen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "accept_suggestion":
            cm = self.current_column() if self.is_mounted else None
            return cm is not None and cm.suggestion is not None
        if action == "skip_index":
            # Only where there is such an index, and in the footer only beside no ◆: the
            # footer cannot hold both at 80 columns (the detail line names the key anyway).
            if not (self.is_mounted and self.redundant_indexes()):
                return False
            cm = self.current_column()
            suggested = cm is not None and cm.suggestion is not None
            return suggested == (bool(parameters) and parameters[0] == "hidden")
        return True

    def action_skip_index(self, _shown: str = "") -> None:
        names = self.redundant_indexes()
        if not names:
            return
        done = toggle_skip(self.mapping.table(self.table_name), names)
        self.notify(f"{', '.join(names)}: {done}", timeout=3, markup=False)
        self.query_one("#column-detail", Static).update(self.column_detail())

    def action_accept_suggestion(self) -> None:
        cm = self.current_column()
        if cm is None or not cm.accept_suggestion():
            return
        self.notify(f"{self.table_name}.{cm.source} → {cm.pg_type} ({cm.converter})", timeout=3,
                    markup=False)
        rescan(self, cm)
        self.refresh_bindings()

    def action_rename(self) -> None:
        """The target name of the column (columns list focused) or else of the table."""
        if not self.table_name:
            return
        tm = self.mapping.table(self.table_name)
        cm = self.current_column() if self.query_one(ColumnList).has_focus else None
        if cm is not None:
            what, current = f"column {tm.source}.{cm.source}", cm.target
            others = {c.target for c in tm.columns if c is not cm}
        else:
            what, current = f"table {tm.source}", tm.target
            others = {t.target for t in self.mapping.tables if t is not tm and t.include}

        def chosen(name: str | None) -> None:
            if name is None or name == current:
                return
            problem = name_problem(name, others)
            if problem:
                self.notify(f"{name!r}: {problem}", title="Not renamed", severity="error",
                            markup=False)
                return
            if cm is not None:
                cm.target = name
                self.update_column_row(cm.source)
                self.select_column(cm.source)
            else:
                tm.target = name
                self.update_table_row(tm.source)

        self.app.push_screen(PathModal(f"Name in PostgreSQL of {what}", current, replace=True,
                                       hint="enter: rename   esc: keep the name",
                                       empty="a name is needed"), chosen)

    def action_filter(self) -> None:
        self.only_problems = not self.only_problems
        self.fill_columns()
        self.notify("only columns with problems" if self.only_problems else "all columns",
                    timeout=2, markup=False)

    def action_show_value(self) -> None:
        cm = self.current_column()
        if cm is None:
            return
        where = f"{self.table_name}.{cm.source}"
        d = self.state.column_dirt(self.table_name, cm.source)
        modal = self.query_one(DirtList).full(where, d)
        self.app.push_screen(modal if modal is not None else TextModal(where, self.column_detail()))

    def action_next(self) -> None:
        st = self.state
        assert st.mapping is not None
        if self.blank_choices:
            self.notify(f"Still reading the data of {', '.join(sorted(self.blank_choices))}: the "
                        "proposals there follow it once it is in", title="One moment",
                        severity="warning", markup=False)
            return
        st.sync_mapping()
        try:
            st.mapping.validate()
        except MappingError as e:
            self.notify(str(e), title="The mapping needs a fix", severity="error", markup=False)
            return
        if not st.mapping.included:
            self.notify("Every table is excluded: include one with space", severity="warning", markup=False)
            return
        self.advance()

