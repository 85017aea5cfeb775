"""The baseline migration: the target schema as it exists now, as SQL that recreates it in an
empty database. pg_dump writes it when a pg_dump at least as new as the server is at hand
(pg_dump refuses newer servers); otherwise the catalog generator below does, from the
pieces in catalog_ddl."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field

import psycopg2
import psycopg2.extensions

from sqlite2pg_tui.core.errors import TargetError
from sqlite2pg_tui.kit import catalog_ddl as ddl
from sqlite2pg_tui.kit.catalog_ddl import Cursor


@dataclass
class Baseline:
    body: str  # executable SQL, no psql meta-commands, no transaction control
    source: str  # "catalog" or "pg_dump 18.1"
    warnings: list[str] = field(default_factory=list)


def server_major(cur: Cursor) -> int:
    cur.execute("SELECT current_setting('server_version_num')::int / 10000")
    return int(cur.fetchone()[0])


# --- catalog generator -------------------------------------------------------------------

def catalog_baseline(conn: psycopg2.extensions.connection, schema: str) -> Baseline:
    """Rebuild the schema's DDL from pg_catalog. All quoting is done by the server (format %I,
    quote_ident, pg_get_*def), and with search_path empty every name it prints is qualified,
    so the output restores regardless of the restoring session's search_path."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_catalog.set_config('search_path', '', true)")
        cur.execute("SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = %s", (schema,))
        row = cur.fetchone()
        if row is None:
            raise TargetError(f"schema {schema!r} does not exist in this database")
        nsp = row[0]
        warnings: list[str] = []
        parts = [
            _section("Extensions and schema", ddl.extensions(cur, schema)),
            _section("Types", ddl.types(cur, nsp)),
            _section("Functions", ddl.functions(cur, nsp, warnings)),
            _section("Sequences", ddl.sequences(cur, nsp)),
            _section("Tables", ddl.tables(cur, nsp, warnings)),
            _section("Primary keys, unique, exclusion and check constraints",
                     ddl.constraints(cur, nsp, "puxc")),
            _section("Indexes", ddl.indexes(cur, nsp, warnings)),
            _section("Foreign keys", ddl.constraints(cur, nsp, "f")),
            _section("Sequence ownership", ddl.owned_by(cur, nsp)),
            _section("Views", ddl.views(cur, nsp)),
            _section("Triggers", ddl.triggers(cur, nsp)),
            _section("Comments", ddl.comments(cur, nsp)),
            _section("Sequence values", ddl.sequence_values(cur, nsp)),
        ]
        ddl.check_unsupported(cur, nsp, schema, warnings)
    return Baseline("".join(p for p in parts if p), "catalog", warnings)


def _section(title: str, statements: list[str]) -> str:
    if not statements:
        return ""
    return f"-- {title}\n\n" + "\n\n".join(statements) + "\n\n"


# --- pg_dump -----------------------------------------------------------------------------

def pg_dump_major(binary: str) -> tuple[int, str] | None:
    """(major, full version) of a pg_dump binary, or None when it does not run."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30,
                             check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"(\d+)(?:\.(\d+))?", out)
    return (int(m.group(1)), m.group(0)) if m else None


def choose_pg_dump(requested: str | None, server: int) -> tuple[str | None, str, str | None]:
    """(binary or None, its version, why not) for requested = "auto", "none" or a path."""
    if requested is None or requested == "none":
        return None, "", None
    binary = shutil.which("pg_dump") if requested == "auto" else requested
    if binary is None:
        return None, "", None
    found = pg_dump_major(binary)
    if found is None:
        return None, "", f"{binary} does not run"
    major, version = found
    if major < server:
        # pg_dump refuses servers newer than itself ("aborting because of server version
        # mismatch"), so asking it would only produce an error.
        return None, version, (f"{binary} is version {version}, older than the server "
                               f"({server}); used the built-in generator")
    return binary, version, None


_META = re.compile(r"^\\")
_SEARCH_PATH = re.compile(r"^SELECT pg_catalog\.set_config\('search_path', '', false\);$")
_CREATE_SCHEMA = re.compile(r"^CREATE SCHEMA (?!IF NOT EXISTS)")


def pg_dump_baseline(binary: str, version: str, dsn: str, schema: str) -> Baseline:
    params = psycopg2.extensions.parse_dsn(dsn) if dsn else {}
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        # Through the environment, not argv, where any local user could read it with ps.
        env["PGPASSWORD"] = password
    cmd = [binary, "--schema-only", "--no-owner", "--no-privileges",
           # Inside double quotes a pg_dump pattern matches the name literally.
           '--schema="' + schema.replace('"', '""') + '"']
    if params:
        cmd += ["--dbname", psycopg2.extensions.make_dsn(**params)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    except (OSError, subprocess.SubprocessError) as e:
        raise TargetError(f"pg_dump failed: {e}") from None
    if proc.returncode != 0:
        err = " ".join(proc.stderr.split()) or f"exit code {proc.returncode}"
        raise TargetError(f"pg_dump failed: {err}")
    kept = []
    for line in proc.stdout.splitlines():
        # \restrict / \unrestrict (pg_dump 17.6+) are psql meta-commands: the baseline must
        # also run through a driver (Alembic). The search_path reset would outlive this
        # script in a driver's session and hide alembic_version; names are qualified anyway.
        if _META.match(line) or _SEARCH_PATH.match(line):
            continue
        # Asked for by name, even public is dumped with CREATE SCHEMA, which an empty
        # database (PostgreSQL 15+: public exists) would reject.
        kept.append(_CREATE_SCHEMA.sub("CREATE SCHEMA IF NOT EXISTS ", line))
    body = "\n".join(kept).strip("\n") + "\n"
    return Baseline(body, f"pg_dump {version}")


def build_baseline(conn: psycopg2.extensions.connection, dsn: str, schema: str,
                   pg_dump: str | None = "auto") -> Baseline:
    with conn.cursor() as cur:
        major = server_major(cur)
    binary, version, why_not = choose_pg_dump(pg_dump, major)
    notes = [f"baseline: {why_not}"] if why_not and pg_dump not in ("auto", None, "none") else []
    if binary is not None:
        try:
            dumped = pg_dump_baseline(binary, version, dsn, schema)
        except TargetError as e:
            if pg_dump != "auto":
                raise
            notes.append(f"baseline: {e}; used the built-in generator")
        else:
            with conn.cursor() as cur:
                cur.execute("SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = %s",
                            (schema,))
                row = cur.fetchone()
                if row is None:
                    raise TargetError(f"schema {schema!r} does not exist in this database")
                values = ddl.sequence_values(cur, row[0])
            if values:
                dumped.body += "\n-- Sequence values\n\n" + "\n".join(values) + "\n"
            dumped.warnings[:0] = notes
            return dumped
    base = catalog_baseline(conn, schema)
    base.warnings[:0] = notes
    return base


# --- files -------------------------------------------------------------------------------

def baseline_file(b: Baseline, database: str, schema: str) -> str:
    header = (
        f"-- 0001_baseline.sql: schema {schema} of database {database} as it exists after the\n"
        f"-- migration, written by `sqlite2pg-tui kit` ({b.source}).\n"
        "--\n"
        "-- Recreates the schema in an EMPTY database (staging, CI, a new environment):\n"
        "--   psql -v ON_ERROR_STOP=1 --single-transaction -d NEWDB -f migrations/0001_baseline.sql\n"
        "-- Sequences continue from their current values (setval at the end). Roles and grants\n"
        "-- are not included: run roles.sql afterwards. Do not run it against the database it\n"
        "-- came from; there, mark it as applied (`alembic stamp 0001`).\n\n")
    return header + b.body


def _py_string(text: str) -> str:
    # A triple-quoted literal that evaluates back to exactly `text`.
    return '"""\\\n' + text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') + '"""'


def alembic_revision(b: Baseline, database: str, schema: str) -> str:
    return f'''"""baseline: schema {schema} of database {database} after the sqlite2pg-tui migration

Revision ID: 0001
Revises:

Written by `sqlite2pg-tui kit` ({b.source}); the same SQL as migrations/0001_baseline.sql.

Copy this file into your Alembic project's versions/ directory (`alembic init alembic` makes
one). On the database that was migrated the schema already exists: mark it as applied with

    alembic stamp 0001

On a new, empty database `alembic upgrade head` creates it. Later revisions set
down_revision = "0001".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BASELINE_SQL = {_py_string(b.body)}


def upgrade() -> None:
    # sa.text() would read ":word" inside string literals (a default, a comment) as a bind
    # parameter; DDL() takes the text as is, with "%" doubled for its own formatting step.
    # The last ";" goes because `alembic upgrade --sql` adds one of its own.
    statement = BASELINE_SQL.rstrip().removesuffix(";")
    op.execute(sa.DDL(statement.replace("%", "%%")))


def downgrade() -> None:
    raise NotImplementedError("the baseline revision cannot be downgraded; drop the database")
'''
