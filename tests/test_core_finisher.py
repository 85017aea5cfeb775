"""Each table is finished (keys, CHECKs, indexes, sequence, statistics) as soon as its copy
commits, on a connection of its own, while the next table is still being copied."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import psycopg2
import psycopg2.extensions
import pytest
from helpers import isolate_environment, make_sqlite, pg_one

from sqlite2pg_tui.core.events import Event, PhaseStarted, TableStarted
from sqlite2pg_tui.core.pipeline import RunOptions, run_migration

BIG = 30_000


@pytest.fixture
def src(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate_environment(monkeypatch, tmp_path)
    return make_sqlite(tmp_path / "shop.db", f"""
        CREATE TABLE big(id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL UNIQUE,
                         n INTEGER CHECK (n >= 0));
        CREATE INDEX big_n ON big(n);
        CREATE TABLE small(id INTEGER PRIMARY KEY, big_id INTEGER REFERENCES big(id), label TEXT);
        WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT {BIG})
        INSERT INTO big(id, code, n) SELECT x, 'c' || x, x % 100 FROM c;
        INSERT INTO small VALUES (1, 1, 'one'), (2, 2, 'two');
        CREATE TABLE tiny(id INTEGER PRIMARY KEY);
        INSERT INTO tiny VALUES (1);
    """)


def _objects(conn: psycopg2.extensions.connection, table: str) -> tuple[int, int, int]:
    """Primary keys, other indexes and CHECKs PostgreSQL has on ``table`` now."""
    keys = pg_one(conn, "SELECT count(*) FILTER (WHERE indisprimary) * 1000 + count(*) FILTER "
                        "(WHERE NOT indisprimary) FROM pg_index WHERE indrelid = to_regclass(%s)",
                  (f"public.{table}",))
    checks = pg_one(conn, "SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND "
                          "conrelid = to_regclass(%s) AND convalidated", (f"public.{table}",))
    return keys // 1000, keys % 1000, checks


def _foreign_keys(conn: psycopg2.extensions.connection) -> int:
    return pg_one(conn, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'")


def _statistics(conn: psycopg2.extensions.connection, table: str) -> int:
    """Columns ANALYZE gathered statistics for (an index build sets no pg_statistic rows)."""
    return pg_one(conn, "SELECT count(*) FROM pg_statistic WHERE starelid = to_regclass(%s)",
                  (f"public.{table}",))


def test_a_table_is_finished_while_the_next_one_is_copied(
        src: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    seen: dict[str, tuple[int, int, int]] = {}
    phases: list[str] = []

    def on_event(e: Event) -> None:
        if isinstance(e, PhaseStarted):
            phases.append(e.phase)
        # One table at a time, largest first: big, small, tiny. Hold each copy at its start
        # until what the tables before it need exists (or 30 s pass): it is built on another
        # connection while this one waits.
        if isinstance(e, TableStarted) and e.table in ("small", "tiny"):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                pg_conn.rollback()
                seen[e.table] = (*_objects(pg_conn, "big"), _foreign_keys(pg_conn))
                if seen[e.table] == (1, 2, 1, 0 if e.table == "small" else 1):
                    break
                time.sleep(0.05)

    report = run_migration(str(src), pg_dsn, options=RunOptions(workers=1), on_event=on_event)
    assert report.ok, report.to_json()
    # big's key, indexes and CHECK before small was copied; the key from small to big
    # before tiny was; all before the phases after the data began.
    assert seen == {"small": (1, 2, 1, 0), "tiny": (1, 2, 1, 1)}
    assert phases.index("data") < phases.index("constraints")
    assert [n.kind for n in report.not_migrated] == ["internal"]  # sqlite_sequence
    assert set(report.finishing_s) == {"constraints", "indexes", "sequences", "analyze",
                                      "foreign keys", "verify"}
    # Verified beside the copy too, each table once its rows can no longer change.
    assert report.finishing_s["verify"] > 0
    assert all(t.count_match and t.sample_checked for t in report.tables)
    assert report.checks and report.failed_checks == 0
    assert [c["name"].split(":")[0] for c in report.checks] == sorted(
        (c["name"].split(":")[0] for c in report.checks), key=["big", "small", "tiny"].index)
    pg_conn.rollback()
    assert _objects(pg_conn, "small")[:2] == (1, 0)
    assert pg_one(pg_conn, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == 1
    # The identity sequence and the statistics were the finisher's too.
    with pg_conn.cursor() as cur:
        cur.execute("INSERT INTO big (code, n) VALUES ('new', 1) RETURNING id")
        assert cur.fetchone()[0] == BIG + 1
    pg_conn.rollback()
    assert _statistics(pg_conn, "big") == 3


def test_without_analyze_the_finisher_skips_it(
        src: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    report = run_migration(str(src), pg_dsn, options=RunOptions(analyze=False))
    assert report.ok
    assert set(report.finishing_s) == {"constraints", "indexes", "sequences", "foreign keys",
                                       "verify"}
    assert _statistics(pg_conn, "big") == 0


def test_a_run_that_stops_on_an_error_stops_its_finisher(
        src: Path, tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    """on_error = abort raises out of the run: the finisher thread ends with it, leaves no
    connection behind, and the tables have autovacuum on again."""
    from sqlite2pg_tui.core.errors import AbortedByPolicy
    from sqlite2pg_tui.core.pipeline import plan_for

    _, mapping = plan_for(str(src), None)
    label = mapping.table("small").column("label")
    label.pg_type, label.converter, label.on_error = "integer", "integer", "abort"
    with pytest.raises(AbortedByPolicy):
        run_migration(str(src), pg_dsn, mapping, options=RunOptions(
            workers=1, reject_dir=str(tmp_path / "rj")))
    assert not [t for t in threading.enumerate() if t.name == "finisher"]
    deadline = time.monotonic() + 5  # a closed connection's backend takes a moment to exit
    while time.monotonic() < deadline and _others(pg_conn):
        time.sleep(0.05)
    assert _others(pg_conn) == []
    assert _autovacuum_off(pg_conn) == []


def _others(conn: psycopg2.extensions.connection) -> list[tuple[str, str]]:
    with conn.cursor() as cur:
        cur.execute("SELECT state, query FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()")
        found = cur.fetchall()
    conn.rollback()
    return found


@pytest.mark.parametrize("policy", ["reject", "null", "not_valid"])
def test_a_table_whose_key_meets_orphans_is_verified_after_the_policy_ran(
        src: Path, tmp_path: Path, pg_dsn: str, policy: str) -> None:
    """small holds an orphan: its key is left for after the copy, where the policy removes
    or changes the row; small is verified after that, big and tiny beside the copy."""
    from sqlite2pg_tui.core.pipeline import plan_for

    conn = sqlite3.connect(src)
    conn.execute("INSERT INTO small VALUES (3, 999999, 'orphan')")
    conn.commit()
    conn.close()
    _, mapping = plan_for(str(src), None)
    mapping.orphans = policy
    report = run_migration(str(src), pg_dsn, mapping, options=RunOptions(
        workers=1, reject_dir=str(tmp_path / "rj")))
    small = report.table("small")
    assert small.target_rows == (2 if policy == "reject" else 3)
    assert small.count_match and small.sample_mismatches == 0
    assert [(o.table, o.rows) for o in report.orphans] == [("small", 1)]
    assert report.failed_checks == 0, [c for c in report.checks if not c["ok"]]


def _autovacuum_off(conn: psycopg2.extensions.connection) -> list[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind = 'r' AND (c.reloptions::text LIKE "
                    "'%autovacuum_enabled%' OR EXISTS (SELECT 1 FROM pg_class t WHERE t.oid = "
                    "c.reltoastrelid AND t.reloptions::text LIKE '%autovacuum_enabled%')) "
                    "ORDER BY 1")
        found = [r[0] for r in cur.fetchall()]
    conn.rollback()
    return found


def test_autovacuum_is_off_while_the_run_works_and_on_again_after(
        src: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    """A VACUUM autovacuum starts on a table just copied would hold up the ALTER TABLE that
    builds its key: the run keeps it off, and gives the tables PostgreSQL's defaults back."""
    seen: list[list[str]] = []

    def on_event(e: Event) -> None:
        if isinstance(e, TableStarted) and e.table == "tiny":
            seen.append(_autovacuum_off(pg_conn))

    report = run_migration(str(src), pg_dsn, options=RunOptions(workers=1), on_event=on_event)
    assert report.ok
    assert seen == [["big", "small", "tiny"]]
    assert _autovacuum_off(pg_conn) == []



def test_a_key_between_all_visible_tables_is_checked_without_hash_joins(
        src: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    """Merge joins over the indexes when COPY FREEZE (here VACUUM) left every page
    all-visible, PostgreSQL's own choice otherwise; only for the key's transaction, and a
    key with orphans is still refused."""
    from sqlite2pg_tui.core import finish
    from sqlite2pg_tui.core.pipeline import plan_for
    from sqlite2pg_tui.core.plan.naming import NameAllocator, folder
    from sqlite2pg_tui.core.target.postgres import connect
    from sqlite2pg_tui.core.verify.samples import included_pairs

    schema, mapping = plan_for(str(src), None)
    pairs = included_pairs(mapping, schema.tables)
    keys = {k.tm.source: k for k in finish.prepare_keys(
        pairs, mapping, "public", NameAllocator(set(), folder(mapping.identifier_case)))}
    with pg_conn.cursor() as cur:
        cur.execute("CREATE TABLE big (id bigint PRIMARY KEY)")
        cur.execute("INSERT INTO big SELECT generate_series(1, 3000)")
        cur.execute("CREATE TABLE small (id bigint PRIMARY KEY, big_id bigint, label text)")
        cur.execute("INSERT INTO small SELECT i, i, 'x' FROM generate_series(1, 3000) i")
        cur.execute("INSERT INTO small VALUES (0, 9999, 'orphan')")
        cur.execute("ANALYZE big, small")

    def plan_chosen() -> str:
        try:
            finish._merge_joins(conn, keys["small"], "public")
            return pg_one(conn, "SHOW enable_hashjoin")
        finally:
            conn.rollback()

    conn = connect(pg_dsn)  # as the finisher's: in a transaction until committed
    try:
        assert plan_chosen() == "on"  # pages not all-visible yet: the heap is visited
        with pg_conn.cursor() as cur:
            cur.execute("VACUUM (ANALYZE) big, small")
        assert plan_chosen() == "off"
        assert not finish.add_key_early(conn, keys["small"], "public")  # 9999: no parent
        assert pg_one(conn, "SHOW enable_hashjoin") == "on"
        with pg_conn.cursor() as cur:
            cur.execute("DELETE FROM small WHERE big_id = 9999")
            cur.execute("VACUUM (ANALYZE) small")
        assert finish.add_key_early(conn, keys["small"], "public")
        assert pg_one(conn, "SHOW enable_hashjoin") == "on"
    finally:
        conn.close()
    assert _foreign_keys(pg_conn) == 1


def test_a_cancel_during_the_copy_counts_the_keys_added_beside_it(
        src: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    """The key from small to big is added as soon as both are finished; a cancel while tiny
    is copied says so, and what each finished table has of its keys and indexes."""
    cancel = threading.Event()

    def on_event(e: Event) -> None:
        if isinstance(e, TableStarted) and e.table == "tiny":
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and _foreign_keys(pg_conn) < 1:
                pg_conn.rollback()
                time.sleep(0.05)
            cancel.set()

    report = run_migration(str(src), pg_dsn, options=RunOptions(workers=1), on_event=on_event,
                           cancel=cancel)
    assert report.cancelled
    held = report.after_cancel[0]
    assert held.startswith("PostgreSQL now holds: ")
    assert f"public.big: {BIG:,} row(s), copied in full, with its primary key and 2 index(es)" in held
    assert "public.small: 2 row(s), copied in full, with its primary key" in held
    assert held.endswith(" — 1 foreign key(s) added so far")
    assert "tiny" in " ".join(report.after_cancel[1:])  # rolled back and dropped
