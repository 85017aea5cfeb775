"""The parity table: SQLite SQL → the answer SQLite gives, which every translator's PostgreSQL
must give too (test_sql_parity runs each row on both databases).

A row is an expression (run as ``SELECT <expression>``) or a whole ``SELECT``. ``skip`` names
the translators a row does not apply to, with the reason; the translators are "query"
(check queries), "app" (the application's own SQL, port-code) and "ddl" (CHECK constraints
and generated columns for an expression; views for a whole query).
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, NamedTuple


class Row(NamedTuple):
    sql: str
    expected: Any
    skip: dict[str, str] = {}


_NO_ZERO_DIVISION = {"app": "a division by zero raises in PostgreSQL; the application's SQL is "
                            "edited in place, and NULLIF around every divisor would be noise"}

ROWS: list[Row] = [
    # --- dates, times and their modifiers -------------------------------------------------
    Row("date('2024-03-05')", "2024-03-05"),
    Row("date('2024-03-05 10:11:12')", "2024-03-05"),
    Row("datetime('2024-03-05 10:11:12')", "2024-03-05 10:11:12"),
    Row("datetime('2024-03-05T10:11:12')", "2024-03-05 10:11:12"),
    Row("datetime('2024-03-05 10:11:12.345')", "2024-03-05 10:11:12"),
    Row("datetime('2024-01-01 10:00+02:00')", "2024-01-01 08:00:00"),
    Row("datetime('2024-01-01T10:00:00Z')", "2024-01-01 10:00:00"),
    Row("time('2024-03-05 06:07:08')", "06:07:08"),
    Row("date('2024-01-31', '+1 day')", "2024-02-01"),
    Row("date('2024-01-31', '+1 month')", "2024-03-02"),
    Row("date('2024-03-31', '-1 month')", "2024-03-02"),
    Row("date('2024-02-29', '+1 year')", "2025-03-01"),
    Row("date('2024-01-15', '+13 months')", "2025-02-15"),
    Row("date('2024-01-31', '+1.5 months')", "2024-03-17"),
    Row("date('2024-01-31', '-1.5 months')", "2023-12-16"),
    Row("date('2024-02-29', '+1.5 years')", "2025-08-30"),
    Row("date('2024-03-05', 'start of month')", "2024-03-01"),
    Row("date('2024-03-05', 'start of year')", "2024-01-01"),
    Row("date('2024-03-05 10:11:12', 'start of month')", "2024-03-01"),
    Row("datetime('2024-03-05 10:11:12', 'start of day')", "2024-03-05 00:00:00"),
    Row("date('2024-03-05', 'start of year', '-1 day')", "2023-12-31"),
    Row("date('2024-01-31', '+1 month', 'start of month')", "2024-03-01"),
    Row("datetime('2024-03-05 10:11:12', '-2 hours')", "2024-03-05 08:11:12"),
    Row("datetime('2024-03-05 10:11:12', '+90 minutes')", "2024-03-05 11:41:12"),
    Row("datetime('2024-03-05 10:11:12', '+30 seconds')", "2024-03-05 10:11:42"),
    Row("datetime('2024-03-05 10:11:12', '+1.5 days')", "2024-03-06 22:11:12"),
    Row("datetime('2024-03-05 10:11:12', '+1 month', '-1 day', '+2 hours')", "2024-04-04 12:11:12"),
    Row("datetime(1704067200, 'unixepoch')", "2024-01-01 00:00:00"),
    Row("datetime(1704067200.5, 'unixepoch')", "2024-01-01 00:00:00"),
    Row("date(2460000.5)", "2023-02-25"),
    Row("datetime(2460000.25)", "2023-02-24 18:00:00"),
    Row("julianday('2024-01-01 12:00:00')", 2460311.0),
    Row("julianday('2000-01-01')", 2451544.5),
    Row("julianday('2024-01-02') - julianday('2024-01-01 06:00:00')", 0.75),
    Row("CAST(julianday('2024-01-03') - julianday('2024-01-01 12:00:00') AS INTEGER)", 1),
    Row("unixepoch('2024-01-01')", 1704067200),
    Row("unixepoch('2024-01-01 00:00:01.9')", 1704067201),
    Row("unixepoch('1969-12-31 23:59:59.5')", -1),
    Row("strftime('%Y-%m-%d %H:%M:%S', '2024-03-05 06:07:08')", "2024-03-05 06:07:08"),
    Row("strftime('%Y', '2024-03-05')", "2024"),
    Row("strftime('%m/%d', '2024-03-05')", "03/05"),
    Row("strftime('%H:%M', '2024-03-05 06:07:08', '+90 minutes')", "07:37"),
    Row("strftime('%s', '2024-01-01 00:00:00')", "1704067200"),
    Row("strftime('%w', '2024-03-05')", "2"),
    Row("strftime('%w', '2024-03-10')", "0"),
    Row("strftime('%j', '2024-03-05')", "065"),
    Row("strftime('%f', '2024-03-05 06:07:08.123')", "08.123"),
    Row("strftime('%%Y=%Y', '2024-03-05')", "%Y=2024"),
    Row("strftime('week of %Y', '2024-03-05')", "week of 2024"),
    Row("strftime('%d.%m.%Y T%H', '2024-03-05 06:07:08')", "05.03.2024 T06"),
    Row("strftime('%Y-%m-%dT%H:%M:%S', '2024-03-05 06:07:08')", "2024-03-05T06:07:08"),
    Row("strftime('%J', '2024-01-01 12:00:00')", "2460311"),
    Row("date('2023-03-31', '-1 month')", "2023-03-03"),
    Row("datetime('2024-03-05 10:11:12', '+1 year', '-1 month')", "2025-02-05 10:11:12"),
    Row("strftime('%Y-%m', '2024-12-31', '+1 day')", "2025-01"),
    Row("julianday('2024-03-05') - julianday('2024-03-01')", 4.0),
    Row("unixepoch('2024-03-05 10:11:12', 'start of day')", 1709596800),
    Row("datetime('2024-03-05', '+0.5 days')", "2024-03-05 12:00:00"),
    Row("time('2024-03-05 23:59:59', '+2 seconds')", "00:00:01"),
    Row("strftime('%H', '2024-03-05 23:00', '+90 minutes')", "00"),
    Row("date('2024-03-05 23:30:00', '+1 hour')", "2024-03-06"),
    Row("strftime('%Y', 'now') >= '2024'", 1),
    Row("date('now') = date(CURRENT_TIMESTAMP)", 1),
    Row("CURRENT_DATE = date('now')", 1),
    Row("datetime('now') >= '2024-01-01'", 1),
    Row("julianday('now') > 2460000", 1),
    Row("unixepoch('now') - unixepoch('now', '-1 day')", 86400),
    Row("date('now', 'start of month') <= date('now')", 1),
    Row("strftime('%Y') = strftime('%Y', 'now')", 1),
    Row("datetime(CURRENT_TIMESTAMP, '+1 day') > CURRENT_TIMESTAMP", 1),
    # --- LIKE and GLOB ---------------------------------------------------------------------
    Row("'abc' GLOB 'a*'", 1),
    Row("'Abc' GLOB 'a*'", 0),
    Row("'abc' GLOB 'a?c'", 1),
    Row("'a_c' GLOB 'a_c'", 1),
    Row("'abc' GLOB 'a_c'", 0),
    Row("'500' GLOB '50%'", 0),
    Row("'x1' GLOB '[a-z]*'", 1),
    Row("'X1' GLOB '[a-z]*'", 0),
    Row("'b' GLOB '[^a]'", 1),
    Row("'abc' GLOB 'a.c'", 0),
    Row("'a(b)' GLOB 'a(b)'", 1),
    Row("'a\\b' GLOB 'a\\b'", 1),
    Row("'[x' GLOB '[x'", 0),
    Row("'abc' NOT GLOB 'b*'", 1),
    Row("'a\nb' GLOB 'a*b'", 1),
    Row("'Abc' LIKE 'a%'", 1),
    Row("'abc' LIKE 'A_C'", 1),
    Row("'a\\c' LIKE 'a\\c'", 1),
    Row("'abc' LIKE 'a\\%'", 0),
    Row("'abc' NOT LIKE 'x%'", 1),
    Row("'a%' LIKE 'a!%' ESCAPE '!'", 1),
    Row("'ab' LIKE 'a!%' ESCAPE '!'", 0),
    Row("'ABC' LIKE 'abc'", 1),
    Row("'abc' GLOB 'ABC'", 0),
    Row("'a*b' GLOB 'a[*]b'", 1),
    Row("'a?b' GLOB 'a[?]b'", 1),
    Row("'axb' GLOB 'a[?]b'", 0),
    Row("'a]b' GLOB 'a[]]b'", 1),
    # --- strings ---------------------------------------------------------------------------
    Row("'a' || 'b'", "ab"),
    Row("'a' || NULL", None),
    Row("'n' || 1", "n1"),
    Row("1 || 2", "12"),
    Row("length('héllo')", 5),
    Row("length(NULL)", None),
    Row("upper('abc') || lower('DEF')", "ABCdef"),
    Row("substr('hello', 2, 3)", "ell"),
    Row("substr('hello', 2)", "ello"),
    Row("substr('hello', -3)", "llo"),
    Row("instr('hello', 'll')", 3),
    Row("instr('hello', 'z')", 0),
    Row("replace('aaa', 'a', 'b')", "bbb"),
    Row("trim('  x  ')", "x"),
    Row("ltrim('xxa', 'x')", "a"),
    Row("ifnull(NULL, 3)", 3),
    Row("coalesce(NULL, NULL, 'z')", "z"),
    Row("nullif(1, 1)", None),
    Row("iif(1 > 0, 'yes', 'no')", "yes"),
    Row("'b' COLLATE NOCASE = 'B' COLLATE NOCASE", 1,
        {"app": "COLLATE NOCASE in the application's SQL is reported, not rewritten: the "
                "operand to lower() is not one token"}),
    Row("length('')", 0),
    Row("substr('hello', 1, 0)", ""),
    Row("instr('abc', '')", 1),
    Row("coalesce(NULL, 1) + 1", 2),
    Row("ifnull(NULL, 'x') || 'y'", "xy"),
    Row("max('a', 'B')", "a"),
    Row("'B' < 'a'", 1),
    Row("'a' < 'b'", 1),
    # --- numbers ---------------------------------------------------------------------------
    Row("7 / 2", 3),
    Row("-7 / 2", -3),
    Row("7 % 3", 1),
    Row("-7 % 3", -1),
    Row("7 / 2.0", 3.5),
    Row("1 / 0", None, _NO_ZERO_DIVISION),
    Row("round(2.5)", 3.0),
    Row("round(-2.5)", -3.0),
    Row("round(2.567, 2)", 2.57),
    Row("round(1.005, 2)", 1.01),
    Row("abs(-3)", 3),
    Row("max(1, 5, 3)", 5),
    Row("min(4, 2)", 2),
    Row("max(1, NULL)", None),
    Row("min('b', 'a')", "a"),
    Row("CAST(7.9 AS INTEGER)", 7),
    Row("CAST(-7.9 AS INTEGER)", -7),
    Row("CAST('12' AS INTEGER)", 12),
    Row("CAST(3 AS REAL)", 3.0),
    Row("CAST(12 AS TEXT)", "12"),
    Row("3000000000 * 3", 9000000000),
    Row("CAST(3000000000 AS INTEGER)", 3000000000),
    Row("min(1, 2.5)", 1),
    Row("round(0.5)", 1.0),
    Row("round(-0.5)", -1.0),
    Row("CAST('3.7' AS INTEGER)", 3),
    Row("CAST(NULL AS INTEGER)", None),
    Row("10 / 3 * 3", 9),
    Row("5 % -3", 2),
    Row("abs(-2.5)", 2.5),
    # --- NULL and booleans -----------------------------------------------------------------
    Row("NULL IS NULL", 1),
    Row("1 IS NOT NULL", 1),
    Row("NULL = NULL", None),
    Row("1 IN (1, 2)", 1),
    Row("3 NOT IN (1, 2)", 1),
    Row("2 BETWEEN 1 AND 3", 1),
    Row("1 < 2 AND 2 < 3", 1),
    Row("TRUE", 1),
    Row("FALSE OR NULL", None),
    Row("1 = 1 AND NULL", None),
    Row("NOT (1 = 2)", 1),
    Row("1 <> 2", 1),
    # --- whole queries: aggregates, LIMIT --------------------------------------------------
    Row("SELECT total(x) FROM (SELECT 1 AS x) AS q WHERE x > 1", 0.0),
    Row("SELECT sum(x) FROM (SELECT 1 AS x) AS q WHERE x > 1", None),
    Row("SELECT total(x) FROM (SELECT 1 AS x UNION ALL SELECT 2) AS q", 3.0),
    Row("SELECT group_concat(x) FROM (SELECT 'a' AS x) AS q", "a"),
    Row("SELECT total(x) FROM (SELECT 1 AS x UNION ALL SELECT NULL) AS q", 1.0),
    Row("SELECT group_concat(s, '-') FROM (SELECT 'a' AS s UNION ALL SELECT NULL) AS q", "a"),
    Row("SELECT ifnull(sum(x), 0) FROM (SELECT 1 AS x) AS q WHERE x > 1", 0),
    Row("SELECT group_concat(x, '-') FROM (SELECT 7 AS x) AS q", "7"),
    Row("SELECT count(*) FROM (SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3) AS q", 3),
    Row("SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3) AS q ORDER BY x LIMIT 1 OFFSET 1", 2),
    Row("SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3) AS q ORDER BY x LIMIT 1, 1", 2),
    Row("SELECT max(x) FROM (SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 2) AS a LIMIT -1) AS q", 2),
    Row("SELECT count(DISTINCT x) FROM (SELECT 1 AS x UNION ALL SELECT 1) AS q", 1),
    Row("SELECT avg(x) FROM (SELECT 1 AS x UNION ALL SELECT 2) AS q", 1.5),
    Row("SELECT group_concat(DISTINCT x) FROM (SELECT 'a' AS x UNION ALL SELECT 'a') AS q", "a"),
    Row("SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 2) AS q ORDER BY x DESC LIMIT 1", 2),
    Row("SELECT count(*) FROM (SELECT 'abc' AS s) AS q WHERE s LIKE 'A%'", 1),
    Row("SELECT count(*) FROM (SELECT 'abc' AS s) AS q WHERE s GLOB 'A*'", 0),
]

# SQLite functions with no PostgreSQL meaning: a check query or a constraint refuses them,
# application code keeps them with a note to look at.
SQLITE_ONLY = ["typeof(1)", "printf('%d', 1)", "quote('a')", "zeroblob(2)", "randomblob(2)",
               "unicode('a')", "char(65)", "hex('a')", "last_insert_rowid()", "changes()"]


def sqlite_form(v: Any) -> Any:
    """A value read from PostgreSQL as SQLite would give it: booleans as 0/1, times as ISO text."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, datetime):
        return v.isoformat(" ")
    if isinstance(v, date | time):
        return v.isoformat()
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v
