"""The Roles tab: who holds each of the four roles on this incident, and what else they carry.

One line a role: the Incident Commander (exactly one, handed off, never removed), the Subject
Matter Experts, the Eng/Team Lead and the TPM/PM/PO. Beside each person, the other open incidents
where they hold a role, so an IC can see who is already stretched before adding them.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from oncall.domain.people import Role
from oncall.domain.roles import ROLE_NAMES, ROLE_ORDER, RoleHolders
from oncall.tui.tabs.base import IncidentTab
from oncall.workspace.config import Config

# Load: person → {incident id: [roles]} over open incidents (`RoleRepository.open_load`).
Load = dict[str, dict[int, list[Role]]]


class RolesTab(IncidentTab, VerticalScroll):
    TAB_KEY = "3"
    TAB_NAME = "Roles"
    BINDINGS = [
        Binding("a", "screen.assign_role", "Assign", id="roles.assign",
                tooltip="Give someone a role, or hand the IC role off (key: a)"),
        Binding("x", "screen.remove_role", "Remove", id="roles.remove",
                tooltip="Take a role from someone (the IC is handed off instead) (key: x)"),
    ]

    def __init__(self) -> None:
        super().__init__(id="roles")
        self._key: object = None

    def compose(self) -> ComposeResult:
        yield Static(id="role-table")
        yield Static("a assign or hand off · x remove · the IC is always one person: hand it off, never remove it",
                     id="roles-hint", markup=False)

    def show_roles(self, incident_id: int, holders: RoleHolders, config: Config, load: Load) -> None:
        key = (holders, tuple(sorted((p, tuple(sorted(i))) for p, i in load.items())))
        if key == self._key:
            return
        self._key = key
        table = Table.grid(padding=(0, 2), expand=True)
        table.add_column(style="dim", no_wrap=True)
        table.add_column(ratio=1)
        for role in ROLE_ORDER:
            people = holders.of(role)
            if not people:
                table.add_row(ROLE_NAMES[role], Text("— nobody (a)" if role is not Role.IC else "— nobody", "dim"))
                continue
            cell = Text()
            for index, person_id in enumerate(people):
                if index:
                    cell.append("\n")
                person = config.person(person_id)
                name = f"{person.name} ({person_id})" if person else person_id
                elsewhere = sorted(i for i in load.get(person_id, {}) if i != incident_id)
                if elsewhere:
                    shown = ", ".join(f"INC-{i}" for i in elsewhere[:3]) + (" …" if len(elsewhere) > 3 else "")
                    cell.append(f"{name} · ")
                    cell.append(f"also on {len(elsewhere)} open: {shown}", "dim")
                else:
                    cell.append(name)
            table.add_row(ROLE_NAMES[role], cell)
        self.query_one("#role-table", Static).update(table)
