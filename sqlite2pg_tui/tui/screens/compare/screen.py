"""Stage 5, Compare: both sides counted, sampled rows side by side, rejects with reasons,
what was not migrated, the verification checks, and a query run on both sides. The screen
holds the keys and switches the views; each panel is a widget of its own module."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import ContentSwitcher, DataTable, Footer, Label, Static

from sqlite2pg_tui import locations
from sqlite2pg_tui.core.report import Report
from sqlite2pg_tui.core.verify.results import QueryComparison
from sqlite2pg_tui.tui.backend import RejectLine, explain
from sqlite2pg_tui.tui.messages import SampleLoaded
from sqlite2pg_tui.tui.saving import save_or_say
from sqlite2pg_tui.tui.screens.base import WizardScreen
from sqlite2pg_tui.tui.screens.compare.checks import ChecksPanel, check_detail
from sqlite2pg_tui.tui.screens.compare.other import NotMigratedTable, other_rows
from sqlite2pg_tui.tui.screens.compare.query import QueryPanel
from sqlite2pg_tui.tui.screens.compare.samples import Loaded, RejectRows, SampleRows
from sqlite2pg_tui.tui.screens.compare.tables import TableList, verdict
from sqlite2pg_tui.tui.screens.modals import PathModal, TextModal
from sqlite2pg_tui.tui.widgets.cells import cut

VIEWS = (("rows", "Rows"), ("rejects", "Rejected"), ("other", "Not migrated"),
         ("checks", "Checks"), ("query", "Query"))
DB_VIEWS = ("checks", "query")  # database-wide: the table list folds away to give them room
SAMPLE_ROWS = 12


class CompareScreen(WizardScreen):
    STAGE = "Compare"
    HELP = """
One line per table: rows in SQLite, rows in PostgreSQL, rows rejected by the
converters, a bar of copied (green) against rejected (yellow) rows, whether the
counts agree (source = target + rejected), how many sampled rows matched value by
value, and the result.

Below, for the highlighted table: 1 shows sampled rows side by side (the SQLite value,
what PostgreSQL holds; ✗ marks cells that differ after conversion), 2 the rejected
rows with the reason (read from the reject file), 3 what was not migrated for the
whole database: orphan rows of foreign keys, views, triggers and other objects, with
the reason.

4 Checks: every verification check the run made (rows, key ranges, sums, NULLs… per
table, then the mapping's own [[checks]]), ✓ or ✗ with the first difference; below, the
highlighted check's SQL on both sides and its first difference side by side.

5 Query: type a SQLite query (tab leaves the box, ctrl+l empties it, ctrl+↑/↓ brings
back the queries run before); ctrl+r runs it on SQLite and,
translated, on PostgreSQL (rows the copy rejected are left out on SQLite's side). Shown:
the PostgreSQL text, both answers side by side (≠ marks cells that differ) and the
verdict. ctrl+a adds the query to the mapping's checks under a name; ctrl+s saves it.

v shows the highlighted value or check in full; r saves the report as JSON; ctrl+n goes
on to Next steps (port the code, the production kit).
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "view('rows')", "Views", key_display="1-5", id="view-rows",
                tooltip="sampled rows side by side"),
        Binding("2", "view('rejects')", "Rejected rows", show=False, id="view-rejects",
                tooltip="rejected rows of the table, with the reason"),
        Binding("3", "view('other')", "Not migrated", show=False, id="view-other",
                tooltip="orphan rows, views, triggers and other objects not migrated"),
        Binding("4", "view('checks')", "Checks", show=False, id="view-checks",
                tooltip="the verification checks, with the first difference"),
        Binding("5", "view('query')", "Query", show=False, id="view-query",
                tooltip="run a query on both sides"),
        Binding("ctrl+r", "run_query", "Run", id="run-query",
                tooltip="run the query on SQLite and PostgreSQL, compare (5)"),
        Binding("ctrl+l", "clear_query", "Clear", id="clear-query",
                tooltip="empty the query box (5)"),
        Binding("ctrl+up", "history(-1)", "History", key_display="^↑↓", id="query-older",
                tooltip="the queries run before, older (5)"),
        Binding("ctrl+down", "history(1)", "Newer query", show=False, id="query-newer",
                tooltip="the queries run before, newer (5)"),
        # Priority: the query box would take ctrl+a as "start of line".
        Binding("ctrl+a", "add_check", "Add check", priority=True, id="add-check",
                tooltip="add the query to the mapping's checks (5; ctrl+s saves)"),
        Binding("v", "show_value", "Full value", id="show-value",
                tooltip="the highlighted value or line in full"),
        Binding("r", "save_report", "Save report", id="save-report",
                tooltip="save the report as JSON"),
        Binding("ctrl+n", "next_steps", "Next", id="next",
                tooltip="on to Next steps: port the code, production kit"),
        Binding("escape", "back", "Back", id="back", tooltip="back to Run"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "rows"
        self.table_name = ""
        self.loaded: dict[str, Loaded] = {}
        self.report_path: str | None = None

    @property
    def report(self) -> Report:
        assert self.state.report is not None
        return self.state.report

    # The Query panel's state, read by whoever drives the screen (tests, screenshots).
    @property
    def query_panel(self) -> QueryPanel:
        return self.query_one("#query", QueryPanel)

    @property
    def comparison(self) -> QueryComparison | None:
        return self.query_panel.comparison

    @comparison.setter
    def comparison(self, value: QueryComparison | None) -> None:
        self.query_panel.comparison = value

    @property
    def query_error(self) -> str:
        return self.query_panel.error

    @property
    def query_running(self) -> bool:
        return self.query_panel.running

    def compose(self) -> ComposeResult:
        yield self.breadcrumb()
        yield Label(verdict(self.report), id="verdict")
        yield TableList(id="cmp-tables", cursor_type="row")
        yield Static(id="cmp-tabs", markup=False)
        with ContentSwitcher(initial="rows", id="cmp-views"):
            yield SampleRows(id="rows", cursor_type="row")
            yield RejectRows(id="rejects", cursor_type="row")
            yield NotMigratedTable(id="other", cursor_type="row")
            yield ChecksPanel(self.report.checks, id="checks")
            yield QueryPanel(id="query")
        yield Static(id="cmp-detail", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        t = self.query_one("#cmp-tables", TableList)
        t.fill(self.report)
        self.query_one("#other", NotMigratedTable).fill(self.report)
        self.show_tabs()
        t.focus()
        if self.report.tables:
            self.select_table(self.report.tables[0].source)

    # --- tables ------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#cmp-tables")
    def _table_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value and event.row_key.value != self.table_name:
            self.select_table(event.row_key.value)

    @on(DataTable.RowSelected, "#cmp-tables")
    def _table_selected(self, _event: DataTable.RowSelected) -> None:
        if self.view not in DB_VIEWS:
            self.query_one(f"#{self.view}", DataTable).focus()

    def select_table(self, name: str) -> None:
        self.table_name = name
        if name in self.loaded:
            self.fill_table_views()
            return
        tr = self.report.table(name)
        if tr.error:
            self.loaded[name] = Loaded([], [], f"not copied: {tr.error}")
            self.fill_table_views()
            return
        self.fill_table_views(loading=True)
        st = self.state
        self._load(name, st.source, st.dsn, self.report.schema, self.report.rejects_dir,
                   tr.rejected_rows > 0)

    @work(thread=True, exclusive=True, group="sample")
    def _load(self, name: str, source: str, dsn: str, schema: str, rejects_dir: str | None,
              has_rejects: bool) -> None:
        st = self.state
        tm = st.table_mapping(name)
        try:
            # The reject file of an earlier run may linger; only read it when this run rejected.
            rejects = self.backend.read_rejects(rejects_dir, tm.target) if has_rejects else []
        except Exception as e:  # see backend.explain
            rejects = [RejectLine("", "", "", f"cannot read the reject file: {explain(e)}")]
        try:
            rows = self.backend.sample_rows(source, dsn, schema, st.table(name), tm, SAMPLE_ROWS)
        except Exception as e:
            self.post_message(SampleLoaded(name, [], rejects, explain(e)))
            return
        self.post_message(SampleLoaded(name, rows, rejects))

    @on(SampleLoaded)
    def _loaded(self, msg: SampleLoaded) -> None:
        self.loaded[msg.table] = Loaded(msg.rows, msg.rejects, msg.error)
        if msg.table == self.table_name:
            self.fill_table_views()

    # --- the views ---------------------------------------------------------------------

    def fill_table_views(self, loading: bool = False) -> None:
        data = None if loading else self.loaded.get(self.table_name)
        self.query_one("#rows", SampleRows).fill(data, loading)
        self.query_one("#rejects", RejectRows).fill(
            data, self.report.table(self.table_name) if data is not None else None,
            self.report.rejects_dir)
        self.show_tabs()
        self.show_detail()

    def show_tabs(self) -> None:
        failed = sum(1 for c in self.report.checks if not c.get("ok", True))
        counts = {"rows": "", "other": f" ({len(other_rows(self.report))})",
                  "checks": f" ({len(self.report.checks)}{f', {failed} ✗' if failed else ''})"}
        if self.table_name:
            counts["rejects"] = f" ({self.report.table(self.table_name).rejected_rows:,})"
        t = Text()
        for i, (key, label) in enumerate(VIEWS, 1):
            chosen = key == self.view
            t.append(f" {i} ", style="bold reverse" if chosen else "bold")
            shown = f"{label}{counts.get(key, '')}"
            t.append(f"[{shown}] " if chosen else f" {shown} ", style="bold" if chosen else "dim")
        if self.view in ("rows", "rejects") and self.table_name:
            t.append(f" {self.table_name}", style="italic")
        self.query_one("#cmp-tabs", Static).update(t)

    def show_detail(self) -> None:
        detail = self.query_one("#cmp-detail", Static)
        shown: Text | None = None
        if self.view == "rows":
            shown = self.query_one("#rows", SampleRows).detail()
        elif self.view == "rejects":
            shown = self.query_one("#rejects", RejectRows).detail()
        elif self.view == "other":
            item = self.query_one("#other", NotMigratedTable).highlighted()
            shown = Text(cut(item, 2 * 78)) if item is not None else None
        elif self.view == "checks":
            self.query_one("#checks", ChecksPanel).show_check()
        detail.update(shown if shown is not None else "")

    @on(DataTable.RowHighlighted, "#rows, #rejects, #other")
    def _detail_follows(self, _event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    @on(QueryPanel.CheckAdded)
    def _check_added(self, _msg: QueryPanel.CheckAdded) -> None:
        self.query_one("#checks", ChecksPanel).fill()
        self.show_tabs()

    # --- actions ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Hidden, not dimmed: 80 columns of footer only hold what can be done now.
        if action in ("run_query", "add_check", "clear_query", "history"):
            return self.view == "query"
        if action in ("show_value", "save_report"):
            return self.view != "query"
        return True

    def action_view(self, view: str) -> None:
        was_db = self.view in DB_VIEWS
        self.view = view
        self.query_one("#cmp-views", ContentSwitcher).current = view
        self.set_class(view in DB_VIEWS, "db-view")
        if view == "checks":
            self.query_one("#checks", ChecksPanel).focus_list()
        elif view == "query":
            self.query_panel.focus_box()
        elif was_db:
            self.query_one("#cmp-tables", DataTable).focus()
        self.show_tabs()
        self.show_detail()
        self.refresh_bindings()

    def action_clear_query(self) -> None:
        self.query_panel.clear()

    def action_history(self, step: int) -> None:
        self.query_panel.history_step(step)

    def action_run_query(self) -> None:
        self.query_panel.run()

    def action_add_check(self) -> None:
        self.query_panel.add_check()

    def action_show_value(self) -> None:
        modal: TextModal | None = None
        if self.view == "rows":
            modal = self.query_one("#rows", SampleRows).full(self.table_name)
        elif self.view == "rejects":
            modal = self.query_one("#rejects", RejectRows).full(self.table_name)
        elif self.view == "checks":
            c = self.query_one("#checks", ChecksPanel).check_at_cursor()
            if c is not None:
                modal = TextModal(f"Check {c.get('name', '')}", check_detail(c))
        elif self.view == "other":
            item = self.query_one("#other", NotMigratedTable).highlighted()
            if item is not None:
                modal = TextModal("Not migrated", item)
        if modal is not None:
            self.app.push_screen(modal)

    def action_next_steps(self) -> None:
        self.advance()

    def action_save_report(self) -> None:
        stem = Path(self.state.source).stem or "report"
        default = self.report_path or str(locations.data_dir() / "reports" / f"{stem}.json")

        def chosen(path: str | None) -> None:
            if not path:
                return
            saved = save_or_say(self, path, lambda: self.report.save(path))
            if saved is None:
                return
            self.report_path = str(saved)
            self.notify(f"report saved to {saved}", title="Report saved", markup=False)

        self.app.push_screen(PathModal("Save the report as JSON", default), chosen)
