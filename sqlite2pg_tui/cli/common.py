"""What every command shares: the one-line error, reading a mapping, the command type."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from sqlite2pg_tui.core.plan.mapping import Mapping

Command = Callable[[argparse.Namespace], int]


def err(msg: str) -> None:
    print(f"sqlite2pg-tui: error: {msg}", file=sys.stderr)


def load_mapping(path: str | None) -> Mapping | None:
    return Mapping.load(path) if path else None
