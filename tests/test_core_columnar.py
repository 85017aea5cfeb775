"""The columnar copy: clean values move as Arrow columns, and only the rows a vectorized
form refuses go through the converters one by one, with the same result as before."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg2.extensions
import pytest
from helpers import isolate_environment, pg_all, pg_count

from sqlite2pg_tui.core.load.rejects import reject_file
from sqlite2pg_tui.core.pipeline import RunOptions, run_migration
from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.source.inspection import inspect
from sqlite2pg_tui.core.values import columnar

ROWS = 40_000  # several batches


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


def _db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, flag BOOLEAN, at DATETIME,"
                 " label TEXT, x REAL, doc JSON)")
    rows = [(i, i * 3, i % 2, f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:00:00",
             f"row\t{i}\n", i / 7, f'{{"i": {i}}}') for i in range(1, ROWS + 1)]
    # The odd ones, spread over several batches: each needs the one-by-one converter.
    rows[100] = (101, "42", 1, "2024-02-30 10:00:00", "ok", 1.5, "[1]")  # text int; impossible day
    rows[20_000] = (20_001, 7, 2, "2024-01-05T10:00:00Z", "nul\x00here", 2, "null")  # 2 is no bool
    rows[30_000] = (30_001, None, None, "2024-01-05", "", float("inf"), '{"n": "\\u0000"}')
    rows[39_999] = (40_000, 2**63 - 1, 0, "2024-01-05 10:00:00.1234567", None, 5e-324, "3")
    conn.executemany("INSERT INTO t VALUES (?,?,?,?,?,?,?)", rows)
    conn.commit()
    conn.close()
    return path


def test_columnar_copy_is_exact_and_sends_only_refused_rows_one_by_one(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    src = _db(tmp_path / "c.db")
    ins = inspect(str(src))
    mapping = plan(ins.schema, ins.profiles)
    for name, (pg_type, conv) in {"flag": ("boolean", "boolean"),
                                  "at": ("timestamp", "timestamp")}.items():
        cm = mapping.tables[0].column(name)
        cm.pg_type, cm.converter = pg_type, conv
    report = run_migration(str(src), pg_dsn, mapping,
                           options=RunOptions(reject_dir=str(tmp_path / "rj")))
    t = report.table("t")
    assert t.engine == "columnar"
    # rejected: the impossible day (row 101), 2 as a boolean and the NUL (row 20001, one row),
    # the escaped NUL in JSON (row 30001)
    assert (t.copied_rows, t.rejected_rows) == (ROWS - 3, 3)
    assert pg_count(pg_conn, "t") == ROWS - 3
    lines = [json.loads(x) for x in reject_file(tmp_path / "rj", "t").read_text().splitlines()]
    assert sorted((ln["rowid"], ln["column"]) for ln in lines) == [
        (101, "at"), (20_001, "flag"), (20_001, "label"), (30_001, "doc")]
    got = dict((r[0], r[1:]) for r in pg_all(pg_conn, "SELECT id, n, flag, at, label, x, doc::text"
                                                       " FROM t WHERE id IN (1, 40000, 2, 3)"))
    assert got[1] == (3, True, datetime(2024, 2, 2, 1), "row\t1\n", 1 / 7, '{"i": 1}')
    # the refused row converted one by one: 2^63-1 exactly, the smallest denormal, the fraction
    assert got[40_000] == (2**63 - 1, False, datetime(2024, 1, 5, 10, 0, 0, 123457), None, 5e-324, "3")
    assert t.altered_by_column == {"at": 1}
    assert report.ok is False and t.count_match is True and not t.sample_mismatches


def test_numeric_goes_columnar_with_each_value_in_its_column_scale(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    src = tmp_path / "n.db"
    conn = sqlite3.connect(src)
    conn.execute("CREATE TABLE m(id INTEGER PRIMARY KEY, price NUMERIC(10,2))")
    conn.executemany("INSERT INTO m VALUES (?, ?)", [(1, "1.10"), (2, 3)])
    conn.commit()
    conn.close()
    report = run_migration(str(src), pg_dsn, options=RunOptions(reject_dir=str(tmp_path / "rj")))
    assert report.table("m").engine == "columnar"
    assert [str(v) for (v,) in pg_all(pg_conn, "SELECT price FROM m ORDER BY id")] == ["1.10", "3.00"]


def test_a_converter_into_a_type_other_than_its_own_has_no_vectorized_form() -> None:
    from sqlite2pg_tui.core.plan.mapping import ColumnMapping

    assert columnar.form_of(ColumnMapping("a", "a", "", "numeric(6,2)", "integer")) is None
    assert columnar.form_of(ColumnMapping("a", "a", "", "text", "integer")) is None


def _not_null_db(path: Path) -> Path:
    """Two tables whose NOT NULL columns hold values of other storage classes (no flag
    tells them apart there: a NULL read is odd) beside nullable ones whose real NULLs sit
    in the same rows as odd values (the count of real NULLs tells them apart)."""
    conn = sqlite3.connect(path)
    cols = ("n INTEGER NOT NULL, label TEXT NOT NULL, x REAL NOT NULL, at DATETIME NOT NULL,"
            " m INTEGER, note TEXT")
    conn.execute(f"CREATE TABLE s(code TEXT, {cols})")  # rowid read beside the columns
    conn.execute(f"CREATE TABLE k(id INTEGER PRIMARY KEY, {cols})")  # the key is the rowid
    rows = [[f"c{i}", i, f"l{i}", i / 3, f"2024-01-{1 + i % 28:02d} 10:00:00",
             None if i % 5 == 0 else i, None if i % 7 == 0 else f"n{i}"] for i in range(1, ROWS + 1)]
    # Odd values in nullable columns sit in rows of their own (a row with any odd value goes
    # one by one as a whole), and are of classes the columns' affinity keeps as they are.
    odd = {50: {1: "12"}, 18_000: {2: 5}, 18_001: {5: None, 6: b"blob"}, 25_000: {3: "1.5"},
           25_001: {5: "seven", 6: None}, 33_000: {1: 2.5, 4: 20240101},
           39_999: {2: b"\xff", 3: "x", 4: "2024-02-30"}}
    for i, change in odd.items():
        for j, v in change.items():
            rows[i - 1][j] = v
    conn.executemany("INSERT INTO s VALUES (?,?,?,?,?,?,?)", rows)
    conn.executemany("INSERT INTO k VALUES (?,?,?,?,?,?,?)",
                     [[i, *r[1:]] for i, r in enumerate(rows, start=1)])
    conn.commit()
    conn.close()
    return path


def test_odd_values_in_not_null_columns_go_one_by_one_as_the_per_value_engine_takes_them(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    src = _not_null_db(tmp_path / "nn.db")
    ins = inspect(str(src))
    mapping = plan(ins.schema, ins.profiles)
    for tm in mapping.tables:
        tm.column("at").pg_type, tm.column("at").converter = "timestamp", "timestamp"
        for cm in tm.columns:
            cm.pg_type = {"integer": "bigint", "real": "double precision"}.get(
                cm.converter, cm.pg_type)

    def run(rj: str) -> tuple[Any, ...]:
        report = run_migration(str(src), pg_dsn, mapping, options=RunOptions(
            reject_dir=str(tmp_path / rj), if_exists="replace"))
        rows = {t: pg_all(pg_conn, f"SELECT n, label, x, at, m, note FROM {t} ORDER BY n, label")
                for t in ("s", "k")}
        lines = {t: sorted(reject_file(tmp_path / rj, t).read_text().splitlines())
                 for t in ("s", "k")}
        counts = {t.source: (t.engine, t.copied_rows, t.rejected_rows, t.altered_by_column)
                  for t in report.tables}
        return report, rows, lines, counts

    fast, fast_rows, fast_lines, fast_counts = run("rj1")
    assert {e for e, *_ in fast_counts.values()} == {"columnar"}
    # 'seven' and 2.5 in INTEGERs, 20240101 as a time, a blob as text, 'x' as REAL, 30 February
    assert {t: c[2] for t, c in fast_counts.items()} == {"s": 3, "k": 3}
    assert [c["name"] for c in fast.checks if not c["ok"] and "rejected" not in c.get(
        "note", "")] == []
    monkeypatch.setattr(columnar, "available", lambda: False)
    slow, slow_rows, slow_lines, slow_counts = run("rj2")
    assert {e for e, *_ in slow_counts.values()} == {"per value"}
    assert fast_rows == slow_rows and fast_lines == slow_lines
    assert {t: c[1:] for t, c in fast_counts.items()} == {t: c[1:] for t, c in slow_counts.items()}
    # the odd values that convert arrived converted: '12' → 12, 5 → '5', '1.5' → 1.5, '7' → 7
    got = {r[0]: r for r in fast_rows["k"]}
    assert got[12][1] == "l50" and got[18_000][1] == "5" and got[25_000][2] == 1.5
    assert (got[18_001][4], got[18_001][5]) == (None, "blob") and 25_001 not in got


@pytest.mark.parametrize("odd", ["x", 2.5, 3.0, b"\x01", 2**63 - 1])
@pytest.mark.parametrize("at", [5, ROWS - 5])  # in the driver's first batch, or a later one
def test_an_integer_column_read_as_it_is_reads_exact_int64_or_says_it_cannot(
        tmp_path: Path, odd: Any, at: int) -> None:
    # The premise of reading integer columns without the CASE (columnar.Select): the driver
    # either gives int64 for every value or, for a value of another storage class, types
    # the column otherwise (first batch) or fails (later batch). Never a silent conversion.
    from sqlite2pg_tui.core.plan.mapping import ColumnMapping
    from sqlite2pg_tui.core.source.reader import open_readonly, read_schema

    src = tmp_path / "i.db"
    conn = sqlite3.connect(src)
    conn.execute("CREATE TABLE t(n)")  # no affinity: every value keeps its class
    conn.executemany("INSERT INTO t VALUES (?)", [(odd if i == at else i,) for i in range(ROWS)])
    conn.commit()
    conn.close()
    sconn = open_readonly(src)
    table = read_schema(sconn, str(src)).tables[0]
    sconn.close()
    cm = ColumnMapping("n", "n", "", "bigint", "integer")
    select = columnar.select_sql(table, [cm], [columnar.form_of(cm)])
    assert select.trusted == [0]
    got: list[Any] = []
    with pytest.raises(columnar.Mixed) if type(odd) is not int else _no_error():
        for batch in columnar.read_batches(str(src), select.sql, columnar.MAX_BATCH_ROWS):
            select.check(batch)
            got += batch.column(select.values[0]).to_pylist()
    if type(odd) is int:
        assert got[at] == odd and len(got) == ROWS


class _no_error:  # noqa: N801 - a context manager standing where pytest.raises would
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return False


def test_a_later_batch_with_text_in_an_integer_column_reads_the_table_again(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "late.db"
    conn = sqlite3.connect(src)
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, q INTEGER NOT NULL)")
    rows = [(i, i * 2 if i % 3 else None, i) for i in range(1, ROWS + 1)]
    rows[30_000] = (30_001, "seven", 7)  # refused: not a number
    rows[35_000] = (35_001, None, 2.5)  # refused: a fraction
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    conn.commit()
    conn.close()
    ins = inspect(str(src))
    mapping = plan(ins.schema, ins.profiles)

    def run(rj: str) -> tuple[Any, ...]:
        report = run_migration(str(src), pg_dsn, mapping, options=RunOptions(
            reject_dir=str(tmp_path / rj), if_exists="replace"))
        t = report.table("t")
        lines = sorted(reject_file(tmp_path / rj, "t").read_text().splitlines())
        return (t.engine, t.copied_rows, t.rejected_rows, lines,
                pg_all(pg_conn, "SELECT id, n, q FROM t ORDER BY id"), report.checks)

    fast = run("rj1")
    assert fast[0] == "columnar" and fast[2] == 2
    assert [c["name"] for c in fast[5] if not c["ok"]] == []
    monkeypatch.setattr(columnar, "available", lambda: False)
    slow = run("rj2")
    assert slow[0] == "per value" and fast[1:5] == slow[1:5]


def test_only_the_rows_holding_an_odd_value_are_read_again(
        tmp_path: Path, pg_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Real NULLs, in nullable columns of every kind (read as they are or through the CASE),
    # stay in the batches; a value of another class, in a nullable or a NOT NULL column,
    # sends its row one by one.
    from sqlite2pg_tui.core.load import columnar_copy

    src = tmp_path / "nulls.db"
    conn = sqlite3.connect(src)
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, x REAL, s TEXT,"
                 " k TEXT NOT NULL, q INTEGER NOT NULL)")
    rows = [(i, None if i % 2 else i, None if i % 3 else i / 2, None if i % 5 else f"s{i}",
             f"k{i}", i) for i in range(1, ROWS + 1)]
    odd = {20_000: (20_000, None, "half", None, "k", 1), 30_000: (30_000, 1, 2.5, None, b"k", 2)}
    for i, row in odd.items():
        rows[i - 1] = row
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.commit()
    conn.close()
    again: list[int] = []
    real = columnar_copy._one_by_one

    def spy(c: Any, row_path: Any, sconn: Any, rowids: list[int], *rest: Any) -> Any:
        again.extend(rowids)
        return real(c, row_path, sconn, rowids, *rest)

    monkeypatch.setattr(columnar_copy, "_one_by_one", spy)
    ins = inspect(str(src))
    report = run_migration(str(src), pg_dsn, plan(ins.schema, ins.profiles),
                           options=RunOptions(reject_dir=str(tmp_path / "rj")))
    assert report.table("t").engine == "columnar"
    assert sorted(again) == sorted(odd)
