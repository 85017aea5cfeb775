"""Bad input of every kind: one clear line on stderr, exit 2, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg2
import psycopg2.extensions
import pytest
from helpers import (
    ERROR_PREFIX,
    assert_clean_failure,
    dsn_params,
    edit_mapping,
    free_port,
    isolate_environment,
    login_role,
    make_sqlite,
    pg_count,
    pg_table_exists,
    run_cli,
    sqlite_exec,
    with_params,
)
from psycopg2 import sql

SCHEMA = "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, n INTEGER);"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return make_sqlite(tmp_path / "ok.db", SCHEMA, {"t": [(1, "a", 1), (2, "b", 2)]})


# --- the source --------------------------------------------------------------------

COMMANDS = [("inspect",), ("inspect", "--json"), ("plan", "--stdout"), ("run",), ("verify",)]


def _argv(cmd: tuple[str, ...], path: Path, dsn: str) -> list[str]:
    argv = [cmd[0], str(path), *cmd[1:], "--quiet"] if cmd[0] in ("run", "verify") else \
        [cmd[0], str(path), *cmd[1:]]
    if cmd[0] in ("run", "verify"):
        argv += ["--pg", dsn]
    return argv


@pytest.mark.parametrize("cmd", COMMANDS, ids=" ".join)
def test_missing_file(cmd: tuple[str, ...], tmp_path: Path, pg_dsn: str,
                      capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, *_argv(cmd, tmp_path / "nope.db", pg_dsn))
    assert_clean_failure(res, "not found", "nope.db")
    assert res.out == ""


@pytest.mark.parametrize("cmd", COMMANDS, ids=" ".join)
def test_file_that_is_not_sqlite(cmd: tuple[str, ...], tmp_path: Path, pg_dsn: str,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("id,name\n1,hello\n" * 100, encoding="utf-8")
    res = run_cli(capsys, *_argv(cmd, text, pg_dsn))
    assert_clean_failure(res, "not a SQLite database", "notes.txt")


def test_a_directory_is_not_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_clean_failure(run_cli(capsys, "inspect", tmp_path), "not a file")


def test_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert_clean_failure(run_cli(capsys, "inspect", empty), "the file is empty (0 bytes)")


def test_connecting_through_the_environment_says_so_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlite2pg_tui.core.source.demo_data import build_demo

    monkeypatch.setenv("PGHOST", "/nonexistent-s2p-socket-dir")
    monkeypatch.setenv("PGPORT", "1")
    src = build_demo(tmp_path / "shop.db")
    line = assert_clean_failure(run_cli(capsys, "verify", src), "cannot connect")
    assert "(from PG* environment)" in line and "((" not in line


@pytest.fixture
def corrupt(tmp_path: Path) -> Path:
    """A valid header and schema page, with garbage over the middle of a many-page table."""
    path = make_sqlite(tmp_path / "corrupt.db",
                       "PRAGMA page_size=4096; CREATE TABLE t(id INTEGER PRIMARY KEY, pad TEXT);",
                       {"t": [(i, f"{i:06d}" + "x" * 500) for i in range(2000)]})
    size = path.stat().st_size
    assert size > 100 * 4096  # many pages, so the damage lands in table data
    data = bytearray(path.read_bytes())
    start = (size // 2) // 4096 * 4096
    data[start:start + 8 * 4096] = b"\xa5" * (8 * 4096)  # eight whole pages, headers included
    path.write_bytes(bytes(data))
    return path


def test_corruption_is_really_there(corrupt: Path) -> None:
    import sqlite3

    # Guard for the tests below: SQLite itself must notice the damage on a full read.
    conn = sqlite3.connect(f"file:{corrupt}?mode=ro", uri=True)
    try:
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute("SELECT sum(length(pad)) FROM t").fetchone()
    finally:
        conn.close()


@pytest.mark.parametrize("cmd", COMMANDS, ids=" ".join)
def test_corrupt_database(cmd: tuple[str, ...], corrupt: Path, pg_dsn: str,
                          pg_conn: psycopg2.extensions.connection,
                          capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, *_argv(cmd, corrupt, pg_dsn))
    assert_clean_failure(res, "corrupt.db")
    assert "malformed" in res.error_lines[0] or "corrupt" in res.error_lines[0].lower()
    if cmd[0] == "run":
        assert not pg_table_exists(pg_conn, "t") or pg_count(pg_conn, "t") == 0


# --- the target --------------------------------------------------------------------

def test_postgres_unreachable(src: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dsn = f"host=127.0.0.1 port={free_port()} dbname=x user=y connect_timeout=5"
    res = run_cli(capsys, "run", src, "--pg", dsn, "--quiet")
    line = assert_clean_failure(res, "cannot connect")
    assert "127.0.0.1" in line
    res = run_cli(capsys, "verify", src, "--pg", dsn, "--quiet")
    assert_clean_failure(res, "cannot connect")


def test_unparseable_dsn(src: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "run", src, "--pg", "host=localhost port", "--quiet")
    assert_clean_failure(res)


# The session server trusts local connections (pg_hba "trust"), so a wrong password is
# never checked. Authentication failures are tested with a role and a database that do not
# exist instead: the same libpq "connection refused by the server" path.
@pytest.fixture
def password_role(pg_conn: psycopg2.extensions.connection) -> Iterator[str]:
    with login_role(pg_conn, "pw_", "right-pass") as role:
        yield role


def test_wrong_password(src: Path, pg_dsn: str, password_role: str,
                        capsys: pytest.CaptureFixture[str]) -> None:
    dsn = with_params(pg_dsn, user=password_role, password="wrong-pass")
    try:
        psycopg2.connect(dsn).close()
    except psycopg2.OperationalError:
        pass
    else:
        pytest.skip("this server trusts local connections: passwords are not checked "
                    "(the tests below cover refused logins instead)")
    line = assert_clean_failure(run_cli(capsys, "run", src, "--pg", dsn, "--quiet"),
                                "cannot connect")
    assert "wrong-pass" not in line


def test_login_as_a_role_that_does_not_exist(src: Path, pg_dsn: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    dsn = with_params(pg_dsn, user="no_such_role_x1", password="wrong")
    line = assert_clean_failure(run_cli(capsys, "run", src, "--pg", dsn, "--quiet"),
                                "no_such_role_x1")
    assert "wrong" not in line


def test_database_that_does_not_exist(src: Path, pg_dsn: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    dsn = with_params(pg_dsn, dbname="no_such_db_x1")
    assert_clean_failure(run_cli(capsys, "run", src, "--pg", dsn, "--quiet"), "no_such_db_x1")


@pytest.fixture
def limited_role(pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> Iterator[str]:
    """A login role that may connect but not create anything in schema public."""
    dbname = sql.Identifier(dsn_params(pg_dsn)["dbname"])
    with login_role(pg_conn, "lim_", "pw-test",
                    lambda _r: sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
                    # Allowed to create schemas, so it is schema public's privilege that refuses.
                    lambda r: sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(dbname, r)) as role:
        yield role


def test_no_permission_to_create_tables(src: Path, pg_dsn: str, limited_role: str,
                                        pg_conn: psycopg2.extensions.connection,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    dsn = with_params(pg_dsn, user=limited_role, password="pw-test")
    res = run_cli(capsys, "run", src, "--pg", dsn, "--quiet")
    assert_clean_failure(res, "permission", "public")
    assert not pg_table_exists(pg_conn, "t")


@pytest.fixture
def schema_only_role(pg_dsn: str, pg_conn: psycopg2.extensions.connection) -> Iterator[str]:
    """The usual application role: CREATE on schema public, but not on the database."""
    with login_role(pg_conn, "app_", "pw-test",
                    lambda r: sql.SQL("GRANT CREATE, USAGE ON SCHEMA public TO {}").format(r)) as role:
        yield role


def test_role_with_create_on_the_schema_only_can_migrate(
        src: Path, pg_dsn: str, schema_only_role: str, pg_conn: psycopg2.extensions.connection,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Creating the target schema "if not exists" must not demand CREATE on the database
    # when the schema is already there.
    dsn = with_params(pg_dsn, user=schema_only_role, password="pw-test")
    res = run_cli(capsys, "run", src, "--pg", dsn, "--quiet", "--reject-dir", tmp_path / "rj")
    assert res.code == 0, res.err
    assert pg_count(pg_conn, "t") == 2


def test_target_tables_already_exist(src: Path, pg_dsn: str,
                                     pg_conn: psycopg2.extensions.connection,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    with pg_conn.cursor() as cur:
        cur.execute("CREATE TABLE t (keep_me int); INSERT INTO t VALUES (42)")
    res = run_cli(capsys, "run", src, "--pg", pg_dsn, "--quiet", "--if-exists", "fail")
    assert_clean_failure(res, "already exist", "t")
    assert pg_count(pg_conn, "t") == 1  # the existing table is untouched


# --- mappings ----------------------------------------------------------------------

@pytest.fixture
def mapping(src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "mapping.toml"
    assert run_cli(capsys, "plan", src, "-o", out).code == 0
    return out


def _run_with(capsys: pytest.CaptureFixture[str], src: Path, dsn: str, mapping: Path):  # noqa: ANN202
    return run_cli(capsys, "run", src, "--pg", dsn, "--mapping", mapping, "--quiet")


def test_mapping_file_missing(src: Path, pg_dsn: str, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    assert_clean_failure(_run_with(capsys, src, pg_dsn, tmp_path / "gone.toml"), "not found")


def test_mapping_bad_toml(src: Path, pg_dsn: str, mapping: Path,
                          pg_conn: psycopg2.extensions.connection,
                          capsys: pytest.CaptureFixture[str]) -> None:
    mapping.write_text(mapping.read_text(encoding="utf-8") + "\n[[tables]\nbroken = \n",
                       encoding="utf-8")
    assert_clean_failure(_run_with(capsys, src, pg_dsn, mapping), "not valid TOML")
    assert not pg_table_exists(pg_conn, "t")


def test_mapping_unknown_converter(src: Path, pg_dsn: str, mapping: Path,
                                   pg_conn: psycopg2.extensions.connection,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    edit_mapping(mapping, "t", "n", converter="roman_numerals")
    assert_clean_failure(_run_with(capsys, src, pg_dsn, mapping), "roman_numerals", "t.n")
    assert not pg_table_exists(pg_conn, "t")


def test_mapping_bad_on_error(src: Path, pg_dsn: str, mapping: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    edit_mapping(mapping, "t", "name", on_error="ignore")
    assert_clean_failure(_run_with(capsys, src, pg_dsn, mapping), "on_error", "t.name")


def test_mapping_bad_pg_type(src: Path, pg_dsn: str, mapping: Path,
                             pg_conn: psycopg2.extensions.connection,
                             capsys: pytest.CaptureFixture[str]) -> None:
    edit_mapping(mapping, "t", "name", pg_type="text; DROP TABLE x")
    assert_clean_failure(_run_with(capsys, src, pg_dsn, mapping), "type")
    assert not pg_table_exists(pg_conn, "t")


def test_mapping_unknown_key_and_wrong_version(src: Path, pg_dsn: str, mapping: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    edit_mapping(mapping, "t", "name", colour="blue")
    assert_clean_failure(_run_with(capsys, src, pg_dsn, mapping), "colour")
    text = mapping.read_text(encoding="utf-8")
    mapping.write_text(text.replace("version = 1", "version = 99"), encoding="utf-8")
    assert_clean_failure(_run_with(capsys, src, pg_dsn, mapping), "version 99")


def test_mapping_that_no_longer_matches_the_database(src: Path, pg_dsn: str, mapping: Path,
                                                     pg_conn: psycopg2.extensions.connection,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    sqlite_exec(src, "ALTER TABLE t ADD COLUMN added_later TEXT;"
                     "CREATE TABLE brand_new(x INTEGER);")
    res = _run_with(capsys, src, pg_dsn, mapping)
    assert res.code == 2
    assert "Traceback" not in res.err
    lines = res.err.splitlines()
    assert lines[0].startswith(ERROR_PREFIX) and "no longer matches" in lines[0]
    # Every difference is listed, not just the first.
    assert "added_later" in res.err and "brand_new" in res.err
    assert all(line.startswith((ERROR_PREFIX, "  - ")) for line in lines)
    assert not pg_table_exists(pg_conn, "t")
    res = run_cli(capsys, "verify", src, "--pg", pg_dsn, "--mapping", mapping, "--quiet")
    assert res.code == 2 and "added_later" in res.err


def test_unknown_command_and_bad_option_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    # argparse's own usage errors share the exit code for "could not run".
    with pytest.raises(SystemExit) as exc:
        run_cli(capsys, "frobnicate")
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        run_cli(capsys, "run", "x.db", "--if-exists", "sometimes")
    assert exc.value.code == 2


def test_pg_type_that_does_not_fit_the_converter(src: Path, pg_dsn: str, mapping: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    sqlite_exec(src, "UPDATE t SET name = '2024-01-0' || id")
    edit_mapping(mapping, "t", "name", pg_type="date")  # converter left as "text"
    res = _run_with(capsys, src, pg_dsn, mapping)
    # Refused up front with a clear line, or migrated and verified: never false differences.
    assert res.code == 0 or (res.code == 2 and "t.name" in res.err), res.err
