"""The profile (class codes from Arrow and SQLite, profile_columnar) equals the profile of
every value tried one by one through the Python converters, on values chosen to sit on each
rule's edge: in mixed columns (read split by storage class) and in columns of one class
(read as the driver types them)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from sqlite2pg_tui.core.errors import Cancelled
from sqlite2pg_tui.core.source.profile import ColumnProfile, _ColumnTracker, profile_table
from sqlite2pg_tui.core.source.reader import open_readonly, read_schema

EDGES: list[Any] = [
    # numbers
    0, 1, -1, 2, 2**63 - 1, -(2**63), 0.0, -0.0, 1.0, 2.5, -7.0, 1e300, float("inf"),
    float("-inf"), 9.223372036854776e18, -9.223372036854776e18, 1e-300,
    # number-ish text
    "", " ", "0", "1", "00", "007", "42", " 42 ", "+5", "-5", "1e5", "1_000", "1.5", ".5",
    "123456789012345678", "1234567890123456789", "99999999999999999999", "nan", "-Infinity",
    "inf", "INF", "0x10", "1e", "e", "_",
    # yes/no words
    "yes", " No ", "TRUE", "t", "f", "on", "OFF", "y", "n", "maybe",
    # ISO dates and timestamps
    "2024-01-05", "2024-02-29", "2023-02-29", "2024-02-30", "0000-01-01", "9999-12-31",
    "2024-13-01", "2024-01-05 10:00:00", "2024-01-05T10:00:00", "2024-01-05 00:00:00",
    "2024-01-05T00:00:00", "2024-01-05 24:00:00", "2024-01-05 23:60:00", "2024-01-05 23:59:60",
    "2024-01-05t10:00:00", "2024-01-05 10:00:00Z", "2024-01-05 10:00:00.5+02:00",
    "2024-01-05 10:00", " 2024-01-05", "2024-01-05 ", "x2024-01-05", "2024-1-5",
    "2024-01-05 10:00:00.1234567",
    # day first / month first
    "31/01/2024", "01/31/2024", "1.2.2024", "13/13/2024", "5-6-2024 10:30", "1/2",
    # JSON
    '{"a": 1}', "[1, 2]", '"str"', "null", "NaN", "{a:1}", "[1,]", "3", '{"n": "\\u0000"}',
    '  {"a": [true, false, null]}  ', "[", "}",
    # UUID shapes
    "12345678-1234-5678-1234-567812345678", "{12345678-1234-5678-1234-567812345678}",
    "12345678123456781234567812345678", "abcdefabcdefabcdefabcdefabcdefab",
    "ABCDEFABCDEFABCDEFABCDEFABCDEFAZ", "urn:uuid:12345678-1234-5678-1234-567812345678",
    "user_with_32_chars_at_exampl.com",
    # plain and awkward text
    "user1@example.com", "User alpha 5", "tab\there", "line\nbreak", "back\\slash",
    "x\x00y", "ünïcode", "😀", "١٢٣", "\u00a0yes", "\u2003", "a'b", "it's", "-", "+", ".",
    # the vectorized rules' edges: words, punctuation, JSON, UUID length, Unicode digits
    "true", "false", "null", " true", "true ", "True", "NULL", "Null", "yes ", "OFF", "No",
    "}{12345678123456781234567812345678}{", "}" * 36, "@home", "#1", "_x", "(1)", "~", "'q'",
    '{"é": 1}', '"a\tb"', '[1,]', "[" * 300 + "]" * 300, '"' + "x" * 450 + '"',
    '["\\u0000"]', "ünïcode plain", "٢٠٢٤-٠١-٠٥", "Ⅻ", "²", "ü 😀", '  ["ü"]', "x\x00{",
    "2024-02-29 10:00:00", "2023-02-29T00:00:00", "2024-04-31", "2024-04-30", "2024-01-05t00:00:00",
    "2024-12-31T23:59:59", "0001-01-01", "123456789012345678", "012345678901234567",
    "1e999", "-0", "+0", "e", "Ee5", "t", "F",
    # JSON both parsers accept at once (nested up to two deep, no \u escape), and its edges
    "{}", "[]", '""', '"\\/"', "[-0.5e+3]", "[1e999]", '{"a":1,"a":2}', "[true,false,null]",
    '{"k": {"x": [1, 2]}}', "[[1,[2]]]", '[[1,2],{"a":[]}]', '{"a":1,}', "[01]", "[1.]",
    '{"a" 1}', '["\\ud800"]', '{"a":"\\u00e9"}', '"\x7f"', '["a\\tb"]', '"' + "y" * 34 + '"',
    "[" + "1," * 250 + "1]", "[1]\n", "\t[1]",
    # the calendar: leap years by 4, 100 and 400, months of 30 days
    "1900-02-29", "2000-02-29", "2100-02-29", "0004-02-29", "0400-02-29", "0100-02-29",
    "2024-06-31", "2024-11-30", "2024-12-31 00:00:00", "2023-04-31T10:00:00",
    "0001-01-01T00:00:00", "2000-02-29 23:59:59",
    # blobs
    b"", b"\x00\x01", bytes(range(16)), b'{"a": 1}', b"\xff\xfe", b"12345678-1234-5678-1234-567812345678",
    b"abc", b" [1]", b"x" * 16, b"true",
]


def _reference(conn: sqlite3.Connection, table: str, column: str) -> ColumnProfile:
    """Every value through the converters, one by one, in row order (the old profile)."""
    p = ColumnProfile(column)
    tracker = _ColumnTracker(p)
    for rowid, v in conn.execute(f'SELECT rowid, "{column}" FROM "{table}"'):
        tracker.add(rowid, v)
    return tracker.finish()


def _same(got: ColumnProfile, ref: ColumnProfile) -> None:
    assert got.parses == ref.parses
    assert (got.with_time, got.with_offset, got.invalid_utf8) == (
        ref.with_time, ref.with_offset, ref.invalid_utf8)
    assert (got.sampled, got.sample_nulls) == (ref.sampled, ref.sample_nulls)
    for cand in ref.failures:
        assert [(e.rowid, e.reason) for e in got.failures[cand]] == [
            (e.rowid, e.reason) for e in ref.failures[cand]], cand
    assert got.distinct_small == ref.distinct_small
    assert got.samples == ref.samples


@pytest.fixture
def edge_db(tmp_path: Path) -> Path:
    path = tmp_path / "edges.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, a, b, c, d)")
    n = len(EDGES)
    # a: every edge once; b: every edge among NULLs; c: one edge repeated in bulk with the
    # others sprinkled (examples from a short range); d: ISO timestamps with a few misfits.
    rows = []
    for i in range(3 * n):
        e = EDGES[i % n]
        rows.append((i + 1, e if i < n else None, e if i % 3 == 0 else None,
                     EDGES[(i * 7) % n] if i % 11 == 0 else "2024-01-05 10:00:00",
                     f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00"
                     if i % 17 else EDGES[i % n]))
    conn.executemany("INSERT INTO t VALUES (?,?,?,?,?)", rows)
    # One storage class per column (read as the driver types them): e text, f integer,
    # g real, h blob; i text with an integer far down (the driver's guess hides it).
    by_class = {cls: [e for e in EDGES if isinstance(e, cls)] for cls in (str, int, float, bytes)}
    conn.execute("CREATE TABLE one(id INTEGER PRIMARY KEY, e, f, g, h, i)")
    width = max(len(v) for v in by_class.values())
    conn.executemany("INSERT INTO one VALUES (?,?,?,?,?,?)", [
        (k + 1, *(v[k] if k < len(v) else None for v in by_class.values()),
         7 if k == width - 1 else by_class[str][k % len(by_class[str])])
        for k in range(width)])
    # Declared types: TEXT, DATETIME and REAL columns are read through CASE typeof (a blob,
    # an integer, a text far down must surface); j, untyped, holds reals and one integer at
    # the end. (A REAL column shows no integers to SQL: SQLite reads them back as reals.)
    texts = by_class[str]
    last = 2 * len(texts) - 1
    conn.execute("CREATE TABLE typed(id INTEGER PRIMARY KEY, s TEXT, d DATETIME, j, r REAL, "
                 "x DOUBLE PRECISION)")
    conn.executemany("INSERT INTO typed VALUES (?,?,?,?,?,?)", [
        (k + 1, b"\x01blob" if k == last else texts[k % len(texts)],
         5 if k == last - 1 else f"2024-01-{1 + k % 28:02d} 10:00:00",
         7 if k == last else k / 3, "abc" if k == last else k / 4,
         b"\x00" if k == last else k / 2) for k in range(last + 1)])
    # r: few distinct values, pure text (its lengths and extremes come from Arrow alone),
    # the longest, the smallest and the largest only far down.
    words = ["open", "closed", "pending", "ünïcode", "2024-01-05", '{"a": 1}', "yes", "42"]
    conn.execute("CREATE TABLE rep(id INTEGER PRIMARY KEY, r TEXT)")
    conn.executemany("INSERT INTO rep VALUES (?, ?)", [
        (k, None if k % 5 == 0 else words[k % len(words)]) for k in range(1, 200)]
        + [(200, "Ω" * 40), (201, "AAA"), (202, "zzz"), (203, "open")])
    conn.execute("CREATE TABLE bad(id INTEGER PRIMARY KEY, s)")
    conn.execute("INSERT INTO bad VALUES (1, 'ok'), (2, CAST(x'41ff42' AS TEXT)), (3, '2024-01-05')")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("column", ["a", "b", "c", "d"])
def test_sql_profile_equals_the_converters_on_every_value(edge_db: Path, column: str) -> None:
    conn = open_readonly(str(edge_db), lossless_text=True)
    try:
        table = next(t for t in read_schema(conn, str(edge_db)).tables if t.name == "t")
        got = profile_table(conn, table, limit=None).columns[column]
        _same(got, _reference(conn, "t", column))
        assert got.complete
    finally:
        conn.close()


@pytest.mark.parametrize("column", ["e", "f", "g", "h", "i"])
def test_columns_of_one_class_equal_the_converters(edge_db: Path, column: str) -> None:
    conn = open_readonly(str(edge_db), lossless_text=True)
    try:
        table = next(t for t in read_schema(conn, str(edge_db)).tables if t.name == "one")
        got = profile_table(conn, table, limit=None).columns[column]
        ref = _reference(conn, "one", column)
        _same(got, ref)
        assert got.storage == ref_storage(conn, "one", column)
        lo, hi, longest = conn.execute(f'SELECT min("{column}"), max("{column}"), '
                                       f'max(length("{column}")) FROM one').fetchone()
        assert (got.min, got.max) == (lo, hi)
        if column in "ehi":  # (numbers have no text length in the profile)
            assert max(got.max_text_len, got.max_blob_len) == longest
    finally:
        conn.close()


@pytest.mark.parametrize("column", ["s", "d", "j", "r", "x"])
def test_a_class_hiding_in_a_typed_column_is_found(edge_db: Path, column: str) -> None:
    conn = open_readonly(str(edge_db), lossless_text=True)
    try:
        table = next(t for t in read_schema(conn, str(edge_db)).tables if t.name == "typed")
        got = profile_table(conn, table, limit=None).columns[column]
        _same(got, _reference(conn, "typed", column))
        assert got.storage == ref_storage(conn, "typed", column) and len(got.storage) == 2
    finally:
        conn.close()


def ref_storage(conn: sqlite3.Connection, table: str, column: str) -> dict[str, int]:
    return dict(conn.execute(f'SELECT typeof("{column}"), count(*) FROM "{table}" '
                             f'WHERE "{column}" IS NOT NULL GROUP BY 1').fetchall())


def test_invalid_utf8_is_counted_exactly(edge_db: Path) -> None:
    conn = open_readonly(str(edge_db), lossless_text=True)
    try:
        table = next(t for t in read_schema(conn, str(edge_db)).tables if t.name == "bad")
        got = profile_table(conn, table, limit=None).columns["s"]
        assert got.invalid_utf8 == 1
        _same(got, _reference(conn, "bad", "s"))
    finally:
        conn.close()


def test_most_values_never_reach_python(tmp_path: Path) -> None:
    """The plain shapes are decided in SQL: the converters see only the odd values."""
    path = tmp_path / "plain.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, email, at, n, x)")
    conn.executemany("INSERT INTO t VALUES (?,?,?,?,?)", (
        (i, f"user{i}@example.com", f"2024-01-{1 + i % 28:02d} 10:00:00", i * 3, i / 7)
        for i in range(1, 5001)))
    conn.execute("INSERT INTO t VALUES (5001, 'ünïcode', '2024-01-05T10:00:00Z', 'x', NULL)")
    conn.commit()
    conn.close()
    calls: list[Any] = []
    original = _ColumnTracker.collect

    def counting(self: _ColumnTracker, rowid: Any, v: Any) -> None:
        calls.append(v)
        original(self, rowid, v)

    ro = open_readonly(str(path))
    try:
        table = read_schema(ro, str(path)).tables[0]
        _ColumnTracker.collect = counting  # type: ignore[method-assign]
        try:
            prof = profile_table(ro, table, limit=None)
        finally:
            _ColumnTracker.collect = original  # type: ignore[method-assign]
    finally:
        ro.close()
    # Non-ASCII text holding letters is decided without Python now; an offset is not.
    undecided = ["2024-01-05T10:00:00Z"]
    assert [v for v in calls if v in undecided] == undecided
    assert len(calls) < 100  # the undecided pair, and a few failure examples per code
    at = prof.columns["at"]
    assert (at.parses["timestamp"], at.parses["timestamptz"], at.with_time) == (5001, 5001, 5001)
    assert prof.columns["email"].parses == dict.fromkeys(prof.columns["email"].parses, 0)


def test_cancel_interrupts_the_scan(edge_db: Path) -> None:
    conn = open_readonly(str(edge_db))
    try:
        table = next(t for t in read_schema(conn, str(edge_db)).tables if t.name == "t")
        cancel = threading.Event()
        cancel.set()
        with pytest.raises(Cancelled):
            profile_table(conn, table, limit=None, cancel=cancel)
    finally:
        conn.close()


def test_json_examples_past_many_refused_ones(tmp_path: Path) -> None:
    """json_valid() refuses the first 70 JSON-looking values: the examples of the valid
    ones further down are still the first ones, as the converters one by one find them."""
    path = tmp_path / "js.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE js(id INTEGER PRIMARY KEY, v TEXT)")
    conn.executemany("INSERT INTO js VALUES (?, ?)", [
        (k, f'{{"a": {k}' if k <= 70 else (f'{{"a": {k}}}' if k % 2 else f'["{k}", null]'))
        for k in range(1, 90)])
    conn.commit()
    conn.close()
    ro = open_readonly(str(path), lossless_text=True)
    try:
        table = read_schema(ro, str(path)).tables[0]
        got = profile_table(ro, table, limit=None).columns["v"]
        _same(got, _reference(ro, "js", "v"))
        assert got.parses["json"] == 19
    finally:
        ro.close()


def test_columns_null_in_the_first_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver types an all-NULL batch as it pleases; later batches still count."""
    from sqlite2pg_tui.core.source import profile_columnar

    monkeypatch.setattr(profile_columnar, "BATCH_ROWS", 4)
    path = tmp_path / "late.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT, u, n INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?,?,?,?)", [
        (k, None if k <= 9 else f"2024-01-{k:02d}", None if k <= 5 else k / 2,
         None if k <= 13 else k) for k in range(1, 21)])
    conn.commit()
    conn.close()
    ro = open_readonly(str(path), lossless_text=True)
    try:
        table = read_schema(ro, str(path)).tables[0]
        prof = profile_table(ro, table, limit=None)
        for column in ("s", "u", "n"):
            _same(prof.columns[column], _reference(ro, "t", column))
            assert prof.columns[column].storage == ref_storage(ro, "t", column)
    finally:
        ro.close()


@pytest.mark.parametrize("share", [0.0, 1.0])
@pytest.mark.parametrize(("batch", "remembered"), [(7, 3), (7, 1 << 14), (100_000, 1 << 14)])
def test_by_distinct_values_or_value_by_value_alike(edge_db: Path, monkeypatch: pytest.MonkeyPatch,
                                                    share: float, batch: int,
                                                    remembered: int) -> None:
    """Text classified through its distinct values (every batch, each value once while the
    column remembers it) or value by value (never) gives the converters' profile, in one
    batch or many (the path may change between batches), with the same NULs, lengths and
    extremes."""
    from sqlite2pg_tui.core.source import profile_columnar, profile_text

    monkeypatch.setattr(profile_text, "BY_DISTINCT_SHARE", share)
    monkeypatch.setattr(profile_text, "REMEMBERED", remembered)
    monkeypatch.setattr(profile_columnar, "BATCH_ROWS", batch)
    conn = open_readonly(str(edge_db), lossless_text=True)
    try:
        for name, columns in (("t", "abcd"), ("one", "ehi"), ("typed", "sdrx"), ("bad", "s"),
                              ("rep", "r")):
            table = next(t for t in read_schema(conn, str(edge_db)).tables if t.name == name)
            prof = profile_table(conn, table, limit=None)
            for column in columns:
                got = prof.columns[column]
                _same(got, _reference(conn, name, column))
                lo, hi, longest, nuls = conn.execute(
                    f'SELECT min("{column}"), max("{column}"), max(length("{column}")), '
                    f'count(CASE WHEN instr("{column}", char(0)) THEN 1 END) FROM "{name}"').fetchone()
                assert (got.min, got.max, got.nul_bytes) == (lo, hi, nuls), (name, column)
                assert max(got.max_text_len, got.max_blob_len) == longest, (name, column)
    finally:
        conn.close()


def test_the_calendar_pattern_is_the_calendar() -> None:
    """Every YYYY-MM-DD with month 00-13 and day 00-32 in years around each leap rule: the
    pattern that decides dates at once says yes exactly to the days that exist."""
    import datetime

    import pyarrow as pa
    import pyarrow.compute as pc

    from sqlite2pg_tui.core.source import profile_vector

    def real(day: str) -> bool:
        try:
            datetime.date.fromisoformat(day)
        except ValueError:
            return False
        return True

    days = [f"{y:04d}-{m:02d}-{d:02d}" for y in (0, 1, 4, 96, 100, 400, 1900, 1996, 2000, 2023,
                                                  2024, 2100, 2400, 9996, 9999)
            for m in range(14) for d in range(33)]
    said = pc.match_substring_regex(pa.array(days), profile_vector._DATED).to_pylist()
    assert [d for d, ok in zip(days, said, strict=True) if ok != real(d)] == []


def test_json_taken_at_once_is_json_to_the_converter() -> None:
    """Text the strict JSON pattern takes without asking SQLite is JSON to json.loads (and
    not NaN or Infinity), on values generated from the grammar with near misses mixed in:
    bad numbers, constants, control characters, escapes, stray commas and colons."""
    import json
    import random
    import re

    from sqlite2pg_tui.core.source import profile_vector
    from sqlite2pg_tui.core.values.canonical_json import reject_constant

    strict = re.compile(profile_vector._JSON_STRICT)
    rnd = random.Random(11)
    scalars = ["0", "-0", "12", "01", "1.", ".5", "1.5e3", "1e", "-", "+1", "1E+2", "NaN",
               "Infinity", "-Infinity", "true", "false", "null", "nul", "True", '"a"', '""',
               '"\x1f"', '"\x7f"', '"\\n"', '"\\u0041"', '"\\x"', '"\\"', '"a\\"b"', "'a'"]
    seps = [",", ", ", " ,", ",,", ""]
    colons = [":", " : ", "", "::"]
    ws = ["", " ", "\n", "\t", "\x0b"]

    def value(depth: int) -> str:
        kind = rnd.randrange(3) if depth < 3 else 0
        if kind == 0:
            return rnd.choice(scalars)
        items = [value(depth + 1) for _ in range(rnd.randrange(4))]
        if kind == 1:
            body = "".join(rnd.choice(ws) + v + rnd.choice(ws) + rnd.choice(seps) for v in items)
            return "[" + body.rstrip(", ") + rnd.choice(["", ",", "]"]) + "]"
        body = "".join(rnd.choice(ws) + rnd.choice(['"k"', "k", '""', '"k k"']) +
                       rnd.choice(colons) + v + rnd.choice(seps) for v in items)
        return "{" + body.rstrip(", ") + rnd.choice(["", ","]) + "}"

    taken = 0
    for _ in range(30_000):
        v = value(0)
        if strict.match(v):
            taken += 1
            json.loads(v, parse_constant=reject_constant)  # raises if the pattern is wrong
    assert taken > 500


def test_batches_are_sized_by_bytes(tmp_path: Path) -> None:
    """Rows of 200 kB make batches of about 20 rows (4 MB); narrow rows the most rows."""
    from sqlite2pg_tui.core.source import profile_columnar

    path = tmp_path / "wide.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE wide(id INTEGER PRIMARY KEY, b BLOB, note TEXT)")
    conn.executemany("INSERT INTO wide VALUES (?, ?, ?)",
                     [(k, bytes(200_000), "x") for k in range(1, 61)])
    conn.execute("CREATE TABLE narrow(id INTEGER PRIMARY KEY, n INTEGER, s TEXT)")
    conn.executemany("INSERT INTO narrow VALUES (?, ?, ?)", [(k, k, "abc") for k in range(1, 61)])
    conn.commit()
    conn.close()
    ro = open_readonly(str(path), lossless_text=True)
    try:
        wide, narrow = read_schema(ro, str(path)).tables
        rows = profile_columnar.batch_rows(ro, wide, ["id", "b", "note"])
        assert 16 <= rows <= 21
        assert profile_columnar.batch_rows(ro, narrow, ["id", "n", "s"]) == profile_columnar.BATCH_ROWS
        seen: list[int] = []  # rows done, told after each batch
        got = profile_table(ro, wide, limit=None, on_rows=seen.append).columns["b"]
        assert seen == [0, *range(rows, 60, rows), 60]
        _same(got, _reference(ro, "wide", "b"))
        assert got.max_blob_len == 200_000 and got.nul_bytes == 60
    finally:
        ro.close()
