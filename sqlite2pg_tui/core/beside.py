"""What a run does with each table as its copy commits: it is reported at once, and the
finisher (finisher.py) builds its keys and indexes and verifies it while the other tables
are still being copied."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite2pg_tui.core import finish
from sqlite2pg_tui.core.events import OnEvent
from sqlite2pg_tui.core.finisher import Finisher
from sqlite2pg_tui.core.load.copy import CopyResult
from sqlite2pg_tui.core.plan.mapping import Mapping, TableMapping
from sqlite2pg_tui.core.report import Report, TableReport
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.verify.results import CheckResult
from sqlite2pg_tui.core.verify.samples import verify_into

if TYPE_CHECKING:
    from sqlite2pg_tui.core.pipeline import RunOptions


class BesideTheCopy:
    """``committed`` is called with each table's copy result as it commits (tables a
    resumed run kept count as committed); ``in_table_order`` gives the report its tables
    in the mapping's order once the copy is over."""

    def __init__(self, source: str, dsn: str, mapping: Mapping,
                 pairs: list[tuple[Table, TableMapping]], fresh: list[tuple[Table, TableMapping]],
                 prepared: list[finish.TableFinish], keys: list[finish.PlannedKey], schema: str,
                 reject_dir: Path | None, report: Report, opts: RunOptions, on_event: OnEvent,
                 cancel: threading.Event) -> None:
        self._source = source
        self._mapping = mapping
        self._schema = schema
        self._reject_dir = str(reject_dir) if reject_dir else None
        self._report = report
        self._opts = opts
        self._on_event = on_event
        self._cancel = cancel
        self._tm_of = {tm.source: tm for _, tm in pairs}
        self._to_finish = {tm.source for _, tm in fresh}
        self._lock = threading.Lock()
        # Per source table: SQLite's side of the default checks, gathered by the copy.
        self.streamed: dict[str, Any] = {}
        # Per source table: its default checks, made beside the copy.
        self.early_checks: dict[str, list[CheckResult]] = {}
        self.finisher = Finisher(dsn, schema, prepared, keys, on_event, cancel, opts.analyze,
                                 early_keys=mapping.orphans != "reject",
                                 verify=self._verify if opts.verify else None)

    def committed(self, res: CopyResult) -> None:
        # Reported at once: the finisher may verify the table before the copy ends.
        with self._lock:
            self._report.tables.append(table_report(self._tm_of[res.source], res))
            if res.streamed is not None:
                self.streamed[res.source] = res.streamed
        if res.source in self._to_finish:
            self.finisher.submit(res.source)

    def in_table_order(self, pairs: list[tuple[Table, TableMapping]],
                       results: list[CopyResult]) -> None:
        with self._lock:
            reported = {tr.source: tr for tr in self._report.tables}
            # A new list (the finisher may be reading the old one).
            self._report.tables = [reported.get(tm.source) or table_report(tm, res)
                                   for (_, tm), res in zip(pairs, results, strict=True)]

    def _verify(self, table: Table, tm: TableMapping, pg: Any) -> None:
        verify_into(self._report, self._source, pg, [(table, tm)], self._schema,
                    self._opts.sample, self._opts.seed, cancel=self._cancel,
                    on_event=self._on_event)
        if self._opts.checks:
            from sqlite2pg_tui.core.verify.deep import table_default_checks

            self.early_checks[tm.source] = table_default_checks(
                self._report, self._source, pg, self._mapping, table, tm, self._schema,
                self._reject_dir, self.streamed.get(tm.source))
        pg.rollback()


def table_report(tm: TableMapping, r: CopyResult) -> TableReport:
    return TableReport(
        source=tm.source, target=tm.target, source_rows=r.source_rows, copied_rows=r.copied,
        rejected_rows=r.rejected, rejected_by_column=r.rejected_by_column,
        rejected_reasons=r.reasons_by_column, refused_by_postgres=r.refused_by_postgres,
        nulled_by_column=r.nulled_by_column, altered_by_column=r.altered_by_column,
        fast_path=r.fast_path, engine=r.engine, read_once=r.read_once, committed=r.committed,
        seconds=round(r.seconds, 3), error=r.error)


__all__ = ["BesideTheCopy", "table_report"]
