"""What each column really holds.

SQLite lets any column hold any storage class, so the declared type is a hint at best.
Two passes per table:
  * exact, in SQLite's C code: row count, NULLs, storage classes, lengths, min/max, NULs;
  * through the candidate converters in Python, on rows spread evenly over the table (all
    of them when it is small or when asked), counting how many values each candidate
    accepts and keeping a few rejected examples with their rowid.
Inference reads both; the copy itself runs the chosen converter on every value, so a
sample can only make a proposal less apt, never lose a row.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlite2pg_tui.core.errors import Cancelled, SourceError
from sqlite2pg_tui.core.source import profile_sql
from sqlite2pg_tui.core.source.reader import open_readonly, qi, row_locator_sql
from sqlite2pg_tui.core.source.schema import SourceSchema, Table
from sqlite2pg_tui.core.values import converters

EXAMPLES_KEPT = 5
DEFAULT_SAMPLE_ROWS = 20_000  # per table, for the converter pass
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
        p.with_time += has_time
        p.with_offset += has_off
        if has_off and dt.utcoffset():
            self._fail("timestamp", rowid, v, "has a UTC offset; the column would need timestamptz")
        else:
            p.parses["timestamp"] += 1
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


def _exact_stats(conn: sqlite3.Connection, table: Table, names: list[str]) -> dict[str, ColumnProfile]:
    """Counts, storage classes, max length, min/max (SQLite's ordering) and NULs of every
    column, in one scan by SQLite. Kept lean: each extra expression costs on every row."""
    per = 8
    parts = ["count(*)"]
    for n in names:
        c = qi(n)
        parts += [
            f"count({c})",
            f"count(CASE typeof({c}) WHEN 'integer' THEN 1 END)",
            f"count(CASE typeof({c}) WHEN 'real' THEN 1 END)",
            f"count(CASE typeof({c}) WHEN 'text' THEN 1 END)",
            f"max(length({c}))",
            f"min({c})",
            f"max({c})",
            f"count(CASE WHEN instr({c}, char(0)) THEN 1 END)",
        ]
    row = conn.execute(f"SELECT {', '.join(parts)} FROM {qi(table.name)}").fetchone()
    total = row[0]
    out = {}
    for i, n in enumerate(names):
        non_null, ints, reals, texts, longest, lo, hi, nuls = row[1 + i * per: 1 + (i + 1) * per]
        blobs = non_null - ints - reals - texts
        storage = {k: v for k, v in (("integer", ints), ("real", reals), ("text", texts),
                                     ("blob", blobs)) if v}
        p = ColumnProfile(name=n, rows=total, nulls=total - non_null, storage=storage,
                          max_text_len=(longest or 0) if texts else 0,
                          max_blob_len=(longest or 0) if blobs else 0, nul_bytes=nuls)
        p.min, p.max = lo, hi
        out[n] = p
    return out


_HASH_MOD = 1_000_003  # a prime: rowid * multiplier mod it scatters periodic data


def _sample_where(table: Table, rows: int, limit: int | None) -> str:
    """A WHERE/LIMIT clause taking about ``limit`` rows spread over the whole table.

    A hash of the rowid rather than a stride: data written in a repeating pattern
    (every 4th row has a note…) would otherwise alias with the stride."""
    if not limit or rows <= limit:
        return ""
    if table.without_rowid:
        return f"LIMIT {int(limit)}"
    keep = max(1, _HASH_MOD * limit // rows)
    return f"WHERE (rowid * 2654435761) % {_HASH_MOD} < {keep}"


def profile_table(conn: sqlite3.Connection, table: Table, *, limit: int | None = DEFAULT_SAMPLE_ROWS,
                  on_rows: Callable[[int], None] | None = None,
                  cancel: threading.Event | None = None) -> TableProfile:
    """Profile one table, every row of it. A rowid table is read as Arrow batches
    (profile_columnar); a WITHOUT ROWID table is classified by SQLite (``limit`` is kept
    for callers and ignored: nothing is sampled any more)."""
    if table.without_rowid:
        return _profile_table_sql(conn, table, limit=None, on_rows=on_rows, cancel=cancel)
    from sqlite2pg_tui.core.source.profile_columnar import profile_table_columnar

    path = conn.execute("PRAGMA database_list").fetchone()[2]
    own = conn.text_factory is str
    lossless = open_readonly(path, lossless_text=True) if own else conn
    stop = _interrupt_on(lossless, cancel)
    try:
        return profile_table_columnar(path, lossless, table, cancel=cancel, on_rows=on_rows)
    except sqlite3.OperationalError as e:
        if stop.is_set():
            raise Cancelled(f"profiling of {table.name} cancelled") from None
        raise SourceError(f"cannot read table {table.name}: {e}") from e
    except sqlite3.DatabaseError as e:
        raise SourceError(f"cannot read table {table.name}: {e}") from e
    finally:
        lossless.set_progress_handler(None, 0)
        if own:
            lossless.close()


def _profile_table_sql(conn: sqlite3.Connection, table: Table, *, limit: int | None,
                       on_rows: Callable[[int], None] | None = None,
                       cancel: threading.Event | None = None) -> TableProfile:
    """Exact counts over every row; then ``limit`` rows spread over the table (None: all)
    are classified by SQLite (profile_sql), and only the values it cannot decide go
    through the Python converters."""
    names = [c.name for c in table.columns if not c.generated]
    if on_rows:
        on_rows(0)
    stop = _interrupt_on(conn, cancel)
    try:
        profiles = _exact_stats(conn, table, names)
        rows = next(iter(profiles.values())).rows if profiles else 0
        trackers = [_ColumnTracker(profiles[n]) for n in names]
        examples = [_ColumnTracker(ColumnProfile(n)) for n in names]
        if names and rows:
            _from_codes(conn, table, names, trackers, examples,
                        _sample_where(table, rows, limit), cancel)
            for tracker in trackers:  # a sparse column the sample missed: read its own values
                p = tracker.p
                if p.sample_non_null == 0 and p.non_null and limit:
                    for rowid, v in conn.execute(
                            f"SELECT {row_locator_sql(table)}, {qi(p.name)} FROM {qi(table.name)} "
                            f"WHERE {qi(p.name)} IS NOT NULL LIMIT {int(limit)}"):
                        tracker.add(rowid, v)
    except sqlite3.OperationalError as e:
        if stop.is_set():
            raise Cancelled(f"profiling of {table.name} cancelled") from None
        raise SourceError(f"cannot read table {table.name}: {e}") from e
    except sqlite3.DatabaseError as e:
        raise SourceError(f"cannot read table {table.name}: {e}") from e
    finally:
        conn.set_progress_handler(None, 0)
    for tracker, ex in zip(trackers, examples, strict=True):
        # Failures in row order, as if every value had been tried one by one.
        for cand, found in ex.p.failures.items():
            merged = tracker.p.failures[cand] + found
            merged.sort(key=lambda e: (str(type(e.rowid)), e.rowid))
            tracker.p.failures[cand] = merged[:EXAMPLES_KEPT]
    if on_rows:
        on_rows(min(rows, limit) if limit else rows)
    return TableProfile(table.name, rows, {t.p.name: t.finish() for t in trackers})


def _interrupt_on(conn: sqlite3.Connection, cancel: threading.Event | None) -> threading.Event:
    """Let a cancel interrupt a long SQLite scan (one aggregate can take a second or more)."""
    stopped = threading.Event()
    if cancel is None:
        return stopped

    def check() -> int:
        if cancel.is_set():
            stopped.set()
            return 1
        return 0

    conn.set_progress_handler(check, 200_000)
    return stopped


def _from_codes(conn: sqlite3.Connection, table: Table, names: list[str],
                trackers: list[_ColumnTracker], examples: list[_ColumnTracker],
                where: str, cancel: threading.Event | None) -> None:
    """The sampled rows (``where``) classified by SQLite in one scan (profile_sql): counts
    per code, the first rows of each code as failure examples, and the undecided values
    through the Python converters, which also keep the first few values seen."""
    src, loc = qi(table.name), row_locator_sql(table)
    got = conn.execute(profile_sql.counts_query(src, loc, names, where)).fetchone()
    sampled = got[0]
    per = 1 + 3 * len(profile_sql.CODES)
    undecided = [0] * len(names)
    fetch: list[tuple[int, int, Any, Any]] = []  # (column, code, first, last)
    for i, tracker in enumerate(trackers):
        p = tracker.p
        base = 1 + i * per
        p.sampled = sampled
        p.sample_nulls = got[base]
        for j, code in enumerate(profile_sql.CODES):
            n, first, last = got[base + 1 + 3 * j: base + 4 + 3 * j]
            if not n:
                continue
            if code == profile_sql.UNDECIDED:
                undecided[i] = n
                continue
            accepted, timed = profile_sql.EFFECTS[code]
            for cand in accepted:
                p.parses[cand] += n
            p.with_time += n if timed else 0
            fetch.append((i, code, first, last))
    # The sample's rows (after WHERE: a hash of the rowid, or a LIMIT) as a subquery.
    sample = f"(SELECT * FROM {src} {where})" if where else src
    found: list[list[tuple[Any, Any]]] = [[] for _ in names]
    for i, code, first, last in fetch:
        # The rowid range keeps this a b-tree range, not a scan.
        cond = f"({profile_sql.class_sql(names[i])}) = {code}"
        if not table.without_rowid:
            cond = f"rowid BETWEEN {int(first)} AND {int(last)} AND " + cond
        found[i] += conn.execute(f"SELECT {loc}, {qi(names[i])} FROM {sample} WHERE {cond} "
                                 f"LIMIT {EXAMPLES_KEPT}").fetchall()
    for i, rows_found in enumerate(found):
        # In row order: each candidate keeps its first few failures, as one by one would.
        for rowid, v in sorted(rows_found, key=lambda r: (str(type(r[0])), r[0])):
            examples[i].add(rowid, v)
    todo = [i for i, n in enumerate(undecided) if n]
    if todo:
        cols = [names[i] for i in todo]
        sub = profile_sql.coded(src, loc, cols, [qi(c) for c in cols], where)
        flags = " OR ".join(f"k{j} = {profile_sql.UNDECIDED}" for j in range(len(cols)))
        cur = conn.execute(f"SELECT * FROM {sub} WHERE {flags}")
        while batch := cur.fetchmany(5000):
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"profiling of {table.name} cancelled")
            for row in batch:
                for j, i in enumerate(todo):
                    if row[1 + j] == profile_sql.UNDECIDED:
                        trackers[i].collect(row[0], row[1 + len(cols) + j])
    _samples(conn, sample, loc, trackers)


def _samples(conn: sqlite3.Connection, sample: str, loc: str,
             trackers: list[_ColumnTracker]) -> None:
    """The first few sampled values with where they are (the wizard names their row), and,
    when there are at most 20, every distinct one."""
    for tracker in trackers:
        p, c = tracker.p, qi(tracker.p.name)
        if not p.sample_non_null:
            continue
        first = conn.execute(f"SELECT {loc}, {c} FROM {sample} WHERE {c} IS NOT NULL LIMIT 8")
        p.sample_rowids, p.samples = [], []
        for rowid, v in first:
            p.sample_rowids.append(rowid)
            p.samples.append(v)
        distinct = {v for (v,) in conn.execute(
            f"SELECT DISTINCT {c} FROM {sample} WHERE {c} IS NOT NULL LIMIT 21")}
        tracker.distinct = distinct if len(distinct) <= 20 else None


def profile_schema(path: str, schema: SourceSchema, *, limit: int | None = DEFAULT_SAMPLE_ROWS,
                   on_table: Callable[[str, int, int], None] | None = None,
                   cancel: threading.Event | None = None,
                   on_profile: Callable[[TableProfile], None] | None = None,
                   workers: int = 2) -> dict[str, TableProfile]:
    """Profile every table, ``workers`` at a time (each on its own connections; SQLite and
    Arrow release the GIL). ``on_profile`` hears each table's profile as soon as it is done;
    the result is in schema order. Text that is not valid UTF-8 is read losslessly."""
    from concurrent.futures import ThreadPoolExecutor

    def one(t: Table) -> TableProfile:
        cb = (lambda n, name=t.name, total=t.row_count: on_table(name, n, total)) if on_table else None
        conn = open_readonly(path, lossless_text=True)
        try:
            prof = profile_table(conn, t, limit=limit, on_rows=cb, cancel=cancel)
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
