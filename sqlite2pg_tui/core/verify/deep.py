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
from sqlite2pg_tui.core.verify.aggregates import run_default_checks
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


def deep_verify(report: Report, source: str, dsn: str, mapping: Mapping,
                pairs: list[tuple[Table, TableMapping]], schema: str, opts: DeepOptions,
                on_event: Any = None, timer: Any = None,
                streamed: dict[str, Any] | None = None) -> None:
    """Checks (default, user, ad-hoc) and, with ``opts.full``, checksums, into the report.

    The checks' time is added to the "verify" phase (they are part of it); the checksums
    get a "checksum" phase of their own (only present with ``full``). ``timer`` is
    migrate's phase timer, used for the checksum phase's start event and timing.
    ``streamed``: per source table, SQLite's side of the default checks gathered by the
    copy (verify/streamed.py); used where PostgreSQL still holds exactly what it copied."""
    from contextlib import nullcontext

    from sqlite2pg_tui.core.events import ignore
    from sqlite2pg_tui.core.verify.checksum import checksum_tables

    on_event = on_event or ignore
    start = time.perf_counter()
    live = [(t, tm) for t, tm in pairs if not _table_failed(report, tm)]
    exclude: dict[str, set[Any] | None] = {}
    notes: dict[str, str] = {}
    skip: dict[str, set[str]] = {}
    usable: dict[str, Any] = {}
    for table, tm in live:
        tr = _table_report(report, tm)
        st = (streamed or {}).get(tm.source)
        if (st is not None and st.row() is not None and not tr.refused_by_postgres
                and tr.rejected_rows == len(st.excluded)):
            # Nothing removed since the copy (no orphans): its rejects are the rows left out.
            usable[tm.source] = st
            exclude[tm.source] = set(st.excluded)
            skip[tm.source] = orphan_nulled(mapping, table)
            continue
        locs, note = rejected_rows(source, table, tm, tr, opts.reject_dir)
        exclude[tm.source] = locs
        if note:
            notes[tm.source] = note
        skip[tm.source] = orphan_nulled(mapping, table)
    known = {k: v for k, v in exclude.items() if v}
    try:
        results: list[CheckResult] = []
        if opts.defaults and live:
            results += run_default_checks(source, dsn, live, schema, exclude, notes, skip, usable)
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
