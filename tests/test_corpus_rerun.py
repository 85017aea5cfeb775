"""Running again: if_exists="replace" gives the same PostgreSQL contents and report every
time; if_exists="append" loads data only into (empty) tables someone made by hand."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
import pytest
from corpus import Migrated, build_corpus, migrate, plan_corpus
from helpers import pg_all
from psycopg2 import sql

from sqlite2pg_tui.core.errors import MigrationError
from sqlite2pg_tui.core.pipeline import RunOptions, run_migration
from sqlite2pg_tui.core.plan.mapping import Mapping

Conn = psycopg2.extensions.connection


@pytest.fixture(scope="module")
def corpus_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("corpus_rerun") / "corpus.db")


@pytest.fixture(scope="module")
def planned(corpus_path: Path) -> Mapping:
    """Planned once for the module; each test works on its own deep copy."""
    return plan_corpus(corpus_path)


# --- replace: the same result every time ---------------------------------------------------

def _fingerprint(conn: Conn) -> dict[str, Any]:
    """Everything a rerun must reproduce: rows, columns, constraints, indexes, views and
    where each identity sequence stands."""
    tables = [r[0] for r in pg_all(conn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                         "ORDER BY 1")]
    rows = {}
    for t in tables:
        rows[t] = pg_all(conn, sql.SQL(
            "SELECT count(*), md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) "
            "FROM {} x").format(sql.Identifier(t)))[0]
    return {
        "rows": rows,
        "columns": pg_all(conn, "SELECT table_name, column_name, ordinal_position, data_type, "
                                "is_nullable, column_default, is_identity, is_generated "
                                "FROM information_schema.columns WHERE table_schema = 'public' "
                                "ORDER BY 1, 3"),
        "constraints": pg_all(conn, "SELECT conrelid::regclass::text, conname, "
                                    "pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                                    "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"),
        "indexes": pg_all(conn, "SELECT tablename, indexname, indexdef FROM pg_indexes "
                                "WHERE schemaname = 'public' ORDER BY 1, 2"),
        "views": pg_all(conn, "SELECT table_name, view_definition FROM information_schema.views "
                              "WHERE table_schema = 'public' ORDER BY 1"),
        "sequences": pg_all(conn, "SELECT sequencename, last_value FROM pg_sequences "
                                  "WHERE schemaname = 'public' ORDER BY 1"),
    }


def _report_counts(m: Migrated) -> dict[str, Any]:
    report = m.ok()
    return {
        "tables": [(t.source, t.target, t.source_rows, t.copied_rows, t.rejected_rows,
                    t.rejected_by_column, t.nulled_by_column, t.altered_by_column, t.error,
                    t.count_match) for t in report.tables],
        "orphans": [(o.table, o.column, o.references, o.rows) for o in report.orphans],
        "not_migrated": sorted((n.kind, n.name) for n in report.not_migrated),
        "renamed": sorted((r["kind"], r["from"], r["to"]) for r in report.renamed),
    }


def _reject_files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.jsonl"))}


def test_replace_rerun_gives_the_same_result(corpus_path: Path, pg_dsn: str, pg_conn: Conn,
                                             tmp_path: Path) -> None:
    first = migrate(corpus_path, pg_dsn, tmp_path / "rej1")
    before = _fingerprint(pg_conn)
    # Someone works in the target between runs; replace must not care.
    with pg_conn.cursor() as cur:
        cur.execute("DELETE FROM fk_child WHERE id = 1")
        cur.execute("INSERT INTO pk_autoinc (name) VALUES ('junk')")
        cur.execute("UPDATE text_values SET body = 'changed' WHERE id = 1")
    second = migrate(corpus_path, pg_dsn, tmp_path / "rej2")
    assert _report_counts(second) == _report_counts(first)
    after = _fingerprint(pg_conn)
    for key in before:
        assert after[key] == before[key], key
    assert _reject_files(tmp_path / "rej2") == _reject_files(tmp_path / "rej1")
    assert _reject_files(tmp_path / "rej1"), "the corpus has rejects: the files must exist"


def test_rerun_from_the_saved_mapping_gives_the_same_result(corpus_path: Path, planned: Mapping,
                                                            pg_dsn: str, pg_conn: Conn,
                                                            tmp_path: Path) -> None:
    """The headless path: the planned mapping saved as TOML (odd names and all), loaded
    and run, lands exactly what the automatic plan landed."""
    first = migrate(corpus_path, pg_dsn, tmp_path / "rej1")
    before = _fingerprint(pg_conn)
    saved = Mapping.load(planned.save(tmp_path / "mapping.toml"))
    second = migrate(corpus_path, pg_dsn, tmp_path / "rej2", saved)
    assert _report_counts(second) == _report_counts(first)
    assert _fingerprint(pg_conn) == before


# --- append: data only, into tables made by hand ----------------------------------------------

HAND_MADE = """
CREATE TABLE shop_customers (
    email text,
    extra_note text,
    name text NOT NULL,
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY
);
CREATE TABLE shop_orders (
    note text,
    amount double precision,
    customer_id bigint NOT NULL REFERENCES shop_customers (id),
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY
);
"""


def _only(planned: Mapping, *tables: str) -> Mapping:
    m = copy.deepcopy(planned)
    for tm in m.tables:
        tm.include = tm.source in tables
    return m


def _append(src: Path, dsn: str, mapping: Mapping, rej: Path, workers: int = 0) -> Any:
    return run_migration(str(src), dsn, mapping, options=RunOptions(
        reject_dir=str(rej), if_exists="append", workers=workers))


def _shape(conn: Conn, *tables: str) -> Any:
    """Columns (in order, with types) and constraints: what a data-only load must not touch."""
    return (pg_all(conn, "SELECT table_name, column_name, data_type, is_identity "
                         "FROM information_schema.columns WHERE table_name = ANY(%s) "
                         "ORDER BY table_name, ordinal_position", (list(tables),)),
            pg_all(conn, "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                         "FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
                   (list(tables),)))


def test_append_matches_columns_by_name(corpus_path: Path, planned: Mapping, pg_dsn: str,
                                        pg_conn: Conn, tmp_path: Path) -> None:
    with pg_conn.cursor() as cur:
        cur.execute(HAND_MADE)
    shape = _shape(pg_conn, "shop_customers", "shop_orders")
    report = _append(corpus_path, pg_dsn, _only(planned, "shop_customers", "shop_orders"),
                     tmp_path / "rej")
    assert [(t.source, t.copied_rows, t.rejected_rows, t.error) for t in report.tables] == [
        ("shop_customers", 3, 0, ""), ("shop_orders", 6, 0, "")]
    assert _shape(pg_conn, "shop_customers", "shop_orders") == shape  # data only
    assert pg_all(pg_conn, "SELECT id, name, email, extra_note FROM shop_customers ORDER BY id") == [
        (1, "Ann", "ann@x.org", None), (2, "Bob", "bob@x.org", None), (3, "Cid", None, None)]
    assert pg_all(pg_conn, "SELECT id, customer_id, amount, note FROM shop_orders ORDER BY id") == [
        (1, 1, 10.5, "first"), (2, 1, 20.0, None), (3, 2, 5.25, "b"), (4, 3, 7.0, "c"),
        (5, 2, 1.0, "d"), (6, 3, 2.0, None)]


def test_append_sets_identity_past_the_loaded_ids(corpus_path: Path, planned: Mapping,
                                                  pg_dsn: str, pg_conn: Conn, tmp_path: Path) -> None:
    with pg_conn.cursor() as cur:
        cur.execute(HAND_MADE)
    _append(corpus_path, pg_dsn, _only(planned, "shop_customers", "shop_orders"), tmp_path / "rej")
    with pg_conn.cursor() as cur:
        cur.execute("INSERT INTO shop_customers (name) VALUES ('new') RETURNING id")
        assert cur.fetchone()[0] == 4
        cur.execute("INSERT INTO shop_orders (customer_id) VALUES (1) RETURNING id")
        assert cur.fetchone()[0] == 7


def test_append_loads_parents_before_children(corpus_path: Path, planned: Mapping, pg_dsn: str,
                                              pg_conn: Conn, tmp_path: Path) -> None:
    """shop_orders has more rows than shop_customers; one table at a time, largest first,
    would meet the hand-made FK before any customer exists."""
    with pg_conn.cursor() as cur:
        cur.execute(HAND_MADE)
    report = _append(corpus_path, pg_dsn, _only(planned, "shop_customers", "shop_orders"),
                     tmp_path / "rej", workers=1)
    assert {t.source: (t.copied_rows, t.error) for t in report.tables} == {
        "shop_customers": (3, ""), "shop_orders": (6, "")}
    assert pg_all(pg_conn, "SELECT count(*) FROM shop_orders") == [(6,)]


def test_append_type_mismatch_listed_before_writing(corpus_path: Path, planned: Mapping,
                                                    pg_dsn: str, pg_conn: Conn,
                                                    tmp_path: Path) -> None:
    """shop_products.code is text holding '10', '20' and 'abc'; the hand-made column is
    integer. The run must say so (column and types) before it writes any row."""
    with pg_conn.cursor() as cur:
        cur.execute(HAND_MADE)
        cur.execute("CREATE TABLE shop_products (id bigint GENERATED BY DEFAULT AS IDENTITY "
                    "PRIMARY KEY, code integer, title text)")
    with pytest.raises(MigrationError) as info:
        _append(corpus_path, pg_dsn, _only(planned, "shop_customers", "shop_products"),
                tmp_path / "rej")
    said = " ".join([str(info.value), *getattr(info.value, "differences", [])])
    assert "code" in said and "integer" in said, said
    assert pg_all(pg_conn, "SELECT count(*) FROM shop_products") == [(0,)]
    assert pg_all(pg_conn, "SELECT count(*) FROM shop_customers") == [(0,)]


def test_append_missing_target_column_is_a_clear_error(corpus_path: Path, planned: Mapping,
                                                       pg_dsn: str, pg_conn: Conn,
                                                       tmp_path: Path) -> None:
    with pg_conn.cursor() as cur:
        cur.execute("CREATE TABLE shop_customers (id bigint GENERATED BY DEFAULT AS IDENTITY "
                    "PRIMARY KEY, name text NOT NULL)")
    # A MigrationError (one line for the user), not a psycopg2 error or a KeyError.
    with pytest.raises(MigrationError) as info:
        _append(corpus_path, pg_dsn, _only(planned, "shop_customers"), tmp_path / "rej")
    said = " ".join([str(info.value), *getattr(info.value, "differences", [])])
    assert "email" in said and "shop_customers" in said, said
    assert pg_all(pg_conn, "SELECT count(*) FROM shop_customers") == [(0,)]
