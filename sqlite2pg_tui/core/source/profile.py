"""What each column really holds, over every row.

SQLite lets any column hold any storage class, so the declared type is a hint at best.
Per column: row count, NULLs, storage classes, lengths, min/max, NUL bytes, and for each
candidate converter how many values it accepts, with the first few it refuses and why.
Nothing is sampled: the Review screen's figures and the planner's decisions are exact.

The work is done in C: profile_columnar reads Arrow batches and gives each value a class
code (profile_vector) whose meaning for every candidate is known (profile_sql.EFFECTS);
only the values no code decides go through the Python converters (_ColumnTracker), which
also turn the first rows of each code into the failure examples. WITHOUT ROWID tables are
classified by SQLite itself (profile_sqlite).
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlite2pg_tui.core.source.reader import open_readonly, reading
from sqlite2pg_tui.core.source.schema import SourceSchema, Table
from sqlite2pg_tui.core.values import converters

if TYPE_CHECKING:
    from sqlite2pg_tui.core.source.spool import Spool

EXAMPLES_KEPT = 5
DEFAULT_SAMPLE_ROWS = 20_000  # kept for callers' ``limit``; nothing is sampled any more
# Candidate converters tried on every value, with their default options.
CANDIDATES: dict[str, dict[str, Any]] = {
    "integer": {},
    "real": {},
    "boolean": {},
    "timestamp": {},
    "timestamptz": {},
    "date": {},
    "json": {},
    "uuid": {},
    "date_dmy": {},
    "date_mdy": {},
}
_STORAGE = {int: "integer", float: "real", str: "text", bytes: "blob"}


@dataclass
class DirtyExample:
    rowid: int | str
    value: Any
    reason: str

    @property
    def shown(self) -> str:
        return converters.describe(self.value)


@dataclass
class ColumnProfile:
    name: str
    rows: int = 0
    nulls: int = 0
    sampled: int = 0  # rows the candidate converters were tried on
    sample_nulls: int = 0
    storage: dict[str, int] = field(default_factory=dict)  # integer/real/text/blob counts
    max_text_len: int = 0
    max_blob_len: int = 0
    min: Any = None  # over numbers, or over text when the column has no numbers
    max: Any = None
    parses: dict[str, int] = field(default_factory=dict)  # candidate → values it accepts
    failures: dict[str, list[DirtyExample]] = field(default_factory=dict)  # candidate → examples
    with_offset: int = 0  # ISO timestamps carrying a UTC offset (Z included)
    # candidate → values it accepts but changes (digits past microseconds are rounded)
    altered: dict[str, int] = field(default_factory=dict)
    with_time: int = 0  # ISO values with a time of day
    nul_bytes: int = 0
    invalid_utf8: int = 0
    distinct_small: set[Any] | None = field(default_factory=set)  # up to 20 distinct values
    samples: list[Any] = field(default_factory=list)  # first few non-null values
    sample_rowids: list[Any] = field(default_factory=list)  # where each sample is (the wizard shows it)

    @property
    def non_null(self) -> int:
        return self.rows - self.nulls

    @property
    def sample_non_null(self) -> int:
        return self.sampled - self.sample_nulls

    @property
    def complete(self) -> bool:
        """True when the candidates saw every row, so their counts are exact."""
        return self.sampled >= self.rows

    def fits(self, candidate: str) -> bool:
        n = self.sample_non_null
        return n > 0 and self.parses.get(candidate, 0) == n

    def share(self, candidate: str) -> float:
        n = self.sample_non_null
        return self.parses.get(candidate, 0) / n if n else 0.0

    def storage_mix(self) -> str:
        """'text 98%, integer 2%' for people."""
        total = sum(self.storage.values())
        if not total:
            return "all NULL" if self.rows else "empty"
        parts = sorted(self.storage.items(), key=lambda kv: -kv[1])
        return ", ".join(f"{k} {v * 100 / total:.0f}%" if len(parts) > 1 else k for k, v in parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows, "nulls": self.nulls, "storage": self.storage,
            "sampled_rows": self.sampled,
            "max_text_len": self.max_text_len, "max_blob_len": self.max_blob_len,
            "min": _jsonable(self.min), "max": _jsonable(self.max), "parses": self.parses,
            "with_offset": self.with_offset, "nul_bytes": self.nul_bytes,
            "invalid_utf8": self.invalid_utf8,
            "dirty_examples": {k: [{"rowid": e.rowid, "value": e.shown, "reason": e.reason}
                                   for e in v] for k, v in self.failures.items() if v},
        }


@dataclass
class TableProfile:
    name: str
    rows: int
    columns: dict[str, ColumnProfile]


def _jsonable(v: Any) -> Any:
    if isinstance(v, bytes):
        return converters.describe(v)
    if isinstance(v, str):
        return converters.describe(v, 80)[1:-1]
    return v


# Candidates each storage class can possibly satisfy; the rest are known failures and
# are not called (that is most of the cost of profiling).
_BY_STORAGE = {
    "integer": ("integer", "real", "boolean", "json"),
    "real": ("integer", "real", "boolean", "json"),  # (numbers are handled by _number)
    "text": ("integer", "real", "boolean", "json", "uuid"),  # + the ISO family, parsed once
    "blob": ("json", "uuid"),
    # text also gets the ISO family and dd/mm vs mm/dd, each parsed once (see _text)
}
_ISO_FAMILY = ("timestamp", "timestamptz", "date")
_JSON_START = set('{["-0123456789tfn')
INT64_MIN, INT64_MAX = converters.INT64_MIN, converters.INT64_MAX


class _ColumnTracker:
    """The converter pass over one column's sampled values."""

    def __init__(self, p: ColumnProfile) -> None:
        self.p = p
        self.fns: dict[str, Callable[[Any], Any]] = {
            c: converters.build(c, o) for c, o in CANDIDATES.items()}
        p.parses = dict.fromkeys(CANDIDATES, 0)
        p.failures = {c: [] for c in CANDIDATES}
        self.distinct: set[Any] | None = set()

    def _fail(self, cand: str, rowid: Any, v: Any, reason: str) -> None:
        ex = self.p.failures[cand]
        if len(ex) < EXAMPLES_KEPT:
            ex.append(DirtyExample(rowid, v, reason))

    def add(self, rowid: Any, v: Any) -> None:
        p = self.p
        p.sampled += 1
        if v is None:
            p.sample_nulls += 1
            return
        self.collect(rowid, v)

    def collect(self, rowid: Any, v: Any) -> None:
        """What the candidates make of one non-NULL value (``add`` also counts the row)."""
        p = self.p
        kind = _STORAGE[type(v)]
        if len(p.samples) < 8:
            p.samples.append(v)
            p.sample_rowids.append(rowid)
        if self.distinct is not None:
            self.distinct.add(v)
            if len(self.distinct) > 20:
                self.distinct = None
        if kind == "text" and not v.isascii() and converters.has_surrogates(v):
            p.invalid_utf8 += 1
        if kind == "integer":
            self._number(rowid, v, whole=True, finite=True)
        elif kind == "real":
            finite = math.isfinite(v)
            self._number(rowid, v, whole=finite and v.is_integer() and INT64_MIN <= v <= INT64_MAX,
                         finite=finite)
        else:
            if kind == "text":
                self._text(rowid, v)
            else:
                for cand in CANDIDATES:
                    if cand not in _BY_STORAGE[kind]:
                        self._fail(cand, rowid, v, "a blob")
            for cand in _BY_STORAGE[kind]:
                if cand in ("date_dmy", "date_mdy"):
                    continue
                if cand == "json" and kind == "text" and v.lstrip()[:1] not in _JSON_START:
                    self._fail(cand, rowid, v, "not valid JSON")
                    continue
                if cand == "uuid" and kind == "text" and len(v.strip()) not in (32, 36, 38):
                    self._fail(cand, rowid, v, "not a UUID")
                    continue
                try:
                    self.fns[cand](v)
                except converters.Reject as r:
                    self._fail(cand, rowid, v, r.reason)
                    continue
                p.parses[cand] += 1

    def _number(self, rowid: Any, v: int | float, whole: bool, finite: bool) -> None:
        """Numbers need no converter calls: what each candidate does with them is arithmetic."""
        p = self.p
        parses = p.parses
        parses["real"] += 1
        if whole:
            parses["integer"] += 1
        else:
            self._fail("integer", rowid, v, "has a fractional part" if finite else "is infinite")
        if v == 0 or v == 1:
            parses["boolean"] += 1
        else:
            self._fail("boolean", rowid, v, f"{v!r} is neither 0 nor 1")
        if finite:
            parses["json"] += 1
        else:
            self._fail("json", rowid, v, "infinite numbers are not JSON")
        for cand in ("timestamp", "timestamptz", "date", "uuid", "date_dmy", "date_mdy"):
            self._fail(cand, rowid, v, "a number, not text")

    def _text(self, rowid: Any, v: str) -> None:
        """The ISO family in one parse: timestamp, timestamptz and date share it."""
        p = self.p
        self._day_month(rowid, v)
        try:
            dt, has_time, has_off = converters.parse_iso(v)
        except ValueError as e:
            reason = (f"impossible date ({e})" if converters.ISO_RE.match(v)
                      else "not an ISO 8601 date/time")
            for cand in _ISO_FAMILY:
                self._fail(cand, rowid, v, reason)
            return
        p.parses["timestamptz"] += 1
        rounded = converters.sub_microsecond(v)
        if rounded:
            p.altered["timestamptz"] = p.altered.get("timestamptz", 0) + 1
        p.with_time += has_time
        p.with_offset += has_off
        if has_off and dt.utcoffset():
            self._fail("timestamp", rowid, v, "has a UTC offset; the column would need timestamptz")
        else:
            p.parses["timestamp"] += 1
            if rounded:
                p.altered["timestamp"] = p.altered.get("timestamp", 0) + 1
        if has_time and (dt.hour, dt.minute, dt.second, dt.microsecond) != (0, 0, 0, 0):
            self._fail("date", rowid, v, "has a time of day; the column would need timestamp")
        else:
            p.parses["date"] += 1

    def _day_month(self, rowid: Any, v: str) -> None:
        """dd/mm/yyyy and mm/dd/yyyy: both tried, so inference can tell when it cannot tell."""
        if not converters.DMY_RE.match(v):
            for cand in ("date_dmy", "date_mdy"):
                self._fail(cand, rowid, v, "not a dd/mm/yyyy or mm/dd/yyyy date")
            return
        for cand in ("date_dmy", "date_mdy"):
            try:
                self.fns[cand](v)
            except converters.Reject as r:
                self._fail(cand, rowid, v, r.reason)
                continue
            self.p.parses[cand] += 1

    def finish(self) -> ColumnProfile:
        self.p.distinct_small = self.distinct
        return self.p


def profile_table(conn: sqlite3.Connection, table: Table, *, limit: int | None = DEFAULT_SAMPLE_ROWS,
                  on_rows: Callable[[int], None] | None = None,
                  cancel: threading.Event | None = None,
                  spooled: Spool | None = None) -> TableProfile:
    """Profile one table, every row of it. A rowid table is read as Arrow batches
    (profile_columnar); a WITHOUT ROWID table is classified by SQLite (``limit`` is kept
    for callers and ignored: nothing is sampled any more)."""
    if table.without_rowid:
        from sqlite2pg_tui.core.source.profile_sqlite import profile_table_sql

        return profile_table_sql(conn, table, limit=None, on_rows=on_rows, cancel=cancel)
    from sqlite2pg_tui.core.source.profile_columnar import profile_table_columnar

    path = conn.execute("PRAGMA database_list").fetchone()[2]
    own = conn.text_factory is str
    lossless = open_readonly(path, lossless_text=True) if own else conn
    try:
        with reading(lossless, table.name, cancel):
            return profile_table_columnar(path, lossless, table, cancel=cancel, on_rows=on_rows,
                                          spooled=spooled)
    finally:
        if own:
            lossless.close()


def profile_schema(path: str, schema: SourceSchema, *, limit: int | None = DEFAULT_SAMPLE_ROWS,
                   on_table: Callable[[str, int, int], None] | None = None,
                   cancel: threading.Event | None = None,
                   on_profile: Callable[[TableProfile], None] | None = None,
                   workers: int = 2, spooled: Spool | None = None) -> dict[str, TableProfile]:
    """Profile every table, ``workers`` at a time (each on its own connections; SQLite and
    Arrow release the GIL). ``on_profile`` hears each table's profile as soon as it is done;
    the result is in schema order. Text that is not valid UTF-8 is read losslessly.
    ``spooled``: where the batches read are kept for the copy (spool.py)."""
    from concurrent.futures import ThreadPoolExecutor

    def one(t: Table) -> TableProfile:
        cb = (lambda n, name=t.name, total=t.row_count: on_table(name, n, total)) if on_table else None
        conn = open_readonly(path, lossless_text=True)
        try:
            prof = profile_table(conn, t, limit=limit, on_rows=cb, cancel=cancel,
                                 spooled=spooled)
        finally:
            conn.close()
        if on_profile is not None:
            on_profile(prof)
        return prof

    # Largest first: the long table starts at once and the small ones fill the other worker.
    order = sorted(schema.tables, key=lambda t: -t.row_count)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {t.name: pool.submit(one, t) for t in order}
        try:
            done = {name: f.result() for name, f in futures.items()}
        except BaseException:
            for f in futures.values():
                f.cancel()
            raise
    return {t.name: done[t.name] for t in schema.tables}
