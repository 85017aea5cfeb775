"""The reject file: one JSON line per rejected value or row, one file per target table.

Written by the copy (values a converter or PostgreSQL refused) and after it (rows removed as
foreign-key orphans, with the whole row); read by verification, which leaves those rows out
on SQLite's side, and by the wizard. This module is the format's one home: the record type,
the writer, the reader.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite2pg_tui.core.values import converters

KEPT_IN_MEMORY = 10_000  # records kept when there is no directory (tests, the wizard's preview)


@dataclass
class RejectRecord:
    rowid: Any  # SQLite's locator (rowid or key); a list for a composite key
    column: str  # the column(s) whose value was refused; "" for the whole row
    value: Any  # as written: bytes as {"hex"}, undecodable text as {"bytes_hex"}
    reason: str
    row: dict[str, Any] | None = None  # the whole row, for rows removed after the copy

    def to_json(self) -> str:
        rec: dict[str, Any] = {"rowid": self.rowid, "column": self.column,
                               "value": jsonable(self.value), "reason": self.reason}
        if self.row is not None:
            rec["row"] = self.row
        return json.dumps(rec, ensure_ascii=False)


def safe_filename(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name) or "table"


def reject_file(directory: str | Path, table: str) -> Path:
    """Where the rejected values of a target table are written."""
    return Path(directory).expanduser() / f"{safe_filename(table)}.jsonl"


def jsonable(v: Any) -> Any:
    if isinstance(v, bytes):
        return {"hex": v.hex()}
    if isinstance(v, str) and converters.has_surrogates(v):
        return {"bytes_hex": v.encode("utf-8", "surrogateescape").hex()}
    return v


class RejectWriter:
    """Appends one line per rejected value; the file is created only when something is
    rejected. A file left by an earlier run is removed first, so what is there is this run's."""

    def __init__(self, directory: Path | None, table: str) -> None:
        self.path = reject_file(directory, table) if directory else None
        if self.path is not None:
            self.path.unlink(missing_ok=True)
        self._fh: Any = None
        self.records: list[RejectRecord] = []  # kept when there is no directory

    def write(self, rowid: Any, column: str, value: Any, reason: str) -> None:
        rec = RejectRecord(rowid, column, value, reason)
        if self.path is None:
            if len(self.records) < KEPT_IN_MEMORY:
                self.records.append(rec)
            return
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("w", encoding="utf-8")
        self._fh.write(rec.to_json() + "\n")

    def reset(self) -> None:
        self.records.clear()
        if self._fh is not None:
            self._fh.seek(0)
            self._fh.truncate()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def append(directory: Path | None, table: str, records: Iterable[RejectRecord]) -> None:
    """Rows rejected after the copy (orphans), added to the table's file."""
    if directory is None:
        return
    path = reject_file(directory, table)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        for rec in records:
            fh.write(rec.to_json() + "\n")


def read(directory: str | Path | None, table: str, limit: int | None = None) -> list[RejectRecord]:
    """The records of a table's reject file (none when there is no file); lines that are not
    records are skipped, so a damaged file costs only its damaged lines."""
    if not directory:
        return []
    out: list[RejectRecord] = []
    try:
        with reject_file(directory, table).open(encoding="utf-8") as fh:
            for line in fh:
                if limit is not None and len(out) >= limit:
                    break
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if isinstance(rec, dict) and "rowid" in rec:
                    out.append(RejectRecord(rec["rowid"], str(rec.get("column") or ""),
                                            rec.get("value"), str(rec.get("reason", "")),
                                            rec.get("row")))
    except OSError:
        return []
    return out
