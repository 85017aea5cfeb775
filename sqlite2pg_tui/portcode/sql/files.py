"""Port an application's .sql files: schema scripts (run by executescript) and seed data.

The whole file goes through the same SQL rewriter as the SQL inside Python code, as a
script without parameters: reserved words as names are quoted, AUTOINCREMENT becomes an
identity column, x'..' blob literals become bytea, SQLite-only functions and PRAGMAs
are ported, exactly as they would be in an executescript() call.
"""

from __future__ import annotations

import re

from sqlite2pg_tui.core.sql.rules.identifiers import quote_ident
from sqlite2pg_tui.portcode.context import SqlContext
from sqlite2pg_tui.portcode.findings import FileResult, Finding
from sqlite2pg_tui.portcode.sql.rewrite import rewrite_sql
from sqlite2pg_tui.portcode.sql.schema import is_sql_file, schema_from_texts, with_schema
from sqlite2pg_tui.portcode.sql.tokens import split_statements, tokenize, word
from sqlite2pg_tui.portcode.textedit import Edit, LineIndex

__all__ = ["is_sql_file", "port_sql_source"]


def _explicit_ids(source: str, ctx: SqlContext) -> dict[tuple[str, str], int]:
    """(table, id column) of INSERTs that give the id themselves → where the last one ends.

    SQLite's next id is always max(id) + 1; a PostgreSQL identity column goes on from its
    own counter, so after seed rows with their ids the next INSERT would collide.
    """
    out: dict[tuple[str, str], int] = {}
    try:
        statements = split_statements(tokenize(source))
    except Exception:  # sqlglot's tokenizer errors: the rewriter reports those
        return out
    for toks in statements:
        words = [word(t) for t in toks]
        if not words or words[0] not in ("INSERT", "REPLACE") or "INTO" not in words:
            continue
        at = words.index("INTO") + 1
        if at >= len(toks):
            continue
        info = ctx.table(toks[at].text.strip('"`[]'))
        if info is None or not info.id_column:
            continue
        listed = at + 1 < len(toks) and toks[at + 1].text == "("
        if listed:
            names = []
            for t in toks[at + 2:]:
                if t.text == ")":
                    break
                names.append(t.text.strip('"`[]').lower())
            if info.id_column.lower() not in names:
                continue
        end = toks[-1].end + 1
        semicolon = re.match(r"[ \t]*;", source[end:])
        out[(info.target, info.target_of(info.id_column))] = end + (semicolon.end() if semicolon else 0)
    return out


def _add_setvals(source: str, ported: str, edits: list[Edit], ids: dict[tuple[str, str], int],
                 path: str, findings: list[Finding]) -> str:
    """A setval() after the last INSERT that gives each table's ids itself."""
    nl = "\r\n" if "\r\n" in source else "\n"
    before = LineIndex(source)
    inserts: list[tuple[int, str, int]] = []
    for (table, column), end in ids.items():
        shift = sum(len(e.text) - (e.end - e.start) for e in edits if e.end <= end and e.start < end)
        text = (f"{nl}SELECT setval(pg_get_serial_sequence('{quote_ident(table)}', '{column}'), "
                f"COALESCE(MAX({quote_ident(column)}), 0) + 1, false) FROM {quote_ident(table)};")
        inserts.append((end + shift, text, before.line_of(end)))
    pre = LineIndex(ported)
    shifts = [(pre.line_of(pos), text.count("\n")) for pos, text, _line in inserts]
    for f in findings:
        f.ported_line += sum(n for at, n in shifts if f.ported_line > at)
    for (_pos, text, line), (at, _n) in zip(inserts, shifts, strict=True):
        earlier = sum(n for other, n in shifts if other < at)
        findings.append(Finding(path, line, "identity", "", text.strip(),
                                "rows inserted with their own ids leave PostgreSQL's identity "
                                "counter behind (SQLite's next id is max(id) + 1): setval() moves "
                                "it past them", ported_line=at + 1 + earlier))
    for pos, text, _line in sorted(inserts, reverse=True):
        ported = ported[:pos] + text + ported[pos:]
    return ported


def port_sql_source(source: str, path: str, ctx: SqlContext | None = None) -> FileResult:
    """Port one .sql file's text. Never raises for bad input: problems become findings."""
    ctx = ctx or SqlContext()
    if not ctx.has_schema:
        own = schema_from_texts([source])  # a schema script knows its own tables
        if own is not None:
            ctx = with_schema(ctx, own)
    result = rewrite_sql(source, ctx=ctx, script=True)
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
    ids = _explicit_ids(source, ctx)
    if ids:
        ported = _add_setvals(source, ported, result.edits, ids, path, findings)
    findings.sort(key=lambda f: (f.line, f.kind))
    return FileResult(path, source, ported, findings)
