"""Dirty values never abort silently nor vanish: rejected with a reason, set NULL when asked,
or stop the run cleanly, per column."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import psycopg2.extensions
import pytest
from helpers import (
    edit_mapping,
    isolate_environment,
    make_sqlite,
    migrate_cli,
    pg_count,
    pg_select,
    run_cli,
    table_report,
)

SCHEMA = """
CREATE TABLE readings(id INTEGER PRIMARY KEY, qty INTEGER, taken_at TEXT, note TEXT);
CREATE TABLE clean(id INTEGER PRIMARY KEY, v TEXT);
"""


def _readings() -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = [(i, i, f"2024-01-{1 + i % 28:02d} 10:00:00", f"n{i}")
                                   for i in range(1, 41)]
    rows[4] = (5, "five", "2024-01-05 10:00:00", "bad qty")  # text in an integer column
    rows[9] = (10, 10, "yesterday", "bad time")  # not a timestamp
    rows[14] = (15, 1.5, "someday", "both bad")  # two bad values, still one row
    rows[19] = (20, None, None, "nulls are fine")
    return rows


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return make_sqlite(tmp_path / "dirty.db", SCHEMA,
                       {"readings": _readings(), "clean": [(1, "a"), (2, "b")]})


@pytest.fixture
def mapping(src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "mapping.toml"
    assert run_cli(capsys, "plan", src, "-o", out).code == 0
    return out


def _rejects(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_plan_types_the_dirty_columns_from_the_majority(mapping: Path) -> None:
    from sqlite2pg_tui.core.plan.mapping import Mapping

    t = Mapping.load(mapping).table("readings")
    assert t.column("qty").pg_type == "bigint"
    assert t.column("taken_at").pg_type == "timestamp"
    assert t.column("qty").on_error == "reject"


def test_default_policy_rejects_rows_to_a_jsonl_file(src: Path, tmp_path: Path, pg_dsn: str,
                                                     pg_conn: psycopg2.extensions.connection,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    res, report = migrate_cli(capsys, src, pg_dsn, tmp_path)
    assert res.code == 1, res.err
    r = table_report(report, "readings")
    assert (r["source_rows"], r["copied_rows"], r["rejected_rows"]) == (40, 37, 3)
    assert r["count_match"] is True and r["sample_mismatches"] == 0
    assert r["rejected_by_column"] == {"qty": 2, "taken_at": 2}
    # Every rejected value, with rowid, column, the original value and why.
    lines = _rejects(tmp_path / "rejects" / "readings.jsonl")
    assert [(x["rowid"], x["column"], x["value"]) for x in lines] == [
        (5, "qty", "five"), (10, "taken_at", "yesterday"), (15, "qty", 1.5),
        (15, "taken_at", "someday")]
    assert all(x["reason"] for x in lines)
    assert not (tmp_path / "rejects" / "clean.jsonl").exists()
    ids = [row[0] for row in pg_select(pg_conn, "readings", ["id"], "id")]
    assert ids == [i for i in range(1, 41) if i not in (5, 10, 15)]
    by_id = {r[0]: r[1:] for r in pg_select(pg_conn, "readings", ["id", "qty", "taken_at"], "id")}
    assert by_id[20] == (None, None)  # NULLs are values, not dirt


def test_rejects_are_listed_in_the_printed_report(src: Path, tmp_path: Path, pg_dsn: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "run", src, "--pg", pg_dsn, "--reject-dir", tmp_path / "rj")
    assert res.code == 1
    assert "readings.qty: 2 value(s) rejected" in res.out
    assert f"rejected rows written to {tmp_path / 'rj'}" in res.out
    assert "DONE WITH REJECTS" in res.out and "every row copied was verified" in res.out


def test_default_reject_dir_is_under_the_user_data_dir(src: Path, tmp_path: Path, pg_dsn: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "run", src, "--pg", pg_dsn, "--quiet", "--report", tmp_path / "r.json")
    assert res.code == 1
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    expected = tmp_path / "xdg" / "data" / "sqlite2pg-tui" / "rejects" / "dirty"
    assert report["rejects_dir"] == str(expected)
    assert len(_rejects(expected / "readings.jsonl")) == 4


def test_null_policy_sets_null_and_counts(src: Path, mapping: Path, tmp_path: Path, pg_dsn: str,
                                          pg_conn: psycopg2.extensions.connection,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    edit_mapping(mapping, "readings", "qty", on_error="null")
    edit_mapping(mapping, "readings", "taken_at", on_error="null")
    res, report = migrate_cli(capsys, src, pg_dsn, tmp_path, "--mapping", mapping)
    r = table_report(report, "readings")
    assert (r["copied_rows"], r["rejected_rows"]) == (40, 0)
    assert r["nulled_by_column"] == {"qty": 2, "taken_at": 2}
    assert r["sample_mismatches"] == 0 and r["count_match"] is True
    assert res.code == 0, res.err  # the user chose NULL: nothing unaccounted for
    got = dict(pg_select(pg_conn, "readings", ["id", "qty"], "id"))
    assert (got[5], got[15], got[6]) == (None, None, 6)
    assert not (tmp_path / "rejects" / "readings.jsonl").exists()


def test_null_policy_on_a_not_null_column_still_rejects(tmp_path: Path, pg_dsn: str,
                                                        pg_conn: psycopg2.extensions.connection,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    src = make_sqlite(tmp_path / "nn.db", "CREATE TABLE t(id INTEGER PRIMARY KEY, "
                      "n INTEGER NOT NULL);", {"t": [(1, 1), (2, "x"), (3, 3)]})
    mapping = tmp_path / "m.toml"
    assert run_cli(capsys, "plan", src, "-o", mapping).code == 0
    edit_mapping(mapping, "t", "n", on_error="null")
    res, report = migrate_cli(capsys, src, pg_dsn, tmp_path, "--mapping", mapping)
    assert res.code == 1
    assert table_report(report, "t")["rejected_rows"] == 1
    assert [r[0] for r in pg_select(pg_conn, "t", ["id"], "id")] == [1, 3]


def test_abort_policy_stops_with_exit_2_and_leaves_no_half_table(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Large enough that whole batches reach PostgreSQL before the bad value at the very end.
    rows: list[tuple[Any, ...]] = [(i, i) for i in range(1, 25_001)]
    rows[-1] = (25_000, "not a number")
    src = make_sqlite(tmp_path / "big.db", "CREATE TABLE big(id INTEGER PRIMARY KEY, n INTEGER);",
                      {"big": rows})
    mapping = tmp_path / "m.toml"
    assert run_cli(capsys, "plan", src, "-o", mapping).code == 0
    edit_mapping(mapping, "big", "n", on_error="abort")
    res, report = migrate_cli(capsys, src, pg_dsn, tmp_path, "--mapping", mapping)
    assert res.code == 2
    assert "Traceback" not in res.err
    assert len(res.error_lines) == 1 and res.err.count("\n") == 1  # one line, nothing else
    line = res.error_lines[0]
    assert "big.n" in line and "25000" in line and "abort" in line
    assert pg_count(pg_conn, "big") == 0  # the table's transaction was rolled back
    assert not (tmp_path / "rejects" / "big.jsonl").exists()


def test_nul_bytes_and_invalid_utf8_are_rejected_with_their_bytes(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        capsys: pytest.CaptureFixture[str]) -> None:
    # PostgreSQL text can hold neither; neither may be silently cut or replaced.
    src = make_sqlite(tmp_path / "bytes.db", "CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT);",
                      {"t": [(1, "fine"), (2, "nul\x00inside"), (3, "also fine")]})
    conn = sqlite3.connect(src)
    try:  # text that is not UTF-8: a blob cast to TEXT keeps its raw bytes
        conn.execute("INSERT INTO t VALUES (4, CAST(x'66e96c69636974e9' AS TEXT))")
        conn.commit()
    finally:
        conn.close()
    res, report = migrate_cli(capsys, src, pg_dsn, tmp_path)
    assert res.code == 1, res.err
    t = table_report(report, "t")
    assert (t["copied_rows"], t["rejected_rows"], t["count_match"]) == (2, 2, True)
    lines = {x["rowid"]: x for x in _rejects(tmp_path / "rejects" / "t.jsonl")}
    assert set(lines) == {2, 4}
    assert lines[2]["value"] == "nul\x00inside"  # JSON keeps the NUL
    assert "NUL" in lines[2]["reason"]
    assert lines[4]["value"] == {"bytes_hex": "66e96c69636974e9"}  # every byte recoverable
    assert pg_select(pg_conn, "t", ["id", "s"], "id") == [(1, "fine"), (3, "also fine")]


def test_without_rowid_table_rejects_name_the_key(tmp_path: Path, pg_dsn: str,
                                                  pg_conn: psycopg2.extensions.connection,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    src = make_sqlite(tmp_path / "wr.db",
                      "CREATE TABLE kv(k TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;",
                      {"kv": [("a", 1), ("b", "two"), ("c", 3)]})
    res, report = migrate_cli(capsys, src, pg_dsn, tmp_path, "--sample", "100")
    assert res.code == 1, res.err
    assert [(x["rowid"], x["column"], x["value"]) for x in
            _rejects(tmp_path / "rejects" / "kv.jsonl")] == [("b", "n", "two")]
    kv = table_report(report, "kv")
    assert (kv["copied_rows"], kv["sample_mismatches"]) == (2, 0)
    assert pg_select(pg_conn, "kv", ["k", "n"], "k") == [("a", 1), ("c", 3)]
