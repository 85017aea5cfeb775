"""Dirty values: the ones a column's chosen converter would refuse, with rowids.

Runs the very converter the copy will run, so what the review shows is what the copy does.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlite2pg_tui.core.errors import Cancelled, SourceError
from sqlite2pg_tui.core.plan.mapping import ColumnMapping, TableMapping
from sqlite2pg_tui.core.source.profile import EXAMPLES_KEPT, DirtyExample
from sqlite2pg_tui.core.source.reader import iter_rows, open_readonly
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.values import converters


@dataclass
class ColumnDirt:
    column: str
    rejected: int = 0
    altered: int = 0
    examples: list[DirtyExample] = field(default_factory=list)


def scan_table(path: str, table: Table, tm: TableMapping, *,
               examples: int = EXAMPLES_KEPT, cancel: threading.Event | None = None,
               on_rows: Callable[[int, int], None] | None = None) -> dict[str, ColumnDirt]:
    """Run each column's converter over every value; count rejects and alterations.
    ``cancel`` stops it between batches (Cancelled); ``on_rows(done, total)`` reports progress."""
    cms = list(tm.columns)
    fns = [converters.build(c.converter, c.options) for c in cms]
    altered = [converters.get(c.converter).altered if converters.get(c.converter).alters else None
               for c in cms]
    out = {c.source: ColumnDirt(c.source) for c in cms}
    dirts = [out[c.source] for c in cms]
    for lossless in (False, True):
        conn = open_readonly(path, lossless_text=lossless)
        try:
            done = 0
            for batch in iter_rows(conn, table, [c.source for c in cms]):
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
                examples: int = EXAMPLES_KEPT) -> ColumnDirt:
    tm = TableMapping(source=table.name, target=table.name, columns=[cm])
    return scan_table(path, table, tm, examples=examples)[cm.source]
