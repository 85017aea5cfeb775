"""The production kit: what a PostgreSQL database needs after the migration (restricted app
role, credentials outside the code, pooling, backups, baseline migration).

The names below load kit.build on first use: every CLI command registers `kit`, and only
`kit` itself needs its modules (start-up time of `run` and the rest).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEFAULT_OUT_DIR = Path("sqlite2pg-kit")

_FROM_BUILD = {"KitError", "KitFile", "KitResult", "apply_kit", "build_kit", "check_overwrite",
               "conflicts", "write_kit"}


def __getattr__(name: str) -> Any:
    if name in _FROM_BUILD:
        from sqlite2pg_tui.kit import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DEFAULT_OUT_DIR", *sorted(_FROM_BUILD)]
