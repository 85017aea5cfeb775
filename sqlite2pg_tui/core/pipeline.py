"""The whole pipeline: inspect → plan → schema → copy → constraints → verify → report.

The CLI and the wizard's Run screen both call :func:`run_migration`; they differ only in
how they show the events it reports.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from sqlite2pg_tui.core import finish
from sqlite2pg_tui.core.beside import BesideTheCopy
from sqlite2pg_tui.core.cancel import cancels_server_work, settle
from sqlite2pg_tui.core.errors import Cancelled, MappingError, TargetError
from sqlite2pg_tui.core.events import Event, Log, OnEvent, PhaseStarted, ignore
from sqlite2pg_tui.core.load import dataonly, resume
from sqlite2pg_tui.core.load.copy import CopyResult
from sqlite2pg_tui.core.load.tables import copy_tables
from sqlite2pg_tui.core.plan.mapping import Mapping, TableMapping, drift
from sqlite2pg_tui.core.plan.naming import NameAllocator, folder
from sqlite2pg_tui.core.plan.not_migrated import note_unmigrated
from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.report import NotMigrated, Report
from sqlite2pg_tui.core.source import frameworks
from sqlite2pg_tui.core.source.inspection import Inspection, inspect
from sqlite2pg_tui.core.source.reader import open_readonly, read_schema
from sqlite2pg_tui.core.source.schema import SourceSchema, Table
from sqlite2pg_tui.core.source.spool import Spool
from sqlite2pg_tui.core.target import ddl
from sqlite2pg_tui.core.target import existing as existing_schema
from sqlite2pg_tui.core.target.postgres import (
    connect,
    existing_tables,
    plain_error,
    qualified,
    redact,
)
from sqlite2pg_tui.core.verify.samples import included_pairs, verify_into


@dataclass
class RunOptions:
    schema: str | None = None  # None: the mapping's
    if_exists: str | None = None  # fail | replace | append | truncate; None: the mapping's
    reject_dir: str | None = None
    workers: int = 0  # tables copied at once; 0: default_workers()
    verify: bool = True
    sample: int = 20
    analyze: bool = True
    seed: int | None = None
    accept_rejects: bool = False  # data-only mode: load even when values will not fit
    checks: bool = True  # default checks and the mapping's [[checks]] after verifying (core/checks)
    full: bool = False  # full-table checksums too (core/checksum)
    # Keep the tables an interrupted run copied in full (counts, and with ``full`` digests,
    # match) and copy the rest (load/resume.py).
    resume: bool = False
    # Streams per large table (rowid ranges, load/ranges.py); 1: one stream per table. Off by
    # default: on 2 CPUs a second stream only competes for them (bench/bench.py --ranges).
    ranges: int = 1
    # When planning here (no mapping given): lower | keep | snake; None: keep for a
    # framework's database (its ORM quotes names), lower otherwise.
    identifier_case: str | None = None
    # When planning here: keep the profile's batches on disk for the copy, so each table is
    # read from SQLite once (source/spool.py); off, the copy reads SQLite again.
    spool: bool = True


def default_workers() -> int:
    """Tables copied at once: two at least. Each keeps a Python reader and a PostgreSQL
    backend busy, but neither fills a CPU (the reader waits on the server, the server on
    the next batch), so on 2 CPUs two tables beat one (bench/bench.py: data 1.8–2.0 s
    against 2.5 s, end to end 4.5–5.1 s against 5.3–5.7 s); beyond that, one per two CPUs."""
    return max(2, min(4, (os.cpu_count() or 2) // 2))


def plan_for(source: str, mapping: Mapping | None, on_event: OnEvent = ignore,
             identifier_case: str | None = None, cancel: threading.Event | None = None,
             spooled: Spool | None = None) -> tuple[SourceSchema, Mapping]:
    """The schema as it is now, and a mapping that matches it (planned if none given;
    ``spooled`` then keeps the batches read for the copy)."""
    if mapping is None:
        ins: Inspection = inspect(source, cancel=cancel, spooled=spooled)
        return ins.schema, plan(ins.schema, ins.profiles, identifier_case)
    conn = open_readonly(source)
    try:
        schema = read_schema(conn, source)
    finally:
        conn.close()
    diffs = drift(mapping, schema)
    if diffs:
        raise MappingError(f"the mapping no longer matches {source}: {diffs[0]}"
                           + (f" (and {len(diffs) - 1} more)" if len(diffs) > 1 else ""), diffs)
    return schema, mapping


def _one_at_a_time(on_event: OnEvent) -> OnEvent:
    lock = threading.Lock()

    def serialized(event: Event) -> None:
        with lock:
            on_event(event)
    return serialized


class _Timer:
    def __init__(self, report: Report, on_event: OnEvent) -> None:
        self.report = report
        self.on_event = on_event
        self.current = ""

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        self.current = name
        self.on_event(PhaseStarted(name))
        start = time.perf_counter()
        try:
            yield
        finally:
            self.report.phases_s[name] = round(
                self.report.phases_s.get(name, 0) + time.perf_counter() - start, 3)


def run_migration(source: str, dsn: str, mapping: Mapping | None = None, *,
                  options: RunOptions | None = None, on_event: OnEvent = ignore,
                  cancel: threading.Event | None = None, spooled: Spool | None = None) -> Report:
    """``spooled``: the batches an earlier profile of ``source`` kept (the wizard's Review),
    taken by the copy where the file is unchanged and the mapping reads a column as the
    profile did; the caller removes it. Without one, a run that plans here keeps its own."""
    opts = options or RunOptions()
    own = Spool.create(str(source)) if spooled is None and mapping is None and opts.spool else None
    try:
        return _run(source, dsn, mapping, opts, on_event, cancel or threading.Event(),
                    spooled or own)
    finally:
        if own is not None:
            own.remove()


def _run(source: str, dsn: str, mapping: Mapping | None, opts: RunOptions, on_event: OnEvent,
         cancel: threading.Event, spooled: Spool | None) -> Report:
    on_event = _one_at_a_time(on_event)  # the copy's workers and the finisher report too
    report = Report(source=str(source), target=redact(dsn))
    timer = _Timer(report, on_event)
    with timer.phase("inspect"):
        try:
            schema, mapping = plan_for(str(source), mapping, on_event, opts.identifier_case,
                                       cancel, spooled)
        except Cancelled:
            settle(None, report, "", set(), "inspect", on_event)
            return report
        mapping.validate()
    target_schema = opts.schema or mapping.schema
    if_exists = opts.if_exists or mapping.if_exists
    report.schema = target_schema
    reject_dir = Path(opts.reject_dir).expanduser() if opts.reject_dir else None
    report.rejects_dir = str(reject_dir) if reject_dir else None
    pairs = included_pairs(mapping, schema.tables)
    note_unmigrated(schema, mapping, report)
    fw = frameworks.by_key(mapping.framework)
    if fw and if_exists in ("fail", "replace"):
        report.notes.append({"table": fw.history_table, "note": (
            f"made by {fw.name}: this run creates the schema from the SQLite file with "
            f"{fw.name}'s type conventions; the surest path is data-only into the schema "
            f"{fw.name}'s own migrations create: " + "; then ".join(fw.data_only_steps(source)))})

    conn = connect(dsn)
    created: set[str] = set()  # tables this run created (known once the schema phase is done)
    try:
        preexisting: set[str] = set()
        prepared = dataonly.Prepared()
        if if_exists in ("append", "truncate"):
            with timer.phase("schema"):
                pairs, preexisting, prepared = _fit_existing(
                    conn, str(source), pairs, target_schema, report, on_event,
                    opts.accept_rejects, if_exists)
        kept: dict[str, CopyResult] = {}
        if opts.resume:
            if if_exists in ("append", "truncate"):
                raise MappingError("--resume continues a run that creates its tables; it cannot "
                                   f"be combined with --if-exists {if_exists}")
            with timer.phase("schema"):
                resumed = resume.decide(conn, str(source), dsn, pairs, target_schema, reject_dir,
                                        opts.full, on_event)
            kept, report.resumed = resumed.kept, resumed.lines
        todo = [(t, tm) for t, tm in pairs if tm.source not in kept]
        with timer.phase("schema"):
            nocase = _create_schema(conn, pairs, target_schema, if_exists, report, on_event,
                                    set(kept))
        # The keys, indexes and constraints of existing tables are their owner's business.
        fresh = [(t, tm) for t, tm in pairs if tm.target not in preexisting]
        created = {tm.target for _, tm in fresh}
        names = NameAllocator(finish.relation_names(conn, target_schema),
                              folder(mapping.identifier_case))
        prepared_tables = finish.prepare(fresh, target_schema, names, nocase,
                                         unique_as_constraint=mapping.framework == "django")
        keys = finish.prepare_keys(fresh, mapping, target_schema, names)
        beside = BesideTheCopy(str(source), dsn, mapping, pairs, fresh, prepared_tables, keys,
                               target_schema, reject_dir, report, opts, on_event, cancel)
        finisher = beside.finisher
        for name in sorted(kept):
            beside.committed(kept[name])

        failed = True
        try:
            with timer.phase("data"):
                if preexisting:
                    # The application's tables and keys: one transaction, keys deferred (dataonly).
                    results = dataonly.load_all(str(source), conn, pairs, target_schema, prepared,
                                                reject_dir, on_event, cancel)
                    for r in results:
                        if r.committed and not r.error:
                            beside.committed(r)
                else:
                    copied = iter(copy_tables(str(source), dsn, todo, target_schema, reject_dir,
                                              opts.workers or default_workers(), opts.ranges,
                                              on_event, cancel, truncate=if_exists != "append",
                                              on_committed=beside.committed,
                                              spooled=spooled))
                    results = [kept[tm.source] if tm.source in kept else next(copied)
                               for _, tm in pairs]
            finisher.close()
            beside.in_table_order(pairs, results)
            phase = "data"
            try:
                # From here on a cancel also stops the statement PostgreSQL is running.
                with cancels_server_work(conn, cancel):
                    for step in _finishing(conn, source, dsn, schema, mapping, pairs, keys,
                                           preexisting, names, target_schema, reject_dir, opts,
                                           report, on_event, timer, cancel, beside):
                        phase = step
                        if cancel.is_set():
                            break
            except psycopg2.errors.QueryCanceled:
                if not cancel.is_set():
                    raise
            failed = False
        finally:
            if failed:
                cancel.set()  # an error: the finisher stops too (as copy_tables' workers do)
            finisher.join()
            finisher.publish(report)
            report.finishing_s = {k: round(v, 3) for k, v in finisher.spent.items()}
        if cancel.is_set():
            settle(conn, report, target_schema, created, phase, on_event)
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as e:
        # The server went away or stopped us (restart, administrator, disk full): one line.
        done = {tr.target for tr in report.tables if tr.committed}
        empty = sorted(created - done)
        raise TargetError(f"PostgreSQL stopped the run during the {timer.current} phase: "
                          f"{plain_error(e)} — the tables whose copy committed stay"
                          + (f"; left empty: {', '.join(empty)}" if empty else "")
                          + "; `run --resume` keeps those copied in full and copies the rest"
                          ) from None
    finally:
        _autovacuum_back(conn, dsn, target_schema, created)
        conn.close()
    return report


def _autovacuum_back(conn: Any, dsn: str, schema: str, tables: set[str]) -> None:
    """Autovacuum on again for the tables this run created, whatever ended it. Best effort:
    when PostgreSQL is gone, a rerun (--resume or --if-exists replace) sets it back."""
    if not tables:
        return
    with contextlib.suppress(psycopg2.Error, TargetError), contextlib.ExitStack() as stack:
        if conn.closed:
            conn = connect(dsn)
            stack.callback(conn.close)
        conn.rollback()
        with conn.cursor() as cur:
            for name in sorted(tables):
                cur.execute(ddl.autovacuum_back(schema, name))
        conn.commit()


def _finishing(conn: Any, source: str | os.PathLike[str], dsn: str, schema: SourceSchema,
               mapping: Mapping, pairs: list[tuple[Table, TableMapping]],
               keys: list[finish.PlannedKey], preexisting: set[str],
               names: NameAllocator, target_schema: str, reject_dir: Path | None,
               opts: RunOptions, report: Report, on_event: OnEvent, timer: _Timer,
               cancel: threading.Event, beside: BesideTheCopy) -> Iterator[str]:
    """The phases after the data, one at a time: yields each phase's name before it runs, so
    the caller stops between phases on a cancel and knows which one it stopped. Yields
    "data" first: a cancel during the copy stops before anything else starts. Each table's
    own keys, indexes, sequence and statistics were built beside the copy (finisher.py):
    those phases only wait for what is left of them."""
    finisher = beside.finisher
    yield "data"
    yield "constraints"
    with timer.phase("constraints"):
        finisher.wait("constraints")
    yield "indexes"
    with timer.phase("indexes"):
        finisher.wait("indexes")
    yield "foreign keys"
    with timer.phase("foreign keys"):
        finisher.wait("foreign keys")
        finisher.publish(report)  # before the keys added now, as they were built before them
        finish.foreign_keys(conn, keys, mapping, target_schema, report, on_event, reject_dir,
                            finisher.added)
    yield "sequences"
    with timer.phase("sequences"):
        finisher.wait("sequences")
        with conn.cursor() as cur:
            # A data-only load that was rolled back moved no ids: its sequences stay.
            loaded = [(t, tm) for t, tm in pairs
                      if tm.target in preexisting and not report.table(tm.source).error]
            existing_schema.bump_sequences(cur, target_schema, loaded)
        conn.commit()
    finish.views(conn, schema, mapping, target_schema, report, on_event)
    report.renamed = [{"kind": k, "from": a, "to": b} for k, a, b in names.renamed]
    if opts.analyze:
        yield "analyze"
        with timer.phase("analyze"):
            finisher.wait("analyze")
            for _, tm in pairs:  # the existing tables a data-only load filled
                if tm.target in preexisting:
                    finish.analyze(conn, tm, target_schema)
    if opts.verify:
        yield "verify"
        with timer.phase("verify"):
            finisher.wait("verify")
            rest = [(t, tm) for t, tm in pairs if tm.source not in finisher.verified]
            verify_into(report, str(source), conn, rest, target_schema, opts.sample, opts.seed,
                        cancel=cancel, on_event=on_event)
        if opts.checks or opts.full:
            yield "checks"
            from sqlite2pg_tui.core.verify.deep import DeepOptions, deep_verify

            deep_verify(report, str(source), dsn, mapping, pairs, target_schema, DeepOptions(
                defaults=opts.checks, user=opts.checks, full=opts.full,
                reject_dir=str(reject_dir) if reject_dir else None), on_event, timer, beside.streamed,
                beside.early_checks)


def _nocase_collation(conn: Any, pairs: list[tuple[Table, TableMapping]], schema: str,
                      report: Report) -> sql.Composable | None:
    """SQLite's COLLATE NOCASE as a case-insensitive ICU collation, when the server has ICU.

    Without one, the column stays case-sensitive text and its unique keys are built on
    lower(column) (see ddl.index_statement), which keeps what "unique" meant; the report
    says that equality in queries is now case-sensitive."""
    columns = [f"{tm.target}.{c.target}" for t, tm in pairs for c in tm.columns
               if (t.column(c.source).collation or "").upper() == "NOCASE"]
    if not columns:
        return None
    name = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier("nocase"))
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT s2p")
        try:
            cur.execute(sql.SQL("CREATE COLLATION IF NOT EXISTS {} (provider = icu, "
                                "locale = 'und-u-ks-level2', deterministic = false)").format(name))
            cur.execute("RELEASE SAVEPOINT s2p")
        except psycopg2.Error:
            cur.execute("ROLLBACK TO SAVEPOINT s2p")
            report.notes.append({"table": ", ".join(columns), "note": (
                "COLLATE NOCASE: this server has no ICU for a case-insensitive collation; "
                "unique keys use lower(column), but = and LIKE are now case-sensitive "
                "(use lower() or ILIKE in queries)")})
            return None
    report.notes.append({"table": ", ".join(columns), "note": (
        "COLLATE NOCASE kept as the nondeterministic ICU collation \"nocase\" "
        "(case-insensitive =, ORDER BY and unique keys)")})
    return name


def _fit_existing(conn: Any, source: str, pairs: list[tuple[Table, TableMapping]], schema: str,
                  report: Report, on_event: OnEvent, accept_rejects: bool, mode: str,
                  ) -> tuple[list[tuple[Table, TableMapping]], set[str], dataonly.Prepared]:
    """Data-only mode: fit the mapping to tables that exist, and say before writing anything
    which values will not fit them. Someone else's schema decides here, so a misfit stops
    the run (nothing written) unless the user accepts that those rows go to the rejects."""
    from sqlite2pg_tui.core.source.dirty import scan_table

    sconn = open_readonly(source)
    try:
        with conn.cursor() as cur:
            present = existing_tables(cur, schema, [tm.target for _, tm in pairs])
            prepared = dataonly.prepare(cur, sconn, schema, pairs, set(present), mode)
            pairs = [(t, tm) for t, tm in pairs if tm.target not in prepared.skip]
            adapted = existing_schema.adapt(cur, schema, pairs, present)
            ordered = existing_schema.load_order(cur, schema, adapted.pairs)
    finally:
        sconn.close()
        conn.rollback()
    report.notes += prepared.notes + adapted.notes
    misfits: list[str] = []
    nulls: list[str] = []
    for table, tm in ordered:
        if tm.target not in adapted.existing:
            continue
        nulls += dataonly.nulls_into_not_null(source, table, tm,
                                              adapted.not_null.get(tm.target, []))
        for col, dirt in scan_table(source, table, tm).items():
            if dirt.rejected:
                ex = dirt.examples[0] if dirt.examples else None
                msg = (f"{tm.target}.{col}: {dirt.rejected} value(s) do not fit "
                       f"{tm.column(col).pg_type}" + (f" (e.g. rowid {ex.rowid}: {ex.shown}, "
                                                       f"{ex.reason})" if ex else ""))
                on_event(Log(msg, "warning"))
                report.notes.append({"table": tm.target, "note": msg})
                misfits.append(msg)
    if nulls:  # the copy writes NULLs as they are: PostgreSQL would refuse the whole table
        raise MappingError(f"NULLs for NOT NULL columns of the existing tables: {nulls[0]} — "
                           "--accept-rejects cannot take these rows: give them values, or let "
                           "the column take NULL", nulls + misfits)
    if misfits and not accept_rejects:
        raise MappingError(f"values do not fit the existing tables: {misfits[0]} — change the "
                           "mapping (converter, on_error = \"null\") or accept the rejects "
                           "(--accept-rejects)", misfits)
    return ordered, adapted.existing, prepared


def _create_schema(conn: Any, pairs: list[tuple[Table, TableMapping]], schema: str,
                   if_exists: str, report: Report, on_event: OnEvent,
                   kept: set[str] | frozenset[str] = frozenset()) -> sql.Composable | None:
    """Create the tables (but the ``kept`` ones a resumed run found copied); returns the
    NOCASE collation used (None when there is none)."""
    targets = [tm.target for _, tm in pairs if tm.source not in kept]
    try:
        with conn.cursor() as cur:
            # Only when missing: CREATE SCHEMA IF NOT EXISTS checks CREATE on the database
            # first, which roles that may create tables in an existing schema often lack.
            cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            existing = existing_tables(cur, schema, targets)
            if existing and if_exists == "fail":
                raise TargetError(dataonly.tables_exist_message(schema, existing)
                                  + _empty_note(cur, schema, existing))
            if if_exists == "replace":
                for name in existing:
                    on_event(Log(f"dropping existing table {schema}.{name}"))
                    cur.execute(sql.SQL("DROP TABLE {} CASCADE").format(qualified(schema, name)))
            nocase = _nocase_collation(conn, pairs, schema, report)
            for table, tm in pairs:
                if (if_exists in ("append", "truncate") and tm.target in existing
                        or tm.source in kept):
                    continue
                stmt = ddl.create_table(table, tm, schema, nocase)
                for n in stmt.notes:
                    report.not_migrated.append(NotMigrated(n.kind, n.name, n.reason))
                cur.execute(stmt.create)
        conn.commit()
        return nocase
    except ddl.BadType as e:
        conn.rollback()
        raise MappingError(str(e)) from None
    except psycopg2.errors.InsufficientPrivilege as e:
        conn.rollback()
        raise TargetError(f"no permission to create tables in schema {schema!r}: {plain_error(e)}") from None
    except psycopg2.Error as e:
        conn.rollback()
        raise TargetError(f"creating the tables failed: {plain_error(e)}") from None


def _empty_note(cur: Any, schema: str, names: list[str]) -> str:
    """Empty tables are what an interrupted run leaves (a kill gives it no time to drop them)."""
    empty = []
    for name in names:
        cur.execute(sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(qualified(schema, name)))
        if cur.fetchone()[0]:
            empty.append(name)
    if not empty:
        return ""
    return (f" Empty, as an interrupted run leaves them: {', '.join(empty)}; --resume keeps the "
            "tables an earlier run copied in full and copies the rest.")


__all__ = ["RunOptions", "default_workers", "plan_for", "run_migration"]
