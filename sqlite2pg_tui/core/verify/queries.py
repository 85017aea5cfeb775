"""A query run on both sides: user checks from the mapping and ad-hoc queries, SQLite's
side seeing the tables through the rows the copy left out."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

import psycopg2
from psycopg2 import sql

from sqlite2pg_tui.core.plan.mapping import Check, Mapping
from sqlite2pg_tui.core.source.reader import (
    open_readonly,
    qi,
    read_schema,
    row_locator_sql,
    sql_list,
)
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.target.postgres import connect, plain_error
from sqlite2pg_tui.core.verify.equality import compare_rows
from sqlite2pg_tui.core.verify.results import MAX_ROWS, CheckResult, QueryComparison

# --- running a query on each side ------------------------------------------------------------

def _run_sqlite(conn: sqlite3.Connection, text: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cur = conn.execute(text)
    rows = cur.fetchmany(MAX_ROWS + 1)
    if len(rows) > MAX_ROWS:
        raise _TooMany(f"more than {MAX_ROWS:,} rows: a check should answer briefly "
                       "(aggregate, or narrow it)")
    return [d[0] for d in (cur.description or [])], rows


def _run_pg(conn: Any, schema: str, text: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    with conn.cursor() as cur:
        # Read-only, in the migrated schema (unqualified names resolve there first).
        cur.execute("SET TRANSACTION READ ONLY")  # the first statement of the transaction
        cur.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(sql.Identifier(schema)))
        try:
            cur.execute(text)
            if cur.description is None:
                raise _TooMany("the statement returned no rows to compare")
            rows = cur.fetchmany(MAX_ROWS + 1)
            if len(rows) > MAX_ROWS:
                raise _TooMany(f"more than {MAX_ROWS:,} rows: a check should answer briefly")
            return [d[0] for d in cur.description], rows
        finally:
            conn.rollback()


class _TooMany(Exception):
    pass


@dataclass
class _Context:
    """What comparing on both sides needs, opened once for a batch of checks."""

    source: str
    mapping: Mapping
    schema: str
    sconn: sqlite3.Connection
    pg: Any
    exclude: dict[str, set[Any]] = field(default_factory=dict)  # source table → rejected locators
    tables: dict[str, Table] = field(default_factory=dict)


def _hide_rejected(ctx: _Context) -> None:
    """SQLite's side of a query sees each table without the rows the copy rejected: a TEMP
    view of the same name shadows the table (temp objects resolve first, and a read-only
    connection may still create them), so the query text itself is never rewritten."""
    for name, locs in ctx.exclude.items():
        table = ctx.tables.get(name)
        if not locs or table is None:
            continue
        ctx.sconn.execute(
            f"CREATE TEMP VIEW {qi(table.name)} AS SELECT * FROM main.{qi(table.name)} "
            f"WHERE {row_locator_sql(table)} NOT IN ({sql_list(locs)})")


def _compare_query(ctx: _Context, sqlite_sql: str, postgres_sql: str = "") -> QueryComparison:
    # (sqlglot, on first use: a run without [[checks]] queries never loads it)
    from sqlite2pg_tui.core.sql import query_translate

    qc = QueryComparison(sqlite_sql=sqlite_sql, postgres_sql=postgres_sql,
                         translated=not postgres_sql)
    read = query_translate.tables_read(sqlite_sql)
    qc.left_out = {name: len(locs) for name, locs in ctx.exclude.items()
                   if locs and name.lower() in read}
    hints: list[query_translate.OutputHint] = []
    if postgres_sql:
        qc.ordered = query_translate.is_ordered(sqlite_sql)
        hints = query_translate.output_hints(sqlite_sql, ctx.mapping)
    else:
        try:
            t = query_translate.translate(sqlite_sql, ctx.mapping)
            qc.postgres_sql, qc.ordered, hints = t.sql, t.ordered, t.hints
        except query_translate.Untranslatable as e:
            qc.postgres_error = (f"not translated automatically: {e}; write the PostgreSQL "
                                 "version in the mapping's `postgres` field")
    try:
        qc.sqlite_columns, qc.sqlite_rows = _run_sqlite(ctx.sconn, sqlite_sql)
    except (sqlite3.Error, _TooMany) as e:
        qc.sqlite_error = str(e)
    if qc.postgres_sql and not qc.postgres_error:
        try:
            qc.postgres_columns, qc.postgres_rows = _run_pg(ctx.pg, ctx.schema, qc.postgres_sql)
        except psycopg2.Error as e:
            qc.postgres_error = plain_error(e)
        except _TooMany as e:
            qc.postgres_error = str(e)
    if qc.sqlite_error or qc.postgres_error:
        return qc
    if len(qc.sqlite_columns) != len(qc.postgres_columns):
        qc.first_difference = {"message": f"{len(qc.sqlite_columns)} column(s) in SQLite "
                                          f"({', '.join(qc.sqlite_columns)}), "
                                          f"{len(qc.postgres_columns)} in PostgreSQL "
                                          f"({', '.join(qc.postgres_columns)})"}
        return qc
    null_cols = {i for i, h in enumerate(hints) if h.column is not None and h.column.on_error == "null"}
    qc.ok, qc.differences, qc.note = compare_rows(qc.sqlite_rows, qc.postgres_rows, qc.ordered,
                                                   hints, null_cols)
    if qc.differences:
        first = dict(qc.differences[0])
        if len(qc.sqlite_rows) != len(qc.postgres_rows):
            first["message"] = (f"{len(qc.sqlite_rows)} row(s) in SQLite, "
                                f"{len(qc.postgres_rows)} in PostgreSQL")
        qc.first_difference = first
    return qc


def _open(source: str, dsn: str, mapping: Mapping, schema: str,
          exclude: dict[str, set[Any]] | None = None) -> _Context:
    sconn = open_readonly(source, lossless_text=True)
    try:
        tables = {t.name: t for t in read_schema(sconn, source, count_rows=False).tables}
        pg = connect(dsn)
    except BaseException:
        sconn.close()
        raise
    ctx = _Context(source, mapping, schema, sconn, pg, exclude or {}, tables)
    try:
        _hide_rejected(ctx)
    except sqlite3.Error:
        _close(ctx)
        raise
    return ctx


def _close(ctx: _Context) -> None:
    ctx.sconn.close()
    ctx.pg.close()


def run_query_both(source: str, dsn: str, mapping: Mapping, sqlite_sql: str, schema: str | None = None,
                   *, postgres_sql: str = "", exclude: dict[str, set[Any]] | None = None) -> QueryComparison:
    """Run one SQLite query (and its translation, or ``postgres_sql``) on both sides."""
    ctx = _open(source, dsn, mapping, schema or mapping.schema, exclude)
    try:
        return _compare_query(ctx, sqlite_sql, postgres_sql)
    finally:
        _close(ctx)


def run_checks(source: str, dsn: str, mapping: Mapping, checks: list[Check] | None = None,
               schema: str | None = None, *, exclude: dict[str, set[Any]] | None = None,
               kind: str = "user") -> list[CheckResult]:
    """Each check on both sides (default: the mapping's), compared; never raises for a check
    that fails to run: that check is reported with its error."""
    checks = mapping.checks if checks is None else checks
    if not checks:
        return []
    ctx = _open(source, dsn, mapping, schema or mapping.schema, exclude)
    try:
        return [_compare_query(ctx, c.sqlite, c.postgres).result(c.name, kind) for c in checks]
    finally:
        _close(ctx)


# --- rejected rows ---------------------------------------------------------------------------
