"""Regenerate screenshots/*.svg: every wizard screen at 80×24 (and a few at 120×36).

Deterministic: the demo database with a canned PostgreSQL side (tests/tui_snapshot_app.py),
so a change in a picture is a change in the UI. Run:  python scripts/screenshots.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from tui_snapshot_app import STAGES, make_app  # noqa: E402

OUT = ROOT / "screenshots"
LARGE = ("review-dirty", "converter", "compare")  # also shown at 120×36


async def shoot(stage: str, size: tuple[int, int], path: Path) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await STAGES[stage](pilot)
        await pilot.pause()
        path.write_text(app.export_screenshot(title=f"sqlite2pg-tui: {stage}"), encoding="utf-8")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.svg"):
        old.unlink()
    for i, stage in enumerate(STAGES, 1):
        await shoot(stage, (80, 24), OUT / f"{i:02d}-{stage}.svg")
        if stage in LARGE:
            await shoot(stage, (120, 36), OUT / f"{i:02d}-{stage}-120x36.svg")
    for p in sorted(OUT.glob("*.svg")):
        print(p.relative_to(ROOT))


if __name__ == "__main__":
    asyncio.run(main())
