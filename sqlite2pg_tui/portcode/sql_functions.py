"""SQLite functions with no PostgreSQL namesake, rebuilt around their (already ported) arguments.

Each rule gets the arguments as written and as already rewritten, and returns the
PostgreSQL text with the reason, or says why it cannot translate the call. sqlglot does
not know SQLite's date and time functions (it leaves ``date('now', '-7 days')`` as is and
gets several ``strftime`` codes wrong) nor that ``STRING_AGG`` and ``ROUND(x, n)`` need
casts in PostgreSQL, so these are written out here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# SQLite's 'now' is UTC; NOW() AT TIME ZONE 'UTC' is the same instant as a UTC wall-clock
# timestamp, which is what the migration turns stored ISO text timestamps into.
NOW_UTC = "(NOW() AT TIME ZONE 'UTC')"


@dataclass
class Arg:
    raw: str  # as written in the SQLite SQL
    text: str  # with the rewrites inside it applied
    literal: str | None = None  # the value, when the argument is a single string literal
    number: bool = False  # a single numeric literal
    pg_type: str = ""  # the mapped PostgreSQL type, when it is a known column
    distinct: bool = False  # starts with DISTINCT (aggregates); ``text`` is without it


@dataclass
class Rewritten:
    text: str
    why: str
    needs_look: bool = False


class CannotTranslate(ValueError):
    pass


Pct = Callable[[str], str]


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_MODIFIER = re.compile(r"^\s*([+-]?)\s*(\d+(?:\.\d+)?)\s+(year|month|day|hour|minute|second)s?\s*$",
                       re.I)


@dataclass
class _Time:
    expr: str
    atomic: bool  # safe to put an operator after it without parentheses
    notes: list[str]
    needs_look: bool = False

    def wrapped(self) -> str:
        return self.expr if self.atomic else f"({self.expr})"


def time_value(args: list[Arg], pct: Pct) -> _Time:
    """A SQLite time value plus its modifiers as one PostgreSQL timestamp expression."""
    if not args:
        return _Time(NOW_UTC, True, [])
    value, mods = args[0], list(args[1:])
    notes: list[str] = []
    first_mod = (mods[0].literal or "").strip().lower() if mods else ""
    if first_mod == "unixepoch":
        t = _Time(f"(TO_TIMESTAMP({value.text}) AT TIME ZONE 'UTC')", True, notes)
        mods = mods[1:]
    elif value.literal is not None and value.literal.strip().lower() == "now":
        if first_mod == "localtime":
            notes.append("'now', 'localtime' is LOCALTIMESTAMP: the PostgreSQL session's time zone, "
                         "not the application machine's")
            t = _Time("LOCALTIMESTAMP", True, notes)
            mods = mods[1:]
        else:
            t = _Time(NOW_UTC, True, notes)
    elif value.literal is not None:
        t = _Time(f"CAST({value.text} AS TIMESTAMP)", True, notes)
    elif value.number:
        notes.append("a bare number is a Julian day number in SQLite")
        t = _Time(f"(TO_TIMESTAMP(({value.text} - 2440587.5) * 86400) AT TIME ZONE 'UTC')", True, notes)
    elif value.pg_type in ("timestamp", "timestamp without time zone", "date"):
        t = _Time(value.text, True, notes)
    else:
        t = _Time(f"CAST({value.text} AS TIMESTAMP)", True, notes)
        if not value.pg_type:
            notes.append("the value is cast to timestamp, a no-op if the column already is one")
    for m in mods:
        if m.literal is None:
            t = _Time(f"{t.expr} + CAST({m.text} AS INTERVAL)", False, notes, True)
            notes.append(f"the modifier {m.raw} is not a literal: it is cast to an interval, "
                         "which works for '±N unit' modifiers only")
            continue
        lit = m.literal.strip().lower()
        mm = _MODIFIER.match(lit)
        if mm:
            sign = "-" if mm.group(1) == "-" else "+"
            unit = mm.group(3)
            amount = mm.group(2)
            plural = "" if amount == "1" else "s"
            t = _Time(f"{t.expr} {sign} INTERVAL {pct(sql_string(f'{amount} {unit}{plural}'))}", False,
                      notes, t.needs_look)
            if unit in ("month", "year"):
                notes.append("month arithmetic differs at month ends: PostgreSQL clamps "
                             "Jan 31 + 1 month to Feb 28/29, SQLite rolls over into March")
        elif lit in ("start of day", "start of month", "start of year"):
            t = _Time(f"DATE_TRUNC({sql_string(lit.split()[-1])}, {t.expr})", True, notes, t.needs_look)
        elif lit == "localtime":
            notes.append("'localtime' uses the PostgreSQL session's time zone")
            t = _Time(f"CAST({t.wrapped()} AT TIME ZONE 'UTC' AS TIMESTAMP)", True, notes, t.needs_look)
        elif lit == "utc":
            t = _Time(f"(CAST({t.expr} AS TIMESTAMPTZ) AT TIME ZONE 'UTC')", True, notes, t.needs_look)
        else:
            raise CannotTranslate(f"the modifier {m.raw} has no translation here "
                                  "(weekday N, subsec, auto and julianday need a hand-written expression)")
    return t


def _epoch(t: _Time) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {t.expr})) AS BIGINT)"


def _julian(t: _Time) -> str:
    return f"(CAST(EXTRACT(EPOCH FROM {t.expr}) AS DOUBLE PRECISION) / 86400 + 2440587.5)"


# strftime codes → TO_CHAR patterns; the others need an expression of their own.
_TO_CHAR = {"d": "DD", "H": "HH24", "j": "DDD", "m": "MM", "M": "MI", "S": "SS", "Y": "YYYY",
            "f": "SS.MS", "G": "IYYY", "V": "IW", "u": "ID", "p": "AM", "I": "HH12",
            "F": "YYYY-MM-DD", "T": "HH24:MI:SS", "R": "HH24:MI"}


def _to_char_literal(chunk: str) -> str:
    # Letters in a TO_CHAR format may be patterns (e.g. "D", "MM"); quoted they are text.
    if not chunk:
        return ""
    if re.search(r"[A-Za-z\"\\]", chunk):
        return '"' + chunk.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return chunk


def strftime(fmt: str, t: _Time, pct: Pct) -> str:
    parts: list[tuple[str, str]] = []  # ("fmt", pattern) or ("expr", sql)
    literal = ""
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            literal += ch
            i += 1
            continue
        code = fmt[i + 1] if i + 1 < len(fmt) else ""
        i += 2
        if code == "%":
            literal += "%"
            continue
        if literal:
            parts.append(("fmt", _to_char_literal(literal)))
            literal = ""
        if code in _TO_CHAR:
            parts.append(("fmt", _TO_CHAR[code]))
        elif code == "s":
            parts.append(("expr", _epoch(t)))
        elif code == "w":
            parts.append(("expr", f"EXTRACT(DOW FROM {t.expr})"))
        elif code == "J":
            parts.append(("expr", _julian(t)))
        else:
            raise CannotTranslate(f"strftime code %{code} has no TO_CHAR equivalent")
    if literal:
        parts.append(("fmt", _to_char_literal(literal)))
    out: list[str] = []
    pending = ""
    for kind, text in parts:
        if kind == "fmt":
            pending += text
            continue
        if pending:
            out.append(f"TO_CHAR({t.expr}, {pct(sql_string(pending))})")
            pending = ""
        out.append(f"CAST({text} AS TEXT)")
    if pending:
        out.append(f"TO_CHAR({t.expr}, {pct(sql_string(pending))})")
    if not out:
        return pct("''")
    return out[0] if len(out) == 1 else "(" + " || ".join(out) + ")"


_DATE_WHY = {
    "date": "SQLite's date() returns 'YYYY-MM-DD' text; this is a PostgreSQL date",
    "time": "SQLite's time() returns 'HH:MM:SS' text; this is a PostgreSQL time (Python gets a datetime.time)",
    "datetime": "SQLite's datetime() returns 'YYYY-MM-DD HH:MM:SS' text in UTC; this is a UTC "
                "timestamp (Python gets a datetime), which is what the migration made of ISO text "
                "timestamps; NOW() keeps microseconds where SQLite has whole seconds",
    "julianday": "no julianday() in PostgreSQL: computed from the Unix epoch (Julian day 2440587.5)",
    "unixepoch": "no unixepoch() in PostgreSQL: EXTRACT(EPOCH FROM ...) does it",
    "strftime": "strftime() becomes TO_CHAR() with the format codes translated; both return text",
}


def date_function(name: str, args: list[Arg], pct: Pct) -> Rewritten:
    if name == "strftime":
        if not args or args[0].literal is None:
            raise CannotTranslate("strftime() with a format that is not a literal")
        t = time_value(args[1:], pct)
        text = strftime(args[0].literal, t, pct)
    else:
        t = time_value(args, pct)
        if name == "date":
            text = f"CAST({t.expr} AS DATE)"
        elif name == "time":
            text = f"CAST({t.expr} AS TIME(0))"
        elif name == "datetime":
            text = t.expr
        elif name == "julianday":
            text = _julian(t)
        elif name == "unixepoch":
            text = _epoch(t)
        else:  # pragma: no cover - the caller only passes the names above
            raise CannotTranslate(name)
    why = _DATE_WHY[name]
    if t.notes:
        why += "; " + "; ".join(dict.fromkeys(t.notes))
    return Rewritten(text, why, t.needs_look)


DATE_FUNCTIONS = frozenset({"date", "time", "datetime", "julianday", "unixepoch", "strftime"})


def cased(replacement: str, written: str) -> str:
    """``replacement`` in the letter case the author used for the name it replaces."""
    return replacement.lower() if written.islower() else replacement.upper()


def group_concat(name: str, args: list[Arg], pct: Pct) -> Rewritten:
    if not args or len(args) > 2:
        raise CannotTranslate("group_concat() with an unexpected number of arguments")
    value = args[0]
    text_like = value.pg_type.startswith(("text", "varchar", "character", "char"))
    inner = value.text if text_like else f"CAST({value.text} AS TEXT)"
    if value.distinct:
        inner = "DISTINCT " + inner
    sep = args[1].text if len(args) == 2 else pct("','")
    why = ("GROUP_CONCAT is STRING_AGG in PostgreSQL, which needs text and an explicit "
           "separator (SQLite's default is ','); neither guarantees an order: add ORDER BY "
           "inside the call if the order matters")
    return Rewritten(f"{cased('STRING_AGG', name)}({inner}, {sep})", why)


def iif(args: list[Arg]) -> Rewritten:
    if len(args) != 3:
        raise CannotTranslate("iif() takes three arguments")
    return Rewritten(f"CASE WHEN {args[0].text} THEN {args[1].text} ELSE {args[2].text} END",
                     "no iif() in PostgreSQL: a CASE expression does the same")


def round2(args: list[Arg]) -> Rewritten | None:
    if len(args) != 2:
        return None  # one-argument round(x) exists in PostgreSQL for every number type
    return Rewritten(f"CAST(ROUND(CAST({args[0].text} AS NUMERIC), {args[1].text}) AS DOUBLE PRECISION)",
                     "PostgreSQL has ROUND(x, n) for numeric only (not double precision); the "
                     "result is cast back to a float as SQLite returns one")


def total(args: list[Arg]) -> Rewritten:
    if len(args) != 1:
        raise CannotTranslate("total() takes one argument")
    return Rewritten(f"CAST(COALESCE(SUM({args[0].text}), 0) AS DOUBLE PRECISION)",
                     "no total() in PostgreSQL: SUM() is NULL over no rows where total() is 0.0")


def json_extract(args: list[Arg], pct: Pct) -> Rewritten:
    if len(args) != 2 or args[1].literal is None:
        raise CannotTranslate("json_extract() with several paths or a path that is not a literal")
    path = args[1].literal.strip()
    m = re.fullmatch(r"\$((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*)", path)
    if not m:
        raise CannotTranslate(f"JSON path {path!r} is more than keys and indexes")
    keys = re.findall(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]", m.group(1))
    parts = [k or i for k, i in keys]
    doc = args[0].text if args[0].pg_type == "jsonb" else f"CAST({args[0].text} AS JSONB)"
    return Rewritten(f"({doc} #>> {pct(sql_string('{' + ','.join(parts) + '}'))})",
                     "json_extract() becomes the #>> operator, which returns text: cast it if "
                     "the code expects a number", needs_look=True)


# Functions that exist only in SQLite, or mean something else in PostgreSQL: reported.
NEEDS_LOOK_FUNCTIONS = {
    "typeof": "pg_typeof() exists but names PostgreSQL types ('integer', 'text'...), not SQLite's storage classes",
    "last_insert_rowid": "use INSERT ... RETURNING id instead",
    "changes": "use cursor.rowcount after the statement",
    "total_changes": "no equivalent; count cursor.rowcount yourself",
    "printf": "PostgreSQL's format() uses %s/%I/%L, not printf codes",
    "randomblob": "gen_random_bytes(n) from the pgcrypto extension",
    "zeroblob": "decode(repeat('00', n), 'hex')",
    "hex": "encode(x::bytea, 'hex'), upper-cased if needed",
    "quote": "quote_literal() or quote_nullable()",
    "unicode": "ascii() returns the code point of the first character",
    "char": "chr() takes one code point; concatenate several",
    "random": "PostgreSQL's random() is a float in [0, 1), SQLite's a 64-bit integer",
    "sqlite_version": "version()",
    "likelihood": "no planner hints in PostgreSQL: drop the call, keep its first argument",
    "likely": "no planner hints in PostgreSQL: drop the call, keep its argument",
    "unlikely": "no planner hints in PostgreSQL: drop the call, keep its argument",
    "glob": "use LIKE (with % and _) or a regular expression (~)",
    "json_each": "jsonb_each() / jsonb_array_elements() have different columns",
    "json_tree": "no direct equivalent; jsonb_path_query() may do",
    "json_group_array": "json_agg() / jsonb_agg()",
    "json_group_object": "json_object_agg() / jsonb_object_agg()",
}
