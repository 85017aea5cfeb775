"""The pure API: scan files or directories, port them in memory, write them back on request.

Nothing here prints, and nothing touches a file unless :func:`write_results` is called.
"""

from __future__ import annotations

import io
import os
import shutil
import tokenize
from collections.abc import Iterable
from pathlib import Path

from sqlite2pg_tui.core.errors import MigrationError
from sqlite2pg_tui.core.plan.mapping import Mapping
from sqlite2pg_tui.core.source.schema import SourceSchema
from sqlite2pg_tui.portcode.context import DEFAULT_DSN_ENV, SqlContext
from sqlite2pg_tui.portcode.findings import BACKUP_SUFFIX, FileResult, Finding
from sqlite2pg_tui.portcode.python import port_source
from sqlite2pg_tui.portcode.sql.files import is_sql_file, port_sql_source
from sqlite2pg_tui.portcode.sql.schema import (
    MAX_SQL_BYTES,
    app_frameworks,
    schema_from_sql_files,
    with_schema,
)

# Directories that hold other people's code or generated files, never the application's.
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".venv", "venv", "env", ".env", ".tox",
                       ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "node_modules",
                       "site-packages", "build", "dist", ".eggs"})


class PortCodeError(MigrationError):
    """Bad input to the code-port assistant: a missing path, nothing to scan."""


def collect_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    out: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise PortCodeError(f"no such file or directory: {p}")
        if p.is_dir():
            found = []
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info"))
                found.extend(Path(root) / f for f in sorted(files)
                             if f.endswith(".py") or is_sql_file(f))
            if not found:
                raise PortCodeError(f"no Python or SQL files under {p}")
        else:
            found = [p]
        for f in found:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                out.append(f)
    if not out:
        raise PortCodeError("no files to scan")
    return out


def read_source(path: Path) -> tuple[str, str]:
    """(text, encoding) of a Python file, honouring its coding declaration (UTF-8 for SQL)."""
    raw = path.read_bytes()
    if is_sql_file(path.name):
        return raw.decode("utf-8"), "utf-8"
    encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    text = raw.decode(encoding)
    return text, encoding


def port_file(path: str | os.PathLike[str], ctx: SqlContext) -> FileResult:
    p = Path(path)
    shown = str(path)
    if is_sql_file(p.name) and p.is_file() and p.stat().st_size > MAX_SQL_BYTES:
        return FileResult(shown, "", "", [Finding(
            shown, 1, "sql-dump", "", "", f"larger than {MAX_SQL_BYTES // (1024 * 1024)} MB: a data "
            "dump rather than the application's schema or seed data; skipped (move data with "
            "`sqlite2pg-tui run`)", needs_look=True, applied=False)])
    try:
        text, encoding = read_source(p)
    except (OSError, UnicodeDecodeError, SyntaxError, LookupError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        return FileResult(shown, "", "", [Finding(shown, 1, "unreadable", "", "",
                                                  f"cannot read the file ({reason}); skipped",
                                                  needs_look=True, applied=False)],
                          error=f"{shown}: cannot read ({reason})")
    # Windows line ends are set aside while porting (ast and the edits see \n) and restored.
    crlf = "\r\n" in text
    work = text.replace("\r\n", "\n") if crlf else text
    result = port_sql_source(work, shown, ctx) if is_sql_file(p.name) else port_source(work, shown, ctx)
    result.original_source = text
    if result.ported_source == work:
        result.ported_source = text
    elif crlf:
        result.ported_source = result.ported_source.replace("\n", "\r\n")
    result.encoding = encoding
    return result


def scan_paths(paths: Iterable[str | os.PathLike[str]], mapping: Mapping | None = None,
               schema: SourceSchema | None = None, *, ctx: SqlContext | None = None,
               dsn_env: str = DEFAULT_DSN_ENV) -> list[FileResult]:
    """Port every Python file under ``paths`` in memory. Raises PortCodeError for bad paths.

    ``mapping`` tells which columns became boolean and how tables/columns were renamed;
    ``schema`` (the SQLite schema) gives unique keys for INSERT OR REPLACE and the key
    column for ``lastrowid``. ``ctx`` may be given instead of both. Without a schema, the
    CREATE TABLE statements of the .sql files among ``paths`` stand in for one.
    """
    ctx = ctx or SqlContext.build(mapping, schema, dsn_env)
    files = collect_files(paths)
    if not ctx.has_schema:
        from_files = schema_from_sql_files(files)
        if from_files is not None:
            ctx = with_schema(ctx, from_files)
    if not ctx.app_frameworks:
        ctx.app_frameworks = app_frameworks(files)
    return [port_file(f, ctx) for f in files]


def write_results(results: Iterable[FileResult], *, backup_suffix: str = BACKUP_SUFFIX) -> list[tuple[str, str]]:
    """Write the ported files, each after a backup copy. Returns (file, backup) pairs.

    An existing backup is never overwritten: it holds the older original. A file that
    changed on disk since it was scanned is left alone (PortCodeError).
    """
    written: list[tuple[str, str]] = []
    for r in results:
        if not r.changed or r.error:
            continue
        path = Path(r.path)
        current, _ = read_source(path)
        if current != r.original_source:
            raise PortCodeError(f"{path} changed since it was scanned; run port-code again")
        backup = path.with_name(path.name + backup_suffix)
        if not backup.exists():
            shutil.copy2(path, backup)
        tmp = path.with_name(path.name + ".port-tmp")
        tmp.write_bytes(r.ported_source.encode(r.encoding))
        shutil.copymode(path, tmp)
        tmp.replace(path)
        written.append((str(path), str(backup)))
    return written
