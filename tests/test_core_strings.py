"""Strings arrive byte-identical through both copy paths; every identifier is quoted."""

from __future__ import annotations

from pathlib import Path

import psycopg2.extensions
import pytest
from helpers import (
    edit_mapping,
    isolate_environment,
    make_sqlite,
    migrate_cli,
    pg_columns,
    pg_count,
    pg_select,
    run_cli,
    table_report,
)
from psycopg2 import sql

from sqlite2pg_tui.core.pipeline import RunOptions, run_migration
from sqlite2pg_tui.core.plan.mapping import Mapping

NASTY = [
    "back\\slash", "\\", "\\\\", "ends with backslash\\", "tab\there", "\t", "cr\rlf\n", "\r\n",
    "\n\n", "\\N", "N", "\\n (literal backslash-n)", "\\t", "\\x41", "\\.", ".", "a\\\tb",
    "emoji 😀👍🏽", "e\u0301 combining", "\u0065\u0301\u0302", "中文字符", "\u2028\u2029",
    "zero\u200bwidth", "  spaces  ", "", "NULL", "null", "'quoted'", '"double"', "\x7f\x01\x1b",
    "ünïcödé", "\ufeffBOM", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "x" * 70_000,
]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    rows = [(i, s) for i, s in enumerate(NASTY, 1)] + [(len(NASTY) + 1, None)]
    return make_sqlite(tmp_path / "s.db", "CREATE TABLE s(id INTEGER PRIMARY KEY, v TEXT);",
                       {"s": rows})


@pytest.mark.parametrize(("converter", "options", "pg_type"), [
    ("text", {}, "text"),
    # A length limit and a cleaning converter take the copy engine's other formatting paths.
    ("varchar", {"length": 100_000}, "varchar(100000)"),
    ("text_clean", {}, "text"),
])
def test_strings_are_byte_identical(src: Path, tmp_path: Path, pg_dsn: str,
                                    pg_conn: psycopg2.extensions.connection,
                                    capsys: pytest.CaptureFixture[str], converter: str,
                                    options: dict[str, int], pg_type: str) -> None:
    mapping = tmp_path / "m.toml"
    assert run_cli(capsys, "plan", src, "-o", mapping).code == 0
    assert Mapping.load(mapping).table("s").column("v").converter == "text"
    edit_mapping(mapping, "s", "v", converter=converter, options=options, pg_type=pg_type)
    res, report = migrate_cli(capsys, src, pg_dsn, tmp_path, "--sample", "1000",
                              "--mapping", mapping)
    assert res.code == 0, res.err
    s = table_report(report, "s")
    assert s["altered_by_column"] == {}  # nothing needed cleaning, so nothing was changed
    assert s["sample_checked"] == len(NASTY) + 1 and s["sample_mismatches"] == 0
    got = pg_select(pg_conn, "s", ["id", "v"], "id")
    assert [g[1] for g in got] == [*NASTY, None]
    # Compare bytes as PostgreSQL stores them, not just Python's view of them.
    with pg_conn.cursor() as cur:
        cur.execute("SELECT convert_to(v, 'UTF8') FROM s ORDER BY id")
        stored = [None if r[0] is None else bytes(r[0]) for r in cur.fetchall()]
    assert stored == [v.encode("utf-8") for v in NASTY] + [None]
    assert got[NASTY.index("")][1] == ""  # the empty string is not NULL
    assert got[-1][1] is None


def test_text_that_looks_like_other_types_stays_text(tmp_path: Path, pg_dsn: str,
                                                     pg_conn: psycopg2.extensions.connection) -> None:
    # Integers stored in a TEXT column alongside words must come back as their text.
    rows = [(1, "007"), (2, 7), (3, "7.50"), (4, "1e3"), (5, "words"), (6, "-0")]
    src = make_sqlite(tmp_path / "t.db", "CREATE TABLE t(id INTEGER PRIMARY KEY, code);",
                      {"t": rows})
    report = run_migration(str(src), pg_dsn, options=RunOptions(reject_dir=str(tmp_path / "rj")))
    assert report.ok, report.to_json()
    assert pg_columns(pg_conn, "t")["code"]["data_type"] == "text"
    assert [r[0] for r in pg_select(pg_conn, "t", ["code"], "id")] == [
        "007", "7", "7.50", "1e3", "words", "-0"]


WEIRD_SCHEMA = '''
CREATE TABLE "select"("from" INTEGER PRIMARY KEY, "where" TEXT NOT NULL, "my col" TEXT);
CREATE TABLE "user"(id INTEGER PRIMARY KEY, "order" INTEGER REFERENCES "select"("from"),
                    "a""b" TEXT, "Mixed Case" REAL);
CREATE TABLE "my ""quoted"" table"("col ""q""" TEXT, "tab	col" INTEGER, ";drop" TEXT);
CREATE UNIQUE INDEX "idx ""where""" ON "select"("where");
CREATE INDEX "user.order idx" ON "user"("order");
'''


def test_reserved_and_quoted_identifiers(tmp_path: Path, pg_dsn: str,
                                         pg_conn: psycopg2.extensions.connection,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    src = make_sqlite(tmp_path / "w.db", WEIRD_SCHEMA, {
        "select": [(1, "a", "x"), (2, "b", None)],
        "user": [(1, 1, "q", 1.5), (2, 2, None, None)],
        'my "quoted" table': [("v", 1, "DROP TABLE x;"), ('"', 2, None)],
    })
    res, report = migrate_cli(capsys, src, pg_dsn, tmp_path, "--sample", "100",
                              "--identifier-case", "keep")
    assert res.code == 0, res.err
    assert report["ok"] is True
    assert pg_count(pg_conn, "select") == 2
    assert pg_count(pg_conn, "user") == 2
    assert pg_count(pg_conn, 'my "quoted" table') == 2
    assert list(pg_columns(pg_conn, "select")) == ["from", "where", "my col"]
    assert list(pg_columns(pg_conn, "user")) == ["id", "order", 'a"b', "Mixed Case"]
    assert list(pg_columns(pg_conn, 'my "quoted" table')) == ['col "q"', "tab\tcol", ";drop"]
    assert pg_select(pg_conn, "user", ["id", "order", 'a"b', "Mixed Case"], "id") == [
        (1, 1, "q", 1.5), (2, 2, None, None)]
    assert pg_select(pg_conn, 'my "quoted" table', ['col "q"', ";drop"], "tab\tcol") == [
        ("v", "DROP TABLE x;"), ('"', None)]
    with pg_conn.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")
        names = {r[0] for r in cur.fetchall()}
        assert {'idx "where"', "user.order idx"} <= names
        cur.execute(sql.SQL("SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
                            "AND conrelid = {}::regclass").format(sql.Literal('"user"')))
        assert cur.fetchone() == (1,)
    verified = run_cli(capsys, "verify", src, "--pg", pg_dsn, "--quiet", "--sample", "100")
    assert verified.code == 0, verified.err


def test_reject_file_name_for_an_odd_table_name(tmp_path: Path, pg_dsn: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    src = make_sqlite(tmp_path / "o.db",
                      'CREATE TABLE "../evil name"(id INTEGER PRIMARY KEY, n INTEGER);',
                      {"../evil name": [(1, 1), (2, "x"), (3, 3)]})
    res, _ = migrate_cli(capsys, src, pg_dsn, tmp_path)
    assert res.code == 1
    written = list((tmp_path / "rejects").rglob("*.jsonl"))
    # The file stays inside the reject dir whatever the table is called.
    assert len(written) == 1 and written[0].parent == tmp_path / "rejects"
