"""PostgreSQL's text output of a converted Python value, one implementation: what a text
column holds for it (:func:`pg_text`), the same escaped for COPY's text format
(:func:`copy_text`), and numeric's output with a typmod's rounding (:func:`numeric_text`)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

NULL = "\\N"


def copy_escape(v: str) -> str:
    """COPY text format's escapes: backslash, tab, newline, carriage return."""
    if "\\" in v:
        v = v.replace("\\", "\\\\")
    if "\t" in v:
        v = v.replace("\t", "\\t")
    if "\n" in v:
        v = v.replace("\n", "\\n")
    if "\r" in v:
        v = v.replace("\r", "\\r")
    return v


def float_text(v: float) -> str:
    if math.isfinite(v):
        return repr(v)
    if math.isnan(v):
        return "NaN"
    return "Infinity" if v > 0 else "-Infinity"


def decimal_text(v: Decimal) -> str:
    if v.is_nan():
        return "NaN"
    if v.is_infinite():
        return "Infinity" if v > 0 else "-Infinity"
    return str(v)


def interval_text(v: timedelta) -> str:
    """The form psycopg2 (and so Django) writes a timedelta in: days and seconds kept apart,
    never months."""
    return f"{v.days} days {v.seconds}.{v.microseconds:06d} seconds"


# Everything but text and bytes prints without characters COPY escapes.
_TEXT: dict[type, Callable[[Any], str]] = {
    str: lambda v: v,
    int: str,
    bool: lambda v: "t" if v else "f",
    float: float_text,
    Decimal: decimal_text,
    datetime: lambda v: v.isoformat(" "),
    date: date.isoformat,
    bytes: lambda v: "\\x" + v.hex(),
    uuid.UUID: str,
    time: time.isoformat,
    timedelta: interval_text,
}
_COPY: dict[type, Callable[[Any], str]] = {
    **_TEXT, str: copy_escape, bytes: lambda v: "\\\\x" + v.hex()}


def pg_text(v: Any) -> str:
    """What PostgreSQL stores in a text column for a converted value (never None)."""
    fmt = _TEXT.get(type(v))
    return fmt(v) if fmt is not None else str(v)


def copy_text(v: Any) -> str:
    """A converted value (or None) as one field of COPY's text format."""
    if v is None:
        return NULL
    return _COPY[type(v)](v)


_DEC_CTX = Context(prec=2000)


def numeric_text(v: Any, scale: int | None) -> str:
    """numeric's output for a value COPY sent (numeric(p, s) when ``scale`` is given)."""
    if type(v) is Decimal:
        d = v
    elif type(v) is int:
        d = Decimal(v)
    else:
        d = Decimal(float_text(float(v)))  # what COPY sent: repr, read by numeric_in
    if d.is_nan():
        return "NaN"
    if d.is_infinite():
        return "Infinity" if d > 0 else "-Infinity"
    if scale is not None:
        # numeric(p, s) rounds half away from zero to s places.
        d = d.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP, context=_DEC_CTX)
    if d.is_zero() and d.is_signed():
        d = d.copy_abs()
    # numeric keeps max(0, -exponent) decimals and never prints an exponent, as 'f' does.
    return format(d, "f")
