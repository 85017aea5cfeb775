"""The exact profile of a table from Arrow record batches: every row, no sampling.

Read: ``adbc-driver-sqlite`` reads the table as it is (one SELECT, in C). The driver
guesses each column's Arrow type from its first rows and, when a column mixes storage
classes, may silently print numbers or blobs as text or widen integers to doubles. So:
int64 columns are taken at their word (the driver fails on anything else); text-looking
and REAL columns (by declared type) are read through ``CASE typeof(c) WHEN 'text' …`` (or
'real'), another class showing as a marker; doubles holding whole values and any other
column get their storage class counted by one aggregate query (profile_settle). A column
found mixed is read again split by class (``CASE typeof(c) WHEN … END``, text as bytes),
exactly. A run that plans here keeps the batches of the raw read on disk for its copy
(spool.py), so the table is read from SQLite once.

Classify: each value gets its class code (profile_vector) a whole batch at a time (text
through profile_text: by its distinct values when they repeat). The counts per code give
the candidates' counts; the first rows of each code, fed to the Python converters, give
the failure examples in row order; the undecided values go through the Python converters
one by one, as before. JSON both parsers accept is known at once (profile_vector); other
JSON-looking text is settled by SQLite's json_valid() in one query over the rows that fail
it (profile_settle).

Tables run two at a time: SQLite steps and pyarrow kernels release the GIL.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlite2pg_tui.core.errors import SourceError
from sqlite2pg_tui.core.source import (
    profile_read,
    profile_settle,
    profile_sql,
    profile_text,
    profile_vector,
    spool,
)
from sqlite2pg_tui.core.source.profile import (
    EXAMPLES_KEPT,
    ColumnProfile,
    TableProfile,
    _ColumnTracker,
)
from sqlite2pg_tui.core.source.reader import qi
from sqlite2pg_tui.core.source.schema import Column, Table

if TYPE_CHECKING:
    import pyarrow as pa

# Rows per batch: about BATCH_BYTES of values by the first rows' sizes (a table of large
# blobs gets short batches), between MIN_BATCH_ROWS and BATCH_ROWS. Memory: a few times
# BATCH_BYTES a table at work, whatever its size.
BATCH_ROWS = 32_768
BATCH_BYTES = 4 << 20
MIN_BATCH_ROWS = 16
_SIZE_SAMPLE = 256
PENDING_KEPT = 64  # first JSON-looking rows kept, for examples once json_valid has spoken
SAMPLES_KEPT = 8
DISTINCT_KEPT = 20
_CLASSES = ("integer", "real", "text", "blob")
_RANK = {"integer": 0, "real": 0, "text": 1, "blob": 2}  # SQLite's order between classes


class _Redo(Exception):  # noqa: N818 - control flow: read the table split by class
    pass


_DriverError = profile_read.DriverError


def _lossless(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


class _Column:
    """What one column's batches add up to."""

    def __init__(self, name: str) -> None:
        self.tracker = _ColumnTracker(ColumnProfile(name))
        self.examples = _ColumnTracker(ColumnProfile(name))
        self.counts: Counter[int] = Counter()
        self.firsts: dict[int, list[tuple[Any, Any]]] = {}
        self.storage: Counter[str] = Counter()
        self.rows = self.nuls = self.longest = 0
        self.lo: tuple[Any, Any] | None = None  # (order key, value)
        self.hi: tuple[Any, Any] | None = None
        self.samples: list[tuple[Any, Any]] = []
        self.distinct: set[Any] | None = set()
        self.exact_length = True  # False: SQLite's length() must say (mixed, NUL, bad UTF-8)
        self.shape_order: list[int] = []  # profile_vector.text_codes keeps it
        self.impure = False  # raw read: another storage class hides in this column
        self.checked = False  # raw read: its storage class needs no counting in SQL
        self.arrow_class = ""  # raw read: the storage class the driver's type stands for
        self.at = 0  # raw read: its position in the batches (0: the rowid)
        self.wrap = ""  # raw read: the class it is read as, others showing as the marker
        self.distinct_text: profile_text.Distinct | None = profile_text.Distinct()  # None: by value

    def add(self, locs: pa.Array, parts: dict[str, pa.Array]) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        n = len(locs)
        self.rows += n
        merged = pa.nulls(n, pa.int8())
        values: dict[str, pa.Array] = {}  # per class, what value_at reads from
        uniques: dict[str, pa.Array] = {}  # per class, its distinct values when known
        bad_rows = None
        for cls, arr in parts.items():
            if arr.null_count == len(arr):
                continue
            self.storage[cls] += len(arr) - arr.null_count
            if cls == "text":
                raw = arr.cast(pa.binary()) if pa.types.is_string(arr.type) else arr
                got = None
                if self.distinct_text is not None:
                    got = self.distinct_text.measure(raw, self.shape_order)
                    if got is None:
                        if self.distinct_text.last > DISTINCT_KEPT:  # (no set to hash then)
                            self.distinct = None
                        self.distinct_text = None
                if got is None:
                    got = profile_text.by_value(raw, self.shape_order)
                codes = got.codes
                values["text"] = got.text
                uniques.update(got.distinct)
                if got.bad is not None:
                    values["bad"] = got.bad
                    bad_rows = pc.is_valid(got.bad)
                    self.exact_length = False
                if got.extremes is not None:
                    self._extremes(cls, got.extremes, got.longest, got.nuls)
            elif cls == "blob":
                values["blob"] = arr
                codes = profile_vector.blob_codes(arr)
                self._extremes(cls, arr, pc.max(pc.binary_length(arr)).as_py(),
                               profile_text.count_nuls(arr, profile_text.bytes_of(arr)))
            else:
                values[cls] = arr
                codes = (profile_vector.integer_codes(arr) if cls == "integer"
                         else profile_vector.real_codes(arr))
                self._extremes(cls, arr, 0, 0)
            # (one class in the batch, as in most: its codes are the batch's)
            merged = codes if merged.null_count == n else pc.coalesce(merged, codes)
        if bad_rows is not None:
            merged = pc.if_else(bad_rows, pa.scalar(profile_sql.UNDECIDED, pa.int8()), merged)
        if merged.null_count < n:
            self._tally(locs, merged, values, uniques)

    def _extremes(self, cls: str, arr: pa.Array, longest: int | None, nuls: int) -> None:
        """min/max in SQLite's order (text as its bytes) over ``arr``; for text and blobs,
        the values holding a NUL and the longest value."""
        import pyarrow.compute as pc

        if cls in ("text", "blob"):
            self.nuls += nuls
            if nuls and cls == "text":
                self.exact_length = False  # SQLite's length() stops at a NUL
            self.longest = max(self.longest, longest or 0)
        mm = pc.min_max(arr)
        lo, hi = mm["min"].as_py(), mm["max"].as_py()
        if lo is None:
            return
        if cls == "text":
            lo, hi = _lossless(lo), _lossless(hi)
        klo, khi = _order_key(cls, lo), _order_key(cls, hi)
        if self.lo is None or klo < self.lo[0]:
            self.lo = (klo, lo)
        if self.hi is None or khi > self.hi[0]:
            self.hi = (khi, hi)

    def _tally(self, locs: pa.Array, merged: pa.Array, values: dict[str, pa.Array],
               uniques: dict[str, pa.Array]) -> None:
        import pyarrow.compute as pc

        def value_at(i: int) -> Any:
            bad = values.get("bad")
            if bad is not None and bad[i].is_valid:
                return _lossless(bad[i].as_py())
            for cls in _CLASSES:
                a = values.get(cls)
                if a is not None and a[i].is_valid:
                    return a[i].as_py()
            return None

        mm = pc.min_max(merged)
        if mm["min"] == mm["max"]:  # one code in the batch, as in most: no hashing
            found = [(mm["min"].as_py(), len(merged) - merged.null_count)]
        else:
            found = [(item["values"].as_py(), item["counts"].as_py())
                     for item in pc.value_counts(merged.drop_null())]
        for code, count in found:
            self.counts[code] += count
            if code == profile_sql.UNDECIDED:
                for i in pc.indices_nonzero(pc.equal(merged, code)).to_pylist():
                    self.tracker.collect(locs[i].as_py(), value_at(i))
                continue
            want = PENDING_KEPT if code == profile_sql.JSON_PENDING else EXAMPLES_KEPT
            kept = self.firsts.setdefault(code, [])
            if len(kept) < want:
                for i in pc.indices_nonzero(pc.equal(merged, code))[: want - len(kept)].to_pylist():
                    kept.append((locs[i].as_py(), value_at(i)))
        if len(self.samples) < SAMPLES_KEPT:
            for i in pc.indices_nonzero(pc.is_valid(merged))[: SAMPLES_KEPT - len(self.samples)].to_pylist():
                self.samples.append((locs[i].as_py(), value_at(i)))
        if self.distinct is not None:
            for cls in (*_CLASSES, "bad"):
                a = values.get(cls)
                if a is None:
                    continue
                u = uniques[cls] if cls in uniques else pc.unique(a.drop_null())
                if len(u) > DISTINCT_KEPT:
                    self.distinct = None
                    return
                got = u.to_pylist()
                self.distinct.update(_lossless(b) for b in got) if cls == "bad" else (
                    self.distinct.update(got))
                if len(self.distinct) > DISTINCT_KEPT:
                    self.distinct = None
                    return

    def finish(self, rows: int) -> ColumnProfile:
        p = self.tracker.p
        p.rows = p.sampled = rows
        p.nulls = p.sample_nulls = rows - sum(self.storage.values())
        p.storage = {k: self.storage[k] for k in _CLASSES if self.storage[k]}
        p.nul_bytes = self.nuls
        if self.lo is not None and self.hi is not None:
            p.min, p.max = self.lo[1], self.hi[1]
        texts, blobs = self.storage["text"], self.storage["blob"]
        p.max_text_len = self.longest if texts else 0
        p.max_blob_len = self.longest if blobs else 0
        for code, n in self.counts.items():
            if code in (profile_sql.UNDECIDED, profile_sql.JSON_PENDING):
                continue
            accepted, timed = profile_sql.EFFECTS[code]
            for cand in accepted:
                p.parses[cand] += n
            p.with_time += n if timed else 0
        found = sorted((r for code, kept in self.firsts.items() if code != profile_sql.JSON_PENDING
                        for r in kept[:EXAMPLES_KEPT]), key=lambda r: (str(type(r[0])), r[0]))
        for loc, v in found:
            self.examples.collect(loc, v)
        for cand, ex in self.examples.p.failures.items():
            merged = p.failures[cand] + ex
            merged.sort(key=lambda e: (str(type(e.rowid)), e.rowid))
            p.failures[cand] = merged[:EXAMPLES_KEPT]
        p.samples = [v for _, v in self.samples]
        p.sample_rowids = [loc for loc, _ in self.samples]
        self.tracker.distinct = self.distinct
        return self.tracker.finish()


def _order_key(cls: str, v: Any) -> tuple[int, Any]:
    if cls == "text":
        return (1, v.encode("utf-8", "surrogateescape"))
    return (_RANK[cls], v)


_ARROW_CLASS = {"int64": "integer", "double": "real", "string": "text", "binary": "blob"}


def batch_rows(conn: sqlite3.Connection, table: Table, names: list[str]) -> int:
    """Rows per batch for about BATCH_BYTES of values, by the sizes of the first rows."""
    if not names:
        return BATCH_ROWS
    sizes = " + ".join(f"coalesce(length(CAST({qi(n)} AS BLOB)), 0)" for n in names)
    avg = conn.execute(f"SELECT avg({sizes}) FROM (SELECT {', '.join(map(qi, names))} "
                       f"FROM {qi(table.name)} LIMIT {_SIZE_SAMPLE})").fetchone()[0]
    per_row = 8 * (len(names) + 1) + (avg or 0)  # (+ the locator; numbers take 8 bytes)
    return min(BATCH_ROWS, max(MIN_BATCH_ROWS, int(BATCH_BYTES // per_row)))


def _read(path: str, query: str, on_batch: Callable[[pa.RecordBatch], None],
          cancel: threading.Event | None, rows: int, skip_first: bool = False,
          on_rows: Callable[[int], None] | None = None) -> None:
    """Each batch of ``query`` to ``on_batch`` (read ahead while it works: profile_read)."""
    first, done = skip_first, 0
    batches = profile_read.ahead(path, query, rows, cancel)
    try:
        for batch in batches:
            if first:
                batch, first = batch.slice(1), False
            if batch.num_rows:
                on_batch(batch)
                done += batch.num_rows
                if on_rows is not None:
                    on_rows(done)
    finally:
        batches.close()


def _split_sql(table: str, names: list[str]) -> str:
    """Each column split by storage class, after a row of typed constants (the driver
    takes each column's type from its first rows)."""
    witness = [f"{w} AS w{i}" for i, w in enumerate(["0"] + ["0", "0.0", "x''", "x''"] * len(names))]
    parts = ["rowid"]
    for n in names:
        c = qi(n)
        parts += [f"CASE typeof({c}) WHEN 'integer' THEN {c} END",
                  f"CASE typeof({c}) WHEN 'real' THEN {c} END",
                  f"CASE typeof({c}) WHEN 'text' THEN CAST({c} AS BLOB) END",
                  f"CASE typeof({c}) WHEN 'blob' THEN {c} END"]
    return f"SELECT {', '.join(witness)} UNION ALL SELECT {', '.join(parts)} FROM {qi(table)}"


# Text-looking columns are read as ``CASE typeof(c) WHEN 'text' THEN c … ELSE <marker> END``:
# a value of another class shows as the marker (no text holds it in practice; if one does,
# the column is only read again split by class), so no second scan has to count classes.
# REAL columns likewise, with a double no one stores (computed exactly, in SQL and here).
# The markers live in spool.py: the copy reading the spooled batches looks for them too.
def _wrap_class(col: Column) -> str | None:
    """The storage class a column is read as (others show as its marker): text for TEXT
    affinity and date/time types (NUMERIC affinity, yet mostly ISO text), real for REAL
    affinity (SQLite's rules, in their order)."""
    t = col.declared_type.upper()
    if "INT" in t:
        return None
    if any(k in t for k in ("CHAR", "CLOB", "TEXT", "DATE", "TIME")):
        return "text"
    if "BLOB" not in t and any(k in t for k in ("REAL", "FLOA", "DOUB")):
        return "real"
    return None


def _wrapped_sql(c: str, cls: str) -> str:
    return f"CASE typeof({c}) WHEN '{cls}' THEN {c} WHEN 'null' THEN NULL ELSE {spool.MARKERS[cls][1]} END"


def _holds_marker(a: pa.Array, cls: str) -> bool:
    import pyarrow.compute as pc

    if cls == "text" and not profile_text.count_nuls(a, profile_text.bytes_of(a)):
        return False  # (the text marker holds NULs)
    return bool(pc.any(pc.equal(a, spool.MARKERS[cls][0])).as_py())


def _scan_raw(path: str, table: Table, names: list[str], cancel: threading.Event | None,
              on_rows: Callable[[int], None] | None, rows: int,
              writer: spool.TableWriter | None = None) -> dict[str, _Column]:
    cols = {n: _Column(n) for n in names}
    wrapped = {c.name: w for c in table.columns if c.name in cols and (w := _wrap_class(c))}

    # INTEGER PRIMARY KEY is the rowid itself: read once, as the locator.
    alias = table.rowid_alias if table.rowid_alias in cols else None
    read = [n for n in names if n != alias]
    for i, n in enumerate(read):
        cols[n].at, cols[n].wrap = i + 1, wrapped.get(n, "")

    def on_batch(batch: pa.RecordBatch) -> None:
        if writer is not None:
            writer.write(batch)
        locs = batch.column(0)
        if alias is not None:
            cols[alias].arrow_class = "integer"
            cols[alias].add(locs, {"integer": locs})
        for i, n in enumerate(read):
            col = cols[n]
            if col.impure:
                continue
            a = batch.column(i + 1)
            if a.null_count == len(a):  # (typed as the driver pleases: nothing to read)
                col.add(locs, {})
                continue
            cls = _ARROW_CLASS.get(str(a.type))
            if cls is None or (col.arrow_class and col.arrow_class != cls) or (
                    n in wrapped and cls != wrapped[n]):
                raise _Redo(f"{n}: {a.type}")
            col.arrow_class = cls
            if n in wrapped and _holds_marker(a, cls):
                col.impure = True  # another class in a wrapped column: read it split
                continue
            col.add(locs, {cls: a})

    sel = ["rowid"]
    for n in read:
        c = qi(n)
        sel.append(_wrapped_sql(c, wrapped[n]) if n in wrapped else c)
    for n in wrapped:
        cols[n].checked = True
    try:
        _read(path, f"SELECT {', '.join(sel)} FROM {qi(table.name)}", on_batch, cancel, rows,
              on_rows=on_rows)
    except _DriverError as e:  # the driver's type guesses fail on some mixes: split instead
        raise _Redo(str(e)) from e
    return cols


def _scan_split(path: str, table: Table, names: list[str],
                cancel: threading.Event | None, rows: int) -> dict[str, _Column]:
    cols = {n: _Column(n) for n in names}

    def on_batch(batch: pa.RecordBatch) -> None:
        locs = batch.column(0)
        for i, n in enumerate(names):
            parts = {cls: batch.column(1 + 4 * i + j) for j, cls in enumerate(_CLASSES)}
            cols[n].add(locs, parts)

    try:
        _read(path, _split_sql(table.name, names), on_batch, cancel, rows, skip_first=True)
    except _DriverError as e:
        raise SourceError(f"cannot read table {table.name}: {e}") from e
    return cols


def _spooled(table: Table, cols: dict[str, _Column], mixed: list[str]
             ) -> dict[str, spool.SpooledColumn]:
    """The columns the copy may take from the spooled batches: the rowid alias, wrapped
    ones (a marker where another class hides), and those read as they are that hold one
    class (or only NULLs)."""
    out = {}
    for n, c in cols.items():
        if n == table.rowid_alias:
            out[n] = spool.SpooledColumn(0, "integer", False)
        elif c.wrap:  # (NULL throughout: typed as the driver pleased)
            out[n] = spool.SpooledColumn(c.at, c.wrap if c.arrow_class else "", c.impure)
        elif n not in mixed:
            out[n] = spool.SpooledColumn(c.at, c.arrow_class, False)
    return out


def profile_table_columnar(path: str, conn: sqlite3.Connection, table: Table, *,
                           cancel: threading.Event | None = None,
                           on_rows: Callable[[int], None] | None = None,
                           spooled: spool.Spool | None = None) -> TableProfile:
    """Profile every row of a rowid table. ``conn``: a read-only, lossless-text connection
    for the few SQL questions Arrow cannot answer. ``spooled``: where the batches read are
    kept for the copy (spool.py)."""
    names = [c.name for c in table.columns if not c.generated]
    if on_rows is not None:
        on_rows(0)
    if not names:
        return TableProfile(table.name, table.row_count, {})
    per_batch = batch_rows(conn, table, names)
    writer = spooled.writer(table.name) if spooled is not None else None
    try:
        cols = _scan_raw(path, table, names, cancel, on_rows, per_batch, writer)
        mixed, invalid_json = profile_settle.check(conn, table, cols)
        if writer is not None:
            writer.keep(_spooled(table, cols, mixed))
            writer = None
        if mixed:
            cols.update(_scan_split(path, table, mixed, cancel, per_batch))
    except _Redo:
        cols = _scan_split(path, table, names, cancel, per_batch)
        invalid_json = {}
    finally:
        if writer is not None:  # (the scan failed or was read again split)
            writer.discard()
    rows = cols[names[0]].rows
    profile_settle.settle_json(conn, table, cols, invalid_json)
    profile_settle.sql_lengths(conn, table, cols)
    return TableProfile(table.name, rows, {n: cols[n].finish(rows) for n in names})
