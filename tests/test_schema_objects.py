"""Every schema object arrives under its own name, or is listed as not migrated (issue 10 §4).

A SQLite file holding every kind of schema object (named and unnamed table and column CHECKs,
named and unnamed UNIQUE constraints, unique indexes, partial and expression indexes, a
composite primary key, named and unnamed foreign keys, collations) is moved with `run`. Each
object must then be in PostgreSQL's catalogs — under its original name where it had one — or
in the run report's not-migrated list. Nothing disappears silently.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from app_harness import ToolRun, column_types, database, query, run_tool, xfail
from helpers import make_sqlite

SCHEMA = """
CREATE TABLE parent (
    a integer NOT NULL,
    b text NOT NULL COLLATE NOCASE,
    note text COLLATE RTRIM,
    PRIMARY KEY (a, b)
);
CREATE TABLE t (id integer NOT NULL PRIMARY KEY AUTOINCREMENT, priority integer NOT NULL,
  d varchar(10) NOT NULL, price decimal NOT NULL, at datetime NOT NULL,
  CONSTRAINT price_not_absurd CHECK (price < 1000000), CONSTRAINT uniq_p UNIQUE (priority, d));
CREATE TABLE child (
    id INTEGER PRIMARY KEY,
    qty integer CHECK (qty >= 0),
    code text CONSTRAINT code_len CHECK (length(code) <= 8),
    email text UNIQUE,
    pa integer,
    pb text,
    t_id integer REFERENCES t(id) ON DELETE CASCADE,
    t2_id integer CONSTRAINT fk_child_t2 REFERENCES t(id),
    CHECK (qty < 1000),
    CONSTRAINT child_qty_even CHECK (qty % 2 = 0),
    CONSTRAINT child_code_email UNIQUE (code, email),
    UNIQUE (pa, pb),
    CONSTRAINT fk_child_parent FOREIGN KEY (pa, pb) REFERENCES parent (a, b)
);
CREATE UNIQUE INDEX child_code_uidx ON child (code);
CREATE INDEX child_pa_idx ON child (pa);
CREATE INDEX child_partial_idx ON child (qty) WHERE qty > 10;
CREATE INDEX child_expr_idx ON child (lower(email));
CREATE UNIQUE INDEX child_pb_partial_uidx ON child (pb) WHERE pa IS NOT NULL;
"""
ROWS = {
    "parent": [(1, "x", "n1"), (2, "y", None)],
    "t": [(1, 0, "2024-01-01", 12.5, "2024-01-01 10:00:00"),
          (2, 1, "2024-01-02", 3, "2024-01-02 10:00:00")],
    "child": [(1, 4, "abc", "A@x.org", 1, "x", 1, 2), (2, 12, "de", "b@x.org", 2, "y", 2, None)],
}


@dataclass(frozen=True)
class Obj:
    """One SQLite schema object: what to look for in PostgreSQL's catalogs."""

    kind: str  # check, unique, unique_index, index, fk, pk, collation
    table: str
    name: str | None  # None: SQLite had no name for it
    what: str  # columns "a,b", a CHECK's expression, or an index's distinguishing text

    @property
    def id(self) -> str:
        return f"{self.table}.{self.kind}.{self.name or self.what}"


OBJECTS = (
    Obj("pk", "parent", None, "a,b"),
    Obj("collation", "parent", None, "b NOCASE"),
    Obj("collation", "parent", None, "note RTRIM"),
    Obj("check", "t", "price_not_absurd", "price < 1000000"),
    Obj("unique", "t", "uniq_p", "priority,d"),
    Obj("check", "child", None, "qty >= 0"),
    Obj("check", "child", "code_len", "length(code) <= 8"),
    Obj("unique", "child", None, "email"),
    Obj("fk", "child", None, "t_id"),
    Obj("fk", "child", "fk_child_t2", "t2_id"),
    Obj("check", "child", None, "qty < 1000"),
    Obj("check", "child", "child_qty_even", "qty % 2 = 0"),
    Obj("unique", "child", "child_code_email", "code,email"),
    Obj("unique", "child", None, "pa,pb"),
    Obj("fk", "child", "fk_child_parent", "pa,pb"),
    Obj("unique_index", "child", "child_code_uidx", "code"),
    Obj("index", "child", "child_pa_idx", "(pa)"),
    Obj("index", "child", "child_partial_idx", "WHERE"),
    Obj("index", "child", "child_expr_idx", "lower(email)"),
    Obj("index", "child", "child_pb_partial_uidx", "WHERE"),
)


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sqlite(tmp_path_factory.mktemp("objects") / "objects.db", SCHEMA, ROWS)


@dataclass
class Moved:
    dsn: str
    tool: ToolRun
    constraints: list[tuple[str, str, str, list[str], str]]  # name, table, kind, columns, def
    indexes: list[tuple[str, str, str]]  # name, table, CREATE INDEX …
    collations: dict[str, str]  # "table.column" → collation name, or the type when citext


@pytest.fixture(scope="module")
def moved(src: Path, pg_server_dsn: str) -> Any:
    with database(pg_server_dsn) as dsn:
        tool = run_tool(src.parent / "run", src, "--pg", dsn)
        cons = query(dsn, """
            SELECT con.conname, c.relname, con.contype::text,
                   array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
                         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n
                         ORDER BY k.o),
                   pg_get_constraintdef(con.oid)
            FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
            WHERE c.relnamespace = 'public'::regnamespace AND con.contype IN ('c','u','f','p')""")
        idx = query(dsn, "SELECT indexname, tablename, indexdef FROM pg_indexes "
                         "WHERE schemaname = 'public'")
        coll = dict(query(dsn, """
            SELECT c.relname || '.' || a.attname,
                   CASE WHEN t.typname = 'citext' THEN 'citext' ELSE coalesce(co.collname, '') END
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_collation co ON co.oid = a.attcollation AND co.collname <> 'default'
            WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0"""))
        yield Moved(dsn, tool, [(n, t, k, list(c), d) for n, t, k, c, d in cons], idx, coll)


def squash(text: str) -> str:
    """An expression without spaces, parentheses, quotes or casts, to compare SQLite's text
    with pg_get_constraintdef's (which adds parentheses and ::casts)."""
    return re.sub(r"::[a-z ]+|[\s()\"']", "", text.lower())


def in_catalogs(o: Obj, m: Moved) -> bool:
    cols = o.what.split(",")
    cons = [c for c in m.constraints if c[1] == o.table]
    if o.kind in ("check", "unique", "fk", "pk") and o.name:
        return any(c[0] == o.name and c[2] == o.kind[0] for c in cons)
    if o.kind == "check":
        return any(c[2] == "c" and squash(o.what) in squash(c[4]) for c in cons)
    if o.kind in ("unique", "fk", "pk"):
        kind = {"unique": "u", "fk": "f", "pk": "p"}[o.kind]
        if any(c[2] == kind and c[3] == cols for c in cons):
            return True
        return o.kind == "unique" and any(
            t == o.table and "UNIQUE" in d and d.endswith(f"({', '.join(cols)})")
            for _, t, d in m.indexes)
    if o.kind == "unique_index":  # §4: a UNIQUE constraint under the index's name
        return any(c[0] == o.name and c[2] == "u" and c[3] == cols for c in cons)
    if o.kind == "index":
        return any(n == o.name and t == o.table and o.what in d for n, t, d in m.indexes)
    if o.kind == "collation":
        column = o.what.split()[0]
        return m.collations.get(f"{o.table}.{column}", "") != ""
    raise AssertionError(o.kind)


def listed(o: Obj, m: Moved) -> bool:
    """In the report's not-migrated list (or, for a collation, said in its notes)."""
    entries = m.tool.report.get("not_migrated", [])
    if o.kind == "collation":
        entries = entries + m.tool.report.get("notes", [])
        column, collation = o.what.split()
        return any(column in json.dumps(e) and collation.lower() in json.dumps(e).lower()
                   for e in entries)
    return any((o.name and e.get("name") == o.name)
               or squash(o.what) in squash(e.get("sql", "") + " " + e.get("name", ""))
               for e in entries)


def test_objects_listed_are_all_of_sqlites(src: Path) -> None:
    """The list above is complete: as many indexes, foreign keys and CHECKs as SQLite has."""
    conn = sqlite3.connect(src)
    try:
        index_count = sum(len(conn.execute(f"PRAGMA index_list({t})").fetchall())
                          for t in ("parent", "t", "child"))
        fk_count = len({r[0] for r in conn.execute("PRAGMA foreign_key_list(child)")})
        ddl = " ".join(r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL"))
    finally:
        conn.close()
    # SQLite's index_list counts each UNIQUE constraint and the composite key as an index.
    indexed = [o for o in OBJECTS if o.kind in ("unique", "unique_index", "index", "pk")]
    assert index_count == len(indexed)
    assert fk_count == len([o for o in OBJECTS if o.kind == "fk"])
    assert ddl.count("CHECK") == len([o for o in OBJECTS if o.kind == "check"])
    assert ddl.count("COLLATE") == len([o for o in OBJECTS if o.kind == "collation"])


def test_run_reports_no_traceback(moved: Moved) -> None:
    assert "Traceback" not in moved.tool.err
    assert moved.tool.code in (0, 1), moved.tool.describe()
    assert moved.tool.report, "a report is written"


NOT_YET = {
    "child.unique_index.child_code_uidx": "issue 10 §4: a unique index over a plain column is "
                                          "not a UNIQUE constraint under its own name",
}


@pytest.mark.parametrize("obj", [
    pytest.param(o, id=o.id, marks=xfail(NOT_YET[o.id]) if o.id in NOT_YET else ())
    for o in OBJECTS])
def test_object_kept_or_listed(moved: Moved, obj: Obj) -> None:
    assert in_catalogs(obj, moved) or listed(obj, moved), (
        f"{obj.kind} {obj.name or obj.what} on {obj.table} is neither in PostgreSQL nor in the "
        f"report's not_migrated; PostgreSQL has "
        f"{[c[:3] for c in moved.constraints if c[1] == obj.table]}")


# --- the minimal reproduction from issue 10 -------------------------------------------

REPRO = """
CREATE TABLE t (id integer NOT NULL PRIMARY KEY AUTOINCREMENT, priority integer NOT NULL,
  d varchar(10) NOT NULL, price decimal NOT NULL, at datetime NOT NULL,
  CONSTRAINT price_not_absurd CHECK (price < 1000000), CONSTRAINT uniq_p UNIQUE (priority, d));
INSERT INTO t(priority,d,price,at) VALUES (0,'2024-01-01',12.5,'2024-01-01 10:00:00'),
  (1,'2024-01-02',3,'2024-01-02 10:00:00');
"""


@pytest.fixture(scope="module")
def repro(tmp_path_factory: pytest.TempPathFactory, pg_server_dsn: str) -> Any:
    src = make_sqlite(tmp_path_factory.mktemp("repro") / "repro.db", REPRO)
    with database(pg_server_dsn) as dsn:
        tool = run_tool(src.parent / "run", src, "--pg", dsn)
        cons = {n: k for n, k in query(dsn, """
            SELECT conname, contype::text FROM pg_constraint
            WHERE conrelid = 'public.t'::regclass""")}
        yield column_types(dsn), cons, tool


def test_repro_runs(repro: Any) -> None:
    _, _, tool = repro
    assert tool.code == 0, tool.describe()


def test_repro_priority_stays_integer(repro: Any) -> None:
    assert repro[0]["t.priority"] in ("integer", "bigint", "smallint")


def test_repro_d_stays_varchar10(repro: Any) -> None:
    assert repro[0]["t.d"] == "character varying(10)"


def test_repro_price_is_numeric(repro: Any) -> None:
    assert repro[0]["t.price"] == "numeric"


def test_repro_check_kept_by_name(repro: Any) -> None:
    assert repro[1].get("price_not_absurd") == "c"


def test_repro_unique_kept_by_name(repro: Any) -> None:
    assert repro[1].get("uniq_p") == "u"
