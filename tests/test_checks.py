"""Verification that convinces: the default checks and the full-table checksum catch the
differences a row count cannot (a shifted timestamp, a flipped boolean, a truncated text,
a missing row, a changed number), name the row, and raise no false alarm on a clean
migration, dirty source (rejected rows, values set NULL by policy) included."""

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
from sqlite2pg_tui.core.plan.mapping import Mapping
from sqlite2pg_tui.core.report import Report
from sqlite2pg_tui.core.verify.aggregates import run_default_checks
from sqlite2pg_tui.core.verify.standalone import verify_only

SCHEMA = """
CREATE TABLE customers(id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT, vip BOOLEAN NOT NULL,
                       created TEXT NOT NULL, seen INTEGER, balance REAL, credit NUMERIC,
                       prefs TEXT, photo BLOB);
CREATE TABLE readings(id INTEGER PRIMARY KEY, qty INTEGER, taken TEXT, ok INTEGER, note TEXT);
"""


def build_shop(path: Path) -> Path:
    """Customers (every common type; id 30 holds the latest `created`) and readings, dirty:
    two rows the copy rejects and one value the policy sets NULL."""
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    conn.executemany("INSERT INTO customers VALUES (?,?,?,?,?,?,?,?,?,?)", [
        (i, f"c{i}@x.org", f"Customer {i}", int(i % 3 == 0), f"2024-01-{i:02d} 10:00:00",
         1700000000 + i * 3600, i * 1.25 + 0.1, f"{i}.50", f'{{"theme": "dark", "n": {i}}}',
         bytes([i, 0, 255])) for i in range(1, 31)])
    rows: list[tuple[Any, ...]] = [(i, i * 2, f"2024-02-{1 + i % 28:02d}T08:00:00", i % 2, f"n{i}")
                                   for i in range(1, 41)]
    rows[4] = (5, "five", "2024-02-05T08:00:00", 1, "bad qty")  # rejected
    rows[9] = (10, 10, "yesterday", 0, "bad time")  # rejected
    rows[14] = (15, 30, "2024-02-16T08:00:00", "maybe", "flag set NULL")  # nulled by policy
    conn.executemany("INSERT INTO readings VALUES (?,?,?,?,?)", rows)
    conn.commit()
    conn.close()
    return path


def shop_mapping(src: Path) -> Mapping:
    """The planned mapping with the choices a person would make: epoch seconds become
    timestamptz, credit exact numeric, the readings' 0/1 flag boolean with dirt set NULL."""
    _, m = plan_for(str(src), None)
    seen = m.table("customers").column("seen")
    seen.converter, seen.pg_type, seen.options = "epoch", "timestamptz", {"unit": "s"}
    credit = m.table("customers").column("credit")
    credit.converter, credit.pg_type = "numeric", "numeric(12,2)"
    ok = m.table("readings").column("ok")
    ok.converter, ok.pg_type, ok.on_error = "boolean", "boolean", "null"
    return m


@dataclass
class Shop:
    src: Path
    dsn: str
    mapping: Mapping
    work: Path

    def migrate(self, **opts: Any) -> tuple[str, Report]:
        """A fresh migration into a schema of its own (tests plant differences in it)."""
        schema = "s_" + uuid.uuid4().hex[:10]
        opts.setdefault("reject_dir", str(self.work / schema))
        report = run_migration(str(self.src), self.dsn, self.mapping,
                               options=RunOptions(schema=schema, **opts))
        return schema, report

    def execute(self, schema: str, stmt: str) -> None:
        conn = psycopg2.connect(self.dsn)
        try:
            with conn.cursor() as cur:
                cur.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
                cur.execute(stmt)
            conn.commit()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def shop(pg_server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    work = tmp_path_factory.mktemp("shop")
    src = build_shop(work / "shop.db")
    with scratch_database(pg_server_dsn) as dsn:
        yield Shop(src, dsn, shop_mapping(src), work)


def _failed(report: Report) -> list[str]:
    return [c["name"] for c in report.checks if not c["ok"]]


def test_clean_migration_passes_every_check_dirty_table_included(shop: Shop) -> None:
    schema, report = shop.migrate(full=True)
    readings = report.table("readings")
    assert readings.rejected_rows == 2 and readings.nulled_by_column == {"ok": 1}
    assert _failed(report) == []
    defaults = [c for c in report.checks if c["kind"] == "default"]
    names = {c["name"] for c in defaults}
    # More than a row count, for every kind of column.
    assert {"customers: rows", "customers: min(id)", "customers: max(id)", "customers: sum(balance)",
            "customers: sum(credit)", "customers: true(vip)", "customers: max(created)",
            "customers: min(seen)", "customers: length(name)", "customers: length(photo)",
            "customers: nulls(prefs)", "readings: nulls(ok)", "readings: sum(qty)"} <= names
    # The NULL the policy made is accounted for, not hidden.
    nulls_ok = next(c for c in defaults if c["name"] == "readings: nulls(ok)")
    assert "set to NULL" in nulls_ok["note"]
    assert all(c.keys() >= {"name", "ok", "sqlite_rows", "pg_rows", "first_difference"}
               for c in report.checks)
    assert [(t.source, t.checksum_match) for t in report.tables] == [("customers", True),
                                                                      ("readings", True)]
    assert "checksum" in report.phases_s


def test_rejected_rows_found_again_without_the_reject_file(shop: Shop) -> None:
    # No reject dir at all: the converters are run again to leave out the same rows.
    schema, report = shop.migrate(reject_dir=None, full=True)
    assert report.table("readings").rejected_rows == 2
    assert _failed(report) == []
    assert report.table("readings").checksum_match is True


PLANTED = [
    # (what, PostgreSQL statement, the default check it trips, key, column)
    ("shifted timestamp", "UPDATE customers SET created = created + interval '1 hour' WHERE id = 30",
     "customers: max(created)", 30, "created"),
    ("flipped boolean", "UPDATE customers SET vip = NOT vip WHERE id = 11", "customers: true(vip)",
     11, "vip"),
    ("truncated text", "UPDATE customers SET name = left(name, 3) WHERE id = 13",
     "customers: length(name)", 13, "name"),
    ("missing row", "DELETE FROM customers WHERE id = 17", "customers: rows", 17, "(row)"),
    ("changed number", "UPDATE customers SET balance = balance + 0.01 WHERE id = 19",
     "customers: sum(balance)", 19, "balance"),
    ("changed epoch time", "UPDATE customers SET seen = seen + interval '1 second' WHERE id = 30",
     "customers: max(seen)", 30, "seen"),
    ("changed json", """UPDATE customers SET prefs = '{"theme": "light", "n": 4}' WHERE id = 4""",
     None, 4, "prefs"),
    ("changed bytes", "UPDATE customers SET photo = '\\x00'::bytea WHERE id = 6",
     "customers: length(photo)", 6, "photo"),
]


@pytest.mark.parametrize(("what", "stmt", "check", "key", "column"), PLANTED, ids=[p[0] for p in PLANTED])
def test_planted_difference_is_caught_and_its_row_named(shop: Shop, what: str, stmt: str,
                                                        check: str | None, key: int, column: str) -> None:
    schema, _ = shop.migrate()
    shop.execute(schema, stmt)
    report = verify_only(str(shop.src), shop.dsn, shop.mapping, schema=schema, full=True,
                         reject_dir=str(shop.work / schema))
    assert report.ok is False
    failed = _failed(report)
    if check is not None:
        assert check in failed, failed
    customers = report.table("customers")
    assert customers.checksum_match is False
    assert (key, column) in {(m.locator, m.column) for m in customers.mismatches}
    assert report.table("readings").checksum_match is True  # no false alarm next door


def test_a_middle_row_shifted_is_found_by_the_checksum_alone(shop: Shop) -> None:
    """Not the earliest nor the latest: every default check still agrees."""
    schema, _ = shop.migrate()
    shop.execute(schema, "UPDATE customers SET created = created + interval '1 hour' WHERE id = 7")
    plain = verify_only(str(shop.src), shop.dsn, shop.mapping, schema=schema)
    assert [c for c in _failed(plain)] == []
    full = verify_only(str(shop.src), shop.dsn, shop.mapping, schema=schema, full=True)
    mismatch = [m for m in full.table("customers").mismatches if m.column == "created"]
    assert [(m.locator, m.sqlite, m.postgres) for m in mismatch] == [
        (7, "2024-01-07 10:00:00", "2024-01-07 11:00:00")]


def test_difference_shown_side_by_side(shop: Shop) -> None:
    schema, _ = shop.migrate()
    shop.execute(schema, "UPDATE customers SET vip = NOT vip WHERE id = 11")
    report = verify_only(str(shop.src), shop.dsn, shop.mapping, schema=schema)
    check = next(c for c in report.checks if c["name"] == "customers: true(vip)")
    assert check["first_difference"] == {"row": 0, "sqlite": [10], "postgres": [11]}


def test_an_added_row_in_a_dirty_table_is_not_excused_by_its_rejects(shop: Shop) -> None:
    schema, _ = shop.migrate()
    # Row 5 was rejected (qty 'five'); PostgreSQL having it now is a difference.
    shop.execute(schema, "INSERT INTO readings (id, qty, taken, ok, note) "
                         "VALUES (5, 5, '2024-02-05 08:00:00', true, 'bad qty')")
    report = verify_only(str(shop.src), shop.dsn, shop.mapping, schema=schema, full=True,
                         reject_dir=str(shop.work / schema))
    assert "readings: rows" in _failed(report)
    assert (5, "(row)") in {(m.locator, m.column) for m in report.table("readings").mismatches}


def test_default_checks_api_one_query_per_table(shop: Shop) -> None:
    schema, report = shop.migrate(checks=False)
    assert report.checks == []
    table_pairs = [(t, tm) for t in plan_for(str(shop.src), shop.mapping)[0].tables
                   for tm in shop.mapping.included if tm.source == t.name]
    results = run_default_checks(str(shop.src), shop.dsn, table_pairs, schema,
                                 exclude={"readings": {5, 10}})
    assert results and all(r.ok for r in results), [r for r in results if not r.ok]


@pytest.mark.parametrize("with_reject_file", [True, False])
def test_orphans_removed_by_policy_are_expected_not_alarms(tmp_path: Path, pg_dsn: str,
                                                           with_reject_file: bool) -> None:
    """orphans = "reject" deletes child rows in PostgreSQL after the copy. With the reject
    file they are left out on SQLite's side by key; without it they cannot be told apart,
    and the differences they cause are reported as expected, with the reason."""
    src = tmp_path / "fk.db"
    conn = sqlite3.connect(src)
    conn.executescript("CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT);"
                       "CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER "
                       "REFERENCES parent(id), v TEXT);")
    conn.executemany("INSERT INTO parent VALUES (?, ?)", [(i, f"p{i}") for i in (1, 2, 3)])
    conn.executemany("INSERT INTO child VALUES (?, ?, ?)",
                     [(i, p, f"c{i}") for i, p in enumerate((1, 2, 3, 9, 1, 2), 1)])
    conn.commit()
    conn.close()
    _, mapping = plan_for(str(src), None)
    mapping.orphans = "reject"
    reject_dir = str(tmp_path / "rej") if with_reject_file else None
    report = run_migration(str(src), pg_dsn, mapping,
                           options=RunOptions(reject_dir=reject_dir, full=True))
    child = report.table("child")
    assert child.rejected_rows == 1 and child.target_rows == 5
    assert _failed(report) == []
    notes = [c["note"] for c in report.checks if c["name"].startswith("child:") and c.get("note")]
    if with_reject_file:
        assert child.checksum_match is True and notes == []
    else:
        assert notes and all("expected difference" in n for n in notes)
        assert "expected difference" in child.checksum_note
    assert report.table("parent").checksum_match is True
