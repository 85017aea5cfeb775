"""What the rest of the program asks a converter instead of testing its name."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers import isolate_environment

from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.source.inspection import inspect
from sqlite2pg_tui.core.values import converters


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


def _planned(tmp_path: Path, declared: str, values: list[object]) -> tuple[str, str]:
    src = tmp_path / "p.db"
    conn = sqlite3.connect(src)
    conn.execute(f"CREATE TABLE t(id INTEGER PRIMARY KEY, c {declared})")
    conn.executemany("INSERT INTO t(c) VALUES (?)", [(v,) for v in values])
    conn.commit()
    conn.close()
    ins = inspect(str(src))
    cm = plan(ins.schema, ins.profiles).tables[0].column("c")
    return cm.pg_type, cm.converter


def test_a_declaration_most_values_do_not_fit_is_measured_by_the_converters_candidate(
        tmp_path: Path) -> None:
    # numeric's fit is measured by the profile's "real" candidate (its measured_by): words
    # in a DECIMAL(10,2) column make it text; numbers keep the declaration.
    assert _planned(tmp_path, "DECIMAL(10,2)", ["n/a"] * 30 + [1.5] * 3) == ("text", "text")
    (tmp_path / "p.db").unlink()
    assert _planned(tmp_path, "DECIMAL(10,2)", [1.5] * 30 + ["n/a"]) == ("numeric(10,2)", "numeric")


def test_the_picker_order_and_the_type_a_choice_implies_come_from_the_converters() -> None:
    assert converters.converters_for("timestamp") == ["timestamp", "julian", "date_dmy", "date_mdy"]
    assert converters.converters_for("varchar(20)") == ["varchar", "text", "text_clean"]
    assert converters.converters_for("timestamp with time zone") == ["timestamptz", "epoch"]
    assert converters.target_type("varchar", {"length": 12}, "text") == "varchar(12)"
    assert converters.target_type("integer", {}, "integer") == "integer"
    assert converters.type_options("text", "character varying(5)") == {"length": 5}
    assert converters.type_options("numeric_loose", "decimal(8)") == {"precision": 8, "scale": 0}
