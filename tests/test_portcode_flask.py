"""The proof for a whole application: a Flask app on plain sqlite3, its own tests on PostgreSQL.

tests/apps/flask_app is shaped like the Flask tutorial's "flaskr": ``db.py`` opens the
database with sqlite3 and ``init-db`` runs ``schema.sql`` through executescript (a table
called ``user``, AUTOINCREMENT, a BLOB default), the test suite seeds ``data.sql`` (an
``x'0a'`` blob literal inside a text concatenation, ``==``) and checks a closed connection
raises. A copy is ported with ``port-code app/ --write`` exactly as a user would; its
schema is then created in a fresh PostgreSQL database by the ported ``flask init-db``,
and the app's OWN test suite runs against that database. It passes on SQLite first, so
a pass on PostgreSQL means the port kept the behaviour the tests pin down.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

APP = Path(__file__).parent / "apps" / "flask_app"


def _copy_app(dest: Path) -> Path:
    dest.mkdir()
    for part in ("flaskr", "tests"):
        shutil.copytree(APP / part, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.orig"))
    return dest


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DATABASE_URL"))}
    env.update(extra)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _app_tests(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
                           "no:randomly", "tests"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)


def test_ported_flask_app_passes_its_own_tests_on_postgresql(tmp_path: Path, pg_dsn: str) -> None:
    root = _copy_app(tmp_path / "app")

    # Its own suite passes on SQLite: the yardstick.
    on_sqlite = _app_tests(root, _env())
    assert on_sqlite.returncode == 0, on_sqlite.stdout + on_sqlite.stderr

    # port-code app/ --write, as a user would run it from the app's directory.
    port = subprocess.run([sys.executable, "-m", "sqlite2pg_tui", "port-code", ".", "--write", "--json"],
                          cwd=root, env=_env(), capture_output=True, text=True, timeout=120)
    assert port.returncode == 0, port.stderr
    doc = json.loads(port.stdout)
    by_file = {Path(f["path"]).as_posix(): f for f in doc["files"]}
    assert by_file["flaskr/schema.sql"]["changed"] and by_file["tests/data.sql"]["changed"]
    assert not any(f["error"] for f in doc["files"])
    for f in doc["files"]:
        assert not any("not valid Python" in x["why"] for x in f["findings"])
    ported = {p: (root / p).read_text() for p in by_file}
    assert "import sqlite3" not in "".join(v for k, v in ported.items() if k.endswith(".py"))
    assert 'CREATE TABLE "user"' in ported["flaskr/schema.sql"]
    assert "AUTOINCREMENT" not in ported["flaskr/schema.sql"]
    assert "x'" not in ported["tests/data.sql"]
    assert '\\"user\\"' in ported["flaskr/blog.py"] or '"user"' in ported["flaskr/blog.py"]
    # Nothing the port made redundant is left behind, and no remnant like `(cur .fetchone())`.
    assert "from datetime import datetime" not in ported["flaskr/db.py"]
    assert "post = cur.fetchone()" in ported["flaskr/blog.py"]
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated",
                           "--select", "F,E9", "flaskr", "tests"], cwd=root, capture_output=True,
                          text=True, timeout=60)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr

    # The ported init-db creates the schema in a fresh PostgreSQL database.
    env = _env(DATABASE_URL=pg_dsn)
    init = subprocess.run([sys.executable, "-m", "flask", "--app", "flaskr", "init-db"], cwd=root,
                          env=env, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0 and "Initialized" in init.stdout, init.stdout + init.stderr
    with psycopg2.connect(pg_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_name, column_name, data_type, is_identity FROM "
                    "information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2")
        columns = {(t, c): (d, i) for t, c, d, i in cur.fetchall()}
    conn.close()
    assert columns[("user", "id")] == ("bigint", "YES")
    assert columns[("user", "avatar")][0] == "bytea"
    assert columns[("post", "created")][0] == "timestamp without time zone"

    # The application's own tests, against PostgreSQL.
    on_pg = _app_tests(root, env)
    assert on_pg.returncode == 0, on_pg.stdout[-4000:] + on_pg.stderr[-2000:]
    assert " passed" in on_pg.stdout and "failed" not in on_pg.stdout


@pytest.mark.parametrize("target", ["flaskr/schema.sql", "tests/data.sql"])
def test_one_sql_file_is_ported_not_called_invalid_python(tmp_path: Path, target: str) -> None:
    root = _copy_app(tmp_path / "app")
    out = subprocess.run([sys.executable, "-m", "sqlite2pg_tui", "port-code", target], cwd=root,
                         env=_env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "not valid Python" not in out.stdout + out.stderr
    assert "1 file(s) scanned, 1 with changes" in out.stdout
