"""Pictures of every wizard screen at 80×24 (and a few at 120×36), on fixed data.

Update after an intended change with `pytest tests/test_tui_snapshots.py --snapshot-update`,
having looked at the report of what changed.
"""

from __future__ import annotations

from typing import Any

import pytest
from tui_snapshot_app import STAGES, make_app

LARGE = ("review-dirty", "converter", "compare")


@pytest.mark.parametrize("stage", list(STAGES))
def test_screen_at_80x24(snap_compare: Any, stage: str) -> None:
    assert snap_compare(make_app(), run_before=STAGES[stage], terminal_size=(80, 24))


@pytest.mark.parametrize("stage", LARGE)
def test_screen_at_120x36(snap_compare: Any, stage: str) -> None:
    assert snap_compare(make_app(), run_before=STAGES[stage], terminal_size=(120, 36))
