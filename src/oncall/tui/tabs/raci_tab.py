"""The RACI tab: the chart for this incident, six activities by four roles, with names.

R does the work, A owns the outcome, C is asked, I is told (and the sync tells them). The cells
that are the console user's own (`ONCALL_USER`) Responsible or Accountable are marked, so
whoever is looking sees at once what is theirs.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from oncall.domain.raci import Involvement, RaciChart, rows
from oncall.domain.roles import ROLE_ORDER, SHORT_NAMES, RoleHolders
from oncall.tui.tabs.base import IncidentTab
from oncall.workspace.config import Config

COLUMN = 14  # a role's column: "SME Lukas, Tom" and no more
LEGEND = "R does the work · A owns the outcome · C is consulted · I is told (the sync mentions them)"


class RaciTab(IncidentTab, VerticalScroll):
    TAB_KEY = "4"
    TAB_NAME = "RACI"
    BINDINGS: list = []

    def __init__(self) -> None:
        super().__init__(id="raci")
        self._key: object = None

    def compose(self) -> ComposeResult:
        yield Static(id="raci-chart")
        yield Static(LEGEND, id="raci-legend", markup=False)
        yield Static(id="raci-yours", markup=False)

    def show_chart(self, chart: RaciChart, holders: RoleHolders, config: Config, user: str) -> None:
        key = (chart, holders, user)
        if key == self._key:
            return
        self._key = key
        # Laid out by hand, a cell a fixed width: every row lines up whatever the names.
        width = max(len(activity.title) for activity, _ in rows(chart)) + 2
        chart_text = Text(no_wrap=True, overflow="ellipsis")
        chart_text.append("Activity".ljust(width), "bold")
        for role in ROLE_ORDER:
            names = ", ".join(_first_name(p, config) for p in holders.of(role)) or "nobody"
            chart_text.append(_cell(f"{SHORT_NAMES[role]} {names}"), "bold")
        mine_roles = holders.roles_of(user)
        for activity, cells in rows(chart):
            chart_text.append("\n" + activity.title.ljust(width))
            for role in ROLE_ORDER:
                involvement = cells[role]
                yours = role in mine_roles and involvement in (Involvement.R, Involvement.A)
                cell = _cell(f"[{involvement.value}]" if yours else involvement.value)
                chart_text.append(cell, "bold reverse" if yours else "")
        table = chart_text
        self.query_one("#raci-chart", Static).update(table)
        yours = chart.for_person(holders.as_dict(), user)
        responsible = [a.title for a, marks in yours.items() if Involvement.R in marks]
        accountable = [a.title for a, marks in yours.items() if Involvement.A in marks]
        if not mine_roles:
            text = f"You ({user}) hold no role on this incident."
        else:
            parts = []
            if responsible:
                parts.append("Responsible for " + ", ".join(responsible))
            if accountable:
                parts.append("Accountable for " + ", ".join(accountable))
            text = f"You ({user}): " + ("; ".join(parts) if parts else "consulted or informed only") + "."
        self.query_one("#raci-yours", Static).update(text)


def _cell(text: str) -> str:
    """`text` centred in a column, cut with an ellipsis when longer."""
    text = text if len(text) <= COLUMN - 1 else text[: COLUMN - 2] + "…"
    return text.center(COLUMN)


def _first_name(person_id: str, config: Config) -> str:
    person = config.person(person_id)
    return person.name.split()[0] if person else person_id
