"""The incident screen's post-mortem work (its 6th tab): what the tab shows, and the actions its
keys name — draft, edit, move on, action items, root cause. Mixed into `IncidentScreen`, which
owns the incident; every change goes through `PostmortemService`."""

from __future__ import annotations

from oncall.domain.action_items import ActionStatus
from oncall.domain.postmortem import PostmortemStatus, Section
from oncall.tui.screens.modals import TextScreen
from oncall.tui.screens.picker import PickScreen
from oncall.tui.screens.saving import attempt
from oncall.tui.tabs.postmortem_tab import DRAFT, ITEM, SECTION, PostmortemTab

SHORT_TITLES = {Section.ROOT_CAUSE: "Root cause", Section.WENT_WELL: "Went well", Section.WENT_POORLY: "Went poorly"}
MOVE_HINTS = {PostmortemStatus.DRAFT: "draft: back to writing",
              PostmortemStatus.IN_REVIEW: "in review: ready for the team to read",
              PostmortemStatus.COMPLETE: "complete: posted to the Jira issue and the Slack thread"}


class PostmortemActions:
    """For `IncidentScreen` (which provides session, incident_id, _saved, notify, app)."""

    def _show_postmortem(self) -> None:
        service = self.session.postmortem_service
        incident = self.session.service.get(self.incident_id)
        postmortem = service.get(self.incident_id)
        today = self.session.clock.now().date()
        config = self.session.config
        names = config.name_of
        if postmortem is None:
            ready = incident.status.value in ("resolved", "closed")
            status = ("No post-mortem yet: enter drafts one from the timeline" if ready else
                      f"A post-mortem is drafted once the incident is resolved (it is {incident.status.value})")
            sections: list[tuple[str, str]] = []
        else:
            status = (f"Post-mortem {postmortem.status.label} · by {names(postmortem.status_by)}, "
                      f"{postmortem.status_at:%Y-%m-%d %H:%M} UTC · m moves it on")
            sections = []
            for section in Section:
                if section is Section.ACTION_ITEMS:
                    continue
                text = postmortem.text(section).strip()
                first = next((plain(line) for line in text.splitlines() if plain(line)), "")
                label = SHORT_TITLES.get(section, section.title)
                preview = first if len(first) <= 56 else first[:55] + "…"
                sections.append((section.value, f"  {label:<12}{preview or '(empty)'}"))
        items = []
        for item in service.actions_of(self.incident_id):
            owner = names(item.owner) if item.owner else "no owner"
            due = f"due {item.due.isoformat()}" if item.due else "no due date"
            settled = {ActionStatus.DONE: "done", ActionStatus.WONT_DO: f"won't do: {item.reason}"}.get(item.status, "")
            items.append((item.id, f"  {item.ref}  [{item.priority.value}] {item.title}  ·  {owner}  ·  "
                                   f"{settled or due}", item.overdue(today)))
        cause = [f"  {incident.root_cause}" if incident.root_cause else "  not recorded yet (c, once it is known)"]
        repeat = service.recurrence(incident)
        if repeat is not None:
            earlier, earlier_items = repeat
            done = sum(item.status is ActionStatus.DONE for item in earlier_items)
            cause.append(f"  RECURRING: same asset and cause as {earlier.ref} ({earlier.detected_at:%Y-%m-%d}); "
                         f"its action items: {done} of {len(earlier_items)} done")
        self.query_one(PostmortemTab).show(status, sections, items, cause)

    def on_postmortem_tab_chosen(self, event: PostmortemTab.Chosen) -> None:
        """(A named handler: `@on` is not collected from a mixin that is not a widget.)"""
        from oncall.tui.screens.postmortem_editor import PostmortemEditor

        if event.value == DRAFT:
            drafted = attempt(lambda _: self.session.postmortem_service.draft(self.incident_id), None)
            if drafted.problem:
                self.notify(drafted.problem, severity="warning", markup=False)
                return
            self._saved("post-mortem drafted from the timeline")
            self.app.push_screen(PostmortemEditor(self.incident_id))
        elif event.value.startswith(SECTION):
            self.app.push_screen(PostmortemEditor(self.incident_id, Section(event.value.removeprefix(SECTION))),
                                 lambda _: self._load())
        elif event.value.startswith(ITEM):
            self._act_on_item(int(event.value.removeprefix(ITEM)))

    def action_postmortem_status(self) -> None:
        service = self.session.postmortem_service
        postmortem = service.get(self.incident_id)
        if postmortem is None:
            self.notify("Draft the post-mortem first (enter on the Post-mortem tab)", severity="warning")
            return
        from oncall.domain.postmortem import MOVES

        choices = [(status.value, MOVE_HINTS[status]) for status in MOVES[postmortem.status]]
        self.app.push_screen(
            PickScreen(f"Move the post-mortem from {postmortem.status.label} to…", choices, note_hint=None,
                       save=lambda chosen: service.set_status(self.incident_id, PostmortemStatus(chosen[0]))),
            lambda chosen: chosen and self._saved(f"post-mortem now {PostmortemStatus(chosen[0]).label}"),
        )

    def action_add_action(self) -> None:
        from oncall.tui.screens.action_form import ActionForm

        self.app.push_screen(ActionForm(self.incident_id),
                             lambda item: item and self._saved(f"action item {item.ref} added"))

    def _act_on_item(self, item_id: int) -> None:
        service = self.session.postmortem_service
        item = service.items.get(item_id)
        if item.status is ActionStatus.OPEN:
            choices = [("done", "Done"), ("wont-do", "Won't do (say why below)"), ("owner", "Give it an owner…"),
                       ("due", "Set the due date…")]
        else:
            choices = [("open", "Reopen it")]

        def apply(chosen: tuple[str, str]) -> object:
            what, note = chosen
            if what == "done":
                return service.finish_action(item_id)
            if what == "wont-do":
                return service.wont_do(item_id, note)
            if what == "open":
                return service.reopen_action(item_id)
            return chosen  # owner and due ask next

        def then(chosen: tuple[str, str] | None) -> None:
            if not chosen:
                return
            if chosen[0] == "owner":
                self._item_owner(item_id)
            elif chosen[0] == "due":
                self._item_due(item_id)
            else:
                self._saved(f"{item.ref} {ActionStatus(chosen[0]).label}")

        self.app.push_screen(PickScreen(f"{item.ref}: {item.title}", choices,
                                        note_hint="Reason (needed for won't do)", save=apply), then)

    def _item_owner(self, item_id: int) -> None:
        service = self.session.postmortem_service
        people = [(p.id, f"{p.name} ({p.id})") for p in self.session.config.people]
        self.app.push_screen(
            PickScreen("Who owns it?", people, note_hint=None,
                       empty_text="Nobody is on the roster: add [[people]] to oncall.toml.",
                       save=lambda chosen: service.change_action(item_id, owner=chosen[0])),
            lambda chosen: chosen and self._saved(f"A-{item_id} owned by {chosen[0]}"))

    def _item_due(self, item_id: int) -> None:
        service = self.session.postmortem_service
        today = self.session.clock.now().date()
        self.app.push_screen(
            TextScreen("Due date (YYYY-MM-DD, or +7d / +2w from today)", placeholder="+14d",
                       save=lambda text: service.change_action(item_id, due=due_of(text, today))),
            lambda text: text and self._saved(f"A-{item_id} due date set"))

    def action_root_cause(self) -> None:
        service = self.session.postmortem_service
        incident = self.session.service.get(self.incident_id)
        tags = " ".join(self.session.runbook_service.tags(self.incident_id))
        self.app.push_screen(
            TextScreen(f"Root cause: a failure tag (the incident's tags: {tags or 'none'})", incident.root_cause,
                       placeholder="e.g. upstream-schema-change",
                       save=lambda text: service.set_root_cause(self.incident_id, text)),
            lambda text: text and self._saved(f"root cause {text}"))


def plain(line: str) -> str:
    """A Markdown line as a preview reads it: no list marks, headings or emphasis."""
    return line.strip().lstrip("#->*0123456789. ").replace("**", "").replace("`", "").replace("_", " ").strip()


def due_of(text: str, today):
    """A due date as typed, or a RuleViolation saying what is accepted (the form shows it)."""
    from oncall.domain.action_items import parse_due
    from oncall.domain.rules import RuleViolation

    try:
        return parse_due(text, today)
    except ValueError as problem:
        raise RuleViolation(str(problem)) from None
