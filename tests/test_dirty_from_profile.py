"""Dirt taken from the profile (every row, the same converters) equals a scan of every value,
for each converter on every column of the messy corpus, the demo and the edge values:
counts, alterations, and the first refused values with their rows and reasons."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from corpus import build_corpus
from test_profile_exact import EDGES

from sqlite2pg_tui.core.plan.mapping import ColumnMapping
from sqlite2pg_tui.core.source import dirty
from sqlite2pg_tui.core.source.demo_data import build_demo
from sqlite2pg_tui.core.source.inspection import inspect
from sqlite2pg_tui.core.source.reader import open_readonly, qi
from sqlite2pg_tui.core.values import converters

CONVERTERS = [("integer", {}), ("real", {}), ("boolean", {}), ("timestamp", {}),
              ("timestamptz", {}), ("date", {}), ("json", {}), ("date_dmy", {}),
              ("date_mdy", {}), ("uuid", {}), ("text", {}), ("text_clean", {}),
              ("varchar", {"length": 5}), ("varchar", {}), ("numeric", {})]


def _edges(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, a, s TEXT, w TEXT)")
    texts = [e for e in EDGES if isinstance(e, str)]
    conn.executemany("INSERT INTO t VALUES (?,?,?,?)", [
        (i + 1, e, texts[i % len(texts)], "2024-01-05 10:00:00.1234567" if i % 3 else "plain")
        for i, e in enumerate(EDGES)])
    conn.commit()
    conn.close()
    return path


def _one_by_one(conn: sqlite3.Connection, table: str, cm: ColumnMapping) -> tuple[int, int, list]:
    """Every value through the converter in rowid order (a scan may follow an index)."""
    fn = converters.build(cm.converter, cm.options)
    conv = converters.get(cm.converter)
    rejected = altered = 0
    first = []
    for rowid, v in conn.execute(f"SELECT rowid, {qi(cm.source)} FROM {qi(table)} ORDER BY rowid"):
        if v is None:
            continue
        try:
            got = fn(v)
        except converters.Reject as r:
            rejected += 1
            if len(first) < 5:
                first.append((rowid, v, r.reason))
            continue
        altered += bool(conv.alters and conv.altered(v, got))
    return rejected, altered, first


@pytest.mark.parametrize("build", [build_corpus, build_demo, _edges])
def test_dirt_from_the_profile_equals_a_scan(tmp_path: Path, build: object) -> None:
    path = str(build(tmp_path / "src.db"))  # type: ignore[operator]
    ins = inspect(path, limit=None)
    conn = open_readonly(path, lossless_text=True)
    used = 0
    for table in [t for t in ins.schema.tables if not t.without_rowid]:
        prof = ins.profiles[table.name]
        for col in table.columns:
            if col.generated:
                continue
            for conv, opts in CONVERTERS:
                cm = ColumnMapping(col.name, col.name, col.declared_type, "text", conv, dict(opts))
                fast = dirty.scan_column(path, table, cm, profile=prof)
                rejected, altered, first = _one_by_one(conn, table.name, cm)
                where = f"{table.name}.{col.name} via {conv} {opts}"
                assert (fast.rejected, fast.altered) == (rejected, altered), where
                assert [(e.rowid, e.value, e.reason) for e in fast.examples] == first, where
                used += dirty.from_profile(cm, prof.columns[col.name]) is not None
    conn.close()
    assert used  # the profile answered for some of them
