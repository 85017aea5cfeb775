"""One canonical text per value, produced identically by PostgreSQL (in SQL) and by Python
(from what the converters return): the row serialisation the full-table checksum hashes.

A row's text is its columns' canonical texts joined by ``|``; NULL is the empty string.
Each form is unambiguous inside that row text: numbers, booleans, dates, uuids and hex
never contain ``|``; text is prefixed by its length (``5:hello``); jsonb's canonical text
is one JSON value, which ends where its grammar says. The forms, and why:

=================  =============================  =========================================
kind               PostgreSQL                     Python (converted value)
=================  =============================  =========================================
int                ``c::text``                    ``str(v)``
bool               ``c::text``                    ``'true'`` / ``'false'``
float8 / float4    ``encode(float8send(c),'hex')`` the IEEE bits: exact, and no dependence
                                                  on PostgreSQL's float output rules (which
                                                  differ from ``repr``: ``100`` vs ``100.0``)
numeric            ``c::text``                    ``Decimal`` in plain notation with the
                                                  same scale numeric_in keeps (typmod
                                                  rounding reproduced, ``-0`` → ``0``)
text / varchar     ``length(c) || ':' || c``      ``f"{len(s)}:{s}"`` (code points = chars)
timestamp(tz)      ``c::text`` (ISO, UTC)         ISO, fraction without trailing zeros
date, uuid         ``c::text``                    ``isoformat()``, ``str(UUID)``
jsonb              ``c::text``                    jsonb's own output: keys ordered by byte
                                                  length then bytes, last duplicate wins,
                                                  numbers as numeric prints them, ``", "`` and
                                                  ``": "`` separators
bytea              ``c::text`` (bytea_output hex) ``'\\x' + v.hex()``
=================  =============================  =========================================

The PostgreSQL session must use ``TimeZone=UTC``, ``DateStyle=ISO`` and ``bytea_output=hex``
(:data:`PG_SESSION`). Types without a form here (arrays, intervals, geometry…) are left out
of the checksum and named in the report.
"""

from __future__ import annotations

import json
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from psycopg2 import sql

from sqlite2pg_tui.core.plan.mapping import ColumnMapping
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.core.values.canonical_json import jsonb_text
from sqlite2pg_tui.core.values.copy_format import numeric_text, pg_text
from sqlite2pg_tui.core.values.pgtype import PgType

SEP = "|"
PG_SESSION = ("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET bytea_output = 'hex'; "
              "SET IntervalStyle = 'postgres'")

Canon = Callable[[Any], str]

_KINDS = {
    "bigint": "int", "integer": "int", "smallint": "int", "int": "int", "int2": "int",
    "int4": "int", "int8": "int",
    "boolean": "bool", "bool": "bool",
    "double precision": "float8", "float8": "float8", "real": "float4", "float4": "float4",
    "numeric": "numeric", "decimal": "numeric",
    "text": "text", "varchar": "text", "character varying": "text", "citext": "text",
    "char": "bpchar", "character": "bpchar", "bpchar": "bpchar",
    "timestamp": "timestamp", "timestamptz": "timestamptz", "date": "date",
    "jsonb": "jsonb", "json": "json", "uuid": "uuid", "bytea": "bytea",
}
# Which converter targets a kind can canonicalise (anything else: column left out).
_ACCEPTS = {
    "int": {"bigint"},
    "bool": {"boolean"},
    "float8": {"double precision", "bigint", "numeric"},
    "float4": {"double precision", "bigint", "numeric"},
    "numeric": {"numeric", "bigint", "double precision"},
    "text": None,  # anything: PostgreSQL stores the COPY text
    "bpchar": None,
    "json": {"jsonb", "text", "varchar"},
    "timestamp": {"timestamp", "timestamptz", "date"},
    "timestamptz": {"timestamp", "timestamptz", "date"},
    "date": {"date", "timestamp", "timestamptz"},
    "jsonb": {"jsonb", "text", "varchar"},
    "uuid": {"uuid", "text", "varchar"},
    "bytea": {"bytea"},
}
_INT_KINDS = {"int"}


@dataclass(frozen=True)
class Kind:
    name: str  # a key of _ACCEPTS
    scale: int | None = None  # numeric(p, s)
    precision: int | None = None  # timestamp(p)


def kind_of(pg_type: str) -> Kind | None:
    """The canonical kind of a PostgreSQL type name, or None when it has none."""
    t = PgType.of(pg_type)
    if t.array:
        return None
    if t.name in ("timestamp", "timestamptz"):
        return Kind(t.name, precision=t.args[0] if t.args else None)
    if t.name == "float":
        return Kind("float4" if t.args and t.args[0] <= 24 else "float8")
    name = _KINDS.get(t.name)
    if name is None:
        return None
    if name == "numeric" and t.args:
        return Kind(name, scale=t.scale)
    return Kind(name)


def supports(cm: ColumnMapping) -> Kind | None:
    """The column's kind when its converter's values have a canonical form in it."""
    k = kind_of(cm.pg_type)
    if k is None:
        return None
    try:
        target = converters.get(cm.converter).target
    except KeyError:
        return None
    accepts = _ACCEPTS[k.name]
    if accepts is not None and target not in accepts:
        return None
    return k


# --- PostgreSQL ---------------------------------------------------------------------

def pg_expr(column: str, kind: Kind) -> sql.Composable:
    """The canonical text of a column in SQL: NULL for NULL."""
    c = sql.Identifier(column)
    k = kind.name
    if k in ("float8", "float4"):
        # float4send for real: exact bits of what is stored, no float output rules.
        fn = "float8send" if k == "float8" else "float4send"
        return sql.SQL("encode({}({}), 'hex')").format(sql.SQL(fn), c)
    if k == "text":
        return sql.SQL("(length({c}) || ':' || {c})").format(c=c)
    if k in ("bpchar", "json"):
        return sql.SQL("(length({c}::text) || ':' || {c}::text)").format(c=c)
    return sql.SQL("{}::text").format(c)


def pg_row(columns: list[tuple[str, Kind]]) -> sql.Composable:
    """concat() of the canonical texts with separators (concat turns NULL into '')."""
    parts: list[sql.Composable] = []
    for i, (name, kind) in enumerate(columns):
        if i:
            parts.append(sql.Literal(SEP))
        parts.append(pg_expr(name, kind))
    if not parts:
        return sql.SQL("''")
    return sql.SQL("concat({})").format(sql.SQL(", ").join(parts))


# --- Python: one converted value -----------------------------------------------------

_Y2K = datetime(2000, 1, 1)


def _round_pg_timestamp(dt: datetime, precision: int | None) -> datetime:
    """AdjustTimestampForTypmod: halves away from 2000-01-01 (PostgreSQL's epoch)."""
    if precision is None or precision >= 6:
        return dt
    scale = 10 ** (6 - precision)
    offset = scale // 2
    t = (dt - _Y2K) // timedelta(microseconds=1)
    t = (t + offset) // scale * scale if t >= 0 else -((-t + offset) // scale * scale)
    return _Y2K + timedelta(microseconds=t)


def _ts_text(dt: datetime) -> str:
    s = dt.isoformat(" ")
    return s.rstrip("0") if dt.microsecond else s


def _timestamp(v: Any, precision: int | None, tz: bool) -> str:
    if type(v) is date:
        v = datetime(v.year, v.month, v.day)
    if tz:
        # Naive values were read by a session in UTC.
        v = v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo is not None else v
    else:
        v = v.replace(tzinfo=None)  # timestamp input ignores an offset
    return _ts_text(_round_pg_timestamp(v, precision)) + ("+00" if tz else "")


def _date(v: Any) -> str:
    if isinstance(v, datetime):
        v = v.date()
    return v.isoformat()


def canon(kind: Kind) -> Canon:
    """Converted value (never None) → canonical text."""
    k = kind.name
    if k == "int":
        return str
    if k == "bool":
        return lambda v: "true" if v else "false"
    if k == "float8":
        pack8 = struct.Struct(">d").pack
        return lambda v: pack8(float(v)).hex()
    if k == "float4":
        pack4 = struct.Struct(">f").pack
        return lambda v: pack4(float(v)).hex()
    if k == "numeric":
        scale = kind.scale
        return lambda v: numeric_text(v, scale)
    if k == "text":
        def text(v: Any) -> str:
            s = pg_text(v)
            return f"{len(s)}:{s}"
        return text
    if k == "bpchar":
        def bpchar(v: Any) -> str:
            s = pg_text(v).rstrip(" ")  # padded by char(n), stripped again by ::text
            return f"{len(s)}:{s}"
        return bpchar
    if k == "json":
        def js(v: Any) -> str:
            s = v if isinstance(v, str) else json.dumps(v)
            return f"{len(s)}:{s}"
        return js
    if k in ("timestamp", "timestamptz"):
        tz = k == "timestamptz"
        precision = kind.precision
        return lambda v: _timestamp(v, precision, tz)
    if k == "date":
        return _date
    if k == "jsonb":
        return jsonb_text
    if k == "uuid":
        return lambda v: str(v if isinstance(v, uuid.UUID) else uuid.UUID(str(v)))
    if k == "bytea":
        return lambda v: "\\x" + bytes(v).hex()
    raise ValueError(f"no canonical form for {k}")


def is_int_kind(kind: Kind | None) -> bool:
    return kind is not None and kind.name in _INT_KINDS


# The column-at-a-time forms (one module per job; imported here for canonical's callers).
from sqlite2pg_tui.core.values.canonical_batch import Fast, fast_formatter  # noqa: E402, F401
