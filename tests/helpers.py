"""Shared helpers for the core and CLI tests: small SQLite files, CLI runs, PostgreSQL look-ups.

Everything here talks to real things (sqlite3 files in tmp_path, the session's PostgreSQL);
nothing is mocked.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
import tomllib
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg2.extensions
import pytest
import tomli_w
from psycopg2 import sql

from sqlite2pg_tui.cli.main import main

ERROR_PREFIX = "sqlite2pg-tui: error:"
# libpq reads these; a developer's own settings must not leak into the tests.
LIBPQ_ENV = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD",
             "PGPASSFILE", "PGSERVICE", "PGSERVICEFILE", "PGSSLMODE", "PGOPTIONS", "PGAPPNAME")


def isolate_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point platformdirs at tmp_path and clear libpq's variables.

    Default reject dirs and mapping files would otherwise land in the real user's home.
    """
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                     ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state"),
                     ("XDG_RUNTIME_DIR", "run")):
        d = tmp_path / "xdg" / sub
        d.mkdir(parents=True, exist_ok=True)
        d.chmod(0o700)
        monkeypatch.setenv(var, str(d))
    for var in LIBPQ_ENV:
        monkeypatch.delenv(var, raising=False)


# --- SQLite -------------------------------------------------------------------

def make_sqlite(path: Path, script: str = "", rows: dict[str, Iterable[Sequence[Any]]] | None = None,
                *, wal: bool = False) -> Path:
    """Create a SQLite file from DDL (and optional rows per table, inserted positionally)."""
    conn = sqlite3.connect(path)
    try:
        if wal:
            conn.execute("PRAGMA journal_mode=WAL")
        if script:
            conn.executescript(script)
        for table, data in (rows or {}).items():
            insert(conn, table, data)
        conn.commit()
    finally:
        conn.close()
    return path


def insert(conn: sqlite3.Connection, table: str, data: Iterable[Sequence[Any]]) -> None:
    it = iter(data)
    first = next(it, None)
    if first is None:
        return
    marks = ", ".join("?" * len(first))
    stmt = f'INSERT INTO "{table.replace(chr(34), chr(34) * 2)}" VALUES ({marks})'
    conn.execute(stmt, tuple(first))
    conn.executemany(stmt, (tuple(r) for r in it))


def sqlite_exec(path: Path, script: str) -> None:
    """Change the source database (only ever between a plan and a run, to make drift)."""
    conn = sqlite3.connect(path)
    try:
        conn.executescript(script)
        conn.commit()
    finally:
        conn.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dir_snapshot(directory: Path) -> dict[str, str]:
    """Name → sha256 of every file directly in ``directory``: catches -wal/-shm/-journal too."""
    return {p.name: sha256(p) for p in sorted(directory.iterdir()) if p.is_file()}


# --- the CLI --------------------------------------------------------------------

@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith(ERROR_PREFIX)]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: Any) -> CliResult:
    """Call the CLI in-process, as a user would from a shell; returns code and output."""
    capsys.readouterr()  # drop anything printed before
    code = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return CliResult(code, cap.out, cap.err)


def assert_clean_failure(res: CliResult, *needles: str) -> str:
    """Exit 2, exactly one error line naming ``needles``, and never a traceback."""
    assert res.code == 2, (res.code, res.out, res.err)
    assert "Traceback" not in res.err + res.out
    assert len(res.error_lines) == 1, res.err
    line = res.error_lines[0]
    for n in needles:
        assert n.lower() in line.lower(), (n, line)
    return line


def migrate_cli(capsys: pytest.CaptureFixture[str], src: Path, dsn: str, work: Path,
                *extra: Any) -> tuple[CliResult, dict[str, Any]]:
    """`run --quiet` with a report and reject dir under ``work``; returns the parsed report."""
    report = work / "report.json"
    if report.exists():
        report.unlink()
    res = run_cli(capsys, "run", src, "--pg", dsn, "--quiet", "--report", report,
                  "--reject-dir", work / "rejects", *extra)
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return res, data


def table_report(report: dict[str, Any], source: str) -> dict[str, Any]:
    return next(t for t in report["tables"] if t["source"] == source)


# --- mappings --------------------------------------------------------------------

def edit_mapping(path: Path, table: str, column: str | None = None, **changes: Any) -> None:
    """Edit a saved mapping the way a person would: load the TOML, change keys, write it back."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    t = next(t for t in data["tables"] if t["source"] == table)
    target = t if column is None else next(c for c in t["columns"] if c["source"] == column)
    target.update(changes)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")


# --- PostgreSQL -------------------------------------------------------------------

def pg_all(conn: psycopg2.extensions.connection, query: str | sql.Composable,
           params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def pg_one(conn: psycopg2.extensions.connection, query: str | sql.Composable,
           params: Sequence[Any] = ()) -> Any:
    rows = pg_all(conn, query, params)
    assert len(rows) == 1 and len(rows[0]) == 1, rows
    return rows[0][0]


def pg_count(conn: psycopg2.extensions.connection, table: str, schema: str = "public") -> int:
    return int(pg_one(conn, sql.SQL("SELECT count(*) FROM {}.{}").format(
        sql.Identifier(schema), sql.Identifier(table))))


def pg_table_exists(conn: psycopg2.extensions.connection, table: str, schema: str = "public") -> bool:
    return bool(pg_one(conn, "SELECT to_regclass(%s) IS NOT NULL",
                       (sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
                        .as_string(conn),)))


def pg_columns(conn: psycopg2.extensions.connection, table: str,
               schema: str = "public") -> dict[str, dict[str, Any]]:
    """information_schema.columns for one table, keyed by column name."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT column_name, data_type, is_nullable, column_default, "
            "character_maximum_length, is_identity, identity_generation "
            "FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
            "ORDER BY ordinal_position", (schema, table))
        names = [d[0] for d in cur.description]
        return {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def pg_select(conn: psycopg2.extensions.connection, table: str, columns: Sequence[str],
              order_by: str, schema: str = "public") -> list[tuple[Any, ...]]:
    return pg_all(conn, sql.SQL("SELECT {} FROM {}.{} ORDER BY {}").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns), sql.Identifier(schema),
        sql.Identifier(table), sql.Identifier(order_by)))


def dsn_params(dsn: str) -> dict[str, str]:
    return psycopg2.extensions.parse_dsn(dsn)


def with_params(dsn: str, **changes: str) -> str:
    """The same DSN in key=value form with some parameters changed."""
    params = dsn_params(dsn)
    params.update(changes)
    return psycopg2.extensions.make_dsn(**params)


def as_uri(dsn: str) -> str:
    """The fixture's DSN rewritten as a postgresql:// URI (host may be a socket directory)."""
    p = dsn_params(dsn)
    auth = quote(p.get("user", ""), safe="")
    if p.get("password"):
        auth += ":" + quote(p["password"], safe="")
    query = []
    host = p.get("host", "")
    if host:
        query.append("host=" + quote(host, safe=""))
    if p.get("port"):
        query.append("port=" + p["port"])
    return f"postgresql://{auth}@/{quote(p['dbname'], safe='')}?{'&'.join(query)}"


def free_port() -> int:
    """A TCP port nothing listens on (bound and released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def login_role(conn: psycopg2.extensions.connection, prefix: str, password: str = "pw-test",
               *setup: Callable[[sql.Identifier], sql.Composable]) -> Iterator[str]:
    """A throwaway LOGIN role (with a password, for servers that check one); each ``setup``
    builds a statement from the role's identifier. Dropped, with what it owns, afterwards."""
    role = prefix + uuid.uuid4().hex[:10]
    ident = sql.Identifier(role)
    with conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(ident, sql.Literal(password)))
        for build in setup:
            cur.execute(build(ident))
    try:
        yield role
    finally:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP OWNED BY {}").format(ident))
            cur.execute(sql.SQL("DROP ROLE {}").format(ident))
