"""Check results: the one shape every check reports in (a row of the report's ``checks``);
``show`` is how a compared value is shown there (values/display.py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from sqlite2pg_tui.core.values.display import as_json as show  # noqa: F401 - the report's form

REL_TOL = 1e-9  # REAL vs double precision, and SQLite's float sums vs exact numeric ones
TIME_TOL = timedelta(milliseconds=2)  # julianday() keeps milliseconds
MAX_ROWS = 100_000  # per side: a check is a question with a short answer
DIFFERENCES_KEPT = 20


# --- results ---------------------------------------------------------------------------

@dataclass
class CheckResult:
    name: str
    ok: bool
    sqlite_rows: int | None = None
    pg_rows: int | None = None
    first_difference: dict[str, Any] | None = None
    error: str = ""  # a side could not run it: which, and why
    note: str = ""  # e.g. an expected difference, and why it is expected
    kind: str = "user"  # user | query | default
    sqlite_sql: str = ""
    postgres_sql: str = ""
    # A default check's answer on each side, as compared (shown, like first_difference).
    values: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("error", "note", "sqlite_sql", "postgres_sql", "values"):
            if not d[k]:
                del d[k]
        return d


@dataclass
class QueryComparison:
    """One query run on both sides, for the wizard's Compare screen and ``--query``."""

    sqlite_sql: str
    postgres_sql: str = ""
    translated: bool = True  # False: the PostgreSQL text was written by hand
    ordered: bool = False
    sqlite_columns: list[str] = field(default_factory=list)
    postgres_columns: list[str] = field(default_factory=list)
    sqlite_rows: list[tuple[Any, ...]] = field(default_factory=list)
    postgres_rows: list[tuple[Any, ...]] = field(default_factory=list)
    sqlite_error: str = ""
    postgres_error: str = ""
    ok: bool = False
    first_difference: dict[str, Any] | None = None
    differences: list[dict[str, Any]] = field(default_factory=list)  # the first few, like first_difference
    note: str = ""
    # Per table the query reads: rows the copy rejected, hidden from SQLite's side so both
    # sides see the same rows. Said next to the result, since counts then differ from the file.
    left_out: dict[str, int] = field(default_factory=dict)

    def result(self, name: str, kind: str = "user") -> CheckResult:
        err = "; ".join(e for e in (f"SQLite: {self.sqlite_error}" if self.sqlite_error else "",
                                    f"PostgreSQL: {self.postgres_error}" if self.postgres_error else "")
                        if e)
        return CheckResult(name, self.ok, None if self.sqlite_error else len(self.sqlite_rows),
                           None if self.postgres_error else len(self.postgres_rows),
                           self.first_difference, err, self.note, kind, self.sqlite_sql,
                           self.postgres_sql)
