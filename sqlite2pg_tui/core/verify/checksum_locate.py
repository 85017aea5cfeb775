"""Full-table checksums (see checksum.py): finding the differing rows once the digests differ."""

from __future__ import annotations

from collections import Counter
from typing import Any

from psycopg2 import sql

from sqlite2pg_tui.core.source.reader import qi
from sqlite2pg_tui.core.values import converters
from sqlite2pg_tui.core.values.canonical import SEP
from sqlite2pg_tui.core.verify.checksum_digest import (
    BUCKET_ROWS,
    LEAF_ROWS,
    MAX_BUCKETS,
    MAX_RANGES,
    MAX_ROWS_REPORTED,
    Digest,
    RowDifference,
    TableCanon,
    TableChecksum,
)
from sqlite2pg_tui.core.verify.checksum_sides import (
    PgSide,
    SqliteSide,
)

# --- locating the differing rows ----------------------------------------------------------------

show = converters.show  # one spelling of values for people, shared with verify and the wizard


class Locator:
    def __init__(self, tc: TableCanon, s: SqliteSide, p: PgSide, result: TableChecksum) -> None:
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
        diffs.sort(key=lambda d: key_order(d[1].key))
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


def key_order(k: Any) -> tuple[int, str]:
    if isinstance(k, int):
        return (0, f"{k:+021d}")
    return (1, str(k))
