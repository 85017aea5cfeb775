"""INTEGER PRIMARY KEY becomes an identity column that keeps every id, and new rows in
PostgreSQL get ids SQLite would have given (past sqlite_sequence's high-water mark)."""

from __future__ import annotations

from pathlib import Path

import psycopg2.extensions
import pytest
from helpers import isolate_environment, make_sqlite, pg_columns, pg_one, pg_select, sqlite_exec

from sqlite2pg_tui.core.pipeline import RunOptions, run_migration


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


def _migrate(src: Path, dsn: str, tmp_path: Path) -> None:
    report = run_migration(str(src), dsn, options=RunOptions(reject_dir=str(tmp_path / "rj")))
    assert report.ok, report.to_json()


def _new_id(conn: psycopg2.extensions.connection, table: str) -> int:
    return int(pg_one(conn, f"INSERT INTO {table} (name) VALUES ('new') RETURNING id"))


def test_autoincrement_keeps_ids_and_continues_past_the_high_water_mark(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    src = make_sqlite(tmp_path / "a.db",
                      "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);")
    sqlite_exec(src, "INSERT INTO t(name) VALUES ('a'),('b'),('c'),('d'),('e');"
                     "DELETE FROM t WHERE id IN (2, 4, 5);")
    # SQLite remembers 5 even though the highest id left is 3.
    _migrate(src, pg_dsn, tmp_path)
    col = pg_columns(pg_conn, "t")["id"]
    assert (col["is_identity"], col["data_type"], col["is_nullable"]) == ("YES", "bigint", "NO")
    assert pg_select(pg_conn, "t", ["id", "name"], "id") == [(1, "a"), (3, "c")]
    assert _new_id(pg_conn, "t") == 6  # not max(id)+1 = 4: ids 4 and 5 were already handed out
    assert _new_id(pg_conn, "t") == 7


def test_autoincrement_table_emptied_in_sqlite(tmp_path: Path, pg_dsn: str,
                                               pg_conn: psycopg2.extensions.connection) -> None:
    src = make_sqlite(tmp_path / "e.db",
                      "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);")
    sqlite_exec(src, "INSERT INTO t(name) VALUES ('a'),('b'),('c'); DELETE FROM t;")
    _migrate(src, pg_dsn, tmp_path)
    assert _new_id(pg_conn, "t") == 4


def test_autoincrement_table_never_used(tmp_path: Path, pg_dsn: str,
                                        pg_conn: psycopg2.extensions.connection) -> None:
    src = make_sqlite(tmp_path / "n.db",
                      "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);")
    _migrate(src, pg_dsn, tmp_path)
    assert _new_id(pg_conn, "t") == 1


def test_plain_integer_primary_key_continues_after_max(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    src = make_sqlite(tmp_path / "p.db", "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);",
                      {"t": [(1, "a"), (2, "b"), (10, "j"), (11, "k")]})
    sqlite_exec(src, "DELETE FROM t WHERE id = 11;")  # without AUTOINCREMENT SQLite reuses 11
    _migrate(src, pg_dsn, tmp_path)
    assert pg_columns(pg_conn, "t")["id"]["is_identity"] == "YES"
    assert [r[0] for r in pg_select(pg_conn, "t", ["id"], "id")] == [1, 2, 10]
    assert _new_id(pg_conn, "t") == 11


def test_empty_plain_integer_primary_key_starts_at_one(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    src = make_sqlite(tmp_path / "z.db", "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);")
    _migrate(src, pg_dsn, tmp_path)
    assert _new_id(pg_conn, "t") == 1


def test_negative_and_huge_ids_are_kept(tmp_path: Path, pg_dsn: str,
                                        pg_conn: psycopg2.extensions.connection) -> None:
    rows = [(-5, "neg"), (0, "zero"), (2**62, "huge")]
    src = make_sqlite(tmp_path / "h.db", "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);",
                      {"t": rows})
    _migrate(src, pg_dsn, tmp_path)
    assert pg_select(pg_conn, "t", ["id", "name"], "id") == rows
    assert _new_id(pg_conn, "t") == 2**62 + 1


def test_non_integer_primary_keys_are_not_identities(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    # "INT PRIMARY KEY" is not a rowid alias in SQLite; neither is a TEXT key.
    src = make_sqlite(tmp_path / "k.db",
                      "CREATE TABLE a(id INT PRIMARY KEY, name TEXT);"
                      "CREATE TABLE b(code TEXT PRIMARY KEY, name TEXT);",
                      {"a": [(1, "x"), (2, "y")], "b": [("k1", "x")]})
    _migrate(src, pg_dsn, tmp_path)
    assert pg_columns(pg_conn, "a")["id"]["is_identity"] == "NO"
    assert pg_columns(pg_conn, "b")["code"]["is_identity"] == "NO"
    assert pg_select(pg_conn, "a", ["id", "name"], "id") == [(1, "x"), (2, "y")]
