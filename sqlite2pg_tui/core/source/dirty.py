"""Dirty values: the ones a column's chosen converter would refuse, with rowids.

Runs the very converter the copy will run, so what the review shows is what the copy does.
Where the profile tried that very converter (same options) on every row already, its counts
are the answer and the first refused values are only run through the converter again for
their reasons; clean text needs no scan either. Only the other columns are read.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlite2pg_tui.core.errors import Cancelled, SourceError
from sqlite2pg_tui.core.plan.mapping import ColumnMapping, TableMapping
from sqlite2pg_tui.core.source.profile import (
    EXAMPLES_KEPT,
    ColumnProfile,
    DirtyExample,
    TableProfile,
)
from sqlite2pg_tui.core.source.reader import iter_rows, open_readonly
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.values import converters


@dataclass
class ColumnDirt:
    column: str
    rejected: int = 0
    altered: int = 0
    examples: list[DirtyExample] = field(default_factory=list)



def from_profile(cm: ColumnMapping, p: ColumnProfile | None,
                 examples: int = EXAMPLES_KEPT) -> ColumnDirt | None:
    """The column's dirt as the profile of every row knows it, or None (scan it)."""
    if p is None or not p.complete:
        return None
    conv = converters.get(cm.converter)
    if {**conv.options, **cm.options} != conv.options:
        return None
    kind = conv.profile_dirt
    if kind == "parses" and cm.converter in p.parses:
        rejected = p.non_null - p.parses[cm.converter]
        fn = converters.build(cm.converter, cm.options)
        found = []
        for e in p.failures.get(cm.converter, [])[:examples]:
            try:
                fn(e.value)
            except converters.Reject as r:  # the converter's own words for the reason
                found.append(DirtyExample(e.rowid, e.value, r.reason))
        if len(found) != min(examples, rejected):
            return None
        return ColumnDirt(cm.source, rejected, p.altered.get(cm.converter, 0), found)
    clean = (p.nul_bytes == 0 and p.invalid_utf8 == 0 and "blob" not in p.storage)
    if kind == "clean" and clean:
        return ColumnDirt(cm.source)
    if kind == "clean_text" and clean and set(p.storage) <= {"text"}:
        length = {**conv.options, **cm.options}.get("length")
        if conv.limits == "length" and length is not None and p.max_text_len > int(length):
            return None
        return ColumnDirt(cm.source)
    return None


def scan_table(path: str, table: Table, tm: TableMapping, *,
               examples: int = EXAMPLES_KEPT, cancel: threading.Event | None = None,
               on_rows: Callable[[int, int], None] | None = None,
               profile: TableProfile | None = None) -> dict[str, ColumnDirt]:
    """Run each column's converter over every value; count rejects and alterations.
    ``cancel`` stops it between batches (Cancelled); ``on_rows(done, total)`` reports progress.
    With the table's ``profile``, the columns it answers for are not read (from_profile)."""
    known = {}
    if profile is not None and not table.without_rowid:  # (examples in rowid order)
        for cm in tm.columns:
            d = from_profile(cm, profile.columns.get(cm.source), examples)
            if d is not None:
                known[cm.source] = d
    cms = [cm for cm in tm.columns if cm.source not in known]
    if not cms:
        return {cm.source: known[cm.source] for cm in tm.columns}
    fns = [converters.build(c.converter, c.options) for c in cms]
    altered = [converters.get(c.converter).altered if converters.get(c.converter).alters else None
               for c in cms]
    out = {c.source: known.get(c.source) or ColumnDirt(c.source) for c in tm.columns}
    dirts = [out[c.source] for c in cms]
    for lossless in (False, True):
        conn = open_readonly(path, lossless_text=lossless)
        try:
            done = 0
            # Row order, not a covering index's: the first refused values are the first rows.
            order = "" if table.without_rowid else "ORDER BY rowid"
            for batch in iter_rows(conn, table, [c.source for c in cms], where=order):
                if cancel is not None and cancel.is_set():
                    raise Cancelled(f"scan of {table.name} cancelled")
                done += len(batch)
                if on_rows is not None:
                    on_rows(done, table.row_count)
                for row in batch:
                    rowid = row[0]
                    for i, v in enumerate(row[1:]):
                        if v is None:
                            continue
                        try:
                            got = fns[i](v)
                        except converters.Reject as r:
                            d = dirts[i]
                            d.rejected += 1
                            if len(d.examples) < examples:
                                d.examples.append(DirtyExample(rowid, v, r.reason))
                            continue
                        if altered[i] is not None and altered[i](v, got):
                            dirts[i].altered += 1
            return out
        except sqlite3.OperationalError as e:
            if lossless or "decode" not in str(e).lower():
                raise SourceError(f"cannot read table {table.name}: {e}") from e
            for d in dirts:
                d.rejected = d.altered = 0
                d.examples.clear()
        finally:
            conn.close()
    return out


def scan_column(path: str, table: Table, cm: ColumnMapping, *,
                examples: int = EXAMPLES_KEPT, profile: TableProfile | None = None) -> ColumnDirt:
    tm = TableMapping(source=table.name, target=table.name, columns=[cm])
    return scan_table(path, table, tm, examples=examples, profile=profile)[cm.source]
