"""Pulling from the outside: incidents back from Jira, so a team with many laptops shares one
queue, and reports people make in the Slack incident channel.

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

Reports in Slack (`pull_slack_reports`, docs/slack-reports.md): the incident channel's recent
messages are read; a person's message someone reacted to with the report emoji, or that starts
with the report prefix, becomes a triage item (`IntakeService.report`, one per message), its
author answered in its thread by the delivery. A team's laptops all read the channel, so the
first to see a report claims it with this app's reaction (`already_reacted` tells the others it
is taken); the item reaches their queues through Jira.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from oncall.domain.action_items import ActionItem, ActionStatus
from oncall.domain.clock import FrozenClock
from oncall.domain.incident import TITLE_MAX, DetectionSource, EventKind, Incident, TimelineEvent
from oncall.domain.detection import UNKNOWN_ASSET
from oncall.domain.rules import RuleViolation, check_transition
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.intake import slack_reports
from oncall.store.db import Database
from oncall.store.incidents import IncidentRepository
from oncall.store.intake import SyncState
from oncall.store.outbox import TARGETS, OutboxStore
from oncall.store.remote_ids import RemoteIds
from oncall.store.timeline import TimelineRepository
from oncall.sync.errors import Permanent
from oncall.sync.jira_adapter import JiraAdapter, JiraIssue
from oncall.sync.messages import ACTION_ITEM_LABEL, DATA_INCIDENT_LABEL
from oncall.sync.slack_adapter import SlackAdapter
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
_SOURCE = re.compile(r"\*Detected by:\*\s*([a-z_]{1,20})")
_REPORTER = re.compile(r"\*Reported by:\*\s*(\S{1,254})")
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
    source = _pulled_source(issue)
    reporter = _REPORTER.search(issue.description or "") if isinstance(issue.description, str) else None
    incident = Incident(
        title=_title(issue),
        severity=severity,
        status=status,
        asset=asset.group(1) if asset else "unknown",
        source=source,
        is_drill="drill" in issue.labels,
        reported_by=_reporter(config, reporter.group(1)) if reporter else "",
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


def _pulled_source(issue: JiraIssue) -> DetectionSource:
    """How a teammate's incident was found, as its description says (a drill by its label)."""
    if "drill" in issue.labels:
        return DetectionSource.DRILL
    said = _SOURCE.search(issue.description) if isinstance(issue.description, str) else None
    try:
        source = DetectionSource(said.group(1)) if said else DetectionSource.USER_REPORT
    except ValueError:
        return DetectionSource.USER_REPORT
    return DetectionSource.USER_REPORT if source is DetectionSource.DRILL else source


def _reporter(config: Config, text: str) -> str:
    """The reporter the description names, if it is one oncall can answer; else nobody."""
    from oncall.domain.reporter import parse_reporter
    from oncall.domain.rules import RuleViolation

    try:
        found = parse_reporter(text, lambda person: config.person(person) is not None)
    except RuleViolation:
        return ""
    return found.value if found else ""


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


# -- reports in Slack ----------------------------------------------------------------------------

# Reactions land on older messages: every pull reads the last day of the channel. After a gap
# (the laptop was off), prefix reports are read from where the last pull stopped, up to 3 days back.
REPORT_WINDOW_SECONDS = 24 * 3600
REPORT_CATCH_UP_SECONDS = 3 * 24 * 3600
CLOCK_SKEW_SECONDS = 300.0
CLAIM_EMOJI = "eyes"  # this app's reaction on a report it took: 👀, and the other laptops leave it
READ_TO = "slack_reports_read_to"  # sync_state: the newest message ts the last pull read
CLAIMS = "slack_report_claims"  # sync_state: JSON {ts: when} of claims whose item is not made yet
REFUSED = "slack_reports_refused"  # sync_state: JSON {ts: why} of reports that cannot become items


@dataclass
class ReportPull:
    read: int = 0  # messages read
    opened: list[int] = field(default_factory=list)  # incident ids of new triage items
    refused: list[str] = field(default_factory=list)  # "ts: why", for reports that made no item
    notice: str = ""  # what stops nothing but a person should know (a claim Slack refused)


def pull_slack_reports(database: Database, config: Config, slack: SlackAdapter, now: float,
                       root: Path | None = None) -> ReportPull:
    """Read the incident channel and open a triage item for each new report in it. A Slack error
    stops this pull (raised, for the worker to note), never the deliveries; what was opened stays."""
    from oncall.service.intake import IntakeService  # the services import much; the pull needs them rarely
    from oncall.store.lineage import with_lineage

    assert config.slack is not None
    settings, state = config.slack, SyncState(database)
    me = slack.identity()
    channel = slack.channel_id()
    read_to = _seconds(state.get(READ_TO))
    window = now - REPORT_WINDOW_SECONDS
    oldest = window if read_to is None else max(now - REPORT_CATCH_UP_SECONDS, min(read_to, window))
    messages = slack.history(channel, oldest, "reading the incident channel for reports")
    result = ReportPull(read=len(messages))
    claims = _recent(state, CLAIMS, now)
    refused = _recent(state, REFUSED, now)
    config = with_lineage(config, database)  # dbt's models and dashboards are assets a report may name
    intake = IntakeService(database, config, FrozenClock(_moment(now)), root=root)
    for message in reversed(messages):  # oldest first: items are numbered as the reports came
        found = slack_reports.report_in(message, emoji=settings.report_emoji, prefix=settings.report_prefix,
                                        bot_user=me.user_id)
        if found is None or found.ts in refused:
            continue
        key = slack_reports.report_key(channel, found.ts)
        if intake.items.latest(key) is not None:
            continue  # made into an item here already
        claimed = slack_reports.reacted_by(message, CLAIM_EMOJI, me.user_id)
        if claimed and found.ts not in claims:
            continue  # a teammate's oncall took it; it reaches this queue through Jira
        if not claimed:  # (claimed and in `claims`: this laptop's claim, its item not made yet)
            claims[found.ts] = repr(now)
            state.put(CLAIMS, json.dumps(claims))  # before the reaction: a lost answer is ours next time
            try:
                answer = slack.react(channel, found.ts, CLAIM_EMOJI)
            except Permanent as error:  # no reactions:write, too many reactions: taken without a claim
                answer, result.notice = "", f"reports are taken without claiming them ({error.message})"
            if answer:  # already_reacted: a teammate's laptop was quicker; message_not_found: deleted
                claims.pop(found.ts, None)
                state.put(CLAIMS, json.dumps(claims))
                continue
        link = slack_reports.message_link(me.url, channel, found.ts) if me.url else ""
        try:
            result.opened.append(_open_report(database, config, intake, channel, found, key, link))
        except sqlite3.OperationalError:
            raise  # the database is busy: the claim stays, and the next pull makes the item
        except (RuleViolation, ValueError) as error:  # an author id oncall cannot take as a reporter, say
            log.warning("slack report %s not taken: %s", found.ts, error)
            refused[found.ts] = str(error)[:300]
            result.refused.append(f"{found.ts}: {error}")
            state.put(REFUSED, json.dumps(refused))
        claims.pop(found.ts, None)
        state.put(CLAIMS, json.dumps(claims))
    # Read up to the newest message, or (a quiet channel) to a few minutes ago: Slack's clock and
    # this laptop's may differ by that much, and after a long gap the next pull starts from here.
    newest = max([_seconds(str(m.get("ts"))) or 0.0 for m in messages] + [now - CLOCK_SKEW_SECONDS])
    if newest > (read_to or 0.0):
        state.put(READ_TO, f"{newest:.6f}")
    return result


def _open_report(database: Database, config: Config, intake, channel: str, found: "slack_reports.SlackReport",
                 key: str, link: str) -> int:
    """The triage item for one report, with a note of who reported and flagged it, in one transaction.
    The service makes the reporter the roster person with the author's Slack id (else the Slack id
    itself) and puts the item on the one asset the text names (`IntakeService.report`)."""
    with database.write():
        reported = intake.report(found.reporter, found.text, link=link, key=key, slack_thread=(channel, found.ts))
        incident = reported.incident
        assert incident.id is not None
        asset = "" if incident.asset == UNKNOWN_ASSET else incident.asset
        if reported.created:
            assert config.slack is not None
            text = f"reported in Slack by {_slack_person(config, found.reporter)}"
            if found.how == "prefix":
                text += f' (a message starting with "{config.slack.report_prefix}")'
            others = [user for user in found.flagged_by if user != found.reporter]
            if found.flagged_by:
                text += f"; flagged with :{config.slack.report_emoji}: by " + (
                    ", ".join(_slack_person(config, user) for user in others) if others else "the reporter")
            if not asset:
                text += "; no asset named: the IC chooses"
            intake.note(incident.id, text, {"intake": "slack-report", "how": found.how,
                                            "reporter_slack_id": found.reporter, "flagged_by": list(found.flagged_by),
                                            "asset_guessed": asset, "link": link})
    return incident.id


def _slack_person(config: Config, slack_id: str) -> str:
    person = next((p for p in config.people if p.slack_id and p.slack_id == slack_id), None)
    return f"{person.name} ({slack_id})" if person else slack_id


def _seconds(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _recent(state: SyncState, name: str, now: float) -> dict[str, str]:
    """A JSON {ts: value} kept in sync_state, without the messages older than the pull reads."""
    try:
        found = json.loads(state.get(name) or "{}")
    except ValueError:
        return {}
    if not isinstance(found, dict):
        return {}
    oldest = now - REPORT_WINDOW_SECONDS - REPORT_CATCH_UP_SECONDS
    return {str(ts): str(value) for ts, value in found.items() if (_seconds(str(ts)) or 0.0) >= oldest}
