"""Every dirty value of the corpus carried through faithfully or rejected with a reason,
and counted: once with the planned mapping (reject by default), once with the policies a
person would pick (NULL instead of reject, text_clean, bytea, numeric_loose)."""

from __future__ import annotations

import copy
import json
import math
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
import pytest
from corpus import (
    ROWS,
    Migrated,
    build_corpus,
    migrate,
    plan_corpus,
    reject_lines,
    scratch_database,
)
from helpers import pg_all, pg_columns
from psycopg2 import sql

Conn = psycopg2.extensions.connection

# What a person changes in the planned mapping for the second run: (table, column) → fields.
POLICY_EDITS: dict[tuple[str, str], dict[str, str]] = {
    ("timestamps_dirty", "happened_at"): {"on_error": "null"},
    ("numbers_na", "score"): {"on_error": "null"},
    ("bool_values", "flag"): {"on_error": "null"},
    ("json_values", "doc"): {"on_error": "null"},
    ("numbers_loose", "amount"): {"converter": "numeric_loose", "pg_type": "numeric"},
    ("text_nul", "body"): {"converter": "text_clean"},
    ("text_utf8", "body_clean"): {"converter": "text_clean"},
    ("text_utf8", "body_bytes"): {"converter": "bytea", "pg_type": "bytea"},
}


@pytest.fixture(scope="module")
def corpus_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("corpus_values") / "corpus.db")


@pytest.fixture(scope="module")
def run(pg_server_dsn: str, corpus_path: Path) -> Iterator[Migrated]:
    """The planned mapping, as run_migration makes it (mapping None)."""
    with scratch_database(pg_server_dsn) as dsn:
        yield migrate(corpus_path, dsn, corpus_path.parent / "rej-default")


@pytest.fixture(scope="module")
def policy_run(pg_server_dsn: str, corpus_path: Path) -> Iterator[Migrated]:
    """The tables with a policy choice, run with the person's edits (POLICY_EDITS)."""
    mapping = copy.deepcopy(plan_corpus(corpus_path))
    tables = {t for t, _ in POLICY_EDITS}
    for tm in mapping.tables:
        tm.include = tm.source in tables
    for (table, column), changes in POLICY_EDITS.items():
        cm = mapping.table(table).column(column)
        for key, value in changes.items():
            setattr(cm, key, value)
        if "converter" in changes:
            cm.options = {}
    with scratch_database(pg_server_dsn) as dsn:
        yield migrate(corpus_path, dsn, corpus_path.parent / "rej-policy", mapping)


def _connect(run: Migrated) -> Iterator[Conn]:
    conn = psycopg2.connect(run.dsn)
    conn.autocommit = True  # these tests only read
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture(scope="module")
def pg_default(run: Migrated) -> Iterator[Conn]:
    yield from _connect(run)


@pytest.fixture(scope="module")
def pg_policy(policy_run: Migrated) -> Iterator[Conn]:
    yield from _connect(policy_run)


@pytest.fixture
def pg(run: Migrated, pg_default: Conn) -> Conn:
    run.ok()
    return pg_default


@pytest.fixture
def pgp(policy_run: Migrated, pg_policy: Conn) -> Conn:
    policy_run.ok()
    return pg_policy


def _col(conn: Conn, table: str, column: str) -> list[tuple[Any, Any]]:
    """(id, value) ordered by id; bytea as bytes."""
    rows = pg_all(conn, sql.SQL("SELECT id, {} FROM {} ORDER BY id").format(
        sql.Identifier(column), sql.Identifier(table)))
    return [(i, bytes(v) if isinstance(v, memoryview) else v) for i, v in rows]


def _type(conn: Conn, table: str, column: str) -> str:
    return str(pg_columns(conn, table)[column]["data_type"])


def _ids(conn: Conn, table: str) -> list[int]:
    return [i for i, _ in _col(conn, table, "id")]


def _rejected(run: Migrated, table: str) -> dict[Any, list[dict[str, Any]]]:
    out: dict[Any, list[dict[str, Any]]] = {}
    for line in reject_lines(run.reject_dir, table):
        out.setdefault(line["rowid"], []).append(line)
    return out


# --- the books balance ------------------------------------------------------------------

@pytest.mark.parametrize("which", ["run", "policy_run"])
def test_counts_add_up(which: str, request: pytest.FixtureRequest) -> None:
    m: Migrated = request.getfixturevalue(which)
    report = m.ok()
    src = sqlite3.connect(f"file:{m.source}?mode=ro", uri=True)
    conn = psycopg2.connect(m.dsn)
    try:
        for tr in report.tables:
            assert tr.error == "", (tr.source, tr.error)
            quoted = '"' + tr.source.replace('"', '""') + '"'
            assert tr.source_rows == src.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]
            assert tr.source_rows == tr.copied_rows + tr.rejected_rows, tr.source
            with conn.cursor() as cur:
                cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(tr.target)))
                assert cur.fetchone()[0] == tr.copied_rows, tr.source
    finally:
        src.close()
        conn.close()


@pytest.mark.parametrize("which", ["run", "policy_run"])
def test_verification_agrees_with_the_copy(which: str, request: pytest.FixtureRequest) -> None:
    m: Migrated = request.getfixturevalue(which)
    wrong = {t.source: t.mismatches for t in m.ok().tables
             if not t.count_match or t.sample_mismatches}
    assert wrong == {}


def test_reject_files_name_every_rejected_row(run: Migrated) -> None:
    report = run.ok()
    for tr in report.tables:
        lines = reject_lines(run.reject_dir, tr.target)
        if not tr.rejected_rows:
            assert lines == [], tr.source
            continue
        for line in lines:
            assert {"rowid", "column", "value", "reason"} <= set(line), line
            assert isinstance(line["reason"], str) and line["reason"], line
        assert len({repr(x["rowid"]) for x in lines}) == tr.rejected_rows, tr.source
        per_column = Counter(x["column"] or "(row)" for x in lines)
        assert dict(per_column) == tr.rejected_by_column, tr.source
        # The report says why, per column, in the same words as the file.
        reasons: dict[str, Counter[str]] = {}
        for x in lines:
            reasons.setdefault(x["column"] or "(row)", Counter())[x["reason"]] += 1
        assert {c: dict(r) for c, r in reasons.items()} == tr.rejected_reasons, tr.source


def test_default_run_alters_and_nulls_nothing(run: Migrated) -> None:
    report = run.ok()
    assert {t.source: t.altered_by_column for t in report.tables if t.altered_by_column} == {}
    assert {t.source: t.nulled_by_column for t in report.tables if t.nulled_by_column} == {}


# --- booleans ------------------------------------------------------------------------------

def test_boolean_spellings(run: Migrated, pg: Conn) -> None:
    assert _type(pg, "bool_values", "flag") == "boolean"
    want = {r[0]: (None if r[3] is None else bool(r[3])) for r in ROWS["bool_values"]}
    got = dict(_col(pg, "bool_values", "flag"))
    assert got == {i: v for i, v in want.items() if i not in (17, 18)}
    rej = _rejected(run, "bool_values")
    assert sorted(rej) == [17, 18]
    assert [x["value"] for x in rej[17]] == ["maybe"] and [x["value"] for x in rej[18]] == [2]
    assert run.ok().table("bool_values").rejected_by_column == {"flag": 2}


def test_boolean_dirty_values_nulled_by_policy(policy_run: Migrated, pgp: Conn) -> None:
    got = dict(_col(pgp, "bool_values", "flag"))
    assert (got[17], got[18], got[3], got[4]) == (None, None, True, False)
    tr = policy_run.ok().table("bool_values")
    assert (tr.rejected_rows, tr.nulled_by_column) == (0, {"flag": 2})


# --- dates and times ---------------------------------------------------------------------

def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_iso_timestamps_without_offset(pg: Conn) -> None:
    assert _type(pg, "timestamps_clean", "iso_ts") == "timestamp without time zone"
    assert [v for _, v in _col(pg, "timestamps_clean", "iso_ts")] == [
        datetime(2024, 1, 31, 12, 34, 56), datetime(2024, 1, 31, 12, 34, 56),
        datetime(2024, 1, 31, 12, 34, 56, 789000), datetime(2024, 1, 31, 12, 34, 56, 123456),
        datetime(2024, 2, 29)]


def test_iso_timestamps_with_offsets_keep_the_instant(pg: Conn) -> None:
    assert _type(pg, "timestamps_clean", "iso_tz") == "timestamp with time zone"
    assert [v for _, v in _col(pg, "timestamps_clean", "iso_tz")] == [
        _utc(2024, 1, 31, 12), _utc(2024, 1, 31, 10), _utc(2024, 1, 31, 17, 30),
        datetime(2024, 1, 31, 12, 0, 0, 500000, tzinfo=UTC), _utc(2024, 6, 30, 9, 59, 59)]


# (column, position in ROWS["timestamps_clean"], unit option, ticks per second, word in note)
EPOCH_COLUMNS = [("created_at", 3, "s", 1, "seconds"),
                 ("updated_at", 4, "ms", 1_000, "milliseconds"),
                 ("seen_at", 5, "us", 1_000_000, "microseconds")]


@pytest.mark.parametrize(("column", "pos", "unit", "per_second", "word"), EPOCH_COLUMNS)
def test_epoch_columns_detected_by_magnitude(run: Migrated, pg: Conn, column: str, pos: int,
                                             unit: str, per_second: int, word: str) -> None:
    cm = run.mapping_for("timestamps_clean").column(column)
    assert (cm.converter, cm.options.get("unit")) == ("epoch", unit)
    # The note tells a person which unit was assumed ("seconds" alone for seconds).
    words = set(re.findall(r"\b(seconds|milliseconds|microseconds)\b", cm.note))
    assert words == {word}, cm.note
    assert _type(pg, "timestamps_clean", column) == "timestamp with time zone"
    epoch = _utc(1970, 1, 1)
    want = [None if r[pos] is None else epoch + timedelta(microseconds=r[pos] * (1_000_000 // per_second))
            for r in ROWS["timestamps_clean"]]
    assert [v for _, v in _col(pg, "timestamps_clean", column)] == want


def test_julian_day_numbers(pg: Conn) -> None:
    assert _type(pg, "timestamps_clean", "jd").startswith("timestamp")
    got = [v.replace(tzinfo=None) if v else v for _, v in _col(pg, "timestamps_clean", "jd")]
    assert got == [datetime(2024, 1, 31, 12), datetime(2024, 2, 1), datetime(1970, 1, 1),
                   datetime(2000, 1, 1), None]


def test_iso_dates(pg: Conn) -> None:
    assert _type(pg, "timestamps_clean", "day") == "date"
    assert [v for _, v in _col(pg, "timestamps_clean", "day")] == [
        date(2024, 1, 31), date(1970, 1, 1), date(2000, 2, 29), date(1999, 12, 31), None]


def test_impossible_dates_rejected_with_reasons(run: Migrated, pg: Conn) -> None:
    assert _type(pg, "timestamps_dirty", "happened_at") == "timestamp without time zone"
    assert _ids(pg, "timestamps_dirty") == [1, 2, 3, 4, 5, 9]
    rej = _rejected(run, "timestamps_dirty")
    assert {i: [x["value"] for x in v] for i, v in rej.items()} == {
        6: ["0000-00-00 00:00:00"], 7: ["2024-02-30 10:00:00"], 8: ["yesterday"]}
    assert all(x["column"] == "happened_at" and x["reason"] for v in rej.values() for x in v)


def test_impossible_dates_nulled_by_policy(policy_run: Migrated, pgp: Conn) -> None:
    got = dict(_col(pgp, "timestamps_dirty", "happened_at"))
    assert sorted(got) == list(range(1, 10))
    assert [got[i] for i in (6, 7, 8, 9)] == [None] * 4
    assert got[1] == datetime(2024, 3, 1, 10)
    tr = policy_run.ok().table("timestamps_dirty")
    assert (tr.rejected_rows, tr.nulled_by_column) == (0, {"happened_at": 3})


def test_ambiguous_day_month_order_not_guessed(run: Migrated, pg: Conn) -> None:
    cm = run.mapping_for("dates_ambiguous").column("event_date")
    assert (cm.pg_type, cm.converter) == ("text", "text")
    assert "date_dmy" in cm.note and "date_mdy" in cm.note, cm.note
    assert [v for _, v in _col(pg, "dates_ambiguous", "event_date")] == [
        "03/04/2024", "05/06/2024", "01/02/2023", "12/11/2022"]


@pytest.mark.parametrize(("table", "converter", "want"), [
    ("dates_dmy", "date_dmy", [date(2024, 1, 31), date(2024, 3, 15), date(2024, 2, 1)]),
    ("dates_mdy", "date_mdy", [date(2024, 1, 31), date(2023, 12, 25), date(2024, 2, 1)])])
def test_unambiguous_day_month_order_picked(run: Migrated, pg: Conn, table: str, converter: str,
                                            want: list[date]) -> None:
    assert run.mapping_for(table).column("event_date").converter == converter
    got = [v.date() if isinstance(v, datetime) else v for _, v in _col(pg, table, "event_date")]
    assert got == want


# --- numbers ---------------------------------------------------------------------------------

def test_text_numbers_in_numeric_columns(pg: Conn) -> None:
    assert (_type(pg, "numbers_text", "qty"), _type(pg, "numbers_text", "price")) == (
        "bigint", "double precision")
    assert pg_all(pg, "SELECT qty, price FROM numbers_text ORDER BY id") == [
        (42, 3.25), (7, 10.0), (-3, -0.5), (12, 2.5)]


def test_thousands_separators_kept_as_text_by_default(pg: Conn) -> None:
    assert _type(pg, "numbers_loose", "amount") == "text"
    assert [v for _, v in _col(pg, "numbers_loose", "amount")] == [
        "1,234.50", "$1,000", "-$5.25", "€2,500.75", None]


def test_numeric_loose_opt_in(policy_run: Migrated, pgp: Conn) -> None:
    assert _type(pgp, "numbers_loose", "amount") == "numeric"
    assert [v for _, v in _col(pgp, "numbers_loose", "amount")] == [
        Decimal("1234.50"), Decimal("1000"), Decimal("-5.25"), Decimal("2500.75"), None]
    tr = policy_run.ok().table("numbers_loose")
    assert (tr.rejected_rows, tr.altered_by_column) == (0, {"amount": 4})


def test_empty_and_na_are_dirty_numbers(run: Migrated, pg: Conn) -> None:
    assert _type(pg, "numbers_na", "score") == "double precision"
    assert _col(pg, "numbers_na", "score") == [(1, 1.5), (2, 2.5), (5, 3.0), (6, 4.25)]
    rej = _rejected(run, "numbers_na")
    assert {i: [x["value"] for x in v] for i, v in rej.items()} == {3: [""], 4: ["N/A"]}


def test_empty_and_na_nulled_by_policy(policy_run: Migrated, pgp: Conn) -> None:
    assert _col(pgp, "numbers_na", "score") == [
        (1, 1.5), (2, 2.5), (3, None), (4, None), (5, 3.0), (6, 4.25)]
    tr = policy_run.ok().table("numbers_na")
    assert (tr.rejected_rows, tr.nulled_by_column) == (0, {"score": 2})


def test_whole_reals_into_an_integer_column(pg: Conn) -> None:
    assert _type(pg, "numbers_whole", "qty") == "bigint"
    assert _col(pg, "numbers_whole", "qty") == [(1, 1), (2, 2), (3, 1000)]


def test_fraction_in_an_integer_column_is_dirty(run: Migrated, pg: Conn) -> None:
    """qty INTEGER holding 1, 2, 3, 4 and one 2.5: an integer column with one dirty value,
    not a float column."""
    assert _type(pg, "numbers_fraction", "qty") == "bigint"
    assert _col(pg, "numbers_fraction", "qty") == [(1, 1), (2, 2), (3, 3), (4, 4)]
    rej = _rejected(run, "numbers_fraction")
    assert list(rej) == [5] and rej[5][0]["value"] == 2.5
    assert "fraction" in rej[5][0]["reason"]


def test_infinities_and_float_extremes(pg: Conn) -> None:
    got = [v for _, v in _col(pg, "numbers_extreme", "measure")]
    assert got == [math.inf, -math.inf, 1.7976931348623157e308, 5e-324, 1.5, math.inf, -math.inf]


def test_int64_boundaries(pg: Conn) -> None:
    assert _type(pg, "numbers_extreme", "big") == "bigint"
    assert [v for _, v in _col(pg, "numbers_extreme", "big")] == [
        9223372036854775807, -9223372036854775808, 0, 1, -1, 2, -2]


# --- text ------------------------------------------------------------------------------------------

def test_text_arrives_byte_identical(pg: Conn) -> None:
    assert _col(pg, "text_values", "body") == [(r[0], r[2]) for r in ROWS["text_values"]]
    # '' and NULL stay different things.
    assert pg_all(pg, "SELECT id FROM text_values WHERE body = '' ORDER BY id") == [(7,)]
    assert pg_all(pg, "SELECT id FROM text_values WHERE body IS NULL ORDER BY id") == [(8,)]
    assert pg_all(pg, "SELECT octet_length(body) FROM text_values WHERE id = 6") == [(2,)]  # \N


def test_nul_bytes_rejected_by_text(run: Migrated, pg: Conn) -> None:
    assert _col(pg, "text_nul", "body") == [(2, "clean")]
    rej = _rejected(run, "text_nul")
    assert sorted(rej) == [1, 3]
    assert all("NUL" in x["reason"] for v in rej.values() for x in v)
    assert rej[1][0]["value"] == "ab\x00cd"


def test_nul_bytes_stripped_by_text_clean(policy_run: Migrated, pgp: Conn) -> None:
    assert _col(pgp, "text_nul", "body") == [(1, "abcd"), (2, "clean"), (3, "start")]
    tr = policy_run.ok().table("text_nul")
    assert (tr.rejected_rows, tr.altered_by_column) == (0, {"body": 2})


def test_invalid_utf8_rejected_once_per_row(run: Migrated, pg: Conn) -> None:
    assert _col(pg, "text_utf8", "body_clean") == [(2, "ok"), (3, "é")]
    tr = run.ok().table("text_utf8")
    assert (tr.rejected_rows, tr.rejected_by_column) == (1, {"body_clean": 1, "body_bytes": 1})
    rej = _rejected(run, "text_utf8")
    assert list(rej) == [1] and {x["column"] for x in rej[1]} == {"body_clean", "body_bytes"}
    # The reject file keeps the original bytes recoverable.
    assert all("66ff6f" in repr(x["value"]) for x in rej[1]), rej[1]


def test_invalid_utf8_replaced_by_text_clean_or_kept_as_bytea(policy_run: Migrated,
                                                               pgp: Conn) -> None:
    assert _col(pgp, "text_utf8", "body_clean") == [(1, "f\ufffdo"), (2, "ok"), (3, "é")]
    assert _type(pgp, "text_utf8", "body_bytes") == "bytea"
    assert _col(pgp, "text_utf8", "body_bytes") == [(1, b"f\xffo"), (2, b"ok"),
                                                     (3, "é".encode())]
    tr = policy_run.ok().table("text_utf8")
    assert (tr.rejected_rows, tr.altered_by_column) == (0, {"body_clean": 1})


# --- JSON and blobs ------------------------------------------------------------------------

def test_json_values(run: Migrated, pg: Conn) -> None:
    assert _type(pg, "json_values", "doc") == "jsonb"
    kinds = pg_all(pg, "SELECT id, doc IS NULL, jsonb_typeof(doc) FROM json_values ORDER BY id")
    assert kinds == [(1, False, "object"), (2, False, "array"), (3, False, "string"),
                     (4, False, "number"), (5, False, "boolean"), (6, False, "null"),
                     (7, True, None), (8, False, "object"), (9, False, "object")]
    want = {r[0]: json.loads(r[2]) for r in ROWS["json_values"] if r[0] <= 9 and r[2] is not None}
    got = {i: v for i, v in _col(pg, "json_values", "doc") if i != 7}
    assert got == want
    assert sorted(_rejected(run, "json_values")) == [10, 11]


def test_invalid_json_nulled_by_policy(policy_run: Migrated, pgp: Conn) -> None:
    assert pg_all(pgp, "SELECT id FROM json_values WHERE doc IS NULL ORDER BY id") == [
        (7,), (10,), (11,)]
    tr = policy_run.ok().table("json_values")
    assert (tr.rejected_rows, tr.nulled_by_column) == (0, {"doc": 2})


def test_blobs_arrive_byte_identical(pg: Conn) -> None:
    assert _type(pg, "blob_values", "data") == "bytea"
    assert _col(pg, "blob_values", "data") == [(r[0], r[1]) for r in ROWS["blob_values"]]


def test_text_in_a_blob_column_becomes_its_bytes(run: Migrated, pg: Conn) -> None:
    assert _type(pg, "blob_mixed", "data") == "bytea"
    assert _col(pg, "blob_mixed", "data") == [(1, b"\x00\x01"), (2, b"\xde\xad\xbe\xef"),
                                              (3, b"\xff"), (4, b"hello")]
    assert run.ok().table("blob_mixed").rejected_rows == 0


def test_blobs_in_a_text_column(run: Migrated, pg: Conn) -> None:
    """A UTF-8 blob is text in all but storage class; one that is not UTF-8 is dirty."""
    assert _type(pg, "text_with_blobs", "note") == "text"
    assert _col(pg, "text_with_blobs", "note") == [
        (1, "plain"), (2, "words"), (3, "more words"), (4, "still text"), (5, "hi")]
    rej = _rejected(run, "text_with_blobs")
    assert list(rej) == [6] and rej[6][0]["reason"]
