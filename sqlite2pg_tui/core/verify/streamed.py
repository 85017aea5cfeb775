"""The SQLite side of the default checks, gathered while the columnar copy streams a table.

The default checks compare one aggregate query per table on each side (aggregates.py).
SQLite's side used to be a second full scan after the copy; here it is summed from the
batches the copy already holds, so verifying costs one query on PostgreSQL per table.

Each batch splits in two, as the copy splits it:
  * the clean rows (every column read as its form's storage class and accepted by the
    vectorized form): their aggregates come from Arrow compute over the raw arrays (and,
    for dates, over the converted ones, which are the same instants julianday() reads:
    the forms take only whole-second ISO shapes);
  * the rows refused and converted one by one that were not rejected: SQLite itself
    aggregates them with the very expressions of aggregates.py (``WHERE rowid IN …``),
    so odd values (a text in an INTEGER column, '2024-02-30') count exactly as in SQL.
Rejected rows are left out of both, as the checks leave them out. Partial results combine
(counts add, sums add, min/max of the parts), and anything that cannot be reproduced
exactly (an aggregate without a streamed form, an integer sum that could overflow, a
SQLite error) marks the table ``unknown``: its checks then scan SQLite as before.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlite2pg_tui.core.plan.mapping import TableMapping
from sqlite2pg_tui.core.source.reader import qi
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.core.verify.aggregates import _Agg, default_aggregates

if TYPE_CHECKING:
    import pyarrow as pa

_CHUNK = 500  # rowids per IN (…)
_INT_LIMIT = float(2**63 - 1)  # beyond it SQLite's sum() may overflow on the way: not streamed
_JULIAN_UNIX_MS = 210_866_760_000_000  # the Unix epoch in julianday()'s milliseconds
# Which storage class each streamed aggregate reads the raw arrays in.
_STORAGE = {"min": ("integer", "real", "text"), "max": ("integer", "real", "text"),
            "sum": ("integer",), "total": ("real",), "true": ("integer",),
            "julian_min": ("text",), "julian_max": ("text",), "length": ("text",),
            "length_rtrim": ("text",), "octets": ("blob",)}


def _add(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else a + b


def _least(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else min(a, b)


def _most(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else max(a, b)


def _combine(stream: str) -> Callable[[Any, Any], Any]:
    if stream in ("min", "julian_min"):
        return _least
    if stream in ("max", "julian_max"):
        return _most
    return _add


class StreamedAggregates:
    """One table's default aggregates, SQLite's side, built batch by batch during its copy.

    ``storages``: the storage class each of ``tm``'s columns is read in (its form's)."""

    def __init__(self, table: Table, tm: TableMapping, storages: list[str]) -> None:
        self.table = table
        self.aggs = default_aggregates(table, tm)
        self.index = {cm.source: j for j, cm in enumerate(tm.columns)}
        self.storages = storages
        self.excluded: set[Any] = set()  # locators of the rows the copy rejected
        self.unknown = ""  # why the stream cannot stand in for SQLite's query
        self._vals: list[Any] = [None] * len(self.aggs)
        self._scales: list[Any] = [None] * len(self.aggs)
        self._guards = [0] * len(self.aggs)
        self._bounds = [0.0] * len(self.aggs)  # integer sums: sum of |x| so far
        self._policy = [(cm.source, converters.build(cm.converter, cm.options))
                        for cm in (a.null_policy for a in self.aggs) if cm is not None]
        # Per column with on_error "null": the values its converter refused in copied rows.
        self.policy_nulls = {name: 0 for name, _fn in self._policy}
        for a in self.aggs:
            if a.stream not in ("rows", "nulls") and (
                    a.column is None or a.column.source not in self.index
                    or storages[self.index[a.column.source]] not in _STORAGE.get(a.stream, ())):
                self.unknown = f"no streamed form for {a.label}"

    # --- the clean rows: Arrow compute ----------------------------------------

    def add_clean(self, raw: list[pa.Array], converted: list[pa.Array],
                  keep: pa.Array | None) -> None:
        """The rows of a batch the forms accepted (``keep``; None: all of them)."""
        if self.unknown:
            return
        import pyarrow.compute as pc

        cache: dict[tuple[str, int], Any] = {}

        def col(kind: str, j: int) -> Any:
            if (kind, j) not in cache:
                arr = raw[j] if kind == "raw" else converted[j]
                cache[(kind, j)] = arr if keep is None else arr.filter(keep)
            return cache[(kind, j)]

        n = len(raw[0]) if keep is None else pc.sum(keep).as_py() or 0
        if not n:
            return
        for i, a in enumerate(self.aggs):
            j = self.index[a.column.source] if a.column is not None else -1
            got: Any
            if a.stream == "rows":
                got = n
            elif a.stream == "nulls":
                got = col("raw", j).null_count
            elif a.stream in ("min", "max"):
                got = pc.min_max(col("raw", j))[a.stream].as_py()
            elif a.stream == "sum":
                arr = col("raw", j)
                mm = pc.min_max(arr)
                if mm["min"].as_py() is None:
                    continue
                bound = max(abs(mm["min"].as_py()), abs(mm["max"].as_py())) * (
                    len(arr) - arr.null_count)
                if self._bounds[i] + bound >= _INT_LIMIT:  # large values: measure closer
                    bound = pc.sum(pc.abs(pc.cast(arr, "float64", safe=False))).as_py()
                self._bounds[i] += bound
                if self._bounds[i] >= _INT_LIMIT:
                    self.unknown = f"{a.label}: the sum may overflow"
                    return
                got = pc.sum(arr).as_py()
            elif a.stream == "total":
                arr = col("raw", j)
                got = pc.sum(arr).as_py() or 0.0
                self._scales[i] = _add(self._scales[i], pc.sum(pc.abs(arr)).as_py() or 0.0)
            elif a.stream == "true":
                got = pc.sum(pc.cast(pc.equal(col("raw", j), 1), "int64")).as_py() or 0
            elif a.stream in ("julian_min", "julian_max"):
                got = _julian(pc.min_max(col("converted", j))[a.stream[7:]])
            elif a.stream == "length":
                got = pc.sum(pc.utf8_length(col("raw", j))).as_py()
            elif a.stream == "length_rtrim":
                got = pc.sum(pc.utf8_length(pc.utf8_rtrim(col("raw", j), characters=" "))).as_py()
            else:  # octets
                got = pc.sum(pc.binary_length(col("raw", j))).as_py()
            self._vals[i] = _combine(a.stream)(self._vals[i], got)

    # --- the rows converted one by one: SQLite's own aggregates -----------------

    def add_rows(self, conn: sqlite3.Connection, rows: list[tuple], kept: list[Any]) -> None:
        """Rows read again and converted one by one (``rows``: rowid first, then the copy's
        columns): ``kept`` are the rowids that were copied, the rest were rejected."""
        keep = set(kept)
        self.excluded.update(r[0] for r in rows if r[0] not in keep)
        if self.unknown or not kept:
            return
        for name, fn in self._policy:  # refused by the converter, so NULL by the policy
            j = self.index[name] + 1
            nulled = 0
            for r in rows:
                if r[0] in keep and r[j] is not None:
                    try:
                        fn(r[j])
                    except converters.Reject:
                        nulled += 1
            self.policy_nulls[name] += nulled
        exprs: list[str] = []
        for a in self.aggs:
            bound = f"total(abs({qi(a.column.source)}))" if a.stream == "sum" and a.column else "0"
            exprs += [a.sqlite, a.scale_sqlite or "NULL", a.guard or "0", bound]
        for start in range(0, len(kept), _CHUNK):
            part = kept[start:start + _CHUNK]
            try:
                got = conn.execute(f"SELECT {', '.join(exprs)} FROM {qi(self.table.name)} "
                                   f"WHERE rowid IN ({', '.join(map(str, part))})").fetchone()
            except sqlite3.Error as e:  # an overflowing sum: the full query says it
                self.unknown = f"SQLite: {e}"
                return
            for i, a in enumerate(self.aggs):
                v, scale, guard, bound = got[4 * i:4 * i + 4]
                if a.stream == "total":  # total() is NULL only where its sum is NaN (inf - inf)
                    v = math.nan if v is None else v
                    scale = math.nan if scale is None and a.scale_sqlite else scale
                self._vals[i] = _combine(a.stream)(self._vals[i], v)
                self._scales[i] = _add(self._scales[i], scale)
                self._guards[i] += guard or 0
                self._bounds[i] += bound or 0.0
                if self._bounds[i] >= _INT_LIMIT:
                    self.unknown = f"{a.label}: the sum may overflow"
                    return

    def merge(self, other: StreamedAggregates) -> None:
        """Another range of the same table (load/ranges.py), gathered by its own stream."""
        self.unknown = self.unknown or other.unknown
        self.excluded |= other.excluded
        for name, n in other.policy_nulls.items():
            self.policy_nulls[name] = self.policy_nulls.get(name, 0) + n
        for i, a in enumerate(self.aggs):
            self._vals[i] = _combine(a.stream)(self._vals[i], other._vals[i])
            self._scales[i] = _add(self._scales[i], other._scales[i])
            self._guards[i] += other._guards[i]
            self._bounds[i] += other._bounds[i]
            if self._bounds[i] >= _INT_LIMIT:
                self.unknown = self.unknown or f"{a.label}: the sum may overflow"

    # --- what the checks read ---------------------------------------------------

    def row(self) -> dict[str, tuple[Any, Any, Any]] | None:
        """Per aggregate label, (value, scale, guard) as SQLite's query would give them;
        None when the stream cannot stand in for the query."""
        if self.unknown:
            return None
        out: dict[str, tuple[Any, Any, Any]] = {}
        for i, a in enumerate(self.aggs):
            v, scale = self._vals[i], self._scales[i]
            if a.stream == "total":
                v = _no_nan(v if v is not None else 0.0)
                scale = _no_nan(scale if scale is not None else 0.0)
            elif a.stream in ("rows", "nulls", "true"):
                v = v or 0
            out[a.label] = (v, scale, self._guards[i])
        return out


def _no_nan(v: float) -> float | None:
    return None if v != v else v  # SQLite's total() gives NULL where a sum is NaN (inf - inf)


def _julian(s: Any) -> float | None:
    """julianday() of an Arrow timestamp or date scalar, bit for bit: SQLite divides whole
    milliseconds since the Julian epoch by 86 400 000."""
    if not s.is_valid:
        return None
    import pyarrow as pa

    if pa.types.is_date32(s.type):
        ms = s.value * 86_400_000
    else:
        us = s.cast(pa.timestamp("us", tz=s.type.tz)).value
        ms = us // 1000
    return (ms + _JULIAN_UNIX_MS) / 86_400_000.0


__all__ = ["StreamedAggregates", "_Agg"]
