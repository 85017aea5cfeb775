"""Keys, NOT NULL, DEFAULTs, CHECKs and foreign keys of the corpus in PostgreSQL, and the
orphan policies (not_valid / null / reject / skip) each on a run of its own."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import pytest
from corpus import (
    Migrated,
    build_corpus,
    mentions,
    migrate,
    plan_corpus,
    reject_lines,
    scratch_database,
)
from helpers import pg_all, pg_columns, pg_one
from psycopg2 import sql

from sqlite2pg_tui.core.plan.mapping import Mapping

Conn = psycopg2.extensions.connection


@pytest.fixture(scope="module")
def run(pg_server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Migrated]:
    # One default migration (orphans: not_valid) read by most tests of this module.
    work = tmp_path_factory.mktemp("corpus_constraints")
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
    run.ok()
    try:
        yield module_conn
    finally:
        module_conn.rollback()  # writes made to probe a constraint never leak to other tests


def _exec(conn: Conn, query: str, params: tuple[Any, ...] = ()) -> None:
    with conn.cursor() as cur:
        cur.execute(query, params)


def _refused(conn: Conn, query: str,
             error: type[Exception] | tuple[type[Exception], ...]) -> None:
    """``query`` must fail with ``error``; the transaction goes on after it."""
    _exec(conn, "SAVEPOINT probe")
    with pytest.raises(error):
        _exec(conn, query)
    _exec(conn, "ROLLBACK TO SAVEPOINT probe")


def _pk(conn: Conn, table: str) -> list[str]:
    return [r[0] for r in pg_all(conn, """
        SELECT a.attname FROM pg_constraint c
        CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
        WHERE c.conrelid = to_regclass(%s) AND c.contype = 'p' ORDER BY k.n""",
        (sql.Identifier(table).as_string(conn),))]


def _fks(conn: Conn, table: str) -> list[dict[str, Any]]:
    rows = pg_all(conn, """
        SELECT c.conname, c.confrelid::regclass::text,
               array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
               array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i),
               c.confdeltype, c.confupdtype, c.condeferrable, c.condeferred, c.convalidated
        FROM pg_constraint c WHERE c.conrelid = to_regclass(%s) AND c.contype = 'f'
        ORDER BY c.conname""", (sql.Identifier(table).as_string(conn),))
    keys = ("name", "ref", "cols", "ref_cols", "on_delete", "on_update", "deferrable", "deferred",
            "validated")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def _ids(conn: Conn, table: str, col: str = "id") -> list[Any]:
    return [r[0] for r in pg_all(conn, sql.SQL("SELECT {} FROM {} ORDER BY 1").format(
        sql.Identifier(col), sql.Identifier(table)))]


# --- primary keys and identity ------------------------------------------------------

def test_autoincrement_keeps_ids_and_continues_past_sqlite_sequence(pg: Conn) -> None:
    assert _ids(pg, "pk_autoinc") == [1, 2, 3]
    assert pg_columns(pg, "pk_autoinc")["id"]["is_identity"] == "YES"
    assert _pk(pg, "pk_autoinc") == ["id"]
    # 50 was handed out once (sqlite_sequence); reusing it would revive a deleted id.
    assert pg_one(pg, "INSERT INTO pk_autoinc (name) VALUES ('next') RETURNING id") == 51


def test_rowid_alias_keeps_ids_and_continues_past_max(pg: Conn) -> None:
    assert _ids(pg, "pk_rowid_alias") == [5, 7, 100]
    assert pg_columns(pg, "pk_rowid_alias")["id"]["is_identity"] == "YES"
    assert pg_one(pg, "INSERT INTO pk_rowid_alias (name) VALUES ('next') RETURNING id") == 101


def test_composite_and_without_rowid_keys(pg: Conn) -> None:
    assert _pk(pg, "pk_composite") == ["a", "b"]
    assert _pk(pg, "pk_without_rowid") == ["code"]
    assert _pk(pg, "wr_composite") == ["a", "b"]
    assert pg_all(pg, "SELECT a, b, v FROM wr_composite ORDER BY a, b") == [
        (1, "x", 0.5), (1, "y", 1.5), (2, "x", 2.5)]
    _refused(pg, "INSERT INTO pk_composite VALUES (1, 'a', 'dup')", psycopg2.errors.UniqueViolation)


def test_without_rowid_reject_is_located_by_its_key(run: Migrated, pg: Conn) -> None:
    tr = run.ok().table("pk_without_rowid")
    assert (tr.source_rows, tr.copied_rows, tr.rejected_rows) == (4, 3, 1)
    assert _ids(pg, "pk_without_rowid", "code") == ["a", "b", "d"]
    lines = reject_lines(run.reject_dir, "pk_without_rowid")
    assert [(x["rowid"], x["column"], x["value"]) for x in lines] == [("c", "qty", "x")]
    assert lines[0]["reason"]


def test_null_in_a_text_primary_key_rejected_with_reason(run: Migrated, pg: Conn) -> None:
    """SQLite let two rows have a NULL key; PostgreSQL's key cannot: the rows go to the
    reject file, the key is created, and verification agrees that they are absent."""
    tr = run.ok().table("pk_text_null")
    assert (tr.source_rows, tr.copied_rows, tr.rejected_rows) == (4, 2, 2)
    assert _pk(pg, "pk_text_null") == ["code"]
    assert _ids(pg, "pk_text_null", "code") == ["a", "b"]
    lines = reject_lines(run.reject_dir, "pk_text_null")
    assert sorted((x["rowid"] for x in lines), key=repr) == [2, 3], lines
    assert all(x["reason"] for x in lines)
    assert (tr.count_match, tr.sample_mismatches) == (True, 0), tr.mismatches


def test_table_without_key_kept_as_is_and_said_so(run: Migrated, pg: Conn) -> None:
    assert pg_all(pg, "SELECT event, count(*) FROM no_pk_log GROUP BY event ORDER BY event") == [
        ("login", 3), ("logout", 1)]
    assert _pk(pg, "no_pk_log") == []
    assert "no primary key" in run.mapping_for("no_pk_log").note
    assert mentions(run.ok().to_dict(), "no_pk_log", "primary key"), \
        "the report does not say no_pk_log has no primary key"


# --- NOT NULL and DEFAULTs ------------------------------------------------------------

def test_not_null_carried_over(pg: Conn) -> None:
    cols = pg_columns(pg, "defaults_demo")
    assert {c for c, v in cols.items() if v["is_nullable"] == "NO"} == {"id", "flag", "empty_str"}
    assert pg_columns(pg, "fk_parent")["name"]["is_nullable"] == "NO"
    assert pg_columns(pg, "pk_composite")["a"]["is_nullable"] == "NO"


def test_defaults_are_expressions_not_strings(pg: Conn) -> None:
    cols = pg_columns(pg, "defaults_demo")
    for c in ("created_at", "created_on", "updated_at", "stamped"):
        d = cols[c]["column_default"] or ""
        assert d and "now" not in d.lower().split("'")[1::2], (c, d)  # not a quoted 'now'
        assert "current_timestamp'" not in d.lower() and "datetime(" not in d.lower(), (c, d)
    assert cols["flag"]["column_default"] == "true"
    assert cols["null_word"]["column_default"] == "'null'::text"


def test_defaults_fill_a_new_row(pg: Conn) -> None:
    with pg.cursor() as cur:
        cur.execute("INSERT INTO defaults_demo (id) VALUES (100) RETURNING created_at, created_on, "
                    "updated_at, stamped, flag, empty_str, null_word, quoted, qty, ratio, neg")
        (created_at, created_on, updated_at, stamped, flag, empty_str, null_word, quoted, qty,
         ratio, neg) = cur.fetchone()
    now = datetime.now(UTC).replace(tzinfo=None)  # SQLite's CURRENT_TIMESTAMP is UTC
    for v in (created_at, updated_at):
        assert abs(v - now) < timedelta(minutes=5), v
    assert abs(created_on - now.date()) <= timedelta(days=1)
    if isinstance(stamped, str):
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", stamped), stamped
    else:
        assert abs(stamped - now) < timedelta(minutes=5), stamped
    assert (flag, empty_str, null_word, quoted, qty, ratio, neg) == (
        True, "", "null", "it's", 0, 1.5, -1)


def test_defaults_rows_copied_as_they_were(pg: Conn) -> None:
    assert pg_all(pg, "SELECT id, flag, empty_str, null_word FROM defaults_demo ORDER BY id") == [
        (1, True, "", "null"), (2, False, "x", None)]


# --- CHECK constraints ------------------------------------------------------------------

def _checks(conn: Conn) -> dict[str, tuple[str, bool]]:
    return {r[0]: (r[1], r[2]) for r in pg_all(conn, """
        SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint
        WHERE conrelid = 'checks_demo'::regclass AND contype = 'c'""")}


def test_translatable_checks_exist(pg: Conn) -> None:
    defs = [d for d, _ in _checks(pg).values()]
    for fragment in ("qty >= 0", "status", "~~", "length(code) = 3", "qty < 1000"):
        assert any(fragment in d for d in defs), (fragment, defs)


def test_checks_refuse_new_violations(pg: Conn) -> None:
    bad = ["(10, -1, 'new', 'a@b', 'abc')", "(11, 1, 'zzz', 'a@b', 'abc')",
           "(12, 1, 'new', 'nope', 'abc')", "(13, 1, 'new', 'a@b', 'ab')",
           "(14, 5000, 'new', 'a@b', 'abc')"]
    for values in bad:
        _refused(pg, f"INSERT INTO checks_demo (id, qty, status, email, code) VALUES {values}",
                 psycopg2.errors.CheckViolation)
    _exec(pg, "INSERT INTO checks_demo (id, qty, status, email, code) VALUES (15, 5000, 'done', 'a@b', 'abc')")


def test_check_broken_by_old_rows_is_not_valid_and_reported(run: Migrated, pg: Conn) -> None:
    checks = _checks(pg)
    validated = {d: v for d, v in checks.values()}
    assert [v for d, v in validated.items() if "qty >= 0" in d] == [False]
    assert all(v for d, v in validated.items() if "qty >= 0" not in d), validated
    assert _ids(pg, "checks_demo") == [1, 2, 3]  # the old row is kept
    assert any(n.kind == "check" and "qty >= 0" in (n.sql + n.name) for n in run.ok().not_migrated)


def test_untranslatable_checks_listed(run: Migrated) -> None:
    listed = [n for n in run.ok().not_migrated if n.kind == "check"]
    assert any("typeof" in n.sql.lower() for n in listed), listed
    assert not any("glob" in n.sql.lower() for n in listed), listed


def test_glob_check_is_a_case_sensitive_regular_expression(pg: Conn) -> None:
    assert any("code2 ~ '^[a-z].*$'" in d for d, _ in _checks(pg).values()), _checks(pg)
    _exec(pg, "INSERT INTO checks_demo (id, qty, status, email, code, code2) "
              "VALUES (16, 1, 'new', 'a@b', 'abc', 'x1')")
    for bad in ("'X1'", "'1x'", "''"):  # GLOB '[a-z]*' refuses these in SQLite too
        _refused(pg, "INSERT INTO checks_demo (id, qty, status, email, code, code2) "
                     f"VALUES (17, 1, 'new', 'a@b', 'abc', {bad})", psycopg2.errors.CheckViolation)


# --- foreign keys -----------------------------------------------------------------------

def test_fk_actions(pg: Conn) -> None:
    (child,) = _fks(pg, "fk_child")
    assert (child["ref"], child["cols"], child["ref_cols"]) == ("fk_parent", ["parent_id"], ["id"])
    assert (child["on_delete"], child["on_update"]) == ("c", "c")
    (setnull,) = _fks(pg, "fk_setnull_child")
    assert (setnull["on_delete"], setnull["validated"]) == ("n", True)
    (restrict,) = _fks(pg, "fk_restrict_child")
    assert (restrict["ref_cols"], restrict["on_delete"]) == (["id"], "r")
    # And they act: deleting parent 1 cascades to fk_child and nulls fk_setnull_child.
    _exec(pg, "DELETE FROM fk_parent WHERE id = 1")
    assert _ids(pg, "fk_child") == [2, 3, 4, 5]
    assert pg_all(pg, "SELECT id, parent_id FROM fk_setnull_child ORDER BY id") == [(1, None), (2, None)]
    # PostgreSQL 16+ reports RESTRICT as restrict_violation, older ones as foreign_key_violation.
    _refused(pg, "DELETE FROM fk_parent WHERE id = 2",
             (psycopg2.errors.RestrictViolation, psycopg2.errors.ForeignKeyViolation))


def test_fk_deferrable_initially_deferred(pg: Conn) -> None:
    (fk,) = _fks(pg, "fk_deferred_child")
    assert (fk["deferrable"], fk["deferred"]) == (True, True)
    _exec(pg, "INSERT INTO fk_deferred_child VALUES (50, 777)")  # checked at commit only
    _exec(pg, "INSERT INTO fk_parent VALUES (777, 'late parent')")
    _exec(pg, "SET CONSTRAINTS ALL IMMEDIATE")


def test_composite_and_self_referencing_fks(pg: Conn) -> None:
    (comp,) = _fks(pg, "fk_comp_child")
    assert (comp["ref"], comp["cols"], comp["ref_cols"], comp["on_delete"]) == (
        "fk_comp_parent", ["a", "b"], ["a", "b"], "c")
    (self_ref,) = _fks(pg, "employees")
    assert (self_ref["ref"], self_ref["cols"], self_ref["ref_cols"]) == ("employees", ["manager_id"], ["id"])


def test_fk_to_missing_table_reported(run: Migrated, pg: Conn) -> None:
    assert _fks(pg, "fk_missing_child") == []
    assert any(n.kind == "foreign key" and "ghost_table" in n.name for n in run.ok().not_migrated)
    assert _ids(pg, "fk_missing_child") == [1, 2]


def test_orphans_found_and_listed(run: Migrated) -> None:
    found = {(o.table, o.column, o.references): o for o in run.ok().orphans}
    assert set(found) == {("fk_child", "parent_id", "fk_parent"),
                          ("fk_comp_child", "a, b", "fk_comp_parent"),
                          ("employees", "manager_id", "employees")}
    assert found["fk_child", "parent_id", "fk_parent"].rows == 2
    assert found["fk_comp_child", "a, b", "fk_comp_parent"].rows == 1
    assert found["employees", "manager_id", "employees"].rows == 1
    examples = getattr(found["fk_child", "parent_id", "fk_parent"], "examples", None)
    assert examples and {"3", "4"} <= {str(e) for e in examples}, examples


def test_default_orphan_policy_keeps_rows_constraint_not_valid(pg: Conn) -> None:
    assert _ids(pg, "fk_child") == [1, 2, 3, 4, 5]
    for table in ("fk_child", "fk_comp_child", "employees"):
        (fk,) = _fks(pg, table)
        assert fk["validated"] is False, table
    for table in ("fk_setnull_child", "fk_restrict_child", "fk_deferred_child"):
        (fk,) = _fks(pg, table)
        assert fk["validated"] is True, table
    # NOT VALID still checks new rows.
    _refused(pg, "INSERT INTO fk_child VALUES (60, 12345, 'new orphan')",
             psycopg2.errors.ForeignKeyViolation)


# --- the other orphan policies, each on a run of its own -----------------------------------

FK_TABLES = {"fk_parent", "fk_child", "fk_comp_parent", "fk_comp_child", "employees"}


@pytest.fixture(scope="module")
def fk_mapping(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Mapping]:
    """(corpus path, mapping with only the tables holding orphans); planned once."""
    src = build_corpus(tmp_path_factory.mktemp("corpus_orphans") / "corpus.db")
    mapping = plan_corpus(src)
    for tm in mapping.tables:
        tm.include = tm.source in FK_TABLES
    return src, mapping


def _policy_run(fk_mapping: tuple[Path, Mapping], policy: str, dsn: str, work: Path) -> Migrated:
    src, mapping = fk_mapping
    mapping = copy.deepcopy(mapping)
    mapping.orphans = policy
    return migrate(src, dsn, work / "rej", mapping)


def test_orphan_policy_null(fk_mapping: tuple[Path, Mapping], pg_dsn: str, pg_conn: Conn,
                            tmp_path: Path) -> None:
    run = _policy_run(fk_mapping, "null", pg_dsn, tmp_path)
    report = run.ok()
    assert pg_all(pg_conn, "SELECT id, parent_id FROM fk_child ORDER BY id") == [
        (1, 1), (2, 2), (3, None), (4, None), (5, None)]
    assert pg_all(pg_conn, "SELECT id, manager_id FROM employees ORDER BY id") == [
        (1, None), (2, 1), (3, 2), (4, None), (5, None)]
    assert pg_one(pg_conn, "SELECT count(*) FROM fk_comp_child") == 4
    for table in ("fk_child", "fk_comp_child", "employees"):
        fks = _fks(pg_conn, table)
        assert [fk["validated"] for fk in fks] == [True], (table, fks)
    tr = report.table("fk_child")
    assert (tr.copied_rows, tr.rejected_rows) == (5, 0)
    assert tr.nulled_by_column.get("parent_id") == 2, tr.nulled_by_column
    assert {o.table for o in report.orphans} == {"fk_child", "fk_comp_child", "employees"}


def test_orphan_policy_reject(fk_mapping: tuple[Path, Mapping], pg_dsn: str, pg_conn: Conn,
                              tmp_path: Path) -> None:
    run = _policy_run(fk_mapping, "reject", pg_dsn, tmp_path)
    report = run.ok()
    assert _ids(pg_conn, "fk_child") == [1, 2, 5]
    assert _ids(pg_conn, "fk_comp_child") == [1, 2, 4]
    assert _ids(pg_conn, "employees") == [1, 2, 3, 5]
    for table, rejected in (("fk_child", 2), ("fk_comp_child", 1), ("employees", 1)):
        tr = report.table(table)
        assert tr.rejected_rows == rejected, table
        assert tr.source_rows == tr.copied_rows + tr.rejected_rows, table
        assert pg_one(pg_conn, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))) \
            == tr.copied_rows, table
        assert [fk["validated"] for fk in _fks(pg_conn, table)] == [True], table
    lines = reject_lines(run.reject_dir, "fk_child")
    assert sorted((x["rowid"] for x in lines), key=repr) == [3, 4], lines
    assert all(x["column"] == "parent_id" and x["value"] == 999 and "fk_parent" in x["reason"]
               for x in lines), lines


def test_orphan_policy_skip(fk_mapping: tuple[Path, Mapping], pg_dsn: str, pg_conn: Conn,
                            tmp_path: Path) -> None:
    run = _policy_run(fk_mapping, "skip", pg_dsn, tmp_path)
    report = run.ok()
    assert _ids(pg_conn, "fk_child") == [1, 2, 3, 4, 5]
    for table in ("fk_child", "fk_comp_child", "employees"):
        assert _fks(pg_conn, table) == [], table
    assert {o.table for o in report.orphans} == {"fk_child", "fk_comp_child", "employees"}
    assert any(n.kind == "foreign key" and "fk_child" in n.name for n in report.not_migrated)
