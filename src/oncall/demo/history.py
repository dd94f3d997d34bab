"""A year of the CAC pilot's incidents before the live samples, so the metrics screen has a story to
tell on `make run`: at first users found most problems, hours after the data went bad, and fixes
took most of a day; as alerts and dbt tests took over, detection and resolution shrank.

Every incident is played through the real services at its own moment (declared, roles given and
handed on, stakeholder updates against the cadence, the root cause, the post-mortem written and
completed for SEV-1/2, action items, closed), so its timeline is what oncall would have recorded.
Deterministic: the same `now` gives the same history. Written after the samples, so the samples
keep their numbers (INC-1 … INC-15); every history incident is closed, and sorts after them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from oncall.domain.clock import FrozenClock
from oncall.domain.detection import DetectionSource
from oncall.domain.people import Role
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.store.db import Database
from oncall.workspace.config import Config

SEED = 16
MONTHS = 11  # the eleven months before the samples' own (they fill the last 30 days)
QUIET_DAYS = 32  # no history in the samples' weeks
PER_MONTH = (9, 10, 9, 11, 10, 9, 8, 9, 8, 7, 7)  # oldest first: fewer as the checks catch problems early

# What the pilot's incidents were about: each asset, the causes it suffered, and how each cause
# reads as a title (the asset's short name in it) and as the fix.
CAUSES = {
    "upstream-schema-change": ("{name} changed its columns without notice", "Mapped the changed columns"),
    "credentials": ("{name} load failed: credentials expired", "Rotated the credentials"),
    "late-data": ("{name} missing yesterday's rows", "Re-ran the late load"),
    "duplicate-load": ("Duplicate rows in {name} after a retry", "Deduplicated; MERGE on retry"),
    "vendor-api-pagination": ("{name} short: only its first page read", "Read every page of the export"),
    "third-party-api": ("{name} returned empty pages for a day", "Re-pulled once the vendor recovered"),
    "orchestrator": ("{name} run green but a step was skipped", "Alerted on skipped tasks"),
    "metric-logic": ("{name} disagrees with the finance sheet", "Aligned the metric's definition"),
    "stale-table": ("{name} stale since the weekend", "Reset the refresh schedule"),
    "time-zone": ("{name} shifted a day for EU rows", "Normalised the timestamps to UTC"),
}
ASSET_CAUSES = {
    ("crm-signups", "CRM export"): ("vendor-api-pagination", "upstream-schema-change", "credentials", "late-data"),
    ("google-ads-api", "Google Ads export"): ("upstream-schema-change", "credentials", "third-party-api"),
    ("meta-ads-api", "Meta spend export"): ("third-party-api", "credentials", "late-data"),
    ("stg-ad-spend", "stg_ad_spend"): ("late-data", "duplicate-load", "upstream-schema-change"),
    ("stg-new-customers", "stg_new_customers"): ("time-zone", "duplicate-load", "late-data"),
    ("cac-pipeline", "CAC pipeline"): ("orchestrator", "credentials", "late-data"),
    ("fct-weekly-cac", "fct_weekly_cac"): ("metric-logic", "duplicate-load", "time-zone"),
    ("cac-dashboard", "CAC dashboard"): ("stale-table", "metric-logic"),
    ("marketing-roi-dashboard", "ROI dashboard"): ("metric-logic", "stale-table"),
}
# (asset, cause, title, fix)
TROUBLES = tuple((asset, cause, CAUSES[cause][0].format(name=name), CAUSES[cause][1])
                 for (asset, name), causes in ASSET_CAUSES.items() for cause in causes)
ICS = ("maya", "tom", "priya")
SMES = ("lukas", "priya", "maya", "tom")
SECTION_TEXT = "Written up at the post-mortem review with the pilot team."


@dataclass(frozen=True)
class Past:
    """One incident of the history, decided before it is played."""

    detected: datetime
    severity: Severity
    source: DetectionSource
    asset: str
    cause: str
    title: str
    fix: str
    went_bad_before: timedelta  # TTD (when the data went bad, before it was declared); None-able below
    known_start: bool
    to_identify: timedelta
    to_resolve: timedelta  # TTR
    ic: str
    sme: str | None
    hand_off: str | None
    updates_kept: float  # the chance each update the cadence asks for goes out on time
    override: bool  # closed before its post-mortem was complete


def plan(now: datetime, seed: int = SEED) -> list[Past]:
    """The history, oldest first: PER_MONTH incidents in each of the MONTHS months before the
    samples' own, improving as the year goes on."""
    rng = random.Random(seed)
    pasts: list[Past] = []
    first_of_this_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    latest = now - timedelta(days=QUIET_DAYS)
    last_seen: dict[tuple[str, str], datetime] = {}  # (asset, cause) → when it last happened
    for index, count in enumerate(PER_MONTH):
        month = first_of_this_month
        for _ in range(MONTHS - index):
            month = (month - timedelta(days=1)).replace(day=1)
        progress = index / (len(PER_MONTH) - 1)  # 0 a year ago, 1 last month
        days = ((month + timedelta(days=32)).replace(day=1) - month).days
        found_internally = set(rng.sample(range(count), round(count * (0.2 + 0.65 * progress))))
        moments = sorted(min(month + timedelta(days=rng.uniform(0, days - 1), hours=rng.uniform(6, 18)),
                             latest - timedelta(hours=rng.uniform(0, 48))).replace(microsecond=0)
                         for _ in range(count))
        for n, detected in enumerate(moments):
            # A trouble seen in the last 90 days comes back now and then (a recurring incident).
            fresh = [t for t in TROUBLES if detected - last_seen.get(t[:2], detected - timedelta(days=999))
                     > timedelta(days=90)]
            trouble = rng.choice(fresh if fresh and rng.random() > 0.15 else TROUBLES)
            last_seen[trouble[:2]] = detected
            pasts.append(_past(rng, detected, progress, n in found_internally, trouble))
    pasts.sort(key=lambda past: past.detected)
    return pasts


def _past(rng: random.Random, detected: datetime, progress: float, internal: bool,
          trouble: tuple[str, str, str, str]) -> Past:
    severity = rng.choices((Severity.SEV1, Severity.SEV2, Severity.SEV3), (12, 38, 50))[0]
    # Alerts at first; dbt tests join them from the spring (`oncall ingest dbt`).
    source = (rng.choice((DetectionSource.ALERT, DetectionSource.DBT)) if progress > 0.25
              else DetectionSource.ALERT) if internal else DetectionSource.USER_REPORT
    asset, cause, title, fix = trouble
    slow = 1.0 - 0.6 * progress  # everything gets quicker
    hours_to_find = (rng.uniform(1, 4) if internal else rng.uniform(8, 20)) * slow + rng.uniform(0.1, 0.3)
    hours_to_fix = {Severity.SEV1: rng.uniform(4, 7), Severity.SEV2: rng.uniform(5, 9),
                    Severity.SEV3: rng.uniform(4, 12)}[severity] * slow
    to_resolve = timedelta(hours=hours_to_fix)
    return Past(
        detected=detected, severity=severity, source=source, asset=asset, cause=cause, title=title, fix=fix,
        went_bad_before=timedelta(hours=hours_to_find), known_start=rng.random() < 0.9,
        to_identify=to_resolve * rng.uniform(0.3, 0.6), to_resolve=to_resolve,
        ic=rng.choice(ICS), sme=rng.choice(SMES) if severity is not Severity.SEV3 and rng.random() < 0.7 else None,
        hand_off=rng.choice(ICS) if rng.random() < 0.12 else None,
        updates_kept=0.45 + 0.5 * progress, override=severity is not Severity.SEV3 and rng.random() < 0.04,
    )


HISTORY_STATE = "demo_history"  # sync_state: when the history was seeded (it is seeded once)


def seed_history(database: Database, config: Config, now: datetime, seed: int = SEED) -> int:
    """Play the year of history into `database` (after the samples), once; return how many incidents."""
    from oncall.domain.clock import to_text
    from oncall.store.remote_ids import RemoteIds

    rng = random.Random(seed + 1)
    pasts = plan(now, seed)
    with database.write():  # all or nothing
        state = RemoteIds(database)
        if state.state(HISTORY_STATE):
            return 0
        for past in pasts:
            _play(database, config, past, rng)
        state.set_state(HISTORY_STATE, to_text(now))
    return len(pasts)


def _play(database: Database, config: Config, past: Past, rng: random.Random) -> None:
    from oncall.domain.action_items import Priority
    from oncall.domain.postmortem import PostmortemStatus, Section
    from oncall.service.comms import CommsService
    from oncall.service.incidents import Declaration, IncidentService
    from oncall.service.postmortems import PostmortemService

    clock = FrozenClock(past.detected)
    incidents = IncidentService(database, config, clock, past.ic)
    comms = CommsService(database, config, clock, past.ic)
    postmortems = PostmortemService(database, config, clock, past.ic)
    declared = past.detected + timedelta(minutes=rng.randint(2, 15))
    clock.set(declared)
    incident = incidents.declare(Declaration(
        title=past.title, severity=past.severity, asset=past.asset, source=past.source, ic=past.ic,
        impact=f"{past.title}; the weekly CAC figures read from it.",
        started_at=declared - past.went_bad_before if past.known_start else None,
        reported_by="sofia" if past.source is DetectionSource.USER_REPORT else ""))
    assert incident.id is not None
    resolved = declared + past.to_resolve
    steps: list[tuple[datetime, str, str]] = []
    if past.sme:
        steps.append((declared + timedelta(minutes=rng.randint(5, 30)), "sme", past.sme))
    if past.severity is Severity.SEV1:
        steps.append((declared + timedelta(minutes=rng.randint(5, 20)), "lead", "grace"))
        steps.append((declared + timedelta(minutes=rng.randint(10, 40)), "pm", "omar"))
    if past.hand_off and past.hand_off != past.ic:
        steps.append((declared + past.to_resolve * 0.5, "hand-off", past.hand_off))
    steps.append((declared + past.to_identify, "identified", ""))
    interval = config.comms.interval(past.severity)
    if interval is not None:
        at = declared
        while True:  # updates against the cadence: on time mostly, late sometimes
            at += interval * (rng.uniform(0.5, 0.95) if rng.random() < past.updates_kept else rng.uniform(1.1, 1.6))
            if at >= resolved:
                break
            steps.append((at, "update", ""))
    for at, action, who in sorted(steps, key=lambda step: step[0]):
        clock.set(min(at, resolved - timedelta(minutes=1)))
        if action == "hand-off":
            incidents.assign_ic(incident.id, who, "Handing over at the end of my day.")
        elif action == "identified":
            incidents.change_status(incident.id, Status.IDENTIFIED, past.fix.split(";")[0] + " needed.")
        elif action == "update":
            comms.send(incident.id, "stakeholders-update.md.j2", "stakeholders",
                       f"Still on it: {past.title}.", f"Still on it: {past.title}.")
        else:
            incidents.assign_role(incident.id, Role(action), who)
    clock.set(resolved)
    incidents.change_status(incident.id, Status.RESOLVED, past.fix + ".")
    clock.set(resolved + timedelta(minutes=10))
    postmortems.set_root_cause(incident.id, past.cause)
    if past.severity is Severity.SEV3:
        clock.set(resolved + timedelta(hours=rng.uniform(2, 30)))
        incidents.change_status(incident.id, Status.CLOSED)
        return
    clock.set(resolved + timedelta(hours=rng.uniform(20, 30)))
    postmortems.draft(incident.id)
    due_in = timedelta(days=rng.randint(7, 21))
    item = postmortems.add_action(incident.id, f"Check {past.asset} for this before it reaches the dashboard",
                                  past.sme or past.ic, (clock.now() + due_in).date(), Priority.HIGH)
    if past.override:
        clock.set(clock.now() + timedelta(days=rng.randint(1, 3)))
        incidents.change_status(incident.id, Status.CLOSED, "The pilot review needed it closed; write-up to follow.")
        return
    current = postmortems.get(incident.id)
    assert current is not None
    for section in Section:
        if section is not Section.ACTION_ITEMS:
            postmortems.save_section(incident.id, section, f"{SECTION_TEXT} {past.fix}.",
                                     current.sections[section].revision)
    clock.set(clock.now() + timedelta(days=rng.randint(1, 4)))
    postmortems.set_status(incident.id, PostmortemStatus.IN_REVIEW)
    clock.set(clock.now() + timedelta(days=rng.randint(1, 3)))
    postmortems.set_status(incident.id, PostmortemStatus.COMPLETE)
    incidents.change_status(incident.id, Status.CLOSED, "Post-mortem reviewed with the pilot team.")
    if rng.random() < 0.8:  # most action items get done; the rest stay open (some overdue)
        clock.set(clock.now() + due_in * rng.uniform(0.3, 1.2))
        postmortems.finish_action(item.id)
