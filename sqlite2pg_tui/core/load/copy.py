"""Stream one table from SQLite into PostgreSQL with COPY, in its own transaction.

Every source row ends up either copied or in the reject file with its reason:
  * the columnar path (columnar.py) moves Arrow batches into a binary COPY; the rows a
    vectorized form refuses are converted one by one below (_RowPath.convert_values);
  * anything it cannot take (a WITHOUT ROWID table, a staged load, a converter into a type
    other than its own) or any refusal by PostgreSQL sends the table through the Python
    converters instead;
  * a row PostgreSQL still refuses (a limit no converter knows) is found from COPY's line
    number, written to the reject file with PostgreSQL's message, and the table redone.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from sqlite2pg_tui.core.errors import AbortedByPolicy, Cancelled, SourceError
from sqlite2pg_tui.core.events import OnEvent, RowsCopied, TableFinished, TableStarted
from sqlite2pg_tui.core.load.columnar_copy import copy_columnar
from sqlite2pg_tui.core.load.prefetch import prefetched
from sqlite2pg_tui.core.load.rejects import RejectWriter
from sqlite2pg_tui.core.plan.mapping import ColumnMapping, TableMapping
from sqlite2pg_tui.core.source.reader import open_readonly, qi, row_locator_sql
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.source.spool import Spool
from sqlite2pg_tui.core.target import staging
from sqlite2pg_tui.core.target.postgres import plain_error, qualified
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.core.values.columnar import Unsupported
from sqlite2pg_tui.core.values.copy_format import copy_text

BATCH_ROWS = 10_000
CHUNK_BYTES = 1 << 20
MAX_PG_REJECT_RETRIES = 50
MAX_REASONS_KEPT = 20  # distinct reasons counted per column; the reject file has them all
_PROGRESS_EVERY_S = 0.1


@dataclass
class CopyResult:
    source: str
    target: str
    source_rows: int = 0
    copied: int = 0
    rejected: int = 0
    rejected_by_column: dict[str, int] = field(default_factory=dict)
    reasons_by_column: dict[str, dict[str, int]] = field(default_factory=dict)
    nulled_by_column: dict[str, int] = field(default_factory=dict)
    altered_by_column: dict[str, int] = field(default_factory=dict)
    fast_path: bool = False
    engine: str = ""  # columnar | per value: which path copied the table
    # The copy took the profile's batches (source/spool.py): SQLite was read once.
    read_once: bool = False
    committed: bool = False
    seconds: float = 0.0
    error: str = ""
    refused_by_postgres: list[Any] = field(default_factory=list)
    # The columnar copy's SQLite side of the default checks (verify/streamed.py), or None.
    streamed: Any = None


class _Stream:
    """File-like object psycopg2's copy_expert reads from: pulls chunks from a generator."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks

    def read(self, size: int = -1) -> bytes:
        # One whole chunk per call: psycopg2 sends whatever it gets, so no re-slicing.
        nxt = next(self._chunks, None)
        return b"" if nxt is None else nxt.encode("utf-8")

    readline = read


class TableCopier:
    def __init__(self, source_path: str, table: Table, tm: TableMapping, pg_conn: Any,
                 schema: str, reject_dir: Path | None, on_event: OnEvent,
                 cancel: threading.Event | None, truncate: bool = True,
                 staged_fks: list[staging.ExistingFk] | None = None,
                 rowids: tuple[int, int] | None = None,
                 before_commit: Callable[[], None] | None = None,
                 spooled: Spool | None = None) -> None:
        self.source_path = source_path
        self.table = table
        self.tm = tm
        self.pg = pg_conn
        self.schema = schema
        self.rejects = RejectWriter(reject_dir, tm.target)
        self.on_event = on_event
        self.cancel = cancel or threading.Event()
        self.truncate = truncate
        # Foreign keys already enforced on an existing table: copy through a stage (staging.py).
        self.staged_fks = staged_fks
        # One range of a table copied in several streams (load/ranges.py): rowid from..to
        # (excluded), columnar only, committed when every range is ready (before_commit).
        self.rowids = rowids
        self.before_commit = before_commit
        self.spool = spooled  # the profile's batches, when kept (source/spool.py)
        self.cols = [c for c in tm.columns]
        self.result = CopyResult(tm.source, tm.target, source_rows=table.row_count)
        self._pg_rejected: dict[Any, str] = {}  # locator → PostgreSQL's message
        self._last_progress = 0.0

    # --- public ------------------------------------------------------------

    def run(self) -> CopyResult:
        start = time.perf_counter()
        self.on_event(TableStarted(self.tm.source, self.table.row_count))
        try:
            try:
                copy_columnar(self)
                self.result.fast_path = True
                self.result.engine = "columnar"
            except Unsupported:
                if self.rowids is not None:
                    raise  # the whole table goes through one stream (ranges.py)
                self._attempt()
                self.result.engine = "per value"
        except (Cancelled, AbortedByPolicy, SourceError) as e:
            self.result.error = str(e)
            self.result.copied = 0
            raise
        except psycopg2.Error as e:
            self.pg.rollback()
            self.result.error = plain_error(e)
            self.result.copied = 0
        finally:
            self.rejects.close()
            self.result.seconds = time.perf_counter() - start
            self.on_event(TableFinished(self.tm.source, self.result.copied, self.result.rejected,
                                        self.result.seconds, self.result.error))
        return self.result

    # --- one attempt: a transaction that either commits everything or nothing ---

    def _attempt(self) -> None:
        """Copy the table once, one value at a time."""
        target = qualified(self.schema, self.tm.target)
        columns = [c.target for c in self.cols]
        for _ in range(MAX_PG_REJECT_RETRIES + 1):
            self._reset_counts()
            try:
                with self.pg.cursor() as cur:
                    into: sql.Composable = target
                    if self.staged_fks:
                        into = staging.create_stage(cur, self.schema, self.tm.target)
                    elif self.truncate:
                        cur.execute(sql.SQL("TRUNCATE {}").format(target))
                    stmt = sql.SQL("COPY {} ({}) FROM STDIN{}").format(
                        into, sql.SQL(", ").join(sql.Identifier(c) for c in columns),
                        sql.SQL(" WITH (FREEZE)") if self.truncate and not self.staged_fks
                        else sql.SQL(""))
                    cur.copy_expert(stmt, _Stream(self._chunks()),
                                    size=CHUNK_BYTES)
                    if self.staged_fks:
                        key = [self.tm.column(c).target for c in self.table.primary_key]
                        inserted, orphans = staging.move_in(
                            cur, self.schema, self.tm.target, columns, self.staged_fks, key,
                            self._reject_staged)
                        self.result.copied = inserted
                if self.cancel.is_set():
                    raise Cancelled(f"cancelled while copying {self.table.name}")
                self.pg.commit()
                self.result.committed = True
                return
            except Cancelled:
                self.pg.rollback()
                raise
            except psycopg2.Error as e:
                self.pg.rollback()
                if self.cancel.is_set():  # the server cancelled the COPY on our request
                    raise Cancelled(f"cancelled while copying {self.table.name}") from None
                line = _copy_line(e)
                loc = self._locator_of_line(line) if line else _NOT_FOUND
                if loc is _NOT_FOUND:
                    raise
                # A value our converters accepted but PostgreSQL refused: reject that row
                # with PostgreSQL's own words and go again.
                self._pg_rejected[loc] = plain_error(e)
                self.result.refused_by_postgres = list(self._pg_rejected)
        raise psycopg2.DataError(f"PostgreSQL refused more than {MAX_PG_REJECT_RETRIES} rows")

    def _locator_of_line(self, line: int) -> Any:
        """Which row became COPY line ``line``: replay the row path without sending anything.
        Only runs after PostgreSQL refused a line, so keeping no line→row map costs nothing."""
        counted = self.result
        self.result = CopyResult(self.tm.source, self.tm.target)
        saved_rejects, self.rejects = self.rejects, RejectWriter(None, self.tm.target)
        saved_event, self.on_event = self.on_event, lambda _e: None
        try:
            conn = open_readonly(self.source_path, lossless_text=True)
            try:
                seen = 0
                for _chunk, locs in self._batches(conn):
                    if seen + len(locs) >= line:
                        return locs[line - seen - 1]
                    seen += len(locs)
            finally:
                conn.close()
        finally:
            self.result, self.rejects, self.on_event = counted, saved_rejects, saved_event
        return _NOT_FOUND

    def _reset_counts(self) -> None:
        r = self.result
        r.copied = r.rejected = 0
        r.rejected_by_column, r.nulled_by_column, r.altered_by_column = {}, {}, {}
        r.reasons_by_column = {}
        self.rejects.reset()

    def _chunks(self) -> Iterator[str]:
        """Lines produced in a thread of their own (see prefetch)."""
        yield from prefetched(self._read(), depth=4)

    def _read(self) -> Iterator[str]:
        try:
            # lossless: invalid UTF-8 reaches the converters as bytes, for the policy to judge
            conn = open_readonly(self.source_path, lossless_text=True)
            try:
                for chunk, _locs in self._batches(conn):
                    yield chunk
            finally:
                conn.close()
        except sqlite3.DatabaseError as e:
            raise SourceError(f"cannot read table {self.table.name}: {e}") from e

    def _batches(self, conn: sqlite3.Connection) -> Iterator[tuple[str, list[Any]]]:
        """(COPY text, locators of its lines) per batch of source rows."""
        names = [c.source for c in self.cols]
        # The INTEGER PRIMARY KEY is the rowid: no need to fetch it twice.
        alias = names.index(self.table.rowid_alias) if self.table.rowid_alias in names else None
        select = ", ".join(([] if alias is not None else [row_locator_sql(self.table)])
                           + [qi(n) for n in names])
        cur = conn.execute(f"SELECT {select} FROM {qi(self.table.name)}")
        row_path = _RowPath(self)
        total = self.table.row_count
        done = 0
        r = self.result
        while True:
            if self.cancel.is_set():
                raise Cancelled(f"cancelled while copying {self.table.name}")
            rows = cur.fetchmany(BATCH_ROWS)
            if not rows:
                break
            done += len(rows)
            if alias is not None:
                rows = [(r[alias], *r) for r in rows]
            lines, locs = row_path.convert(rows)
            r.copied += len(lines)
            if lines:
                yield "\n".join(lines) + "\n", locs
            self._progress(done, total)
        self.on_event(RowsCopied(self.tm.source, done, max(total, done)))
        r.source_rows = done

    def _progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last_progress >= _PROGRESS_EVERY_S:
            self._last_progress = now
            self.on_event(RowsCopied(self.tm.source, done, max(total, done)))

    def _notnull(self, cm: ColumnMapping) -> bool:
        try:
            col = self.table.column(cm.source)
        except KeyError:
            return False
        return col.notnull or col.pk > 0

    def _reject_staged(self, loc: Any, column: str, value: Any, reason: str) -> None:
        """An orphan taken out of the stage: rejected, and expected absent by verification
        (its key is the rowid when the table has an INTEGER PRIMARY KEY)."""
        self._reject(loc, column, value, reason)
        self.result.refused_by_postgres.append(loc)

    def _reject(self, loc: Any, column: str, value: Any, reason: str, first: bool = True) -> None:
        r = self.result
        if first:
            r.rejected += 1
        key = column or "(row)"
        r.rejected_by_column[key] = r.rejected_by_column.get(key, 0) + 1
        reasons = r.reasons_by_column.setdefault(key, {})
        if reason in reasons or len(reasons) < MAX_REASONS_KEPT:
            reasons[reason] = reasons.get(reason, 0) + 1
        self.rejects.write(loc, column, value, reason)


class _RowPath:
    """Row-by-row conversion with each column's on-error policy: dirty batches come here."""

    def __init__(self, copier: TableCopier) -> None:
        self.c = copier
        cols = copier.cols
        self.fns = [converters.build(c.converter, c.options) for c in cols]
        self.altered = [converters.get(c.converter).altered if converters.get(c.converter).alters
                        else None for c in cols]
        # NOT NULL columns cannot take "set NULL": such values are rejected instead.
        self.policies = [("reject" if c.on_error == "null" and copier._notnull(c) else c.on_error)
                         for c in cols]
        self.names = [c.source for c in cols]

    def convert(self, rows: list[tuple]) -> tuple[list[str], list[Any]]:
        """COPY text lines of the rows that convert, and their locators."""
        values, locs = self.convert_values(rows)
        return ["\t".join(map(copy_text, vals)) for vals in values], locs

    def convert_values(self, rows: list[tuple]) -> tuple[list[list[Any]], list[Any]]:
        """The converted values of the rows that convert (None for NULL), and their locators;
        each refusal handled by its column's policy (reject file, NULL, abort)."""
        c = self.c
        r = c.result
        pg_rejected = c._pg_rejected
        out: list[list[Any]] = []
        locs: list[Any] = []
        for row in rows:
            loc = row[0]
            if pg_rejected and loc in pg_rejected:
                c._reject(loc, "", None, "PostgreSQL refused the row: " + pg_rejected[loc])
                continue
            fields: list[Any] = []
            ok = True
            for i, fn in enumerate(self.fns):
                v = row[i + 1]
                if v is None:
                    fields.append(None)
                    continue
                try:
                    got = fn(v)
                except converters.Reject as rej:
                    col = self.names[i]
                    policy = self.policies[i]
                    if policy == "null":
                        r.nulled_by_column[col] = r.nulled_by_column.get(col, 0) + 1
                        fields.append(None)
                        continue
                    if policy == "abort":
                        raise AbortedByPolicy(
                            f"{c.table.name}.{col} at rowid {loc}: {converters.describe(v)} "
                            f"{rej.reason} (policy: abort)") from None
                    # Keep converting: the reject file names every bad value of the row.
                    c._reject(loc, col, v, rej.reason, first=ok)
                    ok = False
                    continue
                if self.altered[i] is not None and self.altered[i](v, got):
                    col = self.names[i]
                    r.altered_by_column[col] = r.altered_by_column.get(col, 0) + 1
                fields.append(got)
            if ok:
                out.append(fields)
                locs.append(loc)
        return out, locs


_NOT_FOUND = object()
_LINE_RE = re.compile(r"COPY [^,]+, line (\d+)")


def _copy_line(e: psycopg2.Error) -> int | None:
    diag = getattr(e, "diag", None)
    context = (diag.context if diag else None) or str(e)
    m = _LINE_RE.search(context)
    return int(m.group(1)) if m else None
