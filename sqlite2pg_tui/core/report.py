"""The run/verify report: what was copied, rejected, changed and not migrated."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlite2pg_tui.core.errors import EXIT_DIFFERENCES, EXIT_OK


@dataclass
class Mismatch:
    """One sampled row whose values differ between the two sides."""

    locator: Any
    column: str
    sqlite: str
    postgres: str


@dataclass
class TableReport:
    source: str
    target: str
    source_rows: int = 0
    copied_rows: int = 0
    rejected_rows: int = 0
    target_rows: int | None = None
    count_match: bool = False
    sample_checked: int = 0
    sample_mismatches: int = 0
    rejected_by_column: dict[str, int] = field(default_factory=dict)
    rejected_reasons: dict[str, dict[str, int]] = field(default_factory=dict)
    nulled_by_column: dict[str, int] = field(default_factory=dict)
    altered_by_column: dict[str, int] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)
    refused_by_postgres: list[Any] = field(default_factory=list)  # locators of rows it refused
    fast_path: bool = False
    engine: str = ""  # columnar | per value
    read_once: bool = False  # copied from the profile's batches, SQLite not read again
    committed: bool = False  # the table's copy committed (it holds every row copied)
    seconds: float = 0.0
    error: str = ""
    checksum_match: bool | None = None  # full-table checksum (verify --full); None: not computed
    checksum_note: str = ""  # what the checksum left out, or why it could not run

    @property
    def ok(self) -> bool:
        return (not self.error and self.count_match and not self.sample_mismatches
                and not self.rejected_rows and self.checksum_match is not False)


# What each orphans policy (Mapping.orphans) did, as Orphans.action says it.
ORPHAN_ACTIONS = {
    "not_valid": "constraint added NOT VALID: rows kept, new rows checked",
    "skip": "constraint not added; rows kept",
    "null": "foreign key set to NULL in those rows; constraint added",
    "reject": "rows removed to the reject file; constraint added",
}


@dataclass
class Orphans:
    table: str
    column: str
    references: str
    rows: int
    action: str = ""  # what the orphan policy did
    examples: list[str] = field(default_factory=list)  # keys of a few orphan rows


@dataclass
class NotMigrated:
    kind: str
    name: str
    reason: str
    sql: str = ""


class Verdict(StrEnum):
    OK = "ok"
    REJECTS = "rejects"  # everything copied verified; some rows rejected, with reasons
    DIFFERENCES = "differences"
    CANCELLED = "cancelled"


@dataclass
class Report:
    source: str
    target: str
    schema: str = "public"
    tables: list[TableReport] = field(default_factory=list)
    orphans: list[Orphans] = field(default_factory=list)
    not_migrated: list[NotMigrated] = field(default_factory=list)
    renamed: list[dict[str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)  # {"table", "note"}: carried, but said
    rejects_dir: str | None = None
    phases_s: dict[str, float] = field(default_factory=dict)
    # Seconds each table-finishing step took in all (finisher.py), most of it beside the
    # copy; phases_s holds only what was left after the last COPY.
    finishing_s: dict[str, float] = field(default_factory=dict)
    cancelled: bool = False
    after_cancel: list[str] = field(default_factory=list)  # what PostgreSQL holds, what a rerun does
    # run --resume: per table, kept (copied in full by an earlier run) or copied again, and why
    resumed: list[dict[str, str]] = field(default_factory=list)  # {"table", "note"}
    checks: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "run"  # run | verify (a standalone verify: nothing was copied by it)

    @property
    def ok(self) -> bool:
        return (not self.cancelled and all(t.ok for t in self.tables)
                and all(c.get("ok", True) for c in self.checks))

    @property
    def rejected_rows(self) -> int:
        return sum(t.rejected_rows for t in self.tables)

    @property
    def differing_tables(self) -> list[str]:
        """Tables that failed, or whose counts, samples or digests disagree."""
        return [t.source for t in self.tables if t.error or not t.count_match
                or t.sample_mismatches or t.checksum_match is False]

    @property
    def failed_checks(self) -> int:
        return sum(1 for c in self.checks if not c.get("ok", True))

    def verdict(self) -> Verdict:
        """The one reading of a report both faces show: the CLI's last line and exit code,
        the wizard's Compare headline and exit code."""
        if self.cancelled:
            return Verdict.CANCELLED
        if self.ok:
            return Verdict.OK
        if not self.differing_tables and not self.failed_checks and self.rejected_rows:
            return Verdict.REJECTS  # every row copied was verified; the rest are in the reject files
        return Verdict.DIFFERENCES

    @property
    def exit_code(self) -> int:
        """0 when every row is accounted for and verified, 1 for rejects or differences. A
        cancel's code depends on who cancelled (a signal's, or the wizard's own 0)."""
        return EXIT_OK if self.verdict() is Verdict.OK else EXIT_DIFFERENCES

    def table(self, source: str) -> TableReport:
        for t in self.tables:
            if t.source == source:
                return t
        raise KeyError(source)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d = {"ok": self.ok, **d}
        for t, tr in zip(d["tables"], self.tables, strict=True):
            t["ok"] = tr.ok
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)

    def save(self, path: str | Path) -> Path:
        p = Path(path).expanduser()
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(self.to_json() + "\n", encoding="utf-8")
        return p
