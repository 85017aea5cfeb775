"""Full-table checksums (see checksum.py): the digests, and a table's rows in canonical text."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import methodcaller
from typing import Any

from psycopg2 import sql

from sqlite2pg_tui.core.plan.mapping import ColumnMapping, TableMapping
from sqlite2pg_tui.core.report import Mismatch
from sqlite2pg_tui.core.source.reader import qi, row_locator_sql
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.values import canonical, converters
from sqlite2pg_tui.core.values.canonical import Kind

try:  # the built-in md5 is ~40% faster than OpenSSL's for short rows (no EVP set-up)
    from _md5 import md5
except ImportError:  # pragma: no cover - Pythons without the module
    md5 = hashlib.md5


MOD = 2 ** 64
BATCH_ROWS = 10_000
LEAF_ROWS = 64  # ranges at most this big are compared row by row
MAX_RANGES = 400  # bisect gives up (reporting what it found) after visiting this many
MAX_ROWS_REPORTED = 10  # differing rows named per table
BUCKET_ROWS = 64  # target rows per bucket in the keyless / non-integer-key search
MAX_BUCKETS = 1 << 16
md5_digest = methodcaller("digest")


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
class CanonColumn:
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
        self.cols: list[CanonColumn] = []
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
            self.cols.append(CanonColumn(cm, kind, canonical.canon(kind),
                                  converters.build(cm.converter, cm.options), policy,
                                  canonical.fast_formatter(cm, kind, False),
                                  canonical.fast_formatter(cm, kind, True)))
        by_source = {c.cm.source: i for i, c in enumerate(self.cols)}
        pk = table.primary_key
        self.key: list[int] = [by_source[c] for c in pk] if pk and all(c in by_source for c in pk) else []
        self.int_key: CanonColumn | None = None
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
    def _slow(c: CanonColumn, col: Sequence[Any], rejected: set[int]) -> list[str]:
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


def row_hashes(lines: list[str]) -> bytes:
    try:
        data = list(map(str.encode, lines))
    except UnicodeEncodeError:  # a lone surrogate PostgreSQL cannot hold: hash it all the same
        data = [s.encode("utf-8", "surrogatepass") for s in lines]
    return b"".join(map(md5_digest, map(md5, data)))


def sum_hashes(h: bytes) -> Digest:
    n = len(h) // 16
    vals = struct.unpack(f">{2 * n}q", h)
    return Digest(n, sum(vals[0::2]), sum(vals[1::2]))
