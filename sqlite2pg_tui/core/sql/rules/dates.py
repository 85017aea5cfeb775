"""SQLite's clock and date functions in PostgreSQL: 'now', the modifiers, the strftime codes.

SQLite's times are UTC wall-clock values: 'now' is ``NOW() AT TIME ZONE 'UTC'`` (the same
instant, with no zone, whatever the session's zone), and a timestamp column the migration
made from ISO text is exactly such a value. Month and year arithmetic rolls over as SQLite's
does (31 January + 1 month is 2 March, where PostgreSQL would clamp to 29 February).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlite2pg_tui.core.sql.rules.base import (
    Arg,
    Pct,
    Rewritten,
    Target,
    Untranslatable,
    sql_string,
)
from sqlite2pg_tui.core.values.converters import JULIAN_UNIX_EPOCH

NOW_UTC = "(NOW() AT TIME ZONE 'UTC')"
JULIAN_EPOCH = repr(JULIAN_UNIX_EPOCH)  # the Julian day of 1970-01-01 00:00 UTC
DATE_FUNCTIONS = frozenset({"date", "time", "datetime", "julianday", "unixepoch", "strftime"})

_MODIFIER = re.compile(r"^\s*([+-]?)\s*(\d+(?:\.\d+)?|\.\d+)\s+(year|month|day|hour|minute|second)s?\s*$",
                       re.I)
# An ISO text with its own zone: SQLite converts it to UTC, a cast to timestamp would drop it.
_ZONED = re.compile(r"^\s*\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d:\d\d)\s*$", re.I)


@dataclass
class TimeValue:
    expr: str
    atomic: bool  # safe to put an operator after it without parentheses
    notes: list[str] = field(default_factory=list)
    needs_look: bool = False

    def wrapped(self) -> str:
        return self.expr if self.atomic else f"({self.expr})"


def now(target: Target) -> str:
    if target.immutable:
        raise Untranslatable("'now' reads the clock, which a constraint or index cannot")
    return NOW_UTC


def _start(value: Arg, mods: list[Arg], target: Target) -> tuple[TimeValue, list[Arg]]:
    """The time value before its modifiers, and the modifiers it leaves to apply."""
    notes: list[str] = []
    first = (mods[0].literal or "").strip().lower() if mods else ""
    if value.stored is not None and first == value.stored:
        mods, first = mods[1:], ""  # the column is a timestamp now: the number's meaning is done
    if first == "unixepoch":
        number = value.text if value.number else f"CAST({value.text} AS DOUBLE PRECISION)"
        return TimeValue(f"(TO_TIMESTAMP({number}) AT TIME ZONE 'UTC')", True, notes), mods[1:]
    if value.literal is not None and value.literal.strip().lower() == "now":
        if first == "localtime":
            if not target.approximate:
                raise Untranslatable("date modifier 'localtime' (the machine's time zone)")
            notes.append("'now', 'localtime' is LOCALTIMESTAMP: the PostgreSQL session's time zone, "
                         "not the application machine's")
            return TimeValue("LOCALTIMESTAMP", True, notes), mods[1:]
        return TimeValue(now(target), True, notes), mods
    if value.literal is not None and _ZONED.match(value.literal):
        return TimeValue(f"(CAST({value.text} AS TIMESTAMPTZ) AT TIME ZONE 'UTC')", True, notes), mods
    if value.literal is not None:
        return TimeValue(f"CAST({value.text} AS TIMESTAMP)", True, notes), mods
    if value.number:
        notes.append("a bare number is a Julian day number in SQLite")
        return TimeValue(f"(TO_TIMESTAMP(({value.text} - {JULIAN_EPOCH}) * 86400) AT TIME ZONE 'UTC')",
                         True, notes), mods
    base = value.pg_base
    if base in ("timestamp", "date"):
        return TimeValue(value.text if base == "timestamp" else f"CAST({value.text} AS TIMESTAMP)", True,
                         notes), mods
    if base == "timestamptz":
        return TimeValue(f"({value.text} AT TIME ZONE 'UTC')", True, notes), mods
    if not value.pg_type:
        notes.append("the value is cast to timestamp, a no-op if the column already is one")
    return TimeValue(f"CAST({value.text} AS TIMESTAMP)", True, notes), mods


def _shift(t: TimeValue, sign: str, amount: str, unit: str, pct: Pct) -> TimeValue:
    """``t`` moved by ``amount unit``; months and years roll over a day past the month's end."""
    def interval(n: str, u: str) -> str:
        return f"INTERVAL {pct(sql_string(f'{n} {u}' + ('' if n == '1' else 's')))}"

    if unit not in ("month", "year"):
        return TimeValue(f"{t.expr} {sign} {interval(amount, unit)}", False, t.notes, t.needs_look)
    t.notes.append("months and years are added as SQLite adds them: 31 January + 1 month is 2 March "
                   "(PostgreSQL's own + INTERVAL '1 month' would stop at 29 February)")
    whole, _, fraction = amount.partition(".")
    whole = whole or "0"
    expr = t.expr
    if whole != "0":
        # The first of the month, moved, plus the offset into the month: SQLite moves the
        # month and lets the day overflow into the next one.
        first = f"DATE_TRUNC('month', {t.expr})"
        expr = f"{first} {sign} {interval(whole, unit)} + ({t.wrapped()} - {first})"
    if fraction.strip("0"):
        # SQLite counts a fraction of a month as 30 days, of a year as 365.
        days = float("0." + fraction) * (30 if unit == "month" else 365)
        expr = f"{expr} {sign} {interval(repr(days).removesuffix('.0'), 'day')}"
    return TimeValue(expr, False, t.notes, t.needs_look)


def time_value(args: list[Arg], target: Target, pct: Pct) -> TimeValue:
    """A SQLite time value plus its modifiers as one PostgreSQL timestamp (UTC, no zone)."""
    if not args:
        return TimeValue(now(target), True, [])
    t, mods = _start(args[0], list(args[1:]), target)
    for m in mods:
        if m.literal is None:
            if not target.approximate:
                raise Untranslatable("a date modifier that is not a literal")
            t = TimeValue(f"{t.expr} + CAST({m.text} AS INTERVAL)", False, t.notes, True)
            t.notes.append(f"the modifier {m.raw} is not a literal: it is cast to an interval, "
                           "which works for '±N unit' modifiers only")
            continue
        lit = " ".join(m.literal.strip().lower().split())
        mm = _MODIFIER.match(lit)
        if mm:
            t = _shift(t, "-" if mm.group(1) == "-" else "+", mm.group(2), mm.group(3).lower(), pct)
        elif lit in ("start of day", "start of month", "start of year"):
            t = TimeValue(f"DATE_TRUNC({pct(sql_string(lit.split()[-1]))}, {t.expr})", True, t.notes,
                          t.needs_look)
        elif lit in ("localtime", "utc") and target.approximate:
            t.notes.append(f"'{lit}' uses the PostgreSQL session's time zone")
            t = TimeValue(f"CAST({t.wrapped()} AT TIME ZONE 'UTC' AS TIMESTAMP)" if lit == "localtime"
                          else f"(CAST({t.expr} AS TIMESTAMPTZ) AT TIME ZONE 'UTC')", True, t.notes,
                          t.needs_look)
        elif lit == "utc":
            continue  # SQLite's values are UTC already (the checks run on a UTC session)
        else:
            raise Untranslatable(f"date modifier {m.raw} (weekday N, subsec, auto, localtime and a "
                                 "late julianday/unixepoch need a hand-written expression)")
    return t


def epoch(t: TimeValue) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {t.expr})) AS BIGINT)"


def julian(t: TimeValue) -> str:
    return f"(CAST(EXTRACT(EPOCH FROM {t.expr}) AS DOUBLE PRECISION) / 86400 + {JULIAN_EPOCH})"


# strftime codes → TO_CHAR patterns; %s, %w and %J need an expression of their own. %G %V
# %u %p %I %F %T %R are SQLite 3.44's additions.
TO_CHAR = {"d": "DD", "H": "HH24", "j": "DDD", "m": "MM", "M": "MI", "S": "SS", "Y": "YYYY",
           "f": "SS.MS", "G": "IYYY", "V": "IW", "u": "ID", "p": "AM", "I": "HH12",
           "F": "YYYY-MM-DD", "T": "HH24:MI:SS", "R": "HH24:MI"}


def _to_char_literal(chunk: str) -> str:
    # Letters in a TO_CHAR format may be patterns (e.g. "D", "MM"); quoted they are text.
    if re.search(r"[A-Za-z\"\\]", chunk):
        return '"' + chunk.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return chunk


def strftime(fmt: str, t: TimeValue, pct: Pct) -> str:
    """TO_CHAR with the codes translated, joined with || to the codes TO_CHAR lacks."""
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
        if code in TO_CHAR:
            parts.append(("fmt", TO_CHAR[code]))
        elif code == "s":
            parts.append(("expr", epoch(t)))
        elif code == "w":
            parts.append(("expr", f"CAST(EXTRACT(DOW FROM {t.expr}) AS INTEGER)"))
        elif code == "J":
            parts.append(("expr", julian(t)))
        else:
            raise Untranslatable(f"strftime format '%{code}' has no TO_CHAR equivalent")
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


_WHY = {
    "date": "SQLite's date() returns 'YYYY-MM-DD' text; this is a PostgreSQL date",
    "time": "SQLite's time() returns 'HH:MM:SS' text; this is a PostgreSQL time (Python gets a datetime.time)",
    "datetime": "SQLite's datetime() returns 'YYYY-MM-DD HH:MM:SS' text in UTC; this is a UTC "
                "timestamp (Python gets a datetime), which is what the migration made of ISO text "
                "timestamps; NOW() keeps microseconds where SQLite has whole seconds",
    "julianday": f"no julianday() in PostgreSQL: computed from the Unix epoch (Julian day {JULIAN_EPOCH})",
    "unixepoch": "no unixepoch() in PostgreSQL: EXTRACT(EPOCH FROM ...) does it",
    "strftime": "strftime() becomes TO_CHAR() with the format codes translated; both return text",
}


def date_function(name: str, args: list[Arg], target: Target, pct: Pct) -> Rewritten:
    """One of :data:`DATE_FUNCTIONS` called with ``args``."""
    typed: str | None = None
    if name == "strftime":
        if not args or args[0].literal is None:
            raise Untranslatable("strftime() with a format that is not a literal")
        t = time_value(args[1:], target, pct)
        text = strftime(args[0].literal, t, pct)
    else:
        t = time_value(args, target, pct)
        if name == "julianday":
            text = julian(t)
        elif name == "unixepoch":
            text = epoch(t)
        elif target.text_results:
            pattern = {"date": "YYYY-MM-DD", "time": "HH24:MI:SS", "datetime": "YYYY-MM-DD HH24:MI:SS"}[name]
            text = f"TO_CHAR({t.expr}, {pct(sql_string(pattern))})"
            typed = {"date": f"CAST({t.expr} AS DATE)", "time": None,
                     "datetime": f"DATE_TRUNC('second', {t.expr})"}[name]
        elif name == "date":
            text = f"CAST({t.expr} AS DATE)"
        elif name == "time":
            text = f"CAST({t.expr} AS TIME(0))"
        elif args and (args[0].number or args[0].literal is not None and args[0].literal.strip().lower() != "now"):
            text = f"DATE_TRUNC('second', {t.expr})"  # whole seconds, as SQLite's datetime() gives
        else:
            text = t.expr
    why = _WHY[name]
    if t.notes:
        why += "; " + "; ".join(dict.fromkeys(t.notes))
    return Rewritten(text, why, t.needs_look, typed=typed, notes=list(t.notes))


def current(kind: str, target: Target, text: bool | None = None) -> str:
    """CURRENT_TIMESTAMP / CURRENT_DATE / CURRENT_TIME (``kind``: timestamp, date, time), UTC as
    SQLite's are; as SQLite's text when ``text`` (default: the target's choice)."""
    t = TimeValue(now(target), True)
    if text if text is not None else target.text_results:
        pattern = {"timestamp": "YYYY-MM-DD HH24:MI:SS", "date": "YYYY-MM-DD", "time": "HH24:MI:SS"}[kind]
        return f"TO_CHAR({t.expr}, {sql_string(pattern)})"
    return {"timestamp": t.expr, "date": f"CAST({t.expr} AS DATE)", "time": f"CAST({t.expr} AS TIME(0))"}[kind]
