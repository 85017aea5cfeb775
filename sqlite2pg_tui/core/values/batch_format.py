"""Column-at-a-time COPY formatting for clean batches: the copy's fast path.

A batch of rows is turned into columns; each column's formatter checks with C-speed
builtins (``set(map(type, col))``, ``str.join``, ``map``) that every value is of the kind
it can pass on unchanged, and formats the whole column at once. A formatter returns None
when the batch holds anything else; the engine then converts that batch row by row
through the column's converter, which handles the dirty value by its policy.

Every fast formatter writes exactly what the converter would have produced for the values
it accepts, or text PostgreSQL refuses (which sends the table through the converters).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlite2pg_tui.core.plan.mapping import ColumnMapping
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.core.values.copy_format import NULL, _text, copy_text

Column = Sequence[Any]
Formatter = Callable[[Column], list[str] | None]
_NONE = type(None)
_SPECIALS = ("\\", "\t", "\n", "\r")

# ISO shapes PostgreSQL reads exactly as the converters do (shared with canonical.py).
ISO_DATE = r"(?!0000)\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
ISO_TIME = r"[ T](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?"
DATE_RE = re.compile(ISO_DATE)
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TS_RE = re.compile(ISO_DATE + f"(?:{ISO_TIME})?")
_TSTZ_RE = re.compile(ISO_DATE + f"(?:{ISO_TIME})?" + r"(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?")


def real_days(vals: list[str]) -> bool:
    """True when every ISO date (first 10 characters) exists: days 29-31 only in some months."""
    for v in vals:
        if v[8:10] > "28":
            try:
                datetime(int(v[:4]), int(v[5:7]), int(v[8:10]))
            except ValueError:
                return False
    return True
_BOOL = {0: "f", 1: "t", None: NULL}


def _non_null(col: Column) -> list[Any]:
    return [v for v in col if v is not None]


def _with_nulls(col: Column, fmt: Callable[[Any], str]) -> list[str]:
    if None in col:
        return [NULL if v is None else fmt(v) for v in col]
    return list(map(fmt, col))


def _integer(col: Column) -> list[str] | None:
    if not set(map(type, col)) <= {int, _NONE}:
        return None
    return _with_nulls(col, str)


def _boolean(col: Column) -> list[str] | None:
    if not set(map(type, col)) <= {int, _NONE} or not set(col) <= {0, 1, None}:
        return None
    return list(map(_BOOL.__getitem__, col))


def _real(col: Column) -> list[str] | None:
    types = set(map(type, col))
    if not types <= {float, int, _NONE}:
        return None
    if int in types:
        return _with_nulls(col, lambda v: repr(float(v)))
    return _with_nulls(col, repr)  # PostgreSQL reads 'inf'/'-inf'; SQLite has no NaN


def _numeric(col: Column) -> list[str] | None:
    types = set(map(type, col))
    if not types <= {int, float, _NONE}:
        return None
    if float in types and not all(map(math.isfinite, _non_null(col))):
        return None
    return _with_nulls(col, lambda v: repr(v) if type(v) is float else str(v))


def _text_like(max_len: int | None) -> Formatter:
    def fmt(col: Column) -> list[str] | None:
        types = set(map(type, col))
        if not types <= {str, int, float, _NONE}:
            return None
        if types <= {str, _NONE}:
            strs = _non_null(col) if _NONE in types else list(col)
        else:
            strs = [v if type(v) is str else (repr(v) if type(v) is float else str(v))
                    for v in col if v is not None]
            col = [None if v is None else (v if type(v) is str else
                   (repr(v) if type(v) is float else str(v))) for v in col]
        probe = "\x01".join(strs)
        if "\x00" in probe:
            return None  # NUL: the converter's policy decides
        if max_len is not None and strs and max(map(len, strs)) > max_len:
            return None
        if any(s in probe for s in _SPECIALS):
            return _with_nulls(col, _text)
        return [NULL if v is None else v for v in col] if _NONE in types else list(col)

    return fmt


def _matching(pattern: re.Pattern[str], check_days: bool = True) -> Formatter:
    def fmt(col: Column) -> list[str] | None:
        if not set(map(type, col)) <= {str, _NONE}:
            return None
        vals = _non_null(col)
        if not all(map(pattern.fullmatch, vals)):
            return None
        if check_days and not real_days(vals):
            return None
        return _with_nulls(col, str) if len(vals) < len(col) else list(col)

    return fmt


def _bytea(col: Column) -> list[str] | None:
    if not set(map(type, col)) <= {bytes, _NONE}:
        return None
    return _with_nulls(col, lambda v: "\\\\x" + v.hex())


def _generic(cm: ColumnMapping) -> Formatter:
    """Any converter, a column at a time; gives up (row path) on the first dirty value."""
    fn = converters.build(cm.converter, cm.options)
    altered = converters.get(cm.converter).altered if converters.get(cm.converter).alters else None

    def fmt(col: Column) -> list[str] | None:
        out = []
        for v in col:
            if v is None:
                out.append(NULL)
                continue
            try:
                got = fn(v)
            except converters.Reject:
                return None
            if altered is not None and altered(v, got):
                return None  # alterations are counted on the row path
            out.append(copy_text(got))
        return out

    return fmt


def formatter(cm: ColumnMapping) -> Formatter:
    conv, base = cm.converter, converters.base_type(cm.pg_type)
    if conv == "integer" and base == "bigint":
        return _integer
    if conv == "boolean" and base == "boolean":
        return _boolean
    if conv == "real" and base == "double precision":
        return _real
    if conv == "numeric" and base == "numeric" and "(" not in cm.pg_type:
        return _numeric
    if conv in ("text", "varchar") and base in ("text", "varchar"):
        length = cm.options.get("length") if conv == "varchar" else None
        return _text_like(int(length) if length is not None else None)
    if conv == "json" and base == "jsonb":
        # jsonb's parser accepts a subset of what json.loads does: what it takes means the
        # same, what it refuses sends the table through the converter.
        return _text_like(None)
    if conv == "timestamp" and base == "timestamp":
        return _matching(_TS_RE)
    if conv == "timestamptz" and base == "timestamptz":
        return _matching(_TSTZ_RE)
    if conv == "date" and base == "date":
        return _matching(DATE_RE)
    if conv == "uuid" and base == "uuid":
        return _matching(UUID_RE, check_days=False)
    if conv == "bytea" and base == "bytea":
        return _bytea
    return _generic(cm)
