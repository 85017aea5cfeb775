"""The rulebook's targets where they differ from a check query: column defaults (typed, reading
the clock), index keys (never the clock), CHECK constraints (GLOB and LIKE as SQLite matches),
each run against real SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import psycopg2.errors
import psycopg2.extensions
import pytest
from psycopg2 import sql

from sqlite2pg_tui.core.sql import defaults, sql_translate
from sqlite2pg_tui.core.sql.rules import Untranslatable

NOW_DEFAULTS = [  # (SQLite DEFAULT, PostgreSQL type, converter)
    ("CURRENT_TIMESTAMP", "timestamp", "timestamp"),
    ("(datetime('now'))", "text", "text"),
    ("(strftime('%Y-%m-%d %H:%M:%S','now'))", "timestamp", "timestamp"),
    ("CURRENT_DATE", "date", "date"),
    ("(date('now'))", "text", "text"),
    ("(strftime('%s','now'))", "bigint", "integer"),
    ("(unixepoch())", "bigint", "integer"),
    ("(strftime('%Y-%m-%dT%H:%M:%fZ','now'))", "text", "text"),
]


def _seconds(v: object) -> float:
    """A clock reading in seconds since the epoch, whatever form it came in."""
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, datetime):
        return v.replace(tzinfo=UTC).timestamp()
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day, tzinfo=UTC).timestamp()
    text = str(v).rstrip("Z")
    if text.isdigit():
        return float(text)
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(("default", "pg_type", "converter"), NOW_DEFAULTS)
def test_clock_defaults_read_the_same_utc_clock(default: str, pg_type: str, converter: str,
                                                pg_conn: psycopg2.extensions.connection) -> None:
    lite = sqlite3.connect(":memory:")
    lite.execute(f"CREATE TABLE t (id INTEGER, v DEFAULT {default})")
    lite.execute("INSERT INTO t (id) VALUES (1)")
    expected = lite.execute("SELECT v FROM t").fetchone()[0]
    lite.close()
    expr = defaults.translate(default, pg_type, converter, {})
    assert expr is not None
    with pg_conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'Asia/Kolkata'")  # the session's zone must not matter
        cur.execute(sql.SQL("CREATE TABLE t (id int, v {} DEFAULT {})").format(sql.SQL(pg_type), expr))
        cur.execute("INSERT INTO t (id) VALUES (1) RETURNING v")
        got = cur.fetchone()[0]
    tolerance = 86400 if pg_type == "date" or "date(" in default else 60
    assert abs(_seconds(got) - _seconds(expected)) < tolerance, (expr, got, expected)
    if pg_type == "text":
        assert len(str(got)) == len(str(expected)), (got, expected)  # the same text form


def test_index_keys_take_glob_and_like_but_never_the_clock(pg_conn: psycopg2.extensions.connection) -> None:
    with pg_conn.cursor() as cur:
        cur.execute("CREATE TABLE t (name text, code text)")
        for ddl in ("CREATE INDEX a ON t (name) WHERE code GLOB '[A-Z]*'",
                    "CREATE INDEX b ON t (name) WHERE name LIKE 'x%'",
                    "CREATE INDEX c ON t (substr(code, -2))"):
            cur.execute(sql_translate.rewrite(sql_translate.parse(ddl)).sql(dialect="postgres"))
    with pytest.raises(Untranslatable, match="clock"):
        sql_translate.rewrite(sql_translate.parse("CREATE INDEX d ON t (name) WHERE code > date('now')"))


CHECKS = ["code GLOB '[a-z]*'", "code GLOB 'x?y*'", "code NOT GLOB '*[0-9]*'", "code LIKE 'ab%'",
          "length(code) = 3 OR code GLOB 'z*'"]
VALUES = ["abc", "ABC", "xay", "xy", "x1y", "a1", "zz", "Abz", "ab\\", ""]


@pytest.mark.parametrize("check", CHECKS)
def test_checks_accept_what_sqlite_accepts(check: str, pg_conn: psycopg2.extensions.connection) -> None:
    lite = sqlite3.connect(":memory:")
    lite.execute(f"CREATE TABLE t (code TEXT CHECK ({check}))")
    translated = sql_translate.expression(check)
    with pg_conn.cursor() as cur:
        cur.execute(f"CREATE TABLE t (code text CHECK ({translated}))")
    for v in VALUES:
        try:
            lite.execute("INSERT INTO t VALUES (?)", (v,))
            sqlite_ok = True
        except sqlite3.IntegrityError:
            sqlite_ok = False
        with pg_conn.cursor() as cur:  # autocommit: a refused row costs nothing
            try:
                cur.execute("INSERT INTO t VALUES (%s)", (v,))
                pg_ok = True
            except psycopg2.errors.CheckViolation:
                pg_ok = False
        assert pg_ok == sqlite_ok, (check, translated, v)
    lite.close()
