"""The checksum's canonical text: PostgreSQL (in SQL) and Python (from converted values) must
write exactly the same text for the same value, or every clean table would "differ".

Each value goes the copy's way into a real PostgreSQL column (converter, COPY text), then
the column's canonical SQL expression is read back and compared with Python's form; the
column-at-a-time fast formatters must agree with the one-value-at-a-time route too."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from typing import Any

import psycopg2
import psycopg2.extensions
import pytest
from psycopg2 import sql

from sqlite2pg_tui.core.plan.mapping import ColumnMapping
from sqlite2pg_tui.core.values import canonical, converters
from sqlite2pg_tui.core.values.copy_format import copy_text

CASES: dict[tuple[str, str], list[Any]] = {
    ("integer", "bigint"): [0, -1, 2**63 - 1, -(2**63), " 12 ", 3.0, "1e3"],
    ("integer", "numeric(6,2)"): [5, -3],
    ("integer", "double precision"): [5, 2**53 + 1],
    ("boolean", "boolean"): [0, 1, "yes", "F", " on "],
    ("real", "double precision"): [0.1, -0.0, 1e15, 1e16, 100, 5e-324, 1.7976931348623157e308,
                                   "inf", "-inf", "nan", 123456789012345678, 2**60 + 1],
    ("real", "real"): [0.1, 1e38, 1.0000001, 16777217],
    ("numeric", "numeric"): [0, "1.50", "-0", "-0.00", "1e2", "1E-7", "1.5e1", 0.1, 1e16, 123.456,
                             "NaN", "12345678901234567890.123456789", 7, "inf"],
    ("numeric", "numeric(10,2)"): ["1.005", "-1.005", "2.5", 3, 0.125, "-0.001", "99999999.994"],
    ("numeric", "numeric(5)"): ["2.5", "-2.5", "3.4999"],
    ("text", "text"): ["", "a|b", "é😀", "tab\there\nnl\\bs", "3:x|y", 12, 1.5, 1e20],
    ("text", "varchar(10)"): ["abc", "  x  "],
    ("text", "char(5)"): ["ab", "ab  ", ""],
    ("timestamp", "timestamp"): ["2024-01-01", "2024-01-01 10:11:12", "2024-01-01T10:11:12.500",
                                 "2024-01-01T10:11:12.000000", "2024-01-01 10:11:12.123456789",
                                 "0999-12-31 23:59:59", "2024-02-29T00:00:00Z",
                                 "2024-01-01 10:00:00+00:00", "2024-01-01 10:00", "2024-01-01Z"],
    ("timestamp", "timestamp(0)"): ["2024-01-01 10:11:12.5", "1999-12-31 23:59:59.5",
                                    "2024-01-01 23:59:59.9"],
    ("timestamp", "timestamp(3)"): ["2024-01-01 10:11:12.0005", "1999-12-31 23:59:59.0005"],
    ("timestamptz", "timestamptz"): ["2024-01-01", "2024-01-01 10:11:12+05:30",
                                     "2024-01-01T10:11:12.25-08:00", "2024-06-01 10:00:00Z"],
    ("epoch", "timestamptz"): [0, 1700000000, -1, 1700000000.123456, "1700000000"],
    ("julian", "timestamp"): [2460000.5, 2440587.5, 2451545.0000001],
    ("date", "date"): ["2024-01-31", "0001-01-01", "2024-01-31 00:00:00"],
    ("timestamp", "date"): ["2024-01-31 10:00:00"],
    ("json", "jsonb"): [
        '{"b":1,"a":[1,2.50,{"zz":null,"y":"\\u00e9\\n\\u0001"}], "aaa": 1e2, "x": 1.0e-7, '
        '"é": -0, "ab": -0.0}',
        '"x"', "5", "[]", "{}", '{"a":1,"a":2}', "1E+2", "-1.5E-3", '{"k": "\\u2028\\u007f\\"\\\\/"}',
        12, 1.5, '{"éa": 1, "ab": 2, "b": 3}', "123456789012345678901234567890", ' {"a": 1} '],
    ("json", "json"): ['{"b": 1,  "a":2}'],
    ("text", "jsonb"): ['{"b": 1,  "a":2}'],
    ("uuid", "uuid"): ["A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
                       b"\x00" * 16],
    ("bytea", "bytea"): [b"", b"\x00\xff", "é", 12],
}


@pytest.fixture(scope="module")
def cur(pg_server_dsn: str) -> Iterator[psycopg2.extensions.cursor]:
    # Read-only on the session's server: temporary tables only.
    conn = psycopg2.connect(pg_server_dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as c:
            c.execute(canonical.PG_SESSION)
            yield c
    finally:
        conn.close()


def _pg_canonical(cur: psycopg2.extensions.cursor, pg_type: str, values: list[Any],
                  kind: canonical.Kind) -> list[str | None]:
    cur.execute(f"DROP TABLE IF EXISTS pg_temp.canon; CREATE TEMP TABLE canon (i int, c {pg_type})")
    cur.copy_expert("COPY pg_temp.canon FROM STDIN",
                    io.StringIO("".join(f"{i}\t{copy_text(v)}\n" for i, v in enumerate(values))))
    cur.execute(sql.SQL("SELECT {} FROM pg_temp.canon ORDER BY i").format(canonical.pg_expr("c", kind)))
    return [r[0] for r in cur.fetchall()]


@pytest.mark.parametrize(("converter", "pg_type"), list(CASES))
def test_python_writes_what_postgresql_writes(cur: psycopg2.extensions.cursor, converter: str,
                                              pg_type: str) -> None:
    cm = ColumnMapping("c", "c", "", pg_type, converter)
    kind = canonical.supports(cm)
    assert kind is not None
    fn = converters.build(converter, {})
    converted = [fn(v) for v in CASES[(converter, pg_type)]]
    got = _pg_canonical(cur, pg_type, converted, kind)
    expected = [canonical.canon(kind)(v) for v in converted]
    assert expected == got
    fast = canonical.fast_formatter(cm, kind, lossless=False)
    for raw, want in zip(CASES[(converter, pg_type)], expected, strict=True):
        out = fast([raw, None]) if fast else None
        assert out is None or out == [want, ""], (raw, out, want)


def test_types_without_a_form_are_left_out() -> None:
    for pg_type in ("interval", "int[]", "inet", "point"):
        assert canonical.supports(ColumnMapping("c", "c", "", pg_type, "text")) is None
    # A converter whose values a type cannot take the same way is left out too.
    assert canonical.supports(ColumnMapping("c", "c", "", "bigint", "boolean")) is None


def _slow(cm: ColumnMapping, kind: canonical.Kind, col: list[Any]) -> list[str] | None:
    fn, can = converters.build(cm.converter, cm.options), canonical.canon(kind)
    out = []
    for v in col:
        if v is None:
            out.append("")
            continue
        try:
            out.append(can(fn(v)))
        except converters.Reject:
            return None
    return out


@pytest.mark.parametrize(("converter", "pg_type", "make"), [
    ("timestamp", "timestamp", lambda r: f"20{r.randint(10, 39)}-{r.randint(1, 12):02d}-"
     f"{r.randint(1, 31):02d}{r.choice(' T')}{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:"
     f"{r.randint(0, 59):02d}"),
    ("timestamptz", "timestamptz", lambda r: f"2024-02-{r.randint(27, 30):02d} 10:00:00"
     + r.choice(["", "Z", "+00:00", ".5"])),
    ("json", "jsonb", lambda r: r.choice(['{"n": %d, "w": "x"}', '{"w": "y", "n": %d}', '{"n":%d}',
                                          '{"n": %d.50, "w": "\\u00e9"}']) % r.randint(-5, 5)),
    ("real", "double precision", lambda r: r.choice([r.random() * 1e6, r.randint(-9, 9)])),
    ("text", "text", lambda r: r.choice(["plain", "a|b", "tab\tx", "", "日本"])),
])
def test_fast_batches_agree_with_value_by_value(converter: str, pg_type: str, make: Any) -> None:
    """Batch formatters take whole columns (one regex over a joined batch, bulk struct.pack);
    whatever they accept must come out exactly as the converter route writes it."""
    rng = random.Random(7)
    cm = ColumnMapping("c", "c", "", pg_type, converter)
    kind = canonical.supports(cm)
    assert kind is not None
    fast = canonical.fast_formatter(cm, kind, lossless=False)
    assert fast is not None
    accepted = 0
    for _ in range(300):
        col = [None if rng.random() < 0.1 else make(rng) for _ in range(rng.randint(1, 12))]
        got = fast(col)
        want = _slow(cm, kind, col)
        if got is not None:
            accepted += 1
            assert got == want, col
    assert accepted > 30  # the fast path is taken, not always refused
