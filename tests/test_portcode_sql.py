"""The SQL rules of the code-port assistant, one by one, and their results on a real PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg2.extensions
import pytest
from sql_parity import sqlite_form as _pg_value

from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.source.inspection import inspect
from sqlite2pg_tui.core.sql.rules.dates import NOW_UTC
from sqlite2pg_tui.portcode.context import SqlContext
from sqlite2pg_tui.portcode.sql import SqlResult, rewrite_sql

SCHEMA = """
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, "Name" TEXT, active INTEGER,
                    score REAL, created_at TEXT);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE tags (user_id INTEGER, tag TEXT, note TEXT, UNIQUE (user_id, tag));
CREATE TABLE "Orders" (id INTEGER PRIMARY KEY AUTOINCREMENT, user INTEGER, total REAL);
INSERT INTO users VALUES (1, 'a@x', 'Ann', 1, 1.5, '2024-01-02 03:04:05'),
                         (2, 'b@x', 'Bob', 0, 2.5, '2024-02-03 04:05:06');
INSERT INTO settings VALUES ('k', 'v');
INSERT INTO tags VALUES (1, 't', NULL);
INSERT INTO "Orders" (user, total) VALUES (1, 9.5);
"""


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> SqlContext:
    path = tmp_path_factory.mktemp("portsql") / "app.db"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    conn.close()
    ins = inspect(str(path))
    mapping = plan(ins.schema, ins.profiles, "keep")
    # The 0/1 column became boolean: the data's suggestion, accepted as a person would.
    assert mapping.table("users").column("active").accept_suggestion()
    assert mapping.table("users").column("active").pg_type == "boolean"
    return SqlContext.build(mapping, ins.schema)


def port(sql: str, ctx: SqlContext | None = None, params: bool = True, **kw: Any) -> SqlResult:
    return rewrite_sql(sql, has_params=params, ctx=ctx, **kw)


def kinds(r: SqlResult) -> set[str]:
    return {n.kind for n in r.notes}


# --- placeholders and % ------------------------------------------------------------------

def test_question_marks_become_pyformat_but_not_inside_strings_names_or_comments() -> None:
    r = port("SELECT '?', \"a?\" FROM t WHERE a = ? AND b = ? -- why?\n")
    assert r.sql == "SELECT '?', \"a?\" FROM t WHERE a = %s AND b = %s -- why?\n"
    assert "placeholders" in kinds(r)


def test_named_placeholders_all_three_spellings() -> None:
    r = port("UPDATE t SET a = :a, b = @b, c = $c WHERE d = :d")
    assert r.sql == "UPDATE t SET a = %(a)s, b = %(b)s, c = %(c)s WHERE d = %(d)s"


def test_times_in_string_literals_are_not_named_placeholders() -> None:
    assert port("SELECT * FROM t WHERE at = '12:30' AND x = :x").sql == \
        "SELECT * FROM t WHERE at = '12:30' AND x = %(x)s"


def test_numbered_placeholders_are_reported_not_guessed() -> None:
    r = port("SELECT ?1, ?2")
    assert r.sql == "SELECT ?1, ?2"
    assert any(n.needs_look and n.kind == "placeholders" for n in r.notes)


def test_percent_is_doubled_only_when_parameters_are_passed() -> None:
    sql = "SELECT a % 2 FROM t WHERE b LIKE '50%' -- 100%\n AND c = ?"
    assert port(sql, params=True).sql == \
        "SELECT a %% 2 FROM t WHERE b ILIKE '50%%' -- 100%%\n AND c = %s"
    assert port("SELECT a % 2 FROM t WHERE b LIKE '50%'", params=False).sql == \
        "SELECT a % 2 FROM t WHERE b ILIKE '50%'"


def test_sql_already_in_psycopg2_style_is_left_alone() -> None:
    sql = "SELECT * FROM t WHERE a = %s AND b LIKE '%%x' AND c = IFNULL(d, 0)"
    r = port(sql)
    assert r.sql == sql and not r.notes


# --- functions ---------------------------------------------------------------------------

def test_datetime_now_is_utc_now() -> None:
    r = port("INSERT INTO t (at) VALUES (datetime('now'))", params=False)
    assert r.sql == f"INSERT INTO t (at) VALUES ({NOW_UTC})"
    assert "date-function" in kinds(r)


def test_date_now_minus_seven_days() -> None:
    r = port("SELECT * FROM t WHERE at >= date('now', '-7 days')", params=False)
    assert r.sql == f"SELECT * FROM t WHERE at >= CAST({NOW_UTC} - INTERVAL '7 days' AS DATE)"


def test_strftime_year_of_a_timestamp_column(ctx: SqlContext) -> None:
    r = port("SELECT strftime('%Y', created_at) FROM users", ctx, params=False)
    assert r.sql == "SELECT TO_CHAR(created_at, 'YYYY') FROM users"
    # Unknown type: cast to timestamp (a no-op if it already is one).
    assert port("SELECT strftime('%Y-%m', d) FROM t", params=False).sql == \
        "SELECT TO_CHAR(CAST(d AS TIMESTAMP), 'YYYY-MM') FROM t"


def test_strftime_with_parameters_has_no_stray_percent() -> None:
    r = port("SELECT strftime('%d.%m', d) FROM t WHERE a = ?")
    assert r.sql == "SELECT TO_CHAR(CAST(d AS TIMESTAMP), 'DD.MM') FROM t WHERE a = %s"


def test_strftime_code_without_equivalent_is_reported_and_left() -> None:
    r = port("SELECT strftime('%W', d) FROM t", params=False)
    assert r.sql == "SELECT strftime('%W', d) FROM t"
    assert any(n.needs_look for n in r.notes)


def test_julianday_and_unixepoch() -> None:
    r = port("SELECT julianday(d), unixepoch(d) FROM t", params=False)
    assert "JULIANDAY" not in r.sql.upper() and "UNIXEPOCH" not in r.sql.upper()
    assert "2440587.5" in r.sql and "EXTRACT(EPOCH FROM CAST(d AS TIMESTAMP))" in r.sql


def test_ifnull_keeps_the_authors_case() -> None:
    assert port("select ifnull(a, 0) from t", params=False).sql == "select coalesce(a, 0) from t"
    assert port("SELECT IFNULL(a, 0) FROM t", params=False).sql == "SELECT COALESCE(a, 0) FROM t"


def test_group_concat(ctx: SqlContext) -> None:
    assert port("SELECT group_concat(id) FROM users", ctx, params=False).sql == \
        "SELECT string_agg(CAST(id AS TEXT), ',') FROM users"
    assert port("SELECT GROUP_CONCAT(DISTINCT email, '; ') FROM users", ctx, params=False).sql == \
        "SELECT STRING_AGG(DISTINCT email, '; ') FROM users"


def test_nested_functions_are_rebuilt_inside_out() -> None:
    r = port("SELECT IFNULL(GROUP_CONCAT(strftime('%Y', d)), '') FROM t", params=False)
    assert r.sql == ("SELECT COALESCE(STRING_AGG(CAST(TO_CHAR(CAST(d AS TIMESTAMP), 'YYYY') AS TEXT), "
                     "','), '') FROM t")


def test_cast_to_integer_is_64_bit_and_truncates_fractions() -> None:
    assert port("SELECT CAST(a AS INTEGER) FROM t", params=False).sql == "SELECT CAST(a AS BIGINT) FROM t"
    assert port("SELECT CAST(a / 2.0 AS INTEGER) FROM t", params=False).sql == \
        "SELECT CAST(TRUNC(a / 2.0) AS BIGINT) FROM t"


def test_sqlite_only_functions_are_reported() -> None:
    r = port("SELECT typeof(a), last_insert_rowid() FROM t", params=False)
    assert r.sql == "SELECT typeof(a), last_insert_rowid() FROM t"
    assert {"typeof", "last_insert_rowid"} <= {n.kind for n in r.notes if n.needs_look}


# --- upserts -----------------------------------------------------------------------------

def test_insert_or_ignore_is_on_conflict_do_nothing() -> None:
    r = port("INSERT OR IGNORE INTO tags (user_id, tag) VALUES (?, ?)")
    assert r.sql == "INSERT INTO tags (user_id, tag) VALUES (%s, %s) ON CONFLICT DO NOTHING"
    assert r.conflict_ignored


def test_insert_or_replace_takes_its_conflict_target_from_the_schema(ctx: SqlContext) -> None:
    r = port("INSERT OR REPLACE INTO settings (key, value) VALUES (:k, :v)", ctx)
    assert r.sql == ("INSERT INTO settings (key, value) VALUES (%(k)s, %(v)s) "
                     "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")
    r = port("REPLACE INTO tags (user_id, tag, note) VALUES (?, ?, ?)", ctx)
    assert r.sql == ("INSERT INTO tags (user_id, tag, note) VALUES (%s, %s, %s) "
                     "ON CONFLICT (user_id, tag) DO UPDATE SET note = EXCLUDED.note")


def test_insert_or_replace_without_a_schema_is_reported_not_guessed() -> None:
    r = port("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)")
    assert r.sql == "INSERT OR REPLACE INTO settings (key, value) VALUES (%s, %s)"
    assert any(n.kind == "upsert" and n.needs_look for n in r.notes)


def test_upsert_goes_before_returning(ctx: SqlContext) -> None:
    r = port("INSERT OR IGNORE INTO users (email) VALUES (?) RETURNING id", ctx)
    assert r.sql == "INSERT INTO users (email) VALUES (%s) ON CONFLICT DO NOTHING RETURNING id"


def test_returning_is_added_for_lastrowid_with_the_key_from_the_schema(ctx: SqlContext) -> None:
    r = port('INSERT INTO "Orders" (user, total) VALUES (?, ?)', ctx, returning=True)
    assert r.sql == 'INSERT INTO "Orders" ("user", total) VALUES (%s, %s) RETURNING id'
    assert r.returning


# --- other dialect rules -----------------------------------------------------------------

def test_limit_minus_one_and_limit_offset_comma() -> None:
    assert port("SELECT * FROM t LIMIT -1 OFFSET 5", params=False).sql == "SELECT * FROM t LIMIT ALL OFFSET 5"
    assert port("SELECT * FROM t LIMIT ?, ?").sql == "SELECT * FROM t OFFSET %s LIMIT %s"


def test_autoincrement_in_create_table(ctx: SqlContext) -> None:
    r = port("CREATE TABLE IF NOT EXISTS t (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,\n  n REAL,\n"
             "  b BLOB\n) WITHOUT ROWID", params=False)
    assert r.sql == ("CREATE TABLE IF NOT EXISTS t (\n  id BIGINT GENERATED BY DEFAULT AS IDENTITY "
                     "PRIMARY KEY,\n  n DOUBLE PRECISION,\n  b BYTEA\n)")
    r = port("CREATE TABLE users (id INTEGER PRIMARY KEY, active INTEGER DEFAULT 1)", ctx, params=False)
    assert r.sql == ("CREATE TABLE users (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                     "active BOOLEAN DEFAULT TRUE)")


def test_concatenation_gets_a_note() -> None:
    r = port("SELECT a || b FROM t", params=False)
    assert r.sql == "SELECT a || b FROM t" and "concat" in kinds(r)


def test_like_becomes_ilike_and_glob_becomes_like() -> None:
    assert port("SELECT * FROM t WHERE a NOT LIKE ? AND b like ?").sql == \
        "SELECT * FROM t WHERE a NOT ILIKE %s AND b ilike %s"
    assert port("SELECT * FROM t WHERE a GLOB 'x*?'", params=False).sql == \
        "SELECT * FROM t WHERE a LIKE 'x%_'"


def test_boolean_comparisons_only_on_columns_the_mapping_made_boolean(ctx: SqlContext) -> None:
    assert port("SELECT * FROM users u WHERE u.active = 1 AND 0 <> active AND score = 1",
                ctx, params=False).sql == \
        "SELECT * FROM users u WHERE u.active = TRUE AND FALSE <> active AND score = 1"
    assert port("UPDATE users SET active = 0 WHERE id = ?", ctx).sql == \
        "UPDATE users SET active = FALSE WHERE id = %s"
    assert port("INSERT INTO users (email, active) VALUES ('x', 1)", ctx, params=False).sql == \
        "INSERT INTO users (email, active) VALUES ('x', TRUE)"
    assert port("SELECT SUM(active) FROM users", ctx, params=False).sql == \
        "SELECT SUM(CAST(active AS INTEGER)) FROM users"
    r = port("SELECT * FROM users WHERE active = ?", ctx)
    assert any(n.kind == "boolean" and n.needs_look for n in r.notes)
    assert port("SELECT * FROM users WHERE active = 1", params=False).sql == \
        "SELECT * FROM users WHERE active = 1"  # no mapping: nothing is known to be boolean


def test_pragmas() -> None:
    r = port("PRAGMA foreign_keys = ON", params=False)
    assert r.removed and r.sql == ""
    assert port("PRAGMA busy_timeout = 5000", params=False).sql == "SET lock_timeout = 5000"
    r = port("PRAGMA table_info(users)", params=False)
    assert r.sql == "PRAGMA table_info(users)" and r.notes[0].needs_look
    r = port("PRAGMA journal_mode = WAL;\nCREATE TABLE t (x TEXT);\n", params=False, script=True)
    assert r.sql == "CREATE TABLE t (x TEXT);\n" and not r.removed


def test_names_postgresql_would_fold_or_reserve(ctx: SqlContext) -> None:
    assert port('SELECT user, total FROM Orders', ctx, params=False).sql == \
        'SELECT "user", total FROM "Orders"'
    assert port("SELECT count(*) AS Total FROM t ORDER BY Total", params=False).sql == \
        'SELECT count(*) AS "Total" FROM t ORDER BY "Total"'
    assert port("SELECT name FROM users", ctx, params=False).sql == 'SELECT "Name" FROM users'


def test_double_quoted_string_that_is_no_column(ctx: SqlContext) -> None:
    r = port('SELECT id FROM users WHERE email = "a@x"', ctx, params=False)
    assert r.sql == "SELECT id FROM users WHERE email = 'a@x'"
    assert any(n.kind == "string-literal" and n.needs_look for n in r.notes)


def test_unparseable_sql_still_gets_its_placeholders() -> None:
    r = port("SELEC oops ? FROM")
    assert r.sql == "SELEC oops %s FROM"


# --- the translations against PostgreSQL itself ------------------------------------------

# Each expression: what SQLite answers must be what the translation answers in PostgreSQL.
SAME_ANSWER = [
    "strftime('%Y-%m-%d %H:%M:%S', '2024-03-05 06:07:08')",
    "strftime('%Y', '2024-03-05')",
    "strftime('%s', '2024-01-01 00:00:00')",
    "strftime('%w', '2024-03-05')",
    "strftime('%j', '2024-03-05')",
    "strftime('%H:%M', '2024-03-05 06:07:08', '+90 minutes')",
    "date('2024-01-31', '+1 day')",
    "date('2024-03-05 10:11:12', 'start of month')",
    "date('2024-03-05', 'start of year', '-1 day')",
    "datetime('2024-03-05 10:11:12', '-2 hours')",
    "datetime(1704067200, 'unixepoch')",
    "julianday('2024-01-01 12:00:00')",
    "julianday('2024-01-02') - julianday('2024-01-01 06:00:00')",
    "unixepoch('2024-01-01')",
    "CAST(julianday('2024-01-03') - julianday('2024-01-01 12:00:00') AS INTEGER)",
    "IFNULL(NULL, 3)",
    "iif(1 > 0, 'yes', 'no')",
    "round(2.567, 2)",
    "max(1, 5, 3)",
    "min(4, 2)",
    "instr('hello', 'll')",
    "'Abc' LIKE 'a%'",
    "'abc' GLOB 'a*'",
    "CAST(7.9 AS INTEGER)",
]


@pytest.mark.parametrize("expr", SAME_ANSWER)
def test_translations_answer_the_same_in_postgresql(expr: str, pg_conn: psycopg2.extensions.connection) -> None:
    lite = sqlite3.connect(":memory:")
    expected = lite.execute(f"SELECT {expr}").fetchone()[0]
    lite.close()
    ported = rewrite_sql(f"SELECT {expr}").sql
    with pg_conn.cursor() as cur:
        cur.execute(ported)
        got = _pg_value(cur.fetchone()[0])
    if isinstance(expected, float):
        assert got == pytest.approx(expected), ported
    else:
        assert got == expected, ported


def test_aggregates_answer_the_same_in_postgresql(pg_conn: psycopg2.extensions.connection,
                                                  tmp_path: Path) -> None:
    rows = "SELECT 1 AS x, 'a' AS s UNION ALL SELECT 2, 'b' UNION ALL SELECT NULL, NULL"
    for expr in ("total(x)", "GROUP_CONCAT(x)", "group_concat(s, '-')", "IFNULL(SUM(x), 0)"):
        sql = f"SELECT {expr} FROM ({rows}) AS q"
        lite = sqlite3.connect(":memory:")
        expected = lite.execute(sql).fetchone()[0]
        lite.close()
        with pg_conn.cursor() as cur:
            cur.execute(rewrite_sql(sql).sql)
            assert _pg_value(cur.fetchone()[0]) == expected, expr


def test_now_translations_are_close_to_sqlite_now(pg_conn: psycopg2.extensions.connection) -> None:
    lite = sqlite3.connect(":memory:")
    expected = lite.execute("SELECT datetime('now', '-7 days'), date('now')").fetchone()
    lite.close()
    with pg_conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'America/New_York'")  # the session zone must not matter
        cur.execute(rewrite_sql("SELECT datetime('now', '-7 days'), date('now')").sql)
        got, today = cur.fetchone()
    assert abs((got - datetime.fromisoformat(expected[0])).total_seconds()) < 60
    assert today.isoformat() == expected[1] or abs((today - date.fromisoformat(expected[1])).days) <= 1


def test_sqlite_only_operators() -> None:
    assert port("SELECT * FROM t WHERE a == ? AND b NOT NULL AND c IS NOT NULL").sql == \
        "SELECT * FROM t WHERE a = %s AND b IS NOT NULL AND c IS NOT NULL"
    assert port("CREATE TABLE t (a TEXT NOT NULL)", params=False).sql == "CREATE TABLE t (a TEXT NOT NULL)"


def test_null_for_the_integer_primary_key_becomes_default(ctx: SqlContext) -> None:
    assert port("INSERT INTO users VALUES (NULL, ?, ?, 1, 0.5, NULL)", ctx).sql == \
        "INSERT INTO users VALUES (DEFAULT, %s, %s, TRUE, 0.5, NULL)"
    assert port("INSERT INTO users (id, email) VALUES (NULL, ?), (NULL, ?)", ctx).sql == \
        "INSERT INTO users (id, email) VALUES (DEFAULT, %s), (DEFAULT, %s)"
    r = port("INSERT INTO t VALUES (NULL, ?)")
    assert r.sql == "INSERT INTO t VALUES (NULL, %s)"
    assert any(n.kind == "identity" and n.needs_look for n in r.notes)


def test_sqlite_catalog_tables_need_a_look() -> None:
    r = port("SELECT name FROM sqlite_master WHERE type = 'table'", params=False)
    assert any(n.kind == "catalog" and n.needs_look for n in r.notes)


def test_reserved_column_names_in_create_table() -> None:
    assert port("CREATE TABLE s (id INTEGER PRIMARY KEY, end TIMESTAMP, user TEXT)", params=False).sql == \
        'CREATE TABLE s (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "end" TIMESTAMP, "user" TEXT)'


def test_columns_without_a_type(ctx: SqlContext) -> None:
    r = port("CREATE TABLE t (x, y TEXT)", params=False)
    assert r.sql == "CREATE TABLE t (x, y TEXT)"
    assert any(n.kind == "create-table" and n.needs_look for n in r.notes)
    assert port("CREATE TABLE settings (key PRIMARY KEY, value)", ctx, params=False).sql == \
        "CREATE TABLE settings (key text PRIMARY KEY, value text)"


def test_results_are_checked_with_sqlglots_postgres_parser() -> None:
    from sqlite2pg_tui.portcode.sql.rewrite import _parses_as_postgres

    assert _parses_as_postgres("SELECT a %% 2 FROM t WHERE b = %s AND c = %(c)s", True)
    assert not _parses_as_postgres("SELECT (a FROM", False)
