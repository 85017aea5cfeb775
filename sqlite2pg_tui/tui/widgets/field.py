"""The wizard's text input: a compact Input whose cursor blink the app can switch off."""

from __future__ import annotations

from textual.widgets import Input


class Field(Input):
    """Input, compact by default; honours ``app.cursor_blink`` (off for stable screenshots)."""

    def __init__(self, value: str | None = None, *, compact: bool = True, **kwargs: object) -> None:
        super().__init__(value, compact=compact, **kwargs)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        self.cursor_blink = bool(getattr(self.app, "cursor_blink", True))
