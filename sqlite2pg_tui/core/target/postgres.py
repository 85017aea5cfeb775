"""Connecting to PostgreSQL and asking it what we may do. libpq does the DSN work:
URIs, key=value strings, PG* variables, .pgpass, service files and sslmode all apply."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from sqlite2pg_tui.core.errors import TargetError


def redact(dsn: str) -> str:
    """The DSN without its password, for reports and logs."""
    if not dsn:
        return "(from PG* environment)"
    try:
        params = psycopg2.extensions.parse_dsn(dsn)
    except psycopg2.ProgrammingError:
        return "(unparseable DSN)"
    params.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in params.items())


def _plain(e: psycopg2.Error) -> str:
    msg = (getattr(e, "pgerror", None) or str(e)).strip().splitlines()
    text = " ".join(line.strip() for line in msg if line.strip() and not line.startswith(("DETAIL", "HINT"))) or type(e).__name__
    return text.removeprefix("ERROR:").strip()


def connect(dsn: str, *, application_name: str = "sqlite2pg-tui") -> psycopg2.extensions.connection:
    try:
        conn = psycopg2.connect(dsn or "", application_name=application_name, connect_timeout=10)
    except psycopg2.OperationalError as e:
        where = redact(dsn)  # "(from PG* environment)" has its own brackets
        where = where if where.startswith("(") else f"({where})"
        raise TargetError(f"cannot connect to PostgreSQL {where}: {_plain(e)}") from None
    except psycopg2.ProgrammingError as e:
        raise TargetError(f"invalid PostgreSQL DSN: {_plain(e)}") from None
    with conn.cursor() as cur:
        # Timestamps are compared and written in UTC; output formats fixed for verification.
        cur.execute("SET TIME ZONE 'UTC'; SET datestyle = 'ISO, YMD'; SET extra_float_digits = 3")
    conn.commit()
    return conn


def plain_error(e: psycopg2.Error) -> str:
    return _plain(e)


@dataclass
class TargetInfo:
    server_version: str
    user: str
    database: str
    schema: str
    schema_exists: bool
    can_create: bool
    existing_tables: list[str] = field(default_factory=list)


def probe(dsn: str, schema: str = "public", tables: list[str] | None = None) -> TargetInfo:
    """What the Connect step shows: who we are, and whether we may create the tables."""
    conn = connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_setting('server_version'), current_user, current_database()")
            version, user, db = cur.fetchone()
            cur.execute("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = %s)", (schema,))
            exists = cur.fetchone()[0]
            if exists:
                cur.execute("SELECT has_schema_privilege(%s, 'CREATE')", (schema,))
            else:
                cur.execute("SELECT has_database_privilege(current_database(), 'CREATE')")
            can_create = cur.fetchone()[0]
            existing = existing_tables(cur, schema, tables or [])
        return TargetInfo(version, user, db, schema, exists, can_create, existing)
    except psycopg2.Error as e:
        raise TargetError(f"could not inspect the target: {_plain(e)}") from None
    finally:
        conn.close()


def existing_tables(cur: psycopg2.extensions.cursor, schema: str, names: list[str]) -> list[str]:
    if not names:
        return []
    cur.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = ANY(%s)", (schema, names))
    found = {r[0] for r in cur.fetchall()}
    return [n for n in names if n in found]


def qualified(schema: str, name: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))
