"""The headless face: thin commands over the core, errors turned into one line and an exit code."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlite2pg_tui import __version__, locations
from sqlite2pg_tui.core.errors import (
    EXIT_CANNOT_RUN,
    EXIT_DIFFERENCES,
    EXIT_INTERRUPTED,
    EXIT_OK,
    MappingError,
    MigrationError,
)
from sqlite2pg_tui.core.plan.mapping import IDENTIFIER_CASES, IF_EXISTS, Mapping
from sqlite2pg_tui.core.source.profile import DEFAULT_SAMPLE_ROWS

Command = Callable[[argparse.Namespace], int]
DEMO_DIRTY_ROWS = 2  # core/demo_data.py plants '2024-02-30' and 'yesterday' in orders


def _err(msg: str) -> None:
    print(f"sqlite2pg-tui: error: {msg}", file=sys.stderr)


def _load_mapping(path: str | None) -> Mapping | None:
    return Mapping.load(path) if path else None


def _framework_advice(schema: object) -> list[str]:
    from sqlite2pg_tui.core.source.frameworks import detect
    from sqlite2pg_tui.core.source.schema import SourceSchema

    assert isinstance(schema, SourceSchema)
    fw = detect(schema)
    if fw is None:
        return []
    steps = fw.data_only_steps(schema.path)
    return [f"made by {fw.name} ({fw.history_table}): load it data-only into the schema "
            f"{fw.name}'s own migrations create:", *(f"  {i}. {step}" for i, step in
                                                     enumerate(steps, 1))]


def _suggestion_lines(mapping: Mapping) -> list[str]:
    found = [(tm, c) for tm in mapping.tables for c in tm.columns if c.suggestion]
    if not found:
        return []
    return [f"{len(found)} type suggestion(s) from the data, not applied (the declared types "
            "win; --accept-suggestions or edit the mapping to take them):",
            *(f"  {tm.source}.{c.source}: {c.pg_type} → {c.suggestion.pg_type} "
              f"({c.suggestion.note})" for tm, c in found if c.suggestion)]


# --- commands ---------------------------------------------------------------

def cmd_inspect(args: argparse.Namespace) -> int:
    from sqlite2pg_tui.core.source.inspection import inspect, inspection_to_dict

    ins = _inspect_with_progress(inspect, args)
    if args.json:
        print(json.dumps(inspection_to_dict(ins), indent=2, ensure_ascii=False, default=str))
        return EXIT_OK
    from sqlite2pg_tui.core.plan.propose import plan

    s = ins.schema
    print(f"{s.path}: {len(s.tables)} table(s), {s.total_rows:,} row(s), {s.size_bytes:,} bytes")
    for line in _framework_advice(s):
        print(line)
    proposed = {(tm.source, c.source): c for tm in plan(s, ins.profiles).tables for c in tm.columns}
    for t in s.tables:
        flags = [f for f, on in (("WITHOUT ROWID", t.without_rowid), ("AUTOINCREMENT", t.autoincrement)) if on]
        print(f"\n{t.name}  ({t.row_count:,} rows{', ' + ', '.join(flags) if flags else ''})")
        for c in t.columns:
            p = ins.profiles[t.name].columns.get(c.name)
            bits = [c.declared_type or "(no type)"]
            if c.pk:
                bits.append(f"PK{c.pk}")
            if c.notnull:
                bits.append("NOT NULL")
            if c.default is not None:
                bits.append(f"DEFAULT {c.default}")
            holds = p.storage_mix() if p else "generated"
            nulls = f", {p.nulls:,} NULL" if p and p.nulls else ""
            print(f"  {c.name:<24} {' '.join(bits):<34} holds: {holds}{nulls}")
            cm = proposed.get((t.name, c.name))
            if cm is not None:
                print(f"  {'':<24} → {cm.pg_type}" + (f"   (data suggests {cm.suggestion.pg_type}: "
                                                     f"{cm.suggestion.note})" if cm.suggestion else ""))
        for i in t.indexes:
            print(f"  index {i.name}: {'unique ' if i.unique else ''}{i.columns}{' partial' if i.partial else ''}")
        for fk in t.foreign_keys:
            print(f"  foreign key {fk.columns} → {fk.ref_table}{fk.ref_columns} ON DELETE {fk.on_delete}")
    for v in s.views:
        print(f"\nview {v.name}")
    for tr in s.triggers:
        print(f"trigger {tr.name} on {tr.table}")
    for k in s.skipped:
        print(f"skipped {k.kind} {k.name}: {k.reason}")
    return EXIT_OK


def _inspect_with_progress(inspect: Callable[..., Any], args: argparse.Namespace) -> Any:
    """inspect, saying on stderr which table it is profiling (only on a terminal)."""
    limit = None if args.full else args.sample
    if not sys.stderr.isatty():
        return inspect(args.source, limit=limit)

    def show(table: str, _done: int, total: int) -> None:
        print(f"\r\x1b[Kprofiling {table} ({total:,} rows)…", end="", file=sys.stderr, flush=True)

    try:
        return inspect(args.source, limit=limit, on_table=show)
    finally:
        print("\r\x1b[K", end="", file=sys.stderr, flush=True)


def cmd_plan(args: argparse.Namespace) -> int:
    from sqlite2pg_tui.core.plan.propose import plan
    from sqlite2pg_tui.core.source.inspection import inspect

    ins = _inspect_with_progress(inspect, args)
    mapping = plan(ins.schema, ins.profiles, "snake" if args.snake_case else args.identifier_case)
    if args.accept_suggestions:
        for tm in mapping.tables:
            for cm in tm.columns:
                cm.accept_suggestion()
    if args.update:
        from sqlite2pg_tui.core.plan.mapping import drift, merge

        saved = Mapping.load(args.update)
        for d in drift(saved, ins.schema):
            print(f"  changed: {d}", file=sys.stderr)
        mapping = merge(saved, mapping)
        if not args.output and not args.stdout:
            args.output, args.force = args.update, True
    if args.schema:
        mapping.schema = args.schema
    for line in _framework_advice(ins.schema) + _suggestion_lines(mapping):
        print(line, file=sys.stderr)
    if args.stdout:
        sys.stdout.write(mapping.to_toml())
        return EXIT_OK
    out = Path(args.output) if args.output else locations.default_mapping_path(args.source)
    if out.exists() and not args.force:
        raise MappingError(f"{out} exists; use --force to overwrite it")
    mapping.save(out)
    print(f"mapping written to {out}")
    return EXIT_OK


def _finish(report: object, args: argparse.Namespace, signum: int | None = None) -> int:
    from sqlite2pg_tui.cli_output import format_report
    from sqlite2pg_tui.core.report import Report

    assert isinstance(report, Report)
    if args.report:
        report.save(args.report)
    if not args.quiet:
        print(format_report(report))
    if report.cancelled:
        # Last, on stderr, even with --quiet: what PostgreSQL holds and what a rerun does.
        lines = report.after_cancel or ["cancelled"]
        _err("cancelled: " + lines[0])
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
    from sqlite2pg_tui.cli_output import ProgressPrinter
    from sqlite2pg_tui.core.pipeline import RunOptions, run_migration

    mapping = _load_mapping(args.mapping)
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
    from sqlite2pg_tui.cli_output import ProgressPrinter
    from sqlite2pg_tui.core.verify.standalone import verify_only

    # The run's default reject dir: its files tell which rows were legitimately left out.
    reject_dir = args.reject_dir or str(locations.default_rejects_dir(args.source))
    report = verify_only(args.source, args.pg, _load_mapping(args.mapping), schema=args.schema,
                         sample=args.sample, on_event=ProgressPrinter(quiet=args.quiet),
                         checks=not args.no_checks, full=args.full, queries=args.query,
                         reject_dir=reject_dir)
    return _finish(report, args)


def cmd_locate(_args: argparse.Namespace) -> int:
    print(f"config:   {locations.config_dir()}")
    print(f"mappings: {locations.mappings_dir()}")
    print(f"data:     {locations.data_dir()}")
    print(f"demo:     {locations.demo_dir()}")
    return EXIT_OK


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
            return _launch_wizard(str(src), dsn, None, if_exists="replace")
        from sqlite2pg_tui.cli_output import ProgressPrinter
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


def _launch_wizard(source: str | None, dsn: str | None, mapping: str | None,
                   if_exists: str | None = None) -> int:
    try:
        from sqlite2pg_tui.tui.app import run_wizard
    except ImportError:
        _err("the wizard is not available in this build; use the inspect/plan/run commands")
        return EXIT_CANNOT_RUN
    return run_wizard(source=source, dsn=dsn, mapping=mapping, if_exists=if_exists)


def cmd_wizard(args: argparse.Namespace) -> int:
    return _launch_wizard(args.source, args.pg, args.mapping)


# --- parser -----------------------------------------------------------------

def _add_target(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pg", metavar="DSN", default="",
                   help="PostgreSQL URI or key=value DSN (default: libpq's PG* variables, .pgpass)")
    p.add_argument("--mapping", metavar="FILE", help="a mapping saved by `plan` or the wizard")
    p.add_argument("--schema", metavar="S", help="target schema (default: the mapping's, or public)")
    p.add_argument("--report", metavar="FILE", help="write the JSON report here")
    p.add_argument("--sample", type=int, default=20, metavar="N", help="rows compared per table")
    p.add_argument("--quiet", action="store_true", help="no progress and no printed report")


def _add_checks(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-checks", action="store_true",
                   help="skip the default checks (sums, NULLs, ranges per table) and the "
                        "mapping's [[checks]]")


def _add_sampling(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sample", type=int, default=DEFAULT_SAMPLE_ROWS, metavar="N",
                   help="rows per table (spread evenly) the type detection reads; counts, "
                        "storage classes and min/max always cover every row")
    p.add_argument("--full", action="store_true", help="type detection reads every row")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sqlite2pg-tui",
        description="Move a SQLite database into PostgreSQL and prove nothing was lost. "
                    "Without a command, opens the wizard.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("inspect", help="schema and a profile of what each column really holds")
    p.add_argument("source", metavar="SRC")
    p.add_argument("--json", action="store_true")
    _add_sampling(p)
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("plan", help="propose a mapping (types, converters, policies) as TOML")
    p.add_argument("source", metavar="SRC")
    p.add_argument("-o", "--output", metavar="FILE",
                   help=f"where to write it (default: {locations.mappings_dir()}/<name>.toml)")
    p.add_argument("--stdout", action="store_true", help="print the mapping instead of saving it")
    p.add_argument("--schema", metavar="S", help="target schema to record in the mapping")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.add_argument("--identifier-case", choices=IDENTIFIER_CASES,
                   help="target names: lower (what PostgreSQL does to unquoted names; the "
                        "default), keep (quoted as they are; the default for a framework's "
                        "database, whose ORM quotes them) or snake (lower snake_case)")
    p.add_argument("--snake-case", action="store_true", help="same as --identifier-case snake")
    p.add_argument("--accept-suggestions", action="store_true",
                   help="take every type the data suggests beyond the declared one (0/1 → "
                        "boolean, ISO text → timestamp …); without it they are only listed")
    p.add_argument("--update", metavar="FILE",
                   help="refresh a saved mapping against the database as it is now: its choices "
                        "are kept where they still fit, the differences are listed (written back "
                        "to FILE unless -o/--stdout)")
    _add_sampling(p)
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("run", help="migrate: schema, COPY, constraints, sequences, verify")
    p.add_argument("source", metavar="SRC")
    _add_target(p)
    p.add_argument("--if-exists", choices=IF_EXISTS,
                   help="when target tables exist: fail (default), replace (drop and create "
                        "them again), append (load into empty ones) or truncate (keep them, replace their rows: "
                        "the choice for a schema the application's own migrations made)")
    p.add_argument("--identifier-case", choices=IDENTIFIER_CASES,
                   help="target names when planning here (no --mapping): lower (default), keep "
                        "(default for a framework's database) or snake")
    p.add_argument("--reject-dir", metavar="DIR", help="where rejected rows are written")
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="tables copied in parallel (default: one per two CPUs)")
    p.add_argument("--ranges", type=int, default=1, metavar="N",
                   help="streams per large table, each a rowid range (default 1; pays only "
                        "with CPUs to spare)")
    p.add_argument("--no-verify", action="store_true", help="skip the verification phase")
    p.add_argument("--accept-rejects", action="store_true",
                   help="with --if-exists append/truncate: load even when some values do not fit the "
                        "existing tables (those rows go to the reject files)")
    p.add_argument("--full-verify", action="store_true",
                   help="after the run, checksum every row of every table on both sides")
    p.add_argument("--resume", action="store_true",
                   help="after an interrupted run: keep the tables it copied in full (counts "
                        "match; with --full-verify, digests too) and copy the rest")
    _add_checks(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("verify", help="compare a migrated database with its source")
    p.add_argument("source", metavar="SRC")
    _add_target(p)
    p.add_argument("--full", action="store_true",
                   help="checksum every row of every table on both sides; name the rows that differ")
    p.add_argument("--query", action="append", default=[], metavar="SQL",
                   help="a SQLite query to run on both sides (translated for PostgreSQL) and "
                        "compare; repeatable")
    p.add_argument("--reject-dir", metavar="DIR",
                   help="where the run wrote rejected rows (default: the run's default)")
    _add_checks(p)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("demo", help="migrate a sample database into an embedded PostgreSQL")
    p.add_argument("--headless", action="store_true", help="no wizard: run and print the report")
    p.add_argument("--dir", metavar="DIR", help=f"working directory (default: {locations.demo_dir()})")
    p.add_argument("--report", metavar="FILE")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("wizard", help="the interactive wizard (the default)")
    p.add_argument("source", metavar="SRC", nargs="?")
    p.add_argument("--pg", metavar="DSN")
    p.add_argument("--mapping", metavar="FILE")
    p.set_defaults(func=cmd_wizard)

    p = sub.add_parser("locate", help="where mappings, reports and rejects are kept")
    p.set_defaults(func=cmd_locate)

    # Both ship with the package: a failing import is a bug to see, not a command to hide.
    from sqlite2pg_tui.kit.command import register as register_kit
    from sqlite2pg_tui.portcode.command import register as register_portcode

    register_portcode(sub)
    register_kit(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        return _launch_wizard(None, None, None)
    try:
        return int(args.func(args))
    except MappingError as e:
        _err(str(e))
        for d in e.differences[1:]:
            print(f"  - {d}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except MigrationError as e:
        _err(str(e))
        return e.exit_code
    except KeyboardInterrupt:
        if args.command in ("run", "demo"):
            # A second Ctrl-C: no time to look. PostgreSQL rolls back whatever had not
            # committed when the connection dropped; tables copied before stay.
            _err("interrupted at once: the table being copied was rolled back by PostgreSQL "
                 "but may be left empty; tables copied before stay (rerun with --resume to "
                 "keep them and copy the rest, or --if-exists replace to start over)")
        elif args.command in ("inspect", "plan", "verify"):
            _err("interrupted; nothing was written to PostgreSQL")
        else:
            _err("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_CANNOT_RUN
    except OSError as e:
        _err(f"{e.strerror or e}: {e.filename or ''}".rstrip(": "))
        return EXIT_CANNOT_RUN


if __name__ == "__main__":
    sys.exit(main())
