"""`run`: the report's documented keys, every way of naming the target, and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg2.extensions
import pytest
from helpers import (
    as_uri,
    dsn_params,
    isolate_environment,
    make_sqlite,
    migrate_cli,
    pg_all,
    pg_count,
    pg_select,
    run_cli,
    table_report,
    with_params,
)

SCHEMA = """
CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL, age INTEGER);
CREATE TABLE orders(id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), total REAL);
CREATE TRIGGER trg_orders AFTER INSERT ON orders BEGIN SELECT 1; END;
"""
USERS = [(1, "a@x", 30), (2, "b@x", 41), (3, "c@x", None)]
ORDERS = [(1, 1, 9.5), (2, 1, 10.0), (3, 7, 1.25)]  # order 3 is an orphan: no user 7

REPORT_KEYS = {"ok", "source", "target", "tables", "orphans", "not_migrated", "rejects_dir",
               "phases_s"}
TABLE_KEYS = {"source", "target", "source_rows", "copied_rows", "rejected_rows", "count_match",
              "sample_checked", "sample_mismatches"}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return make_sqlite(tmp_path / "shop.db", SCHEMA, {"users": USERS, "orders": ORDERS})


def _assert_migrated(conn: psycopg2.extensions.connection) -> None:
    assert pg_select(conn, "users", ["id", "email", "age"], "id") == USERS
    assert pg_select(conn, "orders", ["id", "user_id", "total"], "id") == ORDERS


def test_report_has_the_documented_keys(src: Path, tmp_path: Path, pg_dsn: str,
                                        pg_conn: psycopg2.extensions.connection,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    res, report = migrate_cli(capsys, src, pg_dsn, tmp_path)
    assert res.code == 0, res.err
    assert report.keys() >= REPORT_KEYS
    assert report["ok"] is True
    assert report["source"] == str(src)
    assert report["rejects_dir"] == str(tmp_path / "rejects")
    for t in report["tables"]:
        assert t.keys() >= TABLE_KEYS
    users = table_report(report, "users")
    assert {k: users[k] for k in TABLE_KEYS} == {
        "source": "users", "target": "users", "source_rows": 3, "copied_rows": 3,
        "rejected_rows": 0, "count_match": True, "sample_checked": 3, "sample_mismatches": 0}
    assert report["orphans"] == [
        {"table": "orders", "column": "user_id", "references": "users", "rows": 1,
         "action": "constraint added NOT VALID: rows kept, new rows checked", "examples": ["3"]}]
    assert {"kind", "name", "reason"} <= report["not_migrated"][0].keys()
    assert ("trigger", "trg_orders") in {(n["kind"], n["name"]) for n in report["not_migrated"]}
    assert set(report["phases_s"]) == {"inspect", "schema", "data", "constraints", "indexes",
                                       "foreign keys", "sequences", "analyze", "verify"}
    assert all(isinstance(v, float | int) and v >= 0 for v in report["phases_s"].values())
    _assert_migrated(pg_conn)


def test_quiet_prints_nothing(src: Path, tmp_path: Path, pg_dsn: str,
                              capsys: pytest.CaptureFixture[str]) -> None:
    res, _ = migrate_cli(capsys, src, pg_dsn, tmp_path)
    assert res.code == 0
    assert (res.out, res.err) == ("", "")


def test_printed_report_without_quiet(src: Path, tmp_path: Path, pg_dsn: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "run", src, "--pg", pg_dsn, "--reject-dir", tmp_path / "rj")
    assert res.code == 0, res.err
    assert "OK: every row accounted for and verified" in res.out
    assert "orphan rows" in res.out
    assert "phase: data" in res.err  # progress goes to stderr, the report to stdout


def test_dsn_as_uri(src: Path, tmp_path: Path, pg_dsn: str,
                    pg_conn: psycopg2.extensions.connection,
                    capsys: pytest.CaptureFixture[str]) -> None:
    uri = as_uri(pg_dsn)
    assert uri.startswith("postgresql://")
    res, report = migrate_cli(capsys, src, uri, tmp_path)
    assert res.code == 0, res.err
    assert dsn_params(pg_dsn)["dbname"] in report["target"]
    _assert_migrated(pg_conn)


def test_dsn_as_key_value(src: Path, tmp_path: Path, pg_dsn: str,
                          pg_conn: psycopg2.extensions.connection,
                          capsys: pytest.CaptureFixture[str]) -> None:
    kv = with_params(pg_dsn)
    assert "=" in kv and "://" not in kv
    res, report = migrate_cli(capsys, src, kv, tmp_path)
    assert res.code == 0, res.err
    _assert_migrated(pg_conn)


def test_libpq_environment_variables(src: Path, tmp_path: Path, pg_dsn: str,
                                     pg_conn: psycopg2.extensions.connection,
                                     monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    params = dsn_params(pg_dsn)
    monkeypatch.setenv("PGHOST", params["host"])
    monkeypatch.setenv("PGPORT", params.get("port", "5432"))
    monkeypatch.setenv("PGDATABASE", params["dbname"])
    monkeypatch.setenv("PGUSER", params["user"])
    if params.get("password"):  # SQLITE2PG_TEST_DSN may point at a server that checks it
        monkeypatch.setenv("PGPASSWORD", params["password"])
    res, report = migrate_cli(capsys, src, "", tmp_path)
    assert res.code == 0, res.err
    _assert_migrated(pg_conn)
    assert "password" not in report["target"]


def test_target_never_contains_the_password(src: Path, tmp_path: Path, pg_dsn: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    # The embedded server trusts local connections, so any password is accepted and ignored;
    # a server from SQLITE2PG_TEST_DSN gets its real one. Either way it is never written.
    secret = dsn_params(pg_dsn).get("password") or "secret"
    for dsn in (with_params(pg_dsn, password=secret),
                as_uri(with_params(pg_dsn, password=secret))):
        res, report = migrate_cli(capsys, src, dsn, tmp_path, "--if-exists", "replace")
        assert res.code == 0, res.err
        raw = (tmp_path / "report.json").read_text(encoding="utf-8")
        assert secret not in raw
        assert secret not in report["target"]
        assert dsn_params(pg_dsn)["dbname"] in report["target"]
        printed = run_cli(capsys, "run", src, "--pg", dsn, "--if-exists", "replace",
                          "--reject-dir", tmp_path / "rj")
        assert printed.code == 0
        assert "secret" not in printed.out + printed.err


def test_connection_error_does_not_show_the_password(src: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    dsn = "host=127.0.0.1 port=1 dbname=x user=y password=secret connect_timeout=3"
    res, _ = migrate_cli(capsys, src, dsn, tmp_path)
    assert res.code == 2
    assert "secret" not in res.err + res.out


def test_exit_0_when_everything_copied_and_verified(src: Path, tmp_path: Path, pg_dsn: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    res, report = migrate_cli(capsys, src, pg_dsn, tmp_path)
    assert (res.code, report["ok"]) == (0, True)


def test_exit_1_when_rows_are_rejected(tmp_path: Path, pg_dsn: str,
                                       pg_conn: psycopg2.extensions.connection,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    rows = [(i, i * 10) for i in range(1, 10)] + [(10, "ten")]
    src = make_sqlite(tmp_path / "d.db", "CREATE TABLE m(id INTEGER PRIMARY KEY, v INTEGER);",
                      {"m": rows})
    res, report = migrate_cli(capsys, src, pg_dsn, tmp_path)
    assert res.code == 1, res.err
    assert report["ok"] is False
    m = table_report(report, "m")
    assert (m["copied_rows"], m["rejected_rows"], m["count_match"]) == (9, 1, True)
    assert pg_count(pg_conn, "m") == 9


def test_exit_2_when_it_cannot_run(tmp_path: Path, pg_dsn: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    res, report = migrate_cli(capsys, tmp_path / "missing.db", pg_dsn, tmp_path)
    assert res.code == 2
    assert report == {}  # no run, so no report


def test_schema_option(src: Path, tmp_path: Path, pg_dsn: str,
                       pg_conn: psycopg2.extensions.connection,
                       capsys: pytest.CaptureFixture[str]) -> None:
    res, report = migrate_cli(capsys, src, pg_dsn, tmp_path, "--schema", "Staging Area")
    assert res.code == 0, res.err
    assert report["schema"] == "Staging Area"
    assert pg_count(pg_conn, "users", schema="Staging Area") == 3
    assert pg_count(pg_conn, "orders", schema="Staging Area") == 3
    verified = run_cli(capsys, "verify", src, "--pg", pg_dsn, "--schema", "Staging Area",
                       "--quiet")
    assert verified.code == 0, verified.err


def test_run_with_a_saved_mapping(src: Path, tmp_path: Path, pg_dsn: str,
                                  pg_conn: psycopg2.extensions.connection,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    mapping = tmp_path / "m.toml"
    assert run_cli(capsys, "plan", src, "-o", mapping).code == 0
    text = mapping.read_text(encoding="utf-8").replace('target = "users"', 'target = "customers"')
    mapping.write_text(text, encoding="utf-8")
    res, report = migrate_cli(capsys, src, pg_dsn, tmp_path, "--mapping", mapping)
    assert res.code == 0, res.err
    assert table_report(report, "users")["target"] == "customers"
    assert pg_count(pg_conn, "customers") == 3
    assert pg_count(pg_conn, "orders") == 3
    # The foreign key follows the renamed parent.
    assert pg_all(pg_conn, "SELECT conrelid::regclass::text, confrelid::regclass::text "
                           "FROM pg_constraint WHERE contype = 'f'") == [("orders", "customers")]


def test_report_json_is_valid_utf8_json(src: Path, tmp_path: Path, pg_dsn: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    res, _ = migrate_cli(capsys, src, pg_dsn, tmp_path)
    assert res.code == 0
    doc: Any = json.loads((tmp_path / "report.json").read_bytes().decode("utf-8"))
    assert isinstance(doc, dict)
