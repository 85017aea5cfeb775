"""Random tables (JSON nested and broken, dates real and impossible, categories, the edge
values) profiled by the Arrow engine, in batches of every size and with each text path,
equal the SQL engine's profile field by field."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from test_profile_corpus import _fields
from test_profile_exact import EDGES

from sqlite2pg_tui.core.source import profile_columnar, profile_text
from sqlite2pg_tui.core.source.profile import profile_table
from sqlite2pg_tui.core.source.profile_sqlite import profile_table_sql
from sqlite2pg_tui.core.source.reader import open_readonly, read_schema


def _json(rnd: random.Random, depth: int = 0) -> Any:
    kind = rnd.randrange(5 if depth < 3 else 3)
    if kind == 0:
        return rnd.choice([1, -2.5, "s", True, None, 'a"b', "é", 1e300])
    if kind == 1:
        return rnd.randrange(100)
    if kind == 2:
        return "x" * rnd.randrange(5)
    if kind == 3:
        return [_json(rnd, depth + 1) for _ in range(rnd.randrange(3))]
    return {f"k{i}": _json(rnd, depth + 1) for i in range(rnd.randrange(3))}


def _value(rnd: random.Random, kind: str) -> Any:
    r = rnd.random()
    if r < 0.1:
        return None
    if kind == "json":
        if r < 0.15:
            return rnd.choice(EDGES)
        text = json.dumps(_json(rnd), separators=rnd.choice([(",", ":"), (", ", ": ")]),
                          ensure_ascii=rnd.random() < 0.5)
        return text if rnd.random() < 0.95 else text[:-1]
    if kind == "date":
        if r < 0.15:
            return rnd.choice(EDGES)
        day = f"{rnd.randrange(1, 3000):04d}-{rnd.randrange(14):02d}-{rnd.randrange(33):02d}"
        return day + rnd.choice(["", " 10:00:00", "T00:00:00", " 23:59:59", "T24:00:00"])
    if kind == "category":
        return rnd.choice(["open", "closed", "ünï", "42", "yes", "2024-02-29", '{"a":1}', "x\x00y"]
                          if r < 0.3 else ["open", "closed", "pending"])
    return rnd.choice(EDGES)


@pytest.mark.parametrize("seed", range(12))
def test_random_tables_profile_as_the_sql_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 seed: int) -> None:
    rnd = random.Random(seed)
    cols = [(f"c{i}", rnd.choice(["json", "date", "category", "edge"]),
             rnd.choice(["TEXT", "DATETIME", "", "REAL", "VARCHAR(9)", "JSON"])) for i in range(4)]
    path = tmp_path / "r.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, "
                 + ", ".join(f"{n} {t}" for n, _, t in cols) + ")")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [
        (i + 1, *(_value(rnd, kind) for _, kind, _ in cols)) for i in range(rnd.randrange(1, 400))])
    conn.commit()
    conn.close()
    monkeypatch.setattr(profile_columnar, "BATCH_ROWS", rnd.choice([3, 17, 64, 32768]))
    monkeypatch.setattr(profile_text, "REMEMBERED", rnd.choice([2, 1 << 14]))
    monkeypatch.setattr(profile_text, "BY_DISTINCT_SHARE", rnd.choice([0.25, 1.0]))
    ro = open_readonly(str(path), lossless_text=True)
    try:
        table = read_schema(ro, str(path)).tables[0]
        new, old = profile_table(ro, table, limit=None), profile_table_sql(ro, table, limit=None)
        for name, p in old.columns.items():
            assert _fields(new.columns[name]) == _fields(p), (name, cols)
    finally:
        ro.close()
