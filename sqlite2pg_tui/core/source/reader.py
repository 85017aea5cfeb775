"""Open a SQLite file read-only and read its schema. Nothing here writes to the file."""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlite2pg_tui.core.errors import Cancelled, SourceError
from sqlite2pg_tui.core.source import ddl_parse
from sqlite2pg_tui.core.source.schema import (
    Column,
    ForeignKey,
    Index,
    Skipped,
    SourceSchema,
    Table,
    Trigger,
    View,
)

_SQLITE_MAGIC = b"SQLite format 3\x00"
# Shadow-table suffixes of the virtual-table modules people use; PRAGMA table_list
# knows them on 3.37+, this list is for older libraries.
_SHADOW_SUFFIXES = (
    "_content", "_segments", "_segdir", "_docsize", "_stat", "_data", "_idx", "_config",
    "_node", "_rowid", "_parent",
)


def qi(name: str) -> str:
    """Quote an identifier for SQLite (double quotes, inner quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def _decode_lossless(raw: bytes) -> str:
    # Invalid UTF-8 must reach the converters intact so they can count, replace or
    # reject it; surrogateescape keeps every byte recoverable.
    return raw.decode("utf-8", "surrogateescape")


def _readonly_uri(p: Path, head: bytes) -> str:
    uri = f"file:{quote(str(p.resolve()))}?mode=ro"
    # A read-only connection to a WAL-mode file (header byte 18 = 2) creates -wal and -shm
    # and, unable to checkpoint, leaves them behind. With neither present, nothing lives
    # outside the main file and no one has it open: read it as immutable, touching nothing.
    if len(head) == 20 and head[18] == 2 and not any(
            Path(f"{p}{suffix}").exists() for suffix in ("-wal", "-shm")):
        uri += "&immutable=1"
    return uri


def readonly_uri(path: str | os.PathLike[str]) -> str:
    """The URI open_readonly opens, for another SQLite client (the columnar reader)."""
    p = Path(path)
    with p.open("rb") as fh:
        return _readonly_uri(p, fh.read(20))


def open_readonly(path: str | os.PathLike[str], *, lossless_text: bool = False) -> sqlite3.Connection:
    """Open the database read-only; raise SourceError with one plain sentence on failure."""
    p = Path(path)
    if not p.exists():
        raise SourceError(f"SQLite file not found: {p}")
    if not p.is_file():
        raise SourceError(f"not a file: {p}")
    try:
        with p.open("rb") as fh:
            head = fh.read(20)
    except OSError as e:
        raise SourceError(f"cannot read {p}: {e.strerror}") from e
    if not head:
        raise SourceError(f"the file is empty (0 bytes), not a SQLite database yet: {p}")
    if head[:16] != _SQLITE_MAGIC:
        raise SourceError(f"not a SQLite database: {p}")
    uri = _readonly_uri(p, head)
    try:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as e:
        raise SourceError(f"cannot open {p}: {e}") from e
    if lossless_text:
        conn.text_factory = _decode_lossless
    return conn


def _is_shadow(name: str, virtual_names: set[str]) -> bool:
    return any(name.startswith(v + "_") and name[len(v):] in _SHADOW_SUFFIXES for v in virtual_names)


def read_schema(conn: sqlite3.Connection, path: str = "", *, count_rows: bool = True) -> SourceSchema:
    try:
        return _read_schema(conn, path, count_rows)
    except sqlite3.DatabaseError as e:
        raise SourceError(f"cannot read the schema of {path or 'the database'}: {e}") from e


def _read_schema(conn: sqlite3.Connection, path: str, count_rows: bool) -> SourceSchema:
    master = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid"
    ).fetchall()
    kinds: dict[str, str] = {}
    try:
        for row in conn.execute("PRAGMA main.table_list"):
            kinds[row[1]] = row[2]
    except sqlite3.DatabaseError:
        pass
    virtual = {name for typ, name, _, sql in master
               if typ == "table" and sql and sql.lstrip().upper().startswith("CREATE VIRTUAL")}
    sequences: dict[str, int] = {}
    if any(name == "sqlite_sequence" for _, name, _, _ in master):
        sequences = {n: s for n, s in conn.execute("SELECT name, seq FROM sqlite_sequence")}

    schema = SourceSchema(path=path, tables=[], sqlite_version=sqlite3.sqlite_version)
    if path:
        schema.size_bytes = os.path.getsize(path)
    for typ, name, tbl_name, sql in master:
        if typ == "table":
            if name.startswith("sqlite_"):
                schema.skipped.append(Skipped("internal", name, "SQLite's own bookkeeping, not data"))
            elif name in virtual:
                module = re.search(r"USING\s+(\w+)", sql or "", re.I)
                schema.skipped.append(Skipped(
                    "virtual table", name,
                    f"{module.group(1) if module else 'virtual'} table: rebuild it in PostgreSQL "
                    "(e.g. full-text search with tsvector + GIN)"))
            elif kinds.get(name) == "shadow" or _is_shadow(name, virtual):
                schema.skipped.append(Skipped("shadow table", name, "storage of a virtual table"))
            else:
                schema.tables.append(_read_table(conn, name, sql or "", sequences, count_rows))
        elif typ == "view":
            schema.views.append(View(name, sql or ""))
        elif typ == "trigger":
            schema.triggers.append(Trigger(name, tbl_name, sql or ""))
    return schema


def _read_table(conn: sqlite3.Connection, name: str, sql: str, sequences: dict[str, int],
                count_rows: bool) -> Table:
    parsed = ddl_parse.parse_create_table(sql)
    columns = []
    for _cid, cname, ctype, notnull, dflt, pk, hidden in conn.execute(f"PRAGMA table_xinfo({qi(name)})"):
        if hidden == 1:  # hidden columns of virtual tables
            continue
        info = parsed.columns.get(cname.lower())
        columns.append(Column(
            name=cname, declared_type=ctype or "", notnull=bool(notnull), default=dflt, pk=pk,
            hidden=hidden, collation=info.collation if info else None,
            generated_expr=info.generated if info else None,
        ))
    without_rowid = bool(re.search(r"\)\s*WITHOUT\s+ROWID\s*;?\s*$", sql, re.I))
    table = Table(name=name, columns=columns, sql=sql, without_rowid=without_rowid,
                  autoincrement=bool(re.search(r"\bAUTOINCREMENT\b", sql, re.I)),
                  checks=parsed.checks, check_names=parsed.check_names,
                  pk_name=parsed.pk_name, unreadable=parsed.unreadable,
                  conflict_clauses=parsed.conflict_clauses)
    pk_cols = [c for c in columns if c.pk]
    if (not without_rowid and len(pk_cols) == 1 and pk_cols[0].declared_type.upper() == "INTEGER"
            and not parsed.pk_desc):
        table.rowid_alias = pk_cols[0].name
    table.sequence = sequences.get(name)
    table.indexes = _read_indexes(conn, name)
    table.foreign_keys = _read_foreign_keys(conn, name, parsed.deferrable_refs)
    _attach_names(table, parsed)
    if count_rows:
        table.row_count = conn.execute(f"SELECT count(*) FROM {qi(name)}").fetchone()[0]
    return table


def _attach_names(table: Table, parsed: ddl_parse.ParsedTable) -> None:
    """Give the UNIQUE and FOREIGN KEY constraints their names from the CREATE TABLE text."""
    uniques = list(parsed.unique_names)
    for idx in table.indexes:
        if idx.origin != "u":
            continue
        cols = [(c or "").lower() for c in idx.columns]
        match = next((u for u in uniques if u[1] == cols), None)
        if match:
            idx.constraint_name = match[0]
            uniques.remove(match)
    fks = list(parsed.fk_names)
    for fk in table.foreign_keys:
        cols = [c.lower() for c in fk.columns]
        match = next((f for f in fks if f[1] == cols), None)
        if match:
            fk.name = match[0]
            fks.remove(match)


def _read_indexes(conn: sqlite3.Connection, table: str) -> list[Index]:
    sqls = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name=?",
                             (table,)).fetchall())
    out = []
    for _seq, iname, unique, origin, partial in conn.execute(f"PRAGMA index_list({qi(table)})"):
        cols: list[str | None] = []
        desc: list[bool] = []
        colls: list[str | None] = []
        for _seqno, cid, cname, d, coll, key in conn.execute(f"PRAGMA index_xinfo({qi(iname)})"):
            if not key:
                continue
            cols.append(cname if cid >= 0 else None)
            desc.append(bool(d))
            colls.append(coll.upper() if coll and coll.upper() != "BINARY" else None)
        out.append(Index(name=iname, table=table, unique=bool(unique), columns=cols, descending=desc,
                         collations=colls, origin=origin, partial=bool(partial), sql=sqls.get(iname)))
    return out


def _read_foreign_keys(conn: sqlite3.Connection, table: str, deferrable: set[str]) -> list[ForeignKey]:
    fks: dict[int, ForeignKey] = {}
    for fid, _seq, ref, frm, to, on_update, on_delete, _match in conn.execute(
            f"PRAGMA foreign_key_list({qi(table)})"):
        fk = fks.setdefault(fid, ForeignKey(id=fid, table=table, columns=[], ref_table=ref,
                                            ref_columns=[], on_update=on_update, on_delete=on_delete))
        fk.columns.append(frm)
        if to is not None:
            fk.ref_columns.append(to)
    for fk in fks.values():
        if not fk.ref_columns:  # "REFERENCES parent" means the parent's primary key
            try:
                pk = [r[1] for r in sorted(
                    (r for r in conn.execute(f"PRAGMA table_info({qi(fk.ref_table)})") if r[5]),
                    key=lambda r: r[5])]
            except sqlite3.DatabaseError:
                pk = []
            fk.ref_columns = pk
        fk.deferrable = fk.ref_table.lower() in deferrable
    return [fks[k] for k in sorted(fks)]


def row_locator_sql(table: Table) -> str:
    """SQL for what identifies a row to a person: rowid, or the key of a WITHOUT ROWID table."""
    if not table.without_rowid:
        return "rowid"
    pk = table.primary_key
    if len(pk) == 1:
        return qi(pk[0])
    return " || ',' || ".join(f"quote({qi(c)})" for c in pk)


def sql_list(values: set[Any]) -> str:
    """SQLite literals for ``… IN (…)`` over row locators: integers bare, others quoted."""
    out = []
    for v in sorted(values, key=str):
        if isinstance(v, int) and not isinstance(v, bool):
            out.append(str(v))
        else:
            out.append("'" + str(v).replace("'", "''") + "'")
    return ", ".join(out) or "NULL"


def iter_rows(conn: sqlite3.Connection, table: Table, columns: list[str], *,
              batch: int = 5000, where: str = "") -> Iterator[list[tuple]]:
    """Yield batches of (locator, *values) in storage order."""
    cols = ", ".join(qi(c) for c in columns)
    sep = ", " if cols else ""
    cur = conn.execute(f"SELECT {row_locator_sql(table)}{sep}{cols} FROM {qi(table.name)} {where}")
    while True:
        rows = cur.fetchmany(batch)
        if not rows:
            return
        yield rows


@contextmanager
def reading(conn: sqlite3.Connection, table: str, cancel: threading.Event | None,
            what: str = "profiling") -> Iterator[None]:
    """A long read of one table: a cancel interrupts SQLite mid-statement (one aggregate can
    take a second or more) and ends as Cancelled; SQLite's errors become one SourceError."""
    stopped = threading.Event()
    if cancel is not None:
        def check() -> int:
            if cancel.is_set():
                stopped.set()
                return 1
            return 0

        conn.set_progress_handler(check, 200_000)
    try:
        yield
    except sqlite3.OperationalError as e:
        if stopped.is_set():
            raise Cancelled(f"{what} of {table} cancelled") from None
        raise SourceError(f"cannot read table {table}: {e}") from e
    except sqlite3.DatabaseError as e:
        raise SourceError(f"cannot read table {table}: {e}") from e
    finally:
        conn.set_progress_handler(None, 0)
