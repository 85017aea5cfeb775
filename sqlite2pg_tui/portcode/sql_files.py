"""Port an application's .sql files: schema scripts (run by executescript) and seed data.

The whole file goes through the same SQL rewriter as the SQL inside Python code, as a
script without parameters: reserved words as names are quoted, AUTOINCREMENT becomes an
identity column, x'..' blob literals become bytea, SQLite-only functions and PRAGMAs
are ported, exactly as they would be in an executescript() call.
"""

from __future__ import annotations

from sqlite2pg_tui.portcode.context import SqlContext
from sqlite2pg_tui.portcode.findings import FileResult, Finding
from sqlite2pg_tui.portcode.sql_rewrite import rewrite_sql
from sqlite2pg_tui.portcode.textedit import LineIndex

SQL_SUFFIXES = (".sql",)


def is_sql_file(name: str) -> bool:
    return name.lower().endswith(SQL_SUFFIXES)


def port_sql_source(source: str, path: str, ctx: SqlContext | None = None) -> FileResult:
    """Port one .sql file's text. Never raises for bad input: problems become findings."""
    result = rewrite_sql(source, ctx=ctx or SqlContext(), script=True)
    before = LineIndex(source)
    ported = result.sql
    findings: list[Finding] = []
    for n in result.notes:
        line = before.line_of(min(n.offset, len(source)))
        findings.append(Finding(path, line, n.kind, n.original, n.replacement, n.why,
                                n.needs_look, n.applied))
    if result.changed:
        after = LineIndex(ported)
        shift = 0
        edits = sorted(result.edits, key=lambda e: (e.start, e.end != e.start, e.order))
        for f, n in zip(findings, result.notes, strict=True):
            shift = sum(len(e.text) - (e.end - e.start) for e in edits if e.end <= n.offset
                        and not (e.start == e.end == n.offset))
            f.ported_line = after.line_of(min(n.offset + shift, len(ported)))
    findings.sort(key=lambda f: (f.line, f.kind))
    return FileResult(path, source, ported, findings)
