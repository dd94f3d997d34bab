"""Fifteen hand-written incidents in every status and severity, played through the real service
so their timelines are exactly what a person using oncall would have produced."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from datetime import datetime, timedelta

from oncall.domain.clock import FrozenClock
from oncall.domain.incident import DetectionSource
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.domain.people import Role
from oncall.service.incidents import Declaration, IncidentService
from oncall.store.db import Database
from oncall.workspace.config import Config

S1, S2, S3 = Severity.SEV1, Severity.SEV2, Severity.SEV3
ALERT, REPORT = DetectionSource.ALERT, DetectionSource.USER_REPORT


@dataclass(frozen=True)
class Sample:
    ago: timedelta  # when it was detected, before now
    title: str
    severity: Severity
    asset: str
    source: DetectionSource
    impact: str
    ic: str
    went_bad_before: timedelta  # how long before detection the data went bad
    # (minutes after detection, actor, action, argument, reason)
    script: tuple[tuple[int, str, str, str, str], ...] = ()
    triage: bool = False
    reporter: str = ""  # who reported it: a roster id, a Slack id or an email address


CRM_ROOT_CAUSE = """The vendor's CRM API began returning at most 50,000 rows per request and signalled more rows \
only in a `Link` header. The connector read one page and treated it as the whole export, so new \
customers were undercounted by 30% and CAC read high.

### Contributing factors

- The connector had no check on the number of rows against the previous week.
- The vendor's change was announced in a changelog nobody on the team follows.

### Five whys

1. Why was CAC too high? New customers were undercounted by 30%.
2. Why were they undercounted? The CRM export stopped at 50,000 rows.
3. Why did it stop there? The API paginates, and the connector read only the first page.
4. Why did the connector read one page? It was written when the export fitted in one response.
5. Why did nothing notice? No check compares the export's size with earlier weeks.
"""

CRM_WENT_POORLY = """- The alert fired on the dashboard, not on the export: 7 hours after the data went bad.
- The vendor's change log is not part of anyone's routine.
"""


SAMPLES: tuple[Sample, ...] = (
    Sample(timedelta(minutes=48), "Weekly CAC up 340% on the exec dashboard", S1, "cac-dashboard", REPORT,
           "CAC for week 47 shows $412 instead of ~$95; the 11 AM business review uses it.", "maya",
           timedelta(hours=9), reporter="sofia", script=(
               (2, "maya", "role", "sme:lukas", "Knows the CRM export and stg_ad_spend."),
               (2, "maya", "role", "lead:grace", ""),
               (2, "maya", "role", "pm:omar", "Owns the 11 AM business review."),
               (3, "maya", "note", "Asked #data-incidents to stop DMing; updates here every 30 min.", ""),
               (4, "maya", "update", "reporter-acknowledged", "Checking the CRM export and the CAC pipeline."),
               (9, "lukas", "note", "stg_ad_spend row count normal; new-customer count dropped 78% on Sunday.", ""),
               (21, "maya", "status", "identified", "CRM export delivered a partial file (schema change upstream)."),
               (26, "maya", "eta", "Backfill running; right numbers within the hour", ""),
           )),
    Sample(timedelta(hours=3, minutes=10), "Meta spend export missing for yesterday", S2, "meta-ads-api", ALERT,
           "Marketing ROI dashboard understates spend for Nov 26.", "tom", timedelta(hours=14), (
               (4, "tom", "role", "sme:priya", ""),
               (5, "tom", "note", "API returns 200 with an empty page since a token rotation.", ""),
               (10, "tom", "update", "technical-initial", "Pulling the token rotation apart with the vendor."),
               (130, "tom", "update", "stakeholders-update", "Waiting on Meta support; backfill once it answers."),
           )),
    Sample(timedelta(minutes=12), "Dashboard shows no data for Brazil", S3, "marketing-roi-dashboard", REPORT,
           "One region blank; other regions fine.", "priya", timedelta(hours=2), (), True,
           reporter="ana.silva@acme.example"),
    Sample(timedelta(minutes=35), "dbt source freshness: stg_ad_spend stale 26h", S2, "stg-ad-spend", ALERT,
           "", "maya", timedelta(hours=26), (), True),
    Sample(timedelta(hours=6), "fct_weekly_cac duplicated rows after re-run", S2, "fct-weekly-cac", ALERT,
           "Weekly CAC halved for weeks 44-46 in ad-hoc queries.", "priya", timedelta(hours=1), (
               (15, "priya", "status", "identified", "Non-idempotent insert in the re-run path."),
               (80, "priya", "status", "monitoring", "Deduplicated and switched to MERGE; watching next run."),
               (300, "priya", "update", "stakeholders-update", "Watching tonight's run; numbers correct since 07:20."),
           )),
    Sample(timedelta(days=1, hours=4), "Google Ads currency field changed to micros", S1, "google-ads-api", ALERT,
           "Spend inflated 1,000,000× in stg_ad_spend; CAC dashboard unusable.", "tom", timedelta(hours=5), (
               (10, "grace", "note", "Paging Lukas as SME for the ads connectors.", ""),
               (30, "lukas", "status", "identified", "API v17 returns cost_micros; connector assumed units."),
               (95, "lukas", "status", "monitoring", "Connector patched, 3 days backfilled."),
               (190, "tom", "status", "resolved", "Numbers match the Ads UI for the last 14 days."),
               (200, "tom", "cause", "upstream-schema-change", ""),
               (210, "tom", "pm-draft", "", ""),
               (215, "tom", "action", "Contract test for the Ads API's cost fields|lukas||medium", ""),
           )),
    Sample(timedelta(days=3), "New-customer counts off by one day (time zone)", S2, "stg-new-customers", REPORT,
           "Daily signups shifted a day for EU customers.", "priya", timedelta(days=2), (
               (40, "priya", "status", "identified", "CRM export switched to local time."),
               (300, "priya", "status", "resolved", "Normalised to UTC in staging; backfilled 30 days."),
           )),
    Sample(timedelta(days=9), "CAC pipeline failed silently on Sunday", S2, "cac-pipeline", REPORT,
           "Monday dashboard showed last week's CAC.", "maya", timedelta(hours=30), (
               (20, "maya", "status", "identified", "Orchestrator marked the run success after a skipped task."),
               (120, "maya", "status", "resolved", "Re-ran; alert added for skipped tasks."),
               (125, "maya", "cause", "orchestrator", ""),
               (130, "maya", "action", "Alert on skipped tasks in the CAC DAG|maya|3|high", ""),
               (1500, "maya", "action-done", "1", ""),
               (2880, "grace", "status", "closed", "Post-mortem reviewed with the pilot team."),
           )),
    Sample(timedelta(days=14), "Stale CAC tile after warehouse maintenance", S3, "cac-dashboard", ALERT,
           "Tile cached for 36h; workaround: refresh manually.", "tom", timedelta(hours=36), (
               (30, "tom", "status", "resolved", "Cache TTL reset."),
               (60, "tom", "status", "closed", ""),
           )),
    Sample(timedelta(days=2), "Spike in signups is a real campaign, not a bug", S3, "stg-new-customers", REPORT,
           "", "priya", timedelta(hours=3), (
               (25, "priya", "status", "dismissed", "Confirmed with Growth: Black Friday campaign launched."),
           ), True),
    Sample(timedelta(hours=20), "Marketing ROI numbers disagree with finance sheet", S3, "marketing-roi-dashboard", REPORT,
           "Finance sees 4% lower spend for October.", "tom", timedelta(days=5), (
               (60, "tom", "note", "Finance sheet excludes agency fees; checking definitions with Omar.", ""),
           )),
    Sample(timedelta(days=20), "CRM export truncated at 50k rows", S1, "crm-signups", ALERT,
           "New customers undercounted by 30%; CAC inflated on the exec dashboard.", "maya", timedelta(hours=7), (
               (12, "maya", "status", "identified", "Vendor API silently paginates at 50k."),
               (150, "maya", "status", "resolved", "Pagination implemented; backfill complete, no data lost."),
               (200, "maya", "cause", "vendor-api-pagination", ""),
               (1440, "maya", "pm-draft", "", ""),
               (1500, "maya", "pm-set", "root-cause", CRM_ROOT_CAUSE),
               (1500, "maya", "pm-set", "went-poorly", CRM_WENT_POORLY),
               (1510, "maya", "pm-fill", "impact", "The exec dashboard's CAC and the weekly business review's "
                "acquisition figures for that week; nothing was decided on them before the fix."),
               (1510, "maya", "pm-fill", "detection", "A row-count check on the CRM export itself would have "
                "fired at the first truncated load, about 7 hours earlier (action item below)."),
               (1510, "grace", "pm-fill", "went-well", "The backfill was scripted and finished within the hour; "
                "no data was lost."),
               (1560, "maya", "action", "Alert when the CRM export's row count drops 20% week over week|lukas|14|high",
                ""),
               (1560, "maya", "action", "Read the vendor API's pagination headers in the connector|maya|14|medium", ""),
               (1560, "grace", "action", "Add the CRM export to the weekly data-quality review|grace|30|low", ""),
               (2000, "lukas", "action-done", "1", ""),
               (2880, "maya", "pm-status", "in-review", ""),
               (4000, "grace", "pm-status", "complete", ""),
               (4320, "grace", "status", "closed", ""),
           )),
    Sample(timedelta(hours=1, minutes=30), "Ad spend for TikTok campaigns missing", S2, "stg-ad-spend", REPORT,
           "New TikTok channel not mapped; CAC excludes its spend.", "maya", timedelta(days=1), (
               (8, "maya", "ic", "lukas", ""),
               (14, "lukas", "severity", "SEV-2", "Affects the CAC dashboard used in weekly review."),
               (20, "lukas", "update", "technical-initial", "Mapping the new TikTok channel in the spend model."),
           )),
    Sample(timedelta(days=5), "Weekly CAC job ran twice", S3, "cac-pipeline", ALERT,
           "Duplicate Slack report; data unaffected.", "priya", timedelta(minutes=30), (
               (10, "priya", "status", "resolved", "Scheduler retry after a timeout; made the job idempotent."),
               (15, "priya", "cause", "orchestrator", ""),
           )),
    Sample(timedelta(days=30), "Warehouse credentials expired, all loads failed", S1, "cac-pipeline", ALERT,
           "Every dashboard stale for 6 hours.", "tom", timedelta(hours=6), (
               (5, "tom", "status", "identified", "Service account key expired."),
               (25, "tom", "status", "resolved", "Key rotated; loads caught up."),
           )),
)


def seed_samples(database: Database, config: Config, now: datetime) -> int:
    """Write the samples into `database` as if they had happened before `now`."""
    clock = FrozenClock(now)
    count = 0
    with database.write():  # all or nothing: a half-seeded demo would be confusing
        count = _replay(database, config, clock, now)
    return count


def _replay(database: Database, config: Config, clock: FrozenClock, now: datetime) -> int:
    count = 0
    for sample in SAMPLES:
        detected = now - sample.ago
        clock.set(detected)  # replay history at its own time
        service = IncidentService(database, config, clock, sample.ic)
        started = None if sample.triage else detected - sample.went_bad_before
        incident = service.declare(Declaration(
            title=sample.title,
            severity=Severity.SEV3 if any(step[2] == "severity" for step in sample.script) else sample.severity,
            asset=sample.asset,
            source=sample.source,
            impact=sample.impact,
            started_at=started,
            ic=sample.ic,
            status=Status.TRIAGE if sample.triage else Status.INVESTIGATING,
            reported_by=sample.reporter,
        ))
        assert incident.id is not None
        items: list[int] = []  # the incident's action items, in the order the script adds them
        for minutes, actor, action, argument, reason in sample.script:
            clock.set(detected + timedelta(minutes=minutes))
            service.actor = actor
            if action == "note":
                service.add_note(incident.id, argument)
            elif action == "status":
                service.change_status(incident.id, Status(argument), reason)
            elif action == "severity":
                service.change_severity(incident.id, Severity(argument), reason)
            elif action == "eta":
                service.set_eta(incident.id, argument)
            elif action == "ic":
                service.assign_ic(incident.id, argument)
            elif action == "update":  # a stakeholder update from a built-in template
                from oncall.service.comms import CommsService, render_update

                slack_text, text = render_update(service, Path("/nonexistent"), incident.id, f"{argument}.md.j2",
                                                 extra={"doing": reason})
                CommsService(database, config, clock, actor).send(incident.id, f"{argument}.md.j2",
                                                                  argument.split("-", 1)[0], text, slack_text)
            elif action == "role":
                role, person = argument.split(":")
                service.assign_role(incident.id, Role(role), person, reason)
            else:
                _postmortem_step(database, config, clock, actor, incident.id, action, argument, reason, items)
        count += 1
    return count


def _postmortem_step(database: Database, config: Config, clock: FrozenClock, actor: str, incident_id: int,
                     action: str, argument: str, text: str, items: list[int]) -> None:
    """A post-mortem step of a sample's script: the root cause, the draft, a section (`argument`,
    its new text in `text`), a status, an action item (`title|owner|due in days|priority`), one
    done (its number in the script)."""
    from oncall.domain.action_items import Priority
    from oncall.domain.postmortem import PostmortemStatus, Section
    from oncall.service.postmortems import PostmortemService

    service = PostmortemService(database, config, clock, actor)
    if action == "cause":
        service.set_root_cause(incident_id, argument)
    elif action == "pm-draft":
        service.draft(incident_id)
    elif action == "pm-set":
        section = Section(argument)
        current = service.get(incident_id)
        assert current is not None
        service.save_section(incident_id, section, text, current.sections[section].revision)
    elif action == "pm-fill":  # the draft's prompts in a section, answered
        import re

        from oncall.postmortem.writing import TODO_PREFIX

        section = Section(argument)
        current = service.get(incident_id)
        assert current is not None
        prompts = re.compile(re.escape(TODO_PREFIX) + r".*?_(?=\s|$)", re.DOTALL)
        answered = prompts.sub("", current.text(section).replace(
            next(iter(prompts.findall(current.text(section))), "\0"), text, 1)).strip()
        service.save_section(incident_id, section, answered, current.sections[section].revision)
    elif action == "pm-status":
        service.set_status(incident_id, PostmortemStatus(argument))
    elif action == "action":
        title, owner, days, priority = argument.split("|")
        due = clock.now().date() + timedelta(days=int(days)) if days else None
        items.append(service.add_action(incident_id, title, owner, due, Priority(priority)).id)
    elif action == "action-done":
        service.finish_action(items[int(argument) - 1])
    else:
        raise ValueError(f"unknown demo script action {action!r}")
