"""Stream one table from SQLite into PostgreSQL with COPY, in its own transaction.

Every source row ends up either copied or in the reject file with its reason:
  * the fast path formats clean columns inside SQLite (see copy_format);
  * any refusal by PostgreSQL sends the table through the Python converters instead;
  * a row PostgreSQL still refuses (a limit no converter knows) is found from COPY's line
    number, written to the reject file with PostgreSQL's message, and the table redone.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from sqlite2pg_tui.core import converters
from sqlite2pg_tui.core.copy_format import NULL, copy_text, fast_sql
from sqlite2pg_tui.core.errors import AbortedByPolicy, Cancelled, SourceError
from sqlite2pg_tui.core.events import OnEvent, RowsCopied, TableFinished, TableStarted
from sqlite2pg_tui.core.mapping import ColumnMapping, TableMapping
from sqlite2pg_tui.core.pg_target import plain_error, qualified
from sqlite2pg_tui.core.schema import Table
from sqlite2pg_tui.core.sqlite_source import open_readonly, qi, row_locator_sql

BATCH_ROWS = 10_000
CHUNK_BYTES = 1 << 20
MAX_PG_REJECT_RETRIES = 50
_PROGRESS_EVERY_S = 0.1


@dataclass
class CopyResult:
    source: str
    target: str
    source_rows: int = 0
    copied: int = 0
    rejected: int = 0
    rejected_by_column: dict[str, int] = field(default_factory=dict)
    nulled_by_column: dict[str, int] = field(default_factory=dict)
    altered_by_column: dict[str, int] = field(default_factory=dict)
    fast_path: bool = False
    seconds: float = 0.0
    error: str = ""


class _Fallback(Exception):  # noqa: N818 - control flow: redo the table in Python
    pass


class _RejectFile:
    """Appends one JSON line per rejected value; created only when something is rejected."""

    def __init__(self, directory: Path | None, table: str) -> None:
        self.path = (directory / f"{_safe_filename(table)}.jsonl") if directory else None
        self._fh: Any = None
        self.lines: list[dict[str, Any]] = []  # kept when there is no directory (tests, wizard)

    def write(self, rowid: Any, column: str, value: Any, reason: str) -> None:
        rec = {"rowid": rowid, "column": column, "value": _jsonable(value), "reason": reason}
        if self.path is None:
            if len(self.lines) < 10_000:
                self.lines.append(rec)
            return
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("w", encoding="utf-8")
        self._fh.write(json.dumps(rec, ensure_ascii=False) + "\n")

    def reset(self) -> None:
        self.lines.clear()
        if self._fh is not None:
            self._fh.seek(0)
            self._fh.truncate()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def _safe_filename(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name) or "table"


def _jsonable(v: Any) -> Any:
    if isinstance(v, bytes):
        return {"hex": v.hex()}
    if isinstance(v, str) and converters._has_surrogates(v):
        return {"bytes_hex": v.encode("utf-8", "surrogateescape").hex()}
    return v


class _Stream:
    """File-like object psycopg2's copy_expert reads from: pulls chunks from a generator."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks
        self._buf = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buf) < size:
            nxt = next(self._chunks, None)
            if nxt is None:
                break
            self._buf += nxt.encode("utf-8")
        if size < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:size], self._buf[size:]
        return out

    readline = read


class TableCopier:
    def __init__(self, source_path: str, table: Table, tm: TableMapping, pg_conn: Any,
                 schema: str, reject_dir: Path | None, on_event: OnEvent,
                 cancel: threading.Event | None, truncate: bool = True) -> None:
        self.source_path = source_path
        self.table = table
        self.tm = tm
        self.pg = pg_conn
        self.schema = schema
        self.rejects = _RejectFile(reject_dir, tm.target)
        self.on_event = on_event
        self.cancel = cancel or threading.Event()
        self.truncate = truncate
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
                self._attempt(fast=True)
                self.result.fast_path = True
            except _Fallback:
                self._attempt(fast=False)
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

    def _attempt(self, fast: bool) -> None:
        for _ in range(MAX_PG_REJECT_RETRIES + 1):
            self._reset_counts()
            line_rowids: list[Any] = []
            target = qualified(self.schema, self.tm.target)
            try:
                with self.pg.cursor() as cur:
                    if self.truncate:
                        cur.execute(sql.SQL("TRUNCATE {}").format(target))
                    order, chunks = self._plan_stream(fast, line_rowids)
                    opts = sql.SQL(" WITH (FREEZE)") if self.truncate else sql.SQL("")
                    stmt = sql.SQL("COPY {} ({}) FROM STDIN{}").format(
                        target, sql.SQL(", ").join(sql.Identifier(c.target) for c in order), opts)
                    cur.copy_expert(stmt, _Stream(chunks), size=CHUNK_BYTES)
                self.pg.commit()
                return
            except _Decode:
                self.pg.rollback()
                raise _Fallback from None
            except psycopg2.Error as e:
                self.pg.rollback()
                if fast:
                    raise _Fallback from None
                line = _copy_line(e)
                if line is None or line > len(line_rowids):
                    raise
                # A value our converters accepted but PostgreSQL refused: reject that row
                # with PostgreSQL's own words and go again.
                self._pg_rejected[line_rowids[line - 1]] = plain_error(e)
        raise psycopg2.DataError(f"PostgreSQL refused more than {MAX_PG_REJECT_RETRIES} rows")

    def _reset_counts(self) -> None:
        r = self.result
        r.copied = r.rejected = 0
        r.rejected_by_column, r.nulled_by_column, r.altered_by_column = {}, {}, {}
        self.rejects.reset()

    def _plan_stream(self, fast: bool, line_rowids: list[Any]) -> tuple[list[ColumnMapping], Iterator[str]]:
        fast_cols: list[ColumnMapping] = []
        slow_cols: list[ColumnMapping] = []
        exprs: list[str] = []
        for c in self.cols:
            e = fast_sql(c) if fast else None
            if e is None:
                slow_cols.append(c)
            else:
                fast_cols.append(c)
                exprs.append(e)
        return fast_cols + slow_cols, self._chunks(exprs, slow_cols, line_rowids, lossless=not fast)

    def _chunks(self, exprs: list[str], slow: list[ColumnMapping], line_rowids: list[Any],
                lossless: bool) -> Iterator[str]:
        conn = open_readonly(self.source_path, lossless_text=lossless)
        try:
            yield from self._lines(conn, exprs, slow, line_rowids)
        except sqlite3.OperationalError as e:
            if "decode" in str(e).lower() and not lossless:
                raise _Decode from None
            raise SourceError(f"cannot read table {self.table.name}: {e}") from None
        except sqlite3.DatabaseError as e:
            raise SourceError(f"cannot read table {self.table.name}: {e}") from None
        finally:
            conn.close()

    def _lines(self, conn: sqlite3.Connection, exprs: list[str], slow: list[ColumnMapping],
               line_rowids: list[Any]) -> Iterator[str]:
        select = [row_locator_sql(self.table)]
        if exprs:
            select.append(" || char(9) || ".join(exprs))
        select += [qi(c.source) for c in slow]
        cur = conn.execute(f"SELECT {', '.join(select)} FROM {qi(self.table.name)}")
        fns = [converters.build(c.converter, c.options) for c in slow]
        alters = [converters.get(c.converter).alters for c in slow]
        # NOT NULL columns cannot take the "set NULL" policy: such values are rejected instead.
        policies = [("reject" if c.on_error == "null" and self._notnull(c) else c.on_error) for c in slow]
        has_fast = bool(exprs)
        offset = 2 if has_fast else 1
        total = self.table.row_count
        done = 0
        pg_rejected = self._pg_rejected
        r = self.result
        while True:
            if self.cancel.is_set():
                raise Cancelled(f"cancelled while copying {self.table.name}")
            rows = cur.fetchmany(BATCH_ROWS)
            if not rows:
                break
            out: list[str] = []
            for row in rows:
                loc = row[0]
                if pg_rejected and loc in pg_rejected:
                    self._reject(loc, "", None, "PostgreSQL refused the row: " + pg_rejected[loc])
                    continue
                fields = [row[1]] if has_fast else []
                ok = True
                for i, fn in enumerate(fns):
                    v = row[offset + i]
                    if v is None:
                        fields.append(NULL)
                        continue
                    try:
                        got = fn(v)
                    except converters.Reject as rej:
                        col = slow[i].source
                        if policies[i] == "null":
                            r.nulled_by_column[col] = r.nulled_by_column.get(col, 0) + 1
                            fields.append(NULL)
                            continue
                        if policies[i] == "abort":
                            raise AbortedByPolicy(
                                f"{self.table.name}.{col} at rowid {loc}: {converters.describe(v)} "
                                f"{rej.reason} (policy: abort)") from None
                        # Keep converting: the reject file names every bad value of the row.
                        self._reject_value(loc, col, v, rej.reason, first=ok)
                        ok = False
                        continue
                    if alters[i] and got != v:
                        col = slow[i].source
                        r.altered_by_column[col] = r.altered_by_column.get(col, 0) + 1
                    fields.append(copy_text(got))
                if ok:
                    out.append("\t".join(fields))
                    line_rowids.append(loc)
            r.copied += len(out)
            done += len(rows)
            if out:
                yield "\n".join(out) + "\n"
            now = time.monotonic()
            if now - self._last_progress >= _PROGRESS_EVERY_S:
                self._last_progress = now
                self.on_event(RowsCopied(self.tm.source, done, max(total, done)))
        self.on_event(RowsCopied(self.tm.source, done, max(total, done)))
        r.source_rows = done

    def _notnull(self, cm: ColumnMapping) -> bool:
        try:
            col = self.table.column(cm.source)
        except KeyError:
            return False
        return col.notnull or col.pk > 0

    def _reject(self, loc: Any, column: str, value: Any, reason: str) -> None:
        self._reject_value(loc, column, value, reason, first=True)

    def _reject_value(self, loc: Any, column: str, value: Any, reason: str, first: bool) -> None:
        r = self.result
        if first:
            r.rejected += 1
        key = column or "(row)"
        r.rejected_by_column[key] = r.rejected_by_column.get(key, 0) + 1
        self.rejects.write(loc, column, value, reason)


class _Decode(Exception):  # noqa: N818 - invalid UTF-8 text met on the fast path
    pass


_LINE_RE = re.compile(r"COPY [^,]+, line (\d+)")


def _copy_line(e: psycopg2.Error) -> int | None:
    diag = getattr(e, "diag", None)
    context = (diag.context if diag else None) or str(e)
    m = _LINE_RE.search(context)
    return int(m.group(1)) if m else None
