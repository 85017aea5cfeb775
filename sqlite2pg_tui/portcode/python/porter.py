"""Port one Python file from sqlite3 to psycopg2: the steps in order.

The file is read with ``ast``; every change is an edit at the position of the node it
concerns, so formatting and comments elsewhere are untouched. SQL reaches the SQL
rewriter only when it is a string literal (directly, or through a name bound once to a
literal); SQL built at run time is reported, never rewritten.
"""
from __future__ import annotations

import ast

from sqlite2pg_tui.portcode.context import SqlContext
from sqlite2pg_tui.portcode.findings import FileResult, Finding
from sqlite2pg_tui.portcode.python.framework_exprs import FrameworkExprs
from sqlite2pg_tui.portcode.python.imports import Imports
from sqlite2pg_tui.portcode.python.imports_cleanup import unused_imports


class Porter(Imports, FrameworkExprs):
    """Every step: base → analysis → executes → literals → references → statements → imports
    (each module builds on the one before), and the framework expressions."""


def port_source(source: str, path: str, ctx: SqlContext | None = None) -> FileResult:
    """Port one file's source text. Never raises for bad input: problems become findings."""
    ctx = ctx or SqlContext()
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as e:
        line = getattr(e, "lineno", None) or 1
        msg = getattr(e, "msg", None) or str(e)
        return FileResult(path, source, source, [Finding(
            path, line, "unparseable", "", "", f"not valid Python ({msg}); the file was skipped",
            needs_look=True, applied=False)], error=f"{path}:{line}: not valid Python ({msg})")
    p = Porter(source, path, ctx)
    p.analyse(tree)
    p.collect_execs(tree)
    p.collect_framework_sql(tree)
    p.link_lastrowids(tree)
    p.port_literals()
    p.port_refs(tree)
    p.port_framework_exprs(tree)
    p.plan_statements()
    p.run_statement_jobs()
    p.port_imports(tree)
    ported = p.buf.result()
    if ported != source:
        for s, e, text, line, what in unused_imports(tree, source, ported):
            if p.buf.try_add(s, e, text):
                p.find(line, "import", what, "", "no longer used once the code was ported: removed",
                       offset=s)
        ported = p.buf.result()
    p.ported_lines(ported)
    findings = sorted(p.findings, key=lambda f: (f.line, f.kind))
    if ported != source:
        try:
            ast.parse(ported, filename=path)
        except SyntaxError as e:
            # A bug of ours, not the user's: never hand back code that does not parse.
            findings.append(Finding(path, e.lineno or 1, "internal", "", "",
                                    f"the ported file did not parse ({e.msg}); it was left unchanged",
                                    needs_look=True, applied=False))
            for f in findings:
                f.applied = False
                f.ported_line = f.line
            ported = source
    return FileResult(path, source, ported, findings)
