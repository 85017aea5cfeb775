"""Full-table checksums: every row's converted values, digested on both sides, order-free.

PostgreSQL digests in SQL; SQLite's side streams once through the very converters (and
on-error policies) the copy used, so a row the copy rejected is absent from both. A row's
digest is the md5 of its canonical text (see :mod:`canonical`); a table's digest is the
row count and two independent sums (the two halves of each md5) modulo 2**64. Sums, not
XOR: a duplicated row must change the digest, and sums subtract, so a range's right half
is its whole minus its left half.

On a mismatch the differing rows are found without loading either table:

* an integer key (the usual INTEGER PRIMARY KEY): bisect the key's range, digesting one
  half on both sides (the other is the difference), recursing into halves that differ,
  down to ranges of a few dozen rows that are then compared row by row;
* any other key, or none: rows are hashed into buckets by key (or, keyless, by the whole
  row), per-bucket digests compared in one grouped pass, and only the rows of differing
  buckets fetched. Without a key a changed row shows as one row missing and one extra.
"""

from __future__ import annotations

import gc
import hashlib
import os
import sqlite3
import struct
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from operator import methodcaller
from typing import Any

import psycopg2
from psycopg2 import sql

from sqlite2pg_tui.core.errors import SourceError
from sqlite2pg_tui.core.events import Log, OnEvent, ignore
from sqlite2pg_tui.core.plan.mapping import ColumnMapping, TableMapping
from sqlite2pg_tui.core.report import Mismatch
from sqlite2pg_tui.core.source.reader import open_readonly, qi, row_locator_sql
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.target.postgres import connect, plain_error, qualified
from sqlite2pg_tui.core.values import canonical, converters
from sqlite2pg_tui.core.values.canonical import SEP, Kind

try:  # the built-in md5 is ~40% faster than OpenSSL's for short rows (no EVP set-up)
    from _md5 import md5 as _md5
except ImportError:  # pragma: no cover - Pythons without the module
    _md5 = hashlib.md5

MOD = 2 ** 64
BATCH_ROWS = 10_000
LEAF_ROWS = 64  # ranges at most this big are compared row by row
MAX_RANGES = 400  # bisect gives up (reporting what it found) after visiting this many
MAX_ROWS_REPORTED = 10  # differing rows named per table
BUCKET_ROWS = 64  # target rows per bucket in the keyless / non-integer-key search
MAX_BUCKETS = 1 << 16
_digest = methodcaller("digest")


@dataclass
class Digest:
    rows: int = 0
    s1: int = 0
    s2: int = 0

    def __post_init__(self) -> None:
        self.s1 %= MOD
        self.s2 %= MOD

    def __add__(self, o: Digest) -> Digest:
        return Digest(self.rows + o.rows, self.s1 + o.s1, self.s2 + o.s2)

    def __sub__(self, o: Digest) -> Digest:
        return Digest(self.rows - o.rows, self.s1 - o.s1, self.s2 - o.s2)

    def hex(self) -> str:
        return f"{self.s1:016x}{self.s2:016x}"


@dataclass
class RowDifference:
    """One row that differs: by key (or, keyless, by content), with the differing columns."""

    key: Any
    kind: str  # "changed" | "missing" (in PostgreSQL) | "extra" (only in PostgreSQL) | "rejected"
    columns: list[tuple[str, str, str]] = field(default_factory=list)  # (column, sqlite, postgres)


@dataclass
class TableChecksum:
    source: str
    target: str
    match: bool | None = None
    sqlite: Digest = field(default_factory=Digest)
    postgres: Digest = field(default_factory=Digest)
    method: str = ""  # how differing rows are looked for: "key ranges" | "key buckets" | "row buckets"
    skipped_columns: list[str] = field(default_factory=list)  # types with no canonical form
    differences: list[RowDifference] = field(default_factory=list)
    complete: bool = True  # False when the search stopped before every difference was found
    ranges_visited: int = 0
    rows_fetched: int = 0  # rows read one by one (both sides) while locating differences
    seconds: float = 0.0
    error: str = ""

    @property
    def note(self) -> str:
        bits = []
        if self.error:
            bits.append(f"checksum could not be computed: {self.error}")
        if self.skipped_columns:
            bits.append("not in the checksum (no canonical form for their type): "
                        + ", ".join(self.skipped_columns))
        if self.match is False and self.method == "row buckets":
            bits.append("no primary key: a changed row shows as one missing and one extra row")
        if self.match is False and not self.complete:
            bits.append(f"more differences than the {len(self.differences)} row(s) listed")
        return "; ".join(bits)

    def mismatches(self) -> list[Mismatch]:
        out: list[Mismatch] = []
        for d in self.differences:
            if d.kind == "changed":
                out += [Mismatch(d.key, c, s, p) for c, s, p in d.columns]
            elif d.kind == "missing":
                out.append(Mismatch(d.key, "(row)", d.columns[0][1] if d.columns else "present",
                                    "missing"))
            elif d.kind == "extra":
                out.append(Mismatch(d.key, "(row)", "absent",
                                    d.columns[0][2] if d.columns else "present"))
            else:
                out.append(Mismatch(d.key, "(row)", "rejected", "present"))
        return out


# --- the table's columns, canonically ------------------------------------------------------

@dataclass
class _Col:
    cm: ColumnMapping
    kind: Kind
    canon: canonical.Canon
    convert: converters.Convert
    on_error: str  # reject | null (after NOT NULL made "null" impossible)
    fast: canonical.Fast | None
    fast_lossless: canonical.Fast | None


class TableCanon:
    """How one table's rows become canonical text, on either side."""

    def __init__(self, table: Table, tm: TableMapping, skip: set[str] | None = None) -> None:
        self.table = table
        self.tm = tm
        self.cols: list[_Col] = []
        self.skipped: list[str] = []
        for cm in tm.columns:
            if skip and cm.source in skip:
                self.skipped.append(f"{cm.target} (orphan keys set to NULL by the orphans policy)")
                continue
            kind = canonical.supports(cm)
            if kind is None:
                self.skipped.append(f"{cm.target} ({cm.pg_type})")
                continue
            try:
                src = table.column(cm.source)
                notnull = src.notnull or src.pk > 0
            except KeyError:
                notnull = False
            policy = "reject" if cm.on_error != "null" or notnull else "null"
            self.cols.append(_Col(cm, kind, canonical.canon(kind),
                                  converters.build(cm.converter, cm.options), policy,
                                  canonical.fast_formatter(cm, kind, False),
                                  canonical.fast_formatter(cm, kind, True)))
        by_source = {c.cm.source: i for i, c in enumerate(self.cols)}
        pk = table.primary_key
        self.key: list[int] = [by_source[c] for c in pk] if pk and all(c in by_source for c in pk) else []
        self.int_key: _Col | None = None
        if len(self.key) == 1 and converters.get(self.cols[self.key[0]].cm.converter).sql.integer \
                and canonical.is_int_kind(self.cols[self.key[0]].kind):
            self.int_key = self.cols[self.key[0]]

    # --- PostgreSQL ---

    def pg_row(self) -> sql.Composable:
        return canonical.pg_row([(c.cm.target, c.kind) for c in self.cols])

    def pg_key(self) -> sql.Composable:
        return canonical.pg_row([(self.cols[i].cm.target, self.cols[i].kind) for i in self.key])

    # --- SQLite ---

    def select(self, with_loc: bool) -> str:
        cols = [qi(c.cm.source) for c in self.cols]
        if with_loc:
            cols.insert(0, row_locator_sql(self.table))
        return f"SELECT {', '.join(cols) or 'NULL'} FROM {qi(self.table.name)}"

    def fields(self, rows: Sequence[tuple], offset: int, lossless: bool) -> tuple[list[list[str]], set[int]]:
        """Per column, the canonical text of every row; and the rows the copy rejects."""
        columns = list(zip(*rows, strict=True)) if rows else []
        rejected: set[int] = set()
        out: list[list[str]] = []
        for j, c in enumerate(self.cols):
            col = columns[offset + j]
            fast = c.fast_lossless if lossless else c.fast
            got = fast(col) if fast is not None else None
            if got is None:
                got = self._slow(c, col, rejected)
            out.append(got)
        return out, rejected

    @staticmethod
    def _slow(c: _Col, col: Sequence[Any], rejected: set[int]) -> list[str]:
        out: list[str] = []
        convert, canon_, null_policy = c.convert, c.canon, c.on_error == "null"
        for i, v in enumerate(col):
            if v is None:
                out.append("")
                continue
            try:
                out.append(canon_(convert(v)))
            except converters.Reject:
                if not null_policy:
                    rejected.add(i)
                out.append("")
        return out

    def convert_row(self, raw: Sequence[Any]) -> tuple[list[str], list[Any]] | None:
        """One row's canonical fields and converted values; None when the copy rejects it."""
        fields: list[str] = []
        values: list[Any] = []
        for c, v in zip(self.cols, raw, strict=True):
            if v is None:
                fields.append("")
                values.append(None)
                continue
            try:
                got = c.convert(v)
            except converters.Reject:
                if c.on_error != "null":
                    return None
                fields.append("")
                values.append(None)
                continue
            fields.append(c.canon(got))
            values.append(got)
        return fields, values


def _hashes(lines: list[str]) -> bytes:
    try:
        data = list(map(str.encode, lines))
    except UnicodeEncodeError:  # a lone surrogate PostgreSQL cannot hold: hash it all the same
        data = [s.encode("utf-8", "surrogatepass") for s in lines]
    return b"".join(map(_digest, map(_md5, data)))


def _sum_hashes(h: bytes) -> Digest:
    n = len(h) // 16
    vals = struct.unpack(f">{2 * n}q", h)
    return Digest(n, sum(vals[0::2]), sum(vals[1::2]))


# --- SQLite side ---------------------------------------------------------------------------

class _Sqlite:
    """A table's SQLite side: a read-only connection, lossless when the text needs it."""

    def __init__(self, path: str, tc: TableCanon, exclude: set[Any]) -> None:
        self.path = path
        self.tc = tc
        self.exclude = exclude  # locators PostgreSQL refused (from the reject file)
        self.lossless = False
        self.conn = open_readonly(path)

    def close(self) -> None:
        self.conn.close()

    def _retry(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except sqlite3.OperationalError as e:
            if self.lossless or "decode" not in str(e).lower():
                raise SourceError(f"cannot read table {self.tc.table.name}: {e}") from e
        # Invalid UTF-8 somewhere: read the text byte-exact, as the copy's converters did.
        self.conn.close()
        self.conn = open_readonly(self.path, lossless_text=True)
        self.lossless = True
        return fn()

    def _batches(self, where: str, params: Sequence[Any], with_loc: bool) -> Iterator[list[tuple]]:
        cur = self.conn.execute(f"{self.tc.select(with_loc)} {where}", params)
        while True:
            rows = cur.fetchmany(BATCH_ROWS)
            if not rows:
                return
            yield rows

    def digest(self, where: str = "", params: Sequence[Any] = ()) -> Digest:
        with _no_gc():
            return self._retry(lambda: self._digest(where, params))

    def _digest(self, where: str, params: Sequence[Any]) -> Digest:
        total = Digest()
        with_loc = bool(self.exclude)
        offset = 1 if with_loc else 0
        for rows in self._batches(where, params, with_loc):
            cols, rejected = self.tc.fields(rows, offset, self.lossless)
            if with_loc:
                rejected |= {i for i, r in enumerate(rows) if r[0] in self.exclude}
            lines = list(map(SEP.join, zip(*cols, strict=True))) if cols else [""] * len(rows)
            if rejected:
                lines = [s for i, s in enumerate(lines) if i not in rejected]
            total = total + _sum_hashes(_hashes(lines))
        return total

    def rows(self, where: str = "", params: Sequence[Any] = ()) -> list[tuple[Any, list[str] | None, list[Any], list[Any]]]:
        """(locator, canonical fields or None when rejected, converted values, raw values)."""
        return self._retry(lambda: self._rows(where, params))

    def _rows(self, where: str, params: Sequence[Any]) -> list[tuple[Any, list[str] | None, list[Any], list[Any]]]:
        out = []
        for rows in self._batches(where, params, True):
            for r in rows:
                if r[0] in self.exclude:
                    continue
                got = self.tc.convert_row(r[1:])
                if got is None:
                    out.append((r[0], None, [], list(r[1:])))
                else:
                    out.append((r[0], got[0], got[1], list(r[1:])))
        return out

    def buckets(self, mask: int) -> dict[int, Digest]:
        with _no_gc():
            return self._retry(lambda: self._buckets(mask))

    def _buckets(self, mask: int) -> dict[int, Digest]:
        acc: dict[int, list[int]] = {}
        with_loc = bool(self.exclude)
        offset = 1 if with_loc else 0
        key = self.tc.key
        for rows in self._batches("", (), with_loc):
            cols, rejected = self.tc.fields(rows, offset, self.lossless)
            if with_loc:
                rejected |= {i for i, r in enumerate(rows) if r[0] in self.exclude}
            lines = list(map(SEP.join, zip(*cols, strict=True))) if cols else [""] * len(rows)
            h = _hashes(lines)
            vals = struct.unpack(f">{2 * len(lines)}q", h)
            if key:
                keys = list(map(SEP.join, zip(*(cols[i] for i in key), strict=True)))
                bucket_of = [b & mask for b in struct.unpack(f">{len(keys)}i", b"".join(
                    d[:4] for d in map(_digest, map(_md5, map(str.encode, keys)))))]
            else:
                bucket_of = [b & mask for b in struct.unpack(f">{len(lines)}i", b"".join(
                    h[i:i + 4] for i in range(0, len(h), 16)))]
            for i, b in enumerate(bucket_of):
                if i in rejected:
                    continue
                a = acc.get(b)
                if a is None:
                    acc[b] = [1, vals[2 * i], vals[2 * i + 1]]
                else:
                    a[0] += 1
                    a[1] += vals[2 * i]
                    a[2] += vals[2 * i + 1]
        return {b: Digest(*a) for b, a in acc.items()}

    def rows_in_buckets(self, mask: int, wanted: set[int]) -> list[tuple[Any, list[str] | None, list[Any], list[Any]]]:
        return self._retry(lambda: self._rows_in_buckets(mask, wanted))

    def _rows_in_buckets(self, mask: int, wanted: set[int]) -> list[tuple[Any, list[str] | None, list[Any], list[Any]]]:
        out = []
        for loc, fields, values, raw in self._rows("", ()):
            if fields is None:
                if self.tc.key:
                    # A rejected row is named when PostgreSQL has its key anyway.
                    keytext = self._raw_key_text(raw)
                    if keytext is not None and _bucket(keytext, mask) in wanted:
                        out.append((loc, None, [], raw))
                continue
            if self.tc.key:
                b = _bucket(SEP.join(fields[i] for i in self.tc.key), mask)
            else:
                b = struct.unpack(">i", _md5(SEP.join(fields).encode("utf-8", "surrogatepass"))
                                  .digest()[:4])[0] & mask
            if b in wanted:
                out.append((loc, fields, values, raw))
        return out

    def _raw_key_text(self, raw: Sequence[Any]) -> str | None:
        parts = []
        for i in self.tc.key:
            c, v = self.tc.cols[i], raw[i]
            try:
                parts.append("" if v is None else c.canon(c.convert(v)))
            except converters.Reject:
                return None
        return SEP.join(parts)

    def bounds(self, column: str) -> tuple[Any, Any, bool]:
        """min, max of an integer key, and whether every key is stored as an integer."""
        t = qi(self.tc.table.name)
        c = qi(column)
        lo, hi = self.conn.execute(f"SELECT min({c}), max({c}) FROM {t}").fetchone()
        clean = self.tc.table.rowid_alias == column or self.conn.execute(
            f"SELECT NOT EXISTS (SELECT 1 FROM {t} WHERE typeof({c}) <> 'integer')").fetchone()[0]
        return lo, hi, bool(clean)


@contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic garbage collector off while rows stream: millions of short-lived tuples and
    strings (none in a cycle) otherwise trigger it over and over; a fifth of the time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _bucket(text: str, mask: int) -> int:
    return struct.unpack(">i", _md5(text.encode("utf-8", "surrogatepass")).digest()[:4])[0] & mask


# --- PostgreSQL side ---------------------------------------------------------------------------

class _Pg:
    def __init__(self, conn: Any, schema: str, tc: TableCanon) -> None:
        self.conn = conn
        self.tc = tc
        self.table = qualified(schema, tc.tm.target)
        self.row = tc.pg_row()
        with conn.cursor() as cur:
            cur.execute("SHOW server_encoding")
            utf8 = cur.fetchone()[0].upper() in ("UTF8", "UTF-8")
        # md5(text) hashes the server's bytes; Python hashes UTF-8.
        self.hash_of = (lambda e: sql.SQL("md5({})").format(e)) if utf8 else \
            (lambda e: sql.SQL("md5(convert_to({}, 'UTF8'))").format(e))

    def _one(self, q: sql.Composable, params: Sequence[Any] = ()) -> Any:
        with self.conn.cursor() as cur:
            cur.execute(q, params)
            return cur.fetchall()

    def digest(self, where: sql.Composable | None = None, params: Sequence[Any] = ()) -> Digest:
        where = where if where is not None else sql.SQL("")
        # OFFSET 0 keeps the md5 computed once per row (the planner would inline it twice).
        # The md5 read once as 128 bits, its halves summed as signed 64-bit integers (a fifth
        # faster than casting two hex substrings).
        q = sql.SQL(
            "SELECT count(*), coalesce(sum(substring(_b FROM 1 FOR 64)::bigint), 0), "
            "coalesce(sum(substring(_b FROM 65 FOR 64)::bigint), 0) "
            "FROM (SELECT ('x' || {h})::bit(128) AS _b FROM {t} {w} OFFSET 0) s").format(
                h=self.hash_of(self.row), t=self.table, w=where)
        n, s1, s2 = self._one(q, params)[0]
        return Digest(int(n), int(s1), int(s2))

    def buckets(self, mask: int) -> dict[int, Digest]:
        if self.tc.key:
            b = sql.SQL("(('x' || substr({}, 1, 8))::bit(32)::int & {})").format(
                self.hash_of(self.tc.pg_key()), sql.Literal(mask))
        else:
            b = sql.SQL("(('x' || substr(_s2p_h, 1, 8))::bit(32)::int & {})").format(sql.Literal(mask))
        # Names with a prefix no mapped column is likely to have: the row's columns are in scope.
        q = sql.SQL(
            "SELECT _s2p_b, count(*), sum(('x' || substr(_s2p_h, 1, 16))::bit(64)::bigint), "
            "sum(('x' || substr(_s2p_h, 17, 16))::bit(64)::bigint) FROM "
            "(SELECT _s2p_h, {b} AS _s2p_b FROM (SELECT {h} AS _s2p_h, * FROM {t} OFFSET 0) r) s "
            "GROUP BY _s2p_b").format(
                b=b, h=self.hash_of(self.row), t=self.table)
        return {int(r[0]): Digest(int(r[1]), int(r[2]), int(r[3])) for r in self._one(q)}

    def rows(self, where: sql.Composable, params: Sequence[Any] = ()) -> list[tuple[list[str], list[Any]]]:
        """(canonical fields, values) of the rows matching ``where``."""
        n = len(self.tc.cols)
        fields = [canonical.pg_expr(c.cm.target, c.kind) for c in self.tc.cols]
        values = [sql.Identifier(c.cm.target) for c in self.tc.cols]
        q = sql.SQL("SELECT {} FROM {} {}").format(
            sql.SQL(", ").join([sql.SQL("coalesce({}, '')").format(f) for f in fields] + values),
            self.table, where)
        return [(list(r[:n]), list(r[n:])) for r in self._one(q, params)]

    def rows_in_buckets(self, mask: int, wanted: set[int]) -> list[tuple[list[str], list[Any]]]:
        key = self.tc.pg_key() if self.tc.key else self.row
        b = sql.SQL("(('x' || substr({}, 1, 8))::bit(32)::int & {})").format(
            self.hash_of(key), sql.Literal(mask))
        return self.rows(sql.SQL("WHERE {} = ANY(%s)").format(b), [sorted(wanted)])

    def bounds(self, column: str) -> tuple[Any, Any]:
        c = sql.Identifier(column)
        return self._one(sql.SQL("SELECT min({c}), max({c}) FROM {t}").format(c=c, t=self.table))[0]


# --- locating the differing rows ----------------------------------------------------------------

show = converters.show  # one spelling of values for people, shared with verify and the wizard


class _Locator:
    def __init__(self, tc: TableCanon, s: _Sqlite, p: _Pg, result: TableChecksum) -> None:
        self.tc, self.s, self.p, self.r = tc, s, p, result

    def enough(self) -> bool:
        return len(self.r.differences) >= MAX_ROWS_REPORTED

    def _key_value(self, values: list[Any]) -> Any:
        vals = [values[i] for i in self.tc.key]
        if len(vals) == 1:
            return vals[0]
        return [v if isinstance(v, int | str | float | bool) or v is None else show(v) for v in vals]

    def compare(self, srows: list[tuple[Any, list[str] | None, list[Any], list[Any]]],
                prows: list[tuple[list[str], list[Any]]]) -> None:
        """Match rows by key (or content, keyless) and record the differences."""
        self.r.rows_fetched += len(srows) + len(prows)
        cols = self.tc.cols
        if not self.tc.key:
            self._compare_keyless(srows, prows)
            return
        by_key: dict[str, tuple[list[str], list[Any]]] = {}
        for fields, values in prows:
            by_key[SEP.join(fields[i] for i in self.tc.key)] = (fields, values)
        diffs: list[tuple[str, RowDifference]] = []
        for _loc, fields, values, raw in srows:
            if fields is None:
                keytext = self.s._raw_key_text(raw)
                if keytext is not None and keytext in by_key:
                    pf, pv = by_key.pop(keytext)
                    diffs.append((keytext, RowDifference(self._key_value(pv), "rejected")))
                continue
            keytext = SEP.join(fields[i] for i in self.tc.key)
            got = by_key.pop(keytext, None)
            if got is None:
                diffs.append((keytext, RowDifference(self._key_value(values), "missing")))
                continue
            pf, pv = got
            if pf != fields:
                diffs.append((keytext, RowDifference(self._key_value(values), "changed", [
                    (c.cm.target, show(sv), show(p))
                    for c, a, b, sv, p in zip(cols, fields, pf, values, pv, strict=True) if a != b])))
        for keytext, (_pf, pv) in by_key.items():
            diffs.append((keytext, RowDifference(self._key_value(pv), "extra")))
        diffs.sort(key=lambda d: _sort_key(d[1].key))
        for _, d in diffs:
            if self.enough():
                self.r.complete = False
                return
            self.r.differences.append(d)

    def _compare_keyless(self, srows: list[tuple[Any, list[str] | None, list[Any], list[Any]]],
                         prows: list[tuple[list[str], list[Any]]]) -> None:
        pg_count = Counter(SEP.join(f) for f, _ in prows)
        pg_values = {SEP.join(f): v for f, v in prows}
        for loc, fields, values, _raw in srows:
            if fields is None:
                continue
            line = SEP.join(fields)
            if pg_count[line] > 0:
                pg_count[line] -= 1
                continue
            if self.enough():
                self.r.complete = False
                return
            self.r.differences.append(RowDifference(
                loc, "missing", [("(row)", show(tuple(values)), "missing")]))
        for line, n in pg_count.items():
            for _ in range(n):
                if self.enough():
                    self.r.complete = False
                    return
                self.r.differences.append(RowDifference(
                    None, "extra", [("(row)", "absent", show(tuple(pg_values[line])))]))

    # --- integer key: bisect ---

    def bisect(self, whole_s: Digest, whole_p: Digest) -> bool:
        """False when the key is not usable for ranges (then buckets are used)."""
        key = self.tc.int_key
        assert key is not None
        slo, shi, clean = self.s.bounds(key.cm.source)
        if not clean:
            return False
        plo, phi = self.p.bounds(key.cm.target)
        los = [v for v in (slo, plo) if v is not None]
        his = [v for v in (shi, phi) if v is not None]
        if not los:
            return True
        self.r.method = "key ranges"
        self._visit(min(los), max(his) + 1, whole_s, whole_p)
        return True

    def _range_digests(self, lo: int, hi: int) -> tuple[Digest, Digest]:
        key = self.tc.int_key
        assert key is not None
        self.r.ranges_visited += 1
        ds = self.s.digest(f"WHERE {qi(key.cm.source)} >= ? AND {qi(key.cm.source)} < ?", (lo, hi))
        dp = self.p.digest(sql.SQL("WHERE {k} >= %s AND {k} < %s").format(
            k=sql.Identifier(key.cm.target)), (lo, hi))
        return ds, dp

    def _visit(self, lo: int, hi: int, ds: Digest, dp: Digest) -> None:
        # Depth first, lowest keys first: the rows reported are the first that differ.
        stack = [(lo, hi, ds, dp)]
        while stack:
            lo, hi, ds, dp = stack.pop()
            if ds == dp:
                continue
            if self.enough() or self.r.ranges_visited >= MAX_RANGES:
                self.r.complete = False
                return
            if max(ds.rows, dp.rows) <= LEAF_ROWS or hi - lo <= 1:
                self._leaf(lo, hi)
                continue
            mid = lo + (hi - lo) // 2
            ls, lp = self._range_digests(lo, mid)
            stack.append((mid, hi, ds - ls, dp - lp))  # the right half: whole minus left
            stack.append((lo, mid, ls, lp))

    def _leaf(self, lo: int, hi: int) -> None:
        key = self.tc.int_key
        assert key is not None
        srows = self.s.rows(f"WHERE {qi(key.cm.source)} >= ? AND {qi(key.cm.source)} < ?", (lo, hi))
        prows = self.p.rows(sql.SQL("WHERE {k} >= %s AND {k} < %s").format(
            k=sql.Identifier(key.cm.target)), (lo, hi))
        self.compare(srows, prows)

    # --- anything else: buckets ---

    def buckets(self, whole_s: Digest, whole_p: Digest) -> None:
        self.r.method = "key buckets" if self.tc.key else "row buckets"
        n = max(whole_s.rows, whole_p.rows) // BUCKET_ROWS
        size = 1
        while size < n and size < MAX_BUCKETS:
            size <<= 1
        mask = size - 1
        self.r.ranges_visited += 1
        sb, pb = self.s.buckets(mask), self.p.buckets(mask)
        differing = sorted(b for b in set(sb) | set(pb) if sb.get(b, Digest()) != pb.get(b, Digest()))
        # A few buckets at a time: each fetch is one pass over both tables.
        for start in range(0, len(differing), 8):
            if self.enough():
                self.r.complete = False
                return
            wanted = set(differing[start:start + 8])
            self.r.ranges_visited += len(wanted)
            self.compare(self.s.rows_in_buckets(mask, wanted), self.p.rows_in_buckets(mask, wanted))


def _sort_key(k: Any) -> tuple[int, str]:
    if isinstance(k, int):
        return (0, f"{k:+021d}")
    return (1, str(k))


# --- the whole thing -----------------------------------------------------------------------------

def checksum_table(source: str, pg_conn: Any, table: Table, tm: TableMapping, schema: str, *,
                   exclude: set[Any] | None = None, locate: bool = True,
                   pg_digest: Digest | None = None, sqlite_digest: Digest | None = None,
                   skip: set[str] | None = None) -> TableChecksum:
    """Digest one table on both sides; on a mismatch, find (some of) the differing rows.
    ``exclude``: locators of rows PostgreSQL legitimately lacks beyond those the converters
    reject (refused by PostgreSQL, removed as orphans); ``skip``: source columns left out."""
    start = time.perf_counter()
    res = TableChecksum(tm.source, tm.target)
    tc = TableCanon(table, tm, skip)
    res.skipped_columns = tc.skipped
    s = _Sqlite(source, tc, exclude or set())
    try:
        with pg_conn.cursor() as cur:
            cur.execute(canonical.PG_SESSION)
        p = _Pg(pg_conn, schema, tc)
        res.sqlite = sqlite_digest if sqlite_digest is not None else s.digest()
        res.postgres = pg_digest if pg_digest is not None else p.digest()
        res.match = res.sqlite == res.postgres
        if not res.match and locate:
            loc = _Locator(tc, s, p, res)
            if tc.int_key is None or not loc.bisect(res.sqlite, res.postgres):
                loc.buckets(res.sqlite, res.postgres)
    except psycopg2.Error as e:
        pg_conn.rollback()
        res.match, res.error = False, plain_error(e)
    except (ValueError, TypeError, OverflowError) as e:  # a value no canonical form expected
        res.match, res.error = False, f"{type(e).__name__}: {e}"
    finally:
        s.close()
        pg_conn.rollback()
        res.seconds = round(time.perf_counter() - start, 3)
    return res


PARALLEL_MIN_ROWS = 200_000  # below this, starting processes costs more than it saves
SLICE_ROWS = 100_000


def default_processes(total_rows: int) -> int:
    """SQLite's side is Python-bound (converters, canonical text, md5): on a large database it
    runs in worker processes, a rowid slice each, while PostgreSQL digests in its backends."""
    cpus = os.cpu_count() or 1
    if total_rows < PARALLEL_MIN_ROWS or cpus < 2:
        return 0
    return min(cpus, 4)


def _slices(source: str, table: Table) -> list[tuple[int | None, int | None]]:
    if table.without_rowid or table.row_count < 2 * SLICE_ROWS:
        return [(None, None)]
    conn = open_readonly(source)
    try:
        lo, hi = conn.execute(f"SELECT min(rowid), max(rowid) FROM {qi(table.name)}").fetchone()
    finally:
        conn.close()
    if lo is None:
        return [(None, None)]
    k = -(-table.row_count // SLICE_ROWS)
    step = max(1, -(-(hi - lo + 1) // k))
    return [(lo + i * step, lo + (i + 1) * step) for i in range(k)]


def _slice_digest(source: str, table: Table, tm: TableMapping, exclude: set[Any],
                  skip: set[str], lo: int | None, hi: int | None) -> Digest:
    """One slice of SQLite's side; runs in a worker process (module-level: it is pickled)."""
    s = _Sqlite(source, TableCanon(table, tm, skip), exclude)
    try:
        if lo is None:
            return s.digest()
        return s.digest("WHERE rowid >= ? AND rowid < ?", (lo, hi))
    finally:
        s.close()


def checksum_tables(source: str, dsn: str, pairs: list[tuple[Table, TableMapping]], schema: str, *,
                    exclude: dict[str, set[Any]] | None = None, locate: bool = True,
                    on_event: OnEvent = ignore, processes: int | None = None,
                    skip: dict[str, set[str]] | None = None) -> list[TableChecksum]:
    """Every table. PostgreSQL's digests run in threads (each its own connection and backend),
    SQLite's in worker processes (or this one, when small), so the sides overlap."""
    exclude = exclude or {}
    skip = skip or {}
    order = sorted(pairs, key=lambda p: -p[0].row_count)  # the longest work starts first
    nproc = default_processes(sum(t.row_count for t, _ in pairs)) if processes is None else processes

    def pg_side(table: Table, tm: TableMapping) -> Digest:
        conn = connect(dsn)
        try:
            with conn.cursor() as cur:
                cur.execute(canonical.PG_SESSION)
            return _Pg(conn, schema, TableCanon(table, tm, skip.get(tm.source))).digest()
        finally:
            conn.close()

    out: dict[str, TableChecksum] = {}
    pool: ProcessPoolExecutor | None = None
    with ThreadPoolExecutor(max_workers=max(1, min(3, len(pairs)))) as threads:
        pg_futures = {tm.source: threads.submit(pg_side, table, tm) for table, tm in order}
        sq_futures: dict[str, list[Future[Digest]]] = {}
        if nproc > 1:
            try:
                pool = ProcessPoolExecutor(max_workers=nproc, mp_context=get_context("spawn"))
                for table, tm in order:
                    sq_futures[tm.source] = [
                        pool.submit(_slice_digest, source, table, tm, exclude.get(tm.source, set()),
                                    skip.get(tm.source, set()), lo, hi)
                        for lo, hi in _slices(source, table)]
            except (OSError, RuntimeError, ValueError) as e:  # no processes here: stay in-process
                on_event(Log(f"checksum: worker processes unavailable ({e}); using one", "warning"))
                sq_futures = {}
        conn = connect(dsn)
        try:
            for table, tm in order:
                sqlite_digest = _gather(sq_futures.get(tm.source))
                try:
                    pg_digest = pg_futures[tm.source].result()
                except psycopg2.Error as e:
                    res = TableChecksum(tm.source, tm.target, match=False, error=plain_error(e))
                else:
                    res = checksum_table(source, conn, table, tm, schema,
                                         exclude=exclude.get(tm.source), locate=locate,
                                         pg_digest=pg_digest, sqlite_digest=sqlite_digest,
                                         skip=skip.get(tm.source))
                on_event(Log(f"checksum {tm.source}: "
                             + ("match" if res.match else "DIFFERENT" if res.match is False
                                else "not computed") + f" ({res.seconds:.1f}s)"))
                out[tm.source] = res
        finally:
            conn.close()
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    return [out[tm.source] for _, tm in pairs]


def _gather(futures: list[Future[Digest]] | None) -> Digest | None:
    """The sum of a table's slices; None (compute in-process) if the workers broke down."""
    if not futures:
        return None
    try:
        total = Digest()
        for f in futures:
            total = total + f.result()
        return total
    except SourceError:
        raise
    except (BrokenProcessPool, Exception):  # noqa: BLE001 - redone here, where it can be reported
        return None
