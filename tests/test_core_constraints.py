"""NOT NULL, DEFAULTs, keys, unique indexes and foreign keys carried over; orphans reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import pytest
from helpers import (
    isolate_environment,
    make_sqlite,
    pg_all,
    pg_columns,
    pg_one,
    pg_select,
)

from sqlite2pg_tui.core.events import Event, PhaseStarted
from sqlite2pg_tui.core.pipeline import RunOptions, run_migration
from sqlite2pg_tui.core.report import Report

SCHEMA = """
CREATE TABLE users(
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    nick TEXT DEFAULT 'null',
    status TEXT NOT NULL DEFAULT 'active',
    credits INTEGER DEFAULT 100,
    ratio REAL DEFAULT 0.25,
    neg INTEGER DEFAULT -3,
    note TEXT DEFAULT NULL,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (email)
);
CREATE UNIQUE INDEX idx_users_nick ON users(nick);
CREATE INDEX "Idx Users Credits" ON users(credits DESC, ratio);
CREATE TABLE memberships(
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE ON UPDATE SET NULL,
    grp TEXT NOT NULL,
    role TEXT,
    PRIMARY KEY (user_id, grp)
);
CREATE TABLE posts(
    id INTEGER PRIMARY KEY,
    author INTEGER REFERENCES users(id) ON DELETE SET NULL,
    title TEXT
);
"""
USERS = [(1, "a@x", "ann", "active", 5, 0.5, 1, None, "2024-01-01 00:00:00"),
         (2, "b@x", None, "gone", 7, 0.75, 2, "hi", "2024-01-02 00:00:00")]
MEMBERSHIPS = [(1, "admins", "owner"), (1, "users", None), (2, "users", None)]
POSTS = [(1, 1, "hello"), (2, 2, "again"), (3, 99, "orphan"), (4, 98, "orphan too"),
         (5, None, "anonymous")]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


@pytest.fixture
def migrated(tmp_path: Path, pg_dsn: str) -> tuple[Report, list[Event]]:
    src = make_sqlite(tmp_path / "c.db", SCHEMA,
                      {"users": USERS, "memberships": MEMBERSHIPS, "posts": POSTS})
    events: list[Event] = []
    report = run_migration(str(src), pg_dsn, options=RunOptions(reject_dir=str(tmp_path / "rj")),
                           on_event=events.append)
    assert all(t.ok for t in report.tables), report.to_json()
    return report, events


def test_not_null_carried_over(migrated: tuple[Report, list[Event]],
                               pg_conn: psycopg2.extensions.connection) -> None:
    cols = pg_columns(pg_conn, "users")
    assert {c: v["is_nullable"] for c, v in cols.items()} == {
        "id": "NO", "email": "NO", "nick": "YES", "status": "NO", "credits": "YES",
        "ratio": "YES", "neg": "YES", "note": "YES", "created_at": "YES"}
    with pytest.raises(psycopg2.errors.NotNullViolation), pg_conn.cursor() as cur:
        cur.execute("INSERT INTO users (email) VALUES (NULL)")


def test_defaults_carried_over(migrated: tuple[Report, list[Event]],
                               pg_conn: psycopg2.extensions.connection) -> None:
    cols = pg_columns(pg_conn, "users")
    assert "now()" in cols["created_at"]["column_default"]
    assert cols["note"]["column_default"] is None
    before = datetime.now(UTC).replace(tzinfo=None)
    with pg_conn.cursor() as cur:
        cur.execute("INSERT INTO users (email) VALUES ('new@x') "
                    "RETURNING nick, status, credits, ratio, neg, note, created_at")
        nick, status, credits, ratio, neg, note, created = cur.fetchone()
    after = datetime.now(UTC).replace(tzinfo=None)
    # 'null' in quotes is a four-letter string, not NULL.
    assert nick == "null"
    assert (status, credits, ratio, neg, note) == ("active", 100, 0.25, -3, None)
    # CURRENT_TIMESTAMP is UTC in SQLite, so the migrated default is UTC too.
    assert cols["created_at"]["data_type"] == "timestamp without time zone"
    assert before - timedelta(seconds=5) <= created <= after + timedelta(seconds=5)


def test_text_default_current_timestamp_on_a_text_column(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    # The column holds free text, so it stays text; its default must still be "now", as text.
    src = make_sqlite(tmp_path / "d.db",
                      "CREATE TABLE t(id INTEGER PRIMARY KEY, stamp TEXT DEFAULT CURRENT_TIMESTAMP);",
                      {"t": [(1, "not a time"), (2, "whenever")]})
    report = run_migration(str(src), pg_dsn, options=RunOptions(reject_dir=str(tmp_path / "rj")))
    assert report.ok
    assert pg_columns(pg_conn, "t")["stamp"]["data_type"] == "text"
    stamp = pg_one(pg_conn, "INSERT INTO t DEFAULT VALUES RETURNING stamp")
    parsed = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")  # SQLite's own format
    assert abs(parsed - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=1)


def test_primary_keys_including_composite(migrated: tuple[Report, list[Event]],
                                          pg_conn: psycopg2.extensions.connection) -> None:
    pks = dict(pg_all(pg_conn, """
        SELECT conrelid::regclass::text,
               array_agg(a.attname::text ORDER BY k.ord)
        FROM pg_constraint c
        CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
        WHERE c.contype = 'p' AND c.connamespace = 'public'::regnamespace GROUP BY 1"""))
    assert pks == {"users": ["id"], "memberships": ["user_id", "grp"], "posts": ["id"]}


def test_unique_and_plain_indexes_keep_their_names(migrated: tuple[Report, list[Event]],
                                                    pg_conn: psycopg2.extensions.connection) -> None:
    idx = dict(pg_all(pg_conn, "SELECT indexname, indexdef FROM pg_indexes "
                               "WHERE schemaname = 'public' AND tablename = 'users'"))
    assert "CREATE UNIQUE INDEX idx_users_nick ON public.users USING btree (nick)" in \
        idx.values()
    # Folded to lower case like every name by default (what PostgreSQL does to unquoted names).
    assert idx["idx users credits"] == (
        'CREATE INDEX "idx users credits" ON public.users USING btree (credits DESC, ratio)')
    # The inline UNIQUE (email) is a real constraint, enforced.
    assert pg_one(pg_conn, "SELECT count(*) FROM pg_constraint WHERE contype = 'u' "
                           "AND conrelid = 'users'::regclass") == 1
    with pytest.raises(psycopg2.errors.UniqueViolation), pg_conn.cursor() as cur:
        cur.execute("INSERT INTO users (email) VALUES ('a@x')")


def test_foreign_keys_with_actions(migrated: tuple[Report, list[Event]],
                                   pg_conn: psycopg2.extensions.connection) -> None:
    fks = {r[0]: r[1:] for r in pg_all(pg_conn, """
        SELECT conrelid::regclass::text, confrelid::regclass::text, confdeltype, confupdtype,
               convalidated
        FROM pg_constraint WHERE contype = 'f'""")}
    # c = CASCADE, n = SET NULL, a = NO ACTION
    assert fks["memberships"] == ("users", "c", "n", True)
    # posts has orphans: kept, and the constraint added NOT VALID (not validated).
    assert fks["posts"] == ("users", "n", "a", False)
    with pg_conn.cursor() as cur:
        cur.execute("DELETE FROM users WHERE id = 1")
    assert pg_select(pg_conn, "memberships", ["user_id", "grp"], "grp") == [(2, "users")]
    assert pg_select(pg_conn, "posts", ["id", "author"], "id") == [
        (1, None), (2, 2), (3, 99), (4, 98), (5, None)]


def test_orphans_reported_and_kept(migrated: tuple[Report, list[Event]],
                                   pg_conn: psycopg2.extensions.connection) -> None:
    report, _ = migrated
    assert [(o.table, o.column, o.references, o.rows) for o in report.orphans] == [
        ("posts", "author", "users", 2)]
    assert "NOT VALID" in report.orphans[0].action
    assert [r[0] for r in pg_select(pg_conn, "posts", ["id"], "id")] == [1, 2, 3, 4, 5]
    # NOT VALID still guards new rows.
    with pytest.raises(psycopg2.errors.ForeignKeyViolation), pg_conn.cursor() as cur:
        cur.execute("INSERT INTO posts (author, title) VALUES (12345, 'x')")


def test_constraints_come_after_the_data(migrated: tuple[Report, list[Event]]) -> None:
    _, events = migrated
    phases = [e.phase for e in events if isinstance(e, PhaseStarted)]
    assert phases.index("data") < phases.index("constraints") < phases.index("indexes") \
        < phases.index("foreign keys")


def test_orphans_skip_policy_leaves_the_constraint_out(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    from sqlite2pg_tui.core.plan.propose import plan
    from sqlite2pg_tui.core.source.inspection import inspect

    src = make_sqlite(tmp_path / "s.db", SCHEMA,
                      {"users": USERS, "memberships": MEMBERSHIPS, "posts": POSTS})
    ins = inspect(src)
    mapping = plan(ins.schema, ins.profiles)
    mapping.orphans = "skip"
    report = run_migration(str(src), pg_dsn, mapping,
                           options=RunOptions(reject_dir=str(tmp_path / "rj")))
    assert [o.rows for o in report.orphans] == [2]
    assert any(n.kind == "foreign key" and n.name.startswith("posts") for n in report.not_migrated)
    assert pg_one(pg_conn, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
                           "AND conrelid = 'posts'::regclass") == 0
    assert pg_one(pg_conn, "SELECT count(*) FROM posts") == 5


def test_composite_foreign_key_and_reference_to_implicit_primary_key(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> None:
    src = make_sqlite(tmp_path / "cf.db", """
        CREATE TABLE parent(a INTEGER, b TEXT, PRIMARY KEY (a, b));
        CREATE TABLE child(id INTEGER PRIMARY KEY, pa INTEGER, pb TEXT,
                           FOREIGN KEY (pa, pb) REFERENCES parent ON UPDATE CASCADE);
    """, {"parent": [(1, "x"), (2, "y")], "child": [(1, 1, "x"), (2, 2, "y")]})
    report = run_migration(str(src), pg_dsn, options=RunOptions(reject_dir=str(tmp_path / "rj")))
    assert report.ok, report.to_json()
    fk = pg_all(pg_conn, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f'")
    assert fk == [("FOREIGN KEY (pa, pb) REFERENCES parent(a, b) ON UPDATE CASCADE",)]
