"""Checks: queries that must answer the same on both sides, and the default ones.

Three kinds, one result shape (:class:`CheckResult`, a row of the report's ``checks``):

* **user checks** from the mapping (``[[checks]]`` with ``sqlite`` and optionally
  ``postgres``); without a hand-written PostgreSQL version the SQLite text is translated
  (:mod:`query_translate`);
* **ad-hoc queries** (``verify --query``), the same thing unnamed;
* **default checks**, proposed for every table so that nobody gets only a row count: rows,
  min/max of the key, sums of numeric columns, NULLs per column, trues per boolean, min/max
  of timestamps, total text length. One aggregate query per table per side computes all
  of them. SQLite's side is written for the values *after conversion* (``sum`` of 0/1 vs
  ``count(*) FILTER (WHERE flag)``; epoch numbers converted before comparing with the
  timestamps PostgreSQL holds; text timestamps read through ``julianday``).

Rows the copy rejected are legitimately absent from PostgreSQL. SQLite's side leaves them
out by locator (the reject file, or, without one, the converters run again to find them),
so counts and sums are compared exactly; user queries see the table through the same
filter. Only when those rows cannot be identified (no reject file and PostgreSQL itself
refused some) is a difference reported as expected rather than failed. A value set to
NULL by an ``on_error = "null"`` policy is counted as a NULL on SQLite's side; sums and
ranges are not computed for such columns (SQLite cannot apply the converter in SQL); the
full checksum covers them.

Values are compared after normalising the types each side uses for the same thing: 0/1
and booleans, ISO text and timestamps (UTC), epoch numbers and timestamps (through the
column's converter), REAL and double precision within a relative 1e-9, Decimal and
float, JSON text and parsed jsonb, bytes and memoryview, UUID text in any case.
"""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from sqlite2pg_tui.core import converters, query_translate, rejects
from sqlite2pg_tui.core.mapping import Check, ColumnMapping, Mapping, TableMapping
from sqlite2pg_tui.core.pg_target import connect, plain_error, qualified
from sqlite2pg_tui.core.report import Mismatch, Report, TableReport
from sqlite2pg_tui.core.schema import Table
from sqlite2pg_tui.core.sqlite_source import open_readonly, qi, read_schema, row_locator_sql

REL_TOL = 1e-9  # REAL vs double precision, and SQLite's float sums vs exact numeric ones
TIME_TOL = timedelta(milliseconds=2)  # julianday() keeps milliseconds
MAX_ROWS = 100_000  # per side: a check is a question with a short answer
DIFFERENCES_KEPT = 20


# --- results ---------------------------------------------------------------------------

@dataclass
class CheckResult:
    name: str
    ok: bool
    sqlite_rows: int | None = None
    pg_rows: int | None = None
    first_difference: dict[str, Any] | None = None
    error: str = ""  # a side could not run it: which, and why
    note: str = ""  # e.g. an expected difference, and why it is expected
    kind: str = "user"  # user | query | default
    sqlite_sql: str = ""
    postgres_sql: str = ""
    # A default check's answer on each side, as compared (shown, like first_difference).
    values: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("error", "note", "sqlite_sql", "postgres_sql", "values"):
            if not d[k]:
                del d[k]
        return d


@dataclass
class QueryComparison:
    """One query run on both sides, for the wizard's Compare screen and ``--query``."""

    sqlite_sql: str
    postgres_sql: str = ""
    translated: bool = True  # False: the PostgreSQL text was written by hand
    ordered: bool = False
    sqlite_columns: list[str] = field(default_factory=list)
    postgres_columns: list[str] = field(default_factory=list)
    sqlite_rows: list[tuple[Any, ...]] = field(default_factory=list)
    postgres_rows: list[tuple[Any, ...]] = field(default_factory=list)
    sqlite_error: str = ""
    postgres_error: str = ""
    ok: bool = False
    first_difference: dict[str, Any] | None = None
    differences: list[dict[str, Any]] = field(default_factory=list)  # the first few, like first_difference
    note: str = ""
    # Per table the query reads: rows the copy rejected, hidden from SQLite's side so both
    # sides see the same rows. Said next to the result, since counts then differ from the file.
    left_out: dict[str, int] = field(default_factory=dict)

    def result(self, name: str, kind: str = "user") -> CheckResult:
        err = "; ".join(e for e in (f"SQLite: {self.sqlite_error}" if self.sqlite_error else "",
                                    f"PostgreSQL: {self.postgres_error}" if self.postgres_error else "")
                        if e)
        return CheckResult(name, self.ok, None if self.sqlite_error else len(self.sqlite_rows),
                           None if self.postgres_error else len(self.postgres_rows),
                           self.first_difference, err, self.note, kind, self.sqlite_sql,
                           self.postgres_sql)


# --- normalising and comparing values ------------------------------------------------------

def show(v: Any) -> Any:
    """A value as the JSON report shows it: numbers and NULL as such, the rest as text."""
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else repr(v)
    if isinstance(v, memoryview | bytes):
        return "\\x" + bytes(v).hex()
    if isinstance(v, datetime):
        return v.isoformat(" ")
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False, default=str)
    if isinstance(v, Decimal) and v.is_finite() and v == v.to_integral_value():
        return int(v)
    return str(v)


def _as_utc(v: datetime) -> datetime:
    """Timestamps compared as naive UTC: a value without an offset is taken as UTC, as the
    timestamptz converter and the UTC session read it."""
    return v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo is not None else v


def _norm_pg(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, memoryview):
        return bytes(v)
    if isinstance(v, datetime):
        return _as_utc(v)
    if isinstance(v, uuid.UUID):
        return str(v)
    return v


def _coerce(v: Any, like: Any) -> Any:
    """A SQLite value in the type PostgreSQL answered with, when it reads as one."""
    if v is None or like is None:
        return v
    if isinstance(v, bool):
        return int(v)
    if isinstance(like, datetime) and isinstance(v, str):
        try:
            return _as_utc(converters.parse_iso(v)[0])
        except ValueError:
            return v
    if isinstance(like, datetime) and isinstance(v, datetime):
        return _as_utc(v)
    if type(like) is date and isinstance(v, str):
        try:
            dt, has_time, _ = converters.parse_iso(v)
        except ValueError:
            return v
        return dt.date() if not has_time or dt.time() == datetime.min.time() else v
    if type(like) is date and isinstance(v, datetime):
        return v.date() if v.time() == datetime.min.time() else v
    if isinstance(like, dict | list) and isinstance(v, str | bytes):
        try:
            return json.loads(v)
        except ValueError:
            return v
    if isinstance(like, bytes) and isinstance(v, str):
        return v.encode("utf-8", "surrogateescape")
    if isinstance(like, str) and isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return v
    if isinstance(like, int | float | Decimal) and isinstance(v, str):
        try:
            return Decimal(v.strip())
        except InvalidOperation:
            return v
    if isinstance(like, str) and isinstance(v, int | float) and _UUID_RE.fullmatch(like) is None:
        return v  # numbers vs text: compared below, as numbers when the text is one
    if isinstance(like, str) and isinstance(v, str) and _UUID_RE.fullmatch(like):
        return v.lower()
    return v


_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _number(v: Any) -> Decimal | float | None:
    if isinstance(v, bool):
        return int(v)  # type: ignore[return-value]
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float | Decimal):
        return v
    if isinstance(v, str):
        try:
            return Decimal(v.strip())
        except InvalidOperation:
            return None
    return None


def values_equal(a: Any, b: Any, rel_tol: float = REL_TOL) -> bool:
    """One SQLite value (already coerced) against one PostgreSQL value (normalised)."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, datetime) and isinstance(b, datetime):
        return _as_utc(a) == _as_utc(b)
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None and not (isinstance(a, str) and isinstance(b, str)):
        if isinstance(na, float) or isinstance(nb, float):
            fa, fb = float(na), float(nb)
            if math.isnan(fa) or math.isnan(fb):
                return math.isnan(fa) and math.isnan(fb)
            return math.isclose(fa, fb, rel_tol=rel_tol, abs_tol=1e-12)
        if na.is_nan() or nb.is_nan():  # type: ignore[union-attr]
            return na.is_nan() and nb.is_nan()  # type: ignore[union-attr]
        return na == nb
    if isinstance(a, dict | list) and isinstance(b, dict | list):
        return _json_equal(a, b)
    return bool(a == b)


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    return values_equal(a, b)


def _sort_key(v: Any) -> tuple[int, Any]:
    """A total order over normalised values; floats rounded so near-equal ones sit together."""
    if v is None:
        return (0, 0)
    n = _number(v) if not isinstance(v, str) else None
    if n is not None:
        f = float(n)
        if isinstance(n, float) or isinstance(v, float):
            return (1, float(f"{f:.9g}") if math.isfinite(f) else f)
        return (1, n)
    if isinstance(v, datetime):
        return (2, v.isoformat())
    if isinstance(v, date):
        return (2, v.isoformat())
    if isinstance(v, bytes):
        return (3, v.hex())
    if isinstance(v, dict | list):
        return (4, json.dumps(v, sort_keys=True, default=str))
    return (5, str(v))


def _row_key(row: Sequence[Any], approximate: list[bool]) -> tuple[Any, ...]:
    out = []
    for v, approx in zip(row, approximate, strict=True):
        k = _sort_key(v)
        if approx and k[0] == 1 and math.isfinite(float(k[1])):
            k = (1, float(f"{float(k[1]):.9g}"))
        out.append(k)
    return tuple(out)


def compare_rows(srows: list[tuple[Any, ...]], prows: list[tuple[Any, ...]], ordered: bool,
                 hints: list[query_translate.OutputHint] | None = None,
                 null_on_reject: set[int] | None = None) -> tuple[bool, list[dict[str, Any]], str]:
    """(equal, the first differences, a note) for two result sets of the same width."""
    hints = hints or []
    width = len(prows[0]) if prows else (len(srows[0]) if srows else 0)
    pg = [tuple(_norm_pg(v) for v in r) for r in prows]
    # Per column, what PostgreSQL answered with (its first non-NULL value) tells SQLite's type.
    like: list[Any] = [next((r[i] for r in pg if r[i] is not None), None) for i in range(width)]
    convert: list[Callable[[Any], Any] | None] = []
    separators: list[str | None] = []
    for i in range(width):
        h = hints[i] if i < len(hints) else None
        convert.append(_converter_of(h.column, null_on_reject is not None and i in null_on_reject)
                       if h is not None and h.column is not None else None)
        separators.append(h.separator if h is not None else None)
    sq: list[tuple[Any, ...]] = []
    for r in srows:
        out = []
        for i, v in enumerate(r):
            c = convert[i]
            if c is not None:
                v = _norm_pg(c(v))
            out.append(_coerce(v, like[i]))
        sq.append(tuple(out))
    for i, sep in enumerate(separators):  # GROUP_CONCAT order is arbitrary on both sides
        if sep is not None:
            sq = [r[:i] + (_parts(r[i], sep),) + r[i + 1:] for r in sq]
            pg = [r[:i] + (_parts(r[i], sep),) + r[i + 1:] for r in pg]
    approximate = [any(isinstance(r[i], float) for r in sq) or any(isinstance(r[i], float) for r in pg)
                   for i in range(width)]
    note = ""
    if not ordered:
        sq.sort(key=lambda r: _row_key(r, approximate))
        pg.sort(key=lambda r: _row_key(r, approximate))
    diffs: list[dict[str, Any]] = []
    for i in range(max(len(sq), len(pg))):
        a = sq[i] if i < len(sq) else None
        b = pg[i] if i < len(pg) else None
        if a is None or b is None or not all(values_equal(x, y) for x, y in zip(a, b, strict=True)):
            diffs.append({"row": i, "sqlite": None if a is None else [show(v) for v in a],
                          "postgres": None if b is None else [show(v) for v in b]})
            if len(diffs) >= DIFFERENCES_KEPT:
                break
    if diffs and ordered and len(sq) == len(pg):
        same = compare_rows(srows, prows, False, hints, null_on_reject)[0]
        if same:
            note = ("the same rows in a different order (ties in ORDER BY are ordered freely by "
                    "each database, and text may sort differently: add a tie-breaker)")
    return not diffs, diffs, note


def _parts(v: Any, sep: str) -> Any:
    if not isinstance(v, str):
        return v
    return tuple(sorted(v.split(sep)))


def _converter_of(cm: ColumnMapping, null_on_reject: bool) -> Callable[[Any], Any]:
    fn = converters.build(cm.converter, cm.options)
    base = converters.base_type(cm.pg_type)

    def conv(v: Any) -> Any:
        if v is None:
            return None
        try:
            got = fn(v)
        except converters.Reject:
            return None if null_on_reject else v
        if base == "jsonb" and isinstance(got, str):
            try:
                return json.loads(got)
            except ValueError:
                return got
        return got

    return conv


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
            f"WHERE {row_locator_sql(table)} NOT IN ({_sql_list(locs)})")


def _sql_list(values: set[Any]) -> str:
    out = []
    for v in sorted(values, key=str):
        if isinstance(v, int) and not isinstance(v, bool):
            out.append(str(v))
        else:
            out.append("'" + str(v).replace("'", "''") + "'")
    return ", ".join(out) or "NULL"


def _compare_query(ctx: _Context, sqlite_sql: str, postgres_sql: str = "") -> QueryComparison:
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

def locators_of(source: str, table: Table, tm: TableMapping,
                lines: list[rejects.RejectRecord]) -> set[Any]:
    """SQLite locators of the rows a reject file names. The copy's lines carry the locator;
    rows removed later as foreign-key orphans carry their key (or, keyless, the orphan
    value), which is looked up."""
    out: set[Any] = set()
    by_columns: dict[tuple[str, ...], list[Any]] = {}
    for rec in lines:
        if rec.row is None and not isinstance(rec.rowid, list):  # a list: a composite key
            out.add(rec.rowid)
            continue
        cols = tuple(table.primary_key) or tuple(c.strip() for c in rec.column.split(","))
        if cols:
            by_columns.setdefault(cols, []).append(rec.rowid)
    if not by_columns:
        return out
    conn = open_readonly(source, lossless_text=True)
    try:
        for cols, values in by_columns.items():
            if not all(any(c.name == x for c in table.columns) for x in cols):
                continue
            cond = " AND ".join(f"{qi(c)} IS ?" for c in cols)
            q = f"SELECT {row_locator_sql(table)} FROM {qi(table.name)} WHERE {cond}"
            for v in values:
                params = v if isinstance(v, list) and len(cols) > 1 else [v]
                if len(params) != len(cols):
                    continue
                out |= {r[0] for r in conn.execute(q, params)}
    finally:
        conn.close()
    return out


def converter_rejects(source: str, table: Table, tm: TableMapping) -> set[Any]:
    """Locators of the rows the converters reject (policy 'reject'/'abort', or 'null' on a
    NOT NULL column): what the copy left out, found again without its reject file."""
    fns = []
    for cm in tm.columns:
        try:
            col = table.column(cm.source)
            notnull = col.notnull or col.pk > 0
        except KeyError:
            notnull = False
        fns.append((converters.build(cm.converter, cm.options), cm.on_error == "null" and not notnull))
    out: set[Any] = set()
    conn = open_readonly(source, lossless_text=True)
    try:
        cols = ", ".join([row_locator_sql(table)] + [qi(c.source) for c in tm.columns])
        for row in conn.execute(f"SELECT {cols} FROM {qi(table.name)}"):
            for (fn, nullable), v in zip(fns, row[1:], strict=True):
                if v is None:
                    continue
                try:
                    fn(v)
                except converters.Reject:
                    if not nullable:
                        out.add(row[0])
                        break
    finally:
        conn.close()
    return out


def rejected_rows(source: str, table: Table, tm: TableMapping, tr: TableReport,
                  reject_dir: str | Path | None) -> tuple[set[Any] | None, str]:
    """The locators of the rows the copy left out, or None (and why) when they cannot all
    be told apart.

    Three sources, together: the converters run again (every value they refuse), the rows
    PostgreSQL refused (named in the run's report) and the reject file (which also holds
    rows removed afterwards as foreign-key orphans). A stale file from an older run can only
    make SQLite's side smaller than PostgreSQL's: a false alarm, never a hidden difference."""
    lines = rejects.read(reject_dir, tm.target)
    if not tr.rejected_rows and not lines and not tr.refused_by_postgres:
        return set(), ""
    # A composite key (a list) is no locator: the reject file's line for it is looked up below.
    out = {r for r in tr.refused_by_postgres if not isinstance(r, list)}
    if tr.rejected_rows:
        out |= converter_rejects(source, table, tm)
    if lines:
        out |= locators_of(source, table, tm, lines)
    if len(out) < tr.rejected_rows:
        return None, (f"expected difference: {tr.rejected_rows} row(s) were rejected and "
                      f"{tr.rejected_rows - len(out)} of them cannot be identified without the "
                      "reject file")
    return out, ""


def exclusions(source: str, mapping: Mapping, report: Report,
               reject_dir: str | Path | None = None) -> dict[str, set[Any]]:
    """Per source table, the locators of the rows a run left out (see :func:`rejected_rows`):
    hand it to :func:`run_query_both` / :func:`run_checks` so SQLite's side of a query sees
    the rows PostgreSQL was given."""
    conn = open_readonly(source)
    try:
        tables = {t.name: t for t in read_schema(conn, source, count_rows=False).tables}
    finally:
        conn.close()
    out: dict[str, set[Any]] = {}
    for tm in mapping.included:
        table = tables.get(tm.source)
        if table is None:
            continue
        try:
            tr = report.table(tm.source)
        except KeyError:
            continue
        locs, _ = rejected_rows(source, table, tm, tr, reject_dir or report.rejects_dir)
        if locs:
            out[tm.source] = locs
    return out


def orphan_nulled(mapping: Mapping, table: Table) -> set[str]:
    """Foreign-key columns the orphans policy may have set to NULL in PostgreSQL."""
    if mapping.orphans != "null":
        return set()
    return {c for fk in table.foreign_keys for c in fk.columns}


# --- the default checks ------------------------------------------------------------------------

@dataclass
class _Agg:
    label: str  # what it measures, e.g. "sum(amount)"
    sqlite: str  # an aggregate over SQLite's table
    pg: sql.Composable
    compare: str = "exact"  # exact | float | julian | convert
    column: ColumnMapping | None = None
    scale_sqlite: str = ""  # float: a magnitude aggregate (sum of |x|) for the tolerance
    scale_pg: sql.Composable | None = None
    guard: str = ""  # SQLite: count of values this aggregate cannot read; non-zero: skipped
    null_policy: ColumnMapping | None = None  # nulls: values the policy turns NULL count too


_TRUE_SQL = "('1','true','t','yes','y','on')"
# Converters that alter values only below what the aggregates see (sub-microsecond rounding).
_ROUNDING_ONLY = {"timestamp", "timestamptz"}
_WS = "' ' || char(9, 10, 11, 12, 13)"


def default_aggregates(table: Table, tm: TableMapping, skip: set[str] | None = None) -> list[_Agg]:
    """The aggregates worth comparing for one table, SQLite's side after conversion.
    ``skip``: source columns PostgreSQL changed on purpose (orphan keys set to NULL)."""
    aggs = [_Agg("rows", "count(*)", sql.SQL("count(*)"))]
    pk = table.primary_key
    for cm in tm.columns:
        if skip and cm.source in skip:
            continue
        c, pc = qi(cm.source), sql.Identifier(cm.target)
        conv = converters.REGISTRY.get(cm.converter)
        if conv is None:
            continue
        base = converters.base_type(cm.pg_type)
        col = next((x for x in table.columns if x.name == cm.source), None)
        notnull = col is not None and (col.notnull or col.pk > 0)
        null_policy = cm.on_error == "null" and not notnull
        aggs.append(_Agg(f"nulls({cm.target})", f"count(*) - count({c})",
                         sql.SQL("count(*) - count({})").format(pc),
                         null_policy=cm if null_policy else None))
        if null_policy or (conv.alters and cm.converter not in _ROUNDING_ONLY):
            continue  # the values SQLite holds are not the ones PostgreSQL has
        is_key = pk == [cm.source]
        if cm.converter == "integer":
            guard = f"sum(typeof({c}) NOT IN ('integer', 'null'))"
            if is_key:
                aggs.append(_Agg(f"min({cm.target})", f"min({c})", sql.SQL("min({})").format(pc), guard=guard))
                aggs.append(_Agg(f"max({cm.target})", f"max({c})", sql.SQL("max({})").format(pc), guard=guard))
            if base in ("bigint", "integer", "smallint", "numeric", "double precision"):
                aggs.append(_Agg(f"sum({cm.target})", f"sum({c})", sql.SQL("sum({})").format(pc),
                                 guard=guard))
        elif cm.converter in ("real", "numeric") and base in ("double precision", "numeric", "real"):
            aggs.append(_Agg(f"sum({cm.target})", f"total({c})", sql.SQL("sum({})").format(pc),
                             compare="float", scale_sqlite=f"total(abs({c}))",
                             scale_pg=sql.SQL("sum(abs({}))").format(pc),
                             guard=f"sum(typeof({c}) NOT IN ('integer', 'real', 'null'))"))
        elif cm.converter == "boolean" and base == "boolean":
            aggs.append(_Agg(
                f"true({cm.target})",
                f"coalesce(sum(CASE WHEN typeof({c}) IN ('integer', 'real') THEN {c} = 1 "
                f"WHEN typeof({c}) = 'text' THEN lower(trim({c}, {_WS})) IN {_TRUE_SQL} ELSE 0 END), 0)",
                sql.SQL("count(*) FILTER (WHERE {})").format(pc)))
        elif cm.converter in ("timestamp", "timestamptz", "date") and base in ("timestamp", "timestamptz", "date"):
            guard = f"sum({c} IS NOT NULL AND julianday({c}) IS NULL)"
            for fn in ("min", "max"):
                aggs.append(_Agg(f"{fn}({cm.target})", f"{fn}(julianday({c}))",
                                 sql.SQL(fn + "({})").format(pc), compare="julian", guard=guard))
        elif cm.converter in ("epoch", "julian"):
            guard = f"sum(typeof({c}) NOT IN ('integer', 'real', 'null'))"
            for fn in ("min", "max"):
                aggs.append(_Agg(f"{fn}({cm.target})", f"{fn}({c})", sql.SQL(fn + "({})").format(pc),
                                 compare="convert", column=cm, guard=guard))
        elif cm.converter in ("text", "varchar") and base in ("text", "varchar", "character varying",
                                                              "char", "character", "bpchar"):
            padded = base in ("char", "character", "bpchar")
            guard = f"sum(typeof({c}) NOT IN ('text', 'null'))"
            aggs.append(_Agg(f"length({cm.target})",
                             f"sum(length(rtrim({c}, ' ')))" if padded else f"sum(length({c}))",
                             sql.SQL("sum(length({}))").format(pc), guard=guard))
            if is_key:
                aggs.append(_Agg(f"min({cm.target})", f"min({c} COLLATE BINARY)",
                                 sql.SQL('min({} COLLATE "C")').format(pc), guard=guard))
                aggs.append(_Agg(f"max({cm.target})", f"max({c} COLLATE BINARY)",
                                 sql.SQL('max({} COLLATE "C")').format(pc), guard=guard))
        elif cm.converter == "bytea" and base == "bytea":
            aggs.append(_Agg(f"length({cm.target})", f"sum(length(CAST({c} AS BLOB)))",
                             sql.SQL("sum(octet_length({}))").format(pc),
                             guard=f"sum(typeof({c}) NOT IN ('blob', 'text', 'null'))"))
    return aggs


def _julian_to_datetime(j: float) -> datetime:
    # julianday() counts whole milliseconds; rounding there drops the float's noise.
    return datetime(1970, 1, 1) + timedelta(milliseconds=round((j - converters.JULIAN_UNIX_EPOCH) * 86_400_000))


def _to_naive_utc(v: Any) -> datetime | None:
    if isinstance(v, datetime):
        return _as_utc(v)
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    return None


def _policy_nulls(source: str, table: Table, cms: list[ColumnMapping], exclude: set[Any]) -> dict[str, int]:
    """Per column, the non-NULL values its converter refuses (and its policy makes NULL)."""
    fns = [converters.build(c.converter, c.options) for c in cms]
    counts = {c.source: 0 for c in cms}
    conn = open_readonly(source, lossless_text=True)
    try:
        cols = ", ".join([row_locator_sql(table)] + [qi(c.source) for c in cms])
        for row in conn.execute(f"SELECT {cols} FROM {qi(table.name)}"):
            if row[0] in exclude:
                continue
            for cm, fn, v in zip(cms, fns, row[1:], strict=True):
                if v is None:
                    continue
                try:
                    fn(v)
                except converters.Reject:
                    counts[cm.source] += 1
    finally:
        conn.close()
    return counts


def default_checks_for(source: str, sconn: sqlite3.Connection, pg: Any, table: Table, tm: TableMapping,
                       schema: str, exclude: set[Any] | None, expected_note: str = "",
                       skip: set[str] | None = None) -> list[CheckResult]:
    """Compute one table's default checks: one aggregate query on each side."""
    aggs = default_aggregates(table, tm, skip)
    prefix = f"{tm.target}: "
    where = ""
    if exclude:
        where = f" WHERE {row_locator_sql(table)} NOT IN ({_sql_list(exclude)})"
    target = qualified(schema, tm.target)

    def s_exprs(a: _Agg) -> list[str]:
        return [a.sqlite, a.scale_sqlite or "NULL", a.guard or "0"]

    def p_exprs(a: _Agg) -> list[sql.Composable]:
        return [a.pg, a.scale_pg if a.scale_pg is not None else sql.SQL("NULL")]

    def run(part: list[_Agg]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        # Each distinct expression once (a column's guard serves its min, max and sum): SQLite
        # evaluates every select-list expression for every row.
        wanted = [e for a in part for e in s_exprs(a)]
        distinct = list(dict.fromkeys(wanted))
        sq = f"SELECT {', '.join(distinct)} FROM {qi(table.name)}{where}"
        got = dict(zip(distinct, sconn.execute(sq).fetchone(), strict=True))
        srow = tuple(got[e] for e in wanted)
        try:
            with pg.cursor() as cur:
                cur.execute(sql.SQL("SELECT {} FROM {}").format(
                    sql.SQL(", ").join(e for a in part for e in p_exprs(a)), target))
                prow = cur.fetchone()
        finally:
            pg.rollback()
        return srow, prow

    failed: dict[int, str] = {}
    try:
        srow, prow = run(aggs)
    except (sqlite3.Error, psycopg2.Error):
        # One aggregate that overflows (sum of huge values) must not hide the others.
        srow_l: list[Any] = []
        prow_l: list[Any] = []
        for i, a in enumerate(aggs):
            try:
                s1, p1 = run([a])
            except sqlite3.Error as e:
                failed[i] = f"SQLite: {e}"
                s1, p1 = (None, None, None), (None, None)
            except psycopg2.Error as e:
                failed[i] = f"PostgreSQL: {plain_error(e)}"
                s1, p1 = (None, None, None), (None, None)
            srow_l += list(s1)
            prow_l += list(p1)
        srow, prow = tuple(srow_l), tuple(prow_l)
    out: list[CheckResult] = []
    pending_nulls: list[tuple[int, _Agg, Any, Any]] = []
    for i, a in enumerate(aggs):
        sv, s_scale, s_guard = srow[3 * i], srow[3 * i + 1], srow[3 * i + 2]
        pv, p_scale = prow[2 * i], prow[2 * i + 1]
        # What ran, for people: the aggregate alone (the scale and guard columns only help
        # the comparison), over the same rows on both sides.
        res = CheckResult(prefix + a.label, True, 1, 1, kind="default",
                          sqlite_sql=f"SELECT {a.sqlite} FROM {qi(table.name)}{where}",
                          postgres_sql=sql.SQL("SELECT {} FROM {}").format(a.pg, target)
                          .as_string(pg))
        if i in failed:
            if "overflow" in failed[i].lower() or "out of range" in failed[i].lower():
                res.note = f"not compared: {failed[i]} (the checksum covers these values)"
            else:
                res.ok, res.error = False, failed[i]
            out.append(res)
            continue
        if s_guard:
            res.note = (f"not compared: {s_guard} value(s) in SQLite are of a kind this "
                        "aggregate cannot read the way the converter does (the checksum covers them)")
            out.append(res)
            continue
        ok, shown_s, shown_p = _agg_equal(a, sv, pv, s_scale, p_scale)
        res.values = {"sqlite": shown_s, "postgres": shown_p}
        if not ok and a.null_policy is not None:
            pending_nulls.append((len(out), a, sv, pv))
        if not ok:
            res.ok = False
            res.first_difference = {"row": 0, "sqlite": [shown_s], "postgres": [shown_p]}
            if expected_note:
                res.ok, res.note = True, expected_note
        out.append(res)
    if pending_nulls:
        counts = _policy_nulls(source, table, [a.null_policy for _, a, _, _ in pending_nulls
                                               if a.null_policy is not None], exclude or set())
        for idx, a, sv, pv in pending_nulls:
            assert a.null_policy is not None
            nulled = counts.get(a.null_policy.source, 0)
            if (sv or 0) + nulled == pv:
                r = out[idx]
                r.ok, r.first_difference = True, None
                r.note = f"{nulled} value(s) set to NULL by the column's on_error policy"
    return out


def _agg_equal(a: _Agg, sv: Any, pv: Any, s_scale: Any, p_scale: Any) -> tuple[bool, Any, Any]:
    if a.compare == "julian":
        got = _to_naive_utc(pv)
        if sv is None or got is None:
            return sv is None and got is None, show(sv), show(pv)
        expected = _julian_to_datetime(float(sv))
        return abs(expected - got) <= TIME_TOL, show(expected), show(got)
    if a.compare == "convert":
        assert a.column is not None
        conv = _converter_of(a.column, False)(sv)
        got_c, got_p = (_as_utc(conv) if isinstance(conv, datetime) else conv), _norm_pg(pv)
        return values_equal(got_c, got_p), show(got_c), show(got_p)
    if a.compare == "float":
        if pv is not None and math.isnan(float(pv)):
            return sv is None, show(sv), show(pv)  # SQLite gives NULL where a sum is NaN (inf - inf)
        if sv is None or pv is None:
            # SQLite's total() is 0.0 over no rows; PostgreSQL's sum() is NULL.
            return (sv or 0) == (pv or 0), show(sv), show(pv)
        if float(sv) == float(pv):  # equal infinities too, whose difference is NaN
            return True, show(sv), show(pv)
        scale = max(float(s_scale or 0), float(p_scale or 0), abs(float(sv)), abs(float(pv)))
        return abs(float(sv) - float(pv)) <= REL_TOL * scale + 1e-12, show(sv), show(pv)
    if sv is None and pv is None:
        return True, None, None
    if a.label.startswith("sum(") and (sv is None or pv is None):
        return (sv or 0) == (pv or 0), show(sv), show(pv)
    return values_equal(sv, _norm_pg(pv)), show(sv), show(pv)


def run_default_checks(source: str, dsn: str, pairs: list[tuple[Table, TableMapping]], schema: str,
                       exclude: dict[str, set[Any] | None] | None = None,
                       notes: dict[str, str] | None = None,
                       skip: dict[str, set[str]] | None = None) -> list[CheckResult]:
    """Every table's default checks. ``exclude`` maps a source table to the locators of its
    rejected rows (None: unknown, then ``notes`` says why differences are expected)."""
    exclude = exclude or {}
    notes = notes or {}
    skip = skip or {}

    def one(table: Table, tm: TableMapping) -> list[CheckResult]:
        # A connection pair per table: SQLite releases the GIL while it scans, so tables
        # are aggregated in parallel.
        sconn = open_readonly(source, lossless_text=True)
        try:
            pg = connect(dsn)
        except BaseException:
            sconn.close()
            raise
        try:
            return default_checks_for(source, sconn, pg, table, tm, schema,
                                      exclude.get(tm.source) or set(), notes.get(tm.source, ""),
                                      skip.get(tm.source))
        finally:
            sconn.close()
            pg.close()

    workers = max(1, min(len(pairs), os.cpu_count() or 1, 4))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda p: one(*p), pairs))
    return [r for rs in results for r in rs]


# --- into the report -------------------------------------------------------------------------

@dataclass
class DeepOptions:
    defaults: bool = True  # the default checks
    user: bool = True  # the mapping's [[checks]]
    queries: list[str] = field(default_factory=list)  # ad-hoc SQLite queries (verify --query)
    full: bool = False  # full-table checksums
    reject_dir: str | None = None


def deep_verify(report: Report, source: str, dsn: str, mapping: Mapping,
                pairs: list[tuple[Table, TableMapping]], schema: str, opts: DeepOptions,
                on_event: Any = None, timer: Any = None) -> None:
    """Checks (default, user, ad-hoc) and, with ``opts.full``, checksums, into the report.

    The checks' time is added to the "verify" phase (they are part of it); the checksums
    get a "checksum" phase of their own (only present with ``full``). ``timer`` is
    migrate's phase timer, used for the checksum phase's start event and timing."""
    from contextlib import nullcontext

    from sqlite2pg_tui.core.checksum import checksum_tables
    from sqlite2pg_tui.core.events import ignore

    on_event = on_event or ignore
    start = time.perf_counter()
    live = [(t, tm) for t, tm in pairs if not _table_failed(report, tm)]
    exclude: dict[str, set[Any] | None] = {}
    notes: dict[str, str] = {}
    skip: dict[str, set[str]] = {}
    for table, tm in live:
        tr = _table_report(report, tm)
        locs, note = rejected_rows(source, table, tm, tr, opts.reject_dir)
        exclude[tm.source] = locs
        if note:
            notes[tm.source] = note
        skip[tm.source] = orphan_nulled(mapping, table)
    known = {k: v for k, v in exclude.items() if v}
    try:
        results: list[CheckResult] = []
        if opts.defaults and live:
            results += run_default_checks(source, dsn, live, schema, exclude, notes, skip)
        if opts.user and mapping.checks:
            results += run_checks(source, dsn, mapping, mapping.checks, schema, exclude=known)
        if opts.queries:
            results += run_checks(source, dsn, mapping,
                                  [Check(_query_name(q), q) for q in opts.queries], schema,
                                  exclude=known, kind="query")
        report.checks += [r.to_dict() for r in results]
    except psycopg2.Error as e:
        report.checks.append(CheckResult("checks", False, error=f"PostgreSQL: {plain_error(e)}").to_dict())
    finally:
        report.phases_s["verify"] = round(report.phases_s.get("verify", 0)
                                          + time.perf_counter() - start, 3)
    if opts.full and live:
        with timer.phase("checksum") if timer is not None else nullcontext():
            sums = checksum_tables(source, dsn, live, schema, exclude=known, on_event=on_event,
                                   skip=skip)
            for s in sums:
                tr = _table_report(report, next(tm for _, tm in live if tm.source == s.source))
                _apply_checksum(tr, s)
                if s.match is False and s.source in notes:
                    tr.checksum_note = "; ".join(n for n in (tr.checksum_note, notes[s.source]) if n)


def _query_name(q: str) -> str:
    one = " ".join(q.split())
    return one if len(one) <= 200 else one[:199] + "…"


def _table_failed(report: Report, tm: TableMapping) -> bool:
    try:
        return bool(report.table(tm.source).error)
    except KeyError:
        return False


def _table_report(report: Report, tm: TableMapping) -> TableReport:
    try:
        return report.table(tm.source)
    except KeyError:
        tr = TableReport(tm.source, tm.target)
        report.tables.append(tr)
        return tr


def _apply_checksum(tr: TableReport, s: Any) -> None:
    """The checksum's verdict and differing rows into the table's report."""
    if hasattr(tr, "checksum_match"):
        tr.checksum_match = s.match
    if hasattr(tr, "checksum_note"):
        tr.checksum_note = s.note
    # A composite key's locator is a list (as in the JSON report), which cannot be hashed.
    def seen_key(m: Mismatch) -> tuple[Any, str]:
        return (tuple(m.locator) if isinstance(m.locator, list) else m.locator, m.column)

    seen = {seen_key(m) for m in tr.mismatches}
    for m in s.mismatches():
        if seen_key(m) not in seen:
            tr.mismatches.append(m)
