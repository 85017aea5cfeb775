"""Data-only loads into a schema shaped like the one an SQLAlchemy + Alembic application
makes (keys NOT DEFERRABLE, Interval as a DATETIME offset from 1970-01-01 in SQLite,
Time as text, composite primary keys), through the CLI as a user runs it."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg2.extensions
import pytest
from helpers import isolate_environment, make_sqlite, pg_all, run_cli

SQLITE = """
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,
  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
CREATE TABLE orders (id INTEGER NOT NULL, placed DATETIME NOT NULL, CONSTRAINT pk_orders PRIMARY KEY (id));
CREATE TABLE items (id INTEGER NOT NULL, name VARCHAR(40) NOT NULL, lead_time DATETIME,
  opens TIME, CONSTRAINT pk_items PRIMARY KEY (id));
CREATE TABLE order_lines (order_id INTEGER NOT NULL, line INTEGER NOT NULL,
  item_id INTEGER NOT NULL, qty NUMERIC(8, 3) NOT NULL,
  CONSTRAINT pk_order_lines PRIMARY KEY (order_id, line),
  CONSTRAINT fk_order_lines_order_id_orders FOREIGN KEY(order_id) REFERENCES orders (id),
  CONSTRAINT fk_order_lines_item_id_items FOREIGN KEY(item_id) REFERENCES items (id));
CREATE TABLE nodes (id INTEGER NOT NULL, parent_id INTEGER, CONSTRAINT pk_nodes PRIMARY KEY (id),
  CONSTRAINT fk_nodes_parent_id_nodes FOREIGN KEY(parent_id) REFERENCES nodes (id));
"""

PG = """
CREATE TABLE alembic_version (version_num varchar(32) NOT NULL,
  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
INSERT INTO alembic_version VALUES ('3f1c2b7a9d10');
CREATE TABLE orders (id serial, placed timestamptz NOT NULL, CONSTRAINT pk_orders PRIMARY KEY (id));
CREATE TABLE items (id serial, name varchar(40) NOT NULL, lead_time interval, opens time,
  CONSTRAINT pk_items PRIMARY KEY (id));
CREATE TABLE order_lines (order_id integer NOT NULL, line integer NOT NULL,
  item_id integer NOT NULL, qty numeric(8,3) NOT NULL,
  CONSTRAINT pk_order_lines PRIMARY KEY (order_id, line),
  CONSTRAINT fk_order_lines_order_id_orders FOREIGN KEY (order_id) REFERENCES orders (id),
  CONSTRAINT fk_order_lines_item_id_items FOREIGN KEY (item_id) REFERENCES items (id));
CREATE TABLE nodes (id serial, parent_id integer, CONSTRAINT pk_nodes PRIMARY KEY (id),
  CONSTRAINT fk_nodes_parent_id_nodes FOREIGN KEY (parent_id) REFERENCES nodes (id));
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    lines = [(o, n, (o + n) % 10 + 1, "1.500") for o in range(1, 51) for n in range(1, 4)]
    lines.append((999, 1, 1, "2.000"))  # its order is not in the file at all
    return make_sqlite(tmp_path / "app.db", SQLITE, {
        "alembic_version": [("3f1c2b7a9d10",)],
        "orders": [(o, f"2024-03-{o % 28 + 1:02d} 12:00:00.000000") for o in range(1, 51)],
        "items": [(i, f"item {i}", ["1970-01-01 00:00:05.000000", "1970-01-03 02:00:00.000000",
                                    "1969-12-31 23:59:59.000000", None][i % 4],
                   ["08:30:00.000000", None][i % 2]) for i in range(1, 11)],
        "order_lines": lines,
        # A self-reference written child first, a two-node loop, and an orphan (parent 77).
        "nodes": [(3, 2), (2, 1), (1, None), (4, 1), (5, 77), (6, 7), (7, 6)],
    })


@pytest.fixture
def target(pg_conn: psycopg2.extensions.connection) -> psycopg2.extensions.connection:
    with pg_conn.cursor() as cur:
        cur.execute(PG)
    pg_conn.commit()
    return pg_conn


def test_existing_tables_message_names_all_three_choices(
        source: Path, pg_dsn: str, target: psycopg2.extensions.connection,
        capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "run", str(source), "--pg", pg_dsn)
    assert res.code == 2
    for word in ("--if-exists truncate", "--if-exists append", "--if-exists replace",
                 "application's own migrations"):
        assert word in res.err
    assert res.err.index("truncate") < res.err.index("replace")


def test_truncate_loads_keys_not_deferrable_and_verify_agrees(
        source: Path, pg_dsn: str, target: psycopg2.extensions.connection, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    rej = tmp_path / "rej"
    res = run_cli(capsys, "run", str(source), "--pg", pg_dsn, "--if-exists", "truncate", "--reject-dir",
                  str(rej), "--report", str(tmp_path / "run.json"), "--sample", "500")
    assert res.code == 1, res.out + res.err  # done, with the two orphans rejected
    assert "DONE WITH REJECTS" in res.out
    assert pg_all(target, "SELECT count(*) FROM order_lines") == [(150,)]
    assert pg_all(target, "SELECT id, lead_time, opens FROM items WHERE id <= 4 ORDER BY id") == [
        (1, timedelta(days=2, hours=2), None), (2, timedelta(seconds=-1), time(8, 30)),
        (3, None, None), (4, timedelta(seconds=5), time(8, 30))]
    assert pg_all(target, "SELECT placed FROM orders WHERE id = 1") == [
        (datetime(2024, 3, 2, 12, tzinfo=UTC),)]
    assert pg_all(target, "SELECT DISTINCT qty FROM order_lines") == [(Decimal("1.500"),)]
    assert pg_all(target, "SELECT id FROM nodes ORDER BY id") == [(1,), (2,), (3,), (4,), (6,), (7,)]
    lines = [json.loads(x) for x in (rej / "order_lines.jsonl").read_text().splitlines()]
    assert [(x["rowid"], x["reason"].split(":")[0]) for x in lines] == [([999, 1], "orphan")]
    report = json.loads((tmp_path / "run.json").read_text())
    by_table = {t["source"]: t for t in report["tables"]}
    assert by_table["order_lines"]["sample_mismatches"] == 0 and by_table["order_lines"]["count_match"]
    assert all(c["ok"] for c in report["checks"]), [c for c in report["checks"] if not c["ok"]]

    # Standalone verify, later: the composite-key orphan is expected absent, nothing crashes.
    res = run_cli(capsys, "verify", str(source), "--pg", pg_dsn, "--reject-dir", str(rej),
                  "--report", str(tmp_path / "verify.json"), "--sample", "500")
    assert "Traceback" not in res.err
    report = json.loads((tmp_path / "verify.json").read_text())
    bad = [t for t in report["tables"] if not t["count_match"] or t["sample_mismatches"]]
    assert not bad, res.out
    assert all(c["ok"] for c in report["checks"]), res.out
    assert res.code == 1 and "DONE WITH REJECTS" in res.out  # the two orphans, nothing else


def test_a_new_alembic_revision_in_the_file_is_refused(
        source: Path, pg_dsn: str, target: psycopg2.extensions.connection,
        capsys: pytest.CaptureFixture[str]) -> None:
    conn = sqlite3.connect(source)
    conn.execute("UPDATE alembic_version SET version_num = '8e0d4c1b2a33'")
    conn.commit()
    conn.close()
    res = run_cli(capsys, "run", str(source), "--pg", pg_dsn, "--if-exists", "truncate")
    assert res.code == 2 and "Traceback" not in res.err
    assert "8e0d4c1b2a33" in res.err and "3f1c2b7a9d10" in res.err
    assert pg_all(target, "SELECT version_num FROM alembic_version") == [("3f1c2b7a9d10",)]


def test_a_cycle_of_keys_that_are_not_deferrable_loads_and_stays_not_deferrable(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    src = make_sqlite(tmp_path / "cycle.db", """
        CREATE TABLE authors (id INTEGER PRIMARY KEY, favorite_book_id INTEGER REFERENCES books (id));
        CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors (id));
    """, {"authors": [(a, 100 + a) for a in range(1, 51)] + [(51, 999)],
          "books": [(100 + b, b) for b in range(1, 51)]})
    with pg_conn.cursor() as cur:
        cur.execute("""
            CREATE TABLE authors (id serial PRIMARY KEY, favorite_book_id integer);
            CREATE TABLE books (id serial PRIMARY KEY, author_id integer NOT NULL REFERENCES authors (id));
            ALTER TABLE authors ADD CONSTRAINT fk_authors_favorite FOREIGN KEY (favorite_book_id)
              REFERENCES books (id);
        """)
    pg_conn.commit()
    from sqlite2pg_tui.core.pipeline import RunOptions, run_migration

    report = run_migration(str(src), pg_dsn, options=RunOptions(
        if_exists="append", reject_dir=str(tmp_path / "rej"), sample=100))
    assert pg_all(pg_conn, "SELECT count(*) FROM authors") == [(50,)]
    assert pg_all(pg_conn, "SELECT count(*) FROM books") == [(50,)]
    lines = [json.loads(x) for x in (tmp_path / "rej" / "authors.jsonl").read_text().splitlines()]
    assert [(x["rowid"], x["reason"].split(":")[0]) for x in lines] == [(51, "orphan")]
    assert report.table("books").ok and report.table("authors").count_match
    # The application's constraints are exactly as they were.
    assert pg_all(pg_conn, "SELECT conname, condeferrable FROM pg_constraint WHERE contype = 'f' "
                           "ORDER BY 1") == [("books_author_id_fkey", False), ("fk_authors_favorite", False)]


def test_a_table_that_fails_rolls_the_whole_load_back(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    src = make_sqlite(tmp_path / "f.db", """
        CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id), qty INTEGER);
    """, {"a": [(i, f"a{i}") for i in range(1, 11)],
          "b": [(i, i % 10 + 1, 0 if i <= 60 else 1) for i in range(1, 101)]})
    with pg_conn.cursor() as cur:  # a CHECK the SQLite file never had: PostgreSQL refuses 60 rows
        cur.execute("""
            CREATE TABLE a (id serial PRIMARY KEY, name text);
            CREATE TABLE b (id serial PRIMARY KEY, a_id int REFERENCES a (id), qty int CHECK (qty > 0));
            INSERT INTO a (name) VALUES ('kept');
        """)
    pg_conn.commit()
    from sqlite2pg_tui.cli.output import format_report
    from sqlite2pg_tui.core.pipeline import RunOptions, run_migration

    report = run_migration(str(src), pg_dsn, options=RunOptions(if_exists="truncate"))
    assert not report.ok
    assert "check constraint" in report.table("b").error
    assert report.table("a").error.startswith("not loaded: the load stopped at b")
    assert all(t.copied_rows == 0 for t in report.tables)
    text = format_report(report)
    assert all(" ok " not in ln for ln in text.splitlines() if ln.startswith(("a ", "b ")))
    # Emptying was part of the load: rolled back with it.
    assert pg_all(pg_conn, "SELECT name FROM a") == [("kept",)]
    assert pg_all(pg_conn, "SELECT count(*) FROM b") == [(0,)]
