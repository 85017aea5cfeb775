"""DataTable cells that show data as it is."""

from __future__ import annotations

from rich.text import Text


def plain(*cells: str | Text) -> list[Text]:
    """DataTable reads a str cell as markup, so a value like "[x]" would vanish or raise."""
    return [c if isinstance(c, Text) else Text(c) for c in cells]


def cut(s: str, n: int) -> str:
    """``s`` shortened to ``n`` characters, an ellipsis marking the cut."""
    return s if len(s) <= n else s[: n - 1] + "…"


def cut_line(s: str, n: int) -> str:
    """``s`` on one line (each run of whitespace one space), then cut to ``n`` characters."""
    return cut(" ".join(s.split()), n)
