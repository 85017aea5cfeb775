"""Stage 2, Review: every table and column, what it really holds, what it becomes, and the
values that would not fit."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Label, Static
from textual.widgets.data_table import RowDoesNotExist

from sqlite2pg_tui.core.errors import MappingError
from sqlite2pg_tui.core.plan.mapping import ColumnMapping, Mapping, TableMapping
from sqlite2pg_tui.core.plan.naming import MAX_IDENT_BYTES
from sqlite2pg_tui.core.plan.redundant import redundant_indexes
from sqlite2pg_tui.core.source import frameworks
from sqlite2pg_tui.core.source.dirty import ColumnDirt
from sqlite2pg_tui.core.source.inspection import Inspection
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.tui.backend import explain
from sqlite2pg_tui.tui.messages import TableScanned
from sqlite2pg_tui.tui.screens.base import WizardScreen
from sqlite2pg_tui.tui.screens.converter import (
    POLICY_LABELS,
    ConverterChoice,
    ConverterModal,
    TypeModal,
    apply_choice,
    apply_type,
)
from sqlite2pg_tui.tui.screens.modals import PathModal, TextModal
from sqlite2pg_tui.tui.widgets.bars import storage_bar
from sqlite2pg_tui.tui.widgets.cells import cut, plain
from sqlite2pg_tui.tui.widgets.table import FitTable

BAR_CELLS = 4  # the storage-class bar in front of "Holds"


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


class TableProfiled(Message):
    """One more table's profile landed in ``inspection`` (the worker's, maybe an old one)."""

    def __init__(self, inspection: object, table: str, error: str = "") -> None:
        super().__init__()
        self.inspection = inspection
        self.table = table
        self.error = error


def signature(cm: ColumnMapping) -> str:
    """What a dirt scan depends on: a result computed for another signature is stale."""
    return f"{cm.converter}|{sorted(cm.options.items())!r}|{cm.pg_type}"


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
        # type. A column still so when its profile lands takes the data's proposal.
        self.blank_choices: dict[str, dict[str, str]] = {}

    def compose(self) -> ComposeResult:
        yield self.breadcrumb()
        yield FitTable(id="tables", cursor_type="row")
        yield FitTable(id="columns", cursor_type="row")
        yield Static(id="column-detail", markup=False)
        yield Label(id="dirt-title", markup=False)
        yield DataTable(id="dirt", cursor_type="row")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        t = self.query_one("#tables", DataTable)
        for label, key in (("Table", "name"), ("Rows", "rows"), ("Cols", "cols"),
                           ("Dirty", "dirty"), ("Incl", "incl"), ("State", "state")):
            t.add_column(label, key=key)
        c = self.query_one("#columns", DataTable)
        for label, key in (("Column", "name"), ("Declared", "declared"), ("Holds", "holds"),
                           ("PG type", "pg_type"), ("Converter", "converter"),
                           ("Dirty", "dirty")):
            c.add_column(label, key=key)
        d = self.query_one("#dirt", DataTable)
        for label, key in (("Row", "rowid"), ("Value", "value"), ("Reason", "reason")):
            d.add_column(label, key=key)
        self.fill_tables()
        t.focus()
        if fw := frameworks.by_key(self.mapping.framework):
            self.notify(f"Made by {fw.name}: the surest path is to let its migrations create the "
                        "schema on PostgreSQL, then load the data into it (Run: truncate). "
                        + " · ".join(fw.data_only_steps(self.state.source or "app.db")),
                        title=f"{fw.name} database", timeout=12, markup=False)
        ins = self.state.inspection
        unread = [] if ins is None else [t.name for t in ins.schema.tables
                                         if t.name not in ins.profiles]
        if unread and ins is not None:
            self.blank_choices = {tm.source: {cm.source: signature(cm) for cm in tm.columns}
                                  for tm in self.mapping.tables if tm.source in unread}
            self._profile_tables(ins)
        missing = [tm.source for tm in self.mapping.tables
                   if tm.source not in self.state.dirt and tm.source not in unread]
        if missing:
            self._scan_tables(missing)

    def on_screen_resume(self) -> None:
        # Back from a modal, or from Run (the if-exists setting shows in the state column):
        # redraw the cells in place so the cursors stay where the user left them.
        if self.is_mounted:
            for tm in self.mapping.tables:
                self.update_table_row(tm.source)
            if self.table_name:
                for cm in self.visible_columns():
                    self.update_column_row(cm.source)

    @property
    def mapping(self) -> Mapping:
        assert self.state.mapping is not None
        return self.state.mapping

    # --- tables list ------------------------------------------------------------

    def table_cells(self, tm: TableMapping) -> list[str | Text]:
        st = self.state
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
        st = self.state
        if not tm.include:
            return Text("skipped", style="dim")
        if tm.source in self.blank_choices:
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

    def fill_tables(self) -> None:
        t = self.query_one("#tables", DataTable)
        keep = self.table_name
        t.clear()
        for tm in self.mapping.tables:
            t.add_row(*plain(*self.table_cells(tm)), key=tm.source)
        names = [tm.source for tm in self.mapping.tables]
        if names:
            row = names.index(keep) if keep in names else 0
            t.move_cursor(row=row)
            self.select_table(names[row])

    def update_table_row(self, name: str) -> None:
        t = self.query_one("#tables", DataTable)
        for key, value in zip(("name", "rows", "cols", "dirty", "incl", "state"),
                              plain(*self.table_cells(self.mapping.table(name))), strict=True):
            t.update_cell(name, key, value, update_width=True)

    @on(DataTable.RowHighlighted, "#tables")
    def _table_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value and event.row_key.value != self.table_name:
            self.select_table(event.row_key.value)

    @on(DataTable.RowSelected, "#tables")
    def _table_selected(self, _event: DataTable.RowSelected) -> None:
        self.query_one("#columns", DataTable).focus()

    def select_table(self, name: str) -> None:
        self.table_name = name
        self.column_name = ""
        self.fill_columns()

    # --- columns of the highlighted table --------------------------------------------

    def visible_columns(self) -> list[ColumnMapping]:
        tm = self.mapping.table(self.table_name)
        if not self.only_problems:
            return list(tm.columns)
        return [cm for cm in tm.columns if self.state.problem(tm.source, cm)]

    def column_cells(self, cm: ColumnMapping) -> list[str | Text]:
        p = self.state.profile(self.table_name, cm.source)
        d = self.state.column_dirt(self.table_name, cm.source)
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
        elif self.table_name in self.blank_choices:
            holds = Text(cut("reading…", w("holds")), style="dim")
        else:
            holds = Text(cut("generated", w("holds")))
        name = cm.source if cm.target == cm.source else f"{cm.source}→{cm.target}"
        return [cut(name, w("column")), cut(cm.declared or "-", w("declared")), holds,
                cut(cm.pg_type + (" ◆" if cm.suggestion else ""), w("pg_type")), cut(cm.converter, w("converter")), dirty]

    # Cell widths at 80 columns, and each one's share of the columns a wider terminal adds.
    _WIDTHS: ClassVar[dict[str, tuple[int, float]]] = {
        "table": (22, 0.4), "column": (16, 0.25), "declared": (10, 0.2), "holds": (18, 0.35),
        "pg_type": (16, 0.15), "converter": (12, 0.1)}

    def width_of(self, cell: str) -> int:
        """How much of a value fits: more on a wide terminal, where nothing need be cut."""
        base, share = self._WIDTHS[cell]
        return base + int(max(0, self.app.size.width - 80) * share)

    def on_resize(self) -> None:
        if self.is_mounted and self.table_name:
            self.fill_tables()

    def fill_columns(self) -> None:
        c = self.query_one("#columns", DataTable)
        keep = self.column_name
        c.clear()
        cols = self.visible_columns()
        for cm in cols:
            c.add_row(*plain(*self.column_cells(cm)), key=cm.source)
        names = [cm.source for cm in cols]
        if names:
            row = names.index(keep) if keep in names else 0
            c.move_cursor(row=row)
            self.select_column(names[row])
        else:
            self.select_column("")

    def update_column_row(self, name: str) -> None:
        c = self.query_one("#columns", DataTable)
        try:
            c.get_row_index(name)
        except RowDoesNotExist:  # filtered out of view
            return
        cm = self.mapping.table(self.table_name).column(name)
        for key, value in zip(("name", "declared", "holds", "pg_type", "converter", "dirty"),
                              plain(*self.column_cells(cm)), strict=True):
            c.update_cell(name, key, value, update_width=True)

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
        self.fill_dirt()

    def current_column(self) -> ColumnMapping | None:
        if not self.table_name or not self.column_name:
            return None
        try:
            return self.mapping.table(self.table_name).column(self.column_name)
        except KeyError:
            return None

    def column_detail(self) -> Text:
        cm = self.current_column()
        tm = self.mapping.table(self.table_name) if self.table_name else None
        if cm is None:
            msg = "No column here has problems (f shows all)." if self.only_problems else ""
            return Text(msg + (f"\n{tm.note}" if tm and tm.note else ""))
        p = self.state.profile(self.table_name, cm.source)
        d = self.state.column_dirt(self.table_name, cm.source)
        text = Text()
        text.append(f"{self.table_name}.{cm.source}", style="bold")
        not_null = self.state.not_null(self.table_name, cm.source)
        text.append(f"  declared {cm.declared or '(none)'}" + (" NOT NULL" if not_null else "")
                    + f" · holds {p.storage_mix() if p else '?'}")
        if p:
            text.append(f" · {p.nulls:,} NULL")
            if p.max_text_len:
                text.append(f" · longest {p.max_text_len:,} chars")
        text.append("\n→ ")
        text.append(f"{cm.pg_type}", style="bold")
        text.append(f" via {cm.converter} · on error: {POLICY_LABELS[cm.on_error]}")
        if cm.on_error == "null" and not_null:
            text.append(" (NOT NULL: such rows are rejected)", style="yellow")
        if d and d.altered:
            text.append(f" · {d.altered:,} altered")
        if cm.note:
            text.append(f" · {cm.note}", style="dim")
        if cm.suggestion:
            text.append(f"\n◆ the data suggests {cm.suggestion.pg_type} via "
                        f"{cm.suggestion.converter}: {cm.suggestion.note} · a: accept",
                        style="cyan")
        if tm is not None and (line := self.redundant_line(tm)):
            text.append("\n" + line, style="yellow")
        return text

    def redundant_indexes(self) -> list[str]:
        """The highlighted table's unique indexes that only repeat its primary key."""
        return redundant_indexes(self.state.table(self.table_name)) if self.table_name else []

    def redundant_line(self, tm: TableMapping) -> str:
        names = self.redundant_indexes()
        if not names:
            return ""
        skipped = all(n in tm.skip_indexes for n in names)
        return (f"! unique index {', '.join(names)} repeats the primary key: "
                + ("skipped · i: build it" if skipped else "redundant · i: skip it"))

    # --- dirty values of the highlighted column --------------------------------------

    def fill_dirt(self) -> None:
        d_table = self.query_one("#dirt", DataTable)
        d_table.clear()
        title = self.query_one("#dirt-title", Label)
        cm = self.current_column()
        if cm is None:
            title.update("")
            return
        d = self.state.column_dirt(self.table_name, cm.source)
        if d is None:
            title.update(f"Dirty values of {cm.source}: scanning…")
            return
        if not d.rejected:
            extra = f"; {d.altered:,} altered by {cm.converter}" if d.altered else ""
            title.update(f"No value of {cm.source} is refused by {cm.converter}{extra}")
            return
        shown = len(d.examples)
        title.update(f"Dirty values of {cm.source}: {d.rejected:,} refused by {cm.converter}"
                     + (f" (first {shown})" if shown < d.rejected else "") + " · v: full value")
        for i, ex in enumerate(d.examples):
            d_table.add_row(*plain(str(ex.rowid), converters.describe(ex.value, 34)),
                            Text(ex.reason, style="red"), key=str(i))

    # --- profiles and dirt scans, in workers ---------------------------------------

    @work(thread=True, group="profile")
    def _profile_tables(self, ins: Inspection) -> None:
        """Read the data of the tables listed from the schema alone, and say each as it lands."""
        try:
            self.backend.profile_tables(
                self.state.source or ins.path, ins,
                lambda p: self.post_message(TableProfiled(ins, p.name)))
        except Exception as e:  # shown as a notification; see backend.explain
            self.post_message(TableProfiled(ins, "", explain(e)))

    @on(TableProfiled)
    def _profiled(self, msg: TableProfiled) -> None:
        st = self.state
        if msg.error:
            self.notify(msg.error, title="Cannot read the data", severity="error", markup=False)
            return
        if msg.inspection is not st.inspection or msg.table not in self.blank_choices:
            return  # an older file's, or already in
        blank = self.blank_choices.pop(msg.table)
        tm = self.mapping.table(msg.table)
        if st.mapping_path is None:  # a loaded or saved mapping keeps its choices
            as_planned = not st.unsaved()  # the data's proposals are part of the plan
            fresh = self.backend.plan(st.inspection).table(msg.table)
            for cm in tm.columns:
                if blank.get(cm.source) != signature(cm):
                    continue  # the user chose already
                new = fresh.column(cm.source)
                cm.pg_type, cm.converter, cm.options = new.pg_type, new.converter, new.options
                cm.note, cm.suggestion = new.note, new.suggestion
            if as_planned:
                st.mark_saved()
        st.dirt.pop(msg.table, None)
        self.update_table_row(msg.table)
        if msg.table == self.table_name:
            self.fill_columns()
        self._scan_tables([msg.table])


    @work(thread=True, group="scan")
    def _scan_tables(self, names: list[str]) -> None:
        st = self.state
        assert st.inspection is not None
        for name in names:
            tm = st.table_mapping(name)
            # Copies: the user may edit the live mapping while this thread reads it.
            cms = [ColumnMapping(**vars(cm)) for cm in tm.columns]
            table: Table = st.table(name)
            snapshot = TableMapping(tm.source, tm.target, tm.include, cms)
            sigs = {cm.source: signature(cm) for cm in cms}
            try:
                dirt = self.backend.scan_table(st.inspection.path, table, snapshot,
                                               st.inspection.profiles.get(name))
            except Exception as e:  # shown as a notification; see backend.explain
                self.post_message(TableScanned(name, {}, explain(e)))
                continue
            self.post_message(TableScanned(name, dirt, signatures=sigs))

    @work(thread=True, group="scan-column")
    def _scan_column(self, table_name: str, cm: ColumnMapping) -> None:
        st = self.state
        assert st.inspection is not None
        try:
            d = self.backend.scan_column(st.inspection.path, st.table(table_name), cm,
                                         st.inspection.profiles.get(table_name))
        except Exception as e:
            self.post_message(TableScanned(table_name, {}, explain(e)))
            return
        self.post_message(TableScanned(table_name, {cm.source: d},
                                       signatures={cm.source: signature(cm)}))

    @on(TableScanned)
    def _scanned(self, msg: TableScanned) -> None:
        if msg.error:
            self.notify(msg.error, title=f"Cannot scan {msg.table}", severity="error", markup=False)
            return
        st = self.state
        tm = self.mapping.table(msg.table)
        fresh: dict[str, ColumnDirt] = {}
        for col, d in msg.dirt.items():
            # A scan of an older choice for this column: a newer one is on its way.
            if msg.signatures.get(col) == signature(tm.column(col)):
                fresh[col] = d
        st.dirt.setdefault(msg.table, {}).update(fresh)
        self.update_table_row(msg.table)
        if msg.table == self.table_name:
            for col in fresh:
                self.update_column_row(col)
            if self.column_name in fresh:
                self.select_column(self.column_name)

    def rescan(self, cm: ColumnMapping) -> None:
        st = self.state
        st.dirt.get(self.table_name, {}).pop(cm.source, None)
        self.update_column_row(cm.source)
        self.update_table_row(self.table_name)
        self.select_column(cm.source)
        self._scan_column(self.table_name, ColumnMapping(**vars(cm)))

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
            self.rescan(cm)

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
                self.rescan(cm)

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
        tm = self.mapping.table(self.table_name)
        if all(n in tm.skip_indexes for n in names):
            tm.skip_indexes = [n for n in tm.skip_indexes if n not in names]
            done = "will be built"
        else:
            tm.skip_indexes = [*tm.skip_indexes, *(n for n in names if n not in tm.skip_indexes)]
            done = "skipped"
        self.notify(f"{', '.join(names)}: {done}", timeout=3, markup=False)
        self.query_one("#column-detail", Static).update(self.column_detail())

    def action_accept_suggestion(self) -> None:
        cm = self.current_column()
        if cm is None or not cm.accept_suggestion():
            return
        self.notify(f"{self.table_name}.{cm.source} → {cm.pg_type} ({cm.converter})", timeout=3,
                    markup=False)
        self.rescan(cm)
        self.refresh_bindings()

    def action_rename(self) -> None:
        """The target name of the column (columns list focused) or else of the table."""
        if not self.table_name:
            return
        tm = self.mapping.table(self.table_name)
        cm = self.current_column() if self.query_one("#columns").has_focus else None
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
        d = self.state.column_dirt(self.table_name, cm.source)
        dirt_table = self.query_one("#dirt", DataTable)
        if dirt_table.has_focus and d and d.examples and dirt_table.cursor_row < len(d.examples):
            ex = d.examples[dirt_table.cursor_row]
            body = Text.assemble(("value  ", "bold"), converters.describe(ex.value, 1_000_000),
                                 ("\nreason ", "bold"), ex.reason)
            self.app.push_screen(TextModal(f"{self.table_name}.{cm.source}, row {ex.rowid}", body))
            return
        self.app.push_screen(TextModal(f"{self.table_name}.{cm.source}", self.column_detail()))

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

