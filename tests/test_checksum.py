"""Full-table checksums: equal digests for a clean copy, and on a mismatch the differing rows
found by narrowing key ranges (or buckets), not by reading either table whole."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from corpus import scratch_database
from psycopg2 import sql

from sqlite2pg_tui.core.pipeline import RunOptions, plan_for, run_migration
from sqlite2pg_tui.core.plan.mapping import Mapping, TableMapping
from sqlite2pg_tui.core.source.schema import Table
from sqlite2pg_tui.core.verify import checksum
from sqlite2pg_tui.core.verify.checksum import LEAF_ROWS, checksum_table, checksum_tables

BIG = 50_000
SCHEMA = """
CREATE TABLE big(id INTEGER PRIMARY KEY, v TEXT NOT NULL, n INTEGER, at TEXT, f REAL);
CREATE TABLE codes(code TEXT PRIMARY KEY, label TEXT, qty INTEGER) WITHOUT ROWID;
CREATE TABLE log(kind TEXT, n INTEGER, at TEXT);
"""


@dataclass
class Db:
    src: Path
    dsn: str
    schema: str
    mapping: Mapping
    tables: dict[str, Table]

    def pair(self, name: str) -> tuple[Table, TableMapping]:
        return self.tables[name], self.mapping.table(name)

    def execute(self, stmt: str, params: tuple[Any, ...] = ()) -> None:
        conn = psycopg2.connect(self.dsn)
        try:
            with conn.cursor() as cur:
                cur.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
                cur.execute(stmt, params or None)
            conn.commit()
        finally:
            conn.close()

    def check(self, name: str, **kw: Any) -> checksum.TableChecksum:
        conn = psycopg2.connect(self.dsn)
        try:
            table, tm = self.pair(name)
            return checksum_table(str(self.src), conn, table, tm, self.schema, **kw)
        finally:
            conn.close()


@pytest.fixture(scope="module")
def server_db(pg_server_dsn: str) -> Iterator[str]:
    with scratch_database(pg_server_dsn) as dsn:
        yield dsn


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cksum") / "src.db"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    conn.executemany("INSERT INTO big VALUES (?,?,?,?,?)", (
        (i, f"value {i}", i * 3, f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:00:00", i / 7)
        for i in range(1, BIG + 1)))
    conn.executemany("INSERT INTO codes VALUES (?,?,?)", ((f"k{i:03d}", f"label {i}", i) for i in range(300)))
    conn.executemany("INSERT INTO log VALUES (?,?,?)", [("a", 1, "2024-01-01 00:00:00")] * 2
                     + [(k, i, f"2024-01-{1 + i % 28:02d} 00:00:00") for i, k in enumerate("bcdefgh" * 40)])
    conn.commit()
    conn.close()
    return path


def _migrate(source: Path, dsn: str, tables: set[str]) -> Db:
    """The source's ``tables`` migrated into a fresh schema (each test changes its own copy)."""
    schema = "c_" + uuid.uuid4().hex[:10]
    src_schema, mapping = plan_for(str(source), None)
    for tm in mapping.tables:
        tm.include = tm.source in tables
    report = run_migration(str(source), dsn, mapping,
                           options=RunOptions(schema=schema, checks=False, analyze=False))
    assert report.ok, report.to_json()
    return Db(source, dsn, schema, mapping, {t.name: t for t in src_schema.tables})


@pytest.fixture
def db(source: Path, server_db: str) -> Db:
    return _migrate(source, server_db, {"big"})


@pytest.fixture
def small(source: Path, server_db: str) -> Db:
    return _migrate(source, server_db, {"codes", "log"})


@pytest.fixture(scope="module")
def every(source: Path, server_db: str) -> Db:
    return _migrate(source, server_db, {"big", "codes", "log"})


def test_a_clean_copy_has_equal_digests(every: Db) -> None:
    db = every
    results = checksum_tables(str(db.src), db.dsn, [db.pair(n) for n in ("big", "codes", "log")],
                              db.schema, processes=0)
    assert [(r.source, r.match, r.sqlite.rows) for r in results] == [
        ("big", True, BIG), ("codes", True, 300), ("log", True, 282)]
    assert all(r.sqlite == r.postgres for r in results)


def test_worker_processes_give_the_same_digests(every: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    db = every
    # Small slices so the 50k-row table is split across the workers.
    monkeypatch.setattr(checksum, "SLICE_ROWS", 10_000)
    pairs = [db.pair(n) for n in ("big", "codes")]
    single = checksum_tables(str(db.src), db.dsn, pairs, db.schema, processes=0)
    multi = checksum_tables(str(db.src), db.dsn, pairs, db.schema, processes=2)
    assert [(r.match, r.sqlite) for r in multi] == [(r.match, r.sqlite) for r in single]
    assert all(r.match for r in multi)


def test_bisect_names_the_changed_row_without_reading_the_table(db: Db) -> None:
    db.execute("UPDATE big SET v = 'value 31337 (edited)' WHERE id = 31337")
    res = db.check("big")
    assert res.match is False and res.method == "key ranges"
    assert [(d.key, d.kind, d.columns) for d in res.differences] == [
        (31337, "changed", [("v", "'value 31337'", "'value 31337 (edited)'")])]
    # log2(50k / 64) ≈ 10 halvings, one digest query pair each; two small ranges read row by row.
    assert res.ranges_visited <= 20
    assert res.rows_fetched <= 2 * LEAF_ROWS
    assert res.complete


def test_bisect_finds_missing_and_extra_rows(db: Db) -> None:
    db.execute("DELETE FROM big WHERE id IN (100, 40000)")
    db.execute("INSERT INTO big (id, v, n) VALUES (60001, 'new', 1)")
    res = db.check("big")
    assert [(d.key, d.kind) for d in res.differences] == [
        (100, "missing"), (40000, "missing"), (60001, "extra")]
    assert res.rows_fetched <= 6 * LEAF_ROWS
    mism = {(m.locator, m.column, m.sqlite, m.postgres) for m in res.mismatches()}
    assert (100, "(row)", "present", "missing") in mism and (60001, "(row)", "absent", "present") in mism


def test_small_changes_in_every_type_are_seen(db: Db) -> None:
    db.execute("UPDATE big SET f = f + 1e-12 WHERE id = 7; "
               "UPDATE big SET at = at + interval '1 microsecond' WHERE id = 8; "
               "UPDATE big SET n = n + 1 WHERE id = 9")
    res = db.check("big")
    assert [(d.key, [c[0] for c in d.columns]) for d in res.differences] == [
        (7, ["f"]), (8, ["at"]), (9, ["n"])]


def test_many_differences_are_reported_up_to_a_limit(db: Db) -> None:
    db.execute("UPDATE big SET n = n + 1 WHERE id % 1000 = 0")
    res = db.check("big")
    assert len(res.differences) == checksum.MAX_ROWS_REPORTED
    assert res.complete is False and "more differences" in res.note
    assert [d.key for d in res.differences] == [1000 * i for i in range(1, 11)]  # the first ones


def test_text_key_found_through_buckets(small: Db) -> None:
    db = small
    db.execute("UPDATE codes SET qty = qty + 1 WHERE code = 'k042'")
    res = db.check("codes")
    assert res.method == "key buckets"
    assert [(d.key, d.columns) for d in res.differences] == [("k042", [("qty", "42", "43")])]
    assert res.rows_fetched < 300  # only the differing bucket's rows


def test_keyless_table_shows_a_changed_row_as_missing_and_extra(small: Db) -> None:
    db = small
    db.execute("UPDATE log SET n = 999 WHERE ctid = (SELECT ctid FROM log WHERE kind = 'c' AND n = 1)")
    res = db.check("log")
    assert res.match is False and res.method == "row buckets"
    assert sorted(d.kind for d in res.differences) == ["extra", "missing"]
    assert "no primary key" in res.note


def test_a_duplicated_row_changes_the_digest(small: Db) -> None:
    db = small
    """Sums, not XOR: an extra copy of an existing row must not cancel out."""
    db.execute("INSERT INTO log SELECT * FROM log WHERE kind = 'a' LIMIT 1")
    res = db.check("log")
    assert res.match is False
    assert [(d.kind, d.columns[0][2]) for d in res.differences] == [
        ("extra", "('a', 1, datetime.datetime(2024, 1, 1, 0, 0))")]


def test_rows_postgresql_refused_are_left_out_by_locator(db: Db) -> None:
    # As if PostgreSQL had refused row 5 during the copy: absent there, named in the report.
    db.execute("DELETE FROM big WHERE id = 5")
    assert db.check("big", locate=False).match is False
    assert db.check("big", exclude={5}).match is True
