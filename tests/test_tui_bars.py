"""The small text pictures: storage-class bars in Review, the rows/s sparkline in Run."""

from __future__ import annotations

from sqlite2pg_tui.tui.widgets.bars import sparkline, storage_bar


def _runs(text: object) -> list[tuple[str, int]]:
    """(style, cells) per coloured run of a bar."""
    out: list[tuple[str, int]] = []
    for span in text.spans:  # type: ignore[attr-defined]
        out.append((str(span.style), span.end - span.start))
    return out


def test_a_mixed_column_shows_every_class_it_holds() -> None:
    bar = storage_bar({"text": 980, "integer": 20}, nulls=0, width=4)
    assert bar.plain == "████"
    assert _runs(bar) == [("blue", 1), ("green", 3)]  # 2% integers still get a cell


def test_nulls_are_a_class_of_their_own_and_widths_add_up() -> None:
    bar = storage_bar({"integer": 50, "real": 50}, nulls=100, width=8)
    assert _runs(bar) == [("blue", 2), ("cyan", 2), ("bright_black", 4)]
    assert len(storage_bar({"blob": 1}, 0, width=6).plain) == 6
    assert storage_bar({}, 0, width=3).plain == "   "


def test_sparkline_scales_to_its_highest_value() -> None:
    assert sparkline([0, 50, 100]) == "▁▅█"
    assert sparkline([0, 0]) == "▁▁"
    assert len(sparkline(list(range(30)), width=12)) == 12
