"""The commands that write to or read back PostgreSQL: run, verify, and demo (a run into an
embedded server), with Ctrl-C turned into a clean cancel."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlite2pg_tui import locations
from sqlite2pg_tui.cli.common import err, load_mapping
from sqlite2pg_tui.cli.wizard import launch_wizard
from sqlite2pg_tui.core.errors import EXIT_CANNOT_RUN, EXIT_DIFFERENCES, EXIT_OK

DEMO_DIRTY_ROWS = 2  # core/demo_data.py plants '2024-02-30' and 'yesterday' in orders


def _finish(report: object, args: argparse.Namespace, signum: int | None = None) -> int:
    from sqlite2pg_tui.cli.output import format_report
    from sqlite2pg_tui.core.report import Report

    assert isinstance(report, Report)
    if args.report:
        report.save(args.report)
    if not args.quiet:
        print(format_report(report))
    if report.cancelled:
        # Last, on stderr, even with --quiet: what PostgreSQL holds and what a rerun does.
        lines = report.after_cancel or ["cancelled"]
        err("cancelled: " + lines[0])
        for line in lines[1:]:
            print(f"  {line}", file=sys.stderr)
        return 128 + signum if signum else EXIT_CANNOT_RUN
    return report.exit_code


def _interruptible(work: Callable[[threading.Event], Any]) -> tuple[Any, int | None]:
    """Run ``work(cancel)`` in a thread while the main thread waits for signals: the first
    Ctrl-C (or SIGTERM) sets ``cancel``, and the core stops the COPY on the server and says
    what it left behind; a second one stops at once (KeyboardInterrupt).
    Returns the result and the signal that cancelled it (None when none did)."""
    if threading.current_thread() is not threading.main_thread():
        return work(threading.Event()), None  # signals go to the main thread only
    cancel = threading.Event()
    caught: list[int] = []
    box: dict[str, Any] = {}

    def on_signal(signum: int, _frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        caught.append(signum)
        cancel.set()
        print("\nsqlite2pg-tui: cancelling… (press Ctrl-C again to stop at once)",
              file=sys.stderr, flush=True)

    def target() -> None:
        try:
            box["result"] = work(cancel)
        except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
            box["error"] = e

    worker = threading.Thread(target=target, name="run", daemon=True)
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.1)
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    if "error" in box:
        raise box["error"]
    return box["result"], (caught[0] if caught else None)


def cmd_run(args: argparse.Namespace) -> int:
    from sqlite2pg_tui.cli.output import ProgressPrinter
    from sqlite2pg_tui.core.pipeline import RunOptions, run_migration

    mapping = load_mapping(args.mapping)
    reject_dir = args.reject_dir or str(locations.default_rejects_dir(args.source))
    opts = RunOptions(schema=args.schema, if_exists=args.if_exists, reject_dir=reject_dir,
                      workers=args.workers, sample=args.sample, verify=not args.no_verify,
                      accept_rejects=args.accept_rejects, checks=not args.no_checks,
                      full=args.full_verify, identifier_case=args.identifier_case,
                      resume=args.resume, ranges=max(1, args.ranges))
    printer = ProgressPrinter(quiet=args.quiet)
    report, signum = _interruptible(lambda cancel: run_migration(
        args.source, args.pg, mapping, options=opts, on_event=printer, cancel=cancel))
    return _finish(report, args, signum)


def cmd_verify(args: argparse.Namespace) -> int:
    from sqlite2pg_tui.cli.output import ProgressPrinter
    from sqlite2pg_tui.core.verify.standalone import verify_only

    # The run's default reject dir: its files tell which rows were legitimately left out.
    reject_dir = args.reject_dir or str(locations.default_rejects_dir(args.source))
    report = verify_only(args.source, args.pg, load_mapping(args.mapping), schema=args.schema,
                         sample=args.sample, on_event=ProgressPrinter(quiet=args.quiet),
                         checks=not args.no_checks, full=args.full, queries=args.query,
                         reject_dir=reject_dir)
    return _finish(report, args)


def cmd_demo(args: argparse.Namespace) -> int:
    from sqlite2pg_tui.core.source.demo_data import build_demo
    from sqlite2pg_tui.core.target.embedded_pg import embedded_postgres

    base = Path(args.dir) if args.dir else locations.demo_dir()
    src = build_demo(base / "shop.db")
    print(f"sample SQLite database: {src}", file=sys.stderr)
    print("starting an embedded PostgreSQL…", file=sys.stderr)
    with embedded_postgres(base / "pgdata") as dsn:
        headless = args.headless or not (sys.stdin.isatty() and sys.stdout.isatty())
        if not headless:
            return launch_wizard(str(src), dsn, None, if_exists="replace")
        from sqlite2pg_tui.cli.output import ProgressPrinter
        from sqlite2pg_tui.core.pipeline import RunOptions, run_migration

        printer = ProgressPrinter(quiet=args.quiet)
        report, signum = _interruptible(lambda cancel: run_migration(
            str(src), dsn, options=RunOptions(if_exists="replace", reject_dir=str(base / "rejects")),
            on_event=printer, cancel=cancel))
        code = _finish(report, args, signum)
        # The sample holds dirty rows on purpose: rejecting exactly those, with everything
        # else verified, is the demo succeeding. Any other difference is still exit 1.
        if code == EXIT_DIFFERENCES and _only_expected_rejects(report):
            print("demo: the 2 dirty rows were rejected as intended; exit 0", file=sys.stderr)
            return EXIT_OK
        return code


def _only_expected_rejects(report: object) -> bool:
    from sqlite2pg_tui.core.report import Report, Verdict

    assert isinstance(report, Report)
    return report.verdict() is Verdict.REJECTS and report.rejected_rows == DEMO_DIRTY_ROWS
