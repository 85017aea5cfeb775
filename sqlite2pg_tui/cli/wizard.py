"""The wizard command (and no command at all): start the Textual wizard, imported only
here and only then, so the headless commands never load Textual."""

from __future__ import annotations

import argparse

from sqlite2pg_tui.cli.common import err
from sqlite2pg_tui.core.errors import EXIT_CANNOT_RUN


def launch_wizard(source: str | None, dsn: str | None, mapping: str | None,
                   if_exists: str | None = None) -> int:
    try:
        from sqlite2pg_tui.tui.app import run_wizard
    except ImportError:
        err("the wizard is not available in this build; use the inspect/plan/run commands")
        return EXIT_CANNOT_RUN
    return run_wizard(source=source, dsn=dsn, mapping=mapping, if_exists=if_exists)


def cmd_wizard(args: argparse.Namespace) -> int:
    return launch_wizard(args.source, args.pg, args.mapping)
