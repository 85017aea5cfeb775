"""What every wizard stage shares: the breadcrumb, the footer, Escape, the shared state."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.binding import Binding, BindingType
from textual.screen import Screen

from sqlite2pg_tui.tui.backend import Backend
from sqlite2pg_tui.tui.messages import Advance, GoBack
from sqlite2pg_tui.tui.state import WizardState
from sqlite2pg_tui.tui.widgets.breadcrumb import Breadcrumb

if TYPE_CHECKING:
    from sqlite2pg_tui.tui.app import WizardApp


class WizardScreen(Screen[None]):
    STAGE: ClassVar[str] = ""
    HELP: ClassVar[str] = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="back"),
    ]

    @property
    def wizard(self) -> WizardApp:
        return cast("WizardApp", self.app)

    @property
    def state(self) -> WizardState:
        return self.wizard.state

    @property
    def backend(self) -> Backend:
        return self.wizard.backend

    def breadcrumb(self) -> Breadcrumb:
        return Breadcrumb(self.STAGE, self.wizard.header_stages(self.STAGE), id="breadcrumb")

    def advance(self) -> None:
        """This stage is done: the app knows which comes next."""
        self.post_message(Advance(self.STAGE))

    def action_back(self) -> None:
        self.post_message(GoBack())
