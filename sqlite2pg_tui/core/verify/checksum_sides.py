"""Full-table checksums (see checksum.py): digesting on each side, SQLite's through the converters and PostgreSQL's in SQL."""

from __future__ import annotations

import gc
import sqlite3
import struct
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from psycopg2 import sql

from sqlite2pg_tui.core.errors import SourceError
from sqlite2pg_tui.core.source.reader import open_readonly, qi
from sqlite2pg_tui.core.target.postgres import qualified
from sqlite2pg_tui.core.values import canonical, converters
from sqlite2pg_tui.core.values.canonical import SEP
from sqlite2pg_tui.core.verify.checksum_digest import (
    BATCH_ROWS,
    Digest,
    TableCanon,
    md5,
    md5_digest,
    row_hashes,
    sum_hashes,
)

# --- SQLite side ---------------------------------------------------------------------------

class SqliteSide:
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
        with no_gc():
            return self._retry(lambda: self.md5_digest(where, params))

    def md5_digest(self, where: str, params: Sequence[Any]) -> Digest:
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
            total = total + sum_hashes(row_hashes(lines))
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
        with no_gc():
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
            h = row_hashes(lines)
            vals = struct.unpack(f">{2 * len(lines)}q", h)
            if key:
                keys = list(map(SEP.join, zip(*(cols[i] for i in key), strict=True)))
                bucket_of = [b & mask for b in struct.unpack(f">{len(keys)}i", b"".join(
                    d[:4] for d in map(md5_digest, map(md5, map(str.encode, keys)))))]
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
                    if keytext is not None and bucket_of(keytext, mask) in wanted:
                        out.append((loc, None, [], raw))
                continue
            if self.tc.key:
                b = bucket_of(SEP.join(fields[i] for i in self.tc.key), mask)
            else:
                b = struct.unpack(">i", md5(SEP.join(fields).encode("utf-8", "surrogatepass"))
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
def no_gc() -> Iterator[None]:
    """The cyclic garbage collector off while rows stream: millions of short-lived tuples and
    strings (none in a cycle) otherwise trigger it over and over; a fifth of the time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def bucket_of(text: str, mask: int) -> int:
    return struct.unpack(">i", md5(text.encode("utf-8", "surrogatepass")).digest()[:4])[0] & mask


# --- PostgreSQL side ---------------------------------------------------------------------------

class PgSide:
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
