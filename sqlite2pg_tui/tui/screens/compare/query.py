"""5 Query: a SQLite query typed in, run on SQLite and, translated, on PostgreSQL; both
answers side by side (≠ marks cells that differ), the verdict, and ctrl+a to keep it as a
check of the mapping."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Label, Static, TextArea

from sqlite2pg_tui.core.plan.mapping import Check
from sqlite2pg_tui.core.verify.equality import compare_rows
from sqlite2pg_tui.core.verify.results import QueryComparison
from sqlite2pg_tui.core.verify.results import show as as_reported
from sqlite2pg_tui.tui.backend import explain
from sqlite2pg_tui.tui.messages import QueryRan
from sqlite2pg_tui.tui.screens.compare.checks import difference_summary
from sqlite2pg_tui.tui.screens.modals import PathModal
from sqlite2pg_tui.tui.widgets.cells import cut, plain

if TYPE_CHECKING:
    from sqlite2pg_tui.tui.screens.compare.screen import CompareScreen

QUERY_ROWS = 20  # rows of each side shown in the Query view
QUERY_HINT = "ctrl+r runs the query on SQLite and, translated, on PostgreSQL"


def _sort_key(row: tuple[Any, ...]) -> tuple[tuple[int, Any], ...]:
    # Display order for an unordered result: numbers as numbers, the rest as shown.
    out: list[tuple[int, Any]] = []
    for v in row:
        if v is None:
            out.append((0, 0))
        elif isinstance(v, bool | int | float) and not (isinstance(v, float) and v != v):
            out.append((1, float(v)))
        else:
            out.append((2, str(as_reported(v))))
    return tuple(out)


def _cell(v: Any) -> str:
    return "NULL" if v is None else str(as_reported(v))


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


class QueryPanel(Vertical):
    """The query box, its status lines and the two answers. The keys are the screen's
    (ctrl+r, ctrl+l, ctrl+↑/↓, ctrl+a); they call run, clear, history_step and add_check."""

    class CheckAdded(Message):
        """A query joined the mapping's checks (and, having run, the report's)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.comparison: QueryComparison | None = None  # the last query run
        self.error = ""
        self.running = False
        self.added_line = ""  # confirmation of the last ctrl+a
        self.history: list[str] = []  # queries run, oldest first
        self._history_at: int | None = None  # where ctrl+↑/↓ is in it
        self._exclude: dict[str, set[Any]] | None = None  # rows the run left out, once found

    @property
    def compare(self) -> CompareScreen:
        return cast("CompareScreen", self.screen)

    def compose(self) -> ComposeResult:
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

    def on_mount(self) -> None:
        self.query_one("#q-sql", TextArea).cursor_blink = bool(getattr(self.app, "cursor_blink",
                                                                       True))

    def focus_box(self) -> None:
        self.query_one("#q-sql", TextArea).focus()

    def query_text(self) -> str:
        return self.query_one("#q-sql", TextArea).text.strip()

    def clear(self) -> None:
        area = self.query_one("#q-sql", TextArea)
        area.text = ""
        area.focus()
        self._history_at = None

    def history_step(self, step: int) -> None:
        if not self.history:
            self.set_status(Text("no query run yet: ctrl+r runs one", style="yellow"))
            return
        at = len(self.history) if self._history_at is None else self._history_at
        at = min(max(at + step, 0), len(self.history))
        self._history_at = at
        area = self.query_one("#q-sql", TextArea)
        area.text = self.history[at] if at < len(self.history) else ""
        area.move_cursor(area.document.end)
        area.focus()

    def run(self) -> None:
        sql_text = self.query_text()
        if not sql_text:
            self.set_status(Text("type a SQLite query first", style="yellow"))
            return
        st = self.compare.state
        if st.mapping is None:
            self.set_status(Text("no mapping: nothing to translate with", style="red"))
            return
        if not self.history or self.history[-1] != sql_text:
            self.history.append(sql_text)
        self._history_at = None
        self.running = True
        self.added_line = ""
        self.set_status(Text("running on both sides…", style="italic"))
        self._run_query(sql_text, st.source, st.dsn, st.mapping, self.compare.report.schema,
                        self._exclude)

    @work(thread=True, exclusive=True, group="query")
    def _run_query(self, sql_text: str, source: str, dsn: str, mapping: Any, schema: str,
                   exclude: dict[str, set[Any]] | None) -> None:
        backend = self.compare.backend
        try:
            if exclude is None:
                exclude = backend.exclusions(source, mapping, self.compare.report)
            qc = backend.query_both(source, dsn, mapping, sql_text, schema, exclude)
        except Exception as e:  # see backend.explain
            self.post_message(QueryRan(sql_text, None, explain(e), exclude=exclude))
            return
        self.post_message(QueryRan(sql_text, qc, exclude=exclude))

    @on(QueryRan)
    def _query_ran(self, msg: QueryRan) -> None:
        self.running = False
        if msg.exclude is not None:
            self._exclude = msg.exclude
        self.comparison = msg.comparison
        self.error = msg.error
        self.fill()

    def set_status(self, *lines: Text | str) -> None:
        self.query_one("#q-status", Static).update(Text("\n").join(
            line if isinstance(line, Text) else Text(line) for line in lines))

    def _status_lines(self) -> list[Text]:
        qc = self.comparison
        lines: list[Text] = []
        if self.error:
            lines.append(Text("✗ " + self.error, style="red bold"))
        elif qc is not None:
            pg = " ".join(qc.postgres_sql.split()) or "(no PostgreSQL text)"
            how = "PostgreSQL (translated): " if qc.translated else "PostgreSQL: "
            lines.append(Text.assemble((how, "bold"), cut(pg, 2 * 78 - len(how))))
            lines.append(query_verdict(qc))
            if qc.left_out:
                lines.append(Text(left_out_line(qc.left_out), style="yellow"))
        else:
            lines.append(Text(QUERY_HINT))
        if self.added_line:
            lines.append(Text(self.added_line, style="green"))
        return lines

    def fill(self) -> None:
        self.set_status(*self._status_lines())
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
                table.add_column(cut(name, 20), key=str(i))
            for r, row in enumerate(rows[:QUERY_ROWS]):
                mate = other[r] if r < len(other) else None
                cells: list[Text] = []
                for c, v in enumerate(row):
                    differs = marks and (mate is None or len(mate) != width or c >= len(mate)
                                         or not self._same(v, mate[c], table is left))
                    text = cut(_cell(v), 20)
                    cells.append(Text("≠ " + text, style="red bold") if differs else Text(text))
                table.add_row(*cells)
            if len(rows) > QUERY_ROWS:
                table.add_row(*plain(f"… {len(rows) - QUERY_ROWS} more",
                                     *([""] * (len(columns) - 1))))

    @staticmethod
    def _same(v: Any, mate: Any, sqlite_side: bool) -> bool:
        s, p = (v, mate) if sqlite_side else (mate, v)
        return compare_rows([(s,)], [(p,)], True)[0]

    def add_check(self) -> None:
        st = self.compare.state
        sql_text = self.query_text()
        if not sql_text:
            self.set_status(Text("type a SQLite query first", style="yellow"))
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
                    self.compare.report.checks.append(qc.result(name).to_dict())
                    self.post_message(self.CheckAdded())
            self.set_status(*self._status_lines())

        self.app.push_screen(PathModal("Name of the new check", f"check {n}",
                                       "enter: add to the mapping's checks   esc: cancel",
                                       empty="a name is needed"), named)
