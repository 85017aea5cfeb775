"""Raw SQL handed to Django or SQLAlchemy: ported in the framework's style, calls kept."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import psycopg2.extensions

from sqlite2pg_tui.portcode.findings import FileResult
from sqlite2pg_tui.portcode.python import port_source
from sqlite2pg_tui.portcode.scan import scan_paths

SQLA = '''\
import sqlalchemy as sa
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from app.models import Item

engine = create_engine("sqlite:///app.db", echo=False)

TOTALS = text("SELECT IFNULL(SUM(price), 0) AS total FROM items WHERE kind = :kind AND name LIKE 'a%'")


def totals(session: Session, kind: str):
    return session.execute(TOTALS, {"kind": kind}).scalar_one()


def by_year(session: Session, year: int):
    stmt = select(Item).where(func.strftime("%Y", Item.created) == str(year))
    return session.execute(stmt).scalars().all()


def ages(conn):
    rows = conn.execute(
        sa.text("SELECT id, julianday('now') - julianday(created) AS age FROM items WHERE id > :n"),
        {"n": 0},
    ).all()
    conn.execute(text("UPDATE items SET price = 0 WHERE price IS NULL"))
    return rows


def old(session: Session):
    return session.execute(select(Item).where(func.julianday(Item.created) < 2450000)).all()


def raw(conn):
    conn.exec_driver_sql("INSERT OR IGNORE INTO items (name) VALUES (?)", ("x",))
'''

DJANGO = '''\
from pathlib import Path

from django.db import connection
from django.db.models.expressions import RawSQL

from shop.models import Order

BASE_DIR = Path(__file__).resolve().parent

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }
}


def monthly(year):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT strftime('%%m', created) AS m, IFNULL(SUM(total), 0) AS total FROM shop_order"
            " WHERE strftime('%%Y', created) = %s AND note LIKE 'x%%' GROUP BY m ORDER BY m",
            [str(year)],
        )
        return cursor.fetchall()


def names():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("SELECT group_concat(note, ',') FROM shop_order WHERE note LIKE 'x%'")
        return cursor.fetchone()


def recent():
    return list(Order.objects.raw(
        "SELECT * FROM shop_order WHERE created > datetime('now', '-7 days') AND id > %(id)s", {"id": 0}))


def annotated():
    return Order.objects.annotate(age=RawSQL("julianday('now') - julianday(created)", ())).extra(
        where=["IFNULL(note, '') <> %s"], params=[""],
        select={"yr": "strftime('%%Y', created)"})
'''


def port(src: str) -> FileResult:
    r = port_source(textwrap.dedent(src), "app.py")
    ast.parse(r.ported_source)
    return r


def test_sqlalchemy_execute_is_never_turned_into_cursor_code() -> None:
    r = port(SQLA)
    out = r.ported_source
    assert "cursor" not in out
    assert "session.execute(TOTALS, {\"kind\": kind}).scalar_one()" in out
    assert "session.execute(stmt).scalars().all()" in out
    assert "rows = conn.execute(\n        sa.text(" in out
    assert 'conn.execute(text("UPDATE items SET price = 0 WHERE price IS NULL"))' in out
    assert not [f for f in r.findings if f.kind in ("receiver", "conn-execute")]


def test_text_sql_is_ported_keeping_its_named_binds_and_single_percent() -> None:
    out = port(SQLA).ported_source
    # text() stays text(); :kind stays; % stays single (SQLAlchemy doubles it for psycopg2).
    assert ('TOTALS = text("SELECT COALESCE(SUM(price), 0) AS total FROM items '
            "WHERE kind = :kind AND name ILIKE 'a%'\")") in out
    ages = re.search(r'sa\.text\("(.*?)"\)', out)
    assert ages and ":n" in ages.group(1) and "julianday" not in ages.group(1)
    assert "EXTRACT(EPOCH FROM" in ages.group(1)


def test_exec_driver_sql_takes_psycopg2_paramstyle() -> None:
    out = port(SQLA).ported_source
    assert ('conn.exec_driver_sql("INSERT INTO items (name) VALUES (%s) ON CONFLICT DO NOTHING", ("x",))'
            in out)


def test_sqlalchemy_func_date_functions_and_sqlite_url() -> None:
    r = port(SQLA)
    out = r.ported_source
    assert 'func.to_char(Item.created, "YYYY") == str(year)' in out
    assert "(func.date_part(\"epoch\", Item.created) / 86400.0 + 2440587.5) < 2450000" in out
    assert 'engine = create_engine(os.environ.get("DATABASE_URL", "postgresql://"), echo=False)' in out
    assert "import os\nimport sqlalchemy as sa\n" in out
    assert "func.strftime" not in out and "func.julianday" not in out


def test_django_raw_sql_is_ported_in_djangos_style() -> None:
    r = port(DJANGO)
    out = r.ported_source
    assert "with connection.cursor() as cursor:\n        cursor.execute(\n" in out  # untouched call
    assert ("\"SELECT TO_CHAR(CAST(created AS TIMESTAMP), 'MM') AS m, COALESCE(SUM(total), 0) AS total"
            in out)
    # Django's %s and %% are already psycopg2's: kept exactly.
    assert "'YYYY') = %s AND note ILIKE 'x%%' GROUP BY m ORDER BY m\"" in out
    assert "PRAGMA" not in out
    assert "string_agg(CAST(note AS TEXT), ',') FROM shop_order WHERE note ILIKE 'x%'\")" in out
    assert "(NOW() AT TIME ZONE 'UTC') - INTERVAL '7 days' AND id > %(id)s\", {\"id\": 0}" in out
    assert 'RawSQL("(CAST(EXTRACT(EPOCH FROM' in out
    assert "where=[\"COALESCE(note, '') <> %s\"]" in out
    assert "select={\"yr\": \"TO_CHAR(CAST(created AS TIMESTAMP), 'YYYY')\"}" in out


def test_django_settings_name_postgresql_from_the_environment() -> None:
    r = port(DJANGO)
    out = r.ported_source
    assert '"ENGINE": "django.db.backends.postgresql",' in out
    assert '"NAME": os.environ.get("PGDATABASE", ""),' in out
    assert out.startswith("import os\nfrom pathlib import Path\n")
    looks = [f for f in r.findings if f.kind == "settings"]
    assert len(looks) == 2 and all(f.needs_look for f in looks)


def test_ported_framework_sql_runs_on_postgresql(pg_conn: psycopg2.extensions.connection) -> None:
    """Django hands its SQL and parameters to psycopg2 as they are; SQLAlchemy turns :name
    into %(name)s and doubles %. Done the same way here, the ported SQL must run."""
    with pg_conn.cursor() as cur:
        cur.execute("CREATE TABLE shop_order (id bigint PRIMARY KEY, created timestamp, total numeric,"
                    " note text)")
        cur.execute("INSERT INTO shop_order VALUES (1, '2024-03-05 10:00', 12.5, 'xa'),"
                    " (2, '2024-04-01 09:00', 1, 'xb'), (3, now(), 2, NULL)")
        cur.execute("CREATE TABLE items (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
                    " name text UNIQUE, price numeric,"
                    " kind text, created timestamp)")
        cur.execute("INSERT INTO items (name, price, kind, created) VALUES ('apple', 2, 'fruit', '2024-01-01'),"
                    " ('banana', NULL, 'fruit', '2024-01-02')")
    dj = ast.parse(port(DJANGO).ported_source)
    sqla = ast.parse(port(SQLA).ported_source)

    def literal_in(tree: ast.Module, func: str) -> str:
        for n in ast.walk(tree):
            if isinstance(n, ast.Call) and (getattr(n.func, "attr", None) == func
                                            or getattr(n.func, "id", None) == func):
                first = n.args[0] if n.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    return first.value
        raise AssertionError(func)

    monthly = next(n.args[0].value for n in ast.walk(dj) if isinstance(n, ast.Call)
                   and getattr(n.func, "attr", None) == "execute" and "TO_CHAR" in ast.unparse(n))
    with pg_conn.cursor() as cur:
        cur.execute(monthly, ["2024"])
        assert [(m, float(t)) for m, t in cur.fetchall()] == [("03", 12.5), ("04", 1.0)]
        cur.execute(literal_in(dj, "raw"), {"id": 0})
        assert [r[0] for r in cur.fetchall()] == [3]
        cur.execute("SELECT " + literal_in(dj, "RawSQL") + " FROM shop_order WHERE id = 1")
        assert cur.fetchone()[0] > 0
        totals = next(n.value.args[0].value for n in sqla.body if isinstance(n, ast.Assign)
                      and isinstance(n.value, ast.Call) and getattr(n.value.func, "id", "") == "text")
        cur.execute(re.sub(r":(\w+)", r"%(\1)s", totals.replace("%", "%%")), {"kind": "fruit"})
        assert float(cur.fetchone()[0]) == 2.0
        cur.execute(literal_in(sqla, "exec_driver_sql"), ("apple",))
        cur.execute("SELECT count(*) FROM items")
        assert cur.fetchone()[0] == 2


def test_sqlite_urls_are_replaced_only_where_they_are_the_database() -> None:
    r = port('''\
        import os

        from flask import Flask

        app = Flask(__name__)
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///app.db")
        app.config.from_mapping(SQLALCHEMY_DATABASE_URI="sqlite:///other.db")
        DATABASE_URL = "sqlite:///x.db"
        SCHEMES = ["sqlite:///", "postgresql://"]
        ''')
    out = r.ported_source
    assert 'os.environ.get("DATABASE_URL", "postgresql://")\n' in out  # the fallback only
    assert 'from_mapping(SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", "postgresql://"))' in out
    assert 'DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://")' in out
    assert 'SCHEMES = ["sqlite:///", "postgresql://"]' in out
    assert [f.needs_look for f in r.findings if f.kind == "settings"] == [False, False, False, True]


def test_settings_that_already_choose_postgresql_are_reported_not_replaced() -> None:
    r = port('''\
        import os

        if os.environ.get("DB", "sqlite") == "postgresql":
            DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop"}}
        else:
            DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "shop.db"}}
        ''')
    assert r.ported_source == textwrap.dedent(r.original_source)
    look = [f for f in r.findings if f.kind == "settings"]
    assert len(look) == 1 and look[0].needs_look and "already names PostgreSQL" in look[0].why


def test_modules_of_a_framework_app_that_only_receive_a_connection(tmp_path: Path) -> None:
    """No import in repo.py says what `conn` is; the application's other files do."""
    (tmp_path / "models.py").write_text("from sqlalchemy.orm import DeclarativeBase\n")
    (tmp_path / "repo.py").write_text(textwrap.dedent("""\
        def items(conn, stmt):
            return conn.execute(stmt).all()


        def names(session):
            return session.execute("SELECT IFNULL(name, '') FROM items WHERE kind = :k", {"k": 1}).all()
        """))
    repo = next(r for r in scan_paths([tmp_path]) if r.path.endswith("repo.py"))
    assert "cursor" not in repo.ported_source
    assert "conn.execute(stmt).all()" in repo.ported_source
    assert "SELECT COALESCE(name, '') FROM items WHERE kind = :k" in repo.ported_source
    # The same file in a sqlite3 application is DB-API code.
    (tmp_path / "db.py").write_text("import sqlite3\n")
    repo = next(r for r in scan_paths([tmp_path]) if r.path.endswith("repo.py"))
    assert "with conn.cursor() as cur:" in repo.ported_source
