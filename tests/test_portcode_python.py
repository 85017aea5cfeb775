"""The Python rules of the code-port assistant: sqlite3 API → psycopg2, edits in place."""

from __future__ import annotations

import ast
import textwrap

from sqlite2pg_tui.portcode.context import SqlContext, TableInfo
from sqlite2pg_tui.portcode.findings import FileResult
from sqlite2pg_tui.portcode.python import port_source


def port(src: str, ctx: SqlContext | None = None) -> FileResult:
    r = port_source(textwrap.dedent(src), "app.py", ctx)
    ast.parse(r.ported_source)  # whatever happens, the result is Python
    return r


def code(src: str) -> str:
    return textwrap.dedent(src)


def kinds(r: FileResult, needs_look: bool | None = None) -> set[str]:
    return {f.kind for f in r.findings if needs_look is None or f.needs_look == needs_look}


# --- connections, rows, exceptions -------------------------------------------------------

def test_connect_reads_the_dsn_from_the_environment() -> None:
    r = port("""\
        import sqlite3

        def get(path):
            return sqlite3.connect(path, detect_types=sqlite3.PARSE_DECLTYPES, check_same_thread=False)
        """)
    assert r.ported_source == code("""\
        import os
        import psycopg2

        def get(path):
            return psycopg2.connect(os.environ.get("DATABASE_URL", ""))
        """)
    f = next(f for f in r.findings if f.kind == "connect")
    assert "PG*" in f.why and "detect_types" in f.why and not f.needs_look


def test_dsn_variable_name_and_existing_os_import() -> None:
    r = port("""\
        import os
        import sqlite3
        conn = sqlite3.connect(os.environ["DB"])
        """, SqlContext(dsn_env="APP_DSN"))
    assert r.ported_source == code("""\
        import os
        import psycopg2
        conn = psycopg2.connect(os.environ.get("APP_DSN", ""))
        """)


def test_row_factory_becomes_a_dict_cursor() -> None:
    r = port("""\
        import sqlite3
        conn = sqlite3.connect("x.db")
        conn.row_factory = sqlite3.Row
        """)
    assert "conn.cursor_factory = psycopg2.extras.DictCursor\n" in r.ported_source
    assert "import psycopg2.extras\n" in r.ported_source


def test_row_factory_on_a_cursor_or_a_custom_factory_needs_a_look() -> None:
    r = port("""\
        import sqlite3
        def f(conn, cur):
            cur.row_factory = sqlite3.Row
            conn.row_factory = dict_factory
        """)
    assert r.ported_source.count("row_factory") == 2
    assert [f.kind for f in r.findings if f.needs_look].count("row-factory") == 2


def test_exceptions_map_to_psycopg2_and_aborted_transactions_are_flagged() -> None:
    r = port("""\
        import sqlite3
        def add(conn, cur, x):
            try:
                cur.execute("INSERT INTO t (x) VALUES (?)", (x,))
            except (sqlite3.IntegrityError, sqlite3.OperationalError):
                return False
            try:
                with conn:
                    cur.execute("INSERT INTO t (x) VALUES (?)", (x,))
            except sqlite3.IntegrityError:
                pass
            try:
                cur.execute("INSERT INTO t (x) VALUES (?)", (x,))
            except sqlite3.DatabaseError:
                conn.rollback()
        """)
    # sqlite3's OperationalError covers SQL errors that psycopg2 files as ProgrammingError.
    assert ("except (psycopg2.IntegrityError, psycopg2.OperationalError, psycopg2.ProgrammingError):"
            in r.ported_source)
    assert "except psycopg2.IntegrityError:" in r.ported_source
    assert "except psycopg2.DatabaseError:" in r.ported_source
    flagged = [f for f in r.findings if f.kind == "transaction"]
    assert len({f.line for f in flagged}) == 1 and flagged[0].line == 5
    assert "UniqueViolation" in next(f.why for f in r.findings if f.kind == "exception")


def test_names_imported_from_sqlite3() -> None:
    r = port("""\
        from sqlite3 import IntegrityError, connect
        db = connect("app.db")
        try:
            db.commit()
        except IntegrityError:
            pass
        """)
    assert r.ported_source == code("""\
        import os
        import psycopg2
        db = psycopg2.connect(os.environ.get("DATABASE_URL", ""))
        try:
            db.commit()
        except psycopg2.IntegrityError:
            pass
        """)


def test_date_adapters_go_other_adapters_need_a_look() -> None:
    r = port("""\
        import sqlite3
        import datetime
        sqlite3.register_adapter(datetime.datetime, lambda d: d.isoformat())
        sqlite3.register_converter("money", parse_money)
        x = 1
        """)
    assert "register_adapter" not in r.ported_source
    assert "sqlite3.register_converter" in r.ported_source and "import sqlite3" in r.ported_source
    assert "adapter" in kinds(r, needs_look=True)


# --- execute, cursors, lastrowid ----------------------------------------------------------

def test_conn_execute_as_a_statement_gets_a_cursor_block() -> None:
    r = port("""\
        def f(conn, a):
            conn.execute("UPDATE t SET a = ?",  # keep this comment
                         (a,))
            conn.commit()
        """)
    assert r.ported_source == code("""\
        def f(conn, a):
            with conn.cursor() as cur:
                cur.execute("UPDATE t SET a = %s",  # keep this comment
                             (a,))
            conn.commit()
        """)


def test_conn_execute_whose_result_is_used() -> None:
    r = port("""\
        def one(conn, k):
            row = conn.execute("SELECT v FROM t WHERE k = ?", (k,)).fetchone()
            return row

        def rows(conn):
            return conn.execute("SELECT v FROM t").fetchall()

        def loop(conn):
            for (v,) in conn.execute("SELECT v FROM t"):
                print(v)

        def comp(conn):
            return [r[0] for r in conn.execute("SELECT v FROM t")]

        def keep(conn):
            c = conn.execute("SELECT v FROM t")
            return c
        """)
    assert r.ported_source == code("""\
        def one(conn, k):
            with conn.cursor() as cur:
                cur.execute("SELECT v FROM t WHERE k = %s", (k,))
                row = cur.fetchone()
            return row

        def rows(conn):
            with conn.cursor() as cur:
                cur.execute("SELECT v FROM t")
                return cur.fetchall()

        def loop(conn):
            with conn.cursor() as cur:
                cur.execute("SELECT v FROM t")
                for (v,) in cur:
                    print(v)

        def comp(conn):
            with conn.cursor() as cur:
                cur.execute("SELECT v FROM t")
                return [r[0] for r in cur]

        def keep(conn):
            c = conn.cursor()
            c.execute("SELECT v FROM t")
            return c
        """)


def test_conn_execute_that_cannot_be_moved_is_reported() -> None:
    src = """\
        def f(conn, x):
            if x: conn.execute("DELETE FROM t")
            while conn.execute("SELECT count(*) FROM t").fetchone()[0]:
                pass
            if x:
                pass
            elif conn.execute("SELECT 1").fetchone():
                pass
            y = x or conn.execute("SELECT 1").fetchone()
        """
    r = port(src)
    assert r.ported_source.count("conn.execute(") == 4
    assert len([f for f in r.findings if f.kind == "conn-execute" and f.needs_look]) == 4


def test_cursor_execute_result_is_not_the_cursor_in_psycopg2() -> None:
    r = port("""\
        def f(cur):
            rows = cur.execute("SELECT a FROM t").fetchall()
            return rows
        """)
    assert r.ported_source == code("""\
        def f(cur):
            cur.execute("SELECT a FROM t")
            rows = cur.fetchall()
            return rows
        """)


def test_executescript_becomes_execute_and_commit() -> None:
    r = port('''\
        SCHEMA = """
        CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY AUTOINCREMENT, n TEXT);
        PRAGMA foreign_keys = ON;
        """

        def init(conn, cur):
            conn.executescript(SCHEMA)
            cur.executescript(SCHEMA)
        ''')
    assert r.ported_source == code('''\
        SCHEMA = """
        CREATE TABLE IF NOT EXISTS t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n TEXT);
        """

        def init(conn, cur):
            with conn.cursor() as cursor:
                cursor.execute(SCHEMA)
            conn.commit()
            cur.execute(SCHEMA)
            cur.connection.commit()
        ''')


def test_lastrowid_becomes_returning_and_fetchone() -> None:
    r = port("""\
        def add(conn, cur, name):
            cur.execute("INSERT INTO t (name) VALUES (?)", (name,))
            first = cur.lastrowid
            second = conn.execute("INSERT INTO t (name) VALUES (?)", (name,)).lastrowid
            return first, second
        """)
    assert r.ported_source == code("""\
        def add(conn, cur, name):
            cur.execute("INSERT INTO t (name) VALUES (%s) RETURNING id", (name,))
            first = cur.fetchone()[0]
            with conn.cursor() as cursor:
                cursor.execute("INSERT INTO t (name) VALUES (%s) RETURNING id", (name,))
                second = cursor.fetchone()[0]
            return first, second
        """)
    # Without a schema the key column is an assumption: say so.
    assert any(f.kind == "lastrowid" and f.needs_look and "assumed" in f.why for f in r.findings)


def test_lastrowid_key_column_from_the_schema_and_every_branch() -> None:
    ctx = SqlContext(tables={"items": TableInfo("items", "items", ["item_no", "name"],
                                                {"item_no": "item_no", "name": "name"},
                                                id_column="item_no")})
    r = port("""\
        def add(cur, name, fancy):
            if fancy:
                cur.execute("INSERT INTO items (name) VALUES (upper(?))", (name,))
            else:
                cur.execute("INSERT INTO items (name) VALUES (?)", (name,))
            return cur.lastrowid
        """, ctx)
    assert r.ported_source.count("RETURNING item_no") == 2
    assert "return cur.fetchone()[0]" in r.ported_source
    assert not kinds(r, needs_look=True)


def test_lastrowid_without_its_insert_needs_a_look() -> None:
    r = port("""\
        def f(cur):
            return cur.lastrowid
        """)
    assert r.ported_source.endswith("return cur.lastrowid\n")
    assert "lastrowid" in kinds(r, needs_look=True)


def test_lastrowid_after_insert_or_ignore_warns_about_no_row() -> None:
    r = port("""\
        def f(cur):
            cur.execute("INSERT OR IGNORE INTO t (a) VALUES (?)", (1,))
            return cur.lastrowid
        """)
    assert "ON CONFLICT DO NOTHING RETURNING id" in r.ported_source
    assert any(f.kind == "lastrowid" and "None" in f.why for f in r.findings)


def test_pragma_statements_are_removed() -> None:
    r = port("""\
        def f(conn):
            conn.execute("PRAGMA foreign_keys = ON")
            return conn

        def g(conn):
            conn.execute("PRAGMA journal_mode=WAL")
        """)
    assert r.ported_source == code("""\
        def f(conn):
            return conn

        def g(conn):
            pass
        """)


# --- what is not rewritten ------------------------------------------------------------------

def test_dynamic_sql_is_reported_with_its_location_not_rewritten() -> None:
    src = """\
        def f(cur, table, col, x):
            cur.execute(f"SELECT * FROM {table} WHERE a = ?", (x,))
            cur.execute("SELECT * FROM " + table + " WHERE IFNULL(a, 0) = ?", (x,))
            cur.execute("SELECT {} FROM t".format(col))
            cur.execute("SELECT %s FROM t" % col)
            sql = f"DELETE FROM {table}"
            cur.execute(sql)
        """
    r = port(src)
    assert r.ported_source == code(src)
    dyn = [f for f in r.findings if f.kind == "dynamic-sql"]
    assert [f.line for f in dyn] == [2, 3, 4, 5, 6]
    assert all(f.needs_look and not f.applied for f in dyn)
    assert "placeholders" in dyn[0].why and "ifnull" in dyn[1].why


def test_sql_passed_in_by_the_caller_is_reported() -> None:
    r = port("""\
        def run(cur, sql, params=()):
            return cur.execute(sql, params)
        """)
    assert any(f.kind == "dynamic-sql" and "parameter" in f.why for f in r.findings)


def test_unparseable_file_is_a_finding_not_an_exception() -> None:
    r = port_source("def f(:\n", "broken.py")
    assert r.error and r.ported_source == r.original_source
    assert r.findings[0].kind == "unparseable" and r.findings[0].needs_look


def test_code_without_sqlite_is_left_alone() -> None:
    src = "import subprocess\nsubprocess.run(['ls'])\nengine.execute(compile_it())\n"
    r = port_source(src, "other.py")
    assert r.ported_source == src and not r.findings


# --- the rest of the file is untouched -------------------------------------------------------

def test_only_the_sql_inside_literals_changes() -> None:
    src = '''\
        import sqlite3  # the database
        Q = (  # two pieces
            "SELECT a FROM t "    # first
            'WHERE b = ? AND c LIKE \\'%x\\''  # second
        )
        R = r"SELECT * FROM t WHERE a = ?"
        S = """
            SELECT *
            FROM t   -- no ? here
            WHERE a = :a
        """
        T = "SELECT 'a\\tb' FROM t WHERE x = ?\\n"

        def f(cur):
            cur.execute(Q, (1,))
            cur.execute(R, (1,))
            cur.execute(S, {"a": 1})
            cur.execute(T, (1,))
        '''
    r = port(src)
    assert r.ported_source == code('''\
        Q = (  # two pieces
            "SELECT a FROM t "    # first
            'WHERE b = %s AND c ILIKE \\'%%x\\''  # second
        )
        R = r"SELECT * FROM t WHERE a = %s"
        S = """
            SELECT *
            FROM t   -- no ? here
            WHERE a = %(a)s
        """
        T = "SELECT 'a\\tb' FROM t WHERE x = %s\\n"

        def f(cur):
            cur.execute(Q, (1,))
            cur.execute(R, (1,))
            cur.execute(S, {"a": 1})
            cur.execute(T, (1,))
        ''')
    ns: dict[str, str] = {}
    exec(compile(r.ported_source.split("\ndef f")[0], "x", "exec"), ns)
    assert ns["Q"] == "SELECT a FROM t WHERE b = %s AND c ILIKE '%%x'"


def test_findings_point_at_the_line_of_the_sql_fragment() -> None:
    r = port('''\
        def f(cur):
            cur.execute("""
                SELECT a
                FROM t
                WHERE d > date('now', '-1 day')
            """)
        ''')
    assert next(f for f in r.findings if f.kind == "date-function").line == 5


def test_porting_twice_changes_nothing_more() -> None:
    src = code("""\
        import sqlite3

        def f(conn, x):
            conn.row_factory = sqlite3.Row
            rows = conn.execute("SELECT a FROM t WHERE b LIKE '%x' AND c = ?", (x,)).fetchall()
            cur = conn.execute("INSERT OR IGNORE INTO t (a) VALUES (datetime('now'))")
            return rows, cur.lastrowid
        """)
    once = port_source(src, "a.py").ported_source
    assert once != src
    assert port_source(once, "a.py").ported_source == once


def test_sql_in_class_constants_is_ported_in_place() -> None:
    r = port("""\
        class Store:
            INSERT = "INSERT INTO t (a) VALUES (?)"

            def add(self, conn, a):
                conn.execute(self.INSERT, (a,))

            def other(self, conn):
                conn.execute(self.MISSING)
        """)
    assert 'INSERT = "INSERT INTO t (a) VALUES (%s)"' in r.ported_source
    assert any(f.kind == "dynamic-sql" and "self.MISSING" in f.why for f in r.findings)


def test_connect_keyword_arguments_that_cannot_be_carried_over() -> None:
    r = port("""\
        import sqlite3
        def f(path, opts):
            return sqlite3.connect(path, isolation_level=None, **opts)
        """)
    f = next(f for f in r.findings if f.kind == "connect")
    assert f.needs_look and "autocommit" in f.why and "**opts" in f.why


def test_sqlite3_import_is_kept_as_written_when_some_uses_remain() -> None:
    r = port("""\
        import sqlite3 as lite

        def f(conn):
            conn.create_collation("x", lite.complete_statement)
            return lite.connect("x.db")
        """)
    assert r.ported_source.startswith("import sqlite3 as lite\nimport os\nimport psycopg2\n")
    assert "lite.complete_statement" in r.ported_source


def test_statements_ending_in_a_semicolon_are_still_rewritten() -> None:
    r = port("""\
        def f(cx):
            cx.execute("DELETE FROM t WHERE a = ?", (1,));  # old habits
        """)
    assert r.ported_source == code("""\
        def f(cx):
            with cx.cursor() as cur:
                cur.execute("DELETE FROM t WHERE a = %s", (1,));  # old habits
        """)
