"""After Compare, Next steps: port the application's sqlite3 code (a diff, never an edit)
and build the production kit (app role, credentials, pooling, backups, baseline)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, DataTable, Footer, Input, Label, Static

from sqlite2pg_tui.tui.backend import explain
from sqlite2pg_tui.tui.messages import CodeScanned, KitBuilt
from sqlite2pg_tui.tui.saving import save_or_say
from sqlite2pg_tui.tui.screens.base import WizardScreen
from sqlite2pg_tui.tui.screens.modals import ConfirmModal, PathModal
from sqlite2pg_tui.tui.widgets.cells import cut_line, plain
from sqlite2pg_tui.tui.widgets.field import Field

SECTIONS = (("code", "Port the code"), ("kit", "Production kit"))
DIFF_NAME = "sqlite2pg-port.diff"
KIT_DIR = "sqlite2pg-kit"


def scan_summary(results: list[Any]) -> Text:
    """What a scan found, every finding counted in one of the named groups."""
    count = sum(len(r.findings) for r in results)
    look = sum(len(r.needs_look) for r in results)
    changed = sum(1 for r in results if r.changed)
    unreadable = sum(1 for r in results if r.error)
    text = Text.assemble((f"{len(results)} file(s), {count} finding(s)", "bold"),
                         f": {count - look} rewritten for you, {look} to check by hand; "
                         f"{changed} file(s) change")
    if unreadable:
        text.append(f"; {unreadable} unreadable", style="red")
    if changed:
        text.append(" · d saves the diff")
    return text


class NextStepsScreen(WizardScreen):
    STAGE = "Next steps"
    HELP = """
1 Port the code: give the folder of the application that used SQLite (tab to the
folder field, enter or ctrl+r scans it). Every sqlite3 call, placeholder and SQL
construct that needs a change is listed file by file; the highlighted finding is shown
in full below with the reason. d writes the whole change as a unified diff into a
folder you choose; your source files are never changed.

2 Production kit: k reads the PostgreSQL database (nothing is changed there) and
composes the files a production setup needs: a restricted application role, the
credentials kept out of the code, pooling, backups and a baseline migration. The
highlighted file is shown below. k asks for the application role's name first. w writes
the files into the chosen folder, asking before it replaces any. A generated password
is shown here once and is never written to a file.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        # Short labels: with every key shown the footer still fits in 80 columns.
        Binding("1", "section('code')", "Pane", key_display="1-2", id="section-code",
                tooltip="port the code"),
        Binding("2", "section('kit')", "Production kit", show=False, id="section-kit",
                tooltip="the production kit"),
        Binding("ctrl+r", "scan", "Scan", id="scan", tooltip="scan the folder's Python code"),
        Binding("d", "save_diff", "Diff", id="save-diff",
                tooltip="write the unified diff to a folder (sources untouched)"),
        Binding("k", "build_kit", "Kit", id="build-kit",
                tooltip="compose the production kit from the database (reads only)"),
        Binding("w", "write_kit", "Write", id="write-kit",
                tooltip="write the kit's files (asks before replacing any)"),
        Binding("escape", "back", "Back", id="back", tooltip="back to Compare"),
    ]

    def __init__(self, folder: str | None = None) -> None:
        super().__init__()
        self.section = "code"
        self.folder = folder if folder is not None else os.getcwd()
        self.scanned_folder = ""
        self.results: list[Any] = []
        self._findings: list[Any] = []  # one per row of #ns-findings
        self.kit: Any = None  # kit.KitResult
        self.kit_role = "app"
        self.diff_path: str | None = None
        self.kit_dir = KIT_DIR

    def compose(self) -> ComposeResult:
        yield self.breadcrumb()
        yield Static(id="ns-tabs", markup=False)
        with ContentSwitcher(initial="code", id="ns-views"):
            with Vertical(id="code"):
                with Horizontal(id="ns-folder-row"):
                    yield Label("Folder ", id="ns-folder-label")
                    yield Field(self.folder, id="ns-folder", select_on_focus=False)
                yield Static("ctrl+r scans the folder (or enter in the field)",
                             id="ns-code-status", markup=False)
                yield DataTable(id="ns-findings", cursor_type="row")
                yield Static(id="ns-finding-detail", markup=False)
            with Vertical(id="kit"):
                yield Static("k composes the kit from the database (nothing is changed there)",
                             id="ns-kit-status", markup=False)
                yield DataTable(id="ns-kit-files", cursor_type="row")
                with VerticalScroll(id="ns-kit-body"):
                    yield Static(id="ns-kit-content", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        t = self.query_one("#ns-findings", DataTable)
        # Fixed widths: a snapshot must not depend on when auto-sizing runs.
        for label, key, width in (("Where", "where", 17), ("Kind", "kind", 14),
                                  ("Change", "change", self.change_width())):
            t.add_column(label, key=key, width=width)
        files = self.query_one("#ns-kit-files", DataTable)
        for label, key, width in (("File", "file", 22), ("What", "title", 50)):
            files.add_column(label, key=key, width=width)
        self.show_tabs()
        t.focus()

    def change_width(self) -> int:
        """The Change column: 41 cells at 80 columns, everything a wider terminal adds."""
        return 41 + max(0, self.app.size.width - 80)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Hidden until there is something to act on: the footer lists what can be done now.
        if action == "save_diff":
            return bool(self.results)
        if action == "write_kit":
            return self.kit is not None
        return True

    # --- sections ------------------------------------------------------------------------

    def show_tabs(self) -> None:
        t = Text()
        for i, (key, label) in enumerate(SECTIONS, 1):
            chosen = key == self.section
            t.append(f" {i} ", style="bold reverse" if chosen else "bold")
            t.append(f"[{label}]" if chosen else f" {label} ", style="bold" if chosen else "dim")
            t.append(" ")
        self.query_one("#ns-tabs", Static).update(t)

    def action_section(self, section: str) -> None:
        self.section = section
        self.query_one("#ns-views", ContentSwitcher).current = section
        self.show_tabs()
        self.query_one("#ns-findings" if section == "code" else "#ns-kit-files", DataTable).focus()

    # --- port the code ---------------------------------------------------------------------

    @on(Input.Submitted, "#ns-folder")
    def _folder_submitted(self, _event: Input.Submitted) -> None:
        self.action_scan()

    def action_scan(self) -> None:
        if self.section != "code":
            self.action_section("code")
        folder = self.query_one("#ns-folder", Input).value.strip() or "."
        self.query_one("#ns-code-status", Static).update(f"scanning {folder}…")
        self._scan(folder, self.state.mapping)

    @work(thread=True, exclusive=True, group="portcode")
    def _scan(self, folder: str, mapping: Any) -> None:
        try:
            results = self.backend.scan_code(folder, mapping)
        except Exception as e:  # see backend.explain
            self.post_message(CodeScanned(folder, [], explain(e)))
            return
        self.post_message(CodeScanned(folder, results))

    def _shown_path(self, path: str) -> str:
        try:
            return os.path.relpath(path, self.scanned_folder)
        except ValueError:
            return path

    @on(CodeScanned)
    def _scanned(self, msg: CodeScanned) -> None:
        status = self.query_one("#ns-code-status", Static)
        t = self.query_one("#ns-findings", DataTable)
        t.clear()
        self._findings = []
        if msg.error:
            self.results = []
            status.update(Text(f"cannot scan {msg.folder}: {msg.error}", style="red"))
            self.show_finding()
            return
        self.results = msg.results
        self.scanned_folder = msg.folder
        for r in msg.results:
            if r.error:
                t.add_row(*plain(cut_line(self._shown_path(r.path), 17),
                                 Text("error", style="red"), cut_line(r.error, self.change_width())))
                self._findings.append(r)
                continue
            for f in r.findings:
                where = f"{cut_line(self._shown_path(f.path), 12)}:{f.line}"
                half = (self.change_width() - 3) // 2
                change = (f"{cut_line(f.original, half)} → "
                          f"{cut_line(f.replacement, half) or '(removed)'}")
                kind = Text(cut_line(f.kind, 14), style="yellow bold" if f.needs_look else "")
                t.add_row(*plain(where, kind, change))
                self._findings.append(f)
        status.update(scan_summary(msg.results))
        self.show_finding()
        self.refresh_bindings()

    def show_finding(self) -> None:
        detail = self.query_one("#ns-finding-detail", Static)
        i = self.query_one("#ns-findings", DataTable).cursor_row
        if not (0 <= i < len(self._findings)):
            detail.update("")
            return
        f = self._findings[i]
        if not hasattr(f, "line"):  # a file that could not be read
            detail.update(Text(f"{self._shown_path(f.path)}: {f.error}", style="red"))
            return
        detail.update(Text.assemble(
            (f"{self._shown_path(f.path)}:{f.line} · {f.kind}", "bold"),
            (" (check by hand)" if f.needs_look else "", "yellow bold"),
            "\n", " ".join(f.original.split()), " → ",
            " ".join(f.replacement.split()) or "(removed)", ("\n" + f.why, "dim")))

    @on(DataTable.RowHighlighted, "#ns-findings")
    def _finding_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.show_finding()

    def action_save_diff(self) -> None:
        from sqlite2pg_tui.portcode import unified_diff

        if not self.results:
            self.notify("Nothing to save yet: scan a folder first (ctrl+r)", severity="warning",
                        markup=False)
            return
        diff = unified_diff(self.results, root=self.scanned_folder)
        if not diff:
            self.notify("No file would change: there is no diff to save", markup=False)
            return
        default = str(Path(self.diff_path).parent) if self.diff_path else "."

        def chosen(folder: str | None) -> None:
            if not folder:
                return
            path = Path(os.path.expanduser(folder)) / DIFF_NAME

            def write() -> Path:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(diff, encoding="utf-8")
                return path

            if save_or_say(self, path, write) is None:
                return
            self.diff_path = str(path)
            self.query_one("#ns-code-status", Static).update(
                f"diff saved to {path}; apply it with: git apply {DIFF_NAME}")
            self.notify(f"diff saved to {path} (sources untouched)", title="Diff saved",
                        markup=False)

        self.app.push_screen(PathModal(f"Folder for {DIFF_NAME}", default, replace=True), chosen)

    # --- production kit --------------------------------------------------------------------

    def action_build_kit(self) -> None:
        if self.section != "kit":
            self.action_section("kit")

        def named(role: str | None) -> None:
            if not role:
                return
            self.kit_role = role
            self.app.push_screen(PathModal("Folder the kit will be written to", self.kit_dir,
                                           replace=True), chosen)

        def chosen(folder: str | None) -> None:
            if not folder:
                return
            self.kit_dir = folder
            self.query_one("#ns-kit-status", Static).update("reading the database…")
            schema = self.state.report.schema if self.state.report else self.state.schema
            self._build(self.state.dsn, schema or "public", os.path.expanduser(folder),
                        self.kit_role)

        self.app.push_screen(PathModal(
            "Name of the application's database role", self.kit_role, replace=True,
            hint="enter: OK   esc: cancel   (a restricted LOGIN role; not the tables' owner)",
            empty="a role name is needed"), named)

    @work(thread=True, exclusive=True, group="kit")
    def _build(self, dsn: str, schema: str, out_dir: str, role: str) -> None:
        try:
            result = self.backend.build_kit(dsn, schema, out_dir, role)
        except Exception as e:  # see backend.explain
            self.post_message(KitBuilt(None, explain(e)))
            return
        self.post_message(KitBuilt(result))

    @on(KitBuilt)
    def _built(self, msg: KitBuilt) -> None:
        status = self.query_one("#ns-kit-status", Static)
        files = self.query_one("#ns-kit-files", DataTable)
        files.clear()
        if msg.error or msg.result is None:
            self.kit = None
            status.update(Text(f"cannot build the kit: {msg.error}", style="red"))
            self.show_kit_file()
            return
        self.kit = kit = msg.result
        for i, f in enumerate(kit.files):
            files.add_row(*plain(cut_line(str(f.path), 22), cut_line(f.title, 50)), key=str(i))
        text = Text.assemble((f"{len(kit.files)} file(s) for role {kit.role}", "bold"),
                             "; w writes them")
        if kit.password_generated and kit.password:
            # Shown once, here; no file of the kit contains it.
            text.append("\npassword for " + kit.role + ": ", style="bold")
            text.append(kit.password, style="yellow bold")
            text.append(" (shown once, in no file)", style="dim")
        status.update(text)
        files.focus()
        self.show_kit_file()
        self.refresh_bindings()

    def show_kit_file(self) -> None:
        body = self.query_one("#ns-kit-content", Static)
        i = self.query_one("#ns-kit-files", DataTable).cursor_row
        if self.kit is None or not (0 <= i < len(self.kit.files)):
            body.update("")
            return
        body.update(self.kit.files[i].content)
        self.query_one("#ns-kit-body", VerticalScroll).scroll_home(animate=False)

    @on(DataTable.RowHighlighted, "#ns-kit-files")
    def _kit_file_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.show_kit_file()

    def action_write_kit(self) -> None:

        if self.kit is None:
            self.notify("Nothing to write yet: build the kit first (k)", severity="warning",
                        markup=False)
            return
        from sqlite2pg_tui.kit.build import conflicts

        existing = conflicts(self.kit)
        if not existing:
            self._write_kit(force=False)
            return

        def answered(replace: bool | None) -> None:
            if replace:
                self._write_kit(force=True)

        self.app.push_screen(ConfirmModal(
            f"{len(existing)} kit file(s) already exist in {self.kit.out_dir}",
            [str(p) for p in existing], note="Replace them with the new kit? No writes nothing.",
            yes="Replace them", no="Keep them"), answered)

    def _write_kit(self, *, force: bool) -> None:
        from sqlite2pg_tui.kit import write_kit

        status = self.query_one("#ns-kit-status", Static)
        try:
            written = write_kit(self.kit, force=force)
        except Exception as e:  # e.g. a folder that cannot be created; said in plain words
            status.update(Text(f"not written: {explain(e)}", style="red"))
            return
        status.update(f"{len(written)} file(s) written to {self.kit.out_dir}")
        self.notify(f"{len(written)} file(s) written to {self.kit.out_dir}", title="Kit written",
                    markup=False)
