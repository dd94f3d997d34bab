"""Pulling incidents back from Jira, so a team with many laptops shares one queue.

Issues with the `data-incident` label updated since the last pull are read. One this database
does not know becomes a local incident (linked to the issue, so it is never created twice); for
one it knows, a status changed in Jira is applied as a new timeline event, unless local changes
are still waiting to go out (then the local side wins and Jira is brought in line by them).
Nothing is edited in place and nothing local is lost: a change the lifecycle does not allow is
recorded as a note instead.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pydantic import ValidationError

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
from oncall.sync.messages import DATA_INCIDENT_LABEL
from oncall.workspace.config import Config

log = logging.getLogger(__name__)

PULL_ACTOR = "jira"
_LABEL = re.compile(r"^oncall-[0-9a-z]+-inc-\d+$")
_SEV = re.compile(r"^sev-([123])$")
_SUMMARY_SEV = re.compile(r"^\[SEV-[123]\]\s*")
_ASSET = re.compile(r"\*Affected asset:\*\s*(\S{1,100})")
PULLED_AT = "jira_pulled_at"



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
