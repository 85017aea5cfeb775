"""Stage 5, Compare: both sides counted, sampled rows side by side, rejects with reasons,
and what was not migrated."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import ContentSwitcher, DataTable, Footer, Label, Static

from sqlite2pg_tui import locations
from sqlite2pg_tui.core.report import Report, TableReport
from sqlite2pg_tui.core.verify import CellPair, RowPair
from sqlite2pg_tui.tui.backend import RejectLine, explain
from sqlite2pg_tui.tui.messages import SampleLoaded
from sqlite2pg_tui.tui.screens.base import WizardScreen
from sqlite2pg_tui.tui.screens.modals import PathModal, TextModal
from sqlite2pg_tui.tui.widgets.cells import plain

VIEWS = (("rows", "Rows side by side"), ("rejects", "Rejected"), ("other", "Not migrated"))
SAMPLE_ROWS = 12


def _cut(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _pg_shown(text: str) -> str:
    # verify shows Python's repr for booleans; print them the way PostgreSQL does.
    return {"True": "true", "False": "false"}.get(text, text)


@dataclass
class _Loaded:
    rows: list[RowPair]
    rejects: list[RejectLine]
    error: str = ""


def verdict(report: Report) -> Text:
    if report.cancelled:
        return Text("✗ Cancelled: only the tables marked ✓ below were copied", style="yellow bold")
    if report.ok:
        return Text("✓ Every row accounted for and verified", style="green bold")
    rejected = sum(t.rejected_rows for t in report.tables)
    bad = [t.source for t in report.tables if t.error or not t.count_match or t.sample_mismatches]
    bits = ([f"{rejected:,} row(s) rejected, with reasons (2)"] if rejected else []) + (
        [f"differences in {', '.join(bad)}"] if bad else ["every count and sample agrees"])
    return Text("✗ " + "; ".join(bits), style="yellow bold")


def table_result(t: TableReport) -> Text:
    if t.error:
        return Text("✗ not copied", style="red bold")
    if not t.count_match:
        return Text("✗ counts differ", style="red bold")
    if t.sample_mismatches:
        return Text("✗ values differ", style="red bold")
    if t.rejected_rows:
        return Text("✗ rows rejected", style="yellow bold")
    return Text("✓ ok", style="green")


class CompareScreen(WizardScreen):
    STAGE = "Compare"
    HELP = """
One line per table: rows in SQLite, rows in PostgreSQL, rows rejected by the
converters, whether the counts agree (source = target + rejected), how many sampled
rows matched value by value, and the result.

Below, for the highlighted table: 1 shows sampled rows side by side (the SQLite value,
what PostgreSQL holds; ✗ marks cells that differ after conversion), 2 the rejected
rows with the reason (read from the reject file), 3 what was not migrated for the
whole database: orphan rows of foreign keys, views, triggers and other objects, with
the reason. v shows the highlighted value in full; r saves the report as JSON;
ctrl+n goes on to Next steps (port the code, the production kit).
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "view('rows')", "Views", key_display="1-3", id="view-rows",
                tooltip="sampled rows side by side"),
        Binding("2", "view('rejects')", "Rejected rows", show=False, id="view-rejects",
                tooltip="rejected rows of the table, with the reason"),
        Binding("3", "view('other')", "Not migrated", show=False, id="view-other",
                tooltip="orphan rows, views, triggers and other objects not migrated"),
        Binding("v", "show_value", "Full value", id="show-value",
                tooltip="the highlighted value or line in full"),
        Binding("r", "save_report", "Save report", id="save-report",
                tooltip="save the report as JSON"),
        Binding("ctrl+n", "next_steps", "Next steps", id="next",
                tooltip="on to Next steps: port the code, production kit"),
        Binding("escape", "back", "Back", id="back", tooltip="back to Run"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "rows"
        self.table_name = ""
        self.loaded: dict[str, _Loaded] = {}
        self._row_entries: list[tuple[str, CellPair | None, str]] = []
        self.report_path: str | None = None

    @property
    def report(self) -> Report:
        assert self.state.report is not None
        return self.state.report

    def compose(self) -> ComposeResult:
        yield self.breadcrumb()
        yield Label(verdict(self.report), id="verdict")
        yield DataTable(id="cmp-tables", cursor_type="row")
        yield Static(id="cmp-tabs", markup=False)
        with ContentSwitcher(initial="rows", id="cmp-views"):
            yield DataTable(id="rows", cursor_type="row")
            yield DataTable(id="rejects", cursor_type="row")
            yield DataTable(id="other", cursor_type="row")
        yield Static(id="cmp-detail", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        t = self.query_one("#cmp-tables", DataTable)
        for label, key in (("Table", "name"), ("SQLite", "source"), ("Postgres", "target"),
                           ("Rejected", "rejected"), ("Count", "count"), ("Sample", "sample"),
                           ("Result", "result")):
            t.add_column(label, key=key)
        for tr in self.report.tables:
            t.add_row(*plain(
                _cut(tr.source, 20), Text(f"{tr.source_rows:,}", justify="right"),
                Text("-" if tr.target_rows is None else f"{tr.target_rows:,}", justify="right"),
                Text(f"{tr.rejected_rows:,}", justify="right",
                     style="yellow bold" if tr.rejected_rows else ""),
                Text("✓", style="green") if tr.count_match else Text("✗", style="red bold"),
                f"{tr.sample_checked - tr.sample_mismatches}/{tr.sample_checked}",
                table_result(tr)), key=tr.source)
        rows = self.query_one("#rows", DataTable)
        for label, key in (("Row", "row"), ("Column", "column"), ("SQLite", "sqlite"),
                           ("PostgreSQL", "postgres"), ("=", "eq")):
            rows.add_column(label, key=key)
        rej = self.query_one("#rejects", DataTable)
        for label, key in (("Row", "row"), ("Column", "column"), ("Value", "value"),
                           ("Reason", "reason")):
            rej.add_column(label, key=key)
        other = self.query_one("#other", DataTable)
        for label, key in (("Kind", "kind"), ("Name", "name"), ("Reason", "reason")):
            other.add_column(label, key=key)
        self.fill_other()
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
        self.query_one(f"#{self.view}", DataTable).focus()

    def select_table(self, name: str) -> None:
        self.table_name = name
        if name in self.loaded:
            self.fill_table_views()
            return
        tr = self.report.table(name)
        if tr.error:
            self.loaded[name] = _Loaded([], [], f"not copied: {tr.error}")
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
        self.loaded[msg.table] = _Loaded(msg.rows, msg.rejects, msg.error)
        if msg.table == self.table_name:
            self.fill_table_views()

    # --- the three views ---------------------------------------------------------------

    def fill_table_views(self, loading: bool = False) -> None:
        rows = self.query_one("#rows", DataTable)
        rej = self.query_one("#rejects", DataTable)
        rows.clear()
        rej.clear()
        self._row_entries = []
        data = self.loaded.get(self.table_name)
        if loading or data is None:
            rows.add_row(*plain("", "", "loading…", "", ""))
            self._row_entries.append(("", None, ""))
            self.show_tabs()
            self.show_detail()
            return
        if data.error:
            rows.add_row(*plain("", "", Text(_cut(data.error, 60), style="red"), "", ""))
            self._row_entries.append(("", None, data.error))
        for pair in data.rows:
            self._add_pair(rows, pair)
        if not data.rows and not data.error:
            rows.add_row(*plain("", "", "(no rows)", "", ""))
            self._row_entries.append(("", None, ""))
        for i, r in enumerate(data.rejects):
            rej.add_row(*plain(r.rowid, _cut(r.column, 14), _cut(r.value, 26),
                               Text(r.reason, style="red")), key=str(i))
        tr = self.report.table(self.table_name)
        if tr.rejected_rows and not data.rejects:
            where = self.report.rejects_dir or "(no reject directory)"
            rej.add_row(*plain("", "", f"{tr.rejected_rows:,} rejected; file not found in {where}",
                               ""))
        self.show_tabs()
        self.show_detail()

    def _add_pair(self, table: DataTable[str | Text], pair: RowPair) -> None:
        loc = str(pair.locator)
        if pair.expected_absent:
            ok = not pair.found
            table.add_row(*plain(loc, "(row)", "rejected by a converter",
                                 "absent" if ok else Text("present", style="red bold"),
                                 Text("✓", style="green") if ok else Text("✗", style="red bold")))
            self._row_entries.append((loc, None, "rejected in the copy, so not expected in "
                                      "PostgreSQL: " + ("absent, as expected" if ok else "present!")))
            return
        if not pair.found:
            table.add_row(*plain(loc, "(row)", "present", Text("missing", style="red bold"),
                                 Text("✗", style="red bold")))
            self._row_entries.append((loc, None, "this row is not in PostgreSQL"))
            return
        for i, cell in enumerate(pair.cells):
            style = "" if cell.equal else "red bold"
            table.add_row(*plain(loc if i == 0 else "", _cut(cell.column, 14),
                                 Text(_cut(cell.sqlite, 22), style=style),
                                 Text(_cut(_pg_shown(cell.postgres), 22), style=style),
                                 Text("✓", style="green") if cell.equal
                                 else Text("✗", style="red bold")))
            self._row_entries.append((loc, cell, ""))

    def other_rows(self) -> list[tuple[str | Text, str, str, str]]:
        """(kind, name, reason, full text) for the database-wide view."""
        r = self.report
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

    def fill_other(self) -> None:
        other = self.query_one("#other", DataTable)
        other.clear()
        for kind, name, reason, _full in self.other_rows():
            other.add_row(*plain(kind, _cut(name, 30), reason))
        if other.row_count == 0:
            other.add_row(*plain("", "", "everything was migrated"))

    def show_tabs(self) -> None:
        counts = {"rows": "", "other": f" ({len(self.other_rows())})"}
        if self.table_name:
            counts["rejects"] = f" ({self.report.table(self.table_name).rejected_rows:,})"
        t = Text()
        for i, (key, label) in enumerate(VIEWS, 1):
            chosen = key == self.view
            t.append(f" {i} ", style="bold reverse" if chosen else "bold")
            shown = f"{label}{counts.get(key, '')}"
            t.append(f"[{shown}]" if chosen else f" {shown} ", style="bold" if chosen else "dim")
            t.append(" ")
        if self.view != "other" and self.table_name:
            t.append(f" {self.table_name}", style="italic")
        self.query_one("#cmp-tabs", Static).update(t)

    def show_detail(self) -> None:
        detail = self.query_one("#cmp-detail", Static)
        if self.view == "rows":
            rows = self.query_one("#rows", DataTable)
            i = rows.cursor_row
            if 0 <= i < len(self._row_entries):
                loc, cell, note = self._row_entries[i]
                if cell is None:
                    detail.update(Text(note))
                else:
                    detail.update(Text.assemble(
                        (f"row {loc} · {cell.column}: ", "bold"), "SQLite ", _cut(cell.sqlite, 60),
                        "\nexpected ", _cut(_pg_shown(cell.expected), 40), " · PostgreSQL ",
                        (_cut(_pg_shown(cell.postgres), 40), "" if cell.equal else "red bold")))
                return
        elif self.view == "rejects":
            data = self.loaded.get(self.table_name)
            i = self.query_one("#rejects", DataTable).cursor_row
            if data and 0 <= i < len(data.rejects):
                r = data.rejects[i]
                detail.update(Text.assemble((f"row {r.rowid} · {r.column}: ", "bold"),
                                            _cut(r.value, 60), "\n", r.reason))
                return
        elif self.view == "other":
            items = self._other_items()
            i = self.query_one("#other", DataTable).cursor_row
            if 0 <= i < len(items):
                detail.update(Text(_cut(items[i], 2 * 78)))
                return
        detail.update("")

    def _other_items(self) -> list[str]:
        return [full for *_, full in self.other_rows()]

    @on(DataTable.RowHighlighted, "#rows, #rejects, #other")
    def _detail_follows(self, _event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    # --- actions ---------------------------------------------------------------------

    def action_view(self, view: str) -> None:
        self.view = view
        self.query_one("#cmp-views", ContentSwitcher).current = view
        self.show_tabs()
        self.show_detail()

    def action_show_value(self) -> None:
        if self.view == "rows":
            i = self.query_one("#rows", DataTable).cursor_row
            if 0 <= i < len(self._row_entries):
                loc, cell, note = self._row_entries[i]
                if cell is None:
                    self.app.push_screen(TextModal(f"{self.table_name}, row {loc}", note))
                    return
                body = Text.assemble(("SQLite      ", "bold"), cell.sqlite,
                                     ("\nexpected    ", "bold"), _pg_shown(cell.expected),
                                     ("\nPostgreSQL  ", "bold"), _pg_shown(cell.postgres),
                                     ("\n\n" + ("✓ equal" if cell.equal else "✗ different")))
                self.app.push_screen(TextModal(f"{self.table_name}, row {loc}, {cell.column}", body))
        elif self.view == "rejects":
            data = self.loaded.get(self.table_name)
            i = self.query_one("#rejects", DataTable).cursor_row
            if data and 0 <= i < len(data.rejects):
                r = data.rejects[i]
                self.app.push_screen(TextModal(
                    f"{self.table_name}, row {r.rowid}, {r.column}",
                    Text.assemble(("value   ", "bold"), r.value, ("\nreason  ", "bold"), r.reason)))
        else:
            items = self._other_items()
            i = self.query_one("#other", DataTable).cursor_row
            if 0 <= i < len(items):
                self.app.push_screen(TextModal("Not migrated", items[i]))

    def action_next_steps(self) -> None:
        from sqlite2pg_tui.tui.screens.next_steps import NextStepsScreen

        self.app.push_screen(NextStepsScreen())

    def action_save_report(self) -> None:
        stem = Path(self.state.source).stem or "report"
        default = self.report_path or str(locations.data_dir() / "reports" / f"{stem}.json")

        def chosen(path: str | None) -> None:
            if not path:
                return
            try:
                saved = self.report.save(path)
            except OSError as e:
                self.notify(f"cannot write {path}: {e.strerror or e}", severity="error", markup=False)
                return
            self.report_path = str(saved)
            self.notify(f"report saved to {saved}", title="Report saved", markup=False)

        self.app.push_screen(PathModal("Save the report as JSON", default), chosen)
