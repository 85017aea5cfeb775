"""SQLite DEFAULT clauses translated to PostgreSQL expressions (never quoted as strings)."""

from __future__ import annotations

import re
from typing import Any

from psycopg2 import sql

from sqlite2pg_tui.core.sql.rules import DEFAULT, Untranslatable, dates, same
from sqlite2pg_tui.core.values import converters

# SQLite's CURRENT_* are UTC: the rulebook writes them so the column's type gets UTC too.
_NOW_FORMS = re.compile(
    r"^\(?\s*(current_timestamp|datetime\s*\(\s*'now'\s*\)|strftime\s*\(\s*'%Y-%m-%d %H:%M:%S'\s*,\s*'now'\s*\))\s*\)?$",
    re.I)
_DATE_FORMS = re.compile(r"^\(?\s*(current_date|date\s*\(\s*'now'\s*\))\s*\)?$", re.I)
_TIME_FORMS = re.compile(r"^\(?\s*(current_time|time\s*\(\s*'now'\s*\))\s*\)?$", re.I)
_EPOCH_FORMS = re.compile(r"^\(?\s*(strftime\s*\(\s*'%s'\s*,\s*'now'\s*\)|unixepoch\s*\(\s*\))\s*\)?$", re.I)
_ISO_MS_FORM = re.compile(r"^\(?\s*strftime\s*\(\s*'%Y-%m-%dT%H:%M:%fZ'\s*,\s*'now'\s*\)\s*\)?$", re.I)


__all__ = ["Untranslatable", "translate"]  # one Untranslatable for every translation


def _literal(text: str) -> Any:
    """The value of a SQLite literal default: 'str', number, NULL, TRUE/FALSE, X'..'."""
    t = text.strip()
    while t.startswith("(") and t.endswith(")"):
        t = t[1:-1].strip()
    if re.fullmatch(r"'(?:[^']|'')*'", t, re.S):
        return t[1:-1].replace("''", "'")
    if re.fullmatch(r"[+-]?\d+", t):
        return int(t)
    if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?", t):
        return float(t)
    if t.upper() == "NULL":
        return None
    if t.upper() in ("TRUE", "FALSE"):
        return int(t.upper() == "TRUE")
    if re.fullmatch(r"[xX]'([0-9a-fA-F]{2})*'", t):
        return bytes.fromhex(t[2:-1])
    raise Untranslatable(t)


def translate(default: str | None, pg_type: str, converter: str, options: dict[str, Any]) -> sql.Composable | None:
    """PostgreSQL DEFAULT expression, or None for no default. Raises Untranslatable."""
    if default is None:
        return None
    base = converters.base_type(pg_type)
    d = default.strip()
    now = dates.TimeValue(dates.now(DEFAULT), True)
    if _NOW_FORMS.match(d):
        if base == "timestamptz":
            return sql.SQL("now()")
        if base in ("timestamp", "date"):
            return sql.SQL(dates.current(base, DEFAULT))
        if base in ("text", "varchar"):
            return sql.SQL(dates.current("timestamp", DEFAULT, text=True))
        raise Untranslatable(d)
    if _DATE_FORMS.match(d):
        if base in ("date", "timestamp", "timestamptz"):
            return sql.SQL(dates.current("date", DEFAULT))
        if base in ("text", "varchar"):
            return sql.SQL(dates.current("date", DEFAULT, text=True))
        raise Untranslatable(d)
    if _TIME_FORMS.match(d) and base in ("text", "varchar"):
        return sql.SQL(dates.current("time", DEFAULT, text=True))
    if _EPOCH_FORMS.match(d):
        if base in ("bigint", "integer", "numeric", "double precision"):
            return sql.SQL(dates.epoch(now))  # whole seconds, cut as SQLite's %s cuts them
        if base == "timestamptz":
            return sql.SQL("now()")
        raise Untranslatable(d)
    if _ISO_MS_FORM.match(d) and base in ("text", "varchar"):
        return sql.SQL(dates.strftime("%Y-%m-%dT%H:%M:%fZ", now, same))
    value = _literal(d)
    if value is None:
        return None
    try:
        converted = converters.build(converter, options)(value)
    except converters.Reject as r:
        raise Untranslatable(f"{d} ({r.reason})") from None
    if isinstance(converted, str) and base == "jsonb":
        return sql.SQL("{}::jsonb").format(sql.Literal(converted))
    return sql.Literal(converted)
