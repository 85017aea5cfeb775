"""The locate command: where mappings, reports and rejects are kept."""

from __future__ import annotations

import argparse

from sqlite2pg_tui import locations
from sqlite2pg_tui.core.errors import EXIT_OK


def cmd_locate(_args: argparse.Namespace) -> int:
    print(f"config:   {locations.config_dir()}")
    print(f"mappings: {locations.mappings_dir()}")
    print(f"data:     {locations.data_dir()}")
    print(f"demo:     {locations.demo_dir()}")
    return EXIT_OK
