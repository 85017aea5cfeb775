"""The Arrow profile equals the SQL engine's over every row (limit None: nothing sampled) on
the messy corpus and the demo database: every count, example, sample and extreme."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from corpus import build_corpus

from sqlite2pg_tui.core.errors import Cancelled
from sqlite2pg_tui.core.source.demo_data import build_demo
from sqlite2pg_tui.core.source.inspection import inspect, profile_into, read_source
from sqlite2pg_tui.core.source.profile import profile_table
from sqlite2pg_tui.core.source.profile_sqlite import profile_table_sql
from sqlite2pg_tui.core.source.reader import open_readonly, qi, read_schema


def _fields(p: object) -> dict[str, object]:
    d = dict(vars(p))
    d["failures"] = {k: [(e.rowid, e.reason, e.value) for e in v] for k, v in d["failures"].items()}
    # (the SQL engine took its samples in whatever order an index gave; compared apart)
    del d["samples"], d["sample_rowids"]
    return d


@pytest.mark.parametrize("build", [build_corpus, build_demo])
def test_arrow_profile_equals_the_sql_engine_on_every_row(tmp_path: Path, build: object) -> None:
    path = build(tmp_path / "src.db")  # type: ignore[operator]
    conn = open_readonly(path, lossless_text=True)
    try:
        tables = [t for t in read_schema(conn, str(path)).tables if not t.without_rowid]
        assert tables
        for t in tables:
            new = profile_table(conn, t, limit=None)
            old = profile_table_sql(conn, t, limit=None)
            assert new.rows == old.rows, t.name
            for name, p in old.columns.items():
                got = new.columns[name]
                assert _fields(got) == _fields(p), f"{t.name}.{name}"
                first = conn.execute(f"SELECT rowid, {qi(name)} FROM {qi(t.name)} WHERE "
                                     f"{qi(name)} IS NOT NULL ORDER BY rowid LIMIT 8").fetchall()
                assert list(zip(got.sample_rowids, got.samples, strict=True)) == first
    finally:
        conn.close()


def test_profiles_land_one_table_at_a_time(tmp_path: Path) -> None:
    path = build_demo(tmp_path / "shop.db")
    ins = read_source(path)
    assert ins.profiles == {} and not ins.complete
    blank = ins.profiles_or_blank()
    assert all(p.non_null == 0 for tp in blank.values() for p in tp.columns.values())
    seen: list[str] = []
    profile_into(ins, on_profile=lambda p: seen.append(p.name))
    assert sorted(seen) == sorted(t.name for t in ins.schema.tables) and ins.complete
    whole = inspect(path)
    for name, tp in whole.profiles.items():
        for col, p in tp.columns.items():
            assert _fields(ins.profiles[name].columns[col]) == _fields(p)


def test_cancel_stops_the_profile(tmp_path: Path) -> None:
    path = build_demo(tmp_path / "shop.db")
    ins = read_source(path)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        profile_into(ins, cancel=cancel)
