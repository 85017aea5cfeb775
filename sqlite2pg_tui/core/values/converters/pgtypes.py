"""Converters for the PostgreSQL types an application's own schema declares.

A data-only load takes each column's type from the table the application's migrations
made, so the converter follows that type: Django keeps a DurationField as bigint
microseconds in SQLite and `interval` in PostgreSQL, SQLAlchemy an Interval as a DATETIME
offset from 1970-01-01; times, IP addresses and exact decimals arrive as text or numbers.
Each converter's per-value form writes what psycopg2 would; the vectorized forms write
PostgreSQL's binary form of the same value (vectors.py).
"""

from __future__ import annotations

import ipaddress
import math
import re
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlite2pg_tui.core.values import vectors
from sqlite2pg_tui.core.values.converters.base import (
    INT64_MAX,
    INT64_MIN,
    Convert,
    Converter,
    Reject,
    get,
    register,
)
from sqlite2pg_tui.core.values.converters.numbers import INT_TEXT
from sqlite2pg_tui.core.values.converters.times import EPOCH_DIVISOR, parse_iso
from sqlite2pg_tui.core.values.pgtype import PgType


def _binary(name: str, opts: dict[str, Any], pg: PgType, storage: str,
            encode: Any) -> vectors.Form | None:
    """A per-value form writing the converter's own type (``name``) in its binary form."""
    if pg.name != name or pg.array:
        return None
    return vectors.per_value(get(name), opts, storage, lambda: vectors.pyarrow().binary(), encode)


# --- interval ---------------------------------------------------------------

_EPOCH_NAIVE = datetime(1970, 1, 1)


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
            if INT_TEXT.match(v):
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


register(Converter(
    "interval", "interval from microseconds",
    "Durations: integer microseconds (Django's DurationField; unit option s/ms/us) or a "
    "date/time offset from 1970-01-01 (SQLAlchemy's Interval) → interval.",
    "interval", _make_interval, options={"unit": "us"}, fits={"interval": 0},
    vector=lambda o, pg: _binary("interval", o, pg, "integer", vectors.interval_binary)))


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


def _time_vector(_opts: dict[str, Any], pg: PgType) -> vectors.Form | None:
    if pg.name != "time" or pg.array:
        return None
    return vectors.Form("text", lambda: vectors.pyarrow().time64("us"), vectors.clock)


register(Converter("time", "time from text", "Text like 08:30, 08:30:00 or 08:30:00.25 → time.",
                   "time", lambda _o: lambda v: _parse_time(v, False), fits={"time": 0},
                   vector=_time_vector))
register(Converter("timetz", "timetz from text",
                   "Text like 08:30:00+02:00 → timetz; no offset means UTC.",
                   "timetz", lambda _o: lambda v: _parse_time(v, True), fits={"timetz": 0},
                   vector=lambda o, pg: _binary("timetz", o, pg, "text", vectors.timetz_binary)))


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
                   _make_inet, fits={"inet": 0},
                   vector=lambda o, pg: _binary("inet", o, pg, "text", vectors.inet_binary)))
register(Converter("cidr", "cidr", "IPv4/IPv6 networks like 10.0.0.0/8 → cidr.", "cidr", _make_cidr,
                   fits={"cidr": 0},
                   vector=lambda o, pg: _binary("cidr", o, pg, "text", vectors.cidr_binary)))
