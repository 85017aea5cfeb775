"""Converters for the PostgreSQL types an application's own schema declares.

A data-only load takes each column's type from the table the application's migrations
made, so the converter follows that type: Django keeps a DurationField as bigint
microseconds in SQLite and `interval` in PostgreSQL, SQLAlchemy an Interval as a DATETIME
offset from 1970-01-01; times, IP addresses and exact decimals arrive as text or numbers.
Registered into :mod:`converters` (imported at its end), so the registry stays one place.
"""

from __future__ import annotations

import ipaddress
import math
import re
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlite2pg_tui.core.values.converters import (
    EPOCH_DIVISOR,
    INT64_MAX,
    INT64_MIN,
    Convert,
    Converter,
    Reject,
    parse_iso,
    register,
)

# --- interval ---------------------------------------------------------------

_EPOCH_NAIVE = datetime(1970, 1, 1)
_INT_TEXT = re.compile(r"^\s*[+-]?\d+\s*$")


def _micro_duration(micro: int) -> timedelta:
    # The count Django keeps is a signed 64-bit integer; anything outside is no duration the
    # application wrote, and PostgreSQL (17+) reserves the extremes for ±infinity.
    if not INT64_MIN < micro <= INT64_MAX:
        raise Reject("outside the range of a duration (64-bit microseconds)")
    try:
        return timedelta(microseconds=micro)
    except OverflowError:
        raise Reject("outside the range of a duration") from None


def _make_interval(opts: dict[str, Any]) -> Convert:
    per_unit = 1_000_000 // EPOCH_DIVISOR[opts.get("unit", "us")]

    def conv(v: Any) -> timedelta:
        if type(v) is int:
            return _micro_duration(v * per_unit)
        if isinstance(v, float):
            if not math.isfinite(v):
                raise Reject("infinite or NaN, not a duration")
            micro = Decimal(repr(v)) * per_unit  # the decimal the REAL shows, not its binary
            if micro != micro.to_integral_value():
                raise Reject("has a fraction of a microsecond, which interval would round")
            return _micro_duration(int(micro))
        if isinstance(v, str):
            if _INT_TEXT.match(v):
                return _micro_duration(int(v) * per_unit)
            # SQLAlchemy's Interval on SQLite: the DATETIME 1970-01-01 plus the duration.
            try:
                dt, _, has_off = parse_iso(v)
            except ValueError:
                raise Reject("neither a number of microseconds nor a 1970-01-01-based "
                             "date/time offset") from None
            if has_off:
                dt = dt.astimezone(UTC).replace(tzinfo=None)
            return dt - _EPOCH_NAIVE
        raise Reject("a blob, not a duration")

    return conv


def interval_text(v: timedelta) -> str:
    """The form psycopg2 (and so Django) writes a timedelta in: days and seconds kept apart."""
    return f"{v.days} days {v.seconds}.{v.microseconds:06d} seconds"


register(Converter(
    "interval", "interval from microseconds",
    "Durations: integer microseconds (Django's DurationField; unit option s/ms/us) or a "
    "date/time offset from 1970-01-01 (SQLAlchemy's Interval) → interval.",
    "interval", _make_interval, options={"unit": "us"}))


# --- time of day --------------------------------------------------------------

_TIME_RE = re.compile(
    r"^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$", re.I)


def _parse_time(v: Any, with_zone: bool) -> time:
    if not isinstance(v, str):
        raise Reject("not a time-of-day text")
    m = _TIME_RE.match(v)
    if not m:
        raise Reject("not a time of day (HH:MM[:SS[.ffffff]])")
    hh, mi, ss, frac, off = m.groups()
    if off and not with_zone:
        raise Reject("has a UTC offset; the column would need timetz")
    frac = frac or "0"
    if len(frac) > 6 and frac[6:].strip("0"):
        raise Reject("finer than microseconds, which PostgreSQL would round")
    tz = None
    if with_zone:
        tz = UTC
        if off and off.upper() != "Z":
            digits = off[1:].replace(":", "")
            minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
            tz = timezone((-1 if off[0] == "-" else 1) * timedelta(minutes=minutes))
    try:
        return time(int(hh), int(mi), int(ss or 0), int(frac[:6].ljust(6, "0")), tz)
    except ValueError as e:
        raise Reject(f"impossible time ({e})") from None


register(Converter("time", "time from text", "Text like 08:30, 08:30:00 or 08:30:00.25 → time.",
                   "time", lambda _o: lambda v: _parse_time(v, False)))
register(Converter("timetz", "timetz from text",
                   "Text like 08:30:00+02:00 → timetz; no offset means UTC.",
                   "timetz", lambda _o: lambda v: _parse_time(v, True)))


# --- network addresses --------------------------------------------------------

def _address_text(v: Any) -> str:
    if not isinstance(v, str):
        raise Reject("not an IP address text")
    s = v.strip()
    if "%" in s:
        raise Reject("an IPv6 zone (%…) that PostgreSQL cannot hold")
    return s


def _make_inet(_opts: dict[str, Any]) -> Convert:
    def conv(v: Any) -> str:
        try:
            iface = ipaddress.ip_interface(_address_text(v))
        except ValueError:
            raise Reject("not an IP address") from None
        # PostgreSQL prints a host address without its /32 (/128); so do we, for comparing.
        if iface.network.prefixlen == iface.max_prefixlen:
            return str(iface.ip)
        return str(iface)

    return conv


def _make_cidr(_opts: dict[str, Any]) -> Convert:
    def conv(v: Any) -> str:
        s = _address_text(v)
        try:
            return str(ipaddress.ip_network(s, strict=True))
        except ValueError as e:
            if "host bits" in str(e):
                raise Reject("has bits set to the right of the mask, which cidr refuses") from None
            raise Reject("not an IP network") from None

    return conv


register(Converter("inet", "inet", "IPv4/IPv6 addresses, with an optional /mask → inet.", "inet",
                   _make_inet))
register(Converter("cidr", "cidr", "IPv4/IPv6 networks like 10.0.0.0/8 → cidr.", "cidr", _make_cidr))


# --- exact decimals -------------------------------------------------------------

def fit_numeric(d: Decimal, precision: int | None, scale: int | None) -> Decimal:
    """``d`` as numeric(precision, scale) holds it, or Reject: never rounded silently."""
    if precision is None:
        return d
    scale = scale or 0
    if not d.is_finite():
        raise Reject(f"numeric({precision},{scale}) cannot hold {d}")
    try:
        q = d.quantize(Decimal(1).scaleb(-scale))
    except InvalidOperation:
        raise Reject(f"too large for numeric({precision},{scale})") from None
    if q != d:
        raise Reject(f"has more than {scale} decimal place(s); numeric({precision},{scale}) "
                     "would round it")
    if q.adjusted() >= precision - scale:
        raise Reject(f"too large for numeric({precision},{scale}) "
                     f"(at most {precision - scale} digit(s) before the point)")
    return q


_NUMERIC_TYPE = re.compile(r"^\s*(?:numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\)\s*$", re.I)
_VARCHAR_TYPE = re.compile(
    r"^\s*(?:varchar|character varying|char|character|bpchar)\s*\(\s*(\d+)\s*\)\s*$", re.I)
_INT_RANGE = {"integer": 32, "int": 32, "int4": 32, "smallint": 16, "int2": 16}
# The options a type imposes (below); a new type replaces all of them.
TYPE_LIMITS = ("length", "precision", "scale", "min", "max")


def type_options(converter: str, pg_type: str) -> dict[str, Any]:
    """The options a column's PostgreSQL type imposes on its converter: varchar's (char's)
    length, integer's and smallint's range, numeric's precision and scale. Empty when the
    type has none."""
    if converter in ("varchar", "text", "text_clean"):  # all three take a length limit
        m = _VARCHAR_TYPE.match(pg_type)
        return {"length": int(m.group(1))} if m else {}
    if converter == "integer" and pg_type.strip().lower() in _INT_RANGE:
        bits = _INT_RANGE[pg_type.strip().lower()]
        return {"min": -(2 ** (bits - 1)), "max": 2 ** (bits - 1) - 1}
    if converter in ("numeric", "numeric_loose"):
        m = _NUMERIC_TYPE.match(pg_type)
        return {"precision": int(m.group(1)), "scale": int(m.group(2) or 0)} if m else {}
    return {}
