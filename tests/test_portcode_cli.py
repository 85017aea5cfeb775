"""`sqlite2pg-tui port-code`: the diff applies with patch, --write keeps backups, bad input exits 2."""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sqlite2pg_tui.portcode import scan_paths, unified_diff
from sqlite2pg_tui.portcode.command import register, run

SAMPLE_DIR = Path(__file__).parent / "sample_app"

NO_NEWLINE_AT_END = 'import sqlite3\n\ndef f(conn):\n    return conn.execute("SELECT ?", (1,)).fetchall()'
CRLF = 'import sqlite3\r\n\r\ndef g(cur):\r\n    cur.execute("SELECT IFNULL(a, 0) FROM t WHERE b = ?", (1,))\r\n'


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sqlite2pg-tui")
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["port-code", *argv])


def port_code(argv: list[str]) -> int:
    args = parse(argv)
    assert args.func is run
    return run(args)


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample application plus two awkward files, with the cwd above it."""
    root = tmp_path / "work"
    shutil.copytree(SAMPLE_DIR, root / "app", ignore=shutil.ignore_patterns("__pycache__", "*.orig"))
    (root / "app" / "tail.py").write_text(NO_NEWLINE_AT_END)
    (root / "app" / "windows.py").write_bytes(CRLF.encode())
    monkeypatch.chdir(root)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_report_only_changes_nothing(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(app)
    assert port_code(["app"]) == 0
    out = capsys.readouterr().out
    assert "app/repo.py:" in out and "[lastrowid]" in out and "NEEDS A LOOK" in out
    assert "nothing was written" in out
    assert snapshot(app) == before


def test_diff_applies_with_patch_p1(app: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    if shutil.which("patch") is None:
        pytest.skip("the patch program is not installed")
    before = snapshot(app)
    assert port_code(["app", "--diff"]) == 0
    captured = capsys.readouterr()
    diff = captured.out
    assert diff.startswith("--- a/app/") and "+++ b/app/" in diff
    assert "patch -p1" in captured.err  # the report goes to stderr, the patch alone to stdout
    assert snapshot(app) == before  # --diff alone writes nothing

    expected = {r.path: r.ported_source for r in scan_paths(["app"])}
    patch_file = tmp_path / "port.diff"
    patch_file.write_text(diff)
    done = subprocess.run(["patch", "-p1", "--batch", "-i", str(patch_file)], cwd=app,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    for path, ported in expected.items():
        got = Path(path).read_bytes().decode()
        assert got == ported, path
    windows = Path("app/windows.py").read_bytes()
    assert b"COALESCE" in windows and b"\n" not in windows.replace(b"\r\n", b"")  # still CRLF
    assert not Path("app/tail.py").read_text().endswith("\n")


def test_write_keeps_originals_as_orig(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    originals = {p: p.read_bytes() for p in (app / "app").glob("*.py")}
    expected = {Path(r.path).resolve(): r.ported_source for r in scan_paths(["app"]) if r.changed}
    assert port_code(["app", "--write"]) == 0
    out = capsys.readouterr().out
    assert "originals kept as" in out
    for path, data in originals.items():
        backup = path.with_name(path.name + ".orig")
        if path.resolve() in expected:
            assert backup.read_bytes() == data
            assert path.read_bytes().decode() == expected[path.resolve()]
        else:
            assert not backup.exists() and path.read_bytes() == data
    # A second run finds nothing left to change and never overwrites a backup.
    assert port_code(["app", "--write"]) == 0
    assert "0 with changes" in capsys.readouterr().out
    for path, data in originals.items():
        backup = path.with_name(path.name + ".orig")
        if backup.exists():
            assert backup.read_bytes() == data


def test_json_output(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert port_code(["app/repo.py", "--json", "--diff"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["files"] == 1 and doc["summary"]["changed"] == 1
    f = doc["files"][0]
    assert f["path"] == "app/repo.py" and f["changed"]
    assert {"path", "line", "kind", "original", "replacement", "why", "needs_look"} <= set(f["findings"][0])
    assert doc["diff"].startswith("--- a/app/repo.py")


def test_schema_and_mapping_options(app: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT);")
    conn.close()
    assert port_code(["app/repo.py", "--diff"]) == 0
    assert "ON CONFLICT (key)" not in capsys.readouterr().out
    assert port_code(["app/repo.py", "--diff", "--schema-from", str(db)]) == 0
    assert "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["nowhere/app.py"], "no such file or directory: nowhere/app.py"),
    (["app", "--mapping", "missing.toml"], "mapping file not found"),
    (["app", "--schema-from", "app/db.py"], "not a SQLite database"),
    (["app", "--schema-from", "missing.db"], "SQLite file not found"),
    (["empty"], "no Python or SQL files under empty"),
])
def test_bad_input_exits_2_with_one_line(app: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                                         message: str) -> None:
    (app / "empty").mkdir()
    assert port_code(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unparseable_files(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (app / "broken.py").write_text("def f(:\n    pass\n")
    assert port_code(["broken.py"]) == 2
    err = capsys.readouterr().err
    assert "broken.py:1: not valid Python" in err and "Traceback" not in err
    # Among other files: reported as a finding, the rest is still ported.
    shutil.copy(app / "broken.py", app / "app" / "broken.py")
    assert port_code(["app", "--json"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    broken = next(f for f in doc["files"] if f["path"].endswith("broken.py"))
    assert broken["error"] and broken["findings"][0]["kind"] == "unparseable"
    assert doc["summary"]["changed"] >= 3
    assert "warning" in captured.err


def test_the_installed_command(app: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "sqlite2pg_tui", "port-code", "app/db.py"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "app/db.py:" in done.stdout and "[connect]" in done.stdout
    done = subprocess.run([sys.executable, "-m", "sqlite2pg_tui", "port-code", "missing.py"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == "sqlite2pg-tui: error: no such file or directory: missing.py"


def test_diff_paths_are_relative_to_the_working_directory(app: Path) -> None:
    results = scan_paths([app / "app" / "repo.py"])
    diff = unified_diff(results)
    assert diff.startswith("--- a/app/repo.py\n+++ b/app/repo.py\n")
    assert unified_diff(results, root=app / "app").startswith("--- a/repo.py\n")


def test_the_api_does_not_pull_in_textual() -> None:
    done = subprocess.run([sys.executable, "-c",
                           "import sys, sqlite2pg_tui.portcode, sqlite2pg_tui.portcode.command\n"
                           "assert not any(m == 'textual' or m.startswith('textual.') for m in sys.modules)"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
