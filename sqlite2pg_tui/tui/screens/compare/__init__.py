"""Stage 5, Compare: the screen (screen.py) and one widget per panel: the table list
(tables.py), sampled and rejected rows of the highlighted table (samples.py), what was not
migrated (other.py), the verification checks (checks.py) and a query run on both sides
(query.py)."""

from sqlite2pg_tui.tui.screens.compare.screen import CompareScreen

__all__ = ["CompareScreen"]
