"""`verify`: counts and sampled rows compared value by value with the source."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg2
import psycopg2.extensions
import pytest
from helpers import isolate_environment, make_sqlite, migrate_cli, run_cli, table_report

SCHEMA = """
CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT NOT NULL, born TEXT, height REAL,
                    vip BOOLEAN, photo BLOB);
CREATE TABLE tags(tag TEXT NOT NULL, person INTEGER, weight REAL);  -- no primary key
"""
PEOPLE = [(i, f"person {i}", f"19{50 + i}-01-0{1 + i % 9}T08:00:00Z", 1.5 + i / 8,
           i % 2, bytes([i, 0, 255 - i])) for i in range(1, 31)]
TAGS = [("red", 1, 0.5), ("red", 1, 0.5), ("blue", 2, None), ("green", None, 2.0)]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


@pytest.fixture
def migrated(tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]) -> Path:
    src = make_sqlite(tmp_path / "people.db", SCHEMA, {"people": PEOPLE, "tags": TAGS})
    res, report = migrate_cli(capsys, src, pg_dsn, tmp_path)
    assert res.code == 0, res.err
    assert report["ok"] is True
    return src


def _verify(capsys: pytest.CaptureFixture[str], src: Path, dsn: str,
            tmp_path: Path, *extra: str) -> tuple[int, dict, str]:
    report = tmp_path / "verify.json"
    res = run_cli(capsys, "verify", src, "--pg", dsn, "--sample", "1000", "--report", report,
                  *extra)
    return res.code, json.loads(report.read_text(encoding="utf-8")), res.out


def test_verify_clean_migration(migrated: Path, pg_dsn: str, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    code, report, out = _verify(capsys, migrated, pg_dsn, tmp_path)
    assert code == 0, out
    people = table_report(report, "people")
    # --sample larger than the table: every row is compared.
    assert (people["source_rows"], people["target_rows"], people["count_match"]) == (30, 30, True)
    assert (people["sample_checked"], people["sample_mismatches"]) == (30, 0)
    tags = table_report(report, "tags")  # no key: whole rows are matched, duplicates too
    assert (tags["sample_checked"], tags["sample_mismatches"], tags["count_match"]) == (4, 0, True)
    assert "OK" in out


def test_verify_finds_a_changed_value(migrated: Path, pg_dsn: str, tmp_path: Path,
                                      pg_conn: psycopg2.extensions.connection,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    with pg_conn.cursor() as cur:
        cur.execute("UPDATE people SET name = 'someone else' WHERE id = 17")
    code, report, out = _verify(capsys, migrated, pg_dsn, tmp_path)
    assert code == 1
    assert report["ok"] is False
    people = table_report(report, "people")
    assert people["count_match"] is True  # counts alone would not have caught it
    assert people["sample_mismatches"] == 1
    assert people["mismatches"] == [{"locator": 17, "column": "name", "sqlite": "'person 17'",
                                     "postgres": "'someone else'"}]
    assert "DIFFERENCES" in out and "someone else" in out


@pytest.mark.parametrize(("stmt", "column"), [
    ("UPDATE people SET height = height + 1e-9 WHERE id = 3", "height"),
    ("UPDATE people SET photo = '\\x00'::bytea WHERE id = 3", "photo"),
    ("UPDATE people SET born = born + interval '1 second' WHERE id = 3", "born"),
    ("UPDATE people SET vip = NOT vip WHERE id = 3", "vip"),
])
def test_verify_sees_small_changes_in_every_type(migrated: Path, pg_dsn: str, tmp_path: Path,
                                                 pg_conn: psycopg2.extensions.connection,
                                                 capsys: pytest.CaptureFixture[str],
                                                 stmt: str, column: str) -> None:
    with pg_conn.cursor() as cur:
        cur.execute(stmt)
    code, report, _ = _verify(capsys, migrated, pg_dsn, tmp_path)
    assert code == 1
    people = table_report(report, "people")
    assert [(m["locator"], m["column"]) for m in people["mismatches"]] == [(3, column)]


def test_verify_finds_a_deleted_row(migrated: Path, pg_dsn: str, tmp_path: Path,
                                    pg_conn: psycopg2.extensions.connection,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    with pg_conn.cursor() as cur:
        cur.execute("DELETE FROM people WHERE id = 5")
    code, report, _ = _verify(capsys, migrated, pg_dsn, tmp_path)
    assert code == 1
    people = table_report(report, "people")
    assert people["count_match"] is False
    assert {"locator": 5, "column": "(row)", "sqlite": "present", "postgres": "missing"} in \
        people["mismatches"]


def test_verify_finds_an_extra_duplicate_in_a_keyless_table(
        migrated: Path, pg_dsn: str, tmp_path: Path, pg_conn: psycopg2.extensions.connection,
        capsys: pytest.CaptureFixture[str]) -> None:
    with pg_conn.cursor() as cur:
        cur.execute("INSERT INTO tags VALUES ('blue', 2, NULL)")
    code, report, _ = _verify(capsys, migrated, pg_dsn, tmp_path)
    assert code == 1
    assert table_report(report, "tags")["count_match"] is False


def test_verify_missing_target_table_cannot_run(migrated: Path, pg_dsn: str,
                                                pg_conn: psycopg2.extensions.connection,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with pg_conn.cursor() as cur:
        cur.execute("DROP TABLE tags")
    res = run_cli(capsys, "verify", migrated, "--pg", pg_dsn, "--quiet")
    assert res.code == 2
    assert len(res.error_lines) == 1 and "tags" in res.error_lines[0]
    assert "Traceback" not in res.err


def test_verify_full_reports_a_deleted_row_of_a_composite_key_table(
        tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A two-column key identifies rows by a list; --full once crashed hashing it."""
    src = make_sqlite(tmp_path / "enrol.db",
                      "CREATE TABLE enrol(student INTEGER, course INTEGER, grade TEXT,"
                      " PRIMARY KEY (student, course)) WITHOUT ROWID;",
                      {"enrol": [(s, c, f"g{s}{c}") for s in range(1, 6) for c in range(1, 4)]})
    res, _ = migrate_cli(capsys, src, pg_dsn, tmp_path)
    assert res.code == 0, res.err
    with psycopg2.connect(pg_dsn) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM enrol WHERE student = 2 AND course = 3")
    conn.close()
    code, report, out = _verify(capsys, src, pg_dsn, tmp_path, "--full")
    assert code == 1, out
    enrol = table_report(report, "enrol")
    assert enrol["checksum_match"] is False
    # The checksum names the row by its key columns (the sample, when it drew the row, by text).
    assert {"locator": [2, 3], "column": "(row)", "sqlite": "present", "postgres": "missing"} \
        in enrol["mismatches"]
    assert "unhashable" not in out
