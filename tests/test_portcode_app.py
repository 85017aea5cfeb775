"""The proof: a sqlite3 application, ported by `port-code`, answers the same on PostgreSQL.

tests/sample_app is a small shop written the way sqlite3 code is written (placeholders,
lastrowid, sqlite3.Row, INSERT OR IGNORE/REPLACE, IFNULL, GROUP_CONCAT, date functions,
LIKE, a 0/1 flag, IntegrityError, conn.execute, executescript). Its database is built on
SQLite and migrated into a real PostgreSQL; a copy of the code is ported with
`port-code --write`; both versions then run the same reads and writes.

Normalised before comparing, because the migration changed the types on purpose:
timestamps (ISO text in SQLite, datetime from PostgreSQL) are compared as ISO text to
the second (SQLite's datetime('now') has whole seconds, PostgreSQL's now() microseconds,
also in the column DEFAULT the migration created), booleans as 0/1, floats to 9 places, and the items of a GROUP_CONCAT/STRING_AGG list as
a sorted list (neither database promises an order without ORDER BY).
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sample_app import build, db, repo, reports

from sqlite2pg_tui.core.pipeline import run_migration
from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.source.inspection import inspect
from sqlite2pg_tui.portcode.command import register

SAMPLE_DIR = Path(__file__).parent / "sample_app"
PORTED = "sample_app_pg"


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, tuple | list):
        return [_norm(v) for v in value]
    return value


def normalise(answers: dict[str, list]) -> dict[str, Any]:
    out = {k: _norm(v) for k, v in answers.items()}
    out["tags_per_user"] = [[name, sorted(tags.split(", "))] for name, tags in out["tags_per_user"]]
    return out


def _signups(rows: list[list[Any]]) -> list[tuple[str, str]]:
    """(name, signup time), a time written "now" during the test (UTC) shown as "now"."""
    now = datetime.now(UTC).replace(tzinfo=None)
    out = []
    for name, at in rows:
        recent = abs((now - datetime.fromisoformat(at)).total_seconds()) < 300
        out.append((name, "now" if recent else at))
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sqlite2pg-tui")
    register(parser.add_subparsers(dest="command"))
    return parser


@pytest.fixture
def ported_modules() -> Iterator[None]:
    yield
    for name in [m for m in sys.modules if m == PORTED or m.startswith(PORTED + ".")]:
        del sys.modules[name]


def _import_ported(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, ModuleType, ModuleType]:
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    return (importlib.import_module(f"{PORTED}.db"), importlib.import_module(f"{PORTED}.repo"),
            importlib.import_module(f"{PORTED}.reports"))


def _writes(db_mod: ModuleType, repo_mod: ModuleType, conn: Any) -> dict[str, Any]:
    """The application's write paths, the same calls on either side."""
    out: dict[str, Any] = {}
    out["new_user"] = repo_mod.add_user(conn, "erin@example.org", "Erin")  # lastrowid / RETURNING
    out["duplicate_user"] = repo_mod.add_user(conn, "alice@example.org", "Alice 2")  # IntegrityError
    out["new_order"] = repo_mod.add_order(conn, out["new_user"], 42.0)  # datetime('now'), lastrowid
    out["dated_order"] = repo_mod.add_order(conn, out["new_user"], 1.5, "2020-02-02 10:00:00")
    repo_mod.tag_user(conn, out["new_user"], "new")
    repo_mod.tag_user(conn, out["new_user"], "new")  # INSERT OR IGNORE: the duplicate is skipped
    repo_mod.set_setting(conn, "theme", "dark")  # INSERT OR REPLACE on the primary key
    repo_mod.set_setting(conn, "lang", "fr")
    repo_mod.deactivate(conn, out["new_user"])  # active = 0 on a boolean column
    out["shipped"] = repo_mod.ship_old_orders(conn)
    db_mod.init_schema(conn)  # CREATE TABLE IF NOT EXISTS ...: harmless on both sides
    return out


def test_ported_app_answers_like_the_original(tmp_path: Path, pg_dsn: str, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str], ported_modules: None) -> None:
    # 1. The SQLite database, through the original application.
    source = tmp_path / "shop.db"
    build.build(str(source))
    conn = db.connect(str(source))
    try:
        sqlite_before = normalise(reports.queries(conn))
    finally:
        conn.close()
    assert sqlite_before["active_users"] and sqlite_before["tags_per_user"]
    assert sqlite_before["recent_orders"] and sqlite_before["newest_signups"]

    # 2. Migrate it into PostgreSQL with the planned mapping (0/1 → boolean, text → timestamp).
    ins = inspect(str(source))
    mapping = plan(ins.schema, ins.profiles)
    # INTEGER holding 0/1 stays an integer unless a person accepts the data's suggestion:
    # this app's owner does, so port-code has `active = 1` comparisons to rewrite.
    assert mapping.table("users").column("active").accept_suggestion()
    assert mapping.table("users").column("active").pg_type == "boolean"
    assert mapping.table("orders").column("created_at").pg_type == "timestamp"
    mapping_file = mapping.save(tmp_path / "shop.toml")
    report = run_migration(str(source), pg_dsn, mapping)
    assert report.ok

    # 3. Port a copy of the application's code, in place, as a user would.
    root = tmp_path / "ported"
    pkg = root / PORTED
    shutil.copytree(SAMPLE_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__", "*.orig"))
    args = _parser().parse_args(["port-code", str(pkg), "--write", "--json",
                                 "--schema-from", str(source), "--mapping", str(mapping_file)])
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    for name in ("db.py", "repo.py", "reports.py"):
        assert (pkg / (name + ".orig")).read_text() == (SAMPLE_DIR / name).read_text()
        assert (pkg / name).read_text() != (SAMPLE_DIR / name).read_text()
    assert "import sqlite3" not in (pkg / "repo.py").read_text()

    # The f-string query is reported, not rewritten; the user follows the finding by hand.
    reports_file = next(f for f in out["files"] if f["path"].endswith("reports.py"))
    dynamic = [f for f in reports_file["findings"] if f["kind"] == "dynamic-sql"]
    assert len(dynamic) == 1 and dynamic[0]["needs_look"]
    assert "WHERE status = ?" in (SAMPLE_DIR / "reports.py").read_text().splitlines()[dynamic[0]["line"] - 1]
    lines = (pkg / "reports.py").read_text().splitlines(keepends=True)
    where = dynamic[0]["ported_line"] - 1
    assert "WHERE status = ?" in lines[where]
    lines[where] = lines[where].replace("status = ?", "status = %s")
    (pkg / "reports.py").write_text("".join(lines))

    # 4. The ported application against PostgreSQL: same answers.
    monkeypatch.setenv("DATABASE_URL", pg_dsn)
    pg_db, pg_repo, pg_reports = _import_ported(root, monkeypatch)
    pg = pg_db.connect("ignored: the DSN comes from DATABASE_URL")
    try:
        assert type(pg).__module__.startswith("psycopg2")
        assert normalise(pg_reports.queries(pg)) == sqlite_before

        # 5. The write paths, on both sides, then the reads again.
        lite = db.connect(str(source))
        try:
            sqlite_writes = _writes(db, repo, lite)
            sqlite_after = normalise(reports.queries(lite))
        finally:
            lite.close()
        pg_writes = _writes(pg_db, pg_repo, pg)
        assert pg_writes == sqlite_writes
        assert sqlite_writes["new_user"] is not None and sqlite_writes["duplicate_user"] is None
        pg_after = normalise(pg_reports.queries(pg))
        # The new user's signup time is each database's "now": the two writes ran moments
        # apart, so a second may have ticked between them.
        assert _signups(pg_after.pop("newest_signups")) == _signups(sqlite_after.pop("newest_signups"))
        assert pg_after == sqlite_after
        assert sqlite_after != sqlite_before  # the writes did change something
    finally:
        pg.close()
