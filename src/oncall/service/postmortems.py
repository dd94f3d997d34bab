"""Post-mortems and action items: drafting from the timeline, saving sections without losing
anyone's text, moving draft → in review → complete, action items to done, and the root cause
that finds repeats. The console and the command line both act through this service; every change
worth telling is one timeline event, which the sync carries to Jira and Slack.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from oncall.domain.action_items import TITLE_MAX, ActionItem, ActionStatus, Priority
from oncall.domain.clock import Clock, from_text
from oncall.domain.incident import EventKind, Incident, TimelineEvent
from oncall.domain.postmortem import PostmortemStatus, Section, check_move
from oncall.domain.raci import Activity
from oncall.domain.rules import RuleViolation
from oncall.domain.status import Status
from oncall.domain.text import clean_block, clean_line
from oncall.service.informed import informed_of
from oncall.store.action_items import ActionItemRepository
from oncall.store.db import Database
from oncall.store.incidents import IncidentRepository
from oncall.store.postmortems import Postmortem, PostmortemRepository, Saved
from oncall.store.roles import RoleRepository
from oncall.store.timeline import TimelineRepository
from oncall.workspace.config import Config

RECURRENCE_DAYS = 90
SECTION_MAX = 200_000  # characters: a section is read by people, not a log dump
CAUSE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
DRAFTABLE = (Status.RESOLVED, Status.CLOSED)


def close_blockers(database: Database, incident_id: int) -> list[str]:
    """What stands between a SEV-1/2 incident and closing: the post-mortem not complete, an
    open action item without an owner or a due date. Empty: it may close."""
    found: list[str] = []
    row = database.conn.execute("SELECT status FROM postmortems WHERE incident_id = ?", (incident_id,)).fetchone()
    if row is None:
        found.append("it has no post-mortem yet")
    elif row[0] != PostmortemStatus.COMPLETE.value:
        found.append(f"its post-mortem is {PostmortemStatus(row[0]).label}, not complete")
    for item in ActionItemRepository(database).for_incident(incident_id):
        if not item.tracked:
            missing = " and ".join(w for w, gap in (("no owner", not item.owner), ("no due date", item.due is None))
                                   if gap)
            found.append(f"action item {item.ref} has {missing}")
    return found


class PostmortemService:
    def __init__(self, database: Database, config: Config, clock: Clock, actor: str) -> None:
        self.db = database
        self.config = config
        self.clock = clock
        self.actor = actor
        self.incidents = IncidentRepository(database)
        self.timeline = TimelineRepository(database)
        self.store = PostmortemRepository(database)
        self.items = ActionItemRepository(database)
        self.roles = RoleRepository(database)

    # -- the post-mortem ---------------------------------------------------------------------

    def get(self, incident_id: int) -> Postmortem | None:
        self.incidents.get(incident_id)  # no such incident: IncidentNotFound
        return self.store.get(incident_id)

    def draft(self, incident_id: int) -> Postmortem:
        """The incident's post-mortem, drafted from its timeline the first time (once resolved)."""
        from oncall.postmortem.draft import draft_sections

        with self.db.write():
            incident = self.incidents.get(incident_id)
            existing = self.store.get(incident_id)
            if existing is not None:
                return existing
            if incident.status not in DRAFTABLE:
                raise RuleViolation(f"{incident.ref} is {incident.status.value}: its post-mortem is drafted once it "
                                    "is resolved")
            now = self.clock.now()
            sections = draft_sections(incident, self.timeline.for_incident(incident_id),
                                      roles=self.roles.holders(incident_id), config=self.config, now=now)
            self.store.create(incident_id, sections, self.actor, now)
            self._record(incident, "post-mortem drafted from the timeline",
                         {"action": "drafted", **self._informed(incident, Activity.POST_MORTEM)})
            created = self.store.get(incident_id)
        assert created is not None
        return created

    def save_section(self, incident_id: int, section: Section, text: str, base_revision: int, *,
                     autosave: bool = False) -> Saved:
        """Save a section made from `base_revision`. A conflict keeps the text as a copy (see
        `PostmortemRepository.save`) and returns the other person's. `autosave`: saved as a person
        types (the editor), kept in the history as one entry per sitting."""
        text = clean_block(text)
        if len(text) > SECTION_MAX:
            raise RuleViolation(f"the {section.title} section is {len(text):,} characters; at most {SECTION_MAX:,}")
        with self.db.write():
            postmortem = self._existing(incident_id)
            if postmortem.status is PostmortemStatus.COMPLETE:
                raise RuleViolation("the post-mortem is complete: move it back to in review to edit it")
            saved = self.store.save(incident_id, section, text, base_revision, self.actor, self.clock.now(),
                                    coalesce=autosave)
            if not saved.conflict:
                self.incidents.save(self.incidents.get(incident_id).model_copy(update={"updated_at": self.clock.now()}))
        return saved

    def set_status(self, incident_id: int, status: PostmortemStatus) -> Postmortem:
        """Move the post-mortem on. Completing it needs every section written and posts the
        document to Jira (and a line in the Slack thread)."""
        with self.db.write():
            incident = self.incidents.get(incident_id)
            postmortem = self._existing(incident_id)
            check_move(postmortem.status, status)
            data: dict[str, Any] = {"action": "status", "from": postmortem.status.value, "to": status.value}
            if status is PostmortemStatus.COMPLETE:
                from oncall.postmortem.writing import TODO_PREFIX

                unwritten = [s.title for s in Section if s is not Section.ACTION_ITEMS
                             and (not postmortem.text(s).strip() or TODO_PREFIX in postmortem.text(s))]
                if unwritten:
                    raise RuleViolation("the post-mortem cannot be complete while these sections are empty or still "
                                        f"hold a '_To be written_' prompt: {', '.join(unwritten)}")
                data["document"] = self.document(incident_id, "md")
                data.update(self._informed(incident, Activity.POST_MORTEM))
            self.store.set_status(incident_id, status, self.actor, self.clock.now())
            self._touch(incident)
            self._record(incident, f"post-mortem {postmortem.status.label} → {status.label}", data)
            moved = self.store.get(incident_id)
        assert moved is not None
        return moved

    def document(self, incident_id: int, form: str = "md") -> str:
        """The post-mortem as one Markdown document, or one self-contained HTML page."""
        from oncall.postmortem.export import document_html, document_markdown

        incident = self.incidents.get(incident_id)
        postmortem = self._existing(incident_id)
        sections = {section: postmortem.text(section) for section in Section}
        make = document_html if form == "html" else document_markdown
        return make(incident, sections, status=postmortem.status, status_by=self._name(postmortem.status_by),
                    status_at=postmortem.status_at, action_items=self.summaries(incident_id),
                    today=self.clock.now().date())

    def summaries(self, incident_id: int):
        from oncall.postmortem.action_items import ActionItemSummary

        return [ActionItemSummary(title=item.title, owner=self._name(item.owner) if item.owner else None,
                                  due=item.due, priority=item.priority.value, status=item.status.value,
                                  reason=item.reason, number=item.id)
                for item in self.items.for_incident(incident_id)]

    # -- action items ------------------------------------------------------------------------

    def add_action(self, incident_id: int, title: str, owner: str = "", due: date | None = None,
                   priority: Priority = Priority.MEDIUM) -> ActionItem:
        title = " ".join(clean_line(title).split())
        if not title:
            raise RuleViolation("an action item needs a title")
        if len(title) > TITLE_MAX:
            raise RuleViolation(f"an action item's title is at most {TITLE_MAX} characters ({len(title)} given)")
        owner = self._owner(owner)
        with self.db.write():
            incident = self.incidents.get(incident_id)
            item = self.items.add(incident_id, title, owner, due, priority, self.actor, self.clock.now())
            self._item_event(incident, item, "added", f"action item {item.ref} added: {title}")
        return item

    def move_action(self, item_id: int, status: ActionStatus, reason: str = "", *, source: str = "") -> ActionItem:
        """Open, done, or won't do (with a reason). `source="jira"`: the change came from the
        item's Jira issue (recorded, not sent back)."""
        if status is ActionStatus.WONT_DO:
            reason = clean_line(reason).strip()
            if not reason:
                raise RuleViolation("won't do needs a reason (it is kept with the item)")
        return self._move(item_id, status, reason if status is ActionStatus.WONT_DO else "", source)

    def finish_action(self, item_id: int) -> ActionItem:
        return self._move(item_id, ActionStatus.DONE, "")

    def wont_do(self, item_id: int, reason: str) -> ActionItem:
        reason = clean_line(reason).strip()
        if not reason:
            raise RuleViolation("won't do needs a reason (it is kept with the item)")
        return self._move(item_id, ActionStatus.WONT_DO, reason)

    def reopen_action(self, item_id: int) -> ActionItem:
        return self._move(item_id, ActionStatus.OPEN, "")

    def change_action(self, item_id: int, *, owner: str | None = None, due: date | None = None,
                      priority: Priority | None = None, source: str = "") -> ActionItem:
        """Give an item an owner, a due date or a priority. `source="jira"`: the change came from
        the item's Jira issue (recorded, not sent back)."""
        changes: dict[str, Any] = {}
        if owner is not None:
            changes["owner"] = self._owner(owner)
        if due is not None:
            changes["due"] = due
        if priority is not None:
            changes["priority"] = priority
        with self.db.write():
            item = self.items.get(item_id)
            changes = {k: v for k, v in changes.items() if getattr(item, k) != v}
            if not changes:
                return item
            updated = self.items.update(item_id, self.clock.now(), **changes)
            said = ", ".join(f"{key} {_said(value)}" for key, value in changes.items())
            self._item_event(self.incidents.get(item.incident_id), updated, "changed",
                             f"action item {item.ref}: {said}", source=source)
        return updated

    def actions(self, *, owner: str = "", overdue: bool = False) -> list[ActionItem]:
        return self.items.listing(owner=owner, overdue_on=self.clock.now().date() if overdue else None)

    def actions_of(self, incident_id: int) -> list[ActionItem]:
        return self.items.for_incident(incident_id)

    def _move(self, item_id: int, status: ActionStatus, reason: str, source: str = "") -> ActionItem:
        with self.db.write():
            item = self.items.get(item_id)
            if item.status is status:
                raise RuleViolation(f"{item.ref} is already {status.label}")
            updated = self.items.update(item_id, self.clock.now(), status=status, reason=reason)
            why = f": {reason}" if reason else ""
            self._item_event(self.incidents.get(item.incident_id), updated, status.value,
                             f"action item {item.ref} {status.label}{why}", source=source)
        return updated

    # -- root cause and recurrence -----------------------------------------------------------

    def set_root_cause(self, incident_id: int, cause: str) -> Incident:
        """Record the root-cause category (a failure tag, as runbooks use: `upstream-schema-change`).
        An incident repeats the latest earlier one on the same asset with the same cause within the
        90 days before it (drills and dismissed reports never count). Setting or changing a cause
        works both ways: the later incidents on the asset are looked at again too, each change said
        on its timeline."""
        cause = clean_line(cause).strip().lower().replace(" ", "-")
        if not CAUSE.match(cause):
            raise RuleViolation(f"root cause {cause[:40]!r}: use a failure tag, lowercase letters, digits, '-' and '_' "
                                "(for example upstream-schema-change)")
        with self.db.write():
            incident = self.incidents.get(incident_id)
            if incident.root_cause == cause:
                raise RuleViolation(f"the root cause is already {cause}")
            updated = incident.model_copy(update={"root_cause": cause, "updated_at": self.clock.now()})
            self.incidents.save(updated)
            self._append(updated, EventKind.ROOT_CAUSE, f"root cause: {cause}",
                         {"cause": cause, "from": incident.root_cause})
            self._link_repeats(incident.asset)
            updated = self.incidents.get(incident_id)
        return updated

    def _link_repeats(self, asset: str) -> None:
        """Every incident on `asset` with a cause repeats the latest counted one before it with the
        same cause within 90 days (else none); those whose link changes get it, and a line on
        their timeline."""
        rows = self.db.conn.execute(
            "SELECT id, root_cause, detected_at, recurring_of, is_drill, status FROM incidents "
            "WHERE asset = ? AND root_cause != '' ORDER BY detected_at, id", (asset,)).fetchall()
        counted: list[tuple[int, str, datetime]] = []  # (id, cause, detected) of incidents that can be repeated
        for incident_id, cause, detected_text, linked, is_drill, status in rows:
            detected = from_text(detected_text)
            earlier = None
            if not is_drill and status != Status.DISMISSED.value:
                since = detected - timedelta(days=RECURRENCE_DAYS)
                earlier = next((other for other, other_cause, at in reversed(counted)
                                if other_cause == cause and since <= at < detected), None)
                counted.append((incident_id, cause, detected))
            if earlier != linked:
                incident = self.incidents.get(incident_id)
                self.incidents.save(incident.model_copy(update={"recurring_of": earlier}))
                said = (f"recurring: same asset and cause ({cause}) as INC-{earlier}" if earlier else
                        f"no longer recurring: no earlier incident on {asset} has cause {cause}")
                self._append(incident, EventKind.ROOT_CAUSE, said, {"cause": cause, "recurring_of": earlier,
                                                                    "from_recurring_of": linked})

    def recurrence(self, incident: Incident) -> tuple[Incident, list[ActionItem]] | None:
        """The earlier incident this one repeats, with its action items (were they done?)."""
        if incident.recurring_of is None:
            return None
        try:
            earlier = self.incidents.get(incident.recurring_of)
        except LookupError:
            return None
        return earlier, self.items.for_incident(earlier.id or 0)

    # -- helpers -----------------------------------------------------------------------------

    def _existing(self, incident_id: int) -> Postmortem:
        postmortem = self.store.get(incident_id)
        if postmortem is None:
            self.incidents.get(incident_id)
            raise RuleViolation(f"INC-{incident_id} has no post-mortem yet: draft it first (oncall postmortem draft "
                                f"{incident_id}, or enter on the incident's Post-mortem tab once it is resolved)")
        return postmortem

    def _owner(self, owner: str) -> str:
        owner = clean_line(owner or "").strip()
        if owner and self.config.people and not self.config.person(owner):
            known = ", ".join(p.id for p in self.config.people)
            raise RuleViolation(f"{owner[:40]!r} is not on the roster; known: {known}")
        return owner

    def _name(self, person_id: str) -> str:
        return self.config.name_of(person_id)

    def _touch(self, incident: Incident) -> None:
        """The queue's "updated" column moves with the post-mortem and its items."""
        self.incidents.save(incident.model_copy(update={"updated_at": self.clock.now()}))

    def _item_event(self, incident: Incident, item: ActionItem, action: str, text: str, source: str = "") -> None:
        data: dict[str, Any] = {"action": action, "item": item.id, "title": item.title, "owner": item.owner,
                                "due": item.due.isoformat() if item.due else None, "priority": item.priority.value,
                                "status": item.status.value, "reason": item.reason}
        if source:
            data["source"] = source
        else:
            data.update(self._informed(incident, Activity.ACTION_ITEMS))
        self._touch(incident)
        self._append(incident, EventKind.ACTION_ITEM, text, data)

    def _record(self, incident: Incident, text: str, data: dict[str, Any]) -> TimelineEvent:
        return self._append(incident, EventKind.POSTMORTEM, text, data)

    def _append(self, incident: Incident, kind: EventKind, text: str, data: dict[str, Any]) -> TimelineEvent:
        assert incident.id is not None
        return self.timeline.append(TimelineEvent(incident_id=incident.id, at=self.clock.now(), actor=self.actor,
                                                  kind=kind, text=text, data=data))

    def _informed(self, incident: Incident, activity: Activity) -> dict[str, Any]:
        return informed_of(self.config.raci, self.roles, incident, activity)


def _said(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(getattr(value, "value", value) or "nobody")


def _text(moment) -> str:
    from oncall.domain.clock import to_text

    return to_text(moment)
