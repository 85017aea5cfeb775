"""Types come from the data: each SQLite storage class lands in the PostgreSQL type it
needs, and values come back exactly (checked in information_schema and by reading them)."""

from __future__ import annotations

import json
import math
import random
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2.extensions
import pytest
from helpers import (
    edit_mapping,
    isolate_environment,
    make_sqlite,
    migrate_cli,
    pg_columns,
    pg_count,
    pg_select,
    run_cli,
    table_report,
)

from sqlite2pg_tui.core.pipeline import RunOptions, run_migration


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


def _run(src: Path, dsn: str, tmp_path: Path) -> None:
    report = run_migration(str(src), dsn, options=RunOptions(reject_dir=str(tmp_path / "rj"),
                                                             sample=1000))
    assert report.ok, report.to_json()


def test_zero_one_columns_keep_their_declared_integer_type(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    """0/1 in an INTEGER column is the application's integer (its INSERTs write integers);
    only a column with no declared type becomes boolean from its data."""
    rows = [(1, 0, 1, 0, 5, 1), (2, 1, 1, 1, 0, 0), (3, None, 0, 1, 1, None)]
    src = make_sqlite(tmp_path / "b.db", "CREATE TABLE t(id INTEGER PRIMARY KEY, "
                      "paid INTEGER, is_admin INT, flag, n INTEGER, ok BOOLEAN);", {"t": rows})
    _run(src, pg_dsn, tmp_path)
    cols = pg_columns(pg_conn, "t")
    assert {c: cols[c]["data_type"] for c in ("paid", "is_admin", "flag", "n", "ok")} == {
        "paid": "bigint", "is_admin": "bigint", "flag": "boolean", "n": "bigint", "ok": "boolean"}
    assert pg_select(pg_conn, "t", ["paid", "is_admin", "flag", "n", "ok"], "id") == [
        (0, 1, False, 5, True), (1, 1, True, 0, False), (None, 0, True, 1, None)]


def test_zero_one_integer_becomes_boolean_when_the_suggestion_is_accepted(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        capsys: pytest.CaptureFixture[str]) -> None:
    src = make_sqlite(tmp_path / "b.db", "CREATE TABLE t(id INTEGER PRIMARY KEY, paid INTEGER);",
                      {"t": [(1, 0), (2, 1)]})
    mapping = tmp_path / "m.toml"
    assert run_cli(capsys, "plan", src, "-o", mapping, "--accept-suggestions").code == 0
    res = run_cli(capsys, "run", src, "--pg", pg_dsn, "--mapping", mapping,
                  "--reject-dir", tmp_path / "rj", "--quiet")
    assert res.code == 0, res.err
    assert pg_columns(pg_conn, "t")["paid"]["data_type"] == "boolean"
    assert pg_select(pg_conn, "t", ["paid"], "id") == [(False,), (True,)]


TS_NAIVE = ["2024-01-31 12:34:56", "2024-01-31T12:34:56", "2024-02-29 23:59:59.5",
            "2024-03-01T00:00:00.123456", "1999-12-31 00:00:00.000001"]
TS_OFFSET = ["2024-01-31T12:34:56Z", "2024-01-31 12:34:56+02:00", "2024-01-31T12:34:56.789-05:30",
             "2024-06-01T00:00:00.5z", "2024-06-01 10:00:00+0100", "2024-06-01 10:00:00+01"]


def test_iso_text_becomes_timestamp_or_timestamptz(tmp_path: Path, pg_dsn: str,
                                                   pg_conn: psycopg2.extensions.connection) -> None:
    rows = [(i, TS_NAIVE[i % len(TS_NAIVE)], TS_OFFSET[i]) for i in range(len(TS_OFFSET))]
    src = make_sqlite(tmp_path / "ts.db",
                      "CREATE TABLE ev(id INTEGER PRIMARY KEY, local_at TEXT, utc_at TEXT);",
                      {"ev": rows})
    _run(src, pg_dsn, tmp_path)
    cols = pg_columns(pg_conn, "ev")
    assert cols["local_at"]["data_type"] == "timestamp without time zone"
    assert cols["utc_at"]["data_type"] == "timestamp with time zone"
    got = pg_select(pg_conn, "ev", ["local_at", "utc_at"], "id")
    expected_naive = [datetime.fromisoformat(r[1]) for r in rows]
    assert [g[0] for g in got] == expected_naive  # fractional seconds kept to the microsecond
    expected_utc = [
        datetime(2024, 1, 31, 12, 34, 56, tzinfo=UTC),
        datetime(2024, 1, 31, 10, 34, 56, tzinfo=UTC),
        datetime(2024, 1, 31, 18, 4, 56, 789000, tzinfo=UTC),
        datetime(2024, 6, 1, 0, 0, 0, 500000, tzinfo=UTC),
        datetime(2024, 6, 1, 9, 0, 0, tzinfo=UTC),
        datetime(2024, 6, 1, 9, 0, 0, tzinfo=UTC),
    ]
    assert [g[1] for g in got] == expected_utc  # the same instants, whatever the offset
    assert all(g[1].utcoffset() == timedelta(0) for g in got)


def test_mixed_offsets_and_naive_become_timestamptz_taken_as_utc(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    rows = [(1, "2024-01-01T00:00:00+01:00"), (2, "2024-01-01 00:00:00")]
    src = make_sqlite(tmp_path / "mx.db", "CREATE TABLE t(id INTEGER PRIMARY KEY, at TEXT);",
                      {"t": rows})
    _run(src, pg_dsn, tmp_path)
    assert pg_columns(pg_conn, "t")["at"]["data_type"] == "timestamp with time zone"
    assert [r[0] for r in pg_select(pg_conn, "t", ["at"], "id")] == [
        datetime(2023, 12, 31, 23, tzinfo=UTC),
        datetime(2024, 1, 1, tzinfo=UTC)]


INTS = [0, 1, -1, 2**63 - 1, -(2**63), 2**31, -(2**31) - 1, 42]
REALS = [0.1 + 0.2, 1e300, -1e-300, 5e-324, 1.7976931348623157e308, 123456789.123456789,
         math.pi, -2.5, 1e999, -1e999, 3.0]


def test_integer_real_text_blob(tmp_path: Path, pg_dsn: str,
                                pg_conn: psycopg2.extensions.connection) -> None:
    rng = random.Random(7)
    blobs = [bytes(range(256)), b"", b"\x00", b"\\x41\\", b"\t\n\r\\N", rng.randbytes(5000),
             b"\xff\xfe", "é".encode("latin-1")]
    texts = ["plain", "", "with 'quote'", 'with "double"', "naïve café", "x" * 10_000]
    n = max(len(INTS), len(REALS), len(blobs), len(texts))
    rows = [(i + 1, INTS[i % len(INTS)], REALS[i % len(REALS)], texts[i % len(texts)],
             blobs[i % len(blobs)]) for i in range(n)]
    src = make_sqlite(tmp_path / "n.db",
                      "CREATE TABLE v(id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB);",
                      {"v": rows})
    _run(src, pg_dsn, tmp_path)
    cols = pg_columns(pg_conn, "v")
    assert {c: cols[c]["data_type"] for c in ("i", "r", "t", "b")} == {
        "i": "bigint", "r": "double precision", "t": "text", "b": "bytea"}
    got = pg_select(pg_conn, "v", ["id", "i", "r", "t", "b"], "id")
    assert [g[1] for g in got] == [r[1] for r in rows]
    for g, r in zip(got, rows, strict=True):
        # Exact equality: 0.1+0.2 must come back as 0.30000000000000004, not 0.3.
        assert g[2] == r[2] and type(g[2]) is float, (g[2], r[2])
    assert [g[3] for g in got] == [r[3] for r in rows]
    assert [bytes(g[4]) for g in got] == [r[4] for r in rows]  # byte-identical
    assert 0.30000000000000004 in [g[2] for g in got]


def test_declared_types_do_not_override_the_data(tmp_path: Path, pg_dsn: str,
                                                 pg_conn: psycopg2.extensions.connection) -> None:
    # Untyped and oddly typed columns: what they hold decides.
    rows = [(1, 1, "2024-01-01T00:00:00Z", 1.5, b"\x01"), (2, 2, "2024-01-02T00:00:00Z", 2, b"\x02")]
    src = make_sqlite(tmp_path / "u.db",
                      "CREATE TABLE u(id INTEGER PRIMARY KEY, a, b STRING, c NUMBERISH, d TEXT);",
                      {"u": rows})
    _run(src, pg_dsn, tmp_path)
    cols = pg_columns(pg_conn, "u")
    assert cols["a"]["data_type"] == "bigint"
    assert cols["b"]["data_type"] == "timestamp with time zone"
    assert cols["c"]["data_type"] in ("double precision", "numeric")
    assert cols["d"]["data_type"] == "bytea"  # TEXT declared, but only blobs stored
    assert [bytes(r[0]) for r in pg_select(pg_conn, "u", ["d"], "id")] == [b"\x01", b"\x02"]


def test_text_to_varchar_when_asked(tmp_path: Path, pg_dsn: str,
                                    pg_conn: psycopg2.extensions.connection,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    rows = [(1, "short"), (2, "héllo"), (3, "🎉🎉🎉🎉🎉"), (4, "too long!"), (5, None), (6, "")]
    src = make_sqlite(tmp_path / "vc.db", "CREATE TABLE w(id INTEGER PRIMARY KEY, code TEXT);",
                      {"w": rows})
    mapping = tmp_path / "mapping.toml"
    assert run_cli(capsys, "plan", src, "-o", mapping).code == 0
    edit_mapping(mapping, "w", "code", converter="varchar", options={"length": 5},
                 pg_type="varchar(5)")
    res, report = migrate_cli(capsys, src, pg_dsn, tmp_path, "--mapping", mapping)
    assert res.code == 1, res.err  # a row was rejected
    cols = pg_columns(pg_conn, "w")
    assert cols["code"]["data_type"] == "character varying"
    assert cols["code"]["character_maximum_length"] == 5
    # Length is in characters, as PostgreSQL counts it: é and emoji are one each.
    assert pg_select(pg_conn, "w", ["id", "code"], "id") == [
        (1, "short"), (2, "héllo"), (3, "🎉🎉🎉🎉🎉"), (5, None), (6, "")]
    w = table_report(report, "w")
    assert (w["copied_rows"], w["rejected_rows"], w["count_match"]) == (5, 1, True)
    rejects = [json.loads(line) for line in
               (tmp_path / "rejects" / "w.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["rowid"], r["column"], r["value"]) for r in rejects] == [(4, "code", "too long!")]
    assert "varchar(5)" in rejects[0]["reason"]
    assert pg_count(pg_conn, "w") == 5


def test_random_doubles_round_trip_exactly(tmp_path: Path, pg_dsn: str,
                                           pg_conn: psycopg2.extensions.connection) -> None:
    # Random bit patterns cover every exponent; SQLite's own float printing gets some of the
    # largest ones wrong by one ulp, which a sampled verification would rarely notice.
    rng = random.Random(20240531)
    values = [v for v in (struct.unpack("<d", rng.randbytes(8))[0] for _ in range(4000))
              if math.isfinite(v)]
    src = make_sqlite(tmp_path / "f.db", "CREATE TABLE f(id INTEGER PRIMARY KEY, x REAL);",
                      {"f": list(enumerate(values, 1))})
    report = run_migration(str(src), pg_dsn, options=RunOptions(reject_dir=str(tmp_path / "rj")))
    assert report.table("f").copied_rows == len(values)
    got = [r[0] for r in pg_select(pg_conn, "f", ["x"], "id")]
    wrong = [(v, g) for v, g in zip(values, got, strict=True) if v != g]
    assert wrong == []


def test_sub_microsecond_digits_are_not_dropped_silently(tmp_path: Path, pg_dsn: str) -> None:
    rows = [(1, "2024-01-01 10:00:00.1234567"), (2, "2024-01-01 10:00:00.9999999"),
            (3, "2024-01-01 10:00:00.5")]
    src = make_sqlite(tmp_path / "fr.db", "CREATE TABLE t(id INTEGER PRIMARY KEY, at TEXT);",
                      {"t": rows})
    report = run_migration(str(src), pg_dsn, options=RunOptions(reject_dir=str(tmp_path / "rj")))
    t = report.table("t")
    # Either outcome is honest: the two values counted as changed, or rejected by policy.
    assert t.altered_by_column.get("at") == 2 or t.rejected_rows == 2
