"""`plan SRC -o mapping.toml`: a versioned TOML mapping that round-trips and holds no secret."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from helpers import isolate_environment, make_sqlite, run_cli, sqlite_exec

from sqlite2pg_tui.core.plan.mapping import FORMAT_VERSION, Mapping
from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.source.inspection import inspect

SCHEMA = """
CREATE TABLE items(id INTEGER PRIMARY KEY, label TEXT NOT NULL, price REAL, done INTEGER,
                   seen_at TEXT, blob BLOB);
"""
ROWS = [(1, "a", 1.5, 0, "2024-01-01T00:00:00Z", b"\x00\x01"),
        (2, "b", 2.0, 1, "2024-01-02T00:00:00+01:00", b"\xff")]
SECRET = "s3cr3t-Pa55"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    return make_sqlite(tmp_path / "shop.db", SCHEMA, {"items": ROWS})


def test_plan_writes_versioned_toml(src: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mapping.toml"
    res = run_cli(capsys, "plan", src, "-o", out)
    assert res.code == 0, res.err
    data = tomllib.loads(out.read_text(encoding="utf-8"))
    assert data["version"] == FORMAT_VERSION
    cols = {c["source"]: c for c in data["tables"][0]["columns"]}
    # The declaration is the contract: INTEGER stays an integer; the data's 0/1 is a suggestion.
    assert cols["done"]["pg_type"] == "bigint"
    assert cols["done"]["suggestion"]["pg_type"] == "boolean"
    assert cols["seen_at"]["pg_type"] == "timestamptz"  # TEXT says nothing precise: data decides
    assert cols["blob"]["pg_type"] == "bytea"
    assert cols["id"]["identity"] is True


def test_plan_accept_suggestions_takes_the_data_types(src: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mapping.toml"
    assert run_cli(capsys, "plan", src, "-o", out, "--accept-suggestions").code == 0
    cols = {c.source: c for c in Mapping.load(out).tables[0].columns}
    assert (cols["done"].pg_type, cols["done"].converter) == ("boolean", "boolean")
    assert cols["done"].suggestion is None
    assert cols["price"].pg_type == "double precision"  # nothing suggested: unchanged


def test_plan_round_trips_through_mapping_load(src: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mapping.toml"
    assert run_cli(capsys, "plan", src, "-o", out).code == 0
    loaded = Mapping.load(out)
    ins = inspect(src)
    assert loaded == plan(ins.schema, ins.profiles)  # nothing lost or changed by the file
    again = tmp_path / "again.toml"
    loaded.save(again)
    assert again.read_bytes() == out.read_bytes()


def test_plan_never_writes_a_password(src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    # A DSN with a password sitting in the environment must not end up in the file.
    monkeypatch.setenv("PGPASSWORD", SECRET)
    monkeypatch.setenv("DATABASE_URL", f"postgresql://app:{SECRET}@db.example/shop")
    out = tmp_path / "mapping.toml"
    res = run_cli(capsys, "plan", src, "-o", out, "--schema", "staging")
    assert res.code == 0, res.err
    text = out.read_text(encoding="utf-8")
    assert SECRET not in text
    assert "password" not in text.lower().replace("no password is ever stored here", "")
    assert SECRET not in res.out + res.err
    assert Mapping.load(out).schema == "staging"


def test_plan_default_location_is_the_user_config_dir(src: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "cfg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    res = run_cli(capsys, "plan", src)
    assert res.code == 0, res.err
    expected = config / "sqlite2pg-tui" / "mappings" / "shop.toml"
    assert expected.is_file()
    assert str(expected) in res.out
    assert Mapping.load(expected).table("items").column("label").pg_type == "text"


def test_plan_refuses_to_overwrite_without_force(src: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mapping.toml"
    out.write_text("# my careful edits\n", encoding="utf-8")
    res = run_cli(capsys, "plan", src, "-o", out)
    assert res.code == 2
    assert "Traceback" not in res.err
    assert res.error_lines and "--force" in res.error_lines[0]
    assert out.read_text(encoding="utf-8") == "# my careful edits\n"  # untouched
    assert run_cli(capsys, "plan", src, "-o", out, "--force").code == 0
    assert Mapping.load(out).tables[0].source == "items"


def test_plan_stdout(src: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "plan", src, "--stdout")
    assert res.code == 0, res.err
    assert Mapping.from_dict(tomllib.loads(res.out)).table("items").column("price").pg_type == \
        "double precision"


def test_plan_update_keeps_choices_and_lists_what_changed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = make_sqlite(tmp_path / "u.db",
                      "CREATE TABLE t(id INTEGER PRIMARY KEY, flag INTEGER, note TEXT);",
                      {"t": [(1, 0, "a"), (2, 1, "b")]})
    saved = tmp_path / "m.toml"
    assert run_cli(capsys, "plan", src, "-o", saved).code == 0
    m = Mapping.load(saved)
    m.table("t").target = "things"
    m.table("t").column("flag").on_error = "null"
    m.save(saved)
    sqlite_exec(src, "ALTER TABLE t ADD COLUMN extra REAL")
    res = run_cli(capsys, "plan", src, "--update", saved)
    assert res.code == 0, res.err
    assert "t.extra is new in the database" in res.err
    again = Mapping.load(saved)
    assert again.table("t").target == "things"
    assert again.table("t").column("flag").on_error == "null"
    assert [c.source for c in again.table("t").columns] == ["id", "flag", "note", "extra"]
