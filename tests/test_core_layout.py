"""Layout and packaging: the module entry point works and the core never needs Textual.

Run in child interpreters so what is already imported in the test process cannot hide
an import of textual.
"""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import make_sqlite

import sqlite2pg_tui
import sqlite2pg_tui.core


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120,
                          check=False)


def test_module_entry_point_prints_version() -> None:
    proc = _python("-m", "sqlite2pg_tui", "--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"sqlite2pg-tui {sqlite2pg_tui.__version__}"


CORE_MODULES = sorted(
    m.name for m in pkgutil.walk_packages(sqlite2pg_tui.core.__path__, "sqlite2pg_tui.core."))


def test_core_module_list_is_not_empty() -> None:
    # Guards the parametrised test below against silently testing nothing.
    assert {"sqlite2pg_tui.core.pipeline", "sqlite2pg_tui.core.verify.samples"} <= set(CORE_MODULES)


@pytest.mark.parametrize("modules", [
    ["sqlite2pg_tui.core"],
    ["sqlite2pg_tui.core.pipeline", "sqlite2pg_tui.core.verify.samples"],
    CORE_MODULES,
    # The headless face too: `sqlite2pg-tui run` on a server must not need a terminal UI.
    ["sqlite2pg_tui.cli.main", "sqlite2pg_tui.cli.output", "sqlite2pg_tui.cli.migrate",
     "sqlite2pg_tui.cli.source", "sqlite2pg_tui.cli.wizard", "sqlite2pg_tui.cli.locate"],
], ids=["core", "migrate+verify", "every-core-module", "cli"])
def test_importing_core_does_not_import_textual(modules: list[str]) -> None:
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "print(sorted(k for k in sys.modules if k == 'textual' or k.startswith('textual.')))\n"
    )
    proc = _python("-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_building_the_cli_parser_does_not_import_textual() -> None:
    # `--help` builds every subcommand's parser; that path must stay Textual-free as well.
    code = (
        "import sys\n"
        "from sqlite2pg_tui.cli.main import build_parser\n"
        "build_parser().format_help()\n"
        "print('textual' in sys.modules)\n"
    )
    proc = _python("-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_layer_contracts_hold() -> None:
    """import-linter's contracts in pyproject.toml: the core imports no face and no Textual,
    the screens never reach into the engine. A broken one names the import chain."""
    root = Path(sqlite2pg_tui.__file__).resolve().parent.parent
    proc = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=root,
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


@pytest.mark.parametrize(("extra", "loads"), [
    ("", False),
    # sqlglot translates CHECKs, generated columns, expression indexes and views.
    ("CREATE VIEW big_ones AS SELECT * FROM t WHERE n > 1;", True),
])
def test_a_run_loads_sqlglot_only_for_what_needs_translating(
        tmp_path: Path, pg_dsn: str, extra: str, loads: bool) -> None:
    """sqlglot costs about 0.1 s of every start-up; a plain schema (keys, indexes, DEFAULTs,
    foreign keys) never needs it."""
    src = make_sqlite(tmp_path / "plain.db", """
        CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE TABLE t(id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id),
                       n INTEGER NOT NULL DEFAULT 1, at TEXT DEFAULT CURRENT_TIMESTAMP);
        CREATE INDEX t_n ON t(n);
        INSERT INTO p VALUES (1, 'a'); INSERT INTO t VALUES (1, 1, 2, '2024-01-02 03:04:05');
    """ + extra)
    code = (
        "import sys\n"
        "from sqlite2pg_tui.cli.main import main\n"
        f"code = main(['run', {str(src)!r}, '--pg', {pg_dsn!r}, '--quiet',"
        f" '--reject-dir', {str(tmp_path / 'rejects')!r}])\n"
        "print(code, 'sqlglot' in sys.modules)\n"
    )
    proc = _python("-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-2:] == ["0", str(loads)]
