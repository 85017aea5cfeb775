"""The corpus, migrated with a planned mapping: declared types, indexes, NOCASE, generated
columns, views, triggers and what must never be copied as data (virtual, shadow and
internal tables). Everything is asserted on what PostgreSQL holds and on the Report."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import pytest
from corpus import CASES, ROWS, Migrated, build_corpus, migrate, scratch_database
from helpers import pg_all, pg_columns, pg_one
from psycopg2 import sql

Conn = psycopg2.extensions.connection
INTEGERS = {"bigint", "integer", "smallint"}
TEXTS = {"text", "character varying"}
TIMESTAMP = "timestamp without time zone"


@pytest.fixture(scope="module")
def run(pg_server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Migrated]:
    # One migration for the whole module: every test here only reads its result (the few
    # that write do so in a transaction rolled back by ``pg``).
    work = tmp_path_factory.mktemp("corpus_schema")
    src = build_corpus(work / "corpus.db")
    with scratch_database(pg_server_dsn) as dsn:
        yield migrate(src, dsn, work / "rej")


@pytest.fixture(scope="module")
def module_conn(run: Migrated) -> Iterator[Conn]:
    conn = psycopg2.connect(run.dsn)
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def pg(run: Migrated, module_conn: Conn) -> Iterator[Conn]:
    run.ok()  # a failed migration fails each test with its own traceback
    try:
        yield module_conn
    finally:
        module_conn.rollback()  # nothing a test writes is seen by the next one


def _types(conn: Conn, table: str) -> dict[str, str]:
    return {c: v["data_type"] for c, v in pg_columns(conn, table).items()}


def _rows(conn: Conn, table: str, columns: list[str], order: str = "id") -> list[tuple[Any, ...]]:
    return pg_all(conn, sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns), sql.Identifier(table),
        sql.Identifier(order)))


def _sqlite(run: Migrated, query: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{run.source}?mode=ro", uri=True)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def _indexes(conn: Conn, table: str) -> dict[str, str]:
    return dict(pg_all(conn, "SELECT indexname, indexdef FROM pg_indexes "
                             "WHERE schemaname = 'public' AND tablename = %s", (table,)))


def _renamed(run: Migrated, original: str) -> str | None:
    for r in run.ok().renamed:
        if r["from"] == original:
            return r["to"]
    return None


# --- the corpus itself ---------------------------------------------------------------

def test_corpus_is_deterministic(tmp_path: Path) -> None:
    """Reruns and expected values rely on the file being the same every time it is built."""
    assert build_corpus(tmp_path / "a.db").read_bytes() == build_corpus(tmp_path / "b.db").read_bytes()


def test_every_case_points_at_something_in_the_corpus(tmp_path: Path) -> None:
    """CASES is the coverage table people read: each table/column it names must exist."""
    conn = sqlite3.connect(build_corpus(tmp_path / "c.db"))
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        for _category, case, tables, columns in CASES:
            for table in tables.split(", "):
                if "*" in table:
                    continue
                assert table in names, (case, table)
                if "," in tables or "*" in columns or "…" in columns:
                    continue
                quoted = '"' + table.replace('"', '""') + '"'
                known = {r[1] for r in conn.execute(f"PRAGMA table_xinfo({quoted})")}
                known |= {r[1] for r in conn.execute(f"PRAGMA index_list({quoted})")}
                for col in re.split(r", | / ", columns):
                    assert col in known, (case, table, col)
    finally:
        conn.close()


# --- declared types -------------------------------------------------------------

DECLARED_EXPECTED: dict[str, set[str]] = {
    "c_int_unsigned": {"bigint"},  # holds 4294967295: past integer
    "c_unsigned_big_int": {"bigint"},  # holds 2^63-1
    "c_nvarchar": TEXTS,
    "c_varchar2": TEXTS,
    "c_double": {"double precision"},
    "c_real": {"double precision"},
    "c_float": {"double precision"},
    "c_floating_point": {"double precision"},  # INTEGER affinity, but it holds 1.5 and 3.25
    "c_number": {"numeric", "double precision"},
    "c_decimal": {"numeric"},
    "c_datetime": {TIMESTAMP},
    "c_timestamp": {TIMESTAMP},
    "c_date": {"date"},
    "c_boolean": {"boolean"},
    "c_json": {"jsonb"},
    "c_clob": {"text"},  # 5000 characters
    "c_uuid": {"uuid"},
    "c_blob": {"bytea"},
    "c_none": {"text"},  # 1, 'two', 3.5: only text keeps all three
    "c_tinyint": INTEGERS,
    "c_smallint": INTEGERS,
    "c_mediumint": INTEGERS,
    "c_int2": INTEGERS,
    "c_int8": {"bigint"},
    "c_bigint": {"bigint"},
    "c_char": TEXTS | {"character"},
    "c_varying": TEXTS,
    "c_native": TEXTS,
}


def test_every_declared_type_spelling_gets_a_fitting_type(run: Migrated, pg: Conn) -> None:
    got = _types(pg, "declared_types")
    wrong = {c: got.get(c) for c, ok in DECLARED_EXPECTED.items() if got.get(c) not in ok}
    assert not wrong, wrong
    tr = run.ok().table("declared_types")
    assert (tr.error, tr.copied_rows, tr.rejected_rows) == ("", 3, 0)


def test_declared_type_values_arrive_unchanged(pg: Conn) -> None:
    cols = ["c_unsigned_big_int", "c_int_unsigned", "c_real", "c_float", "c_floating_point",
            "c_decimal", "c_datetime", "c_boolean", "c_json", "c_clob", "c_uuid", "c_blob",
            "c_none", "c_bigint", "c_nvarchar"]
    got = _rows(pg, "declared_types", cols)
    got = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in got]
    got = [tuple(str(v) if c == "c_uuid" else v for c, v in zip(cols, r, strict=True)) for r in got]
    assert got == [
        (9223372036854775807, 1, 0.1, 0.1, 1.5, Decimal("12.50"), datetime(2024, 1, 31, 12),
         True, {"k": 1}, "x" * 5000, "550e8400-e29b-41d4-a716-446655440000", b"\x00\x01", "1",
         1, "short"),
        (0, 2, 2.0, 1.0, 2.0, Decimal("3.00"), datetime(2024, 2, 1), False, [], "y",
         "6ba7b810-9dad-11d1-80b4-00c04fd430c8", b"\xff", "two", -1, "élan"),
        (1, 4294967295, 3.5, 2.5, 3.25, Decimal("0.75"), datetime(2024, 2, 29, 23, 59, 59), True,
         {"a": [1, 2]}, "multi\nline", "00000000-0000-0000-0000-000000000000", b"", "3.5",
         -9223372036854775808, "x"),
    ]


# With no rows the declared type is all there is; SQLite's affinity rules (datatype3 §3.1,
# INT first, then CHAR/CLOB/TEXT, BLOB/none, REAL/FLOA/DOUB, else NUMERIC) decide.
EMPTY_EXPECTED: dict[str, set[str]] = {
    "c_int_unsigned": {"bigint"},
    "c_unsigned_big_int": {"bigint"},
    "c_nvarchar": TEXTS,
    "c_varchar2": TEXTS,
    "c_double": {"double precision"},
    "c_real": {"double precision"},
    "c_float": {"double precision"},
    # "INT" in "POINT" gives INTEGER affinity (the rule's own example), but the name says float.
    "c_floating_point": {"double precision"},
    "c_number": {"numeric"},  # NUMERIC affinity
    "c_decimal": {"numeric"},
    "c_datetime": {TIMESTAMP, "timestamp with time zone"},
    "c_date": {"date"},
    "c_boolean": {"boolean"},
    "c_json": {"jsonb"},
    "c_clob": {"text"},
    "c_none": {"text", "bytea"},  # BLOB affinity: anything goes
}


def test_empty_columns_follow_sqlite_affinity(pg: Conn) -> None:
    got = _types(pg, "declared_types_empty")
    wrong = {c: got.get(c) for c, ok in EMPTY_EXPECTED.items() if got.get(c) not in ok}
    assert not wrong, wrong


def test_decimal_keeps_precision_and_scale(pg: Conn) -> None:
    for table in ("declared_types", "declared_types_empty"):
        prec = pg_all(pg, "SELECT numeric_precision, numeric_scale FROM information_schema.columns "
                          "WHERE table_name = %s AND column_name = 'c_decimal'", (table,))
        assert prec == [(10, 2)], table


def test_no_column_anywhere_becomes_float4(pg: Conn) -> None:
    """REAL is an 8-byte float in SQLite: PostgreSQL's 4-byte ``real`` would lose digits."""
    assert pg_all(pg, "SELECT table_name, column_name FROM information_schema.columns "
                      "WHERE table_schema = 'public' AND data_type = 'real'") == []


def test_declared_real_of_whole_numbers_stays_double_precision(pg: Conn) -> None:
    """weight REAL holds 1.0, 2.0, 3.0: the application writes floats; the next value may
    be 2.5. The declared REAL wins over the sample's lack of fractions."""
    assert _types(pg, "numbers_whole")["weight"] == "double precision"
    assert [r[0] for r in _rows(pg, "numbers_whole", ["weight"])] == [1.0, 2.0, 3.0]


# --- indexes --------------------------------------------------------------------

def test_plain_index_kinds_keep_their_names_and_meaning(run: Migrated, pg: Conn) -> None:
    idx = _indexes(pg, "indexed")
    assert idx["ux_indexed_email"].startswith("CREATE UNIQUE INDEX")
    assert "(email)" in idx["ux_indexed_email"]
    assert "lower(" in idx["ix_indexed_lower_name"].lower()
    assert "score DESC" in idx["ix_indexed_score_desc"]
    assert " WHERE " in idx["ix_indexed_live_name"]
    renamed_from = {r["from"] for r in run.ok().renamed}
    assert not renamed_from & {"ux_indexed_email", "ix_indexed_live_name", "ix_indexed_lower_name",
                               "ix_indexed_score_desc"}


def test_partial_index_predicate_selects_the_same_rows(pg: Conn) -> None:
    """WHERE deleted = 0 on a column that became boolean must still mean 'not deleted'."""
    pred = pg_one(pg, "SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i "
                      "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'ix_indexed_live_name'")
    ids = pg_all(pg, f"SELECT id FROM indexed WHERE {pred} ORDER BY id")  # noqa: S608 - from PG
    assert [r[0] for r in ids] == [1, 3, 4]


def test_unique_constraint_carried_over(pg: Conn) -> None:
    defs = _indexes(pg, "indexed").values()
    assert any(d.startswith("CREATE UNIQUE INDEX") and "(sku)" in d for d in defs), defs
    with pytest.raises(psycopg2.errors.UniqueViolation):
        pg.cursor().execute("INSERT INTO indexed (id, sku) VALUES (90, 'S1')")


def test_long_index_names_made_unique_and_reported(run: Migrated, pg: Conn) -> None:
    idx = _indexes(pg, "indexed")
    longs = ["ix_indexed_a_very_long_index_name_that_goes_past_the_postgresql_limit_by_score",
             "ix_indexed_a_very_long_index_name_that_goes_past_the_postgresql_limit_by_name",
             "ix_索引_索引_索引_索引_索引_索引_索引_索引_索引_索引_索引"]
    new = [_renamed(run, n) for n in longs]
    assert all(new), run.ok().renamed
    assert len(set(new)) == 3
    for n in new:
        assert n is not None and len(n.encode()) <= 63 and n in idx, (n, sorted(idx))
    # The two that share 63 bytes still index different columns.
    assert "(score, id)" in idx[new[0]] and "(name, id)" in idx[new[1]]


def test_index_names_taken_by_other_relations_are_renamed(run: Migrated, pg: Conn) -> None:
    # The identity sequence of pk_autoinc keeps its name; the index gives way, visibly.
    assert pg_one(pg, "SELECT pg_get_serial_sequence('public.pk_autoinc', 'id')") == \
        "public.pk_autoinc_id_seq"
    new = _renamed(run, "pk_autoinc_id_seq")
    idx = _indexes(pg, "indexed")
    assert new and new in idx and "(score, name)" in idx[new], run.ok().renamed
    # 'indexed_pkey' is both a SQLite index and PostgreSQL's name for the key: both exist.
    assert _renamed(run, "indexed_pkey") is not None, run.ok().renamed
    assert pg_one(pg, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'indexed'::regclass "
                      "AND contype = 'p'") == 1
    assert any(d.endswith("USING btree (name)") for d in idx.values()), idx


def test_every_source_index_exists(run: Migrated, pg: Conn) -> None:
    report = run.ok()
    assert [n for n in report.not_migrated if n.kind == "index"] == []
    source = [r[0] for r in _sqlite(run, "SELECT name FROM sqlite_master WHERE type = 'index' "
                                         "AND sql IS NOT NULL")]
    have = {r[0] for r in pg_all(pg, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}
    # Names fold to lower case by default, as PostgreSQL folds the application's unquoted ones.
    missing = [n for n in source if (_renamed(run, n) or n.lower()) not in have]
    assert missing == []


# --- COLLATE NOCASE -------------------------------------------------------------

def test_nocase_unique_refuses_another_case(pg: Conn) -> None:
    with pytest.raises(psycopg2.errors.UniqueViolation):
        pg.cursor().execute("INSERT INTO nocase_users (id, name) VALUES (10, 'ALICE')")


def test_nocase_equality_ignores_case(run: Migrated, pg: Conn) -> None:
    # Equality keeps SQLite's meaning only through a nondeterministic ICU collation; a server
    # built without ICU (the embedded one) gets lower() unique keys, and the report says so.
    notes = " ".join(n["note"] for n in run.ok().notes)
    try:
        cur = pg.cursor()
        cur.execute("SAVEPOINT icu")
        cur.execute("CREATE COLLATION pg_temp.probe (provider = icu, locale = 'und-u-ks-level2', "
                    "deterministic = false)")
        cur.execute("ROLLBACK TO SAVEPOINT icu")
        has_icu = True
    except psycopg2.Error:
        pg.cursor().execute("ROLLBACK TO SAVEPOINT icu")
        has_icu = False
    if not has_icu:
        assert "no ICU" in notes and "case-sensitive" in notes, notes
        pytest.skip("server without ICU: equality is case-sensitive, as the report says")
    assert "nocase" in notes, notes
    assert pg_all(pg, "SELECT id, name FROM nocase_users WHERE name = 'ALICE'") == [(1, "alice")]


# --- generated columns ------------------------------------------------------------

def test_generated_columns_become_postgresql_generated_columns(pg: Conn) -> None:
    gen = dict(pg_all(pg, "SELECT column_name, is_generated FROM information_schema.columns "
                          "WHERE table_name = 'generated_cols'"))
    assert gen.get("total") == "ALWAYS" and gen.get("label") == "ALWAYS", gen
    assert _rows(pg, "generated_cols", ["id", "total", "label"]) == [
        (1, 10.0, "WIDGET"), (2, 30.0, "GADGET"), (3, None, None)]
    got = pg_one(pg, "INSERT INTO generated_cols (id, price, qty, name) VALUES (9, 1.5, 2, 'x') "
                     "RETURNING total")
    assert got == 3.0


def test_untranslatable_generated_column_reported(run: Migrated) -> None:
    notes = [n for n in run.ok().not_migrated if n.kind == "generated column"]
    assert any("kind_of" in n.name for n in notes), notes
    assert not any("total" in n.name or "label" in n.name for n in notes), notes


# --- views, triggers ---------------------------------------------------------------

@pytest.mark.parametrize("view", ["v_managers", "v_enabled_flags", "v_shout", "Mixed View"])
def test_views_return_the_same_rows(run: Migrated, pg: Conn, view: str) -> None:
    quoted = '"' + view + '"'
    want = sorted(_sqlite(run, f"SELECT * FROM {quoted}"))  # noqa: S608 - corpus names
    assert pg_one(pg, "SELECT count(*) FROM information_schema.views WHERE table_schema = 'public' "
                      "AND table_name = %s", (view,)) == 1
    got = sorted(pg_all(pg, sql.SQL("SELECT * FROM {}").format(sql.Identifier(view))))
    assert got == want


def test_broken_view_reported_not_created(run: Migrated, pg: Conn) -> None:
    assert any(n.kind == "view" and n.name == "v_broken" and "no_such_table" in n.sql
               for n in run.ok().not_migrated)
    assert pg_one(pg, "SELECT to_regclass('public.v_broken')") is None


def test_triggers_listed_with_their_sql(run: Migrated, pg: Conn) -> None:
    trig = {n.name: n for n in run.ok().not_migrated if n.kind == "trigger"}
    assert set(trig) == {"trg_fk_parent_touch", "trg_employees_no_delete"}
    for n in trig.values():
        assert n.sql.startswith("CREATE TRIGGER") and n.name in n.sql and n.reason
    assert pg_one(pg, "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal") == 0


# --- not data -------------------------------------------------------------------------

def test_virtual_shadow_and_internal_tables_not_copied(run: Migrated, pg: Conn) -> None:
    names = [r[0] for r in pg_all(pg, "SELECT c.relname FROM pg_class c JOIN pg_namespace n "
                                      "ON n.oid = c.relnamespace WHERE n.nspname = 'public'")]
    leaked = [n for n in names if n.startswith(("docs", "spatial", "sqlite_"))]
    assert leaked == []
    report = run.ok()
    assert not any(t.source.startswith(("docs", "spatial", "sqlite_")) for t in report.tables)
    kinds = {n.name: n.kind for n in report.not_migrated}
    assert kinds.get("docs") == "virtual table" and kinds.get("spatial") == "virtual table"
    for shadow in ("docs_data", "docs_idx", "docs_content", "docs_docsize", "docs_config",
                   "spatial_node", "spatial_rowid", "spatial_parent"):
        assert kinds.get(shadow) == "shadow table", shadow
    assert kinds.get("sqlite_sequence") == "internal"
    assert kinds.get("sqlite_stat1") == "internal"


def test_every_ordinary_table_migrated(run: Migrated, pg: Conn) -> None:
    report = run.ok()
    assert sorted(t.source for t in report.tables) == sorted(ROWS.keys() | {
        "declared_types_empty", "generated_cols", "text_utf8"})
    assert [t.source for t in report.tables if t.error] == []
