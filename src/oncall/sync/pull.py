"""Pulling incidents back from Jira, so a team with many laptops shares one queue.

Issues with the `data-incident` label updated since the last pull are read. One this database
does not know becomes a local incident (linked to the issue, so it is never created twice); for
one it knows, a status changed in Jira is applied as a new timeline event, unless local changes
are still waiting to go out (then the local side wins and Jira is brought in line by them).
Nothing is edited in place and nothing local is lost: a change the lifecycle does not allow is
recorded as a note instead.

Action items' issues (label `data-incident-action`) are read the same way: a status or an
assignee someone changed in Jira since the sync last saw the issue is applied to the item
(`PostmortemService`, marked as coming from Jira so it is not sent back), unless a change of the
item made here is still on its way out.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from pydantic import ValidationError

from oncall.domain.action_items import ActionItem, ActionStatus
from oncall.domain.clock import FrozenClock
from oncall.domain.incident import TITLE_MAX, DetectionSource, EventKind, Incident, TimelineEvent
from oncall.domain.rules import RuleViolation, check_transition
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.store.db import Database
from oncall.store.incidents import IncidentRepository
from oncall.store.outbox import TARGETS, OutboxStore
from oncall.store.remote_ids import RemoteIds
from oncall.store.timeline import TimelineRepository
from oncall.sync.jira_adapter import JiraAdapter, JiraIssue
from oncall.sync.messages import ACTION_ITEM_LABEL, DATA_INCIDENT_LABEL
from oncall.workspace.config import Config
from oncall.workspace.sync_config import JiraConfig

if TYPE_CHECKING:
    from oncall.service.postmortems import PostmortemService

log = logging.getLogger(__name__)

PULL_ACTOR = "jira"
_LABEL = re.compile(r"^oncall-[0-9a-z]+-inc-\d+$")
_SEV = re.compile(r"^sev-([123])$")
_SUMMARY_SEV = re.compile(r"^\[SEV-[123]\]\s*")
_ASSET = re.compile(r"\*Affected asset:\*\s*(\S{1,100})")
PULLED_AT = "jira_pulled_at"
ACTIONS_PULLED_AT = "jira_actions_pulled_at"  # kept back while an item's local change is on its way out
# sync_state key + item id: JSON {status, assignee} of the item's issue as the sync last saw or set it.
# Only a difference from it is a change made in Jira (an assignee Jira gave by default is not).
ITEM_SEEN_PREFIX = "jira_action_seen:"
_ACTION_LABEL = re.compile(r"^oncall-([0-9a-z]+)-inc-\d+-action-(\d+)$")
ACTION_FIELDS = "status,labels,assignee,updated"



@dataclass
class PullReport:
    created: int = 0
    updated: int = 0
    seen: int = 0
    skipped: list[str] = field(default_factory=list)  # "DATA-7: why", for issues not imported


def pull_from_jira(database: Database, config: Config, jira: JiraAdapter, now: float) -> PullReport:
    assert config.jira is not None
    ids = RemoteIds(database)
    last = ids.state(PULLED_AT)
    jql = f'project = "{config.jira.project}" AND labels = "{DATA_INCIDENT_LABEL}"'
    if last:
        # Relative JQL dates do not depend on the Jira user's time zone; two minutes of overlap.
        minutes = int((now - float(last)) // 60) + 2
        jql += f' AND updated >= "-{minutes}m"'
    report = PullReport()
    skipped = ids.pull_skipped()
    for issue in jira.search(jql + " ORDER BY updated ASC"):
        report.seen += 1
        try:
            _apply(database, config, ids, issue, now, report)
        except sqlite3.OperationalError:
            raise  # this laptop's database is busy: the whole pull is tried again
        except Exception as error:  # whatever one issue holds, it never stops the pull
            why = _why(error)
            log.warning("jira pull: %s not imported: %s", issue.key, why, exc_info=not isinstance(error, ValueError))
            skipped[issue.key] = why
            report.skipped.append(f"{issue.key}: {why}")
        else:
            skipped.pop(issue.key, None)
    _pull_action_items(database, config, jira, ids, now, report, skipped)
    ids.set_pull_skipped(skipped)
    ids.set_state(PULLED_AT, repr(now))
    return report


def _why(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return f"{type(error).__name__}: {error}"[:300]


def _apply(database: Database, config: Config, ids: RemoteIds, issue: JiraIssue, now: float, report: PullReport) -> None:
    label = next((item for item in issue.labels if _LABEL.match(item)), None)
    known = ids.by_jira_key(issue.key) or (ids.by_label(label) if label else None)
    if known is None and label and label.startswith(f"oncall-{ids.origin()}-inc-"):
        # Ours: created by a try whose answer was lost; link it rather than import it.
        incident_id = int(label.rsplit("-", 1)[1])
        if database.conn.execute("SELECT 1 FROM incidents WHERE id = ?", (incident_id,)).fetchone():
            ids.update_incident(incident_id, jira_key=issue.key, jira_creating=False)
            return
    if known is None:
        _import(database, config, ids, issue, label or f"jira-{issue.key.lower()}", now)
        report.created += 1
        return
    if _apply_status(database, config, known.incident_id, issue, now):
        report.updated += 1
    ids.update_incident(known.incident_id, jira_updated=issue.updated)


def _status_from_jira(config: Config, name: str) -> Status | None:
    wanted = name.strip().lower()
    assert config.jira is not None
    for status, transition in config.jira.transitions.items():
        if transition.strip().lower() == wanted:
            return Status(status)
    return next((s for s in Status if s.value == wanted), None)


def _moment(now: float) -> datetime:
    return datetime.fromtimestamp(now, timezone.utc).replace(microsecond=0)


def _jira_time(text: str) -> datetime | None:
    """Jira's `2026-11-27T09:30:00.000+0000` (or any ISO 8601 moment with a zone), in UTC to the
    second; None for anything else."""
    for read in (lambda: datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z"), lambda: datetime.fromisoformat(text)):
        try:
            moment = read()
        except ValueError:
            continue
        if moment.tzinfo is not None:
            return moment.astimezone(timezone.utc).replace(microsecond=0)
    return None


def _title(issue: JiraIssue) -> str:
    """The summary without our `[SEV-n]` prefix, cut to fit a title; the key if it is empty."""
    title = " ".join(_SUMMARY_SEV.sub("", issue.summary).split())
    if len(title) > TITLE_MAX:
        title = title[:TITLE_MAX - 1].rstrip() + "…"
    return title or issue.key


def _import(database: Database, config: Config, ids: RemoteIds, issue: JiraIssue, label: str, now: float) -> None:
    at = _moment(now)
    # When the teammate opened it: the queue's age, and where to look for its Slack message.
    created = min(_jira_time(issue.created) or at, at)
    severity = next((Severity(f"SEV-{m.group(1)}") for m in map(_SEV.match, issue.labels) if m), Severity.SEV2)
    status = _status_from_jira(config, issue.status) or Status.INVESTIGATING
    asset = _ASSET.search(issue.description or "")
    incident = Incident(
        title=_title(issue),
        severity=severity,
        status=status,
        asset=asset.group(1) if asset else "unknown",
        source=DetectionSource.DRILL if "drill" in issue.labels else DetectionSource.USER_REPORT,
        is_drill="drill" in issue.labels,
        detected_at=created,
        declared_at=None if status is Status.TRIAGE else created,
        updated_at=at,
    )
    with database.write():
        incident = IncidentRepository(database).insert(incident)
        assert incident.id is not None
        ids.update_incident(incident.id, label=label, jira_key=issue.key, jira_updated=issue.updated)
        _append_from_jira(database, TimelineEvent(
            incident_id=incident.id, at=at, actor=PULL_ACTOR, kind=EventKind.DECLARED,
            text=f"{severity.value} pulled from Jira {issue.key} (declared by a teammate)",
            data={"severity": severity.value, "status": status.value, "jira": issue.key},
        ), now)


def _apply_status(database: Database, config: Config, incident_id: int, issue: JiraIssue, now: float) -> bool:
    remote = _status_from_jira(config, issue.status)
    incidents = IncidentRepository(database)
    with database.write():
        local = incidents.get(incident_id)
        if remote is None or remote == local.status:
            return False
        if OutboxStore(database).head("jira", incident_id) is not None:
            return False  # local changes still going out win; they will move Jira on
        at = _moment(now)
        try:
            check_transition(local.status, remote, local.severity, reason=f"changed in Jira {issue.key}")
        except RuleViolation as refused:
            _append_from_jira(database, TimelineEvent(
                incident_id=incident_id, at=at, actor=PULL_ACTOR, kind=EventKind.NOTE,
                text=f"Jira {issue.key} shows status {issue.status!r}; kept {local.status.value} here ({refused})",
            ), now)
            return True
        changes = {"status": remote, "updated_at": at}
        if remote is Status.RESOLVED:
            changes["resolved_at"] = at
        elif remote is Status.CLOSED:
            changes["closed_at"] = at
        incidents.save(local.model_copy(update=changes))
        _append_from_jira(database, TimelineEvent(
            incident_id=incident_id, at=at, actor=PULL_ACTOR, kind=EventKind.STATUS_CHANGED,
            text=f"{local.status.value} → {remote.value} (changed in Jira {issue.key})",
            data={"from": local.status.value, "to": remote.value, "reason": f"changed in Jira {issue.key}",
                  "source": "jira"},
        ), now, tell_slack=_keeps_message(database, incident_id))
    return True


def _keeps_message(database: Database, incident_id: int) -> bool:
    ids = RemoteIds(database)
    return ids.keeps_message(ids.incident(incident_id))


def _append_from_jira(database: Database, event: TimelineEvent, now: float, *, tell_slack: bool = False) -> None:
    """Append to the timeline; the outbox entry is already delivered to Jira (it came from
    there). Slack is told only with `tell_slack` (for incidents declared here): a status set in
    Jira's own screens refreshes our incident message (safe to repeat), but no thread reply is
    posted, since a teammate's oncall may already have posted one."""
    appended = TimelineRepository(database).append(event)
    outbox_id = database.conn.execute("SELECT id FROM outbox WHERE event_id = ?", (appended.id,)).fetchone()[0]
    store = OutboxStore(database)
    for target in TARGETS:
        if target != "slack" or not tell_slack:
            store.mark_delivered_elsewhere(outbox_id, target, now, "came from Jira")


# -- action items --------------------------------------------------------------------------------


def seen_item(ids: RemoteIds, item_id: int) -> dict[str, str]:
    try:
        found = json.loads(ids.state(f"{ITEM_SEEN_PREFIX}{item_id}") or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def remember_item(ids: RemoteIds, item_id: int, **values: str) -> None:
    """What the item's issue shows now (`status`: open, done or wont-do; `assignee`: an account,
    '' for none), as the delivery just set it or the pull just read it."""
    ids.set_state(f"{ITEM_SEEN_PREFIX}{item_id}", json.dumps({**seen_item(ids, item_id), **values}, sort_keys=True))


def _pull_action_items(database: Database, config: Config, jira: JiraAdapter, ids: RemoteIds, now: float,
                       report: PullReport, skipped: dict[str, str]) -> None:
    assert config.jira is not None
    last = ids.state(ACTIONS_PULLED_AT)
    jql = f'project = "{config.jira.project}" AND labels = "{ACTION_ITEM_LABEL}"'
    if last:
        jql += f' AND updated >= "-{int((now - float(last)) // 60) + 2}m"'
    from oncall.service.postmortems import PostmortemService  # the service imports much; the pull rarely needs it

    service = PostmortemService(database, config, FrozenClock(_moment(now)), PULL_ACTOR)
    held = False
    for issue in jira.search(jql + " ORDER BY updated ASC", fields=ACTION_FIELDS):
        try:
            outcome = _apply_action_item(database, config, ids, service, issue, now)
        except sqlite3.OperationalError:
            raise
        except Exception as error:  # one odd issue never stops the pull
            why = _why(error)
            log.warning("jira pull: action item issue %s not applied: %s", issue.key, why,
                        exc_info=not isinstance(error, ValueError))
            skipped[issue.key] = why
            report.skipped.append(f"{issue.key}: {why}")
            continue
        skipped.pop(issue.key, None)
        held = held or outcome == "held"
        if outcome == "updated":
            report.updated += 1
    if not held:  # otherwise the next pull reads the held issues again, once the local change is out
        ids.set_state(ACTIONS_PULLED_AT, repr(now))


def item_status(config: JiraConfig, status: str, category: str) -> ActionStatus:
    """An item issue's status as an item's: won't do for one of `wont_do_statuses`, done for
    another in Jira's done category, else open."""
    if config.wont_do(status):
        return ActionStatus.WONT_DO
    return ActionStatus.DONE if category == "done" else ActionStatus.OPEN


def _apply_action_item(database: Database, config: Config, ids: RemoteIds, service: "PostmortemService",
                       issue: JiraIssue, now: float) -> str:
    """'updated' (a change made in Jira was applied), 'held' (a local change is on its way out),
    or '' (nothing new, or not an item of this database)."""
    row = database.conn.execute("SELECT id FROM action_items WHERE jira_key = ?", (issue.key,)).fetchone()
    if row is None:
        match = next((m for m in map(_ACTION_LABEL.match, issue.labels) if m), None)
        if match is None or match.group(1) != ids.origin():
            return ""  # a teammate's item (their laptop pulls it), or not made by oncall
        with database.write() as conn:  # ours, created by a try whose answer was lost: link it
            linked = conn.execute("UPDATE action_items SET jira_key = ?, jira_creating = 0 "
                                  "WHERE id = ? AND jira_key IS NULL", (issue.key, int(match.group(2)))).rowcount
        if not linked:
            return ""
        row = (int(match.group(2)),)
    item_id = int(row[0])
    assert config.jira is not None
    remote_status, account = item_status(config.jira, issue.status, issue.status_category), issue.assignee
    applied = False
    with database.write():
        if _item_going_out(database, item_id):
            return "held"  # local changes win; delivering them brings Jira in line
        item: ActionItem = service.items.get(item_id)
        seen = seen_item(ids, item_id)
        first_outbox = database.conn.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0]
        if seen.get("status", remote_status.value) != remote_status.value and remote_status is not item.status:
            reason = f"set to {issue.status!r} in Jira {issue.key}" if remote_status is ActionStatus.WONT_DO else ""
            service.move_action(item_id, remote_status, reason, source="jira")
            applied = True
        if seen.get("assignee", account) != account:
            person = next((p for p in config.people if account and p.jira_account == account), None)
            if person is not None and person.id != item.owner:
                service.change_action(item_id, owner=person.id, source="jira")
                applied = True
        remember_item(ids, item_id, status=remote_status.value, assignee=account)
        store = OutboxStore(database)
        for (outbox_id,) in database.conn.execute("SELECT id FROM outbox WHERE id > ?", (first_outbox,)).fetchall():
            store.mark_delivered_elsewhere(outbox_id, "jira", now, "came from Jira")
    return "updated" if applied else ""


def _item_going_out(database: Database, item_id: int) -> bool:
    """A change of the item made here is not yet delivered to Jira (pending, or failed and waiting for a person)."""
    return database.conn.execute(
        "SELECT 1 FROM outbox o JOIN timeline t ON t.id = o.event_id "
        "LEFT JOIN sync_delivery d ON d.outbox_id = o.id AND d.target = 'jira' "
        "WHERE o.incident_id = (SELECT incident_id FROM action_items WHERE id = :item) "
        "AND o.id >= coalesce((SELECT settled_below FROM sync_cursor WHERE target = 'jira'), 0) "
        "AND t.kind = :kind AND json_extract(t.data, '$.item') = :item "
        "AND coalesce(d.state, 'pending') IN ('pending', 'failed') LIMIT 1",
        {"item": item_id, "kind": EventKind.ACTION_ITEM.value}).fetchone() is not None
