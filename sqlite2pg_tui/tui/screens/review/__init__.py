"""Stage 2, Review: the screen (screen.py) holds the keys and the selection; beside it the
table and column lists (lists.py), the lines about the highlighted column with the data's ◆
suggestion and a redundant unique index (detail.py), its dirty values (dirt.py), and the data
arriving in workers: each table's profile, whose proposals the columns take unless the user
chose already (fill.py), and the dirt scans (scans.py)."""

from sqlite2pg_tui.tui.screens.review.screen import ReviewScreen

__all__ = ["ReviewScreen"]
