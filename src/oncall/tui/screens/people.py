"""The people screen (`P` from the queue): the roster, who is on call now and next, and the roles
each person holds on open incidents, so an IC picks an SME who is not already on three."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from oncall.domain.clock import humanize_age
from oncall.domain.roles import SHORT_NAMES
from oncall.tui.messages import DataChanged
from oncall.tui.widgets.footer import KeyFooter
from oncall.tui.widgets.status_line import StatusLine


class PeopleScreen(Screen[None]):
    DEFAULT_CSS = "#on-call { margin-bottom: 1; }"
    BINDINGS = [Binding("escape,backspace", "app.pop_screen", "Queue", id="people.back")]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="people-body"):
            yield Static(id="on-call", markup=False)
            yield Static(id="people-table")
        yield StatusLine(id="status-line")
        yield KeyFooter()

    def on_screen_resume(self) -> None:
        self._show()
        self.app.refresh_status_line(self)

    def on_data_changed(self, message: DataChanged) -> None:
        self._show()

    def _show(self) -> None:
        session = self.app.session
        config = session.config
        service = session.service
        self.query_one("#on-call", Static).update(on_call_text(session))
        load = service.role_store.open_load([p.id for p in config.people])
        on_call = session.on_call()
        table = Table(box=None, padding=(0, 2), expand=True, header_style="bold")
        table.add_column("Person", no_wrap=True)
        table.add_column("Can take", no_wrap=True)
        table.add_column("Open roles", ratio=1)
        for person in config.people:
            held = load.get(person.id, {})
            roles = ", ".join(f"{'/'.join(SHORT_NAMES[r] for r in rs)} INC-{i}" for i, rs in sorted(held.items()))
            name = Text(f"{person.name} ({person.id})")
            if person.id == on_call:
                name.append("  on call", "bold")
            table.add_row(name, ", ".join(r.value for r in person.roles) or "—",
                          Text(f"{len(held)}: {roles}") if held else Text("free", "dim"))
        if not config.people:
            table.add_row(Text("Nobody on the roster: add [[people]] to oncall.toml.", "dim"), "", "")
        self.query_one("#people-table", Static).update(table)


def on_call_text(session) -> str:
    """Who holds the pager now and who backs them up, who is next and when, in the team's zone."""
    config = session.config
    rotation = config.rotation
    if rotation is None:
        return "No on-call rotation: add [rotation] to oncall.toml."
    now = session.clock.now()
    who = rotation.who(now)

    def name(person_id: str | None) -> str:
        person = config.person(person_id)
        return f"{person.name} ({person_id})" if person else (person_id or "nobody")

    lines = [f"On call now: {name(who.primary)}" + (f"  ·  secondary: {name(who.secondary)}" if who.secondary else "")]
    if who.override is not None:
        lines.append(f"  covering for {name(who.scheduled)}" + (f": {who.override.reason}" if who.override.reason else ""))
    if who.shift_ends is not None:
        local = who.shift_ends.astimezone(rotation.zone)
        by = " (by override)" if who.next_override is not None else ""
        lines.append(f"Next: {name(who.next_person)}{by} from {local:%a %d %b %H:%M} {rotation.timezone} "
                     f"(in {humanize_age(who.shift_ends - now)})")
    return "\n".join(lines)
