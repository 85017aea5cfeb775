"""Stage 1, Connect: which SQLite file, which PostgreSQL, and may we write there."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import psycopg2
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.widgets import Footer, Input, Label, Static
from textual.worker import get_current_worker

from sqlite2pg_tui import locations
from sqlite2pg_tui.core.errors import MappingError
from sqlite2pg_tui.core.plan.mapping import IDENTIFIER_CASES, IF_EXISTS, Mapping, drift
from sqlite2pg_tui.core.plan.mapping import merge as mapping_merge
from sqlite2pg_tui.core.plan.recase import recase
from sqlite2pg_tui.core.source.inspection import Inspection
from sqlite2pg_tui.core.target import postgres
from sqlite2pg_tui.tui.backend import explain
from sqlite2pg_tui.tui.messages import SourceChecked, TargetChecked
from sqlite2pg_tui.tui.screens.base import WizardScreen
from sqlite2pg_tui.tui.screens.file_picker import FilePickerModal
from sqlite2pg_tui.tui.screens.modals import ConfirmModal, PathModal
from sqlite2pg_tui.tui.widgets.choice import Choice
from sqlite2pg_tui.tui.widgets.field import Field

SSL_MODES = [("", "default"), ("disable", "disable"), ("allow", "allow"), ("prefer", "prefer"),
             ("require", "require"), ("verify-ca", "verify-ca"), ("verify-full", "verify-full")]
OK, BAD, WARN = ("✓ ", "green"), ("✗ ", "red"), ("! ", "yellow")


def _size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


CASE_LABELS = {"lower": "lower case", "keep": "kept as they are", "snake": "snake_case"}


def read_mapping(app: App[object], path: str) -> Mapping | None:
    """A saved mapping, or None after telling the user (in plain words) why not."""
    try:
        return Mapping.load(path)
    except Exception as e:  # a hand-edited file can fail in many ways; say which
        detail = e.differences[1:] if isinstance(e, MappingError) else []
        app.notify("\n".join([explain(e), *detail]), title="Mapping not loaded",
                   severity="error", timeout=10, markup=False)
        return None


class ConnectScreen(WizardScreen):
    STAGE = "Connect"
    HELP = """
Give the SQLite file to move and the PostgreSQL database to move it into.

The target may be a DSN (a postgresql:// URI or key=value pairs) and/or the fields;
a filled field wins over the DSN. Empty fields fall back to libpq's PG* variables and
~/.pgpass, so a password need not be typed here. Nothing typed on this screen is saved
with the mapping: it never holds a password.

Once the file is read, ctrl+l cycles how table and column names are written in
PostgreSQL: lower case (what PostgreSQL does to unquoted names, so the application's
SQL keeps working), kept as they are (quoted; what an ORM that quotes every name
expects), or snake_case. It is saved in the mapping (identifier_case); names you
typed in Review are kept.

Test reads the SQLite file (tables, rows, what each column really holds) and asks
PostgreSQL who we are, whether we may create tables in the target schema, and which
target tables already exist. "If exists" decides what the run does with those:
fail (stop before touching anything), replace (drop and recreate), append (load into
empty tables) or truncate (keep the tables, replace their rows: for a schema made by the
application's own migrations).
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+t", "test", "Test", id="test",
                tooltip="check both ends (also enter on the last field)"),
        Binding("ctrl+n", "next", "Next", id="next", tooltip="on to Review (tests first if needed)"),
        Binding("ctrl+o", "load_mapping", "Load map", id="load-mapping",
                tooltip="load a saved mapping (TOML)"),
        Binding("ctrl+f", "browse", "Browse", id="browse", tooltip="pick the SQLite file from a tree"),
        Binding("ctrl+l", "cycle_case", "Case", id="identifier-case",
                tooltip="names in PostgreSQL: lower, kept as they are, or snake_case"),
        Binding("escape", "back", "Quit", id="back", tooltip="quit (asks first)"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._advance = False  # go on to Review once the running check succeeds
        self._progress = ""

    # --- layout ----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        st = self.state
        f = st.fields
        yield self.breadcrumb()
        with VerticalScroll(id="connect-form"):
            yield Label(Text("SQLite file", style="bold"), classes="section")
            with Grid(id="source-grid", classes="form-grid"):
                yield Label("Path")
                yield Field(st.source, id="source", placeholder="path/to/file.db  (^f browse)")
            yield Label(Text("PostgreSQL target", style="bold"), classes="section")
            with Grid(id="target-grid", classes="form-grid two"):
                yield Label("DSN")
                yield Field(st.dsn_text, id="dsn", classes="wide",
                            placeholder="URI or key=value (optional; fields win)")
                yield Label("Host")
                yield Field(f["host"], id="host", placeholder="PGHOST / local socket")
                yield Label("Port")
                yield Field(f["port"], id="port", placeholder="5432", type="integer")
                yield Label("Database")
                yield Field(f["dbname"], id="dbname", placeholder="PGDATABASE")
                yield Label("User")
                yield Field(f["user"], id="user", placeholder="PGUSER")
                yield Label("Password")
                yield Field(f["password"], id="password", password=True,
                            placeholder="PGPASSWORD / .pgpass")
                yield Label("SSL mode")
                yield Choice(SSL_MODES, f["sslmode"], show_all=False, id="sslmode")
                yield Label("Schema")
                yield Field(st.schema, id="schema", placeholder="public")
                yield Label("If exists")
                yield Choice([(v, v) for v in IF_EXISTS], st.if_exists, id="if-exists")
            yield Static(id="check", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#source" if not self.state.source else "#dsn", Input).focus()
        self._show_check()

    def on_screen_resume(self) -> None:
        # Back from Review: the schema/if-exists may have come from a loaded mapping, or
        # been chosen on Run.
        self.set_fields()
        self._show_check()

    # --- fields → state ----------------------------------------------------------

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        st = self.state
        key = event.input.id or ""
        before = (st.dsn_text, dict(st.fields), st.schema)
        if key == "source":
            st.source = os.path.expanduser(event.value.strip())
        elif key == "dsn":
            st.dsn_text = event.value
        elif key == "schema":
            st.schema = event.value.strip() or "public"
            st.sync_mapping()
        elif key in st.fields:
            st.fields[key] = event.value.strip() if key != "password" else event.value
        if (st.dsn_text, st.fields, st.schema) != before and (st.target is not None
                                                               or st.target_error):
            # What the last Test said is about another target now: ^n tests again.
            st.target, st.target_error = None, ""
            self._show_check()

    @on(Input.Submitted)
    def _field_submitted(self, event: Input.Submitted) -> None:
        # Enter walks down the form like tab; on the last field it tests.
        if event.input.id == "schema":
            self.action_test()
        else:
            self.focus_next()

    @on(Choice.Changed)
    def _choice_changed(self, event: Choice.Changed) -> None:
        if event.choice.id == "sslmode":
            self.state.fields["sslmode"] = event.value
        elif event.choice.id == "if-exists":
            self.state.if_exists = event.value
            self.state.sync_mapping()
            self._show_check()

    def set_fields(self) -> None:
        """Refill the inputs from the state (after a mapping was loaded)."""
        self.query_one("#schema", Input).value = self.state.schema
        self.query_one("#if-exists", Choice).value = self.state.if_exists

    # --- actions -------------------------------------------------------------------

    def action_test(self, advance: bool = False) -> None:
        st = self.state
        self._advance = advance
        if not st.source:
            st.source_error = "give the path of a SQLite file"
            self._show_check()
            self.query_one("#source", Input).focus()
            return
        # Ask PostgreSQL about the tables this file will become: the mapping's names if it
        # is this file's, else (None) the fresh plan's, known once the file is read.
        same_file = st.inspection is not None and st.inspection.path == st.source
        targets = [t.target for t in st.mapping.tables] if st.mapping and same_file else None
        if st.pending_mapping is not None:
            targets = [t.target for t in st.pending_mapping.tables]
        st.source_error = st.target_error = ""
        st.target = None
        self._progress = "reading the SQLite file…"
        self._show_check()
        try:
            dsn, dsn_error = st.dsn, ""
        except psycopg2.Error as e:  # half-typed DSN text: said on the screen, not raised
            dsn, dsn_error = "", f"the DSN cannot be read: {postgres.plain_error(e)}"
        self._check(st.source, dsn, st.schema or "public", targets, dsn_error)

    def action_next(self) -> None:
        st = self.state
        if st.ready and st.inspection is not None and st.inspection.path == st.source \
                and st.target is not None:
            self._go_review()
        else:
            self.action_test(advance=True)

    def action_back(self) -> None:
        def answered(quit_: bool | None) -> None:
            if quit_:
                self.app.exit()

        self.app.push_screen(ConfirmModal("Quit the wizard?", "Nothing has been written to "
                                          "PostgreSQL unless a run finished.", yes="Quit",
                                          no="Stay"), answered)

    def action_browse(self) -> None:
        start = Path(self.state.source).expanduser().parent if self.state.source else Path.cwd()

        def chosen(path: str | None) -> None:
            if path:
                self.query_one("#source", Input).value = path
                self.action_test()

        self.app.push_screen(FilePickerModal(start if start.is_dir() else Path.cwd()), chosen)

    def action_load_mapping(self) -> None:
        st = self.state
        default = st.mapping_path or (locations.default_mapping_path(st.source) if st.source
                                      else locations.mappings_dir() / "mapping.toml")

        def chosen(path: str | None) -> None:
            if path:
                self.load_mapping(path)

        self.app.push_screen(PathModal("Load a mapping (TOML)", default), chosen)

    def load_mapping(self, path: str) -> None:
        """Load a saved mapping; against an inspected database, check it still fits."""
        st = self.state
        loaded = read_mapping(self.app, path)
        if loaded is None:
            return
        st.mapping_path = path
        if st.inspection is None or st.inspection.path != st.source:
            # Not read yet (or another file since): checked against the file on Test.
            st.pending_mapping = loaded
            st.schema, st.if_exists = loaded.schema, loaded.if_exists
            self.set_fields()
            self.notify(f"{path} loaded; Test checks it against the SQLite file",
                        title="Mapping loaded", markup=False)
            return
        self._reconcile(loaded, self.backend.plan(st.inspection), settings=True, origin=path)

    # --- the check, in a worker ------------------------------------------------------

    @work(thread=True, exclusive=True, group="check")
    def _check(self, source: str, dsn: str, schema: str, targets: list[str] | None,
               dsn_error: str = "") -> None:
        worker = get_current_worker()
        ins: Inspection | None = None
        try:
            # The schema alone: Review lists the tables at once and reads their data itself.
            ins = self.backend.read_source(source)
            planned = self.backend.plan(ins)
        except Exception as e:  # shown on the screen; see backend.explain
            result = SourceChecked(source, None, explain(e))
        else:
            result = SourceChecked(source, ins, planned=planned)
            if targets is None:
                targets = [t.target for t in planned.tables]
        # A newer Test replaced this one: its answer must not land after the newer one's.
        if worker.is_cancelled:
            return
        self.post_message(result)
        try:
            if dsn_error:
                target = TargetChecked(None, dsn_error)
            else:
                target = TargetChecked(self.backend.probe(dsn, schema, targets or []))
        except Exception as e:
            target = TargetChecked(None, explain(e))
        if not worker.is_cancelled:
            self.post_message(target)

    @on(SourceChecked)
    def _source_checked(self, msg: SourceChecked) -> None:
        st = self.state
        self._progress = "asking PostgreSQL…"
        if msg.inspection is None or msg.planned is None:
            st.source_error = msg.error
            st.inspection = None
            self._advance = False
            self._show_check()
            return
        st.source_error = ""
        same_file = st.inspection is not None and st.inspection.path == msg.path
        st.inspection = msg.inspection
        if st.pending_mapping is not None:
            loaded, st.pending_mapping = st.pending_mapping, None
            self._reconcile(loaded, msg.planned, settings=True, origin=st.mapping_path or "")
        elif st.mapping is not None and same_file:
            # Testing again after Review: keep the edits, unless the file changed under them.
            self._reconcile(st.mapping, msg.planned, settings=False, origin="your edits")
        else:
            st.adopt(msg.planned, settings=False)
            st.mapping_path = None
        self.app.refresh_bindings()  # ctrl+s has something to save now
        self._show_check()

    @on(TargetChecked)
    def _target_checked(self, msg: TargetChecked) -> None:
        st = self.state
        st.target, st.target_error = msg.info, msg.error
        self._progress = ""
        self._show_check()
        if self._advance and st.ready and st.target is not None:
            self._advance = False
            self._go_review()
        elif self._advance and st.target_error:
            # Review and Run would promise a migration PostgreSQL cannot take.
            self._advance = False
            self.notify("Fix the PostgreSQL target (see ✗ above), then ^n again.",
                        title="PostgreSQL test failed", severity="error", markup=False)

    def _reconcile(self, mapping: Mapping, planned: Mapping, *, settings: bool, origin: str) -> None:
        """Adopt ``mapping`` if it still fits the database; else show how it drifted."""
        st = self.state
        assert st.inspection is not None
        diffs = drift(mapping, st.inspection.schema)
        if not diffs:
            st.adopt(mapping, settings=settings)
            if settings:
                self.set_fields()
                self.notify(f"{origin} matches the database", title="Mapping loaded", markup=False)
            return

        def answered(use_it: bool | None) -> None:
            if use_it:
                st.adopt(mapping_merge(mapping, planned), settings=settings)
            else:
                st.adopt(planned, settings=False)
                st.mapping_path = None
            self.set_fields()
            self.app.refresh_bindings()
            self._show_check()

        self._advance = False
        self.app.push_screen(ConfirmModal(
            f"The database changed since {origin or 'the mapping'} was made",
            diffs, note="Yes: keep its choices where they still fit and plan the rest afresh.\n"
                        "No: discard it and start from a fresh plan.",
            yes="Keep what fits", no="Fresh plan"), answered)

    def _go_review(self) -> None:
        self.state.sync_mapping()
        self.advance()

    # --- what the check found ----------------------------------------------------------

    def check_lines(self) -> Text:
        st = self.state
        t = Text()

        def line(head: str, mark: tuple[str, str] | None, body: str) -> None:
            t.append(f"{head:<9}", style="bold")
            if mark:
                t.append(mark[0], style=mark[1])
            t.append(body + "\n")

        if st.source_error:
            line("SQLite", BAD, st.source_error)
        elif st.inspection is not None:
            s = st.inspection.schema
            line("SQLite", OK, f"{len(s.tables)} tables, {s.total_rows:,} rows, {_size(s.size_bytes)}")
            extra = [f"{len(s.views)} view(s)" if s.views else "",
                     f"{len(s.triggers)} trigger(s)" if s.triggers else ""]
            if any(extra):
                line("", None, "  " + " and ".join(e for e in extra if e)
                     + " are not copied as data (see Compare)")
        else:
            line("SQLite", None, "not checked yet: ^t tests both ends")
        if st.target_error:
            line("Postgres", BAD, st.target_error)
        elif st.target is not None:
            i = st.target
            line("Postgres", OK, f"PostgreSQL {i.server_version} as {i.user}, database {i.database}")
            if i.can_create:
                line("", OK, f"may create tables in schema {i.schema}"
                     + ("" if i.schema_exists else " (it will be created)"))
            else:
                line("", BAD, f"may not create tables in schema {i.schema}: ask for CREATE on it")
            if not i.existing_tables:
                line("", OK, "no target table exists yet")
            else:
                names = ", ".join(i.existing_tables)
                effect = {"fail": "the run will stop: choose truncate (an application's own "
                                  "schema), append (empty tables) or replace",
                          "replace": "they will be dropped and recreated",
                          "append": "rows will be added to them",
                          "truncate": "their rows will be replaced, the tables kept"}[st.if_exists]
                line("", WARN if st.if_exists != "fail" else BAD,
                     f"{len(i.existing_tables)} exist: {names}; {effect}")
        elif st.inspection is not None and not self._progress:
            line("Postgres", None, "not checked yet")
        if st.mapping is not None:
            where = st.mapping_path or "planned from the data"
            line("Mapping", None, f"{where} · names: {CASE_LABELS[st.mapping.identifier_case]} "
                                  "(^l changes)")
        elif st.pending_mapping is not None:
            line("Mapping", None, f"{st.mapping_path} (checked on Test)")
        if self._progress:
            line("", None, self._progress)
        return t

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cycle_case":  # only once there are names to change
            return self.state.mapping is not None
        return True

    def action_cycle_case(self) -> None:
        m = self.state.mapping
        if m is None:
            return
        i = IDENTIFIER_CASES.index(m.identifier_case) if m.identifier_case in IDENTIFIER_CASES else -1
        recase(m, IDENTIFIER_CASES[(i + 1) % len(IDENTIFIER_CASES)])
        # Which target tables exist was asked under the old names: Next asks again.
        self.state.target = None
        self.notify(f"Names in PostgreSQL: {CASE_LABELS[m.identifier_case]}", timeout=3,
                    markup=False)
        self._show_check()
        self.app.refresh_bindings()

    def _show_check(self) -> None:
        if self.is_mounted:
            self.query_one("#check", Static).update(self.check_lines())
