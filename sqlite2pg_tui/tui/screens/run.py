"""Stage 4, Run: a summary to confirm, then live progress per table, cancel, and the verdict."""

from __future__ import annotations

import asyncio
import threading
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import Footer, Static

from sqlite2pg_tui import locations
from sqlite2pg_tui.core.events import (
    Event,
    Log,
    PhaseStarted,
    RowsCopied,
    TableFinished,
    TableStarted,
)
from sqlite2pg_tui.core.pipeline import RunOptions
from sqlite2pg_tui.core.plan.mapping import Mapping
from sqlite2pg_tui.core.report import Report
from sqlite2pg_tui.core.target.postgres import redact
from sqlite2pg_tui.tui.backend import explain
from sqlite2pg_tui.tui.messages import RunEvent, RunFinished, TargetChecked
from sqlite2pg_tui.tui.screens.base import WizardScreen
from sqlite2pg_tui.tui.screens.modals import ChoiceModal, ConfirmModal
from sqlite2pg_tui.tui.screens.run_summary import run_summary
from sqlite2pg_tui.tui.widgets.bars import sparkline
from sqlite2pg_tui.tui.widgets.run_progress import RunProgress, duration

REFRESH_S = 0.25  # progress bars redraw at most 4 times a second, however fast rows come
RATE_SAMPLES = 12  # rows/s samples in the sparkline (3 s at REFRESH_S)


class RunScreen(WizardScreen):
    STAGE = "Run"
    HELP = """
The summary says what will happen; enter starts it. Each table is copied in its own
transaction (two at a time), then primary keys, indexes, foreign keys and sequences
are added, and finally every table is verified: counts on both sides, and a sample
of rows compared value by value.

x cancels: the table being copied is rolled back, tables already copied stay, and
the screen lists which is which. Rejected rows are written, with the reason, to the
reject directory shown in the summary.
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "start", "Start", id="start", tooltip="start the migration"),
        Binding("x", "cancel_run", "Cancel run", id="cancel-run",
                tooltip="cancel: the table being copied is rolled back"),
        Binding("ctrl+n", "next", "Compare", id="next", tooltip="on to Compare, once finished"),
        Binding("escape", "back", "Back", id="back", tooltip="back to Review (not while running)"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.phase = ""
        self.status = "ready"  # ready | running | cancelling | done | failed
        self.cancel_event = threading.Event()
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[int, int]] = {}  # written by the worker thread
        self.totals: dict[str, int] = {}
        self.finished: dict[str, TableFinished] = {}
        self.started_at: float | None = None
        self.error = ""
        self._timer: Timer | None = None
        self.probing = False  # asking PostgreSQL which target tables exist
        self.rates: list[float] = []  # rows/s between ticks, for the sparkline
        self._last_tick: tuple[float, int] | None = None

    # --- layout ----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield self.breadcrumb()
        yield Static(self.summary(), id="run-summary", markup=False)
        st = self.state
        tables = [(tm.source, st.table(tm.source).row_count)
                  for tm in (st.mapping.included if st.mapping else [])]
        yield RunProgress(tables, clock=self.wizard.bar_clock, id="run-progress")
        yield Static("", id="run-result", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#run-progress").display = False
        self.query_one("#run-result").display = False
        self.probe_target()

    # --- what PostgreSQL holds now ------------------------------------------------------

    def probe_target(self) -> None:
        """Ask PostgreSQL again which target tables exist: a run (finished, failed or
        cancelled) since Connect's Test may have created some."""
        st = self.state
        if st.mapping is None:
            return
        self.probing = True
        self._probe(st.dsn, st.schema or "public", [tm.target for tm in st.mapping.included])

    @work(thread=True, exclusive=True, group="run-probe")
    def _probe(self, dsn: str, schema: str, tables: list[str]) -> None:
        try:
            msg = TargetChecked(self.backend.probe(dsn, schema, tables))
        except Exception as e:
            msg = TargetChecked(None, explain(e))
        self.post_message(msg)

    @on(TargetChecked)
    def _probed(self, msg: TargetChecked) -> None:
        st = self.state
        st.target, st.target_error = msg.info, msg.error
        self.probing = False
        self.query_one("#run-summary", Static).update(self.summary())
        self.refresh_bindings()

    def existing_targets(self) -> list[str]:
        st = self.state
        if st.mapping is None or st.target is None:
            return []
        return [tm.target for tm in st.mapping.included if tm.target in st.target.existing_tables]

    def total_rows(self) -> int:
        st = self.state
        if st.mapping is None:
            return 0
        return sum(st.table(tm.source).row_count for tm in st.mapping.included)

    def reject_dir(self) -> str:
        return self.state.reject_dir or str(locations.default_rejects_dir(self.state.source))

    def summary(self) -> Group:
        return run_summary(self.state, self.existing_targets(), self.total_rows(),
                           self.reject_dir(), probing=self.probing)

    # --- start / cancel ------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Hidden, not dimmed: 80 columns of footer only hold what can be done now.
        if action == "start":
            if self.state.target_error:
                return False
            # A cancelled run may be started again from here.
            cancelled = self.state.report is not None and self.state.report.cancelled
            return self.status in ("ready", "failed") or (self.status == "done" and cancelled)
        if action == "cancel_run":
            return self.status == "running"
        if action == "next":
            return self.status == "done" and self.state.report is not None
        if action == "back":
            return self.status not in ("running", "cancelling")
        return True

    def action_start(self) -> None:
        st = self.state
        existing = self.existing_targets()
        if existing and st.if_exists == "fail":
            self.offer_if_exists(existing)
            return
        if existing and st.if_exists == "replace":
            def answered(go: bool | None) -> None:
                if go:
                    self.start()

            self.app.push_screen(ConfirmModal(
                f"Drop and recreate {len(existing)} table(s) in {st.schema}?",
                existing, note="Their current rows are lost.", yes="Replace them",
                no="Not now"), answered)
            return
        self.start()

    def offer_if_exists(self, existing: list[str]) -> None:
        """The target tables exist: ask what to do instead of stopping the run."""
        st = self.state
        report = st.report
        why = ""
        if report is not None and report.cancelled:
            why = ("The cancelled run left them: tables it finished hold their rows, the one "
                   "it was copying may be there empty. ")
        elif report is not None:
            why = "The last run created them. "

        def answered(choice: str | None) -> None:
            if choice not in ("replace", "append", "truncate"):
                return
            st.if_exists = choice
            st.sync_mapping()
            self.query_one("#run-summary", Static).update(self.summary())
            self.log_line(f"if exists: {choice} (chosen for this run)", "info")
            self.start()

        self.app.push_screen(ChoiceModal(
            f"{len(existing)} target table(s) already exist in {st.schema or 'public'}",
            existing, [("r", "replace", "Replace them"), ("t", "truncate", "Empty and load"),
                       ("a", "append", "Append to them")],
            note=why + "Replace drops them (their rows are lost) and creates them again from the "
                       "SQLite file; truncate keeps the tables (the choice for a schema the "
                       "application's own migrations made) and replaces their rows in one "
                       "transaction; append loads into tables that are still empty. The choice "
                       "is kept in the mapping."), answered)

    def start(self) -> None:
        st = self.state
        assert st.mapping is not None
        self.begin()
        self._timer = self.set_interval(REFRESH_S, self.tick)
        opts = RunOptions(schema=st.schema or "public", if_exists=st.if_exists,
                          reject_dir=self.reject_dir(), workers=2, verify=True, sample=20)
        self._run(st.source, st.dsn, st.mapping, opts, self.cancel_event)

    def begin(self) -> None:
        """Switch from the summary to the progress view, everything at zero."""
        st = self.state
        assert st.mapping is not None
        st.sync_mapping()
        st.report = None
        self.status, self.error, self.phase = "running", "", ""
        self.cancel_event = threading.Event()
        self.wizard.cancel_event = self.cancel_event  # so quitting can stop the run
        self._rows.clear()
        self.finished.clear()
        self.totals = {tm.source: st.table(tm.source).row_count for tm in st.mapping.included}
        self.started_at = None
        self.rates, self._last_tick = [], None
        for table, total in self.totals.items():
            self._set_bar(table, 0, total, "waiting")
        self.query_one("#run-summary").display = False
        self.query_one("#run-progress").display = True
        self.query_one("#run-result").display = False
        self.progress.clear_log()
        self.log_line(f"migrating into {redact(st.dsn)}, schema {st.schema}", "info")
        st.running = True
        self.refresh_bindings()
        self.tick()

    def action_cancel_run(self) -> None:
        if self.status != "running":
            return
        self.cancel_event.set()
        self.status = "cancelling"
        self.log_line("cancelling: the table being copied is rolled back…", "warning")
        self.refresh_bindings()
        self.tick()

    def action_next(self) -> None:
        if self.state.report is not None:
            self.advance()

    # --- the worker: never touches a widget ----------------------------------------------

    @work(exclusive=True, group="run")
    async def _run(self, source: str, dsn: str, mapping: Mapping, opts: RunOptions,
                   cancel: threading.Event) -> None:
        # A daemon thread of our own, not Textual's thread pool: quitting during a run must
        # not wait for the copy to end (the pool is joined when the app's loop closes).
        thread = threading.Thread(target=self._run_body, args=(source, dsn, mapping, opts, cancel),
                                  name="sqlite2pg-run", daemon=True)
        self.wizard.run_thread = thread
        thread.start()
        while thread.is_alive():
            await asyncio.sleep(0.05)

    def _run_body(self, source: str, dsn: str, mapping: Mapping, opts: RunOptions,
                  cancel: threading.Event) -> None:
        def on_event(event: Event) -> None:
            if isinstance(event, RowsCopied):
                # Many per second per table: kept for the next tick instead of posted.
                with self._lock:
                    self._rows[event.table] = (event.done, event.total)
            else:
                self.post_message(RunEvent(event))

        try:
            report = self.backend.run(source, dsn, mapping, opts, on_event, cancel)
        except Exception as e:  # shown, not a crash: the user can go back and fix things
            self.post_message(RunFinished(None, explain(e)))
        else:
            self.post_message(RunFinished(report))

    # --- events → widgets -------------------------------------------------------------

    @on(RunEvent)
    def _event(self, msg: RunEvent) -> None:
        self.apply_event(msg.event)

    def apply_event(self, ev: Event) -> None:
        if isinstance(ev, PhaseStarted):
            self.phase = ev.phase
            if ev.phase == "data" and self.started_at is None:
                self.started_at = self.wizard.clock()
            self.log_line(f"phase: {ev.phase}", "phase")
        elif isinstance(ev, TableStarted):
            self.totals[ev.table] = ev.total
            self._set_bar(ev.table, 0, ev.total, "copying")
            self.follow(ev.table)
        elif isinstance(ev, RowsCopied):
            with self._lock:
                self._rows[ev.table] = (ev.done, ev.total)
        elif isinstance(ev, TableFinished):
            self.finished[ev.table] = ev
            total = self.totals.get(ev.table, ev.copied + ev.rejected)
            if ev.error:
                self._set_bar(ev.table, 0, total, "✗ rolled back")
                self.log_line(f"{ev.table}: not copied: {ev.error}", "error")
            else:
                status = f"✓ {ev.copied:,}" + (f", ✗ {ev.rejected:,} rej" if ev.rejected else "")
                self._set_bar(ev.table, total, total, status)
                msg = f"{ev.table}: {ev.copied:,} rows copied"
                if ev.rejected:
                    msg += f", {ev.rejected:,} rejected"
                self.log_line(msg + f" in {ev.seconds:.1f}s", "warning" if ev.rejected else "info")
        elif isinstance(ev, Log):
            self.log_line(ev.text, ev.level)
        self.tick()

    @property
    def progress(self) -> RunProgress:
        return self.query_one("#run-progress", RunProgress)

    def follow(self, table: str) -> None:
        self.progress.follow(table)

    def _set_bar(self, table: str, done: int, total: int, label: str) -> None:
        self.progress.set_bar(table, done, total, label)

    def done_rows(self) -> int:
        with self._lock:
            rows = dict(self._rows)
        done = 0
        for table, total in self.totals.items():
            if table in self.finished and not self.finished[table].error:
                done += total
            elif table in rows:
                done += rows[table][0]
        return done

    def tick(self) -> None:
        """Redraw the bars and the rate from what the worker left; runs a few times a second."""
        with self._lock:
            rows = dict(self._rows)
        for table, (done, total) in rows.items():
            if table not in self.finished:
                self._set_bar(table, done, total, f"{done:,}/{total:,}")
        total = sum(self.totals.values())
        done = self.done_rows()
        parts = [f"Phase: {self.phase or 'starting'}"]
        if self.started_at is not None and self.status in ("running", "cancelling"):
            now = self.wizard.clock()
            elapsed = max(now - self.started_at, 1e-6)
            rate = done / elapsed
            if self._last_tick is not None and now > self._last_tick[0]:
                self.rates.append((done - self._last_tick[1]) / (now - self._last_tick[0]))
                del self.rates[:-RATE_SAMPLES]
            self._last_tick = (now, done)
            parts.append(f"{rate:,.0f} rows/s" + (f" {sparkline(self.rates)}" if self.rates else ""))
            if rate > 0 and done < total and self.phase == "data":
                parts.append(f"ETA {duration((total - done) / rate)}")
            parts.append(f"elapsed {duration(elapsed)}")
        if self.status == "cancelling":
            parts.append("cancelling…")
        if self.status == "done" and self.state.report is not None:
            took = sum(self.state.report.phases_s.values())
            parts.append(f"in {duration(took)}")
        self.progress.set_overall(done, total, "   ".join(parts))

    def log_line(self, text: str, level: str) -> None:
        self.progress.log_line(text, level)

    # --- the end ---------------------------------------------------------------------

    @on(RunFinished)
    def _finished(self, msg: RunFinished) -> None:
        self.finish(msg.report, msg.error)
        # The run may have created tables: a retry from here must know.
        self.probe_target()

    def finish(self, report: Report | None, error: str = "") -> None:
        st = self.state
        st.running = False
        if self._timer is not None:
            self._timer.stop()
        result = self.query_one("#run-result", Static)
        result.display = True
        if report is None:
            self.status, self.error = "failed", error
            self.log_line(error, "error")
            result.update(Text.assemble(("✗ The run stopped: ", "red bold"), error,
                                        "\nFix it (escape goes back) and press enter to retry."))
            self.phase = "stopped"
            self.tick()
            self.refresh_bindings()
            return
        st.report = report
        self.status = "done"
        self.phase = "cancelled" if report.cancelled else "done"
        self.tick()
        if report.cancelled:
            copied = [t.source for t in report.tables if not t.error]
            not_copied = [f"{t.source} ({t.error})" for t in report.tables if t.error]
            self.log_line("cancelled. Copied and kept: " + (", ".join(copied) or "none"), "warning")
            for t in not_copied:
                self.log_line("not copied: " + t, "warning")
            result.update(Text.assemble(
                ("✗ Cancelled. ", "yellow bold"),
                f"Copied: {', '.join(copied) or 'none'}. Not copied: "
                f"{len(not_copied)} table(s). ctrl+n shows what is in PostgreSQL."))
        elif report.ok:
            result.update(Text.assemble(("✓ Every row accounted for and verified. ", "green bold"),
                                        "ctrl+n: compare both sides"))
        else:
            rejected = sum(t.rejected_rows for t in report.tables)
            failed = [t.source for t in report.tables if t.error or not t.count_match
                      or t.sample_mismatches]
            bits = []
            if rejected:
                bits.append(f"{rejected:,} row(s) rejected (in {report.rejects_dir})")
            if failed:
                bits.append(f"differences in {', '.join(failed)}")
            result.update(Text.assemble(("✗ Finished with differences: ", "yellow bold"),
                                        "; ".join(bits) + ". ctrl+n: compare both sides"))
        self.refresh_bindings()
