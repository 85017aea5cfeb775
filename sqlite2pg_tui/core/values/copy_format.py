"""Python values in PostgreSQL's COPY text format."""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

NULL = "\\N"


def _text(v: str) -> str:
    if "\\" in v:
        v = v.replace("\\", "\\\\")
    if "\t" in v:
        v = v.replace("\t", "\\t")
    if "\n" in v:
        v = v.replace("\n", "\\n")
    if "\r" in v:
        v = v.replace("\r", "\\r")
    return v


def _float(v: float) -> str:
    if math.isfinite(v):
        return repr(v)
    if math.isnan(v):
        return "NaN"
    return "Infinity" if v > 0 else "-Infinity"


def _decimal(v: Decimal) -> str:
    if v.is_nan():
        return "NaN"
    if v.is_infinite():
        return "Infinity" if v > 0 else "-Infinity"
    return str(v)


_FORMAT = {
    str: _text,
    int: str,
    bool: lambda v: "t" if v else "f",
    float: _float,
    Decimal: _decimal,
    datetime: lambda v: v.isoformat(" "),
    date: date.isoformat,
    bytes: lambda v: "\\\\x" + v.hex(),
    uuid.UUID: str,
    time: time.isoformat,
    # As psycopg2 (and so Django) writes a timedelta: days and seconds apart, never months.
    timedelta: lambda v: f"{v.days} days {v.seconds}.{v.microseconds:06d} seconds",
}


def copy_text(v: Any) -> str:
    if v is None:
        return NULL
    return _FORMAT[type(v)](v)
