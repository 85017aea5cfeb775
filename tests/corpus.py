"""A deterministic dirty-data corpus: one SQLite file holding every loose thing real
SQLite databases hold, for the end-to-end tests in tests/test_corpus_*.py.

    python tests/corpus.py OUT.db

SQLite lets any column hold any type, declares constraints it does not enforce (foreign
keys are off by default, CHECKs can be switched off, non-INTEGER primary keys may hold
NULL) and accepts type names nobody else knows. Each table below is one such category;
the comment above it names the cases and ``CASES`` lists them (case → table/column) so
the tests and the people reading a report agree on where each case lives.

Nothing here depends on the clock, randomness or the machine: building twice gives the
same rows (the reruns compare two migrations of it), and every expected value a test
asserts is written here literally.

The second half holds small helpers the corpus tests share (a database per module, the
migration call, reject-file reading). They live here because the tests of this corpus
are the only users and conftest.py belongs to the whole suite.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for annotations: running the generator needs no project import
    from sqlite2pg_tui.core.plan.mapping import Mapping, TableMapping
    from sqlite2pg_tui.core.report import Report

# --- the cases, for people: (category, case, table, column) -------------------------

CASES: list[tuple[str, str, str, str]] = [
    ("schema", "declared type INT UNSIGNED", "declared_types", "c_int_unsigned"),
    ("schema", "declared type UNSIGNED BIG INT (2^63-1)", "declared_types", "c_unsigned_big_int"),
    ("schema", "declared type NVARCHAR(20)", "declared_types", "c_nvarchar"),
    ("schema", "declared type VARCHAR2 (no length)", "declared_types", "c_varchar2"),
    ("schema", "declared type DOUBLE PRECISION", "declared_types", "c_double"),
    ("schema", "declared type REAL (0.1 must not become float4)", "declared_types", "c_real"),
    ("schema", "declared type FLOAT", "declared_types", "c_float"),
    ("schema", "declared type FLOATING POINT (INTEGER affinity, holds reals)", "declared_types",
     "c_floating_point"),
    ("schema", "declared type NUMBER", "declared_types", "c_number"),
    ("schema", "declared type DECIMAL(10,2)", "declared_types", "c_decimal"),
    ("schema", "declared type DATETIME", "declared_types", "c_datetime"),
    ("schema", "declared type TIMESTAMP", "declared_types", "c_timestamp"),
    ("schema", "declared type DATE", "declared_types", "c_date"),
    ("schema", "declared type BOOLEAN", "declared_types", "c_boolean"),
    ("schema", "declared type JSON", "declared_types", "c_json"),
    ("schema", "declared type CLOB (5000-char value)", "declared_types", "c_clob"),
    ("schema", "declared type UUID", "declared_types", "c_uuid"),
    ("schema", "declared type BLOB", "declared_types", "c_blob"),
    ("schema", "no declared type, mixed int/text/real", "declared_types", "c_none"),
    ("schema", "TINYINT / SMALLINT / MEDIUMINT / INT2 / INT8 / BIGINT", "declared_types",
     "c_tinyint … c_bigint"),
    ("schema", "CHARACTER(10) / VARYING CHARACTER(255) / NATIVE CHARACTER(70)", "declared_types",
     "c_char, c_varying, c_native"),
    ("schema", "every declared type with no values: affinity decides", "declared_types_empty", "*"),
    ("schema", "REAL holding only whole numbers stays double precision", "numbers_whole", "weight"),
    ("schema", "INTEGER PRIMARY KEY AUTOINCREMENT, sqlite_sequence ahead of max(id)",
     "pk_autoinc", "id"),
    ("schema", "INTEGER PRIMARY KEY with gaps (rowid alias)", "pk_rowid_alias", "id"),
    ("schema", "composite primary key", "pk_composite", "a, b"),
    ("schema", "WITHOUT ROWID, text key, dirty value (reject locator is the key)",
     "pk_without_rowid", "code / qty"),
    ("schema", "WITHOUT ROWID, composite key", "wr_composite", "a, b"),
    ("schema", "non-INTEGER primary key holding NULLs (SQLite legacy)", "pk_text_null", "code"),
    ("schema", "no primary key, duplicate rows", "no_pk_log", "*"),
    ("schema", "NOT NULL", "defaults_demo", "flag, empty_str"),
    ("schema", "DEFAULT CURRENT_TIMESTAMP", "defaults_demo", "created_at"),
    ("schema", "DEFAULT CURRENT_DATE", "defaults_demo", "created_on"),
    ("schema", "DEFAULT (datetime('now'))", "defaults_demo", "updated_at"),
    ("schema", "DEFAULT (strftime('%Y-%m-%d %H:%M:%S','now')) on TEXT", "defaults_demo", "stamped"),
    ("schema", "DEFAULT (1) on BOOLEAN", "defaults_demo", "flag"),
    ("schema", "DEFAULT ''", "defaults_demo", "empty_str"),
    ("schema", "DEFAULT 'null' (a string, not NULL)", "defaults_demo", "null_word"),
    ("schema", "DEFAULT 'it''s' / 0 / 1.5 / -1", "defaults_demo", "quoted, qty, ratio, neg"),
    ("schema", "CHECK translated (>=, IN, LIKE, length(), table-level OR)", "checks_demo", "*"),
    ("schema", "CHECK violated by old rows (inserted with ignore_check_constraints)",
     "checks_demo", "qty"),
    ("schema", "CHECK untranslatable: typeof()", "checks_demo", "kind"),
    ("schema", "CHECK with GLOB: the same anchored regular expression", "checks_demo", "code2"),
    ("schema", "UNIQUE constraint", "indexed", "sku"),
    ("schema", "unique index", "indexed", "ux_indexed_email"),
    ("schema", "partial index on a 0/1 column (WHERE deleted = 0)", "indexed",
     "ix_indexed_live_name"),
    ("schema", "expression index lower(name)", "indexed", "ix_indexed_lower_name"),
    ("schema", "descending index", "indexed", "ix_indexed_score_desc"),
    ("schema", "two index names longer than 63 bytes sharing their first 63", "indexed",
     "ix_indexed_a_very_long…"),
    ("schema", "index name longer than 63 bytes, multi-byte characters", "indexed", "ix_索引…"),
    ("schema", "index named like PostgreSQL's identity sequence", "indexed", "pk_autoinc_id_seq"),
    ("schema", "index named like PostgreSQL's generated primary key", "indexed", "indexed_pkey"),
    ("schema", "COLLATE NOCASE UNIQUE", "nocase_users", "name"),
    ("schema", "FK ON DELETE CASCADE ON UPDATE CASCADE, orphans", "fk_child", "parent_id"),
    ("schema", "FK ON DELETE SET NULL, no orphans", "fk_setnull_child", "parent_id"),
    ("schema", "FK ON DELETE RESTRICT, REFERENCES without column", "fk_restrict_child",
     "parent_id"),
    ("schema", "FK DEFERRABLE INITIALLY DEFERRED", "fk_deferred_child", "parent_id"),
    ("schema", "composite FK, one orphan", "fk_comp_child", "a, b"),
    ("schema", "self-referencing FK, one orphan", "employees", "manager_id"),
    ("schema", "FK to a table that does not exist", "fk_missing_child", "ghost_id"),
    ("schema", "generated columns: STORED and VIRTUAL, translatable", "generated_cols",
     "total, label"),
    ("schema", "generated column: untranslatable typeof()", "generated_cols", "kind_of"),
    ("schema", "views: plain, boolean compare, functions, odd identifiers",
     "v_managers, v_enabled_flags, v_shout, Mixed View", "*"),
    ("schema", "view over a missing table", "v_broken", "*"),
    ("schema", "triggers", "trg_fk_parent_touch, trg_employees_no_delete", "*"),
    ("schema", "FTS5 virtual table and its shadow tables", "docs", "*"),
    ("schema", "rtree virtual table and its shadow tables", "spatial", "*"),
    ("schema", "sqlite_sequence, sqlite_stat1 (ANALYZE)", "sqlite_*", "*"),
    ("identifiers", "mixed case, spaces, reserved words, non-ASCII, quote in name",
     "Mixed Case Table", "*"),
    ("identifiers", "'First Name' and 'FirstName' collide in snake_case", "Mixed Case Table",
     "First Name, FirstName"),
    ("identifiers", "table named by a reserved word, FK to an odd table", "order", "user, group"),
    ("identifiers", "non-ASCII table name", "日本_données", "値"),
    ("identifiers", "quote inside a table name", 'quote"d table', "*"),
    ("values", "booleans: 0/1, true/false, t/f, yes/no, y/n, on/off, any case", "bool_values",
     "flag"),
    ("values", "booleans: dirty 'maybe' and 2", "bool_values", "flag"),
    ("values", "ISO 8601: space/T, fractions, date-only, leap day", "timestamps_clean", "iso_ts"),
    ("values", "ISO 8601 with Z / ±hh:mm → timestamptz", "timestamps_clean", "iso_tz"),
    ("values", "Unix epoch seconds", "timestamps_clean", "created_at"),
    ("values", "Unix epoch milliseconds", "timestamps_clean", "updated_at"),
    ("values", "Unix epoch microseconds", "timestamps_clean", "seen_at"),
    ("values", "Julian day numbers in a DATETIME column", "timestamps_clean", "jd"),
    ("values", "ISO dates in a DATE column", "timestamps_clean", "day"),
    ("values", "'0000-00-00 00:00:00', '2024-02-30 10:00:00', 'yesterday'", "timestamps_dirty",
     "happened_at"),
    ("values", "dd/mm vs mm/dd: every value fits both", "dates_ambiguous", "event_date"),
    ("values", "dd/mm/yyyy, unambiguous", "dates_dmy", "event_date"),
    ("values", "mm/dd/yyyy, unambiguous", "dates_mdy", "event_date"),
    ("values", "text integers / reals in INTEGER / REAL columns", "numbers_text", "qty, price"),
    ("values", "thousands separators and currency symbols", "numbers_loose", "amount"),
    ("values", "'' and 'N/A' in a REAL column", "numbers_na", "score"),
    ("values", "whole REALs into an integer column", "numbers_whole", "qty"),
    ("values", "fractional value in an INTEGER column", "numbers_fraction", "qty"),
    ("values", "Infinity, -Infinity, max/min doubles", "numbers_extreme", "measure"),
    ("values", "integers at ±2^63 boundaries", "numbers_extreme", "big"),
    ("values", "backslashes, tabs, CR/LF, literal \\N, '' vs NULL, Unicode", "text_values",
     "body"),
    ("values", "NUL bytes in text", "text_nul", "body"),
    ("values", "invalid UTF-8 (CAST(X'66ff6f' AS TEXT)), two bad values in one row",
     "text_utf8", "body_clean, body_bytes"),
    ("values", "JSON objects, arrays, scalars, JSON null vs SQL NULL, invalid JSON",
     "json_values", "doc"),
    ("values", "blobs: binary, empty, NUL bytes", "blob_values", "data"),
    ("values", "text in a BLOB column", "blob_mixed", "data"),
    ("values", "blobs in a TEXT column (valid and invalid UTF-8)", "text_with_blobs", "note"),
    ("append", "tables loaded into hand-made PostgreSQL tables", "shop_customers, shop_orders",
     "*"),
    ("append", "text column holding 'abc' vs a hand-made integer column", "shop_products",
     "code"),
]


# --- the schema ------------------------------------------------------------------

SCHEMA = r"""
-- Declared types as people write them. SQLite maps each to an affinity (INT → INTEGER;
-- CHAR/CLOB/TEXT → TEXT; BLOB or none → BLOB; REAL/FLOA/DOUB → REAL; else NUMERIC) and
-- stores whatever it is given; the data and then the affinity must decide the target.
CREATE TABLE declared_types (
    id INTEGER PRIMARY KEY,
    c_int_unsigned INT UNSIGNED,
    c_unsigned_big_int UNSIGNED BIG INT,
    c_nvarchar NVARCHAR(20),
    c_varchar2 VARCHAR2,
    c_double DOUBLE PRECISION,
    c_real REAL,
    c_float FLOAT,
    c_floating_point FLOATING POINT,   -- "INT" in "POINT": INTEGER affinity (SQLite docs' own example)
    c_number NUMBER,
    c_decimal DECIMAL(10,2),
    c_datetime DATETIME,
    c_timestamp TIMESTAMP,
    c_date DATE,
    c_boolean BOOLEAN,
    c_json JSON,
    c_clob CLOB,
    c_uuid UUID,
    c_blob BLOB,
    c_none,
    c_tinyint TINYINT,
    c_smallint SMALLINT,
    c_mediumint MEDIUMINT,
    c_int2 INT2,
    c_int8 INT8,
    c_bigint BIGINT,
    c_char CHARACTER(10),
    c_varying VARYING CHARACTER(255),
    c_native NATIVE CHARACTER(70)
);

-- The same declarations with no rows: nothing to learn from the data, so the declared
-- type (through SQLite's affinity rules) is all the planner has.
CREATE TABLE declared_types_empty (
    id INTEGER PRIMARY KEY,
    c_int_unsigned INT UNSIGNED,
    c_unsigned_big_int UNSIGNED BIG INT,
    c_nvarchar NVARCHAR(20),
    c_varchar2 VARCHAR2,
    c_double DOUBLE PRECISION,
    c_real REAL,
    c_float FLOAT,
    c_floating_point FLOATING POINT,
    c_number NUMBER,
    c_decimal DECIMAL(10,2),
    c_datetime DATETIME,
    c_date DATE,
    c_boolean BOOLEAN,
    c_json JSON,
    c_clob CLOB,
    c_none
);

-- AUTOINCREMENT: ids 1..3 remain, but 50 was handed out once (then deleted), so
-- sqlite_sequence says 50 and PostgreSQL must continue at 51, never reuse 50.
CREATE TABLE pk_autoinc (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);

-- A rowid alias with gaps: ids are data (other tables point at them) and must be kept.
CREATE TABLE pk_rowid_alias (id INTEGER PRIMARY KEY, name TEXT);

CREATE TABLE pk_composite (a INTEGER NOT NULL, b TEXT NOT NULL, v TEXT, PRIMARY KEY (a, b));

-- WITHOUT ROWID: no rowid, so a rejected row is identified by its key ('c').
CREATE TABLE pk_without_rowid (code TEXT PRIMARY KEY, label TEXT, qty INTEGER) WITHOUT ROWID;
CREATE TABLE wr_composite (a INTEGER, b TEXT, v REAL, PRIMARY KEY (a, b)) WITHOUT ROWID;

-- A TEXT primary key on a rowid table may hold NULL in SQLite (a documented legacy bug);
-- PostgreSQL's primary key cannot: those rows must be rejected with a reason.
CREATE TABLE pk_text_null (code TEXT PRIMARY KEY, v INTEGER);

-- No key at all, exact duplicates: copied as they are, and said so.
CREATE TABLE no_pk_log (event TEXT, at TEXT, n INTEGER);

-- DEFAULTs must arrive as expressions of the column's type, never as quoted strings.
CREATE TABLE defaults_demo (
    id INTEGER PRIMARY KEY,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    created_on DATE DEFAULT CURRENT_DATE,
    updated_at DATETIME DEFAULT (datetime('now')),
    stamped TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%S','now')),
    flag BOOLEAN NOT NULL DEFAULT (1),
    empty_str TEXT NOT NULL DEFAULT '',
    null_word TEXT DEFAULT 'null',
    quoted TEXT DEFAULT 'it''s',
    qty INTEGER DEFAULT 0,
    ratio REAL DEFAULT 1.5,
    neg INTEGER DEFAULT -1
);

-- CHECKs: six PostgreSQL can take (GLOB as a regular expression), one it cannot (typeof).
CREATE TABLE checks_demo (
    id INTEGER PRIMARY KEY,
    qty INTEGER CHECK (qty >= 0),
    status TEXT CHECK (status IN ('new', 'done')),
    email TEXT CHECK (email LIKE '%@%'),
    code TEXT CHECK (length(code) = 3),
    kind TEXT CHECK (typeof(kind) = 'text'),
    code2 TEXT CHECK (code2 GLOB '[a-z]*'),
    CHECK (qty < 1000 OR status = 'done')
);

-- Indexes of every kind, and names PostgreSQL cannot take as they are.
CREATE TABLE indexed (
    id INTEGER PRIMARY KEY,
    email TEXT,
    name TEXT,
    score INTEGER,
    deleted INTEGER,          -- only 0/1: becomes boolean, so the partial index must follow
    sku TEXT UNIQUE
);
CREATE UNIQUE INDEX ux_indexed_email ON indexed (email);
CREATE INDEX ix_indexed_live_name ON indexed (name) WHERE deleted = 0;
CREATE INDEX ix_indexed_lower_name ON indexed (lower(name));
CREATE INDEX ix_indexed_score_desc ON indexed (score DESC);
-- 79 and 78 bytes, identical in their first 63: truncation alone would collide.
CREATE INDEX ix_indexed_a_very_long_index_name_that_goes_past_the_postgresql_limit_by_score
    ON indexed (score, id);
CREATE INDEX ix_indexed_a_very_long_index_name_that_goes_past_the_postgresql_limit_by_name
    ON indexed (name, id);
-- Multi-byte characters: a byte cut must not split one.
CREATE INDEX "ix_索引_索引_索引_索引_索引_索引_索引_索引_索引_索引_索引" ON indexed (email, name);
-- Free names in SQLite, taken in PostgreSQL by the identity sequence of pk_autoinc and
-- by the primary key constraint of this very table.
CREATE INDEX pk_autoinc_id_seq ON indexed (score, name);
CREATE INDEX indexed_pkey ON indexed (name);

-- NOCASE: 'alice' and 'ALICE' are the same name; PostgreSQL must keep it so.
CREATE TABLE nocase_users (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE UNIQUE, email TEXT);

-- Foreign keys, none enforced while the rows went in (PRAGMA foreign_keys is off).
CREATE TABLE fk_parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE fk_child (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES fk_parent (id) ON DELETE CASCADE ON UPDATE CASCADE,
    note TEXT
);
CREATE TABLE fk_setnull_child (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES fk_parent (id) ON DELETE SET NULL
);
CREATE TABLE fk_restrict_child (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES fk_parent ON DELETE RESTRICT   -- no column: the parent's key
);
CREATE TABLE fk_deferred_child (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES fk_parent (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE fk_comp_parent (a INTEGER NOT NULL, b TEXT NOT NULL, label TEXT, PRIMARY KEY (a, b));
CREATE TABLE fk_comp_child (
    id INTEGER PRIMARY KEY,
    a INTEGER,
    b TEXT,
    FOREIGN KEY (a, b) REFERENCES fk_comp_parent (a, b) ON DELETE CASCADE
);
CREATE TABLE employees (
    id INTEGER PRIMARY KEY,
    manager_id INTEGER REFERENCES employees (id),
    name TEXT NOT NULL
);
CREATE TABLE fk_missing_child (id INTEGER PRIMARY KEY, ghost_id INTEGER REFERENCES ghost_table (id));

-- Generated columns: two PostgreSQL can compute, one it cannot (typeof).
CREATE TABLE generated_cols (
    id INTEGER PRIMARY KEY,
    price REAL,
    qty INTEGER,
    total REAL GENERATED ALWAYS AS (price * qty) STORED,
    label TEXT GENERATED ALWAYS AS (upper(name)) VIRTUAL,
    kind_of TEXT GENERATED ALWAYS AS (typeof(price)) VIRTUAL,
    name TEXT
);

-- Identifiers PostgreSQL only takes quoted; "First Name" and "FirstName" are both
-- first_name in snake_case.
CREATE TABLE "Mixed Case Table" (
    "Id" INTEGER PRIMARY KEY,
    "First Name" TEXT NOT NULL,
    "FirstName" TEXT,
    "camelCase" INTEGER,
    "select" TEXT,
    "user" TEXT,
    "order" INTEGER,
    "café" TEXT,
    "日本" TEXT,
    "a""b" TEXT
);
CREATE INDEX "Mixed Case Table by First Name" ON "Mixed Case Table" ("First Name");
CREATE TABLE "order" (
    "id" INTEGER PRIMARY KEY,
    "user" INTEGER REFERENCES "Mixed Case Table" ("Id"),
    "group" TEXT
);
CREATE TABLE "日本_données" ("id" INTEGER PRIMARY KEY, "値" TEXT);
CREATE TABLE "quote""d table" ("id" INTEGER PRIMARY KEY, "v" TEXT);

-- Values.
CREATE TABLE bool_values (id INTEGER PRIMARY KEY, label TEXT, flag BOOLEAN, expected INTEGER,
                          is_enabled INTEGER);
CREATE TABLE timestamps_clean (
    id INTEGER PRIMARY KEY,
    iso_ts DATETIME,
    iso_tz DATETIME,
    created_at DATETIME,     -- epoch seconds (an INTEGER column would stay integer: see
    updated_at DATETIME,     -- epoch milliseconds  test_declared_types, epoch is then a
    seen_at DATETIME,        -- epoch microseconds  suggestion)
    jd DATETIME,             -- Julian day numbers (julianday())
    day DATE
);
CREATE TABLE timestamps_dirty (id INTEGER PRIMARY KEY, happened_at DATETIME);
CREATE TABLE dates_ambiguous (id INTEGER PRIMARY KEY, event_date TEXT);
CREATE TABLE dates_dmy (id INTEGER PRIMARY KEY, event_date TEXT);
CREATE TABLE dates_mdy (id INTEGER PRIMARY KEY, event_date TEXT);
-- Created with TEXT columns and re-declared INTEGER / REAL afterwards (see _redeclare):
-- the only way text digits survive in a numeric column, since affinity converts them on
-- insert. Real files get there through schema edits by tools.
CREATE TABLE numbers_text (id INTEGER PRIMARY KEY, qty TEXT, price TEXT);
CREATE TABLE numbers_loose (id INTEGER PRIMARY KEY, amount TEXT);
CREATE TABLE numbers_na (id INTEGER PRIMARY KEY, score REAL);
CREATE TABLE numbers_whole (id INTEGER PRIMARY KEY, qty, weight REAL);
CREATE TABLE numbers_fraction (id INTEGER PRIMARY KEY, qty INTEGER);
CREATE TABLE numbers_extreme (id INTEGER PRIMARY KEY, measure REAL, big INTEGER);
CREATE TABLE text_values (id INTEGER PRIMARY KEY, label TEXT, body TEXT);
CREATE TABLE text_nul (id INTEGER PRIMARY KEY, body TEXT);
CREATE TABLE text_utf8 (id INTEGER PRIMARY KEY, body_clean TEXT, body_bytes TEXT);
CREATE TABLE json_values (id INTEGER PRIMARY KEY, label TEXT, doc JSON);
CREATE TABLE blob_values (id INTEGER PRIMARY KEY, data BLOB);
CREATE TABLE blob_mixed (id INTEGER PRIMARY KEY, data BLOB);
CREATE TABLE text_with_blobs (id INTEGER PRIMARY KEY, note TEXT);

-- For loading into tables someone already made in PostgreSQL (if_exists="append").
-- More orders than customers: copying the largest table first would break the FK.
CREATE TABLE shop_customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);
CREATE TABLE shop_orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES shop_customers (id),
    amount REAL,
    note TEXT
);
CREATE TABLE shop_products (id INTEGER PRIMARY KEY, code TEXT, title TEXT);

-- Views: translatable ones must exist in PostgreSQL and return the same rows.
CREATE VIEW v_managers AS SELECT id, name FROM employees WHERE manager_id IS NULL;
CREATE VIEW v_enabled_flags AS SELECT id, label FROM bool_values WHERE is_enabled = 1;
CREATE VIEW v_shout AS SELECT id, upper(name) || '!' AS shout, length(name) AS n FROM fk_parent;
CREATE VIEW "Mixed View" AS
    SELECT "Id", "First Name" FROM "Mixed Case Table" WHERE "order" > 1;
-- SQLite accepts a view over a table that does not exist; PostgreSQL will not.
CREATE VIEW v_broken AS SELECT * FROM no_such_table;

-- Triggers: listed with their SQL, never silently dropped.
CREATE TRIGGER trg_fk_parent_touch AFTER UPDATE ON fk_parent
BEGIN
    UPDATE fk_child SET note = 'parent changed' WHERE parent_id = NEW.id;
END;
CREATE TRIGGER trg_employees_no_delete BEFORE DELETE ON employees
BEGIN
    SELECT RAISE(ABORT, 'employees are never deleted');
END;

-- Virtual tables and their shadow tables: not data to copy.
CREATE VIRTUAL TABLE docs USING fts5(body);
CREATE VIRTUAL TABLE spatial USING rtree(id, minX, maxX);
"""

INVALID_UTF8 = b"f\xffo"  # what CAST(X'66ff6f' AS TEXT) stores
LONG_CLOB = "x" * 5000
UUID_1 = "550e8400-e29b-41d4-a716-446655440000"

ROWS: dict[str, list[tuple[Any, ...]]] = {
    "declared_types": [
        (1, 1, 9223372036854775807, "short", "a", 1.5, 0.1, 0.1, 1.5, 12.5, 12.5,
         "2024-01-31 12:00:00", "2024-01-31 12:00:00", "2024-01-31", 1, '{"k": 1}', LONG_CLOB,
         UUID_1, b"\x00\x01", 1, 1, 1, 1, 1, 1, 1, "abc", "v1", "n1"),
        (2, 2, 0, "élan", "b", -2.25, 2.0, 1.0, 2.0, 7, 3, "2024-02-01 00:00:00",
         "2024-02-01 00:00:00", "1999-12-31", 0, "[]", "y", "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
         b"\xff", "two", 127, 32767, 8388607, -32768, -1, -1, "defgh", "v2", "n2"),
        (3, 4294967295, 1, "x", "c", 1e100, 3.5, 2.5, 3.25, 0.125, 0.75, "2024-02-29 23:59:59",
         "2024-02-29 23:59:59", "2000-02-29", 1, '{"a": [1, 2]}', "multi\nline",
         "00000000-0000-0000-0000-000000000000", b"", 3.5, -128, -32768, -8388608, 0,
         9223372036854775807, -9223372036854775808, "ij", "v3", "n3"),
    ],
    "pk_autoinc": [(1, "one"), (2, "two"), (3, "three"), (50, "fifty")],  # 50 deleted below
    "pk_rowid_alias": [(5, "five"), (7, "seven"), (100, "hundred")],
    "pk_composite": [(1, "a", "1a"), (1, "b", "1b"), (2, "a", "2a")],
    "pk_without_rowid": [("a", "A", 1), ("b", "B", 2), ("c", "C", "x"), ("d", "D", 4)],
    "wr_composite": [(1, "x", 0.5), (1, "y", 1.5), (2, "x", 2.5)],
    "pk_text_null": [("a", 1), (None, 2), (None, 3), ("b", 4)],
    "no_pk_log": [("login", "2024-01-01", 1), ("login", "2024-01-01", 1),
                  ("login", "2024-01-01", 1), ("logout", "2024-01-02", 2)],
    "defaults_demo": [
        (1, "2024-01-01 08:00:00", "2024-01-01", "2024-01-01 08:00:00", "2024-01-01 08:00:00",
         1, "", "null", "it's", 0, 1.5, -1),
        (2, "2024-01-02 09:30:00", "2024-01-02", "2024-01-02 09:30:00", "2024-01-02 09:30:00",
         0, "x", None, "other", 3, 2.5, 5),
    ],
    "checks_demo": [(1, 5, "new", "a@x.org", "abc", "t", "abc"),
                    (2, 0, "done", "b@y.org", "def", "u", "def")],
    "indexed": [(1, "a@x.org", "Ann", 10, 0, "S1"), (2, "b@x.org", "Bob", 20, 1, "S2"),
                (3, "c@x.org", "Cid", 30, 0, "S3"), (4, None, "Dee", None, 0, None)],
    "nocase_users": [(1, "alice", "a@x.org"), (2, "Bob", "b@x.org")],
    "fk_parent": [(1, "p1"), (2, "p2"), (3, "p3")],
    "fk_child": [(1, 1, "ok"), (2, 2, "ok"), (3, 999, "orphan"), (4, 999, "orphan"),
                 (5, None, "no parent")],
    "fk_setnull_child": [(1, 1), (2, None)],
    "fk_restrict_child": [(1, 2), (2, 3)],
    "fk_deferred_child": [(1, 3)],
    "fk_comp_parent": [(1, "a", "1a"), (2, "b", "2b")],
    "fk_comp_child": [(1, 1, "a"), (2, 2, "b"), (3, 1, "zz"), (4, None, None)],
    "employees": [(1, None, "Boss"), (2, 1, "Mid"), (3, 2, "Junior"), (4, 77, "Lost"),
                  (5, None, "Other boss")],
    "fk_missing_child": [(1, 1), (2, 2)],
    "Mixed Case Table": [(1, "Ann", "AnnF", 10, "s1", "u1", 1, "crème", "日本語", 'q"1'),
                         (2, "Bob", "BobF", 20, "s2", "u2", 2, "brûlée", "東京", 'q"2'),
                         (3, "Cid", None, None, None, None, 3, None, None, None)],
    "order": [(1, 1, "g1"), (2, 2, "g2"), (3, 1, None)],
    "日本_données": [(1, "一"), (2, "二")],
    'quote"d table': [(1, "q1"), (2, "q2")],
    # label, flag as stored, expected truth (None for the dirty ones), is_enabled
    "bool_values": [
        (1, "int 1", 1, 1, 1), (2, "int 0", 0, 0, 0),
        (3, "true", "true", 1, 1), (4, "FALSE", "FALSE", 0, 0), (5, "True", "True", 1, 1),
        (6, "t", "t", 1, 0), (7, "F", "F", 0, 1),
        (8, "yes", "yes", 1, 1), (9, "No", "No", 0, 0),
        (10, "y", "y", 1, 0), (11, "N", "N", 0, 1),
        (12, "on", "on", 1, 1), (13, "OFF", "OFF", 0, 0),
        (14, "'1' text", "1", 1, 1), (15, "'0' text", "0", 0, 0),
        (16, "NULL", None, None, 0),
        (17, "dirty: maybe", "maybe", None, 0), (18, "dirty: 2", 2, None, 0),
    ],
    "timestamps_clean": [
        (1, "2024-01-31 12:34:56", "2024-01-31T12:00:00Z", 1706704496, 1706704496123,
         1706704496123456, 2460341.0, "2024-01-31"),
        (2, "2024-01-31T12:34:56", "2024-01-31T12:00:00+02:00", 1706790896, 1706790896500,
         1706790896000001, 2460341.5, "1970-01-01"),
        (3, "2024-01-31 12:34:56.789", "2024-01-31 12:00:00-05:30", 1000000000, 1000000000000,
         1000000000000000, 2440587.5, "2000-02-29"),
        (4, "2024-01-31T12:34:56.123456", "2024-01-31T12:00:00.5+00:00", 1700000000,
         1700000000001, 1700000000000000, 2451544.5, "1999-12-31"),
        (5, "2024-02-29", "2024-06-30T23:59:59+14:00", None, None, None, None, None),
    ],
    "timestamps_dirty": [
        (1, "2024-03-01 10:00:00"), (2, "2024-03-02 10:00:00"), (3, "2024-03-03 10:00:00"),
        (4, "2024-03-04 10:00:00"), (5, "2024-03-05 10:00:00"),
        (6, "0000-00-00 00:00:00"), (7, "2024-02-30 10:00:00"), (8, "yesterday"), (9, None),
    ],
    "dates_ambiguous": [(1, "03/04/2024"), (2, "05/06/2024"), (3, "01/02/2023"),
                        (4, "12/11/2022")],
    "dates_dmy": [(1, "31/01/2024"), (2, "15/03/2024"), (3, "01/02/2024")],
    "dates_mdy": [(1, "01/31/2024"), (2, "12/25/2023"), (3, "02/01/2024")],
    "numbers_text": [(1, "42", "3.25"), (2, " 7 ", "10"), (3, "-3", "-0.5"), (4, 12, 2.5)],
    "numbers_loose": [(1, "1,234.50"), (2, "$1,000"), (3, "-$5.25"), (4, "€2,500.75"),
                      (5, None)],
    "numbers_na": [(1, 1.5), (2, 2.5), (3, ""), (4, "N/A"), (5, 3.0), (6, 4.25)],
    "numbers_whole": [(1, 1.0, 1.0), (2, 2.0, 2.0), (3, 1000.0, 3.0)],
    "numbers_fraction": [(1, 1), (2, 2), (3, 3), (4, 4), (5, 2.5)],
    "numbers_extreme": [(1, float("inf"), 9223372036854775807),
                        (2, float("-inf"), -9223372036854775808),
                        (3, 1.7976931348623157e308, 0), (4, 5e-324, 1), (5, 1.5, -1)],
    "text_values": [
        (1, "backslashes", "C:\\temp\\new\\file.txt"),
        (2, "tab", "a\tb"),
        (3, "CRLF", "line1\r\nline2"),
        (4, "lone CR", "a\rb"),
        (5, "LF", "a\nb\n"),
        (6, "literal \\N", "\\N"),
        (7, "empty string", ""),
        (8, "NULL", None),
        (9, "unicode", "café ☕ 日本 𝄞"),
        (10, "trailing spaces", "  padded  "),
        (11, "backslash-t text", "\\t is not a tab"),
        (12, "control chars", "bell\x07esc\x1b"),
    ],
    "text_nul": [(1, "ab\x00cd"), (2, "clean"), (3, "\x00start")],
    "json_values": [
        (1, "object", '{"a": 1}'), (2, "array", "[1, 2]"), (3, "string scalar", '"str"'),
        (4, "number scalar", "42"), (5, "true scalar", "true"), (6, "JSON null", "null"),
        (7, "SQL NULL", None), (8, "nested", '{"nested": {"k": [1, {"x": null}]}}'),
        (9, "unicode", '{"name": "café", "jp": "日本"}'),
        (10, "dirty: bare word", "{bad json}"), (11, "dirty: unterminated", '{"a": 1'),
    ],
    "blob_values": [(1, b"\x00\x01\x02\xff"), (2, b""), (3, b"\x89PNG\r\n\x1a\n"), (4, None),
                    (5, bytes(range(256)))],
    "blob_mixed": [(1, b"\x00\x01"), (2, b"\xde\xad\xbe\xef"), (3, b"\xff"), (4, "hello")],
    "text_with_blobs": [(1, "plain"), (2, "words"), (3, "more words"), (4, "still text"),
                        (5, b"hi"), (6, b"\xff\xfe")],
    "shop_customers": [(1, "Ann", "ann@x.org"), (2, "Bob", "bob@x.org"), (3, "Cid", None)],
    "shop_orders": [(1, 1, 10.5, "first"), (2, 1, 20.0, None), (3, 2, 5.25, "b"),
                    (4, 3, 7.0, "c"), (5, 2, 1.0, "d"), (6, 3, 2.0, None)],
    "shop_products": [(1, "10", "ten"), (2, "20", "twenty"), (3, "abc", "letters")],
}

# generated_cols (id, price, qty, name); total, label and kind_of are computed by SQLite.
GENERATED_ROWS = [(1, 2.5, 4, "widget"), (2, 10.0, 3, "Gadget"), (3, None, 2, None)]


def _insert(conn: sqlite3.Connection, table: str, rows: list[tuple[Any, ...]]) -> None:
    marks = ", ".join("?" * len(rows[0]))
    quoted = '"' + table.replace('"', '""') + '"'
    conn.executemany(f"INSERT INTO {quoted} VALUES ({marks})", rows)


def _redeclare(conn: sqlite3.Connection, table: str, old: str, new: str) -> None:
    """Change a declared column type after the rows are in, as schema-editing tools do."""
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = ?",
                 (old, new, table))
    conn.execute("PRAGMA writable_schema = OFF")


def build_corpus(path: Path) -> Path:
    """Write the corpus to ``path`` (replaced if present) and return it."""
    path = Path(path)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.executescript(SCHEMA)
        for table, rows in ROWS.items():
            _insert(conn, table, rows)
        # Generated columns cannot be given values: name the stored ones.
        conn.executemany("INSERT INTO generated_cols (id, price, qty, name) VALUES (?, ?, ?, ?)",
                         GENERATED_ROWS)
        # sqlite_sequence keeps 50 after the row is gone.
        conn.execute("DELETE FROM pk_autoinc WHERE id = 50")
        # Old rows that break a CHECK: SQLite only enforces CHECKs when asked to.
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute("INSERT INTO checks_demo VALUES (3, -5, 'new', 'c@z.org', 'ghi', 'v', 'ghi')")
        conn.execute("PRAGMA ignore_check_constraints = OFF")
        # Values only SQL can write: invalid UTF-8 stored as TEXT.
        conn.execute("INSERT INTO text_utf8 VALUES (1, CAST(X'66ff6f' AS TEXT), CAST(X'66ff6f' AS TEXT))")
        conn.executemany("INSERT INTO text_utf8 VALUES (?, ?, ?)", [(2, "ok", "ok"), (3, "é", "é")])
        # Infinity written the way SQLite users write it.
        conn.execute("INSERT INTO numbers_extreme VALUES (6, 9e999, 2), (7, -9e999, -2)")
        conn.executemany("INSERT INTO docs (body) VALUES (?)", [("full text one",), ("two",)])
        conn.executemany("INSERT INTO spatial VALUES (?, ?, ?)", [(1, 0.0, 1.0), (2, 2.0, 3.5)])
        conn.commit()
        _redeclare(conn, "numbers_text", "qty TEXT, price TEXT", "qty INTEGER, price REAL")
        conn.commit()
        conn.execute("ANALYZE")  # creates sqlite_stat1 (and stat4 where compiled in)
        conn.commit()
        # The one problem integrity_check may report is the CHECK row put there on purpose.
        problems = [r for r in conn.execute("PRAGMA integrity_check").fetchall()
                    if r[0] not in ("ok", "CHECK constraint failed in checks_demo")]
        if problems:
            raise RuntimeError(f"corpus failed integrity_check: {problems}")
    finally:
        conn.close()
    return path


# --- helpers shared by tests/test_corpus_*.py ------------------------------------

@contextmanager
def scratch_database(server_dsn: str) -> Iterator[str]:
    """A database of its own for a module's shared migration; dropped afterwards.

    conftest's pg_dsn is per test; a module-scoped migration needs one that lives as long
    as the module, on the same server."""
    import psycopg2
    import psycopg2.extensions
    from psycopg2 import sql

    name = "corpus_" + uuid.uuid4().hex[:12]
    admin = psycopg2.connect(server_dsn)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        params = psycopg2.extensions.parse_dsn(server_dsn)
        params["dbname"] = name
        try:
            yield psycopg2.extensions.make_dsn(**params)
        finally:
            with admin.cursor() as cur:
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                            .format(sql.Identifier(name)))
    finally:
        admin.close()


@dataclass
class Migrated:
    """One migration of the corpus, as several tests read it."""

    source: Path
    dsn: str
    report: Report | None
    mapping: Mapping | None  # the Mapping that was run (planned on demand when none was given)
    reject_dir: Path
    error: BaseException | None = None  # set when run_migration raised

    def mapping_for(self, table: str) -> TableMapping:
        """The TableMapping of ``table``; planned here (as run_migration does) when the
        run planned its own and so did not hand it back."""
        if self.mapping is None:
            self.mapping = plan_corpus(self.source)
        return self.mapping.table(table)

    def ok(self) -> Report:
        """The report; re-raises the migration's exception so each test shows it."""
        if self.error is not None:
            raise self.error
        assert self.report is not None
        return self.report


def plan_corpus(source: Path, **plan_kwargs: Any) -> Mapping:
    """inspect + plan over every row (the corpus is small, so no sampling)."""
    from sqlite2pg_tui.core.plan.propose import plan
    from sqlite2pg_tui.core.source.inspection import inspect

    ins = inspect(source, limit=None)
    return plan(ins.schema, ins.profiles, **plan_kwargs)


def migrate(source: Path, dsn: str, reject_dir: Path, mapping: Mapping | None = None, *,
            if_exists: str = "replace") -> Migrated:
    """run_migration with the options every corpus test uses; an exception is kept, not
    raised, so a module's fixture still yields and each test reports the failure."""
    from sqlite2pg_tui.core.pipeline import RunOptions, run_migration

    try:
        report = run_migration(str(source), dsn, mapping,
                               options=RunOptions(reject_dir=str(reject_dir), if_exists=if_exists))
    except Exception as e:  # noqa: BLE001 - handed to every test that reads the result
        return Migrated(source, dsn, None, mapping, reject_dir, e)
    return Migrated(source, dsn, report, mapping, reject_dir)


def reject_lines(reject_dir: Path, table: str) -> list[dict[str, Any]]:
    """The JSON lines of ``<reject_dir>/<table>.jsonl``; [] when the file is absent."""
    p = reject_dir / f"{table}.jsonl"
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line]


def mentions(report_dict: Any, name: str, phrase: str) -> bool:
    """True when one entry of the report (a dict anywhere in it) names ``name`` and says
    ``phrase``: for notes whose exact place in the Report is the lead's to choose."""
    if isinstance(report_dict, dict):
        texts = [v for v in report_dict.values() if isinstance(v, str)]
        if any(name == t or f"{name}." in t or f"{name}(" in t or f"{name}:" in t for t in texts) \
                and any(phrase.lower() in t.lower() for t in texts):
            return True
        return any(mentions(v, name, phrase) for v in report_dict.values())
    if isinstance(report_dict, list):
        return any(mentions(v, name, phrase) for v in report_dict)
    return False


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python tests/corpus.py OUT.db", file=sys.stderr)
        return 2
    out = build_corpus(Path(argv[1]))
    print(f"wrote {out} ({len(CASES)} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
