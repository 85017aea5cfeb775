"""A standalone `verify`: an earlier migration compared with the source, with or without the
mapping it ran with (without one, the plan whose names the target holds)."""

from __future__ import annotations

from sqlite2pg_tui.core.errors import TargetError
from sqlite2pg_tui.core.events import OnEvent, ignore
from sqlite2pg_tui.core.load import rejects
from sqlite2pg_tui.core.pipeline import _Timer, plan_for
from sqlite2pg_tui.core.plan.mapping import Mapping
from sqlite2pg_tui.core.plan.not_migrated import note_unmigrated
from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.report import Report, TableReport
from sqlite2pg_tui.core.source.inspection import inspect
from sqlite2pg_tui.core.source.schema import SourceSchema
from sqlite2pg_tui.core.target import existing as existing_schema
from sqlite2pg_tui.core.target.postgres import connect, existing_tables, redact
from sqlite2pg_tui.core.verify.samples import included_pairs, verify_into


def _plan_like_the_target(source: str, dsn: str, schema: str | None) -> tuple[SourceSchema, Mapping]:
    """Without the run's mapping, the plan whose identifier case names the tables the target
    holds (a run with --identifier-case keep left "Users", the default "users")."""
    from sqlite2pg_tui.core.plan.mapping import IDENTIFIER_CASES

    ins = inspect(source)
    plans = [plan(ins.schema, ins.profiles, case) for case in IDENTIFIER_CASES]
    conn = connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema = %s", (schema or plans[0].schema,))
            there = set(cur.fetchall())
    finally:
        conn.close()
    for m in plans:
        if all((tm.target, c.target) in there for tm in m.included for c in tm.columns):
            return ins.schema, m
    return ins.schema, plans[0]


def verify_only(source: str, dsn: str, mapping: Mapping | None = None, *, schema: str | None = None,
                sample: int = 20, seed: int | None = None, on_event: OnEvent = ignore,
                checks: bool = True, full: bool = False, queries: list[str] | None = None,
                reject_dir: str | None = None) -> Report:
    """Compare an earlier migration with the source: counts, and sampled rows value by value.

    Rows the converters reject are expected to be absent; they are counted by running the
    converters over a table only when its counts differ, so a clean table costs two counts.
    """
    from sqlite2pg_tui.core.source.dirty import scan_table

    report = Report(source=str(source), target=redact(dsn))
    timer = _Timer(report, on_event)
    with timer.phase("inspect"):
        if mapping is None:
            src_schema, mapping = _plan_like_the_target(str(source), dsn, schema)
        else:
            src_schema, mapping = plan_for(str(source), mapping, on_event)
    target_schema = schema or mapping.schema
    report.schema = target_schema
    pairs = included_pairs(mapping, src_schema.tables)
    note_unmigrated(src_schema, mapping, report)
    report.kind = "verify"
    conn = connect(dsn)
    try:
        with conn.cursor() as cur:
            present = existing_tables(cur, target_schema, [tm.target for _, tm in pairs])
            missing = [tm.target for _, tm in pairs if tm.target not in present]
            if missing:
                raise TargetError(f"not in PostgreSQL schema {target_schema!r}: {', '.join(missing)}")
            # Compared as the columns are, not as a fresh plan would make them: after a
            # data-only load the application's migrations chose the types.
            adapted = existing_schema.adapt(cur, target_schema, pairs, present, loading=False)
        conn.rollback()
        pairs = adapted.pairs
        report.notes += adapted.notes
        with timer.phase("verify"):
            from sqlite2pg_tui.core.verify.rejected import (
                converter_rejects,
                locators_of,
                rejected_rows,
            )

            for _table, tm in pairs:
                # Rows the run's reject file names beyond the converters' (refused by
                # PostgreSQL, orphans removed): expected absent from the sample too.
                tr = TableReport(tm.source, tm.target)
                lines = rejects.read(reject_dir, tm.target)
                tr.refused_by_postgres = sorted(locators_of(str(source), _table, tm, lines), key=repr)
                report.tables.append(tr)
            verify_into(report, str(source), conn, pairs, target_schema, sample, seed)
            for table, tm in pairs:
                tr = report.table(tm.source)
                if not tr.count_match:
                    dirt = scan_table(str(source), table, tm)
                    tr.rejected_by_column = {k: d.rejected for k, d in dirt.items() if d.rejected}
                    tr.rejected_rows = len(converter_rejects(str(source), table, tm))
                    locs, _ = rejected_rows(str(source), table, tm, tr, reject_dir)
                    if locs is not None and len(locs) > tr.rejected_rows:
                        tr.rejected_rows = len(locs)
                    tr.copied_rows = tr.target_rows or 0
                    tr.count_match = tr.target_rows == tr.source_rows - tr.rejected_rows
                else:
                    tr.copied_rows = tr.target_rows or 0
        if checks or full or queries:
            from sqlite2pg_tui.core.verify.deep import DeepOptions, deep_verify

            deep_verify(report, str(source), dsn, mapping, pairs, target_schema, DeepOptions(
                defaults=checks, user=checks, queries=list(queries or []), full=full,
                reject_dir=reject_dir), on_event, timer)
    finally:
        conn.close()
    return report
