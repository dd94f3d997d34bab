"""One incident: a steady header, then tabs (Overview, Timeline, …) switched with number keys.

The screen owns the incident's data and its actions; each tab (`tui/tabs/`) shows part of it and
declares the keys that act on it. The newest timeline lines come with the first paint (one indexed
read); the older ones, which can be thousands, follow in pieces between which keys are answered.
A change (ours, or another process's) re-reads the incident's row and appends only the events
added since: nothing is laid out again, and only the lines on screen are painted.
"""

from __future__ import annotations

import asyncio

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from oncall.domain.incident import Incident
from oncall.domain.severity import Severity
from oncall.domain.status import NEEDS_REASON, Status, allowed_transitions
from oncall.domain.people import Role
from oncall.domain.roles import ROLE_NAMES, ROLE_ORDER, SINGLE, RoleHolders
from oncall.store.timeline import TimelineRow
from oncall.tui.messages import DataChanged
from oncall.tui.screens.modals import ChoiceScreen, TextScreen
from oncall.tui.screens.picker import PickScreen
from oncall.tui.screens.saving import attempt
from oncall.tui.tabs.base import IncidentTab
from oncall.tui.tabs.overview import OverviewTab
from oncall.tui.tabs.lineage_tab import LineageTab
from oncall.tui.tabs.postmortem_tab import PostmortemTab
from oncall.tui.screens.incident_intake import IntakeActions
from oncall.tui.screens.incident_postmortem import PostmortemActions
from oncall.tui.tabs.raci_tab import RaciTab
from oncall.tui.tabs.roles_tab import RolesTab
from oncall.tui.tabs.runbooks_tab import ATTACHED, SUGGESTED, RunbooksTab
from oncall.tui.tabs.timeline_tab import TimelineTab
from oncall.tui.thread_work import releasing
from oncall.tui.widgets.footer import KeyFooter
from oncall.tui.widgets.incident_header import IncidentHeader
from oncall.tui.widgets.status_line import StatusLine
from oncall.tui.widgets.tab_strip import TabStrip
from oncall.tui.widgets.timeline import TimelineView

# The newest events read with the first paint: enough to fill the Timeline tab at 160×50, so the
# tab has its lines at once even before the older ones have been read.
FIRST_READ = 60
ROLE_EVENTS = frozenset({"ic_assigned", "role_assigned", "role_removed"})  # what changes the Roles tab
SUGGESTIONS = 10  # the best-fitting runbooks the Runbooks tab lists (the rest: narrow by tags)

STATUS_HINTS = {
    Status.INVESTIGATING: "investigating: we are looking for the cause",
    Status.IDENTIFIED: "identified: we know the cause, a fix is coming",
    Status.MONITORING: "monitoring: a fix is in, watching that it holds",
    Status.RESOLVED: "resolved: data is right again (post-mortem next)",
    Status.CLOSED: "closed: post-mortem done, nothing left to do",
    Status.DISMISSED: "dismissed: not an incident (needs a reason)",
    Status.TRIAGE: "triage: reopen for another look",
}

TABS = Binding.Group("Tabs")


class IncidentScreen(PostmortemActions, IntakeActions, Screen):
    # Keys for the whole incident (the header is on every tab); each tab adds its own. The tab
    # keys are also printed on the tabs ("1 Overview  2 Timeline"), so where the footer is short
    # of room (80 columns) they are the first it leaves out.
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", "Queue", id="incident.back"),
        Binding("1", "show_tab('overview')", "Overview", id="incident.tab.overview", group=TABS),
        Binding("2", "show_tab('timeline')", "Timeline", id="incident.tab.timeline", group=TABS),
        Binding("3", "show_tab('roles')", "Roles", id="incident.tab.roles", group=TABS),
        Binding("4", "show_tab('raci')", "RACI", id="incident.tab.raci", group=TABS),
        Binding("5", "show_tab('runbooks')", "Runbooks", id="incident.tab.runbooks", group=TABS),
        Binding("6", "show_tab('postmortem')", "Post-mortem", id="incident.tab.postmortem", group=TABS),
        Binding("7", "show_tab('lineage')", "Lineage", id="incident.tab.lineage", group=TABS),
        Binding("tab", "next_tab(1)", "Next tab", show=False, id="incident.tab.next"),
        Binding("shift+tab", "next_tab(-1)", "Previous tab", show=False, id="incident.tab.previous"),
        Binding("s", "status", "Status", id="incident.status"),
        Binding("v", "severity", "Severity", id="incident.severity"),
        Binding("n", "note", "Note", id="incident.note"),
        Binding("u", "compose", "Update", id="incident.update",
                tooltip="Write and send a stakeholder update from a template (key: u)"),
    ]

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.incident: Incident | None = None
        # What the tabs show, oldest first: the newest events, then every one once the older
        # ones are read (`whole`). Only ever grows: at the end by appending, at the start once.
        self.events: list[TimelineRow] = []
        self.whole = False
        self._read_once = False
        self._gone = False
        self._resumed_once = False
        self._latest_stale = False
        self.roles = RoleHolders()

    @property
    def session(self):
        return self.app.session

    def compose(self) -> ComposeResult:
        tabs = [OverviewTab(), TimelineTab(), RolesTab(), RaciTab(), RunbooksTab(),
                PostmortemTab(), LineageTab()]  # each with its capability
        yield IncidentHeader(id="incident-header")
        yield TabStrip([(tab.id or "", tab.label) for tab in tabs], id="tab-strip")
        for tab in tabs[1:]:
            tab.display = False
        yield from tabs  # one shown at a time (action_show_tab), straight under the screen: no
        # container between them and the screen that would be repainted on every switch
        yield StatusLine(id="status-line")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.action_show_tab("overview")

    def refresh_ages(self) -> None:
        """"declared 5s ago" and the Overview's times move on, as the queue's ages do: the app calls
        this every few seconds on the screen in front (`OncallApp.refresh_ages`)."""
        if self.incident is None or not self.is_attached or not self.is_mounted:
            return
        try:
            self.query_one(IncidentHeader)
        except NoMatches:  # the console is closing: its widgets are already gone
            return
        now = self.session.clock.now()
        self.query_one(IncidentHeader).show(self.incident, self.session.config, now,
                                            self.session.service.cadence.get(self.incident_id)[0])
        self.query_one(OverviewTab).show_incident(self.incident, self.session.config, now)

    # -- tabs ---------------------------------------------------------------------------------

    @property
    def tabs(self) -> list[IncidentTab]:
        return [tab for tab in self.children if isinstance(tab, IncidentTab)]

    @property
    def tab_in_front(self) -> IncidentTab:
        return next(tab for tab in self.tabs if tab.display)

    def action_show_tab(self, tab_id: str) -> None:
        """Bring a tab to the front and focus it, so the footer shows its keys."""
        for tab in self.tabs:
            tab.display = tab.id == tab_id
        self.query_one(TabStrip).active = tab_id
        self.query_one(f"#{tab_id}").focus()
        if tab_id in ("roles", "raci"):
            self._show_roles()
        if tab_id == "overview" and self._latest_stale:
            self._show_latest()
        if tab_id == "runbooks":  # filled when the incident opened: shown at once, then brought up to date
            self.call_after_refresh(self._show_runbooks)
        if tab_id == "postmortem":
            self._show_postmortem()
        if tab_id == "lineage":
            self._show_lineage()

    def action_next_tab(self, step: int) -> None:
        tabs = self.tabs
        current = tabs.index(self.tab_in_front)
        self.action_show_tab(tabs[(current + step) % len(tabs)].id or "")

    @on(TabStrip.Chosen)
    def _tab_clicked(self, event: TabStrip.Chosen) -> None:
        self.action_show_tab(event.tab_id)

    # -- reading ------------------------------------------------------------------------------

    def _load(self) -> None:
        """Read the incident again (first on resume, which follows mount) and any new events."""
        try:
            incident = self.session.service.get(self.incident_id)
        except LookupError:
            if not self._gone:
                self._gone = True
                self.notify(f"INC-{self.incident_id} is no longer in this workspace", severity="error")
            if self.is_active:  # under a form, the form stays with its text (its save says why it fails)
                self.app.pop_screen()
            return
        if self.incident is not None and _another_incident(self.incident, incident):
            self._start_again()  # the id now names another incident (`oncall demo remove`, then generate)
        self.incident = incident
        now = self.session.clock.now()
        self.query_one(IncidentHeader).show(incident, self.session.config, now,
                                            self.session.service.cadence.get(self.incident_id)[0])
        self.query_one(OverviewTab).show_incident(incident, self.session.config, now)
        roles_in_front = self.query_one(RolesTab).display or self.query_one(RaciTab).display
        if roles_in_front:
            self._show_roles()
        if self.query_one(RunbooksTab).display:
            self._show_runbooks()
        if self.query_one(PostmortemTab).display:
            self._show_postmortem()
        if self.query_one(LineageTab).display:
            self._show_lineage()
        first = not self._read_once
        if self._read_once:
            new = self.session.events_after(self.incident_id, self.events[-1].id if self.events else 0)
        else:
            self._read_once = True
            self.call_after_refresh(self._show_runbooks)  # ready before anyone presses 5
            new = self.session.latest_events(self.incident_id, FIRST_READ)
            if len(new) < FIRST_READ:
                self.whole = True  # that was all of them
            else:
                # The older events once this is on screen: read while it is being painted, they
                # would slow the first paint.
                self.call_after_refresh(self._read_older)
            if not new:
                for view in self._timeline_views():
                    view.say("Nothing on the timeline yet.")
        if new:
            self.events.extend(new)
            self.query_one(TimelineTab).append(new)
            if self.query_one(OverviewTab).display:
                self._show_latest()
            else:  # laid out when the Overview comes back to the front
                self._latest_stale = True
        # The Roles and RACI tabs are filled after the first paint, and again when the roles change
        # (an outside change that is only a note costs them nothing).
        if not roles_in_front and (first or any(row.kind in ROLE_EVENTS for row in new)):
            self.call_after_refresh(self._show_roles)
        if first:  # later changes of the sync line reach every screen from the app
            self.app.refresh_status_line(self)

    def _show_roles(self) -> None:
        service = self.session.service
        holders = service.roles(self.incident_id)
        self.roles = holders
        config = self.session.config
        self.query_one(RolesTab).show_roles(self.incident_id, holders, config,
                                            service.role_store.open_load(holders.people))
        self.query_one(RaciTab).show_chart(service.raci, holders, config, service.actor)

    def _show_runbooks(self) -> None:
        """The Runbooks tab's lists: at once when the library is read and unchanged (a stat of each
        file), else after reading it in a worker (the first time, or after an edit)."""
        library = self.session.runbook_library(if_current=True)
        if library is None:
            self._read_runbooks()
        else:
            self.query_one(RunbooksTab).show(*self._runbook_lines(library))

    @work(thread=True, exclusive=True, group="incident-runbooks", exit_on_error=False)
    @releasing
    def _read_runbooks(self) -> None:
        lines = self._runbook_lines(self.session.runbook_library())
        self.app.call_from_thread(self.query_one(RunbooksTab).show, *lines)

    def _runbook_lines(self, library) -> tuple[list[str], list[tuple[str, str]], list[tuple[str, str]], list[str]]:
        """What the tab shows: the tags, the attached runbooks with their progress, the best few
        that fit, and the broken files."""
        session = self.session
        service = session.runbook_service
        incident = session.service.get(self.incident_id)
        tags = service.tags(self.incident_id)
        attached = service.attached(self.incident_id)
        lines = []
        for entry in attached:
            runbook = library.get(entry.runbook_id)
            if runbook is None:
                lines.append((entry.runbook_id, f"  {entry.title}: its file is gone from runbooks/"))
                continue
            done, skipped, settled = entry.tally(runbook.steps)
            state = "finished" if settled else f"{done}/{len(runbook.steps)} done" + (
                f", {skipped} skipped" if skipped else "")
            lines.append((runbook.id, f"  {runbook.title}  ·  {state}"))
        taken = {entry.runbook_id for entry in attached}
        config = session.config
        fitting = [(runbook, why) for runbook, why in library.suggest(config.asset(incident.asset), set(tags),
                                                                      config.assets)
                   if runbook.id not in taken]
        suggested = [(runbook.id, f"  {runbook.title}  ·  {why}") for runbook, why in fitting[:SUGGESTIONS]]
        broken = [f"{path.name}: {problems[0].message}" + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
                  for path, problems in library.broken]
        if len(fitting) > SUGGESTIONS:
            suggested.append(("", f"  … {len(fitting) - SUGGESTIONS} more fit: tags (t) narrow them down"))
        return tags, lines, suggested, broken

    @on(RunbooksTab.Chosen)
    def _runbook_chosen(self, event: RunbooksTab.Chosen) -> None:
        from oncall.tui.screens.runbook_viewer import RunbookScreen

        if event.value.startswith(SUGGESTED):
            runbook_id = event.value.removeprefix(SUGGESTED)
            runbook = self.session.runbook_library().get(runbook_id)
            if runbook is None:
                self.notify(f"{runbook_id} is no longer in the workspace's runbooks", severity="error", markup=False)
                return
            saved = attempt(lambda _: self.session.runbook_service.attach(self.incident_id, runbook), None)
            if saved.problem:
                self.notify(saved.problem, severity="warning", markup=False)
                return
            self.app.read_sync_state()
        else:
            runbook_id = event.value.removeprefix(ATTACHED)
        self.app.push_screen(RunbookScreen(self.incident_id, runbook_id))

    def action_tags(self) -> None:
        service = self.session.runbook_service
        current = " ".join(service.tags(self.incident_id))
        self.app.push_screen(
            TextScreen("Failure tags (space or comma between): third-party-api, stale-table, bad-file, …",
                       current, placeholder="e.g. stale-table silent-failure", required=False,
                       save=lambda text: service.set_tags(self.incident_id, text)),
            lambda text: text is not None and self._saved("tags updated"),
        )

    def _start_again(self) -> None:
        """Forget what was read: the next read is a first read."""
        self.workers.cancel_group(self, "incident-timeline")
        self.events = []
        self.whole = False
        self._read_once = False
        self.query_one(TimelineTab).show([])

    def _timeline_views(self) -> list[TimelineView]:
        return [self.query_one(TimelineTab), self.query_one(OverviewTab).latest]

    def _show_latest(self) -> None:
        self._latest_stale = False
        self.query_one(OverviewTab).show_events(self.events, len(self.events) if self.whole else None)

    @work(exclusive=True, group="incident-timeline", exit_on_error=False)
    async def _read_older(self) -> None:
        older: list[TimelineRow] = []
        for batch in self.session.older_events(self.incident_id, self.events[0].id):
            older.extend(batch)
            await asyncio.sleep(0)  # a key pressed meanwhile is answered now
        self.whole = True
        if older:
            self.events[:0] = older
            self.query_one(TimelineTab).show(list(self.events))
        self._show_latest()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "incident-runbooks" and event.state is WorkerState.ERROR:
            event.stop()
            self.query_one("#runbooks-tags").update(f"Could not read the runbooks: {event.worker.error}")
            return
        if event.worker.group == "incident-timeline" and event.state is WorkerState.ERROR:
            event.stop()  # say it here, where the timeline is missing
            message = f"Could not read the timeline: {event.worker.error}"
            for view in self._timeline_views():
                view.say(message)  # shown where no events are, not over ones already shown
            self.notify(message, severity="error", markup=False)

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Textual calls one handler per class, this one first, then `Screen._on_screen_resume`,
        # which restyles every widget: not when the screen was just mounted, and styled as each
        # widget was (about 10 ms of opening an incident).
        if not self._resumed_once:
            self._resumed_once = True
            event.refresh_styles = False
        self._load()

    def on_unmount(self) -> None:
        # Thousands of rows, freed now rather than at a garbage-collector pass (`TimelineView.on_unmount`).
        self.events = []

    def on_data_changed(self, message: DataChanged) -> None:
        self._load()

    # -- actions ------------------------------------------------------------------------------

    def action_status(self) -> None:
        assert self.incident is not None
        incident = self.incident
        if incident.status is Status.TRIAGE:
            self._decide_triage()
            return
        needs_reason = {s.value for s in NEEDS_REASON}
        if incident.severity in (Severity.SEV1, Severity.SEV2):
            needs_reason.add(Status.CLOSED.value)  # closing before the post-mortem is an override
        choices = [(s.value, STATUS_HINTS.get(s, s.value)) for s in allowed_transitions(incident.status)]
        service = self.session.service
        self.app.push_screen(
            ChoiceScreen(f"Move {incident.ref} from {incident.status.value} to…", choices,
                         "Reason (needed to dismiss, or to close a SEV-1/2 before its post-mortem)",
                         frozenset(needs_reason),
                         save=lambda chosen: service.change_status(self.incident_id, Status(chosen[0]), chosen[1])),
            lambda chosen: chosen and self._saved(f"now {chosen[0]}"),
        )

    def action_severity(self) -> None:
        assert self.incident is not None
        current = self.incident.severity
        choices = [(s.value, f"{s.value}  {s.summary}") for s in Severity if s is not current]
        service = self.session.service
        self.app.push_screen(
            ChoiceScreen(f"Change severity from {current.value} to…", choices,
                         "Why? (needed: it goes on the timeline)", frozenset(s.value for s in Severity),
                         save=lambda chosen: service.change_severity(self.incident_id, Severity(chosen[0]), chosen[1])),
            lambda chosen: chosen and self._saved(f"now {chosen[0]}"),
        )

    def action_compose(self) -> None:
        from oncall.service.comms import proposed_template
        from oncall.tui.screens.composer import ComposerScreen

        self.app.push_screen(ComposerScreen(self.incident_id, proposed_template(self.session.service,
                                                                                 self.incident_id)),
                             lambda sent: sent and self._saved(f"update sent ({sent})"))

    def action_note(self) -> None:
        service = self.session.service
        self.app.push_screen(
            TextScreen("Add a note to the timeline", placeholder="What did you find or do?",
                       save=lambda text: service.add_note(self.incident_id, text)),
            lambda text: text and self._saved("note added"),
        )

    def action_impact(self) -> None:
        assert self.incident is not None
        service = self.session.service
        self.app.push_screen(
            TextScreen("Impact: who is affected and how", self.incident.impact, required=False,
                       save=lambda text: service.set_impact(self.incident_id, text)),
            lambda text: text is not None and self._saved("impact updated"),
        )

    def action_eta(self) -> None:
        assert self.incident is not None
        service = self.session.service
        self.app.push_screen(
            TextScreen("ETA for a fix", self.incident.eta, placeholder="e.g. backfill done by 10:45", required=False,
                       save=lambda text: service.set_eta(self.incident_id, text)),
            lambda text: text is not None and self._saved("ETA updated"),
        )

    def action_assign_ic(self) -> None:
        assert self.incident is not None
        people = [(p.id, f"{p.name} ({p.id})") for p in self.session.config.people if p.id != self.incident.ic]
        service = self.session.service
        self.app.push_screen(
            ChoiceScreen("Hand the Incident Commander role to…", people, "Note for the hand-off (optional)",
                         empty_text="Nobody else is on the roster: add [[people]] to oncall.toml.",
                         save=lambda chosen: service.assign_ic(self.incident_id, chosen[0], chosen[1])),
            lambda chosen: chosen and self._saved(f"IC is now {chosen[0]}"),
        )

    def action_assign_role(self) -> None:
        """Pick a role, then a person for it (the IC: a hand-off, with its note)."""
        choices = [(role.value, ROLE_NAMES[role] + ("  (hand off)" if role is Role.IC else
                                                    "  (hand on)" if role in SINGLE and self.roles.of(role) else ""))
                   for role in ROLE_ORDER]
        self.app.push_screen(PickScreen("Assign which role?", choices, note_hint=None),
                             lambda chosen: chosen and self._pick_person(Role(chosen[0])))

    def _pick_person(self, role: Role) -> None:
        config = self.session.config
        service = self.session.service
        holding = set(self.roles.of(role))
        load = service.role_store.open_load([p.id for p in config.people])
        on_call = self.session.on_call()
        allowed = [p for p in config.people if role in p.roles and p.id not in holding]
        others = [p for p in config.people if role not in p.roles and p.id not in holding]
        choices = []
        for person in [*allowed, *others]:
            carried = len(load.get(person.id, {}))
            notes = ["on call"] if person.id == on_call else []
            if role not in person.roles:
                notes.append(f"roster: {', '.join(r.value for r in person.roles) or 'no roles'}")
            notes.append(f"{carried} open incident{'s' if carried != 1 else ''}" if carried else "free")
            choices.append((person.id, f"{person.name} ({person.id}) · " + " · ".join(notes)))
        verb = "Hand the Incident Commander role to…" if role is Role.IC else f"Who is {ROLE_NAMES[role]}?"
        self.app.push_screen(
            PickScreen(verb, choices, note_hint="Note for the timeline (optional)",
                       empty_text="Nobody else is on the roster: add [[people]] to oncall.toml.",
                       save=lambda chosen: service.assign_role(self.incident_id, role, chosen[0], chosen[1])),
            lambda chosen: chosen and self._saved(f"{chosen[0]} is {ROLE_NAMES[role]}"),
        )

    def action_remove_role(self) -> None:
        choices = [(f"{role.value}:{person}", f"{ROLE_NAMES[role]}: {self._person_label(person)}")
                   for role in ROLE_ORDER if role is not Role.IC for person in self.roles.of(role)]
        service = self.session.service

        def remove(chosen: tuple[str, str]) -> object:
            role, person = chosen[0].split(":", 1)
            return service.unassign_role(self.incident_id, Role(role), person, chosen[1])

        self.app.push_screen(
            PickScreen("Take which role from whom?", choices, note_hint="Why? (optional)",
                       empty_text="Only the IC holds a role here, and the IC is handed off, not removed (a).",
                       save=remove),
            lambda chosen: chosen and self._saved("role removed"),
        )

    def _person_label(self, person_id: str) -> str:
        person = self.session.config.person(person_id)
        return f"{person.name} ({person_id})" if person else person_id

    def _saved(self, done: str) -> None:
        """After a form saved its change (a failed save keeps the form open and says why)."""
        assert self.incident is not None
        self.notify(f"{self.incident.ref} {done}", markup=False)
        self._load()
        self.app.read_sync_state()  # the change is waiting in the outbox


def _another_incident(before: Incident, now: Incident) -> bool:
    """True when the id names a different incident than the one shown (synthetic history removed
    and made again reuses ids): it was detected at another moment."""
    return before.detected_at != now.detected_at
