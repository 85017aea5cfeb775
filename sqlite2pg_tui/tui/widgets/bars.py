"""Small pictures made of text: stacked bars (storage classes, copied vs rejected rows), a
rows/s sparkline."""

from __future__ import annotations

from rich.text import Text

# One colour per storage class, NULL last; the help text names them.
CLASS_STYLES = (("integer", "blue"), ("real", "cyan"), ("text", "green"), ("blob", "magenta"),
                ("NULL", "bright_black"))
_SPARKS = "▁▂▃▄▅▆▇█"


def storage_bar(storage: dict[str, int], nulls: int, width: int = 4) -> Text:
    """``width`` cells split by how many values each storage class holds (NULLs too)."""
    return stacked_bar([(storage.get(k, 0) if k != "NULL" else nulls, style)
                        for k, style in CLASS_STYLES], width)


def stacked_bar(parts: list[tuple[int, str]], width: int = 4) -> Text:
    """``width`` cells split between ``(count, style)`` parts in proportion.

    Every part present gets at least one cell, so a few stray values (a column's odd class,
    a table's few rejected rows) still show as a second colour."""
    present = [(n, style) for n, style in parts if n > 0]
    text = Text()
    if not present:
        return text.append(" " * width)
    total = sum(n for n, _ in present)
    cells = [max(1, round(n * width / total)) for n, _ in present]
    while sum(cells) > width:  # the minimum of 1 may overfill: take from the largest
        cells[cells.index(max(cells))] -= 1
    cells[cells.index(max(cells))] += width - sum(cells)
    for (_, style), k in zip(present, cells, strict=True):
        text.append("█" * k, style=style)
    return text


def sparkline(values: list[float], width: int = 12) -> str:
    """The last ``width`` values as bars scaled to the highest of them."""
    shown = values[-width:]
    top = max(shown, default=0)
    if top <= 0:
        return _SPARKS[0] * len(shown)
    return "".join(_SPARKS[min(len(_SPARKS) - 1, int(v / top * (len(_SPARKS) - 1) + 0.5))]
                   for v in shown)
