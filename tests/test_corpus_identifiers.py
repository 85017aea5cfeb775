"""Identifiers PostgreSQL only takes quoted (mixed case, spaces, reserved words, non-ASCII,
quotes inside names): kept exactly with identifier_case "keep", lower snake_case when asked for
(the default, lower case, is in test_declared_types)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import psycopg2.extensions
import pytest
from corpus import Migrated, build_corpus, migrate, plan_corpus, scratch_database
from helpers import pg_all, pg_columns
from psycopg2 import sql

Conn = psycopg2.extensions.connection

ODD_TABLES = ["Mixed Case Table", "order", "日本_données", 'quote"d table']
MIXED_COLUMNS = ["Id", "First Name", "FirstName", "camelCase", "select", "user", "order", "café",
                 "日本", 'a"b']
# What snake_case makes of them: lower case, separators as '_', letters (accented or not
# Latin) kept, reserved words left alone (they are quoted anyway).
SNAKE_TABLES = {"Mixed Case Table": "mixed_case_table", "order": "order",
                "日本_données": "日本_données", 'quote"d table': "quote_d_table",
                "declared_types": "declared_types", "fk_parent": "fk_parent"}
SNAKE_COLUMNS = {"Id": "id", "First Name": "first_name", "camelCase": "camel_case",
                 "select": "select", "user": "user", "order": "order", "café": "café",
                 "日本": "日本", 'a"b': "a_b"}


@pytest.fixture(scope="module")
def corpus_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("corpus_identifiers") / "corpus.db")


@pytest.fixture(scope="module")
def run(pg_server_dsn: str, corpus_path: Path) -> Iterator[Migrated]:
    with scratch_database(pg_server_dsn) as dsn:
        yield migrate(corpus_path, dsn, corpus_path.parent / "rej-keep",
                      plan_corpus(corpus_path, identifier_case="keep"))


@pytest.fixture(scope="module")
def snake_run(pg_server_dsn: str, corpus_path: Path) -> Iterator[Migrated]:
    """The whole corpus with plan(..., identifier_case="snake"): every FK, index, CHECK and
    view must follow the renamed columns."""
    with scratch_database(pg_server_dsn) as dsn:
        try:
            mapping = plan_corpus(corpus_path, identifier_case="snake")
        except Exception as e:  # noqa: BLE001 - each test shows it
            yield Migrated(corpus_path, dsn, None, None, corpus_path.parent / "rej-snake", e)
            return
        yield migrate(corpus_path, dsn, corpus_path.parent / "rej-snake", mapping)


def _connect(dsn: str) -> Iterator[Conn]:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True  # read only
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture(scope="module")
def keep_conn(run: Migrated) -> Iterator[Conn]:
    yield from _connect(run.dsn)


@pytest.fixture(scope="module")
def snake_conn(snake_run: Migrated) -> Iterator[Conn]:
    yield from _connect(snake_run.dsn)


@pytest.fixture
def pg(run: Migrated, keep_conn: Conn) -> Conn:
    run.ok()
    return keep_conn


@pytest.fixture
def pgs(snake_run: Migrated, snake_conn: Conn) -> Conn:
    snake_run.ok()
    return snake_conn


def _tables(conn: Conn) -> set[str]:
    return {r[0] for r in pg_all(conn, "SELECT table_name FROM information_schema.tables "
                                       "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")}


def _fk_targets(conn: Conn, table: str) -> list[tuple[str, list[str], list[str]]]:
    return [(r[0], list(r[1]), list(r[2])) for r in pg_all(conn, """
        SELECT c.confrelid::regclass::text,
               array(SELECT a.attname FROM unnest(c.conkey) k(n)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n),
               array(SELECT a.attname FROM unnest(c.confkey) k(n)
                     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n)
        FROM pg_constraint c WHERE c.conrelid = to_regclass(%s) AND c.contype = 'f'""",
        (sql.Identifier(table).as_string(conn),))]


# --- names kept (the default) ---------------------------------------------------------------

def test_names_kept_exactly(run: Migrated, pg: Conn) -> None:
    assert set(ODD_TABLES) <= _tables(pg)
    assert list(pg_columns(pg, "Mixed Case Table")) == MIXED_COLUMNS
    assert list(pg_columns(pg, "日本_données")) == ["id", "値"]
    for t in ODD_TABLES:
        tm = run.mapping_for(t)
        assert tm.target == t and all(c.target == c.source for c in tm.columns), t


def test_values_under_odd_names(pg: Conn) -> None:
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in MIXED_COLUMNS)
    got = pg_all(pg, sql.SQL('SELECT {} FROM "Mixed Case Table" ORDER BY "Id"').format(cols))
    assert got == [(1, "Ann", "AnnF", 10, "s1", "u1", 1, "crème", "日本語", 'q"1'),
                   (2, "Bob", "BobF", 20, "s2", "u2", 2, "brûlée", "東京", 'q"2'),
                   (3, "Cid", None, None, None, None, 3, None, None, None)]
    assert pg_all(pg, 'SELECT "user", "group" FROM "order" ORDER BY id') == [
        (1, "g1"), (2, "g2"), (1, None)]
    assert pg_all(pg, 'SELECT "値" FROM "日本_données" ORDER BY id') == [("一",), ("二",)]
    assert pg_all(pg, 'SELECT v FROM "quote""d table" ORDER BY id') == [("q1",), ("q2",)]


def test_index_and_foreign_key_between_odd_names(pg: Conn) -> None:
    idx = dict(pg_all(pg, "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
                      ("Mixed Case Table",)))
    assert '("First Name")' in idx["Mixed Case Table by First Name"]
    assert _fk_targets(pg, "order") == [('"Mixed Case Table"', ["user"], ["Id"])]


def test_reserved_words_and_quotes_work_in_sql(pg: Conn) -> None:
    assert pg_all(pg, 'SELECT "select", "a""b" FROM "Mixed Case Table" WHERE "order" = 2') == [
        ("s2", 'q"2')]


# --- snake_case on request -------------------------------------------------------------------

SNAKE_NAME = re.compile(r'^[^\sA-Z"]+$')


def test_snake_mapping_renames_visibly(snake_run: Migrated) -> None:
    if snake_run.error is not None:
        raise snake_run.error
    m = snake_run.mapping
    assert m.identifier_case == "snake"
    got = {t: m.table(t).target for t in SNAKE_TABLES}
    assert got == SNAKE_TABLES
    mixed = m.table("Mixed Case Table")
    got_cols = {c.source: c.target for c in mixed.columns}
    assert {k: got_cols[k] for k in SNAKE_COLUMNS} == SNAKE_COLUMNS
    # "FirstName" is first_name too: it must get a different, still snake, name.
    assert got_cols["FirstName"] != "first_name" and SNAKE_NAME.match(got_cols["FirstName"])
    for tm in m.tables:
        targets = [c.target for c in tm.columns]
        assert len(set(targets)) == len(targets), tm.source
        assert all(SNAKE_NAME.match(t) for t in [tm.target, *targets]), tm.source
    assert len({t.target for t in m.tables}) == len(m.tables)


def test_snake_run_lands_under_the_new_names(snake_run: Migrated, pgs: Conn) -> None:
    report = snake_run.ok()
    assert [t.source for t in report.tables if t.error] == []
    for tr in report.tables:
        assert tr.source_rows == tr.copied_rows + tr.rejected_rows, tr.source
    tables = _tables(pgs)
    assert {"mixed_case_table", "order", "quote_d_table"} <= tables
    assert not {"Mixed Case Table", 'quote"d table'} & tables
    cols = list(pg_columns(pgs, "mixed_case_table"))
    assert cols[:2] == ["id", "first_name"] and "camel_case" in cols and "a_b" in cols
    assert pg_all(pgs, "SELECT first_name, a_b FROM mixed_case_table ORDER BY id") == [
        ("Ann", 'q"1'), ("Bob", 'q"2'), ("Cid", None)]


def test_snake_constraints_follow_renamed_columns(snake_run: Migrated, pgs: Conn) -> None:
    snake_run.ok()
    assert _fk_targets(pgs, "order") == [("mixed_case_table", ["user"], ["id"])]
    defs = [r[0] for r in pg_all(pgs, "SELECT indexdef FROM pg_indexes WHERE tablename = "
                                      "'mixed_case_table'")]
    assert any("(first_name)" in d for d in defs), defs
    not_migrated = [(n.kind, n.name) for n in snake_run.ok().not_migrated
                    if n.kind in ("index", "foreign key", "primary key")]
    # Only the FK whose parent never existed, as in the default run.
    assert len(not_migrated) == 1 and "ghost_table" in not_migrated[0][1], not_migrated


def test_snake_views_created_or_reported(snake_run: Migrated, pgs: Conn) -> None:
    """No view is silently lost: each exists in PostgreSQL (under either name) or is listed."""
    report = snake_run.ok()
    src = sqlite3.connect(f"file:{snake_run.source}?mode=ro", uri=True)
    try:
        views = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'view'")]
    finally:
        src.close()
    have = {r[0] for r in pg_all(pgs, "SELECT table_name FROM information_schema.views "
                                      "WHERE table_schema = 'public'")}
    listed = {n.name for n in report.not_migrated if n.kind == "view"}
    lost = [v for v in views if v not in have and v not in listed
            and SNAKE_TABLES.get(v, v.lower().replace(" ", "_")) not in have]
    assert lost == []
    assert "v_managers" in have  # no renamed identifiers in it: must translate
