"""SQL written for a framework rather than for sqlite3 directly, through the same rewriter.

The rewriter (sql_rewrite) ports SQL written for sqlite3: ``?``/``:name`` placeholders
become psycopg2's, and with parameters every ``%`` is doubled. SQL handed to a framework
is already in the framework's own style, which stays valid on PostgreSQL:

- ``named``: SQLAlchemy's ``text()``. Its ``:name`` binds are SQLAlchemy's, and the
  dialect doubles ``%`` itself, so only the SQL dialect changes.
- ``format``: Django's ``cursor.execute``, ``raw()``, ``RawSQL``, ``extra()``. Django
  takes ``%s``/``%(name)s`` on every backend and already wants ``%%`` for a literal ``%``.
- ``qmark``: sqlite3's own style, as in DB-API code and SQLAlchemy's ``exec_driver_sql``
  (which hands the SQL to the driver as it is).

Fragments (a WHERE condition, a SELECT expression) are ported inside a statement made up
around them, and the edits are moved back.
"""

from __future__ import annotations

import re

from sqlite2pg_tui.portcode.context import SqlContext
from sqlite2pg_tui.portcode.sql.base import SqlResult
from sqlite2pg_tui.portcode.sql.rewrite import rewrite_sql
from sqlite2pg_tui.portcode.textedit import Edit

STYLES = ("qmark", "named", "format")
_FRAGMENT_PREFIX = {"where": "SELECT 1 WHERE ", "select": "SELECT "}
# Django's placeholders, masked by a name of the same length so sqlglot can parse the
# statement and every offset stays where it was.
_FORMAT_PLACEHOLDER = re.compile(r"%%|%\(([A-Za-z_][A-Za-z0-9_]*)\)s|%s")
_MASKED = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)___|\$s(?![A-Za-z0-9_])")


def _mask(sql: str, undouble: bool) -> tuple[str, list[int]]:
    """Django's SQL as the rewriter can read it, and each of its offsets in the original.

    Placeholders become names of the same length; with parameters, ``%%`` becomes the
    ``%`` it stands for (the rewriter doubles it again, and reads format strings right).
    """
    out: list[str] = []
    where: list[int] = []
    pos = 0
    for m in _FORMAT_PLACEHOLDER.finditer(sql):
        out.append(sql[pos:m.start()])
        where.extend(range(pos, m.start()))
        if m.group(0) == "%%":
            text = "%" if undouble else "%%"
        elif m.group(1):
            text = f"${m.group(1)}___"
        else:
            text = "$s"
        out.append(text)
        where.extend(m.start() + k for k in range(len(text)))
        pos = m.end()
    out.append(sql[pos:])
    where.extend(range(pos, len(sql) + 1))
    return "".join(out), where


def _unmask(text: str) -> str:
    return _MASKED.sub(lambda m: f"%({m.group(1)})s" if m.group(1) else "%s", text)


def port_sql(sql: str, *, style: str = "qmark", has_params: bool = False,
             ctx: SqlContext | None = None, script: bool = False, returning: bool = False,
             fragment: str | None = None) -> SqlResult:
    """Port SQL written in ``style``; ``fragment`` is "where" or "select" for a part of one."""
    if style not in STYLES:
        raise ValueError(f"unknown SQL style {style!r}")
    prefix = _FRAGMENT_PREFIX.get(fragment or "", "")
    if style == "format":
        work, where = _mask(sql, undouble=has_params)
    else:
        work, where = sql, list(range(len(sql) + 1))
    result = rewrite_sql(prefix + work, has_params=has_params and style != "named", ctx=ctx,
                         script=script, returning=returning, keep_placeholders=style != "qmark")
    if not prefix and style != "format":
        return result
    shift = len(prefix)
    fix = _unmask if style == "format" else (lambda t: t)
    out = SqlResult(sql, sql)
    for name in ("removed", "first_keyword", "insert_table", "returning", "conflict_ignored"):
        setattr(out, name, getattr(result, name))
    edits: list[Edit] = []
    for e in result.edits:
        if e.start < shift:  # an edit of the made-up part: keep the SQL as it was
            return out
        start, end = where[e.start - shift], where[e.end - shift]
        text = fix(e.text)
        if sql[start:end] != text or start == end:
            edits.append(Edit(start, end, text, e.order))
    for n in result.notes:
        if style == "format" and n.kind == "percent":
            continue  # the author's %% were undone for the rewriter, and are simply kept
        n.offset = where[min(max(0, n.offset - shift), len(where) - 1)]
        if shift and n.original.startswith(prefix):
            n.original = n.original[shift:]
        n.original, n.replacement = fix(n.original), fix(n.replacement)
        out.notes.append(n)
    out.edits = edits
    out.sql = _apply(sql, edits)
    return out


def _apply(sql: str, edits: list[Edit]) -> str:
    parts: list[str] = []
    pos = 0
    for e in sorted(edits, key=lambda e: (e.start, e.end != e.start, e.order)):
        parts.append(sql[pos:e.start])
        parts.append(e.text)
        pos = e.end
    parts.append(sql[pos:])
    return "".join(parts)
