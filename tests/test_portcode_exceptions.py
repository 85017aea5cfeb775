"""sqlite3's exception classes map to the psycopg2 classes PostgreSQL really raises.

Each situation is produced on SQLite (to see which sqlite3 class it raises) and on the
test server through psycopg2; the ported ``except`` must catch what psycopg2 raised.
"""

from __future__ import annotations

import sqlite3
import textwrap
from collections.abc import Callable
from typing import Any

import psycopg2
import pytest

from sqlite2pg_tui.portcode.python import port_source
from sqlite2pg_tui.portcode.python.exceptions import catch_classes


def _closed(conn: Any) -> None:
    conn.close()
    cur = conn.cursor()
    cur.execute("SELECT 1")


def _closed_cursor(conn: Any) -> None:
    cur = conn.cursor()
    cur.close()
    cur.execute("SELECT 1")


def _run(sql: str, params: Any = None) -> Callable[[Any], None]:
    def go(conn: Any) -> None:
        cur = conn.cursor()
        cur.execute("CREATE TEMP TABLE t (id integer PRIMARY KEY, v text NOT NULL)")
        cur.execute("INSERT INTO t VALUES (1, 'a')")
        if params is None:
            cur.execute(sql)
        else:
            cur.execute(sql, params)
    return go


SITUATIONS = {
    "closed connection": _closed,
    "closed cursor": _closed_cursor,
    "syntax error": _run("SELEC 1"),
    "no such table": _run("SELECT * FROM nope"),
    "no such column": _run("SELECT nope FROM t"),
    "duplicate key": _run("INSERT INTO t VALUES (1, 'b')"),
    "NOT NULL": _run("INSERT INTO t VALUES (2, NULL)"),
    "unsupported parameter type": _run("SELECT ?", (object(),)),
}


@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_the_ported_class_catches_what_psycopg2_raises(situation: str, pg_dsn: str) -> None:
    action = SITUATIONS[situation]
    lite = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.Error) as on_sqlite:
        action(lite)
    lite.close()
    name = type(on_sqlite.value).__name__
    pg = psycopg2.connect(pg_dsn)
    try:
        with pytest.raises(Exception) as on_pg:  # noqa: PT011 - any class: it is what we check
            action(_PgShim(pg))
    finally:
        pg.close()
    caught = tuple(getattr(psycopg2, c) for c in catch_classes(name))
    assert isinstance(on_pg.value, caught), (situation, name, type(on_pg.value))


class _PgShim:
    """psycopg2 with sqlite3's ? placeholders, so one action runs on both."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def close(self) -> None:
        self._conn.close()

    def cursor(self) -> Any:
        cur = self._conn.cursor()

        class Cur:
            def execute(self, sql: str, params: Any = None) -> None:
                sql = sql.replace("?", "%s")
                cur.execute(sql) if params is None else cur.execute(sql, params)

            def close(self) -> None:
                cur.close()
        return Cur()


def test_catching_sites_name_every_class_and_raise_sites_one() -> None:
    r = port_source(textwrap.dedent("""\
        import sqlite3
        import pytest

        def f(conn):
            try:
                conn.commit()
            except sqlite3.OperationalError:
                conn.rollback()
            try:
                conn.commit()
            except (sqlite3.ProgrammingError, ValueError):
                conn.rollback()
            with pytest.raises(sqlite3.ProgrammingError):
                conn.commit()
            if isinstance(conn, sqlite3.InterfaceError):
                pass
            raise sqlite3.OperationalError("no")
        """), "app.py")
    out = r.ported_source
    assert "except (psycopg2.OperationalError, psycopg2.ProgrammingError):" in out
    assert "except (psycopg2.ProgrammingError, psycopg2.InterfaceError, ValueError):" in out
    assert "pytest.raises((psycopg2.ProgrammingError, psycopg2.InterfaceError)):" in out
    assert "isinstance(conn, (psycopg2.InterfaceError, psycopg2.ProgrammingError))" in out
    assert 'raise psycopg2.OperationalError("no")' in out
