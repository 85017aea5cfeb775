"""Dates and times: ISO 8601 text, Unix time, Julian day numbers, dd/mm/yyyy and mm/dd/yyyy."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlite2pg_tui.core.values import vectors
from sqlite2pg_tui.core.values.converters.base import (
    Convert,
    Converter,
    Reject,
    SqlForm,
    StoredNumber,
    register,
    text_of,
)
from sqlite2pg_tui.core.values.pgtype import PgType

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


def _iso_or_reject(v: Any) -> tuple[datetime, bool, bool]:
    s = text_of(v)
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


DMY_RE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")


def _make_dayfirst(day_first: bool) -> Callable[[dict[str, Any]], Convert]:
    def make(_opts: dict[str, Any]) -> Convert:
        def conv(v: Any) -> datetime:
            m = DMY_RE.match(text_of(v))
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


# --- vectorized forms -------------------------------------------------------------------

def _iso_vector(kind: str) -> Callable[[dict[str, Any], PgType], vectors.Form | None]:
    def form(opts: dict[str, Any], pg: PgType) -> vectors.Form | None:
        if pg.name != kind or pg.array:
            return None
        if kind == "date":
            return vectors.Form("text", lambda: vectors.pyarrow().date32(), vectors.stamp(None, True))
        if kind == "timestamptz":
            if opts.get("assume", "UTC") != "UTC":
                return None
            return vectors.Form("text", lambda: vectors.pyarrow().timestamp("us", tz="UTC"), vectors.stamp("UTC"))
        return vectors.Form("text", lambda: vectors.pyarrow().timestamp("us"), vectors.stamp(None))

    return form


def _epoch_vector(opts: dict[str, Any], pg: PgType) -> vectors.Form | None:
    if pg.name != "timestamptz" or pg.array:
        return None
    per = EPOCH_DIVISOR[opts.get("unit", "s")]
    return vectors.Form("integer", lambda: vectors.pyarrow().timestamp("us", tz="UTC"),
                        vectors.micro_stamp(per, "UTC"))


def _julian_vector(_opts: dict[str, Any], pg: PgType) -> vectors.Form | None:
    if pg.name != "timestamp" or pg.array:
        return None
    return vectors.Form("real", lambda: vectors.pyarrow().timestamp("us"), vectors.julian_stamp(JULIAN_UNIX_EPOCH))


def _dayfirst_vector(first: bool) -> Callable[[dict[str, Any], PgType], vectors.Form | None]:
    def form(_opts: dict[str, Any], pg: PgType) -> vectors.Form | None:
        if pg.name != "timestamp" or pg.array:
            return None
        return vectors.Form("text", lambda: vectors.pyarrow().timestamp("us"), vectors.day_first(first))

    return form


register(Converter("timestamp", "timestamp from ISO 8601",
                   "Text like 2024-01-31 12:00:00 or 2024-01-31T12:00:00.5Z (UTC) → timestamp.",
                   "timestamp", _make_timestamp, alters=True, changed=sub_microsecond,
                   fits={"timestamp": 0}, check="instant", rounds_only=True,
                   vector=_iso_vector("timestamp"), canonical="iso_stamp", profile_dirt="parses"))
register(Converter("timestamptz", "timestamptz from ISO 8601",
                   "ISO 8601 text with offsets → timestamptz; no offset means UTC.",
                   "timestamptz", _make_timestamptz, alters=True, changed=sub_microsecond,
                   fits={"timestamptz": 0}, check="instant", rounds_only=True,
                   vector=_iso_vector("timestamptz"), canonical="iso_stamp", profile_dirt="parses"))
register(Converter("date", "date from ISO 8601", "Text like 2024-01-31 → date.", "date", _make_date,
                   fits={"date": 0}, check="instant", vector=_iso_vector("date"),
                   canonical="iso_date", profile_dirt="parses"))
register(Converter("epoch", "timestamptz from Unix time",
                   "Seconds, milliseconds or microseconds since 1970-01-01 UTC → timestamptz.",
                   "timestamptz", _make_epoch, options={"unit": "s"}, fits={"timestamptz": 1},
                   edits=("unit",), check="stored_number", measured_by="integer",
                   sql=SqlForm(number=StoredNumber(
                       "unixepoch", multiplier=lambda o: EPOCH_DIVISOR.get(str(o.get("unit", "s")), 1))),
                   vector=_epoch_vector))
register(Converter("julian", "timestamp from Julian day", "Julian day numbers (julianday()) → timestamp.",
                   "timestamp", _make_julian, fits={"timestamp": 1}, check="stored_number",
                   measured_by="real",
                   sql=SqlForm(number=StoredNumber("julianday", divisor="86400.0",
                                                   offset=JULIAN_UNIX_EPOCH)),
                   vector=_julian_vector))
register(Converter("date_dmy", "timestamp from dd/mm/yyyy", "Day first: 31/01/2024 → 2024-01-31.",
                   "timestamp", _make_dayfirst(True), fits={"timestamp": 2},
                   vector=_dayfirst_vector(True), profile_dirt="parses"))
register(Converter("date_mdy", "timestamp from mm/dd/yyyy", "Month first: 01/31/2024 → 2024-01-31.",
                   "timestamp", _make_dayfirst(False), fits={"timestamp": 3},
                   vector=_dayfirst_vector(False), profile_dirt="parses"))
