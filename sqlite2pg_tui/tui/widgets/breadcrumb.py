"""The one-line header: where you are among the wizard's stages (the app's list, read
through WizardApp.header_stages)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static


def breadcrumb_text(current: str, stages: Sequence[str], title: str = "sqlite2pg-tui") -> Text:
    text = Text(f" {title} ", style="bold")
    text.append("│ ", style="dim")
    for i, stage in enumerate(stages):
        if i:
            text.append(" › ", style="dim")
        if stage == current:
            # Brackets as well as colour, so the current stage reads on a monochrome terminal.
            text.append(f"[{stage}]", style="bold reverse")
        else:
            done = stages.index(current) > i if current in stages else False
            text.append(stage, style="" if done else "dim")
    return text


class Breadcrumb(Static):
    """Connect › Review › Converters › Run › Compare, the current stage marked."""

    DEFAULT_CSS = """
    Breadcrumb {
        height: 1;
        width: 100%;
        background: $panel;
    }
    """

    def __init__(self, current: str, stages: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(breadcrumb_text(current, stages), id=id)
        self.current = current
