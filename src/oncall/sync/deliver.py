"""Delivering one outbox entry to one system, idempotently.

Each event becomes a few *steps* (see `messages.py`); a step that completed is recorded in
`remote_events` with the remote id that came back, so a retry skips it. When an earlier attempt
ended without an answer (`entry.uncertain`), a create is preceded by a look-up: the Jira issue
by its label, a comment by its marker, a Slack message by its metadata.

A `Job` brings what the entry needs, read in bulk by the pass (`jobs.py`); the database is
touched here only around creating an incident's issue or parent message, to refresh it, and to
find the Slack message a report was made in (its reporter is answered in that message's thread).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Callable

from oncall.domain.incident import EventKind, Incident
from oncall.store.db import Database
from oncall.store.incidents import IncidentRepository
from oncall.store.intake import IntakeRepository
from oncall.store.remote_ids import RemoteIds, RemoteIncident
from oncall.store.roles import RoleRepository
from oncall.sync import assignee, drill_messages, messages
from oncall.sync.email_adapter import EmailAdapter, build_message, message_id
from oncall.sync.errors import MaybeSent, Permanent, Transient
from oncall.sync.jobs import Job
from oncall.sync.jira_adapter import JiraAdapter
from oncall.sync.pull import item_status, remember_item
from oncall.sync.slack_adapter import SlackAdapter
from oncall.sync.thread_link import NOT_LINKED
from oncall.workspace.config import Config


# After a create that got no answer, how long the label search must come up empty before the
# issue is created again (Jira Cloud's search index trails writes by seconds).
SEARCH_CATCH_UP_SECONDS = 30.0

# sync_state key: why Jira last refused to link an action item's issue to its incident's ('' once
# one was linked). The item's issue is kept either way.
ACTION_LINK_REFUSED_STATE = "jira_action_links_refused"


# A teammate's incident whose Jira issue has no link to its Slack thread (made before links
# existed, or in a Jira that refuses them): how far before the issue's creation the channel is
# scanned for their message. Generous: their Slack may have gone out days before their Jira.
THREAD_SCAN_DAYS = 30

# Stored as the parent's text when this laptop posted it but the answer was lost: not empty
# (so it is ours to keep current) and never equal to a real text (so the next refresh updates it).
POSTED_HERE_TEXT_UNKNOWN = "(posted by this laptop; its text is not known)"


class Delivery:
    """What both systems' deliveries need: the stores on this thread's connection."""

    target = ""

    def __init__(self, database: Database, config: Config) -> None:
        self.config = config
        self.ids = RemoteIds(database)
        self.incidents = IncidentRepository(database)
        self.roles = RoleRepository(database)

    def deliver(self, job: Job) -> str:
        """Carry out the entry; return a note for the record ('' normally). Raises `SyncError`.

        The steps that completed are left in `completed`, for the worker to record together with
        the entry's outcome (one transaction); until then the entry is marked uncertain, so a
        crash in between leads to look-ups, not repeats.
        """
        self.completed: list[tuple[int, str, str, str]] = []
        return self._deliver(job)

    def _deliver(self, job: Job) -> str:
        raise NotImplementedError

    def _record(self, job: Job, step: str, remote_id: str = "") -> None:
        self.completed.append((job.event.id or 0, self.target, step, remote_id))


class JiraDelivery(Delivery):
    target = "jira"

    def __init__(self, database: Database, config: Config, adapter: JiraAdapter,
                 now: Callable[[], float] = time.time) -> None:
        super().__init__(database, config)
        self.db = database
        self.adapter = adapter
        self.now = now
        assert config.jira is not None
        self.jira = config.jira

    def _deliver(self, job: Job) -> str:
        event, uncertain, drill = job.event, job.entry.uncertain, job.incident.is_drill
        if drill and self.config.drills.jira == "skip":  # `[drills] jira = "skip"`: nothing is made
            return drill_messages.JIRA_SKIPPED_NOTE
        key, label = self.ensure_issue(job.incident, job.remote)
        account = messages.assignee_account(event, job.incident, self.config.person)
        if event.kind is EventKind.ACTION_ITEM:
            return self._deliver_action_item(job, key, label, account)
        note = ""
        for step in messages.jira_steps(event, self.jira, account, drill):
            if step in job.done_steps:
                continue
            if step == "comment":
                marker = messages.event_marker(label, event.id or 0)
                found = self.adapter.find_comment(key, marker) if uncertain else None
                self._record(job, step, found or self.adapter.add_comment(
                    key, messages.jira_comment(event, label, self.config.person, drill)))
            elif step == "assignee":
                # Setting it again is harmless, so a lost answer needs no look-up. A refusal
                # (an unknown account) is said in the sync line and holds nothing back.
                note = self.adapter.assign(key, account, messages.new_ic(event) or "")
                self._record(job, step, assignee.REFUSED_STEP + note if note else account)
            elif step == "transition":
                transition = self.jira.transitions[messages.status_after(event)]
                # After a lost answer the transition may have happened: if it is no longer on offer, it did.
                if not uncertain or self.adapter.transition_available(key, transition):
                    self.adapter.transition(key, transition)
                self._record(job, step, transition)
            elif step == "fields":
                self.adapter.update_fields(key, messages.jira_fields(job.incident, self.jira, label))
                self._record(job, step)
        if event.kind is EventKind.IC_ASSIGNED and job.incident.id is not None:
            if note:
                assignee.record(self.ids, job.incident.id, note)
            elif "assignee" not in job.done_steps:  # this hand-off went through, or left the assignee alone
                assignee.clear(self.ids, job.incident.id)
        return note

    def _deliver_action_item(self, job: Job, key: str, label: str, account: str) -> str:
        """An action item's event: on its own issue (made first if need be) and, for added, done
        and won't do, a comment on the incident's issue. What Jira refuses about the item alone
        (the link, the assignee, a transition its workflow does not offer) is said in the note
        and holds nothing back."""
        event, uncertain = job.event, job.entry.uncertain
        steps = [step for step in messages.jira_steps(event, self.jira, account, job.incident.is_drill)
                 if step not in job.done_steps]
        if not steps:
            return ""
        item_id = messages.action_item_id(event)
        assert item_id is not None  # no steps without one
        item_key = self.ensure_action_issue(job, key)
        marker = messages.event_marker(label, event.id or 0)
        notes: list[str] = []
        for step in steps:
            if step == "item_link":  # linking twice makes one link: no look-up after a lost answer
                why = self.adapter.link_issues(key, item_key, self.jira.action_link_type)
                if why or self.ids.state(ACTION_LINK_REFUSED_STATE):
                    self.ids.set_state(ACTION_LINK_REFUSED_STATE, why[:500])
                notes += [why] if why else []
                self._record(job, step, assignee.REFUSED_STEP + why if why else key)
            elif step == "item_assignee":
                why = self.adapter.assign(item_key, account, messages.action_owner(event) or "")
                if why:
                    notes.append(why)
                else:
                    remember_item(self.ids, item_id, assignee=account)
                self._record(job, step, assignee.REFUSED_STEP + why if why else account)
            elif step == "item_transition":
                status = messages.item_action(event)
                transition = self.jira.action_transitions[status]
                moved_to = self.adapter.transition_if_offered(item_key, transition)
                if moved_to is not None:  # what the pull will read there: not taken for a change made in Jira
                    remember_item(self.ids, item_id, status=item_status(self.jira, *moved_to).value)
                elif not uncertain:  # after a lost answer, it is no longer on offer because it happened
                    notes.append(f"{item_key} not moved to {status}: its workflow does not offer the transition "
                                 f"{transition!r} from its current status (check [jira.action_transitions])")
                self._record(job, step, transition)
            elif step == "item_comment":
                found = self.adapter.find_comment(item_key, marker) if uncertain else None
                self._record(job, step, found or self.adapter.add_comment(
                    item_key, messages.action_item_comment(event, label)))
            elif step == "item_fields":
                self.adapter.update_fields(item_key, messages.action_fields(event, self.jira))
                self._record(job, step)
            elif step == "comment":
                found = self.adapter.find_comment(key, marker) if uncertain else None
                self._record(job, step, found or self.adapter.add_comment(
                    key, messages.jira_comment(event, label, self.config.person, job.incident.is_drill, item_key)))
        return "; ".join(notes)

    def ensure_action_issue(self, job: Job, incident_key: str) -> str:
        """The key of the issue of the item `job`'s event is about, creating it once and only
        once, as `ensure_issue` does for the incident: marked as being created before the
        request, its key stored after, and after an unanswered create looked for by its label
        (giving Jira's search time to catch up) before it is created again."""
        incident, item_id = job.incident, messages.action_item_id(job.event)
        assert incident.id is not None and item_id is not None
        row = self.db.conn.execute("SELECT jira_key, jira_creating FROM action_items WHERE id = ?",
                                   (item_id,)).fetchone()
        if row is None:
            raise Permanent(f"action item A-{item_id} is not in this database any more")
        if row[0]:
            return str(row[0])
        label = messages.action_label(self.ids.label_for(incident.id), item_id)
        if row[1]:
            found = self.adapter.find_issue(label)
            if found:
                self._set_action_key(item_id, found)
                return found
            waited = max(0.0, self.now() - float(row[1]))
            if waited < SEARCH_CATCH_UP_SECONDS:
                raise Transient(f"an earlier request to create the Jira issue of action item A-{item_id} got no "
                                "answer and Jira's search does not show it yet; looking again before creating it",
                                uncertain=True, retry_after=SEARCH_CATCH_UP_SECONDS - waited)
        fields = messages.action_issue_fields(job.event, incident, self.jira, label, incident_key,
                                              self.adapter.browse_url(incident_key), self.config.person)
        issue_type = self.adapter.action_issue_type()
        with self.db.write() as conn:
            conn.execute("UPDATE action_items SET jira_creating = ? WHERE id = ?", (max(1, int(self.now())), item_id))
        try:
            key = self.adapter.create_issue(fields, issue_type)
        except (Permanent, Transient) as error:
            if isinstance(error, Permanent) or not error.uncertain:  # Jira said no: nothing was made
                with self.db.write() as conn:
                    conn.execute("UPDATE action_items SET jira_creating = 0 WHERE id = ?", (item_id,))
            raise
        self._set_action_key(item_id, key)
        # What the pull compares Jira with: a new issue is open; its assignee is known once set.
        remember_item(self.ids, item_id, status="open")
        return key

    def _set_action_key(self, item_id: int, key: str) -> None:
        with self.db.write() as conn:  # the item's own `updated_at` is the person's, not the sync's
            conn.execute("UPDATE action_items SET jira_key = ?, jira_creating = 0 WHERE id = ?", (key, item_id))

    def ensure_issue(self, incident: Incident, known: RemoteIncident | None = None) -> tuple[str, str]:
        """The incident's issue key, creating the issue once and only once. `known` is what the
        pass read; the database is asked again only if the key was not known then."""
        assert incident.id is not None
        if known is not None and known.jira_key:
            return known.jira_key, known.label
        remote = self.ids.incident(incident.id)
        if remote.jira_key:
            return remote.jira_key, remote.label
        if remote.jira_creating:
            found = self.adapter.find_issue(remote.label)
            if found:
                self.ids.update_incident(incident.id, jira_key=found, jira_creating=False)
                return found, remote.label
            # Jira's search can lag a create by a few seconds: give it time before creating again.
            waited = max(0.0, self.now() - remote.jira_creating_since)
            if waited < SEARCH_CATCH_UP_SECONDS:
                raise Transient("an earlier request to create the Jira issue got no answer and Jira's search does "
                                "not show the issue yet; looking again before creating it",
                                uncertain=True, retry_after=SEARCH_CATCH_UP_SECONDS - waited)
        self.ids.update_incident(incident.id, jira_creating=max(1, int(self.now())))
        try:
            key = self.adapter.create_issue(messages.jira_fields(incident, self.jira, remote.label))
        except (Permanent, Transient) as error:
            if isinstance(error, Permanent) or not error.uncertain:  # Jira said no: nothing was made
                self.ids.update_incident(incident.id, jira_creating=False)
            raise
        self.ids.update_incident(incident.id, jira_key=key, jira_creating=False)
        return key, remote.label


class SlackDelivery(Delivery):
    target = "slack"

    def __init__(self, database: Database, config: Config, adapter: SlackAdapter,
                 linked_thread: Callable[[RemoteIncident], tuple[str, str] | None] = lambda remote: None) -> None:
        super().__init__(database, config)
        self.adapter = adapter
        assert config.slack is not None
        self.slack = config.slack
        self.linked_thread = linked_thread  # the thread the incident's Jira issue links to (`thread_link.py`)
        self.intake = IntakeRepository(database)

    def _deliver(self, job: Job) -> str:
        """A drill goes only to the drill channel (`[drills] slack_channel`; nowhere without one):
        its parent and every reply a real incident would get, stakeholder updates as replies in
        its thread, people named and never mentioned, nothing broadcast."""
        if not job.incident.is_drill:
            report = self.report_thread(job)
            if report is not None:
                return self._answer_in_report_thread(job, report)
            return self._deliver_in_thread(job)
        if not self.config.drills.slack_channel:
            return drill_messages.NO_CHANNEL_NOTE
        try:
            return self._deliver_in_thread(job)
        except Permanent as error:  # the drill channel's own problem fails the drill, never real incidents
            raise Permanent(f"drill channel: {error.message}") from None

    def _deliver_in_thread(self, job: Job) -> str:
        incident, event, drill = job.incident, job.event, job.incident.is_drill
        channel, parent_ts, label = self.ensure_parent(incident, job.remote)
        if drill and channel != self.home_channel(incident):  # `[drills] slack_channel` changed meanwhile
            raise Permanent(f"the drill's Slack thread is in channel {channel}, which is no longer [drills] "
                            "slack_channel: its updates are not sent (discard them on the sync screen)")
        for step in messages.slack_steps(event, bool(self.slack.stakeholder_channel), drill):
            if step in job.done_steps:
                continue
            if step == "stakeholder":
                self._record(job, step, self.post_for_stakeholders(job, label))
            elif step == "parent":
                self.refresh_parent(incident)
                self._record(job, step, parent_ts)
            elif step == "reply":
                marker = messages.event_marker(label, event.id or 0)
                found = self.adapter.find_reply(channel, parent_ts, marker) if job.entry.uncertain else None
                if found is None:
                    found = self.adapter.post_reply(channel, parent_ts, self.reply_text(job),
                                                    messages.reply_metadata(label, event.id or 0),
                                                    self.slack.broadcasts(job.severity) and not drill)
                self._record(job, step, found)
        return ""

    def report_thread(self, job: Job) -> tuple[str, str] | None:
        """The Slack message (channel, ts) a report was made in, for an answer to its reporter;
        None for any other update, or an item not reported in Slack."""
        event, incident = job.event, job.incident
        if incident.id is None or messages.update_audience(event) != "reporter" or event.data.get("by_email"):
            return None
        return self.intake.slack_thread(incident.id)

    def _answer_in_report_thread(self, job: Job, report: tuple[str, str]) -> str:
        """A reporter's answer as a reply in their report's thread, mentioning them: it needs no
        incident message of its own (a triage item may have none yet). After a lost answer the
        reply is looked for in that thread (by its metadata) before it is posted again. A thread
        Slack will not take (the report deleted) sends the answer to the incident's thread instead."""
        event = job.event
        if "reply" in job.done_steps:
            return ""
        channel, ts = report
        label = job.remote.label
        marker = messages.event_marker(label, event.id or 0)
        try:
            found = self.adapter.find_reply(channel, ts, marker) if job.entry.uncertain else None
            if found is None:
                found = self.adapter.post_reply(channel, ts, self.reply_text(job),
                                                messages.reply_metadata(label, event.id or 0), False)
        except Permanent as error:
            if error.whole_target:
                raise
            note = f"the report's thread would not take the answer ({error.message}): sent in the incident's thread"
            return self._deliver_in_thread(job) or note
        self._record(job, "reply", found)
        return ""

    def reply_text(self, job: Job) -> str:
        event, incident = job.event, job.incident
        text = messages.slack_reply(event, self.config.person, incident.is_drill,
                                    self._jira_url(incident) if messages.postmortem_completed(event) else "")
        if not incident.is_drill:
            return text
        if messages.update_audience(event) == "stakeholders":
            text = drill_messages.stakeholder_reply(event, text)
        return drill_messages.unping(text)

    def home_channel(self, incident: Incident) -> str:
        """The channel id the incident's parent belongs in: the drill channel for a drill (refused
        if it is a real one), else the incident channel."""
        if incident.is_drill:
            return self.adapter.drill_channel_id(self.config.drills.slack_channel)
        return self.adapter.channel_id()

    def post_for_stakeholders(self, job: Job, label: str) -> str:
        """A stakeholder update in the stakeholder channel: the incident's first is a top-level
        post, later ones reply in its thread. A post or reply sent without an answer is looked
        for (by its metadata) before it is sent again. A problem with that channel fails this
        update only: the incident channel goes on."""
        event, incident = job.event, job.incident
        assert incident.id is not None
        marker = messages.event_marker(label, event.id or 0)
        metadata = messages.stakeholder_metadata(label, event.id or 0)
        text = messages.slack_reply(event, self.config.person)
        try:
            channel = self.adapter.stakeholder_channel_id()
            remote = self.ids.incident(incident.id)
            if remote.stakeholder_ts and remote.stakeholder_channel == channel:
                found = self.adapter.find_reply(channel, remote.stakeholder_ts, marker, messages.STAKEHOLDER_EVENT_TYPE) \
                    if job.entry.uncertain else None
                return found or self.adapter.post_reply(channel, remote.stakeholder_ts, text, metadata, False)
            if remote.stakeholder_creating:
                since = (incident.detected_at - timedelta(days=THREAD_SCAN_DAYS)).timestamp()
                found = self.adapter.find_message(channel, messages.STAKEHOLDER_EVENT_TYPE, "label", label, since)
                if found:
                    self.ids.update_incident(incident.id, stakeholder_channel=channel, stakeholder_ts=found,
                                             stakeholder_creating=False)
                    # The thread's answer includes the post itself: this update may be the post, or a reply.
                    sent = self.adapter.find_reply(channel, found, marker, messages.STAKEHOLDER_EVENT_TYPE)
                    return sent or self.adapter.post_reply(channel, found, text, metadata, False)
            self.ids.update_incident(incident.id, stakeholder_creating=True)
            ts = self.adapter.post_message(channel, text, metadata, "posting to the stakeholder channel")
            self.ids.update_incident(incident.id, stakeholder_channel=channel, stakeholder_ts=ts,
                                     stakeholder_creating=False)
            return ts
        except Permanent as error:  # the stakeholder channel's own problem stops only this update
            raise Permanent(f"stakeholder channel: {error.message}") from None

    def _jira_url(self, incident: Incident) -> str:
        """The incident's Jira issue, for a completed post-mortem's reply ('' when not needed or not known)."""
        if not self.config.jira or incident.id is None:
            return ""
        key = self.ids.incident(incident.id).jira_key
        return f"{self.config.jira.server}/browse/{key}" if key else ""

    def parent_text(self, incident: Incident) -> str:
        assert incident.id is not None
        key = self.ids.incident(incident.id).jira_key
        url = f"{self.config.jira.server}/browse/{key}" if key and self.config.jira else None
        text = messages.slack_parent(incident, self.config.person(incident.ic), url, self.roles.holders(incident.id),
                                     self.config.person)
        return drill_messages.unping(text) if incident.is_drill else text

    def ensure_parent(self, incident: Incident, known: RemoteIncident | None = None) -> tuple[str, str, str]:
        """The incident's parent message (channel, ts), posting it once and only once. `known`
        is what the pass read; the database is asked again only if no message was known then."""
        assert incident.id is not None
        if known is not None and known.slack_channel and known.slack_ts:
            return known.slack_channel, known.slack_ts, known.label
        remote = self.ids.incident(incident.id)
        if remote.slack_channel and remote.slack_ts:
            return remote.slack_channel, remote.slack_ts, remote.label
        pulled = not self.ids.is_ours(remote.label)
        home = self.home_channel(incident)  # a drill's: the drill channel
        if pulled:
            # A teammate's incident (pulled from Jira) already has its parent, posted by their
            # laptop, which links it from the Jira issue. (One in another channel, where this
            # team's bot may not be, is not ours to reply in.)
            linked = self.linked_thread(remote)
            if linked and linked[0] == home:
                self.ids.update_incident(incident.id, slack_channel=linked[0], slack_ts=linked[1],
                                         slack_creating=False, jira_thread_link=linked[1])
                return linked[0], linked[1], remote.label
            if linked:  # their link stays theirs: this laptop never points it at its own message
                self.ids.update_incident(incident.id, jira_thread_link=f"{NOT_LINKED}the issue links a thread in "
                                         f"another channel ({linked[0]})")
        if remote.slack_creating or pulled:
            since = (incident.detected_at - timedelta(days=THREAD_SCAN_DAYS)).timestamp()
            found = self.adapter.find_parent(remote.label, since, home)
            if found:
                # Ours if we were posting it (its answer was lost): we keep it current, starting
                # with the next refresh (what it says now is not known here).
                mine = {"slack_text": POSTED_HERE_TEXT_UNKNOWN} if remote.slack_creating else {}
                self.ids.update_incident(incident.id, slack_channel=found[0], slack_ts=found[1], slack_creating=False,
                                         **mine)
                return found[0], found[1], remote.label
        text = self.parent_text(incident)
        self.ids.update_incident(incident.id, slack_creating=True)
        channel, ts = self.adapter.post_parent(text, messages.parent_metadata(remote.label), home)
        self.ids.update_incident(incident.id, slack_channel=channel, slack_ts=ts, slack_creating=False, slack_text=text)
        return channel, ts, remote.label

    def refresh_parent(self, incident: Incident) -> None:
        """Bring the parent message up to date (status, severity, roles, Jira link) if it is stale.
        A teammate's message is theirs to keep (their record of the incident is the full one);
        one this laptop posted (no teammate's was found) is kept current here."""
        assert incident.id is not None
        remote = self.ids.incident(incident.id)
        if not self.ids.keeps_message(remote):
            return
        text = self.parent_text(incident)
        if remote.slack_channel and remote.slack_ts and text != remote.slack_text:
            self.adapter.update_parent(remote.slack_channel, remote.slack_ts, text)
            self.ids.update_incident(incident.id, slack_text=text)


class EmailDelivery(Delivery):
    """Stakeholder updates (and a reporter's answer) by email. SMTP cannot be asked whether a
    message arrived, so an attempt whose outcome is unknown is never repeated here: it fails as
    "may have been sent", and a person sends it again (the sync screen's retry) or discards it."""

    target = "email"

    def __init__(self, database: Database, config: Config, adapter: EmailAdapter,
                 now: Callable[[], float] = time.time) -> None:
        super().__init__(database, config)
        self.adapter = adapter
        self.now = now
        assert config.email is not None
        self.email = config.email

    def _deliver(self, job: Job) -> str:
        incident, event = job.incident, job.event
        if incident.is_drill:
            return "a drill: never emailed"
        assert incident.id is not None
        for step in messages.email_steps(event):
            if step in job.done_steps:
                continue
            if job.entry.uncertain:
                raise MaybeSent(job.entry.last_error if "may have been sent" in job.entry.last_error else
                                "may have been sent: an earlier attempt ended without an answer; check with a "
                                "recipient, then send it again (r on the sync screen) or discard it (d)")
            remote = self.ids.incident(incident.id)
            audience = messages.update_audience(event)
            marker = messages.event_marker(remote.label, event.id or 0)
            domain = self.email.sender.rsplit("@", 1)[-1]
            sent_id = message_id(marker.removeprefix("oncall-"), domain)  # <oncall-…-ev-3@domain>, prefixed once
            thread = remote.email_thread if audience == "stakeholders" else ""
            try:
                message = build_message(self.email, messages.email_recipients(event),
                                        messages.email_subject(event, incident), str(event.data.get("text") or event.text),
                                        sent_id, in_reply_to=thread, sent_at=event.at, marker=marker)
            except ValueError as problem:  # an address no relay would take: this update only, said why
                raise Permanent(f"cannot email this update: {problem}") from None
            self._record(job, step, self.adapter.send(message))
            if audience == "stakeholders" and not remote.email_thread:
                self.ids.update_incident(incident.id, email_thread=sent_id)
        return ""
