"""Where sqlite2pg-tui keeps things: one module, so `locate` and both faces agree."""

from __future__ import annotations

import re
from pathlib import Path

import platformdirs

APP = "sqlite2pg-tui"


def config_dir() -> Path:
    return platformdirs.user_config_path(APP)


def mappings_dir() -> Path:
    return config_dir() / "mappings"


def data_dir() -> Path:
    return platformdirs.user_data_path(APP)


def default_mapping_path(source: str | Path) -> Path:
    """A mapping's default home: named after the SQLite file it was planned from."""
    stem = re.sub(r"[^\w.-]+", "_", Path(source).stem) or "mapping"
    return mappings_dir() / f"{stem}.toml"


def default_rejects_dir(source: str | Path) -> Path:
    stem = re.sub(r"[^\w.-]+", "_", Path(source).stem) or "db"
    return data_dir() / "rejects" / stem


def demo_dir() -> Path:
    return data_dir() / "demo"
