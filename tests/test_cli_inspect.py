"""`inspect SRC --json`: the schema as SQLite has it, and what every column really holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import isolate_environment, make_sqlite, run_cli

SCHEMA = """
CREATE TABLE users(
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT DEFAULT 'anon',
    score REAL,
    active INTEGER DEFAULT 1,
    created TEXT,
    meta TEXT
);
CREATE TABLE orders(
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE ON UPDATE SET NULL,
    n INTEGER NOT NULL,
    qty INTEGER,
    PRIMARY KEY (user_id, n)
);
CREATE INDEX idx_orders_qty ON orders(qty DESC);
CREATE UNIQUE INDEX idx_users_name ON users(name);
CREATE VIEW v_users AS SELECT id, email FROM users;
CREATE TRIGGER trg_users AFTER INSERT ON users BEGIN SELECT 1; END;
"""
USERS = [
    (1, "a@x", "A", 1.5, 1, "2024-01-01 10:00:00", '{"a": 1}'),
    (2, "b@x", None, 2.25, 0, "2024-01-02T10:00:00Z", "[1, 2]"),
    (3, "c@x", "Ccc", None, 1, "yesterday", "nope"),
    (4, "dddd@x", "D", -7.5, 0, "2024-03-01 00:00:00.5+02:00", "3"),
]
ORDERS = [(1, 1, 5), (1, 2, "x"), (9, 1, None)]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return make_sqlite(tmp_path / "shop.db", SCHEMA, {"users": USERS, "orders": ORDERS})


@pytest.fixture
def inspected(src: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    res = run_cli(capsys, "inspect", src, "--json")
    assert res.code == 0, res.err
    return json.loads(res.out)  # stdout must be nothing but the JSON document


def _table(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in doc["tables"] if t["name"] == name)


def _col(doc: dict[str, Any], table: str, name: str) -> dict[str, Any]:
    return next(c for c in _table(doc, table)["columns"] if c["name"] == name)


def test_tables_and_row_counts(inspected: dict[str, Any], src: Path) -> None:
    assert [t["name"] for t in inspected["tables"]] == ["users", "orders"]
    assert _table(inspected, "users")["rows"] == 4
    assert _table(inspected, "orders")["rows"] == 3
    assert inspected["size_bytes"] == src.stat().st_size


def test_columns_declared_type_notnull_default_and_pk_position(inspected: dict[str, Any]) -> None:
    users = {c["name"]: c for c in _table(inspected, "users")["columns"]}
    assert list(users) == ["id", "email", "name", "score", "active", "created", "meta"]
    assert (users["id"]["declared_type"], users["id"]["pk"]) == ("INTEGER", 1)
    assert users["email"]["notnull"] is True and users["email"]["pk"] == 0
    assert users["name"]["notnull"] is False
    # The DEFAULT is the SQL text as written, quotes included, not a parsed value.
    assert users["name"]["default"] == "'anon'"
    assert users["active"]["default"] == "1"
    assert users["meta"]["default"] is None
    orders = {c["name"]: c for c in _table(inspected, "orders")["columns"]}
    # Composite key: the position of each column in the key, not just a flag.
    assert (orders["user_id"]["pk"], orders["n"]["pk"], orders["qty"]["pk"]) == (1, 2, 0)
    assert _table(inspected, "orders")["primary_key"] == ["user_id", "n"]


def test_indexes(inspected: dict[str, Any]) -> None:
    users_idx = {i["name"]: i for i in _table(inspected, "users")["indexes"]}
    assert users_idx["idx_users_name"]["unique"] is True
    assert users_idx["idx_users_name"]["columns"] == ["name"]
    # The inline UNIQUE constraint shows up as SQLite's automatic index, origin "u".
    auto = [i for i in users_idx.values() if i["origin"] == "u"]
    assert [i["columns"] for i in auto] == [["email"]]
    qty = next(i for i in _table(inspected, "orders")["indexes"] if i["name"] == "idx_orders_qty")
    assert qty["unique"] is False and qty["columns"] == ["qty"] and qty["descending"] == [True]
    assert qty["sql"] == "CREATE INDEX idx_orders_qty ON orders(qty DESC)"


def test_foreign_keys(inspected: dict[str, Any]) -> None:
    assert _table(inspected, "orders")["foreign_keys"] == [{
        "columns": ["user_id"], "references": "users", "ref_columns": ["id"],
        "on_delete": "CASCADE", "on_update": "SET NULL", "deferrable": False, "name": None}]
    assert _table(inspected, "users")["foreign_keys"] == []


def test_views_and_triggers(inspected: dict[str, Any]) -> None:
    assert [(v["name"], v["sql"]) for v in inspected["views"]] == [
        ("v_users", "CREATE VIEW v_users AS SELECT id, email FROM users")]
    assert [(t["name"], t["table"]) for t in inspected["triggers"]] == [("trg_users", "users")]
    assert "AFTER INSERT ON users" in inspected["triggers"][0]["sql"]


def test_profile_counts_nulls_storage_and_lengths(inspected: dict[str, Any]) -> None:
    name = _col(inspected, "users", "name")["profile"]
    assert (name["rows"], name["nulls"]) == (4, 1)
    assert name["storage"] == {"text": 3}
    assert name["max_text_len"] == 3
    qty = _col(inspected, "orders", "qty")["profile"]
    # The storage-class histogram is what makes SQLite's loose typing visible.
    assert qty["storage"] == {"integer": 1, "text": 1}
    assert (qty["rows"], qty["nulls"]) == (3, 1)
    email = _col(inspected, "users", "email")["profile"]
    assert email["max_text_len"] == len("dddd@x")


def test_profile_min_max(inspected: dict[str, Any]) -> None:
    score = _col(inspected, "users", "score")["profile"]
    assert (score["min"], score["max"]) == (-7.5, 2.25)
    ids = _col(inspected, "users", "id")["profile"]
    assert (ids["min"], ids["max"]) == (1, 4)
    email = _col(inspected, "users", "email")["profile"]
    assert (email["min"], email["max"]) == ("a@x", "dddd@x")


def test_profile_parse_counts(inspected: dict[str, Any]) -> None:
    created = _col(inspected, "users", "created")["profile"]["parses"]
    # Three ISO 8601 forms parse (space, T+Z, fraction+offset); "yesterday" does not.
    assert created["timestamp"] == 2  # the +02:00 value needs timestamptz
    assert created["timestamptz"] == 3
    assert created["integer"] == 0
    meta = _col(inspected, "users", "meta")["profile"]["parses"]
    assert meta["json"] == 3  # '{"a": 1}', '[1, 2]' and the scalar '3'; 'nope' is not JSON
    active = _col(inspected, "users", "active")["profile"]["parses"]
    assert (active["boolean"], active["integer"], active["real"]) == (4, 4, 4)
    ids = _col(inspected, "users", "id")["profile"]["parses"]
    assert ids["boolean"] == 1  # only id 1 reads as a boolean


def test_profile_dirty_examples_carry_rowids(inspected: dict[str, Any]) -> None:
    qty = _col(inspected, "orders", "qty")["profile"]["dirty_examples"]
    assert qty["integer"] == [{"rowid": 2, "value": "'x'", "reason": "not a number"}]
    created = _col(inspected, "users", "created")["profile"]["dirty_examples"]
    assert [(e["rowid"], e["value"]) for e in created["timestamptz"]] == [(3, "'yesterday'")]
    assert created["timestamptz"][0]["reason"]


def test_inspect_profiles_every_row_whatever_the_sample(src: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """--sample is still accepted; the profile reads every row all the same (exact counts)."""
    res = run_cli(capsys, "inspect", src, "--json", "--sample", "2")
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    name = _col(doc, "users", "name")["profile"]
    assert name["sampled_rows"] == 4
    assert sum(name["storage"].values()) + name["nulls"] == 4
    assert (name["rows"], name["nulls"]) == (4, 1)
    assert _col(doc, "users", "id")["profile"]["parses"]["integer"] == 4
    assert _table(doc, "users")["rows"] == 4
    full = json.loads(run_cli(capsys, "inspect", src, "--json", "--full").out)
    assert _col(full, "users", "name")["profile"] == name


def test_inspect_human_output(src: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "inspect", src)
    assert res.code == 0, res.err
    assert "2 table(s), 7 row(s)" in res.out
    assert "idx_orders_qty" in res.out and "trigger trg_users on users" in res.out
    assert "integer 50%, text 50%" in res.out  # orders.qty's storage mix
