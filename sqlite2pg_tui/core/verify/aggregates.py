"""Default checks: one aggregate query per table per side (rows, key range, sums, NULLs,
trues, timestamp ranges, text length), SQLite's side written for converted values."""

from __future__ import annotations

import math
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import psycopg2
from psycopg2 import sql

from sqlite2pg_tui.core.plan.mapping import ColumnMapping, TableMapping
from sqlite2pg_tui.core.source.reader import open_readonly, qi, row_locator_sql, sql_list
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.target.postgres import connect, plain_error, qualified
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.core.values.converters.booleans import true_sql
from sqlite2pg_tui.core.values.pgtype import PgType
from sqlite2pg_tui.core.verify.equality import as_utc, converter_of, norm_pg, values_equal
from sqlite2pg_tui.core.verify.results import REL_TOL, TIME_TOL, CheckResult, show

if TYPE_CHECKING:
    from sqlite2pg_tui.core.verify.streamed import StreamedAggregates


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
    # How the copy's clean batches give it (verify/streamed.py): rows | nulls | min | max |
    # sum | total | true | julian_min | julian_max | length | length_rtrim | octets.
    stream: str = ""


def default_aggregates(table: Table, tm: TableMapping, skip: set[str] | None = None) -> list[_Agg]:
    """The aggregates worth comparing for one table, SQLite's side after conversion.
    ``skip``: source columns PostgreSQL changed on purpose (orphan keys set to NULL)."""
    aggs = [_Agg("rows", "count(*)", sql.SQL("count(*)"), stream="rows")]
    pk = table.primary_key
    for cm in tm.columns:
        if skip and cm.source in skip:
            continue
        c, pc = qi(cm.source), sql.Identifier(cm.target)
        conv = converters.REGISTRY.get(cm.converter)
        if conv is None:
            continue
        pg = PgType.of(cm.pg_type)
        base, check = pg.name, conv.check
        col = next((x for x in table.columns if x.name == cm.source), None)
        notnull = col is not None and (col.notnull or col.pk > 0)
        null_policy = cm.on_error == "null" and not notnull
        aggs.append(_Agg(f"nulls({cm.target})", f"count(*) - count({c})",
                         sql.SQL("count(*) - count({})").format(pc),
                         null_policy=cm if null_policy else None, column=cm, stream="nulls"))
        if null_policy or (conv.alters and not conv.rounds_only):
            continue  # the values SQLite holds are not the ones PostgreSQL has
        is_key = pk == [cm.source]
        if check == "integer":
            guard = f"sum(typeof({c}) NOT IN ('integer', 'null'))"
            if is_key:
                aggs.append(_Agg(f"min({cm.target})", f"min({c})", sql.SQL("min({})").format(pc),
                                 guard=guard, column=cm, stream="min"))
                aggs.append(_Agg(f"max({cm.target})", f"max({c})", sql.SQL("max({})").format(pc),
                                 guard=guard, column=cm, stream="max"))
            if base in ("bigint", "integer", "smallint", "numeric", "double precision"):
                aggs.append(_Agg(f"sum({cm.target})", f"sum({c})", sql.SQL("sum({})").format(pc),
                                 guard=guard, column=cm, stream="sum"))
        elif check == "number" and base in ("double precision", "numeric", "real"):
            aggs.append(_Agg(f"sum({cm.target})", f"total({c})", sql.SQL("sum({})").format(pc),
                             compare="float", scale_sqlite=f"total(abs({c}))",
                             scale_pg=sql.SQL("sum(abs({}))").format(pc),
                             guard=f"sum(typeof({c}) NOT IN ('integer', 'real', 'null'))",
                             column=cm, stream="total"))
        elif check == "boolean" and base == "boolean":
            aggs.append(_Agg(f"true({cm.target})", true_sql(c),
                             sql.SQL("count(*) FILTER (WHERE {})").format(pc), column=cm,
                             stream="true"))
        elif check == "instant" and pg.is_time:
            guard = f"sum({c} IS NOT NULL AND julianday({c}) IS NULL)"
            for fn in ("min", "max"):
                aggs.append(_Agg(f"{fn}({cm.target})", f"{fn}(julianday({c}))",
                                 sql.SQL(fn + "({})").format(pc), compare="julian", guard=guard,
                                 column=cm, stream="julian_" + fn))
        elif check == "stored_number":
            guard = f"sum(typeof({c}) NOT IN ('integer', 'real', 'null'))"
            for fn in ("min", "max"):
                aggs.append(_Agg(f"{fn}({cm.target})", f"{fn}({c})", sql.SQL(fn + "({})").format(pc),
                                 compare="convert", column=cm, guard=guard, stream=fn))
        elif check == "text" and base in ("text", "varchar", "character varying",
                                          "char", "character", "bpchar"):
            padded = pg.is_padded
            guard = f"sum(typeof({c}) NOT IN ('text', 'null'))"
            aggs.append(_Agg(f"length({cm.target})",
                             f"sum(length(rtrim({c}, ' ')))" if padded else f"sum(length({c}))",
                             sql.SQL("sum(length({}))").format(pc), guard=guard, column=cm,
                             stream="length_rtrim" if padded else "length"))
            if is_key:
                aggs.append(_Agg(f"min({cm.target})", f"min({c} COLLATE BINARY)",
                                 sql.SQL('min({} COLLATE "C")').format(pc), guard=guard,
                                 column=cm, stream="min"))
                aggs.append(_Agg(f"max({cm.target})", f"max({c} COLLATE BINARY)",
                                 sql.SQL('max({} COLLATE "C")').format(pc), guard=guard,
                                 column=cm, stream="max"))
        elif check == "bytes" and base == "bytea":
            aggs.append(_Agg(f"length({cm.target})", f"sum(length(CAST({c} AS BLOB)))",
                             sql.SQL("sum(octet_length({}))").format(pc),
                             guard=f"sum(typeof({c}) NOT IN ('blob', 'text', 'null'))",
                             column=cm, stream="octets"))
    return aggs


def _julian_to_datetime(j: float) -> datetime:
    # julianday() counts whole milliseconds; rounding there drops the float's noise.
    return datetime(1970, 1, 1) + timedelta(milliseconds=round((j - converters.JULIAN_UNIX_EPOCH) * 86_400_000))


def _to_naive_utc(v: Any) -> datetime | None:
    if isinstance(v, datetime):
        return as_utc(v)
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


def default_checks_for(source: str, sconn: sqlite3.Connection | None, pg: Any, table: Table,
                       tm: TableMapping, schema: str, exclude: set[Any] | None,
                       expected_note: str = "", skip: set[str] | None = None,
                       streamed: StreamedAggregates | None = None) -> list[CheckResult]:
    """Compute one table's default checks: one aggregate query on each side. ``streamed``:
    SQLite's side gathered during the copy (verify/streamed.py), which spares its query."""
    aggs = default_aggregates(table, tm, skip)
    given = streamed.row() if streamed is not None else None
    prefix = f"{tm.target}: "
    where = ""
    if exclude:
        where = f" WHERE {row_locator_sql(table)} NOT IN ({sql_list(exclude)})"
    target = qualified(schema, tm.target)

    def s_exprs(a: _Agg) -> list[str]:
        return [a.sqlite, a.scale_sqlite or "NULL", a.guard or "0"]

    def p_exprs(a: _Agg) -> list[sql.Composable]:
        return [a.pg, a.scale_pg if a.scale_pg is not None else sql.SQL("NULL")]

    def run(part: list[_Agg]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        # Each distinct expression once (a column's guard serves its min, max and sum): SQLite
        # evaluates every select-list expression for every row.
        if given is not None:
            srow = tuple(x for a in part for x in given[a.label])
        else:
            assert sconn is not None
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
        counts = streamed.policy_nulls if streamed is not None and given is not None else (
            _policy_nulls(source, table, [a.null_policy for _, a, _, _ in pending_nulls
                                          if a.null_policy is not None], exclude or set()))
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
        conv = converter_of(a.column, False)(sv)
        got_c, got_p = (as_utc(conv) if isinstance(conv, datetime) else conv), norm_pg(pv)
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
    return values_equal(sv, norm_pg(pv)), show(sv), show(pv)


def default_checks_on(source: str, pg: Any, table: Table, tm: TableMapping, schema: str,
                      exclude: set[Any], note: str = "", skip: set[str] | None = None,
                      streamed: StreamedAggregates | None = None) -> list[CheckResult]:
    """One table's default checks over the connection ``pg``; SQLite is read only when the
    copy's stream cannot answer for it."""
    usable = streamed if streamed is not None and streamed.row() is not None else None
    sconn = None if usable is not None else open_readonly(source, lossless_text=True)
    try:
        return default_checks_for(source, sconn, pg, table, tm, schema, exclude, note, skip,
                                  streamed)
    finally:
        if sconn is not None:
            sconn.close()


def run_default_checks(source: str, dsn: str, pairs: list[tuple[Table, TableMapping]], schema: str,
                       exclude: dict[str, set[Any] | None] | None = None,
                       notes: dict[str, str] | None = None,
                       skip: dict[str, set[str]] | None = None,
                       streamed: dict[str, StreamedAggregates] | None = None) -> list[CheckResult]:
    """Every table's default checks, in table order (see default_checks_by_table)."""
    made = default_checks_by_table(source, dsn, pairs, schema, exclude, notes, skip, streamed)
    return [r for _, tm in pairs for r in made[tm.source]]


def default_checks_by_table(source: str, dsn: str, pairs: list[tuple[Table, TableMapping]],
                            schema: str, exclude: dict[str, set[Any] | None] | None = None,
                            notes: dict[str, str] | None = None,
                            skip: dict[str, set[str]] | None = None,
                            streamed: dict[str, StreamedAggregates] | None = None,
                            ) -> dict[str, list[CheckResult]]:
    """Every table's default checks, per source table. ``exclude`` maps a source table to the
    locators of its rejected rows (None: unknown, then ``notes`` says why differences are
    expected). ``streamed``: per source table, SQLite's side gathered by the copy; those
    tables cost one query on PostgreSQL and none on SQLite."""
    exclude = exclude or {}
    notes = notes or {}
    skip = skip or {}
    streamed = streamed or {}

    def one(table: Table, tm: TableMapping) -> list[CheckResult]:
        # A connection pair per table: SQLite releases the GIL while it scans, so tables
        # are aggregated in parallel.
        pg = connect(dsn)
        try:
            return default_checks_on(source, pg, table, tm, schema, exclude.get(tm.source) or set(),
                                     notes.get(tm.source, ""), skip.get(tm.source),
                                     streamed.get(tm.source))
        finally:
            pg.close()

    workers = max(1, min(len(pairs), os.cpu_count() or 1, 4))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda p: one(*p), pairs))
    return {tm.source: rs for (_, tm), rs in zip(pairs, results, strict=True)}
