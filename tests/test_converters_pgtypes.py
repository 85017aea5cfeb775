"""Converters for the types an application's schema declares: values, misfits, and a round
trip through a real PostgreSQL column (what COPY is sent reads back as the converter said)."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import psycopg2.extensions
import pytest

from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.core.values.converters import Reject
from sqlite2pg_tui.core.values.copy_format import copy_text


def conv(name: str, value: Any, **options: Any) -> Any:
    return converters.build(name, options)(value)


def reason(name: str, value: Any, **options: Any) -> str:
    with pytest.raises(Reject) as info:
        conv(name, value, **options)
    return info.value.reason


# --- interval -------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (1_500_000, timedelta(seconds=1.5)),                        # Django: bigint microseconds
    (-1, timedelta(microseconds=-1)),
    ("86400000000", timedelta(days=1)),
    (9 * 10**18, timedelta(seconds=9 * 10**12)),                # 9e12 s: large, but a duration
    (2**63 - 1, timedelta(microseconds=2**63 - 1)),
    ("1970-01-01 00:00:05.000000", timedelta(seconds=5)),        # SQLAlchemy's Interval
    ("1970-01-02 01:00:00", timedelta(days=1, hours=1)),
    ("1969-12-31 23:59:55.000000", timedelta(seconds=-5)),
    (2.0, timedelta(microseconds=2)),
])
def test_interval_values(value: Any, expected: timedelta) -> None:
    assert conv("interval", value) == expected


def test_interval_units() -> None:
    assert conv("interval", 90, unit="s") == timedelta(minutes=1, seconds=30)
    assert conv("interval", 1500, unit="ms") == timedelta(seconds=1.5)
    assert conv("interval", 0.3, unit="s") == timedelta(seconds=0.3)


@pytest.mark.parametrize("value", [
    -(2**63), 2**63, "9223372036854775808", float(2**63), 9e12 * 1e7, 1e300,
    float("inf"), float("nan"), 2.5, "soon", "1 day", b"\x00", 10**30,
])
def test_interval_out_of_range_is_a_reject_not_a_traceback(value: Any) -> None:
    assert reason("interval", value)


def test_interval_seconds_overflow_rejected() -> None:
    assert "range" in reason("interval", 9 * 10**13, unit="s")   # 9e13 s > 2^63 µs


# --- time, timetz ---------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("08:30", time(8, 30)), ("08:30:00", time(8, 30)), ("23:59:59.999999", time(23, 59, 59, 999999)),
    ("8:05:01.5", time(8, 5, 1, 500000)), (" 00:00:00 ", time(0)),
])
def test_time_values(value: str, expected: time) -> None:
    assert conv("time", value) == expected


@pytest.mark.parametrize(("value", "why"), [
    ("25:00", "impossible"), ("12:61", "impossible"), ("noon", "not a time"),
    ("08:30:00+02:00", "timetz"), (830, "not a time"), ("08:30:00.1234567", "microseconds"),
])
def test_time_misfits(value: Any, why: str) -> None:
    assert why in reason("time", value)


def test_timetz_values() -> None:
    assert conv("timetz", "08:30:00+02:00") == time(8, 30, tzinfo=timezone(timedelta(hours=2)))
    assert conv("timetz", "08:30:00-0530") == time(8, 30, tzinfo=timezone(-timedelta(hours=5, minutes=30)))
    assert conv("timetz", "08:30") == time(8, 30, tzinfo=UTC)


# --- inet, cidr -------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("192.0.2.1", "192.0.2.1"), ("192.0.2.1/32", "192.0.2.1"), ("192.0.2.1/24", "192.0.2.1/24"),
    ("2001:db8::1", "2001:db8::1"), ("2001:0DB8:0000::0001", "2001:db8::1"),
])
def test_inet_values(value: str, expected: str) -> None:
    assert conv("inet", value) == expected


@pytest.mark.parametrize("value", ["300.1.1.1", "localhost", "fe80::1%eth0", "1.2.3.4/33", 17])
def test_inet_misfits(value: Any) -> None:
    assert reason("inet", value)


def test_cidr() -> None:
    assert conv("cidr", "10.0.0.0/8") == "10.0.0.0/8"
    assert conv("cidr", "10.1.2.3") == "10.1.2.3/32"
    assert "mask" in reason("cidr", "10.1.2.3/8")


# --- uuid from Django's char(32), jsonb scalars, timestamptz from naive UTC --------------------

def test_uuid_from_hex_and_dashed() -> None:
    u = uuid.UUID("0123456789abcdef0123456789abcdef")
    assert conv("uuid", "0123456789abcdef0123456789abcdef") == u
    assert conv("uuid", str(u)) == u
    assert reason("uuid", "0123456789abcdef0123456789abcde") == "not a UUID"


@pytest.mark.parametrize("value", ['"text"', "1", "1.5", "true", "null", '{"a": [1, 2]}', 3, 2.5])
def test_jsonb_accepts_scalars(value: Any) -> None:
    assert conv("json", value) is not None


def test_jsonb_misfits() -> None:
    assert reason("json", "plain words") == "not valid JSON"
    assert reason("json", "NaN") == "not valid JSON"


def test_timestamptz_from_naive_utc_text() -> None:
    assert conv("timestamptz", "2024-01-01 10:00:00") == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert conv("timestamptz", "2024-01-01T12:00:00+02:00") == datetime(2024, 1, 1, 10, tzinfo=UTC)


# --- numeric(p,s) ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (12.5, Decimal("12.50")), ("98206560.06", Decimal("98206560.06")), (3, Decimal("3.00")),
    ("-0.01", Decimal("-0.01")), (99999999.99, Decimal("99999999.99")), ("1.500", Decimal("1.50")),
])
def test_numeric_exact(value: Any, expected: Decimal) -> None:
    got = conv("numeric", value, precision=10, scale=2)
    assert got == expected and got.as_tuple().exponent == -2


@pytest.mark.parametrize(("value", "why"), [
    ("1.005", "decimal place"), (0.1 + 0.2, "decimal place"), (100000000, "too large"),
    ("123456789.5", "too large"), (float("inf"), "cannot hold"), ("abc", "not a number"),
    ("1e400000000", "too large"),
])
def test_numeric_misfits_are_never_rounded(value: Any, why: str) -> None:
    assert why in reason("numeric", value, precision=10, scale=2)


def test_numeric_loose_keeps_precision() -> None:
    assert conv("numeric_loose", "$1,234.50", precision=6, scale=2) == Decimal("1234.50")
    assert "too large" in reason("numeric_loose", "$12,345.50", precision=6, scale=2)


def test_type_options_from_the_column_type() -> None:
    assert converters.type_options("numeric", "numeric(10,2)") == {"precision": 10, "scale": 2}
    assert converters.type_options("numeric", "numeric") == {}
    assert converters.type_options("varchar", "varchar(39)") == {"length": 39}
    assert converters.type_options("text", "character varying(5)") == {"length": 5}
    assert converters.type_options("text", "text") == {}
    assert converters.converters_for("interval") == ["interval"]
    assert converters.converters_for("time") == ["time"]


# --- round trip through PostgreSQL -----------------------------------------------------------------

@pytest.mark.parametrize(("pg_type", "name", "value", "options"), [
    ("interval", "interval", 9 * 10**18, {}),
    ("interval", "interval", -1, {}),
    ("interval", "interval", "1969-12-31 23:59:55.000000", {}),
    ("time", "time", "08:30", {}),
    ("timetz", "timetz", "08:30:00+02:00", {}),
    ("inet", "inet", "192.0.2.1", {}),
    ("inet", "inet", "2001:db8::1/64", {}),
    ("cidr", "cidr", "10.0.0.0/8", {}),
    ("numeric(10,2)", "numeric", 12.5, {"precision": 10, "scale": 2}),
    ("uuid", "uuid", "0123456789abcdef0123456789abcdef", {}),
    ("timestamptz", "timestamptz", "2024-01-01 10:00:00", {}),
])
def test_round_trip(pg_conn: psycopg2.extensions.connection, pg_type: str, name: str, value: Any,
                    options: dict[str, Any]) -> None:
    got = converters.build(name, options)(value)
    with pg_conn.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE rt (v {pg_type})")
        cur.copy_expert("COPY rt (v) FROM STDIN", io.StringIO(copy_text(got) + "\n"))
        cur.execute("SELECT v FROM rt")
        back = cur.fetchone()[0]
    assert back == got or str(back) == str(got), (back, got)


def test_integer_range_of_the_column_type() -> None:
    opts = converters.type_options("integer", "integer")
    assert opts == {"min": -(2**31), "max": 2**31 - 1}
    assert conv("integer", 2**31 - 1, **opts) == 2**31 - 1
    assert "range" in reason("integer", 2**31, **opts)
    assert "range" in reason("integer", "-40000", **converters.type_options("integer", "smallint"))
    assert converters.type_options("integer", "bigint") == {}
    assert converters.type_options("text", "character(3)") == {"length": 3}
