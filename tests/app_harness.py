"""What the real-application tests (Django, SQLAlchemy) share: module-scoped PostgreSQL databases,
clones of them for tests that write, the CLI run as a user runs it, and catalog look-ups.

The applications run in subprocesses: Django's settings and SQLAlchemy's engines are process-wide,
and each test module talks to SQLite and to two PostgreSQL databases.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
import pytest
from helpers import LIBPQ_ENV
from psycopg2 import sql

APPS = Path(__file__).parent / "apps"


@dataclass
class ToolRun:
    """One `sqlite2pg-tui run` as a user starts it: exit code, output and the JSON report."""

    code: int
    out: str
    err: str
    report: dict[str, Any]

    def describe(self) -> str:
        return f"exit {self.code}\n{self.err[-3000:]}\n{self.out[-2000:]}"


def clean_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without libpq's variables, with platformdirs under ``home``."""
    env = {k: v for k, v in os.environ.items() if k not in LIBPQ_ENV}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        d = home / var.lower()
        d.mkdir(parents=True, exist_ok=True)
        env[var] = str(d)
    env.update(extra or {})
    return env


def run_tool(work: Path, *argv: Any) -> ToolRun:
    """`sqlite2pg-tui run SRC --pg DSN …` in a subprocess of this venv, with a report file."""
    work.mkdir(parents=True, exist_ok=True)
    report = work / "report.json"
    report.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "sqlite2pg_tui", "run", *map(str, argv), "--quiet",
           "--report", str(report), "--reject-dir", str(work / "rejects")]
    # cwd: a user's shell is anywhere but in this checkout (and `-m` puts the cwd first on
    # sys.path, so PYTHONPATH can point these tests at another checkout's code).
    proc = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(work / "home"),
                          cwd=work, timeout=300, check=False)
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return ToolRun(proc.returncode, proc.stdout, proc.stderr, data)


def tool_output(work: Path, *argv: Any) -> subprocess.CompletedProcess[str]:
    """Any other CLI command (plan, inspect, verify) in a subprocess, output captured."""
    work.mkdir(parents=True, exist_ok=True)
    return subprocess.run([sys.executable, "-m", "sqlite2pg_tui", *map(str, argv)],
                          capture_output=True, text=True, env=clean_env(work / "home"),
                          cwd=work, timeout=300, check=False)


# --- databases ---------------------------------------------------------------------

def dsn_with_db(dsn: str, dbname: str) -> str:
    params = psycopg2.extensions.parse_dsn(dsn)
    params["dbname"] = dbname
    return psycopg2.extensions.make_dsn(**params)


@contextmanager
def admin(server_dsn: str) -> Iterator[psycopg2.extensions.cursor]:
    conn = psycopg2.connect(server_dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


@contextmanager
def database(server_dsn: str, template: str | None = None) -> Iterator[str]:
    """A new database (a copy of ``template`` when given) for as long as the block lasts."""
    name = "app_" + uuid.uuid4().hex[:12]
    with admin(server_dsn) as cur:
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            stmt += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        cur.execute(stmt)
    try:
        yield dsn_with_db(server_dsn, name)
    finally:
        with admin(server_dsn) as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


def dbname(dsn: str) -> str:
    return psycopg2.extensions.parse_dsn(dsn)["dbname"]


def query(dsn: str, stmt: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """One statement in its own committed transaction; its rows."""
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(stmt, params or None)  # no parameters: a literal % stays a %
            return cur.fetchall()
    finally:
        conn.close()


def column_types(dsn: str, schema: str = "public") -> dict[str, str]:
    """"table.column" → the column's type as PostgreSQL prints it (format_type)."""
    rows = query(dsn, """
        SELECT c.relname || '.' || a.attname, format_type(a.atttypid, a.atttypmod)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped""",
                 (schema,))
    return dict(rows)


def constraints(dsn: str, schema: str = "public") -> dict[str, tuple[str, str, str]]:
    """Constraint name → (table, kind letter p/u/f/c/x, definition)."""
    rows = query(dsn, """
        SELECT con.conname, c.relname, con.contype::text, pg_get_constraintdef(con.oid)
        FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s""", (schema,))
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def indexes(dsn: str, schema: str = "public") -> dict[str, tuple[str, str]]:
    """Index name → (table, CREATE INDEX statement)."""
    rows = query(dsn, "SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = %s",
                 (schema,))
    return {r[0]: (r[1], r[2]) for r in rows}


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    return dst


def not_migrated(report: dict[str, Any]) -> str:
    """The run report's list of what was not migrated, as one text to search in."""
    return json.dumps(report.get("not_migrated", []), ensure_ascii=False)


# --- expectations not met yet ------------------------------------------------------

Failing = dict[tuple[str, str], str]  # (path, name) → what is missing, while it is


def xfail(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=reason)


def missing(path: str, reason: str, *names: str) -> Failing:
    return {(path, n): reason for n in names}


def params(names: tuple[str, ...], failing: Failing, paths: tuple[str, ...] = ("a", "b")
           ) -> list[Any]:
    """(path, name) pairs; the ones in ``failing`` are marked as not built yet."""
    return [pytest.param(p, n, id=f"{p}-{n}",
                         marks=xfail(failing[p, n]) if (p, n) in failing else ())
            for p in paths for n in names]


def last_error(stderr: str) -> str:
    """The exception line of a traceback (the database's message), not the whole traceback."""
    lines = [ln for ln in stderr.splitlines() if "Error" in ln and not ln.startswith(" ")]
    return lines[-1] if lines else stderr[-2000:]


def assert_column_reads_back(source_dump: dict[str, Any], dump: dict[str, Any], model: str,
                             column: str) -> None:
    """One column of one model (or table), as the application read it on each side: every
    value equal in repr and Python type, row by row; the first difference is named."""
    got = dump[model]
    assert "error" not in got, got["error"]
    want = [r[column] for r in source_dump[model]["rows"]]
    have = [r[column] for r in got["rows"]]
    assert len(have) == len(want), f"{len(have)} rows, expected {len(want)}"
    diffs = [(i, w, h) for i, (w, h) in enumerate(zip(want, have, strict=True)) if w != h]
    assert not diffs, (f"{len(diffs)} of {len(want)} differ; first: row {diffs[0][0]}: "
                       f"got {diffs[0][2]}, expected {diffs[0][1]}")
