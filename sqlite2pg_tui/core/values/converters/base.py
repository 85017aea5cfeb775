"""What a converter is: a named, tested unit turning a SQLite value into a PostgreSQL one,
and everything the rest of the program needs to know about it (its capabilities).

A converter is built from options into a plain function ``value -> python value`` that
raises :class:`Reject` with a reason a person can read. Beside that per-value form it
carries, in one place: the PostgreSQL types it is offered for, the limits a column's type
imposes on it, a vectorized form over Arrow arrays (columnar copy), the batch shape its
canonical checksum text can be produced from, the aggregate kind the default checks use,
and how SQLite SQL expresses what it converts (check-query translation). Other modules ask
the converter; none tests its name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite2pg_tui.core.values.pgtype import PgType
    from sqlite2pg_tui.core.values.vectors import Form

Convert = Callable[[Any], Any]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Reject(Exception):  # noqa: N818 - it is an outcome, not a failure of the program
    """This value cannot become the target type; ``reason`` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StoredNumber:
    """A time SQLite keeps as a number; in SQL the number is
    ``EXTRACT(EPOCH FROM ts) * multiplier`` or ``EXTRACT(EPOCH FROM ts) / divisor + offset``."""

    modifier: str  # the date-function modifier SQLite reads the number with
    multiplier: Callable[[dict[str, Any]], int] = lambda _o: 1
    divisor: str = ""  # a SQL literal, e.g. '86400.0'
    offset: float = 0.0


@dataclass(frozen=True)
class SqlForm:
    """How SQLite SQL sees the values this converter reads (for translating checks)."""

    integer: bool = False  # SQLite holds integers (and divides them as integers)
    numeric_affinity: bool = False  # NUMERIC affinity: whole values stored as integers
    number: StoredNumber | None = None  # a time SQLite keeps as a number


Vectorize = Callable[[dict[str, Any], "PgType"], "Form | None"]


@dataclass(frozen=True)
class Converter:
    name: str
    label: str
    description: str
    target: str  # the PostgreSQL type it produces; "text" also covers varchar(n)
    make: Callable[[dict[str, Any]], Convert]
    alters: bool = False  # may change an accepted value (counted as "altered" in the report)
    options: dict[str, Any] = field(default_factory=dict)  # defaults
    # For converters whose output is another type: (input, output) -> was it changed?
    changed: Callable[[Any, Any], bool] | None = None
    # --- capabilities ---------------------------------------------------------------
    # The PostgreSQL base types it is offered for, with its rank among their converters.
    fits: dict[str, int] = field(default_factory=dict)
    limits: str | None = None  # the limit a column's type imposes: length | range | precision
    edits: tuple[str, ...] = ()  # options the wizard's picker lets people set
    pg_type: Callable[[dict[str, Any]], str] | None = None  # the column type its options imply
    # The default checks' aggregate over SQLite's values (verify/aggregates.py): integer (sum,
    # key range) | number (float sum) | boolean (trues) | instant (julianday range) |
    # stored_number (range of a time kept as a number) | text (lengths) | bytes (lengths).
    check: str | None = None
    rounds_only: bool = False  # alters only below what the checks see (sub-microseconds)
    # The profile candidate whose parse counts measure its fit, when not its own name
    # (source/profile.py CANDIDATES; the planner reads them).
    measured_by: str | None = None
    # How the profile of every row answers for its dirty values without a scan
    # (source/dirty.from_profile): parses (the profile's verdicts for this candidate are the
    # converter's own) | clean (refuses only NUL, invalid UTF-8 and blobs) | clean_text
    # (also refuses other storage classes; a length limit still applies).
    profile_dirt: str | None = None
    sql: SqlForm = SqlForm()
    vector: Vectorize | None = None  # the columnar form (vectors.py)
    # The shape of the raw batches whose canonical checksum texts come straight from the
    # values (canonical_batch.py): int | bool01 | float | int_numeric | text | iso_stamp |
    # iso_date | uuid | blob | json.
    canonical: str | None = None

    def altered(self, before: Any, after: Any) -> bool:
        if self.changed is not None:
            return self.changed(before, after)
        return self.alters and after != before

    def build(self, options: dict[str, Any] | None = None) -> Convert:
        return self.make({**self.options, **(options or {})})


REGISTRY: dict[str, Converter] = {}


def register(conv: Converter) -> Converter:
    REGISTRY[conv.name] = conv
    return conv


def get(name: str) -> Converter:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown converter {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


def build(name: str, options: dict[str, Any] | None = None) -> Convert:
    return get(name).build(options)


def preview(name: str, options: dict[str, Any] | None, values: list[Any]) -> list[tuple[Any, Any, str | None]]:
    """(before, after, reject reason) for each value: what the wizard shows in the picker."""
    fn = build(name, options)
    out = []
    for v in values:
        if v is None:
            out.append((v, None, None))
            continue
        try:
            out.append((v, fn(v), None))
        except Reject as r:
            out.append((v, None, r.reason))
    return out


def has_surrogates(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def text_of(v: Any) -> str:
    if isinstance(v, str):
        return v
    raise Reject("not a date/time text")
