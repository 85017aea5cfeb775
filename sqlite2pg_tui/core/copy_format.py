"""Turning values into PostgreSQL COPY text format, in Python and (for clean columns) in SQLite.

The SQLite-side expressions let the C library format whole rows while Python only joins
lines: the fast path. Each expression guards on the storage class (and shape) it was built
for and emits two extra tabs otherwise, which PostgreSQL rejects as extra columns; the
engine then redoes the table through the Python converters. So the fast path can only be
faster, never different.
"""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlite2pg_tui.core import converters
from sqlite2pg_tui.core.mapping import ColumnMapping
from sqlite2pg_tui.core.sqlite_source import qi

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
}


def copy_text(v: Any) -> str:
    if v is None:
        return NULL
    return _FORMAT[type(v)](v)


_BAD = "char(9)||char(9)"  # two extra fields: PostgreSQL refuses the line
_ESCAPED = ("replace(replace(replace(replace({c},'\\','\\\\'),char(9),'\\t'),"
            "char(10),'\\n'),char(13),'\\r')")
_ISO_TS = (
    "(({c} GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'"
    " OR {c} GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9][ T][0-2][0-9]:[0-5][0-9]:[0-5][0-9]'"
    " OR ({c} GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9][ T][0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9]*'"
    " AND length({c}) <= 26 AND NOT substr({c}, 21) GLOB '*[^0-9]*'))"
    " AND (length({c}) = 10 OR substr({c}, 12, 2) < '24'))"
)


def fast_sql(cm: ColumnMapping, notnull_ok: bool = True) -> str | None:
    """A SQLite expression giving this column's COPY text, or None when Python must convert."""
    c = qi(cm.source)
    conv = cm.converter
    base = converters.base_type(cm.pg_type)
    if conv == "integer" and base in ("bigint", "integer", "smallint", "numeric"):
        if base != "bigint":
            return None  # narrower ranges: let Python check and report
        return f"CASE typeof({c}) WHEN 'integer' THEN CAST({c} AS TEXT) WHEN 'null' THEN '\\N' ELSE {_BAD} END"
    if conv == "boolean" and base == "boolean":
        return (f"CASE WHEN {c} IS NULL THEN '\\N' WHEN typeof({c}) = 'integer' AND {c} IN (0, 1) "
                f"THEN CAST({c} AS TEXT) ELSE {_BAD} END")
    if conv == "real" and base == "double precision":
        return (f"CASE typeof({c}) WHEN 'real' THEN printf('%!.17g', {c}) WHEN 'integer' THEN "
                f"printf('%!.17g', {c}) WHEN 'null' THEN '\\N' ELSE {_BAD} END")
    if conv in ("text", "varchar") and base in ("text", "varchar") and not cm.options.get("length"):
        return (f"CASE typeof({c}) WHEN 'text' THEN {_ESCAPED.format(c=c)} WHEN 'integer' THEN "
                f"CAST({c} AS TEXT) WHEN 'null' THEN '\\N' ELSE {_BAD} END")
    if conv == "timestamp" and base == "timestamp":
        return (f"CASE WHEN {c} IS NULL THEN '\\N' WHEN typeof({c}) = 'text' AND {_ISO_TS.format(c=c)} "
                f"THEN {c} ELSE {_BAD} END")
    if conv == "date" and base == "date":
        return (f"CASE WHEN {c} IS NULL THEN '\\N' WHEN typeof({c}) = 'text' AND "
                f"{c} GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]' THEN {c} ELSE {_BAD} END")
    return None
