"""Declared types are the contract; the data only suggests. Framework files get their
framework's PostgreSQL types, and every constraint arrives under its own name."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg2.extensions
import pytest
from helpers import isolate_environment, make_sqlite, pg_all, pg_columns, run_cli

from sqlite2pg_tui.core.plan.declared_types import declared_type
from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.source.frameworks import detect, json_valid_column
from sqlite2pg_tui.core.source.inspection import inspect


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


@pytest.mark.parametrize(("declared", "framework", "pg_type"), [
    ("integer", None, "bigint"),  # SQLite's INTEGER holds 64 bits
    ("integer", "django", "integer"),  # what Django creates on PostgreSQL
    ("INT UNSIGNED", None, "bigint"),
    ("integer unsigned", "django", "integer"),  # PositiveIntegerField: integer + CHECK
    ("bigint unsigned", None, "bigint"),  # SQLite cannot store more than a signed int64
    ("smallint unsigned", None, "integer"),
    ("smallint", None, "smallint"),
    ("tinyint", None, "smallint"),
    ("bigint", "django", "bigint"),
    ("bool", None, "boolean"),
    ("decimal", None, "numeric"),
    ("decimal(10, 2)", None, "numeric(10,2)"),
    ("NUMERIC(12)", None, "numeric(12,0)"),
    ("real", None, "double precision"),
    ("FLOAT", None, "double precision"),
    ("varchar(10)", None, "varchar(10)"),
    ("char(39)", None, "varchar(39)"),
    ("NVARCHAR(5)", None, "varchar(5)"),
    ("date", None, "date"),
    ("datetime", None, "timestamp"),
    ("datetime", "django", "timestamptz"),
    ("TIMESTAMP WITH TIME ZONE", None, "timestamptz"),
    ("time", None, "time"),
    ("JSON", None, "jsonb"),
    ("BLOB", None, "bytea"),
    ("uuid", None, "uuid"),
])
def test_a_declaration_that_names_a_type_maps_to_its_equivalent(
        declared: str, framework: str | None, pg_type: str) -> None:
    d = declared_type(declared, framework)
    assert d is not None and d.precise
    assert d.pg_type == pg_type


@pytest.mark.parametrize("declared", ["", "TEXT", "CLOB", "NUMERIC", "STRING"])
def test_vague_declarations_leave_the_choice_to_the_data(declared: str) -> None:
    d = declared_type(declared)
    assert d is None or not d.precise


def test_json_valid_check_is_recognised() -> None:
    assert json_valid_column('(JSON_VALID("data") OR "data" IS NULL)') == "data"
    assert json_valid_column("JSON_VALID(meta)") == "meta"
    assert json_valid_column("price > 0") is None


ISSUE_REPRO = """
CREATE TABLE t (id integer NOT NULL PRIMARY KEY AUTOINCREMENT, priority integer NOT NULL,
  d varchar(10) NOT NULL, price decimal NOT NULL, at datetime NOT NULL,
  CONSTRAINT price_not_absurd CHECK (price < 1000000), CONSTRAINT uniq_p UNIQUE (priority, d));
INSERT INTO t(priority,d,price,at) VALUES (0,'2024-01-01',12.5,'2024-01-01 10:00:00'),
  (1,'2024-01-02',3,'2024-01-02 10:00:00');
"""


def _constraints(conn: psycopg2.extensions.connection, table: str) -> dict[str, str]:
    # (PostgreSQL 18 lists NOT NULL as constraints too: not what this is about.)
    return dict(pg_all(conn, "SELECT conname, contype FROM pg_constraint "
                       "WHERE conrelid = %s::regclass AND contype <> 'n'", (table,)))


def test_issue_repro_declared_types_and_named_constraints(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        capsys: pytest.CaptureFixture[str]) -> None:
    src = make_sqlite(tmp_path / "t.db", ISSUE_REPRO)
    res = run_cli(capsys, "run", src, "--pg", pg_dsn, "--reject-dir", tmp_path / "rj",
                  "--report", tmp_path / "r.json")
    assert res.code == 0, res.err
    types = {c: v["data_type"] for c, v in pg_columns(pg_conn, "t").items()}
    assert types == {"id": "bigint", "priority": "bigint", "d": "character varying",
                     "price": "numeric", "at": "timestamp without time zone"}
    assert _constraints(pg_conn, "t") == {"t_pkey": "p", "price_not_absurd": "c", "uniq_p": "u"}
    # The application's own write still works: priority takes any integer.
    with pg_conn.cursor() as cur:
        cur.execute("INSERT INTO t(priority, d, price, at) VALUES (7, '2024-01-03', 1, now()) "
                    "RETURNING id")
        assert cur.fetchone()[0] == 3
    assert pg_all(pg_conn, "SELECT sum(price) FROM t")[0][0] == pytest.approx(16.5)
    assert str(pg_all(pg_conn, "SELECT sum(price) FROM t")[0][0]) == "16.5"  # exact, not float


def test_suggestions_are_listed_never_applied(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    src = make_sqlite(tmp_path / "t.db", ISSUE_REPRO)
    res = run_cli(capsys, "plan", src, "-o", tmp_path / "m.toml")
    assert res.code == 0, res.err
    assert "t.priority: bigint → boolean" in res.err
    assert "t.d: varchar(10) → date" in res.err
    res = run_cli(capsys, "inspect", src)
    assert "data suggests boolean" in res.out
    data = json.loads(run_cli(capsys, "inspect", src, "--json").out)
    cols = {c["name"]: c for c in data["tables"][0]["columns"]}
    assert cols["priority"]["proposed"]["pg_type"] == "bigint"
    assert cols["priority"]["proposed"]["suggestion"]["pg_type"] == "boolean"
    assert data["tables"][0]["checks"] == [{"name": "price_not_absurd", "check": "price < 1000000"}]


DJANGO = """
CREATE TABLE "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
  "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" datetime NOT NULL);
CREATE TABLE "shop_item" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
  "active" bool NOT NULL, "priority" integer NOT NULL, "stock" integer unsigned NOT NULL
  CHECK ("stock" >= 0), "price" decimal NOT NULL, "created" datetime NOT NULL,
  "token" char(32) NOT NULL, "ip" char(39) NULL, "meta" text NOT NULL
  CHECK ((JSON_VALID("meta") OR "meta" IS NULL)), "took" bigint NOT NULL,
  "Label" varchar(20) NOT NULL);
CREATE UNIQUE INDEX "uniq_item_token" ON "shop_item" ("token");
INSERT INTO django_migrations(app, name, applied) VALUES ('shop', '0001_initial', '2024-01-01 00:00:00');
INSERT INTO shop_item(active, priority, stock, price, created, token, ip, meta, took, Label) VALUES
  (1, 0, 5, '12.50', '2024-01-01 10:00:00', '0123456789abcdef0123456789abcdef', '10.0.0.1',
   '{"a": 1}', 1500000, 'x'),
  (0, 1, 0, '3', '2024-01-02 10:00:00.5', 'fedcba9876543210fedcba9876543210', '::1', '7', 0, 'y');
"""


def test_django_file_gets_djangos_postgresql_types(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        capsys: pytest.CaptureFixture[str]) -> None:
    src = make_sqlite(tmp_path / "app.db", DJANGO)
    ins = inspect(src)
    fw = detect(ins.schema)
    assert fw is not None and fw.key == "django"
    m = plan(ins.schema, ins.profiles)
    assert m.framework == "django"
    res = run_cli(capsys, "run", src, "--pg", pg_dsn, "--reject-dir", tmp_path / "rj",
                  "--report", tmp_path / "r.json")
    assert res.code == 0, res.err + res.out
    types = {c: v["data_type"] for c, v in pg_columns(pg_conn, "shop_item").items()}
    assert types == {
        "id": "bigint", "active": "boolean", "priority": "integer", "stock": "integer",
        "price": "numeric", "created": "timestamp with time zone", "token": "uuid",
        "ip": "inet", "meta": "jsonb", "took": "bigint", "Label": "character varying"}
    cons = _constraints(pg_conn, "shop_item")
    assert cons.get("uniq_item_token") == "u"  # Django drops it with DROP CONSTRAINT
    assert "c" in cons.values()  # stock >= 0 kept
    report = json.loads((tmp_path / "r.json").read_text())
    assert not [n for n in report["not_migrated"] if "JSON_VALID" in json.dumps(n)]
    assert any("jsonb type" in n["note"] for n in report["notes"])
    assert pg_all(pg_conn, "SELECT meta FROM shop_item ORDER BY id") == [({"a": 1},), (7,)]
    # Django quotes every name it writes: a framework's names are kept as they are.
    assert pg_all(pg_conn, 'SELECT "Label" FROM shop_item ORDER BY id') == [("x",), ("y",)]


NAMES = """
CREATE TABLE parent (id INTEGER, code TEXT,
  CONSTRAINT pk_parent PRIMARY KEY (id), CONSTRAINT uq_parent_code UNIQUE (code));
CREATE TABLE child (id INTEGER CONSTRAINT pk_child PRIMARY KEY,
  parent_id INTEGER CONSTRAINT fk_child_parent_id_parent REFERENCES parent (id),
  kind VARCHAR(5) NOT NULL CONSTRAINT ck_child_kind CHECK (kind IN ('a', 'b')),
  n INTEGER CHECK (n > 0));
INSERT INTO parent VALUES (1, 'x');
INSERT INTO child VALUES (1, 1, 'a', 1);
"""


def test_naming_convention_names_are_kept(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        capsys: pytest.CaptureFixture[str]) -> None:
    src = make_sqlite(tmp_path / "n.db", NAMES)
    res = run_cli(capsys, "run", src, "--pg", pg_dsn, "--reject-dir", tmp_path / "rj")
    assert res.code == 0, res.err
    assert _constraints(pg_conn, "parent") == {"pk_parent": "p", "uq_parent_code": "u"}
    child = _constraints(pg_conn, "child")
    assert {k: v for k, v in child.items() if k != "child_check2"} == {
        "pk_child": "p", "fk_child_parent_id_parent": "f", "ck_child_kind": "c"}
    assert child.get("child_check2") == "c"  # the unnamed one: PostgreSQL's style of name
    with pg_conn.cursor() as cur:  # the next Alembic revision's statement
        cur.execute("ALTER TABLE parent DROP CONSTRAINT uq_parent_code")


def test_names_fold_to_lower_case_and_clashes_are_resolved_at_plan_time(tmp_path: Path) -> None:
    # SQLite folds only ASCII: "Ä" and "ä" are two names there, one after lower().
    src = make_sqlite(tmp_path / "c.db", 'CREATE TABLE "Users" (id INTEGER PRIMARY KEY, "Ä" TEXT, '
                      '"ä" TEXT); CREATE TABLE "Ö" (id INTEGER PRIMARY KEY); '
                      'CREATE TABLE "ö" (id INTEGER PRIMARY KEY);')
    ins = inspect(src)
    m = plan(ins.schema, ins.profiles)
    assert [t.target for t in m.tables] == ["users", "ö", "ö_2"]
    assert [c.target for c in m.tables[0].columns] == ["id", "ä", "ä_2"]
    assert "ä_2" in m.tables[0].note and "ö_2" in m.tables[2].note
    m.validate()
    kept = plan(ins.schema, ins.profiles, "keep")
    assert [t.target for t in kept.tables] == ["Users", "Ö", "ö"]


def test_long_names_that_share_63_bytes_get_unique_names(tmp_path: Path) -> None:
    a, b = "x" * 70 + "_a", "x" * 70 + "_b"
    src = make_sqlite(tmp_path / "l.db", f'CREATE TABLE "{a}" (id INTEGER PRIMARY KEY); '
                      f'CREATE TABLE "{b}" (id INTEGER PRIMARY KEY);')
    ins = inspect(src)
    targets = [t.target for t in plan(ins.schema, ins.profiles).tables]
    assert len(set(targets)) == 2
    assert all(len(t.encode()) <= 63 for t in targets)


def test_a_create_table_sqlglot_cannot_read_is_listed(
        tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    # SQLite takes this foreign key clause; sqlglot 30 does not.
    src = make_sqlite(tmp_path / "u.db", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT "
                      "CHECK (v <> ''), z INT REFERENCES t ON DELETE CASCADE NOT DEFERRABLE "
                      "INITIALLY IMMEDIATE);")
    ins = inspect(src)
    if not ins.schema.tables[0].unreadable:
        pytest.skip("this sqlglot reads the statement")
    res = run_cli(capsys, "run", src, "--pg", pg_dsn, "--reject-dir", tmp_path / "rj",
                  "--report", tmp_path / "r.json")
    report = json.loads((tmp_path / "r.json").read_text())
    assert any(n["kind"] == "table constraints" for n in report["not_migrated"]), res.out


def test_on_conflict_clauses_are_read_past_and_listed(
        tmp_path: Path, pg_dsn: str, pg_conn: psycopg2.extensions.connection,
        capsys: pytest.CaptureFixture[str]) -> None:
    src = make_sqlite(tmp_path / "o.db", "CREATE TABLE t (id INTEGER PRIMARY KEY ON CONFLICT "
                      "REPLACE, v TEXT CONSTRAINT v_set CHECK (v <> ''));")
    res = run_cli(capsys, "run", src, "--pg", pg_dsn, "--reject-dir", tmp_path / "rj",
                  "--report", tmp_path / "r.json")
    assert res.code == 0, res.err
    assert _constraints(pg_conn, "t") == {"t_pkey": "p", "v_set": "c"}
    report = json.loads((tmp_path / "r.json").read_text())
    assert [n["kind"] for n in report["not_migrated"] if n["name"] == "t"] == ["conflict clause"]


def test_integer_width_is_a_limit_of_the_type(tmp_path: Path) -> None:
    """A Django `integer` is PostgreSQL's 32-bit integer: a bigger value is dirty, found by the
    converter before COPY, never a failed COPY."""
    from sqlite2pg_tui.core.plan.mapping import ColumnMapping
    from sqlite2pg_tui.core.values import converters

    conv = converters.build("integer", converters.type_options("integer", "integer"))
    assert conv(2**31 - 1) == 2**31 - 1
    with pytest.raises(converters.Reject, match="range"):
        conv(2**31)
    cm = ColumnMapping("n", "n", "integer", "bigint", "integer")
    cm.set_type("smallint")
    assert cm.options == {"min": -32768, "max": 32767}
    cm.set_type("numeric(10,2)")
    assert (cm.converter, cm.options) == ("numeric", {"precision": 10, "scale": 2})
    cm.set_type("varchar(5)")
    assert (cm.converter, cm.options) == ("varchar", {"length": 5})
    cm.set_type("text")  # varchar's 255 default must not limit a text column
    assert (cm.converter, cm.options) == ("text", {})
