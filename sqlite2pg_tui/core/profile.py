"""What each column really holds: one streaming pass over the data.

SQLite lets any column hold any storage class, so the declared type is a hint at best.
The profile counts storage classes and how many values each candidate converter accepts,
keeping a few rejected examples (with their rowid) per candidate, so inference and the
wizard can show a person exactly what would not fit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlite2pg_tui.core import converters
from sqlite2pg_tui.core.errors import SourceError
from sqlite2pg_tui.core.schema import SourceSchema, Table
from sqlite2pg_tui.core.sqlite_source import iter_rows, open_readonly

EXAMPLES_KEPT = 5
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

    @property
    def non_null(self) -> int:
        return self.rows - self.nulls

    def fits(self, candidate: str) -> bool:
        return self.non_null > 0 and self.parses.get(candidate, 0) == self.non_null

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


class _ColumnTracker:
    """Accumulates one column's profile; kept apart so the hot loop stays flat."""

    def __init__(self, name: str) -> None:
        self.p = ColumnProfile(name=name)
        self.fns: dict[str, Callable[[Any], Any]] = {
            c: converters.build(c, o) for c, o in CANDIDATES.items()}
        self.p.parses = dict.fromkeys(CANDIDATES, 0)
        self.p.failures = {c: [] for c in CANDIDATES}
        self.num_min: Any = None
        self.num_max: Any = None
        self.txt_min: str | None = None
        self.txt_max: str | None = None

    def add(self, rowid: Any, v: Any) -> None:
        p = self.p
        p.rows += 1
        if v is None:
            p.nulls += 1
            return
        kind = _STORAGE[type(v)]
        p.storage[kind] = p.storage.get(kind, 0) + 1
        if len(p.samples) < 8:
            p.samples.append(v)
        if p.distinct_small is not None:
            p.distinct_small.add(v)
            if len(p.distinct_small) > 20:
                p.distinct_small = None
        if kind == "text":
            n = len(v)
            if n > p.max_text_len:
                p.max_text_len = n
            if "\x00" in v:
                p.nul_bytes += 1
            if not v.isascii() and converters._has_surrogates(v):
                p.invalid_utf8 += 1
            if self.txt_min is None or v < self.txt_min:
                self.txt_min = v
            if self.txt_max is None or v > self.txt_max:
                self.txt_max = v
        elif kind == "blob":
            p.max_blob_len = max(p.max_blob_len, len(v))
        else:
            if self.num_min is None or v < self.num_min:
                self.num_min = v
            if self.num_max is None or v > self.num_max:
                self.num_max = v
        for cand, fn in self.fns.items():
            try:
                fn(v)
            except converters.Reject as r:
                ex = p.failures[cand]
                if len(ex) < EXAMPLES_KEPT:
                    ex.append(DirtyExample(rowid, v, r.reason))
                continue
            p.parses[cand] += 1
        if kind == "text" and p.parses["timestamptz"]:
            try:
                _, has_time, has_off = converters.parse_iso(v)
            except ValueError:
                return
            p.with_time += has_time
            p.with_offset += has_off

    def finish(self) -> ColumnProfile:
        p = self.p
        if self.num_min is not None:
            p.min, p.max = self.num_min, self.num_max
        else:
            p.min, p.max = self.txt_min, self.txt_max
        return p


def profile_table(conn: sqlite3.Connection, table: Table, *, limit: int | None = None,
                  on_rows: Callable[[int], None] | None = None) -> TableProfile:
    names = [c.name for c in table.columns if not c.generated]
    trackers = [_ColumnTracker(n) for n in names]
    where = f"LIMIT {int(limit)}" if limit else ""
    seen = 0
    try:
        for batch in iter_rows(conn, table, names, where=where):
            for row in batch:
                rowid = row[0]
                for tracker, v in zip(trackers, row[1:], strict=True):
                    tracker.add(rowid, v)
            seen += len(batch)
            if on_rows:
                on_rows(seen)
    except sqlite3.OperationalError as e:
        if "decode" in str(e).lower() and conn.text_factory is str:
            raise _NeedsLossless from e
        raise SourceError(f"cannot read table {table.name}: {e}") from e
    except sqlite3.DatabaseError as e:
        raise SourceError(f"cannot read table {table.name}: {e}") from e
    return TableProfile(table.name, seen, {t.p.name: t.finish() for t in trackers})


class _NeedsLossless(Exception):
    pass


def profile_schema(path: str, schema: SourceSchema, *, limit: int | None = None,
                   on_table: Callable[[str, int, int], None] | None = None) -> dict[str, TableProfile]:
    """Profile every table; text that is not valid UTF-8 is read losslessly, never dropped."""
    out: dict[str, TableProfile] = {}
    conn = open_readonly(path)
    lossless: sqlite3.Connection | None = None
    try:
        for t in schema.tables:
            total = min(t.row_count, limit) if limit else t.row_count
            cb = (lambda n, name=t.name, total=total: on_table(name, n, total)) if on_table else None
            try:
                out[t.name] = profile_table(conn, t, limit=limit, on_rows=cb)
            except _NeedsLossless:
                lossless = lossless or open_readonly(path, lossless_text=True)
                out[t.name] = profile_table(lossless, t, limit=limit, on_rows=cb)
    finally:
        conn.close()
        if lossless:
            lossless.close()
    return out
