"""A CREATE TABLE without any word the parser reads for (CHECK, CONSTRAINT, COLLATE, AS,
GENERATED, DEFERRABLE, DESC) is not parsed: what sqlglot would have found in it is nothing,
and sqlglot is not even imported to read such a schema (start-up time)."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from sqlite2pg_tui.core.source import ddl_parse
from tests.helpers import make_sqlite

PLAIN = [
    "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, "
    "name TEXT NOT NULL, is_active INTEGER NOT NULL DEFAULT 1, score REAL)",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) "
    "ON DELETE CASCADE ON UPDATE SET NULL, note TEXT DEFAULT 'a b')",
    "CREATE TABLE pairs (a INT, b INT, PRIMARY KEY (a, b), FOREIGN KEY (a) REFERENCES users)",
    'CREATE TABLE "odd name" ("a b" VARCHAR(10) PRIMARY KEY, c, d BLOB, UNIQUE (c, d), '
    'FOREIGN KEY (c) REFERENCES users (id)) WITHOUT ROWID',
    "CREATE TABLE t (id INTEGER PRIMARY KEY ON CONFLICT REPLACE, v TEXT UNIQUE ON CONFLICT IGNORE)",
    "CREATE TABLE s (k TEXT PRIMARY KEY, v INTEGER) STRICT",
]
WORDY = [
    "CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT CHECK (v <> ''))",
    "CREATE TABLE b (id INTEGER, v TEXT COLLATE NOCASE, CONSTRAINT pk PRIMARY KEY (id))",
    "CREATE TABLE c (p REAL, q REAL, total REAL AS (p * q))",
    "CREATE TABLE d (id INTEGER PRIMARY KEY DESC, r INTEGER REFERENCES d DEFERRABLE INITIALLY DEFERRED)",
]


@pytest.mark.parametrize("sql", PLAIN)
def test_skipping_the_parse_loses_nothing(sql: str, monkeypatch: pytest.MonkeyPatch) -> None:
    quick = ddl_parse.parse_create_table(sql)
    monkeypatch.setattr(ddl_parse, "_WORTH_PARSING", re.compile(""))
    parsed = ddl_parse.parse_create_table(sql)
    assert not parsed.unreadable and parsed.columns  # (sqlglot did read it)
    # Columns with nothing to say are left out of the quick result; the rest is equal.
    parsed.columns = {k: v for k, v in parsed.columns.items() if v != ddl_parse.ColumnExtras()}
    assert asdict(quick) == asdict(parsed)


@pytest.mark.parametrize("sql", WORDY)
def test_what_there_is_to_read_comes_with_a_word(sql: str) -> None:
    parsed = ddl_parse.parse_create_table(sql)
    assert asdict(parsed) != asdict(ddl_parse.ParsedTable(conflict_clauses=parsed.conflict_clauses))


def test_a_plain_schema_is_read_without_sqlglot(tmp_path: Path) -> None:
    src = make_sqlite(tmp_path / "p.db", ";".join(PLAIN))
    code = ("import sys; from sqlite2pg_tui.core.source.inspection import inspect; "
            f"ins = inspect({str(src)!r}); assert len(ins.schema.tables) == {len(PLAIN)}; "
            "print('sqlglot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
