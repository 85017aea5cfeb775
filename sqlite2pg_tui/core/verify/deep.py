"""Deep verification after a run or a standalone verify: default checks, the mapping's
checks, ad-hoc queries and full-table checksums, folded into the report."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import psycopg2

from sqlite2pg_tui.core.plan.mapping import Check, Mapping, TableMapping
from sqlite2pg_tui.core.report import Mismatch, Report, TableReport
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.target.postgres import plain_error
from sqlite2pg_tui.core.verify.aggregates import default_checks_by_table
from sqlite2pg_tui.core.verify.queries import run_checks
from sqlite2pg_tui.core.verify.rejected import orphan_nulled, rejected_rows
from sqlite2pg_tui.core.verify.results import CheckResult


@dataclass
class DeepOptions:
    defaults: bool = True  # the default checks
    user: bool = True  # the mapping's [[checks]]
    queries: list[str] = field(default_factory=list)  # ad-hoc SQLite queries (verify --query)
    full: bool = False  # full-table checksums
    reject_dir: str | None = None


@dataclass
class _Side:
    """What one table's checks must leave out and may reuse."""
    exclude: set[Any] | None  # locators of its rejected rows (None: unknown)
    note: str  # why differences are expected, when the rejects are unknown
    skip: set[str]  # columns a foreign key's orphan policy set to NULL
    streamed: Any = None  # SQLite's side gathered by the copy, when still usable


def _side(report: Report, source: str, mapping: Mapping, table: Table, tm: TableMapping,
          reject_dir: str | None, streamed: Any) -> _Side:
    tr = _table_report(report, tm)
    skip = orphan_nulled(mapping, table)
    if (streamed is not None and streamed.row() is not None and not tr.refused_by_postgres
            and tr.rejected_rows == len(streamed.excluded)):
        # Nothing removed since the copy (no orphans): its rejects are the rows left out.
        return _Side(set(streamed.excluded), "", skip, streamed)
    locs, note = rejected_rows(source, table, tm, tr, reject_dir)
    return _Side(locs, note or "", skip)


def table_default_checks(report: Report, source: str, pg: Any, mapping: Mapping, table: Table,
                         tm: TableMapping, schema: str, reject_dir: str | None,
                         streamed: Any = None) -> list[CheckResult]:
    """One table's default checks on a connection of the caller's (the finisher checks each
    table as soon as nothing will change its rows; see finisher.py)."""
    from sqlite2pg_tui.core.verify.aggregates import default_checks_on

    side = _side(report, source, mapping, table, tm, reject_dir, streamed)
    return default_checks_on(source, pg, table, tm, schema, side.exclude or set(), side.note,
                             side.skip, side.streamed)


def deep_verify(report: Report, source: str, dsn: str, mapping: Mapping,
                pairs: list[tuple[Table, TableMapping]], schema: str, opts: DeepOptions,
                on_event: Any = None, timer: Any = None,
                streamed: dict[str, Any] | None = None,
                done: dict[str, list[CheckResult]] | None = None) -> None:
    """Checks (default, user, ad-hoc) and, with ``opts.full``, checksums, into the report.

    The checks' time is added to the "verify" phase (they are part of it); the checksums
    get a "checksum" phase of their own (only present with ``full``). ``timer`` is
    migrate's phase timer, used for the checksum phase's start event and timing.
    ``streamed``: per source table, SQLite's side of the default checks gathered by the
    copy (verify/streamed.py); used where PostgreSQL still holds exactly what it copied.
    ``done``: per source table, its default checks already made (beside the copy)."""
    from contextlib import nullcontext

    from sqlite2pg_tui.core.events import ignore
    from sqlite2pg_tui.core.verify.checksum import checksum_tables

    on_event = on_event or ignore
    done = done or {}
    start = time.perf_counter()
    live = [(t, tm) for t, tm in pairs if not _table_failed(report, tm)]
    sides = {tm.source: _side(report, source, mapping, t, tm, opts.reject_dir,
                              (streamed or {}).get(tm.source)) for t, tm in live}
    known = {k: v.exclude for k, v in sides.items() if v.exclude}
    try:
        results: list[CheckResult] = []
        if opts.defaults and live:
            rest = [(t, tm) for t, tm in live if tm.source not in done]
            made = default_checks_by_table(
                source, dsn, rest, schema, {k: v.exclude for k, v in sides.items()},
                {k: v.note for k, v in sides.items() if v.note},
                {k: v.skip for k, v in sides.items()},
                {k: v.streamed for k, v in sides.items() if v.streamed is not None})
            for _, tm in live:  # in table order, wherever they were made
                results += done[tm.source] if tm.source in done else made[tm.source]
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
                                   skip={k: v.skip for k, v in sides.items()})
            for s in sums:
                tr = _table_report(report, next(tm for _, tm in live if tm.source == s.source))
                _apply_checksum(tr, s)
                note = sides[s.source].note if s.source in sides else ""
                if s.match is False and note:
                    tr.checksum_note = "; ".join(n for n in (tr.checksum_note, note) if n)


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
