"""Progress events: the one channel long stages report through.

The CLI prints them; the wizard's worker posts them as Textual messages. Both only
consume these plain objects, never the engine's internals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PHASES = ("inspect", "schema", "data", "constraints", "indexes", "foreign keys", "sequences",
          "analyze", "verify")


@dataclass(frozen=True)
class PhaseStarted:
    phase: str


@dataclass(frozen=True)
class TableStarted:
    table: str
    total: int


@dataclass(frozen=True)
class RowsCopied:
    table: str
    done: int
    total: int


@dataclass(frozen=True)
class TableFinished:
    table: str
    copied: int
    rejected: int
    seconds: float
    error: str = ""  # set when the table was rolled back


@dataclass(frozen=True)
class Log:
    text: str
    level: str = "info"  # info | warning | error


Event = PhaseStarted | TableStarted | RowsCopied | TableFinished | Log
OnEvent = Callable[[Event], None]


def ignore(_event: Event) -> None:
    """The default listener."""
