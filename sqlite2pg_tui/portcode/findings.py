"""What the code-port assistant found: plain objects the CLI prints and the wizard can show."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

BACKUP_SUFFIX = ".orig"  # what write_results keeps the original of each file it rewrites as


@dataclass
class Finding:
    path: str
    line: int
    kind: str  # e.g. "placeholders", "upsert", "lastrowid", "dynamic-sql"
    original: str
    replacement: str  # "" when the thing is removed, or when nothing is proposed
    why: str
    needs_look: bool = False  # not rewritten (or not safely): a person should check it
    applied: bool = True  # the replacement is in ported_source
    ported_line: int = 0  # the same place in ported_source (``line`` is in the original)

    def __post_init__(self) -> None:
        if not self.ported_line:
            self.ported_line = self.line

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def location(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class FileResult:
    path: str
    original_source: str
    ported_source: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # set when the file could not be read or parsed
    encoding: str = "utf-8"  # what it was read with, and is written back with

    @property
    def changed(self) -> bool:
        return self.ported_source != self.original_source

    @property
    def needs_look(self) -> list[Finding]:
        return [f for f in self.findings if f.needs_look]

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "changed": self.changed, "error": self.error,
                "findings": [f.to_dict() for f in self.findings]}
