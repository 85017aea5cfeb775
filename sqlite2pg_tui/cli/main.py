"""The headless face's entry point: the parser and the dispatch, turning errors into one
line and an exit code. Each command group lives in a module of its own (source, migrate,
wizard, locate; portcode and kit register their own)."""

from __future__ import annotations

import argparse
import sys

from sqlite2pg_tui import __version__, locations
from sqlite2pg_tui.cli.common import err
from sqlite2pg_tui.cli.locate import cmd_locate
from sqlite2pg_tui.cli.migrate import cmd_demo, cmd_run, cmd_verify
from sqlite2pg_tui.cli.source import cmd_inspect, cmd_plan
from sqlite2pg_tui.cli.wizard import cmd_wizard, launch_wizard
from sqlite2pg_tui.core.errors import (
    EXIT_CANNOT_RUN,
    EXIT_INTERRUPTED,
    MappingError,
    MigrationError,
)
from sqlite2pg_tui.core.plan.mapping import IDENTIFIER_CASES, IF_EXISTS
from sqlite2pg_tui.core.source.profile import DEFAULT_SAMPLE_ROWS


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
                   help="kept for old scripts: the type detection reads every row now")
    p.add_argument("--full", action="store_true", help="kept for old scripts (every row is read)")


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
                   help="tables copied in parallel (default: 2, or one per two CPUs when more)")
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
        return launch_wizard(None, None, None)
    try:
        return int(args.func(args))
    except MappingError as e:
        err(str(e))
        for d in e.differences[1:]:
            print(f"  - {d}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    except MigrationError as e:
        err(str(e))
        return e.exit_code
    except KeyboardInterrupt:
        if args.command in ("run", "demo"):
            # A second Ctrl-C: no time to look. PostgreSQL rolls back whatever had not
            # committed when the connection dropped; tables copied before stay.
            err("interrupted at once: the table being copied was rolled back by PostgreSQL "
                "but may be left empty; tables copied before stay (rerun with --resume to "
                "keep them and copy the rest, or --if-exists replace to start over)")
        elif args.command in ("inspect", "plan", "verify"):
            err("interrupted; nothing was written to PostgreSQL")
        else:
            err("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_CANNOT_RUN
    except OSError as e:
        err(f"{e.strerror or e}: {e.filename or ''}".rstrip(": "))
        return EXIT_CANNOT_RUN


if __name__ == "__main__":
    sys.exit(main())
