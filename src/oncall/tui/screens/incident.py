"""One incident: its summary and timeline, and the keys that move the response along."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from oncall.domain.incident import Incident
from oncall.domain.rules import RuleViolation
from oncall.domain.severity import Severity
from oncall.domain.status import NEEDS_REASON, Status, allowed_transitions
from oncall.tui.messages import DataChanged
from oncall.tui.screens.modals import ChoiceScreen, TextScreen
from oncall.tui.widgets.incident_summary import IncidentSummary
from oncall.tui.widgets.status_line import StatusLine
from oncall.tui.widgets.timeline import Timeline

STATUS_HINTS = {
    Status.INVESTIGATING: "investigating: we are looking for the cause",
    Status.IDENTIFIED: "identified: we know the cause, a fix is coming",
    Status.MONITORING: "monitoring: a fix is in, watching that it holds",
    Status.RESOLVED: "resolved: data is right again (post-mortem next)",
    Status.CLOSED: "closed: post-mortem done, nothing left to do",
    Status.DISMISSED: "dismissed: not an incident (needs a reason)",
    Status.TRIAGE: "triage: reopen for another look",
}


class IncidentScreen(Screen):
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", "Queue", id="incident.back"),
        Binding("s", "status", "Status", id="incident.status"),
        Binding("v", "severity", "Severity", id="incident.severity"),
        Binding("n", "note", "Note", id="incident.note"),
        Binding("i", "impact", "Impact", id="incident.impact"),
        Binding("e", "eta", "ETA", id="incident.eta"),
        Binding("a", "assign_ic", "Hand off IC", id="incident.ic"),
    ]

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.incident: Incident | None = None
        self._events_shown = -1

    @property
    def session(self):
        return self.app.session

    def compose(self) -> ComposeResult:
        yield Header()
        yield IncidentSummary(id="summary")
        yield Static("Timeline", classes="section-title")
        with VerticalScroll(id="timeline-scroll"):
            yield Timeline(id="timeline")
        yield StatusLine(id="status-line")
        yield Footer()

    def _load(self) -> None:
        """Read the incident again (first shown on resume, which follows mount)."""
        try:
            incident, events = self.session.incident(self.incident_id)
        except LookupError:
            self.notify(f"INC-{self.incident_id} is no longer in this workspace", severity="error")
            self.app.pop_screen()
            return
        self.incident = incident
        self.query_one(IncidentSummary).show(incident, self.session.config, self.session.clock.now())
        if len(events) != self._events_shown:
            # New lines: follow them. Otherwise leave the reader where they are scrolled to.
            self._events_shown = len(events)
            self.query_one(Timeline).show(events)
            self.query_one("#timeline-scroll", VerticalScroll).scroll_end(animate=False, immediate=False)
        self.app.sub_title = f"{incident.ref} · {self.session.config.workspace.name}"
        self.app.refresh_status_line(self)

    def on_screen_resume(self) -> None:
        self._load()

    def on_screen_suspend(self) -> None:
        self.app.sub_title = self.session.config.workspace.name

    def on_data_changed(self, message: DataChanged) -> None:
        self._load()

    # -- actions ------------------------------------------------------------------------------

    def action_status(self) -> None:
        assert self.incident is not None
        incident = self.incident
        needs_reason = {s.value for s in NEEDS_REASON}
        if incident.severity in (Severity.SEV1, Severity.SEV2):
            needs_reason.add(Status.CLOSED.value)  # closing before the post-mortem is an override
        choices = [(s.value, STATUS_HINTS.get(s, s.value)) for s in allowed_transitions(incident.status)]
        self.app.push_screen(
            ChoiceScreen(f"Move {incident.ref} from {incident.status.value} to…", choices,
                         "Reason (needed to dismiss, or to close a SEV-1/2 before its post-mortem)",
                         frozenset(needs_reason)),
            lambda chosen: chosen and self._apply(
                lambda: self.session.service.change_status(self.incident_id, Status(chosen[0]), chosen[1]),
                f"now {chosen[0]}"),
        )

    def action_severity(self) -> None:
        assert self.incident is not None
        current = self.incident.severity
        choices = [(s.value, f"{s.value}  {s.summary}") for s in Severity if s is not current]
        self.app.push_screen(
            ChoiceScreen(f"Change severity from {current.value} to…", choices,
                         "Why? (needed: it goes on the timeline)", frozenset(s.value for s in Severity)),
            lambda chosen: chosen and self._apply(
                lambda: self.session.service.change_severity(self.incident_id, Severity(chosen[0]), chosen[1]),
                f"now {chosen[0]}"),
        )

    def action_note(self) -> None:
        self.app.push_screen(
            TextScreen("Add a note to the timeline", placeholder="What did you find or do?"),
            lambda text: text and self._apply(lambda: self.session.service.add_note(self.incident_id, text), "note added"),
        )

    def action_impact(self) -> None:
        assert self.incident is not None
        self.app.push_screen(
            TextScreen("Impact: who is affected and how", self.incident.impact, required=False),
            lambda text: text is not None and self._apply(
                lambda: self.session.service.set_impact(self.incident_id, text), "impact updated"),
        )

    def action_eta(self) -> None:
        assert self.incident is not None
        self.app.push_screen(
            TextScreen("ETA for a fix", self.incident.eta, placeholder="e.g. backfill done by 10:45", required=False),
            lambda text: text is not None and self._apply(
                lambda: self.session.service.set_eta(self.incident_id, text), "ETA updated"),
        )

    def action_assign_ic(self) -> None:
        assert self.incident is not None
        people = [(p.id, f"{p.name} ({p.id})") for p in self.session.config.people if p.id != self.incident.ic]
        self.app.push_screen(
            ChoiceScreen("Hand the Incident Commander role to…", people, "Note for the hand-off (optional)",
                         empty_text="Nobody else is on the roster: add [[people]] to oncall.toml."),
            lambda chosen: chosen and self._apply(
                lambda: self.session.service.assign_ic(self.incident_id, chosen[0], chosen[1]),
                f"IC is now {chosen[0]}"),
        )

    def _apply(self, action: Callable[[], object], done: str) -> None:
        try:
            action()
        except (RuleViolation, LookupError, sqlite3.OperationalError) as error:
            # A rule said no, the incident is gone, or the database stayed locked: say so, keep going.
            self.notify(str(error), title="Not changed", severity="error", markup=False)
            return
        assert self.incident is not None
        self.notify(f"{self.incident.ref} {done}", markup=False)
        self._load()
        self.app.read_sync_state()  # the change is waiting in the outbox
