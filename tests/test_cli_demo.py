"""`sqlite2pg-tui demo` without a terminal: the whole job on an embedded PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli


def test_demo_headless_migrates_the_sample_and_exits_0(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    res = run_cli(capsys, "demo", "--headless", "--dir", tmp_path / "demo", "--report", report)
    assert res.code == 0, res.err
    data = json.loads(report.read_text())
    orders = next(t for t in data["tables"] if t["source"] == "orders")
    # The two planted dirty dates are rejected with reasons; everything else is verified.
    assert orders["rejected_rows"] == 2 and orders["count_match"]
    assert all(t["count_match"] and t["sample_mismatches"] == 0 for t in data["tables"])
    assert {o["table"] for o in data["orphans"]} == {"orders", "order items"}
    assert "DONE WITH REJECTS" in res.out
    assert (tmp_path / "demo" / "shop.db").exists()
