"""Every row of the parity table (sql_parity.py) on both databases, through every translator:
SQLite's answer is the row's, and so is PostgreSQL's for the SQL each translator writes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg2
import psycopg2.extensions
import pytest
from sql_parity import ROWS, SQLITE_ONLY, Row, sqlite_form

from sqlite2pg_tui.core.plan.mapping import Mapping
from sqlite2pg_tui.core.sql import query_translate, sql_translate
from sqlite2pg_tui.core.sql.rules import Untranslatable
from sqlite2pg_tui.portcode.sql import rewrite_sql


def _query(row: str) -> str:
    return row if row.startswith("SELECT ") else f"SELECT {row}"


def by_query(sql: str) -> str:
    return query_translate.translate(_query(sql), Mapping()).sql


def by_app(sql: str) -> str:
    return rewrite_sql(_query(sql)).sql


def by_ddl(sql: str) -> str:
    if sql.startswith("SELECT "):
        view = sql_translate.statement(f"CREATE VIEW parity_v AS {sql}")
        return f"{view}; SELECT * FROM parity_v"
    return "SELECT " + sql_translate.expression(sql)


TRANSLATORS: dict[str, Callable[[str], str]] = {"query": by_query, "app": by_app, "ddl": by_ddl}
# Check queries and the migration's DDL run in UTC sessions; application code must not depend
# on the session's zone, so it runs in another one.
ZONES = {"query": "UTC", "ddl": "UTC", "app": "America/New_York"}


@pytest.fixture(scope="module")
def pg(pg_server_dsn: str) -> Iterator[psycopg2.extensions.connection]:
    conn = psycopg2.connect(pg_server_dsn)
    try:
        yield conn
    finally:
        conn.close()


def sqlite_answer(sql: str) -> Any:
    import sqlite3

    lite = sqlite3.connect(":memory:")
    try:
        return lite.execute(_query(sql)).fetchone()[0]
    finally:
        lite.close()


def _same(got: Any, expected: Any) -> bool:
    if isinstance(expected, float) and isinstance(got, int | float):
        return got == pytest.approx(expected)
    return type(got) is type(expected) and got == expected or (got is None and expected is None)


@pytest.mark.parametrize("row", ROWS, ids=[r.sql for r in ROWS])
def test_sqlite_gives_the_rows_answer(row: Row) -> None:
    assert _same(sqlite_answer(row.sql), row.expected)


@pytest.mark.parametrize("translator", list(TRANSLATORS))
@pytest.mark.parametrize("row", ROWS, ids=[r.sql for r in ROWS])
def test_postgresql_gives_the_same_answer(row: Row, translator: str,
                                          pg: psycopg2.extensions.connection) -> None:
    if translator in row.skip:
        pytest.skip(row.skip[translator])
    written = TRANSLATORS[translator](row.sql)
    try:
        with pg.cursor() as cur:
            cur.execute(f"SET TIME ZONE '{ZONES[translator]}'")
            cur.execute(written)
            got = sqlite_form(cur.fetchone()[0])
    finally:
        pg.rollback()
    assert _same(got, row.expected), (written, got)


@pytest.mark.parametrize("expr", SQLITE_ONLY)
def test_sqlite_only_functions_are_refused_or_flagged(expr: str) -> None:
    for translate in (by_query, by_ddl):
        with pytest.raises(Untranslatable, match=r"no PostgreSQL equivalent"):
            translate(expr)
    r = rewrite_sql(_query(expr))
    assert r.sql == _query(expr) and any(n.needs_look and not n.applied for n in r.notes)
