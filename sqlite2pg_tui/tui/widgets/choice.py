"""A one-line choice among a few words, changed with arrows or space: fits 80×24 and tmux."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class Choice(Widget, can_focus=True):
    """Shows every option, the chosen one in brackets: ``[fail] replace append``."""

    DEFAULT_CSS = """
    Choice {
        height: 1;
        width: auto;
        padding: 0 1;
        background: $boost;
    }
    Choice:focus {
        background: $primary 30%;
        text-style: bold;
    }
    """

    BINDINGS = [
        Binding("right,space", "step(1)", "Next choice", show=False, id="choice-next"),
        Binding("left", "step(-1)", "Previous choice", show=False, id="choice-previous"),
    ]

    value: reactive[str] = reactive("", init=False)

    class Changed(Message):
        def __init__(self, choice: Choice, value: str) -> None:
            super().__init__()
            self.choice = choice
            self.value = value

        @property
        def control(self) -> Choice:
            return self.choice

    def __init__(self, options: list[tuple[str, str]], value: str, *, show_all: bool = True,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.options = options  # (value, label)
        self.show_all = show_all  # False: only the chosen one, between arrows (narrow places)
        self.set_reactive(Choice.value, value if value in self.values else options[0][0])

    @property
    def values(self) -> list[str]:
        return [v for v, _ in self.options]

    def render(self) -> Text:
        if not self.show_all:
            label = dict(self.options)[self.value]
            return Text.assemble(("‹ ", "dim"), (label, "bold"), (" ›", "dim"))
        text = Text()
        for i, (v, label) in enumerate(self.options):
            if i:
                text.append(" ")
            if v == self.value:
                text.append(f"[{label}]", style="bold")
            else:
                text.append(f" {label} ", style="dim")
        return text

    def action_step(self, delta: int) -> None:
        values = self.values
        self.value = values[(values.index(self.value) + delta) % len(values)]

    def watch_value(self, value: str) -> None:
        self.post_message(self.Changed(self, value))
