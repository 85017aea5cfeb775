"""Loading into an existing table whose foreign keys are already enforced.

COPY fails as a whole on the first orphan (the check runs at the end of the statement and
names no line), so such tables are copied into a temporary table first; rows whose parent
is missing go to the reject file with their reason, the rest move in with one INSERT.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from psycopg2 import sql

from sqlite2pg_tui.core.target.postgres import qualified

STAGE = "s2p_stage"


@dataclass
class ExistingFk:
    name: str
    columns: list[str]
    parent_schema: str
    parent: str
    parent_columns: list[str]
    deferrable: bool = False


def foreign_keys_of(cur: Any, schema: str, table: str) -> list[ExistingFk]:
    cur.execute(
        "SELECT con.conname, "
        "  array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i) "
        "        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i), "
        "  pn.nspname, pc.relname, "
        "  array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i) "
        "        JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i), "
        "  con.condeferrable "
        "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_class pc ON pc.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace "
        "WHERE con.contype = 'f' AND n.nspname = %s AND c.relname = %s ORDER BY con.conname",
        (schema, table))
    return [ExistingFk(n, list(cols), ps, p, list(pcols), d) for n, cols, ps, p, pcols, d in cur.fetchall()]


def create_stage(cur: Any, schema: str, table: str) -> sql.Composed:
    # Inside one load's transaction (dataonly.py) the previous table's stage is still there.
    cur.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(sql.Identifier(STAGE)))
    cur.execute(sql.SQL("CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP").format(
        sql.Identifier(STAGE), qualified(schema, table)))
    return sql.SQL("{}").format(sql.Identifier(STAGE))


def missing_parent(fk: ExistingFk) -> tuple[sql.Composed, sql.Composed]:
    """(condition on rows aliased s whose parent is not in the parent table, the match)."""
    not_null = sql.SQL(" AND ").join(sql.SQL("s.{} IS NOT NULL").format(sql.Identifier(c))
                                     for c in fk.columns)
    match = sql.SQL(" AND ").join(sql.SQL("p.{} = s.{}").format(sql.Identifier(p), sql.Identifier(c))
                                  for c, p in zip(fk.columns, fk.parent_columns, strict=True))
    return sql.SQL("{} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {})").format(
        not_null, qualified(fk.parent_schema, fk.parent), match), match


def _orphan(fk: ExistingFk, schema: str, table: str) -> sql.Composed:
    """Rows of the stage (alias s) whose parent exists neither in the parent nor, for a
    self-reference, among the staged rows themselves."""
    cond, match = missing_parent(fk)
    if (fk.parent_schema, fk.parent) == (schema, table):
        cond = sql.SQL("{} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {})").format(
            cond, sql.Identifier(STAGE), match)
    return cond


def move_in(cur: Any, schema: str, table: str, columns: list[str], fks: list[ExistingFk],
            key: list[str], reject: Callable[[Any, str, Any, str], None]) -> tuple[int, int]:
    """Reject staged orphans, insert the rest; (inserted, rejected)."""
    rejected = 0
    for fk in fks:
        cur.execute(sql.SQL("DELETE FROM {} s WHERE {} RETURNING to_jsonb(s)::text").format(
            sql.Identifier(STAGE), _orphan(fk, schema, table)))
        for (text,) in cur.fetchall():
            row = json.loads(text)
            loc = [row.get(k) for k in key] if key else None
            value = [row.get(c) for c in fk.columns]
            reject(loc[0] if loc and len(loc) == 1 else loc, ", ".join(fk.columns),
                   value[0] if len(value) == 1 else value,
                   f"orphan: no row in {fk.parent} matches {', '.join(fk.columns)} "
                   f"(foreign key {fk.name} of the existing table)")
            rejected += 1
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    cur.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
        qualified(schema, table), cols, cols, sql.Identifier(STAGE)))
    return cur.rowcount, rejected

