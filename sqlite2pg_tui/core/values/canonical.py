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
import json.scanner
import math
import re
import struct
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from psycopg2 import sql

from sqlite2pg_tui.core.plan.mapping import ColumnMapping
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.core.values.batch_format import DATE_RE, ISO_DATE, ISO_TIME, UUID_RE, real_days

SEP = "|"
PG_SESSION = ("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET bytea_output = 'hex'; "
              "SET IntervalStyle = 'postgres'")

Canon = Callable[[Any], str]
Fast = Callable[[Sequence[Any]], "list[str] | None"]

_NONE = type(None)
_TYPE_RE = re.compile(r"^\s*([a-z][a-z0-9 _]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")
_TS_TYPE_RE = re.compile(r"^\s*timestamp\s*(?:\(\s*(\d)\s*\))?\s*(with time zone|without time zone)?\s*$")
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
    t = " ".join(pg_type.lower().split())
    m = _TS_TYPE_RE.match(t)
    if m:
        p = int(m.group(1)) if m.group(1) else None
        return Kind("timestamptz" if m.group(2) == "with time zone" else "timestamp", precision=p)
    if t.endswith("[]"):
        return None
    m = _TYPE_RE.match(t)
    if not m:
        return None
    base, a, b = m.group(1), m.group(2), m.group(3)
    if base == "float" and a is not None:
        return Kind("float4" if int(a) <= 24 else "float8")
    if base == "float":
        return Kind("float8")
    name = _KINDS.get(base)
    if name is None:
        return None
    if name == "numeric" and a is not None:
        return Kind(name, scale=int(b) if b is not None else 0)
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

_DEC_CTX = Context(prec=2000)
_Y2K = datetime(2000, 1, 1)


def pg_text(v: Any) -> str:
    """What PostgreSQL stores in a text column for a converted value (the COPY text)."""
    t = type(v)
    if t is str:
        return v
    if t is bool:
        return "t" if v else "f"
    if t is int:
        return str(v)
    if t is float:
        return _float_text(v)
    if t is Decimal:
        return _decimal_text(v)
    if t is datetime:
        return v.isoformat(" ")
    if t is date:
        return v.isoformat()
    if t is bytes:
        return "\\x" + v.hex()
    return str(v)


def _float_text(v: float) -> str:
    if math.isfinite(v):
        return repr(v)
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def _decimal_text(v: Decimal) -> str:
    if v.is_nan():
        return "NaN"
    if v.is_infinite():
        return "Infinity" if v > 0 else "-Infinity"
    return str(v)


def _numeric(v: Any, scale: int | None) -> str:
    if type(v) is Decimal:
        d = v
    elif type(v) is int:
        d = Decimal(v)
    else:
        d = Decimal(_float_text(float(v)))  # what COPY sent: repr, read by numeric_in
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
        return lambda v: _numeric(v, scale)
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


# --- jsonb's text --------------------------------------------------------------------

class _HasFloat(Exception):  # noqa: N818 - control flow: this value needs the exact route
    pass


def _no_float(_s: str) -> Any:
    raise _HasFloat


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_loads_plain = json.JSONDecoder(parse_float=_no_float, parse_constant=_reject_constant).decode
_loads_exact = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant).decode
try:  # the C encoder without JSONEncoder's per-call set-up: a third of the time
    from json.encoder import c_make_encoder, encode_basestring

    if c_make_encoder is None:
        raise ImportError
    _c_encode = c_make_encoder(None, None, encode_basestring, None, ": ", ", ", False, False, False)

    def _encode(o: Any) -> str:
        return "".join(_c_encode(o, 0))
except ImportError:  # pragma: no cover - other Pythons
    _encode = json.JSONEncoder(ensure_ascii=False, check_circular=False, allow_nan=False).encode

_ORDERED = ()  # cached for key tuples already in jsonb's order
_key_orders: dict[tuple[str, ...], tuple[str, ...]] = {}
_CONTAINERS = {dict, list}


def _jsonb_key(k: str) -> tuple[int, bytes]:
    b = k.encode("utf-8", "surrogatepass")
    return len(b), b


def _ordered(o: Any) -> Any:
    """Objects re-ordered as jsonb stores them (byte length, then bytes), recursively.
    The usual row (one flat object, keys in a repeating order) costs two lookups."""
    t = type(o)
    if t is dict:
        keys = tuple(o)
        order = _key_orders.get(keys)
        if order is None:
            order = tuple(sorted(keys, key=_jsonb_key))
            if order == keys:
                order = _ORDERED
            if len(_key_orders) < 10_000:
                _key_orders[keys] = order
        if _CONTAINERS.isdisjoint(map(type, o.values())):
            return o if order is _ORDERED else {k: o[k] for k in order}
        return {k: _ordered(o[k]) for k in (keys if order is _ORDERED else order)}
    if t is list:
        if _CONTAINERS.isdisjoint(map(type, o)):
            return o
        return [_ordered(x) for x in o]
    return o


_NUM_MARK = "\x00n"  # strings never hold NUL (jsonb refuses it), so the mark is unambiguous
_NUM_RE = re.compile(r'"\\u0000n([^"]*)"')


def _marked(o: Any) -> Any:
    if type(o) is dict:
        return {k: _marked(v) for k, v in o.items()}
    if type(o) is list:
        return [_marked(x) for x in o]
    if type(o) is Decimal:
        return _NUM_MARK + _numeric(o, None)
    return o


_scan_plain = json.scanner.make_scanner(  # type: ignore[attr-defined]
    json.JSONDecoder(parse_float=_no_float, parse_constant=_reject_constant))
_JSON_WS = " \t\n\r"


def _jsonb_plain(s: str) -> str:
    """jsonb's text of a JSON text without fractions or exponents (else _HasFloat);
    ValueError when it is not JSON. The scanner directly: decode() costs twice as much."""
    try:
        o, end = _scan_plain(s, 0)
    except StopIteration:
        return _encode(_ordered(_loads_plain(s)))  # leading blanks, or not JSON: decode() says
    if end != len(s) and s[end:].strip(_JSON_WS):
        raise ValueError("extra data after the JSON value")
    return _encode(_ordered(o))


def jsonb_text(v: Any) -> str:
    """PostgreSQL's ``jsonb::text`` of a JSON text."""
    if not isinstance(v, str):
        v = json.dumps(v)
    try:
        return _jsonb_plain(v)
    except _HasFloat:
        # Numbers with a fraction or exponent: numeric keeps their written scale.
        return _NUM_RE.sub(r"\1", _encode(_marked(_ordered(_loads_exact(v)))))


# --- Python: a whole batch column at a time ---------------------------------------------

_TS_RE = re.compile(ISO_DATE + f"(?:{ISO_TIME})?" + r"(?:Z|[+-]00:?00)?")
_DATE_RE = DATE_RE
_UUID_RE = UUID_RE
_BOOL = {0: "false", 1: "true", None: ""}
# The commonest stored shape, 'YYYY-MM-DD HH:MM:SS' (or with T), checked for a whole batch in
# one regex over the joined column; real month lengths are in the pattern, only 29 February
# needs a look at the year.
_TS19 = (r"(?!0000)\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
         r"|02-(?:0[1-9]|1\d|2\d))[ T](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d")
_TS19_BATCH = re.compile(f"(?:{_TS19}\n)*{_TS19}")


_TS_PARTS = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?)?")


def _ts_from_text(s: str) -> str:
    """Canonical timestamp text of an ISO text already matched by _TS_RE."""
    if len(s) == 19:  # the common shapes first: no fraction, no offset
        return s if s[10] == " " else s[:10] + " " + s[11:]
    if len(s) == 10:
        return s + " 00:00:00"
    m = _TS_PARTS.match(s)
    assert m is not None
    day, time, frac = m.groups()
    out = day + " " + (time or "00:00:00")
    frac = (frac or "").rstrip("0")
    return out + "." + frac if frac else out


def _fill(col: Sequence[Any], vals: list[str], has_null: bool) -> list[str]:
    if not has_null:
        return vals
    it = iter(vals)
    return ["" if v is None else next(it) for v in col]


# jsonb's text of a flat object, piece by piece: a batch already written that way (keys in
# jsonb's order, ", " and ": ", canonical escapes and numbers) is its own canonical text.
_J_STR = r'"(?:[^"\\\x00-\x1f]|\\["\\bfnrt]|\\u00(?:0[1-7bef]|1[0-9a-f]))*"'
_J_NUM = r"(?:-?[1-9]\d*|0)(?:\.\d+)?|-0\.\d*[1-9]\d*"
_J_SCALAR = f"(?:{_J_STR}|{_J_NUM}|true|false|null)"
_flat_batches: dict[tuple[str, ...], re.Pattern[str]] = {}


def _flat_batch_pattern(first: str) -> re.Pattern[str] | None:
    """A regex matching a newline-joined batch of canonical flat objects with the keys of
    ``first`` (None when ``first`` is not a flat object)."""
    try:
        o = _loads_plain(first)
    except (_HasFloat, ValueError, RecursionError):
        o = _loads_exact(first) if first.lstrip().startswith("{") else None
    if type(o) is not dict or not o or not _CONTAINERS.isdisjoint(map(type, o.values())):
        return None
    keys = tuple(sorted(o, key=_jsonb_key))
    pat = _flat_batches.get(keys)
    if pat is None:
        one = r"\{" + ", ".join(re.escape(_encode(k)) + ": " + _J_SCALAR for k in keys) + r"\}"
        pat = re.compile(f"(?:{one}\n)*{one}")
        if len(_flat_batches) < 1000:
            _flat_batches[keys] = pat
    return pat


def fast_formatter(cm: ColumnMapping, kind: Kind, lossless: bool) -> Fast | None:
    """A column-at-a-time formatter for batches whose raw SQLite values are all of a kind the
    converter passes through unchanged; it returns None for any other batch (then every
    value goes through the converter). What it returns equals, value for value, what
    ``canon(kind)(converter(v))`` gives: tests/test_checksum_canonical.py holds it to that."""
    conv, k = cm.converter, kind.name

    def types_of(col: Sequence[Any]) -> set[type]:
        return set(map(type, col))

    if conv == "integer" and k == "int":
        def ints(col: Sequence[Any]) -> list[str] | None:
            t = types_of(col)
            if not t <= {int, _NONE}:
                return None
            return ["" if v is None else str(v) for v in col] if _NONE in t else list(map(str, col))
        return ints
    if conv == "boolean" and k == "bool":
        def bools(col: Sequence[Any]) -> list[str] | None:
            if not types_of(col) <= {int, _NONE} or not set(col) <= {0, 1, None}:
                return None
            return list(map(_BOOL.__getitem__, col))
        return bools
    if conv == "real" and k == "float8":
        def floats(col: Sequence[Any]) -> list[str] | None:
            t = types_of(col)
            if not t <= {float, int, _NONE}:
                return None
            vals = [v for v in col if v is not None] if _NONE in t else col
            h = struct.pack(f">{len(vals)}d", *vals).hex()
            return _fill(col, [h[i:i + 16] for i in range(0, len(h), 16)], _NONE in t)
        return floats
    if conv == "numeric" and k == "numeric":
        suffix = "" if not kind.scale else "." + "0" * kind.scale

        def numerics(col: Sequence[Any]) -> list[str] | None:
            t = types_of(col)
            if not t <= {int, _NONE}:
                return None
            return ["" if v is None else str(v) + suffix for v in col]
        return numerics
    if conv in ("text", "varchar") and k == "text":
        max_len = cm.options.get("length") if conv == "varchar" else None
        limit = int(max_len) if max_len is not None else None

        def texts(col: Sequence[Any]) -> list[str] | None:
            t = types_of(col)
            if not t <= {str, _NONE}:
                return None
            vals = [v for v in col if v is not None] if _NONE in t else list(col)
            probe = "\x01".join(vals)
            if "\x00" in probe:
                return None
            if lossless:
                try:
                    probe.encode("utf-8")
                except UnicodeEncodeError:
                    return None
            if limit is not None and vals and max(map(len, vals)) > limit:
                return None
            return _fill(col, [f"{len(s)}:{s}" for s in vals], _NONE in t)
        return texts
    if k in ("timestamp", "timestamptz") and kind.precision is None and (
            (conv == "timestamp") or (conv == "timestamptz" and cm.options.get("assume", "UTC") == "UTC")):
        suffix = "+00" if k == "timestamptz" else ""
        # The timestamp converter refuses non-zero offsets, timestamptz converts them: both
        # go through the converter. A zero offset (Z, +00:00) means the same to both.
        pattern = _TS_RE

        def stamps(col: Sequence[Any]) -> list[str] | None:
            t = types_of(col)
            if not t <= {str, _NONE}:
                return None
            vals = [v for v in col if v is not None] if _NONE in t else list(col)
            joined = "\n".join(vals)
            # Every value 19 characters (so no newline inside one) and of the common shape.
            if vals and len(joined) == 20 * len(vals) - 1 and _TS19_BATCH.fullmatch(joined) and (
                    "-02-29" not in joined or real_days([v for v in vals if v[5:10] == "02-29"])):
                if "T" in joined:
                    joined = joined.replace("T", " ")
                if suffix:
                    joined = joined.replace("\n", suffix + "\n") + suffix
                return _fill(col, joined.split("\n"), _NONE in t)
            if not all(map(pattern.fullmatch, vals)) or not real_days(vals):
                return None
            out = [_ts_from_text(s) for s in vals]
            if suffix:
                out = [s + suffix for s in out]
            return _fill(col, out, _NONE in t)
        return stamps
    if conv == "date" and k == "date":
        def dates(col: Sequence[Any]) -> list[str] | None:
            t = types_of(col)
            if not t <= {str, _NONE}:
                return None
            vals = [v for v in col if v is not None] if _NONE in t else list(col)
            if not all(map(_DATE_RE.fullmatch, vals)) or not real_days(vals):
                return None
            return _fill(col, vals, _NONE in t)
        return dates
    if conv == "uuid" and k == "uuid":
        def uuids(col: Sequence[Any]) -> list[str] | None:
            t = types_of(col)
            if not t <= {str, _NONE}:
                return None
            vals = [v for v in col if v is not None] if _NONE in t else list(col)
            if not all(map(_UUID_RE.fullmatch, vals)):
                return None
            return _fill(col, [s.lower() for s in vals], _NONE in t)
        return uuids
    if conv == "bytea" and k == "bytea":
        def blobs(col: Sequence[Any]) -> list[str] | None:
            t = types_of(col)
            if not t <= {bytes, _NONE}:
                return None
            return ["" if v is None else "\\x" + v.hex() for v in col]
        return blobs
    if conv == "json" and k == "jsonb":
        def jsons(col: Sequence[Any]) -> list[str] | None:
            t = types_of(col)
            if not t <= {str, _NONE}:
                return None
            vals = [v for v in col if v is not None] if _NONE in t else list(col)
            probe = "\n".join(vals)
            if "\x00" in probe or "\\u0000" in probe:
                return None
            if lossless:
                try:
                    probe.encode("utf-8")
                except UnicodeEncodeError:
                    return None
            pattern = _flat_batch_pattern(vals[0]) if vals else None
            if pattern is not None and probe.count("\n") == len(vals) - 1 and pattern.fullmatch(probe):
                return _fill(col, vals, _NONE in t)
            out = []
            try:
                for s in vals:
                    try:
                        out.append(_jsonb_plain(s))
                    except _HasFloat:
                        out.append(jsonb_text(s))
            except (ValueError, RecursionError):
                return None  # not JSON (or NaN/Infinity): the converter decides
            return _fill(col, out, _NONE in t)
        return jsons
    return None


def is_int_kind(kind: Kind | None) -> bool:
    return kind is not None and kind.name in _INT_KINDS
