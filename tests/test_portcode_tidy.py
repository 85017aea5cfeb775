"""The ported code reads like hand-written code: SQL in asserts, no unused imports, no remnants."""

from __future__ import annotations

import ast
import textwrap

from sqlite2pg_tui.portcode.findings import FileResult
from sqlite2pg_tui.portcode.python import port_source


def port(src: str) -> FileResult:
    r = port_source(textwrap.dedent(src), "app.py")
    ast.parse(r.ported_source)
    return r


def code(src: str) -> str:
    return textwrap.dedent(src)


def test_sql_inside_an_assert_is_ported() -> None:
    r = port("""\
        def test_register(app, get_db):
            with app.app_context():
                assert (
                    get_db().execute("SELECT * FROM user WHERE username = ?", ("a",)).fetchone()
                    is not None
                )
                assert get_db().execute("SELECT COUNT(*) FROM post").fetchone()[0] == 2
        """)
    assert r.ported_source == code("""\
        def test_register(app, get_db):
            with app.app_context():
                with get_db().cursor() as cur:
                    cur.execute("SELECT * FROM \\"user\\" WHERE username = %s", ("a",))
                    assert cur.fetchone() is not None
                with get_db().cursor() as cur:
                    cur.execute("SELECT COUNT(*) FROM post")
                    assert cur.fetchone()[0] == 2
        """)


def test_a_call_chain_in_brackets_leaves_no_remnant() -> None:
    r = port("""\
        def get_post(get_db, id):
            post = (
                get_db()
                .execute(
                    "SELECT p.id, title"
                    " FROM post p WHERE p.id = ?",
                    (id,),
                )
                .fetchone()
            )
            return post
        """)
    assert r.ported_source == code("""\
        def get_post(get_db, id):
            with get_db().cursor() as cur:
                cur.execute(
                    "SELECT p.id, title"
                    " FROM post p WHERE p.id = %s",
                    (id,),
                )
                post = cur.fetchone()
            return post
        """)


def test_comments_keep_the_remnant_as_written() -> None:
    r = port("""\
        def f(conn):
            row = (
                conn.execute("SELECT 1")  # the only row
                .fetchone()
            )
            return row
        """)
    assert "# the only row" in r.ported_source


def test_imports_the_port_made_unused_are_removed() -> None:
    r = port("""\
        import sqlite3
        from datetime import datetime, timezone

        from flask import current_app, g


        def get_db():
            if "db" not in g:
                g.db = sqlite3.connect(current_app.config["DATABASE"])
            return g.db


        sqlite3.register_converter("timestamp", lambda v: datetime.fromisoformat(v.decode()))


        def init_app(app):
            app.teardown_appcontext(lambda e: None)
        """)
    assert r.ported_source == code("""\
        import os
        import psycopg2
        from datetime import timezone

        from flask import g


        def get_db():
            if "db" not in g:
                g.db = psycopg2.connect(os.environ.get("DATABASE_URL", ""))
            return g.db


        def init_app(app):
            app.teardown_appcontext(lambda e: None)
        """)
    # timezone was unused before the port too: the author's business, kept.
    gone = sorted(f.original for f in r.findings if f.kind == "import" and "once the code was ported" in f.why)
    assert gone == ["current_app", "datetime"]


def test_a_connection_from_another_module_gets_psycopg2_imported_for_its_errors() -> None:
    r = port("""\
        import functools

        from flask import g

        from flaskr.db import get_db


        def register(name):
            db = get_db()
            try:
                db.execute("INSERT INTO user (username) VALUES (?)", (name,))
                db.commit()
            except db.IntegrityError:
                db.rollback()
        """)
    out = r.ported_source
    assert out.startswith("import functools\nimport psycopg2\n\nfrom flask import g\n")
    assert "except psycopg2.IntegrityError:" in out
