"""The converter registry: named, tested units turning a SQLite value into a PostgreSQL one.

A converter is built from options into a plain function ``value -> python value`` that
raises :class:`Reject` with a reason a person can read. The copy engine formats the
returned Python value for COPY; verification compares it with what PostgreSQL holds.
New converters are added here and nowhere else.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

Convert = Callable[[Any], Any]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Reject(Exception):  # noqa: N818 - it is an outcome, not a failure of the program
    """This value cannot become the target type; ``reason`` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Converter:
    name: str
    label: str
    description: str
    target: str  # the PostgreSQL type it produces; "text" also covers varchar(n)
    make: Callable[[dict[str, Any]], Convert]
    alters: bool = False  # may change an accepted value (counted as "altered" in the report)
    options: dict[str, Any] = field(default_factory=dict)  # defaults
    # For converters whose output is another type: (input, output) -> was it changed?
    changed: Callable[[Any, Any], bool] | None = None

    def altered(self, before: Any, after: Any) -> bool:
        if self.changed is not None:
            return self.changed(before, after)
        return self.alters and after != before


REGISTRY: dict[str, Converter] = {}


def register(conv: Converter) -> Converter:
    REGISTRY[conv.name] = conv
    return conv


def get(name: str) -> Converter:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown converter {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


def build(name: str, options: dict[str, Any] | None = None) -> Convert:
    conv = get(name)
    return conv.make({**conv.options, **(options or {})})


def preview(name: str, options: dict[str, Any] | None, values: list[Any]) -> list[tuple[Any, Any, str | None]]:
    """(before, after, reject reason) for each value: what the wizard shows in the picker."""
    fn = build(name, options)
    out = []
    for v in values:
        if v is None:
            out.append((v, None, None))
            continue
        try:
            out.append((v, fn(v), None))
        except Reject as r:
            out.append((v, None, r.reason))
    return out


def describe(value: Any, limit: int = 60) -> str:
    """A value made visible for people: tabs, newlines, NUL and invalid bytes spelled out."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return "x'" + value[: limit // 2].hex() + ("…" if len(value) > limit // 2 else "") + "'"
    if isinstance(value, str):
        out = []
        for ch in value:
            if ch == "\t":
                out.append("\\t")
            elif ch == "\n":
                out.append("\\n")
            elif ch == "\r":
                out.append("\\r")
            elif ch == "\x00":
                out.append("␀")
            elif "\udc80" <= ch <= "\udcff":
                out.append(f"\\x{ord(ch) - 0xDC00:02x}")
            elif ord(ch) < 32:
                out.append(f"\\x{ord(ch):02x}")
            else:
                out.append(ch)
        s = "".join(out)
        text = f"'{s}'"
        return text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(value)


def show(value: Any, limit: int = 200) -> str:
    """A value the way PostgreSQL would print it (true/false, ISO timestamps, JSON), made
    visible for people; the same text whichever side (source, converted, PostgreSQL) it is from."""
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if value is None or isinstance(value, str | bytes | int):
        return describe(value, limit)
    return str(value)


# --- text -------------------------------------------------------------------

def has_surrogates(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _to_text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            raise Reject("blob is not valid UTF-8 text") from None
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _make_text(opts: dict[str, Any]) -> Convert:
    nul = opts.get("nul", "reject")  # reject | strip
    bad_utf8 = opts.get("invalid_utf8", "reject")  # reject | replace
    max_len = opts.get("length")

    def conv(v: Any) -> str:
        if isinstance(v, bytes) and bad_utf8 == "replace":
            s = v.decode("utf-8", "replace")
        else:
            s = _to_text(v)
        if "\x00" in s:
            if nul == "strip":
                s = s.replace("\x00", "")
            else:
                raise Reject("contains a NUL byte, which PostgreSQL text cannot hold")
        if has_surrogates(s):
            if bad_utf8 == "replace":
                s = s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            else:
                raise Reject("not valid UTF-8")
        if max_len is not None and len(s) > int(max_len):
            raise Reject(f"{len(s)} characters, longer than varchar({max_len})")
        return s

    return conv


register(Converter("text", "text", "Keep as text; reject NUL bytes and invalid UTF-8.", "text",
                   _make_text))
register(Converter("text_clean", "text, cleaned",
                   "Text with NUL bytes stripped and invalid UTF-8 replaced by U+FFFD (each counted).",
                   "text", lambda o: _make_text({**o, "nul": "strip", "invalid_utf8": "replace"}),
                   alters=True))
register(Converter("varchar", "varchar(n)", "Text with a length limit; longer values are dirty.",
                   "varchar", _make_text, options={"length": 255}))


# --- numbers ----------------------------------------------------------------

_INT_TEXT = re.compile(r"^\s*[+-]?\d+\s*$")


def _make_integer(opts: dict[str, Any]) -> Convert:
    lo, hi = opts.get("min"), opts.get("max")
    if lo is not None or hi is not None:  # integer/smallint columns: a narrower range
        wide = _make_integer({})
        lo, hi = int(lo if lo is not None else INT64_MIN), int(hi if hi is not None else INT64_MAX)

        def narrow(v: Any) -> int:
            n = wide(v)
            if not lo <= n <= hi:
                raise Reject(f"outside the column's range ({lo} to {hi})")
            return n

        return narrow

    def conv(v: Any) -> int:
        if type(v) is int:
            if INT64_MIN <= v <= INT64_MAX:
                return v
            raise Reject("outside the 64-bit integer range")
        if isinstance(v, float):
            if v.is_integer() and INT64_MIN <= v <= INT64_MAX:
                return int(v)
            raise Reject("has a fractional part" if math.isfinite(v) else "is infinite or NaN")
        if isinstance(v, str):
            if _INT_TEXT.match(v):
                n = int(v)
                if INT64_MIN <= n <= INT64_MAX:
                    return n
                raise Reject("outside the 64-bit integer range")
            try:
                f = float(v)
            except ValueError:
                raise Reject("not a number") from None
            if math.isfinite(f) and f.is_integer():
                return int(f)
            raise Reject("has a fractional part" if math.isfinite(f) else "is infinite or NaN")
        raise Reject("a blob, not a number")

    return conv


_FLOAT_WORDS = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf,
                "+infinity": math.inf, "-infinity": -math.inf, "nan": math.nan}


def _make_real(_opts: dict[str, Any]) -> Convert:
    def conv(v: Any) -> float:
        if isinstance(v, float):
            return v
        if type(v) is int:
            return float(v)
        if isinstance(v, str):
            s = v.strip()
            if s.lower() in _FLOAT_WORDS:
                return _FLOAT_WORDS[s.lower()]
            try:
                return float(s)
            except ValueError:
                raise Reject("not a number") from None
        raise Reject("a blob, not a number")

    return conv


_MONEY = re.compile(r"^\s*\(?\s*([+-]?)\s*[$€£¥]?\s*([+-]?)\s*([\d,]*\.?\d*)\s*[$€£¥]?\s*\)?\s*$")


def _make_numeric(opts: dict[str, Any]) -> Convert:
    loose = bool(opts.get("loose"))
    precision, scale = opts.get("precision"), opts.get("scale")
    if precision is not None:  # numeric(p,s): what does not fit exactly is refused, not rounded
        exact = _make_numeric({**opts, "precision": None})
        return lambda v: fit_numeric(exact(v), int(precision), int(scale or 0))

    def conv(v: Any) -> Decimal:
        if type(v) is int:
            return Decimal(v)
        if isinstance(v, float):
            if not math.isfinite(v):
                return Decimal(repr(v).replace("inf", "Infinity"))
            return Decimal(repr(v))
        if isinstance(v, str):
            s = v.strip()
            if loose:
                m = _MONEY.match(s)
                if m and m.group(3) and re.search(r"\d", m.group(3)):
                    neg = "-" in (m.group(1), m.group(2)) or (s.startswith("(") and s.endswith(")"))
                    s = ("-" if neg else "") + m.group(3).replace(",", "")
            try:
                return Decimal(s)
            except InvalidOperation:
                raise Reject("not a number") from None
        raise Reject("a blob, not a number")

    return conv


register(Converter("integer", "integer", "Integers; whole REALs and integer text accepted.",
                   "bigint", _make_integer))
register(Converter("real", "double precision", "Floating point, exactly as SQLite stored it.",
                   "double precision", _make_real))
register(Converter("numeric", "numeric", "Exact decimal numbers from integers, reals or text.",
                   "numeric", _make_numeric))
register(Converter("numeric_loose", "numeric from '1,234.50'",
                   "Decimal numbers with thousands separators and currency symbols removed.",
                   "numeric", lambda o: _make_numeric({**o, "loose": True}), alters=True))


# --- booleans ---------------------------------------------------------------

TRUE_WORDS = {"1", "true", "t", "yes", "y", "on"}
FALSE_WORDS = {"0", "false", "f", "no", "n", "off"}


def _make_boolean(_opts: dict[str, Any]) -> Convert:
    def conv(v: Any) -> bool:
        if type(v) is int or isinstance(v, float):
            if v == 1:
                return True
            if v == 0:
                return False
            raise Reject(f"{v!r} is neither 0 nor 1")
        if isinstance(v, str):
            s = v.strip().lower()
            if s in TRUE_WORDS:
                return True
            if s in FALSE_WORDS:
                return False
            raise Reject("not a yes/no value")
        raise Reject("a blob, not a boolean")

    return conv


register(Converter("boolean", "boolean",
                   "0/1, true/false, t/f, yes/no, y/n, on/off (any case) → boolean.",
                   "boolean", _make_boolean))


# --- dates and times --------------------------------------------------------

ISO_RE = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$",
    re.I,
)


def parse_iso(s: str) -> tuple[datetime, bool, bool]:
    """(value, has_time, has_offset); ValueError when it is not a real ISO 8601 instant."""
    m = ISO_RE.match(s)
    if not m:
        raise ValueError("not ISO 8601")
    y, mo, d, hh, mi, ss, frac, off = m.groups()
    frac = frac or "0"
    micro = int(frac[:6].ljust(6, "0"))
    # PostgreSQL keeps microseconds and rounds the rest; so do we (sub_microsecond() tells).
    carry = len(frac) > 6 and frac[6] >= "5"
    tz = None
    if off:
        if off.upper() == "Z":
            tz = UTC
        else:
            sign = -1 if off[0] == "-" else 1
            digits = off[1:].replace(":", "")
            minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
            tz = timezone(sign * timedelta(minutes=minutes))
    dt = datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), micro, tz)
    if carry:
        dt += timedelta(microseconds=1)
    return dt, hh is not None, off is not None


def sub_microsecond(v: Any, _out: Any = None) -> bool:
    """True when an ISO text carries non-zero digits past microseconds (they are rounded)."""
    if not isinstance(v, str):
        return False
    m = ISO_RE.match(v)
    return bool(m and m.group(7) and len(m.group(7)) > 6 and m.group(7)[6:].strip("0"))


def _text_of(v: Any) -> str:
    if isinstance(v, str):
        return v
    raise Reject("not a date/time text")


def _iso_or_reject(v: Any) -> tuple[datetime, bool, bool]:
    s = _text_of(v)
    try:
        return parse_iso(s)
    except ValueError as e:
        if ISO_RE.match(s):
            raise Reject(f"impossible date ({e})") from None
        raise Reject("not an ISO 8601 date/time") from None


def _make_timestamp(_opts: dict[str, Any]) -> Convert:
    def conv(v: Any) -> datetime:
        dt, _, has_off = _iso_or_reject(v)
        if has_off and dt.utcoffset() != timedelta(0):
            raise Reject("has a UTC offset; the column would need timestamptz")
        return dt.replace(tzinfo=None)

    return conv


def _make_timestamptz(opts: dict[str, Any]) -> Convert:
    assume = UTC if opts.get("assume", "UTC") == "UTC" else None

    def conv(v: Any) -> datetime:
        dt, _, has_off = _iso_or_reject(v)
        if not has_off:
            if assume is None:
                raise Reject("no UTC offset")
            dt = dt.replace(tzinfo=assume)
        return dt.astimezone(UTC)

    return conv


def _make_date(_opts: dict[str, Any]) -> Convert:
    def conv(v: Any) -> date:
        dt, has_time, _ = _iso_or_reject(v)
        if has_time and (dt.hour, dt.minute, dt.second, dt.microsecond) != (0, 0, 0, 0):
            raise Reject("has a time of day; the column would need timestamp")
        return dt.date()

    return conv


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DIVISOR = {"s": 1, "ms": 1_000, "us": 1_000_000}


def _make_epoch(opts: dict[str, Any]) -> Convert:
    unit = opts.get("unit", "s")
    div = EPOCH_DIVISOR[unit]

    def conv(v: Any) -> datetime:
        if isinstance(v, str):
            try:
                v = float(v) if "." in v else int(v)
            except ValueError:
                raise Reject("not a number of seconds since 1970") from None
        if type(v) is int:
            try:
                return EPOCH + timedelta(microseconds=v * (1_000_000 // div))
            except OverflowError:
                raise Reject("outside the representable date range") from None
        if isinstance(v, float) and math.isfinite(v):
            try:
                return EPOCH + timedelta(microseconds=round(v * 1_000_000 / div))
            except OverflowError:
                raise Reject("outside the representable date range") from None
        raise Reject("not a Unix time")

    return conv


JULIAN_UNIX_EPOCH = 2440587.5


def _make_julian(_opts: dict[str, Any]) -> Convert:
    def conv(v: Any) -> datetime:
        if isinstance(v, str):
            try:
                v = float(v)
            except ValueError:
                raise Reject("not a Julian day number") from None
        if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
            raise Reject("not a Julian day number")
        try:
            micro = round((v - JULIAN_UNIX_EPOCH) * 86_400_000_000)
            return (EPOCH + timedelta(microseconds=micro)).replace(tzinfo=None)
        except OverflowError:
            raise Reject("outside the representable date range") from None

    return conv


DMY_RE = _DMY_RE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")


def _make_dayfirst(day_first: bool) -> Callable[[dict[str, Any]], Convert]:
    def make(_opts: dict[str, Any]) -> Convert:
        def conv(v: Any) -> datetime:
            m = _DMY_RE.match(_text_of(v))
            if not m:
                raise Reject("not a dd/mm/yyyy date" if day_first else "not a mm/dd/yyyy date")
            a, b, y, hh, mi, ss = m.groups()
            d, mo = (a, b) if day_first else (b, a)
            try:
                return datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0))
            except ValueError as e:
                raise Reject(f"impossible date ({e})") from None

        return conv

    return make


register(Converter("timestamp", "timestamp from ISO 8601",
                   "Text like 2024-01-31 12:00:00 or 2024-01-31T12:00:00.5Z (UTC) → timestamp.",
                   "timestamp", _make_timestamp, alters=True, changed=sub_microsecond))
register(Converter("timestamptz", "timestamptz from ISO 8601",
                   "ISO 8601 text with offsets → timestamptz; no offset means UTC.",
                   "timestamptz", _make_timestamptz, alters=True, changed=sub_microsecond))
register(Converter("date", "date from ISO 8601", "Text like 2024-01-31 → date.", "date", _make_date))
register(Converter("epoch", "timestamptz from Unix time",
                   "Seconds, milliseconds or microseconds since 1970-01-01 UTC → timestamptz.",
                   "timestamptz", _make_epoch, options={"unit": "s"}))
register(Converter("julian", "timestamp from Julian day", "Julian day numbers (julianday()) → timestamp.",
                   "timestamp", _make_julian))
register(Converter("date_dmy", "timestamp from dd/mm/yyyy", "Day first: 31/01/2024 → 2024-01-31.",
                   "timestamp", _make_dayfirst(True)))
register(Converter("date_mdy", "timestamp from mm/dd/yyyy", "Month first: 01/31/2024 → 2024-01-31.",
                   "timestamp", _make_dayfirst(False)))


# --- json, uuid, bytes -------------------------------------------------------

def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _make_json(_opts: dict[str, Any]) -> Convert:
    def conv(v: Any) -> str:
        if isinstance(v, bytes):
            try:
                v = v.decode("utf-8")
            except UnicodeDecodeError:
                raise Reject("blob is not UTF-8 JSON") from None
        if isinstance(v, int | float):
            if isinstance(v, float) and not math.isfinite(v):
                raise Reject("infinite numbers are not JSON")
            return json.dumps(v)
        if "\x00" in v or "\\u0000" in v:
            raise Reject("contains NUL, which jsonb cannot hold")
        try:
            json.loads(v, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise Reject("not valid JSON") from None
        if has_surrogates(v):
            raise Reject("not valid UTF-8")
        return v

    return conv


def _make_uuid(_opts: dict[str, Any]) -> Convert:
    def conv(v: Any) -> uuid.UUID:
        try:
            if isinstance(v, bytes) and len(v) == 16:
                return uuid.UUID(bytes=v)
            return uuid.UUID(_text_of(v).strip())
        except (ValueError, Reject):
            raise Reject("not a UUID") from None

    return conv


def _make_bytea(_opts: dict[str, Any]) -> Convert:
    def conv(v: Any) -> bytes:
        if isinstance(v, bytes):
            return v
        if isinstance(v, str):
            return v.encode("utf-8", "surrogateescape")
        if isinstance(v, float):
            return repr(v).encode()
        return str(v).encode()

    return conv


register(Converter("json", "jsonb", "Valid JSON text (objects, arrays and scalars) → jsonb.",
                   "jsonb", _make_json))
register(Converter("uuid", "uuid", "UUID text or 16-byte blobs → uuid.", "uuid", _make_uuid))
register(Converter("bytea", "bytea", "Bytes exactly as stored; text is stored as its UTF-8 bytes.",
                   "bytea", _make_bytea))


# Which converters make sense for which PostgreSQL type, best first: drives the picker.
BY_TARGET: dict[str, list[str]] = {
    "bigint": ["integer"],
    "integer": ["integer"],
    "smallint": ["integer"],
    "json": ["json"],
    "double precision": ["real"],
    "numeric": ["numeric", "numeric_loose"],
    "boolean": ["boolean"],
    "timestamp": ["timestamp", "julian", "date_dmy", "date_mdy"],
    "timestamptz": ["timestamptz", "epoch"],
    "date": ["date"],
    "jsonb": ["json"],
    "uuid": ["uuid"],
    "bytea": ["bytea"],
    "interval": ["interval"],
    "time": ["time"],
    "timetz": ["timetz"],
    "inet": ["inet"],
    "cidr": ["cidr"],
    "text": ["text", "text_clean", "varchar"],
    "varchar": ["varchar", "text", "text_clean"],
    "citext": ["text", "text_clean"],
}


def base_type(pg_type: str) -> str:
    """'varchar(20)' → 'varchar', 'numeric(10,2)' → 'numeric'."""
    return pg_type.split("(")[0].strip().lower()


def converters_for(pg_type: str) -> list[str]:
    return BY_TARGET.get(base_type(pg_type), ["text"])


def target_type(name: str, options: dict[str, Any] | None, current: str) -> str:
    """The PostgreSQL type a converter choice gives a column, keeping ``current`` where the
    converter produces it (integer or numeric(10,2) rather than the generic target)."""
    if name == "varchar":
        return f"varchar({int((options or {}).get('length', 255))})"
    if name in converters_for(current) and base_type(current) != "varchar":
        return current
    return get(name).target


# Converters for the types an application's schema declares (interval, time, inet, …): their
# own module, registered here so that importing this one gives the whole registry.
from sqlite2pg_tui.core.values.converters_pgtypes import (  # noqa: E402, F401
    TYPE_LIMITS,
    fit_numeric,
    type_options,
)

