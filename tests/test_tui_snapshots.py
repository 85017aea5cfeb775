"""Pictures of every wizard screen at 80×24 and at 120×40, on fixed data.

Update after an intended change with `pytest tests/test_tui_snapshots.py --snapshot-update`,
having looked at the report of what changed. (screenshots/ are made from the real demo
pipeline instead: scripts/screenshots.py.)
"""

from __future__ import annotations

from typing import Any

import pytest
from tui_snapshot_app import STAGES, make_app

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("stage", list(STAGES))
def test_screen(snap_compare: Any, stage: str, size: str) -> None:
    assert snap_compare(make_app(), run_before=STAGES[stage], terminal_size=SIZES[size])
