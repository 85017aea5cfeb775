"""What every rule takes and gives, and the targets that tell the translators apart."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlite2pg_tui.core.values.pgtype import PgType

# sqlglot logs a warning for each statement it cannot fully parse; the translators report
# those themselves.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


class Untranslatable(ValueError):
    """This SQLite SQL has no PostgreSQL translation here (the message says why)."""


@dataclass(frozen=True)
class Target:
    """Who the translated SQL is for; each switch is a place where the translators must differ."""

    name: str
    # Date functions give SQLite's text ('YYYY-MM-DD HH:MM:SS') rather than PostgreSQL's typed
    # values: a check compares SQLite's answer; application code wants the datetime the
    # migrated timestamp columns now hold.
    text_results: bool
    # A near translation with a note (reviewed by a person) beats none: application code.
    approximate: bool
    # No clock: index keys (PostgreSQL refuses an expression that is not immutable, and an
    # index on 'now' would be wrong the next day).
    immutable: bool = False
    # LIKE gets ESCAPE '' even when its pattern has no backslash (a check query's pattern
    # may be written by hand later; it costs nothing there).
    always_escape: bool = False


CHECK_QUERY = Target("check query", text_results=True, approximate=False, always_escape=True)
CONSTRAINT = Target("CHECK constraint or generated column", text_results=True, approximate=False)
INDEX = Target("index", text_results=True, approximate=False, immutable=True)
VIEW = Target("view", text_results=True, approximate=False)
DEFAULT = Target("column default", text_results=False, approximate=False)
APP = Target("application code", text_results=False, approximate=True)


@dataclass
class Arg:
    """One argument of a SQLite function, as the translator knows it."""

    raw: str  # as written in the SQLite SQL
    text: str  # already in PostgreSQL (the rewrites inside it applied)
    literal: str | None = None  # the value, when the argument is a single string literal
    number: bool = False  # a single numeric literal
    pg_type: str = ""  # the PostgreSQL type, when it is a known column
    # SQLite held this timestamp as a number, read with this modifier ('unixepoch', 'julianday')
    stored: str | None = None
    distinct: bool = False  # starts with DISTINCT (aggregates); ``text`` is without it

    @property
    def pg_base(self) -> str:
        return PgType.of(self.pg_type).name if self.pg_type else ""

    @property
    def is_text(self) -> bool:
        return bool(self.pg_type) and PgType.of(self.pg_type).is_text


@dataclass
class Rewritten:
    text: str
    why: str = ""
    needs_look: bool = False
    # With text results: the same value typed (a timestamp, a date), for comparing with a
    # column the migration made a timestamp.
    typed: str | None = None
    notes: list[str] = field(default_factory=list)


# Application code with parameters must double every % it writes (psycopg2 reads them);
# the other translators pass text through.
Pct = Callable[[str], str]


def same(text: str) -> str:
    return text


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def cased(replacement: str, written: str) -> str:
    """``replacement`` in the letter case the author used for the name it replaces."""
    return replacement.lower() if written.islower() else replacement.upper()
