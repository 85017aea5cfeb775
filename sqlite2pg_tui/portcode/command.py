"""`sqlite2pg-tui port-code`: report, diff or rewrite Python code that uses sqlite3."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sqlite2pg_tui.core.errors import EXIT_CANNOT_RUN, EXIT_OK, MappingError, MigrationError
from sqlite2pg_tui.portcode.context import DEFAULT_DSN_ENV, load_context
from sqlite2pg_tui.portcode.findings import BACKUP_SUFFIX, FileResult, Finding

DESCRIPTION = """\
Find sqlite3 usage in Python files and port it to psycopg2 and PostgreSQL SQL:
connections, placeholders, SQLite-only SQL (date functions, IFNULL, GROUP_CONCAT,
INSERT OR IGNORE/REPLACE, ...), lastrowid, sqlite3.Row, exceptions, conn.execute.
.sql files (schema scripts, seed data) are ported too. SQL handed to Django
(cursor.execute, raw, RawSQL, extra) or SQLAlchemy (text, exec_driver_sql) is ported
in the framework's own style and the calls are left as they are; settings naming
SQLite read PostgreSQL's from the environment.
Nothing is changed unless --write is given (then FILE.orig keeps the original).
--diff prints a unified diff: apply it with `patch -p1 < port.diff` from the directory
you ran port-code in. SQL built at run time is reported, never rewritten.
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "port-code", help="port Python code from sqlite3 to psycopg2 (report, diff, or write)",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", metavar="PATH", help="Python or .sql files, or directories")
    p.add_argument("--mapping", metavar="FILE",
                   help="the migration's mapping: which columns became boolean, renamed names")
    p.add_argument("--schema-from", metavar="SRC.db", dest="schema_from",
                   help="the SQLite database (read-only): unique keys for INSERT OR REPLACE, "
                        "key columns for lastrowid")
    p.add_argument("--dsn-env", metavar="NAME", default=DEFAULT_DSN_ENV,
                   help=f"environment variable the ported code reads its DSN from "
                        f"(default: {DEFAULT_DSN_ENV}; libpq's PG* variables when unset)")
    p.add_argument("--diff", action="store_true", help="print a unified diff (patch -p1)")
    p.add_argument("--write", action="store_true",
                   help=f"rewrite the files in place, keeping FILE{BACKUP_SUFFIX} backups")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.set_defaults(func=run)


def _err(msg: str) -> None:
    print(f"sqlite2pg-tui: error: {msg}", file=sys.stderr)


def _short(text: str, limit: int = 100) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[:limit - 1] + "…"


def _finding_lines(f: Finding, written: bool) -> list[str]:
    head = f"{f.location()}: [{f.kind}]"
    if written and f.ported_line != f.line:
        head = f"{f.location()} (now line {f.ported_line}): [{f.kind}]"
    if f.needs_look:
        head += " NEEDS A LOOK:"
    what = _short(f.original) if f.original else ""
    if f.replacement and f.applied:
        what += f" → {_short(f.replacement)}"
    elif f.original and not f.replacement and f.applied:
        what += " → (removed)"
    return [f"{head} {what}".rstrip(), f"    {f.why}"]


def _summary(results: list[FileResult]) -> dict[str, int]:
    findings = [f for r in results for f in r.findings]
    return {"files": len(results), "changed": sum(r.changed for r in results),
            "findings": len(findings), "needs_look": sum(f.needs_look for f in findings),
            "errors": sum(r.error is not None for r in results)}


def run(args: argparse.Namespace) -> int:
    from sqlite2pg_tui.portcode.diff import PATCH_HINT, unified_diff
    from sqlite2pg_tui.portcode.scan import scan_paths, write_results

    try:
        ctx = load_context(args.mapping, args.schema_from, args.dsn_env)
        results = scan_paths(args.paths, ctx=ctx)
    except MappingError as e:
        _err(str(e))
        return EXIT_CANNOT_RUN
    except MigrationError as e:
        _err(str(e))
        return e.exit_code
    except OSError as e:
        _err(f"{e.strerror or e}: {e.filename or ''}".rstrip(": "))
        return EXIT_CANNOT_RUN

    for r in results:
        if r.error:
            print(f"sqlite2pg-tui: warning: {r.error}", file=sys.stderr)
    if all(r.error for r in results):
        _err("no file could be scanned" if len(results) > 1 else results[0].error or "cannot scan")
        return EXIT_CANNOT_RUN

    diff = unified_diff(results) if args.diff else ""
    written: list[tuple[str, str]] = []
    if args.write:
        try:
            written = write_results(results)
        except MigrationError as e:
            _err(str(e))
            return e.exit_code
        except OSError as e:
            _err(f"cannot write {e.filename or ''}: {e.strerror or e}")
            return EXIT_CANNOT_RUN

    summary = _summary(results)
    if args.json:
        doc: dict[str, Any] = {"summary": summary, "files": [r.to_dict() for r in results],
                               "written": [{"path": p, "backup": b} for p, b in written]}
        if args.diff:
            doc["diff"] = diff
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return EXIT_OK

    # With --diff, stdout is the patch alone so it can be redirected to a file.
    report = sys.stderr if args.diff else sys.stdout
    if args.diff:
        sys.stdout.write(diff)
    else:
        for r in results:
            for f in r.findings:
                print("\n".join(_finding_lines(f, bool(written) and r.changed)), file=report)
    line = (f"{summary['files']} file(s) scanned, {summary['changed']} with changes; "
            f"{summary['findings']} finding(s), {summary['needs_look']} need a look.")
    print(line, file=report)
    if written:
        print(f"wrote {len(written)} file(s); originals kept as "
              + ", ".join(b for _, b in written), file=report)
    elif args.diff:
        print(f"nothing was written; {PATCH_HINT}", file=report)
    elif summary["changed"]:
        print("nothing was written: --diff shows the patch, --write applies it "
              f"(keeping {BACKUP_SUFFIX} backups)", file=report)
    return EXIT_OK
