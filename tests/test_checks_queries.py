"""Important queries: written for SQLite, translated for PostgreSQL (or written by hand), run
on both sides and compared after normalising types. Real queries on a real migration."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import tomli_w
from corpus import scratch_database
from helpers import isolate_environment, run_cli
from psycopg2 import sql
from test_checks import Shop, build_shop, shop_mapping

from sqlite2pg_tui.core.plan.mapping import Check
from sqlite2pg_tui.core.sql.query_translate import Untranslatable, translate
from sqlite2pg_tui.core.verify.queries import run_checks, run_query_both
from sqlite2pg_tui.core.verify.rejected import exclusions
from sqlite2pg_tui.core.verify.results import CheckResult, QueryComparison


@pytest.fixture(scope="module")
def shop(pg_server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    work = tmp_path_factory.mktemp("shopq")
    src = build_shop(work / "shop.db")
    with scratch_database(pg_server_dsn) as dsn:
        yield Shop(src, dsn, shop_mapping(src), work)


@pytest.fixture(scope="module")
def migrated(shop: Shop) -> tuple[Shop, str, dict[str, set[Any]]]:
    schema, report = shop.migrate(checks=False)
    return shop, schema, exclusions(str(shop.src), shop.mapping, report)


# Real queries people write against SQLite, each touching something the migration changed.
QUERIES = [
    "SELECT count(*) FROM customers",
    "SELECT count(*) FROM customers WHERE vip = 1",
    "SELECT sum(vip), avg(vip), total(vip) FROM customers",
    "SELECT vip, count(*) FROM customers GROUP BY vip",
    "SELECT id, vip FROM customers WHERE vip ORDER BY id",
    "SELECT count(*) FROM customers WHERE created > '2024-01-15'",
    "SELECT count(*) FROM customers WHERE created < datetime('now', '-1 day')",
    "SELECT date('now') > '2020-01-01', datetime('now', 'start of year') <= datetime('now')",
    "SELECT strftime('%Y', created) AS y, count(*) FROM customers GROUP BY 1",
    "SELECT strftime('%Y-%m-%d %H:%M', created) FROM customers ORDER BY id LIMIT 3",
    "SELECT date(created), datetime(created) FROM customers WHERE id = 3",
    "SELECT date(created, '+1 month', 'start of month') FROM customers WHERE id = 31 - 1",
    "SELECT datetime(created, '+1 month', '-1 day', '+2 hours') FROM customers WHERE id > 27",
    "SELECT date('2024-01-31', '+1 month'), date('2024-02-29', '+1 year')",
    "SELECT substr(created, 1, 7) AS month, count(*) FROM customers GROUP BY month",
    "SELECT strftime('%d', created) d, count(*) FROM customers GROUP BY d HAVING d > '25'",
    "SELECT id * 2 AS twice FROM customers WHERE twice > 50",
    "SELECT max(created), min(created) FROM customers",
    "SELECT id FROM customers WHERE created BETWEEN '2024-01-05' AND '2024-01-09 23:59:59'",
    "SELECT count(*) FROM customers WHERE julianday(created) - julianday('2024-01-01') > 10",
    "SELECT unixepoch(created) FROM customers WHERE id = 2",
    "SELECT strftime('%s', created) FROM customers WHERE id = 2",
    "SELECT max(seen), min(seen) FROM customers",
    "SELECT count(*) FROM customers WHERE seen > 1700036000",
    "SELECT datetime(seen, 'unixepoch') FROM customers WHERE id = 4",
    "SELECT sum(seen) / count(*) FROM customers",
    "SELECT IFNULL(name, '-') FROM customers WHERE id < 4",
    "SELECT GROUP_CONCAT(email) FROM customers WHERE id < 6",
    "SELECT group_concat(id, ';') FROM customers WHERE vip = 0",
    "SELECT * FROM customers ORDER BY id LIMIT -1",
    "SELECT id FROM customers ORDER BY id LIMIT -1 OFFSET 25",
    "SELECT sum(balance), avg(balance) FROM customers",
    "SELECT round(balance, 1) FROM customers WHERE id = 3",
    "SELECT id / 4, id % 4, 7 / 2 FROM customers WHERE id < 9",
    "SELECT sum(credit), max(credit) FROM customers",
    "SELECT credit / 2 FROM customers WHERE id < 5",
    "SELECT name || ' #' || id || ' vip:' || vip FROM customers WHERE id < 4",
    "SELECT name || NULL FROM customers WHERE id = 1",
    "SELECT count(*) FROM customers WHERE name LIKE 'customer 1%'",
    "SELECT count(*) FROM customers WHERE email NOT LIKE '%@X.ORG'",
    "SELECT count(*) FROM customers WHERE name GLOB 'Customer [12]*'",
    "SELECT name FROM customers ORDER BY name LIMIT 5",
    "SELECT max(name), min(email) FROM customers",
    "SELECT length(name), upper(email), instr(email, '@') FROM customers WHERE id = 12",
    "SELECT json_extract(prefs, '$.n') FROM customers WHERE id = 9",
    "SELECT prefs FROM customers WHERE id = 9",
    "SELECT photo, length(photo) FROM customers WHERE id = 2",
    "SELECT max(id, 10), min(id, 10) FROM customers WHERE id IN (3, 12)",
    "SELECT iif(vip, 'yes', 'no') FROM customers WHERE id = 3",
    "SELECT COALESCE(vip, 0) FROM customers WHERE id = 4",
    "SELECT c.id, count(r.id) FROM customers c LEFT JOIN readings r ON r.qty = c.id "
    "GROUP BY c.id HAVING count(r.id) > 0",
    "WITH v AS (SELECT id FROM customers WHERE vip = 1) SELECT count(*) FROM v",
    # the dirty table: rows the copy rejected are left out on SQLite's side too
    "SELECT count(*), sum(qty) FROM readings",
    "SELECT id, taken FROM readings WHERE id < 8 ORDER BY id",
]


@pytest.mark.parametrize("query", QUERIES)
def test_query_means_the_same_on_both_sides(migrated: tuple[Shop, str, dict[str, set[Any]]],
                                            query: str) -> None:
    shop, schema, exclude = migrated
    qc = run_query_both(str(shop.src), shop.dsn, shop.mapping, query, schema, exclude=exclude)
    assert (qc.sqlite_error, qc.postgres_error) == ("", ""), qc.postgres_sql
    assert qc.ok, (qc.postgres_sql, qc.first_difference)
    assert qc.sqlite_rows and len(qc.sqlite_rows) == len(qc.postgres_rows)


def test_translation_reads_like_the_mapping_says() -> None:
    from test_checks import SCHEMA  # noqa: F401 - the same shop

    from sqlite2pg_tui.core.plan.mapping import ColumnMapping, Mapping, TableMapping

    m = Mapping(tables=[TableMapping("Orders", "orders_v2", columns=[
        ColumnMapping("Flag", "is_flag", "INTEGER", "boolean", "boolean"),
        ColumnMapping("ts", "ts", "TEXT", "timestamp", "timestamp"),
        ColumnMapping("t", "t", "TEXT", "text", "text")])])
    t = translate("SELECT sum(flag), count(*) FROM orders o WHERE o.flag = 1 AND t LIKE 'a%' "
                  "ORDER BY t LIMIT -1", m)
    assert t.sql == ('SELECT SUM(CAST("is_flag" AS INT)), COUNT(*) FROM "orders_v2" AS o '
                     'WHERE o."is_flag" = TRUE AND "t" ILIKE \'a%\' ESCAPE \'\' '
                     'ORDER BY "t" COLLATE "C" NULLS FIRST LIMIT NULL')
    assert t.ordered
    assert translate("SELECT substr(ts, 1, 4) FROM orders", m).sql == \
        'SELECT SUBSTRING(CAST("ts" AS TEXT) FROM 1 FOR 4) FROM "orders_v2"'
    for bad, why in [("SELECT typeof(t) FROM orders", "typeof"), ("DELETE FROM orders", "SELECT"),
                     ("SELECT datetime('now', 'localtime')", "localtime"),
                     ("SELECT strftime('%W', ts) FROM orders", "%W")]:
        with pytest.raises(Untranslatable, match=why):
            translate(bad, m)


def test_a_difference_is_shown_row_against_row(migrated: tuple[Shop, str, dict[str, set[Any]]]) -> None:
    shop, schema, _ = migrated
    qc = run_query_both(str(shop.src), shop.dsn, shop.mapping,
                        "SELECT id, name FROM customers WHERE id IN (1, 2)", schema,
                        postgres_sql="SELECT id, upper(name) FROM customers WHERE id IN (1, 2)")
    assert isinstance(qc, QueryComparison) and not qc.translated and qc.ok is False
    assert qc.first_difference == {"row": 0, "sqlite": [1, "Customer 1"], "postgres": [1, "CUSTOMER 1"]}
    assert len(qc.differences) == 2


def test_row_and_column_count_differences_are_named(migrated: tuple[Shop, str, dict[str, set[Any]]]) -> None:
    shop, schema, _ = migrated
    res = run_checks(str(shop.src), shop.dsn, shop.mapping, [
        Check("fewer rows", "SELECT id FROM customers WHERE id < 4",
              "SELECT id FROM customers WHERE id < 3"),
        Check("more columns", "SELECT id FROM customers WHERE id = 1",
              "SELECT id, name FROM customers WHERE id = 1"),
        Check("order matters", "SELECT id FROM customers WHERE id < 4 ORDER BY id",
              "SELECT id FROM customers WHERE id < 4 ORDER BY id DESC"),
    ], schema)
    assert [r.ok for r in res] == [False, False, False]
    assert res[0].first_difference == {"row": 2, "sqlite": [3], "postgres": None,
                                       "message": "3 row(s) in SQLite, 2 in PostgreSQL"}
    assert res[1].first_difference is not None and "1 column(s) in SQLite" in res[1].first_difference["message"]
    assert "different order" in res[2].note


def test_a_check_that_cannot_run_is_reported_not_raised(
        migrated: tuple[Shop, str, dict[str, set[Any]]]) -> None:
    shop, schema, _ = migrated
    res = run_checks(str(shop.src), shop.dsn, shop.mapping, [
        Check("no such table", "SELECT count(*) FROM nope"),
        Check("bad postgres", "SELECT count(*) FROM customers", "SELECT count(*) FROM nope"),
        Check("untranslatable", "SELECT typeof(id) FROM customers"),
        Check("writes", "SELECT 1", "DELETE FROM customers RETURNING id"),
    ], schema)
    assert all(isinstance(r, CheckResult) and not r.ok for r in res)
    assert "SQLite: no such table: nope" in res[0].error
    assert "PostgreSQL" in res[1].error and "nope" in res[1].error
    assert "postgres" in res[2].error  # says to write it by hand
    assert "read-only" in res[3].error  # checks never change the target
    conn = psycopg2.connect(shop.dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("SELECT count(*) FROM {}.customers").format(sql.Identifier(schema)))
            assert cur.fetchone()[0] == 30
    finally:
        conn.close()


# --- the CLI ------------------------------------------------------------------------------

@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    isolate_environment(monkeypatch, tmp_path)
    return tmp_path


def _mapping_file(shop: Shop, path: Path, checks: list[dict[str, str]], schema: str) -> Path:
    m = shop_mapping(shop.src)
    m.schema = schema
    data = m.to_dict()
    data["checks"] = checks
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def test_cli_verify_runs_mapping_checks_and_queries(shop: Shop, cli_env: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    schema, _ = shop.migrate(reject_dir=str(cli_env / "rej"))
    mapping = _mapping_file(shop, cli_env / "m.toml", [
        {"name": "vip customers", "sqlite": "SELECT count(*) FROM customers WHERE vip = 1"},
        {"name": "latest", "sqlite": "SELECT max(created) FROM customers",
         "postgres": "SELECT max(created) FROM customers"},
    ], schema)
    report = cli_env / "r.json"
    res = run_cli(capsys, "verify", shop.src, "--pg", shop.dsn, "--mapping", mapping,
                  "--reject-dir", cli_env / "rej", "--report", report,
                  "--query", "SELECT count(*), sum(qty) FROM readings",
                  "--query", "SELECT strftime('%m', created), count(*) FROM customers GROUP BY 1")
    data = json.loads(report.read_text(encoding="utf-8"))
    named = {c["name"]: c for c in data["checks"] if c["kind"] != "default"}
    assert set(named) == {"vip customers", "latest", "SELECT count(*), sum(qty) FROM readings",
                          "SELECT strftime('%m', created), count(*) FROM customers GROUP BY 1"}
    assert all(c["ok"] for c in data["checks"]), [c for c in data["checks"] if not c["ok"]]
    assert named["vip customers"]["sqlite_rows"] == named["vip customers"]["pg_rows"] == 1
    assert "default checks" in res.out and "vip customers" in res.out
    # readings had rejected rows, so the run's report is not "ok" overall; the checks are.
    assert res.code == 1 and all(t["ok"] for t in data["tables"] if t["source"] == "customers")


def test_cli_verify_full_exit_code_and_named_row(shop: Shop, cli_env: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    schema, _ = shop.migrate(reject_dir=str(cli_env / "rej"))
    conn = psycopg2.connect(shop.dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("UPDATE {}.customers SET vip = NOT vip WHERE id = 21").format(
                sql.Identifier(schema)))
        conn.commit()
    finally:
        conn.close()
    mapping = _mapping_file(shop, cli_env / "m.toml", [], schema)
    report = cli_env / "r.json"
    res = run_cli(capsys, "verify", shop.src, "--pg", shop.dsn, "--mapping", mapping, "--full",
                  "--reject-dir", cli_env / "rej", "--report", report, "--sample", "1")
    assert res.code == 1
    data = json.loads(report.read_text(encoding="utf-8"))
    customers = next(t for t in data["tables"] if t["source"] == "customers")
    assert customers["checksum_match"] is False
    assert {"locator": 21, "column": "vip", "sqlite": "true", "postgres": "false"} in customers["mismatches"]
    assert next(t for t in data["tables"] if t["source"] == "readings")["checksum_match"] is True
    assert "DIFF customers: true(vip)" in res.out and "full-table checksums" in res.out
    assert "customers row 21: vip" in res.out


def test_cli_run_full_verify(shop: Shop, cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = cli_env / "r.json"
    mapping = _mapping_file(shop, cli_env / "m.toml", [
        {"name": "flags", "sqlite": "SELECT vip, count(*) FROM customers GROUP BY vip"}], "runfull")
    res = run_cli(capsys, "run", shop.src, "--pg", shop.dsn, "--mapping", mapping, "--full-verify",
                  "--reject-dir", cli_env / "rej", "--report", report, "--quiet")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert [t["checksum_match"] for t in data["tables"]] == [True, True]
    assert all(c["ok"] for c in data["checks"])
    assert "checksum" in data["phases_s"]
    assert res.code == 1  # readings rejected two rows: reported, as always
