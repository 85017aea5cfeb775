"""Stage 5, Compare: both sides counted, sampled rows side by side, rejects with reasons,
what was not migrated, the verification checks, and a query run on both sides."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.console import Group
from rich.table import Table as RichTable
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, DataTable, Footer, Label, Static, TextArea

from sqlite2pg_tui import locations
from sqlite2pg_tui.core.plan.mapping import Check
from sqlite2pg_tui.core.report import Report, TableReport, Verdict
from sqlite2pg_tui.core.verify.equality import compare_rows
from sqlite2pg_tui.core.verify.results import QueryComparison
from sqlite2pg_tui.core.verify.results import show as show_value
from sqlite2pg_tui.core.verify.samples import CellPair, RowPair
from sqlite2pg_tui.tui.backend import RejectLine, explain
from sqlite2pg_tui.tui.messages import QueryRan, SampleLoaded
from sqlite2pg_tui.tui.screens.base import WizardScreen
from sqlite2pg_tui.tui.screens.modals import PathModal, TextModal
from sqlite2pg_tui.tui.widgets.bars import stacked_bar
from sqlite2pg_tui.tui.widgets.cells import plain

VIEWS = (("rows", "Rows"), ("rejects", "Rejected"), ("other", "Not migrated"),
         ("checks", "Checks"), ("query", "Query"))
DB_VIEWS = ("checks", "query")  # database-wide: the table list folds away to give them room
SAMPLE_ROWS = 12
QUERY_ROWS = 20  # rows of each side shown in the Query view
QUERY_HINT = "ctrl+r runs the query on SQLite and, translated, on PostgreSQL"


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


def _values(vals: Any) -> str:
    if vals is None:
        return "(no row)"
    if isinstance(vals, list | tuple):
        return ", ".join("NULL" if v is None else str(v) for v in vals)
    return str(vals)


def _single(c: dict[str, Any]) -> bool:
    """A one-row answer (every default check): "row 1" would say nothing."""
    return (c.get("sqlite_rows") or 0) <= 1 and (c.get("pg_rows") or 0) <= 1


def difference_summary(fd: dict[str, Any] | None, single: bool = False) -> str:
    """One line for a first difference: its message, or row N: SQLite … ≠ PostgreSQL …"""
    if not fd:
        return ""
    if fd.get("message"):
        return str(fd["message"])
    where = f"row {fd['row'] + 1}: " if isinstance(fd.get("row"), int) and not single else ""
    return f"{where}{_values(fd.get('sqlite'))} ≠ {_values(fd.get('postgres'))}"


def check_result(c: dict[str, Any]) -> Text:
    if c.get("ok", True):
        return Text("✓ ok", style="green")
    return Text("✗ err" if c.get("error") else "✗ diff", style="red bold")


def check_detail(c: dict[str, Any]) -> Group:
    """The check's SQL on both sides and its first difference side by side, then error/note."""
    head = Text.assemble((c.get("name", ""), "bold"), "  ", check_result(c),
                         (f"  {c.get('kind', '')} check", "dim"))
    grid = RichTable.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_column(ratio=1)
    grid.add_row("", Text("SQLite", style="bold underline"),
                 Text("PostgreSQL", style="bold underline"))
    if c.get("sqlite_sql") or c.get("postgres_sql"):
        grid.add_row("SQL", Text(c.get("sqlite_sql", "")), Text(c.get("postgres_sql", "")))
    rows = (c.get("sqlite_rows"), c.get("pg_rows"))
    grid.add_row("rows", "-" if rows[0] is None else str(rows[0]),
                 "-" if rows[1] is None else str(rows[1]))
    fd = c.get("first_difference")
    answered = c.get("values")
    if answered and not fd:
        grid.add_row("value", Text(_values(answered.get("sqlite"))),
                     Text(_values(answered.get("postgres"))))
    if fd:
        if fd.get("message"):
            grid.add_row("differs", Text(str(fd["message"]), style="red"), "")
        if "sqlite" in fd or "postgres" in fd:
            label = (f"row {fd['row'] + 1}" if isinstance(fd.get("row"), int) and not _single(c)
                     else "value")
            grid.add_row(label, Text(_values(fd.get("sqlite")), style="red bold"),
                         Text(_values(fd.get("postgres")), style="red bold"))
    parts: list[Any] = [head, grid]
    if c.get("error"):
        parts.append(Text("error: " + str(c["error"]), style="red"))
    if c.get("note"):
        parts.append(Text("note: " + str(c["note"]), style="yellow"))
    if c.get("ok", True) and not fd and not c.get("error"):
        parts.append(Text("✓ the same answer on both sides", style="green"))
    return Group(*parts)


def _sort_key(row: tuple[Any, ...]) -> tuple[tuple[int, Any], ...]:
    # Display order for an unordered result: numbers as numbers, the rest as shown.
    out: list[tuple[int, Any]] = []
    for v in row:
        if v is None:
            out.append((0, 0))
        elif isinstance(v, bool | int | float) and not (isinstance(v, float) and v != v):
            out.append((1, float(v)))
        else:
            out.append((2, str(show_value(v))))
    return tuple(out)


def _cell(v: Any) -> str:
    return "NULL" if v is None else str(show_value(v))


def query_verdict(qc: QueryComparison) -> Text:
    if qc.sqlite_error or qc.postgres_error:
        err = "; ".join(e for e in (f"SQLite: {qc.sqlite_error}" if qc.sqlite_error else "",
                                    f"PostgreSQL: {qc.postgres_error}" if qc.postgres_error
                                    else "") if e)
        return Text("✗ could not compare: " + err, style="red bold")
    if qc.ok:
        n = len(qc.sqlite_rows)
        t = Text(f"✓ same answer on both sides ({n} row{'s' if n != 1 else ''})",
                 style="green bold")
    else:
        t = Text("✗ differs: " + difference_summary(qc.first_difference), style="red bold")
    if qc.note:
        t.append(f" ({qc.note})", style="yellow")
    return t


def left_out_line(left_out: dict[str, int]) -> str:
    """Why SQLite's count differs from the file's: the run's rejected rows are hidden there."""
    where = ", ".join(f"{c:,} of {t}" for t, c in left_out.items())
    return f"rejected rows left out on SQLite's side ({where}): PostgreSQL never got them"


def verdict(report: Report) -> Text:
    v = report.verdict()
    if v is Verdict.CANCELLED:
        return Text("✗ Cancelled: only the tables marked ✓ below were copied", style="yellow bold")
    if v is Verdict.OK:
        return Text("✓ Every row accounted for and verified", style="green bold")
    rejected, bad, failed = report.rejected_rows, report.differing_tables, report.failed_checks
    bits = ([f"{rejected:,} row(s) rejected, with reasons (2)"] if rejected else []) + (
        [f"differences in {', '.join(bad)}"] if bad else ["every count and sample agrees"]) + (
        [f"{failed} check(s) failed (4)"] if failed else [])
    return Text("✗ " + "; ".join(bits), style="yellow bold")


def copied_bar(t: TableReport, width: int = 4) -> Text:
    """Copied (green) against rejected (yellow) rows: a table that lost rows stands out."""
    return stacked_bar([(t.copied_rows, "green"), (t.rejected_rows, "yellow")], width)


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
        self.loaded: dict[str, _Loaded] = {}
        self._row_entries: list[tuple[str, CellPair | None, str]] = []
        self.report_path: str | None = None
        self.comparison: QueryComparison | None = None  # the last query run
        self.query_error = ""
        self.query_running = False
        self.added_line = ""  # confirmation of the last ctrl+a
        self.history: list[str] = []  # queries run, oldest first
        self._history_at: int | None = None  # where ctrl+↑/↓ is in it
        self._exclude: dict[str, set[Any]] | None = None  # rows the run left out, once found

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
            with Vertical(id="checks"):
                yield DataTable(id="chk-table", cursor_type="row")
                with VerticalScroll(id="chk-detail-box"):
                    yield Static(id="chk-detail", markup=False)
            with Vertical(id="query"):
                yield TextArea(id="q-sql", compact=True, soft_wrap=True,
                               placeholder="a SQLite query, e.g. SELECT count(*) FROM customers")
                yield Static(QUERY_HINT, id="q-status", markup=False)
                with Horizontal(id="q-results"):
                    with Vertical(classes="q-side"):
                        yield Label("SQLite", id="q-s-title", classes="q-title", markup=False)
                        yield DataTable(id="q-sqlite", cursor_type="row")
                    with Vertical(classes="q-side"):
                        yield Label("PostgreSQL", id="q-p-title", classes="q-title", markup=False)
                        yield DataTable(id="q-pg", cursor_type="row")
        yield Static(id="cmp-detail", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        t = self.query_one("#cmp-tables", DataTable)
        for label, key in (("Table", "name"), ("SQLite", "source"), ("Postgres", "target"),
                           ("Rejected", "rejected"), ("Rows", "bar"), ("Count", "count"),
                           ("Sample", "sample"),
                           ("Result", "result")):
            t.add_column(label, key=key)
        for tr in self.report.tables:
            t.add_row(*plain(
                _cut(tr.source, 20), Text(f"{tr.source_rows:,}", justify="right"),
                Text("-" if tr.target_rows is None else f"{tr.target_rows:,}", justify="right"),
                Text(f"{tr.rejected_rows:,}", justify="right",
                     style="yellow bold" if tr.rejected_rows else ""),
                copied_bar(tr),
                Text("✓", style="green") if tr.count_match else Text("✗", style="red bold"),
                f"{tr.sample_checked - tr.sample_mismatches}/{tr.sample_checked}",
                table_result(tr)), key=tr.source)
        self._table_view_columns()
        other = self.query_one("#other", DataTable)
        for label, key in (("Kind", "kind"), ("Name", "name"), ("Reason", "reason")):
            other.add_column(label, key=key)
        self.fill_other()
        chk = self.query_one("#chk-table", DataTable)
        # Fixed widths: a snapshot must not depend on when auto-sizing runs.
        for label, key, width in (("Result", "result", 6), ("Check", "name", 26),
                                  ("Kind", "kind", 7), ("First difference", "diff", 29)):
            chk.add_column(label, key=key, width=width)
        self.fill_checks()
        self.query_one("#q-sql", TextArea).cursor_blink = bool(getattr(self.app, "cursor_blink",
                                                                       True))
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

    def _table_view_columns(self) -> None:
        rows = self.query_one("#rows", DataTable)
        for label, key in (("Row", "row"), ("Column", "column"), ("SQLite", "sqlite"),
                           ("PostgreSQL", "postgres"), ("=", "eq")):
            rows.add_column(label, key=key)
        rej = self.query_one("#rejects", DataTable)
        for label, key in (("Row", "row"), ("Column", "column"), ("Value", "value"),
                           ("Reason", "reason")):
            rej.add_column(label, key=key)

    def fill_table_views(self, loading: bool = False) -> None:
        rows = self.query_one("#rows", DataTable)
        rej = self.query_one("#rejects", DataTable)
        # Columns afresh: their widths fit this table's values, not the widest seen so far.
        rows.clear(columns=True)
        rej.clear(columns=True)
        self._table_view_columns()
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
        failed = sum(1 for c in self.report.checks if not c.get("ok", True))
        counts = {"rows": "", "other": f" ({len(self.other_rows())})",
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
        elif self.view == "checks":
            self.show_check()
        detail.update("")

    def _other_items(self) -> list[str]:
        return [full for *_, full in self.other_rows()]

    @on(DataTable.RowHighlighted, "#rows, #rejects, #other")
    def _detail_follows(self, _event: DataTable.RowHighlighted) -> None:
        self.show_detail()

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
            self.query_one("#chk-table", DataTable).focus()
        elif view == "query":
            self.query_one("#q-sql", TextArea).focus()
        elif was_db:
            self.query_one("#cmp-tables", DataTable).focus()
        self.show_tabs()
        self.show_detail()
        self.refresh_bindings()

    # --- 4 checks ----------------------------------------------------------------------

    def fill_checks(self) -> None:
        chk = self.query_one("#chk-table", DataTable)
        chk.clear()
        for i, c in enumerate(self.report.checks):
            summary = (f"error: {c['error']}" if c.get("error")
                       else difference_summary(c.get("first_difference"), _single(c))
                       or c.get("note", ""))
            style = "red" if not c.get("ok", True) else "dim"
            chk.add_row(*plain(check_result(c), _cut(str(c.get("name", "")), 26),
                               str(c.get("kind", "")), Text(_cut(summary, 29), style=style)),
                        key=str(i))
        if not self.report.checks:
            chk.add_row(*plain("", "(no checks in this report)", "", ""))
        self.show_check()

    def _check_at_cursor(self) -> dict[str, Any] | None:
        i = self.query_one("#chk-table", DataTable).cursor_row
        return self.report.checks[i] if 0 <= i < len(self.report.checks) else None

    def show_check(self) -> None:
        c = self._check_at_cursor()
        self.query_one("#chk-detail", Static).update(
            check_detail(c) if c is not None else
            Text("The run made no checks (run again with checks on, or add one with 5 Query)."))

    @on(DataTable.RowHighlighted, "#chk-table")
    def _check_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.show_check()

    # --- 5 query -----------------------------------------------------------------------

    def query_text(self) -> str:
        return self.query_one("#q-sql", TextArea).text.strip()

    def action_clear_query(self) -> None:
        area = self.query_one("#q-sql", TextArea)
        area.text = ""
        area.focus()
        self._history_at = None

    def action_history(self, step: int) -> None:
        if not self.history:
            self.set_query_status(Text("no query run yet: ctrl+r runs one", style="yellow"))
            return
        at = len(self.history) if self._history_at is None else self._history_at
        at = min(max(at + step, 0), len(self.history))
        self._history_at = at
        area = self.query_one("#q-sql", TextArea)
        area.text = self.history[at] if at < len(self.history) else ""
        area.move_cursor(area.document.end)
        area.focus()

    def action_run_query(self) -> None:
        sql_text = self.query_text()
        if not sql_text:
            self.set_query_status(Text("type a SQLite query first", style="yellow"))
            return
        if self.state.mapping is None:
            self.set_query_status(Text("no mapping: nothing to translate with", style="red"))
            return
        if not self.history or self.history[-1] != sql_text:
            self.history.append(sql_text)
        self._history_at = None
        self.query_running = True
        self.added_line = ""
        self.set_query_status(Text("running on both sides…", style="italic"))
        st = self.state
        self._run_query(sql_text, st.source, st.dsn, st.mapping, self.report.schema, self._exclude)

    @work(thread=True, exclusive=True, group="query")
    def _run_query(self, sql_text: str, source: str, dsn: str, mapping: Any, schema: str,
                   exclude: dict[str, set[Any]] | None) -> None:
        try:
            if exclude is None:
                exclude = self.backend.exclusions(source, mapping, self.report)
            qc = self.backend.query_both(source, dsn, mapping, sql_text, schema, exclude)
        except Exception as e:  # see backend.explain
            self.post_message(QueryRan(sql_text, None, explain(e), exclude=exclude))
            return
        self.post_message(QueryRan(sql_text, qc, exclude=exclude))

    @on(QueryRan)
    def _query_ran(self, msg: QueryRan) -> None:
        self.query_running = False
        if msg.exclude is not None:
            self._exclude = msg.exclude
        self.comparison = msg.comparison
        self.query_error = msg.error
        self.fill_query()

    def set_query_status(self, *lines: Text | str) -> None:
        self.query_one("#q-status", Static).update(Text("\n").join(
            line if isinstance(line, Text) else Text(line) for line in lines))

    def _status_lines(self) -> list[Text]:
        qc = self.comparison
        lines: list[Text] = []
        if self.query_error:
            lines.append(Text("✗ " + self.query_error, style="red bold"))
        elif qc is not None:
            pg = " ".join(qc.postgres_sql.split()) or "(no PostgreSQL text)"
            how = "PostgreSQL (translated): " if qc.translated else "PostgreSQL: "
            lines.append(Text.assemble((how, "bold"), _cut(pg, 2 * 78 - len(how))))
            lines.append(query_verdict(qc))
            if qc.left_out:
                lines.append(Text(left_out_line(qc.left_out), style="yellow"))
        else:
            lines.append(Text(QUERY_HINT))
        if self.added_line:
            lines.append(Text(self.added_line, style="green"))
        return lines

    def fill_query(self) -> None:
        self.set_query_status(*self._status_lines())
        left = self.query_one("#q-sqlite", DataTable)
        right = self.query_one("#q-pg", DataTable)
        left.clear(columns=True)
        right.clear(columns=True)
        qc = self.comparison
        if qc is None:
            return
        srows, prows = list(qc.sqlite_rows), list(qc.postgres_rows)
        if not qc.ordered:
            srows.sort(key=_sort_key)
            prows.sort(key=_sort_key)
        self.query_one("#q-s-title", Label).update(
            f"SQLite: {len(qc.sqlite_rows)} row(s)" if not qc.sqlite_error else "SQLite: error")
        self.query_one("#q-p-title", Label).update(
            f"PostgreSQL: {len(qc.postgres_rows)} row(s)" if not qc.postgres_error
            else "PostgreSQL: error")
        marks = not qc.ok and not qc.sqlite_error and not qc.postgres_error
        width = max(len(qc.sqlite_columns), len(qc.postgres_columns))
        for table, columns, rows, other in ((left, qc.sqlite_columns, srows, prows),
                                            (right, qc.postgres_columns, prows, srows)):
            for i, name in enumerate(columns):
                table.add_column(_cut(name, 20), key=str(i))
            for r, row in enumerate(rows[:QUERY_ROWS]):
                mate = other[r] if r < len(other) else None
                cells: list[Text] = []
                for c, v in enumerate(row):
                    differs = marks and (mate is None or len(mate) != width or c >= len(mate)
                                         or not self._same(v, mate[c], table is left))
                    text = _cut(_cell(v), 20)
                    cells.append(Text("≠ " + text, style="red bold") if differs else Text(text))
                table.add_row(*cells)
            if len(rows) > QUERY_ROWS:
                table.add_row(*plain(f"… {len(rows) - QUERY_ROWS} more",
                                     *([""] * (len(columns) - 1))))

    @staticmethod
    def _same(v: Any, mate: Any, sqlite_side: bool) -> bool:
        s, p = (v, mate) if sqlite_side else (mate, v)
        return compare_rows([(s,)], [(p,)], True)[0]

    def action_add_check(self) -> None:
        st = self.state
        sql_text = self.query_text()
        if not sql_text:
            self.set_query_status(Text("type a SQLite query first", style="yellow"))
            return
        if st.mapping is None:
            return
        mapping = st.mapping
        taken = {c.name for c in mapping.checks}
        n = len(mapping.checks) + 1
        while f"check {n}" in taken:
            n += 1

        def named(name: str | None) -> None:
            if not name:
                return
            name = name.strip()
            if name in {c.name for c in mapping.checks}:
                self.added_line = f"✗ a check named {name!r} exists already; not added"
            else:
                mapping.checks.append(Check(name, sql_text))
                self.added_line = (f"✓ added check {name!r} to the mapping "
                                   f"({len(mapping.checks)} in all); ctrl+s saves it")
                qc = self.comparison
                if qc is not None and qc.sqlite_sql.strip() == sql_text:
                    # It has run: its answer joins the checks panel as a run would put it.
                    self.report.checks.append(qc.result(name).to_dict())
                    self.fill_checks()
                    self.show_tabs()
            self.set_query_status(*self._status_lines())

        self.app.push_screen(PathModal("Name of the new check", f"check {n}",
                                       "enter: add to the mapping's checks   esc: cancel",
                                       empty="a name is needed"), named)

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
        elif self.view == "checks":
            c = self._check_at_cursor()
            if c is not None:
                self.app.push_screen(TextModal(f"Check {c.get('name', '')}", check_detail(c)))
        elif self.view == "other":
            items = self._other_items()
            i = self.query_one("#other", DataTable).cursor_row
            if 0 <= i < len(items):
                self.app.push_screen(TextModal("Not migrated", items[i]))

    def action_next_steps(self) -> None:
        self.advance()

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
