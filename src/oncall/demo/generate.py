"""Synthetic incident history at scale: realistic titles, lifecycles and timelines, written in
bulk (`executemany`) so 100,000 incidents take seconds, not minutes.

Synthetic history is not queued for sync: it never happened, so it must never reach Jira or Slack.
It is marked (`incidents.synthetic`), goes only into a demo workspace unless forced, is made once
per seed, and can be removed again. It is written in batches of a few thousand incidents, each its
own short transaction, so the console and commands on the same database get their turns.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from oncall.domain.clock import to_text
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.store.db import Database
from oncall.store.remote_ids import RemoteIds  # owns the small named values of sync_state
from oncall.workspace.config import Config

SYMPTOMS = (
    "{asset} shows zero rows for {day}",
    "{asset} stale since {day}",
    "Duplicate rows in {asset} after re-run",
    "{asset} totals disagree with finance",
    "Null spike in {asset} key column",
    "{asset} schema changed without notice",
    "Late delivery of {asset}",
    "{asset} values off by a factor of 100",
    "Row count drop in {asset}",
    "{asset} time zone shift",
    "Broken join inflates {asset}",
    "Silent failure in {asset} load",
)
CAUSES = (
    "Upstream API changed its response format.",
    "Partial file delivered by the vendor.",
    "Orchestrator marked a skipped task as success.",
    "Credentials expired on the service account.",
    "Non-idempotent insert in a retry path.",
    "Currency unit changed upstream.",
    "Late-arriving data missed the batch window.",
)
NOTES = (
    "Checked row counts against yesterday.",
    "Compared with the source system export.",
    "Paged the SME for the connector.",
    "Stakeholders told in #data-incidents; next update in 30 min.",
    "Backfill started for the affected days.",
    "Added a freshness assertion to catch this earlier.",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "the weekend")
# How a finished incident ended, weighted: most history is closed.
ENDINGS = ((Status.CLOSED, 70), (Status.RESOLVED, 12), (Status.DISMISSED, 8), (Status.MONITORING, 3),
           (Status.IDENTIFIED, 3), (Status.INVESTIGATING, 2), (Status.TRIAGE, 2))
PATH = (Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED, Status.CLOSED)

INCIDENT_SQL = (
    "INSERT INTO incidents (id, title, severity, severity_rank, status, queue_group, asset, source, impact, "
    "eta, ic, is_drill, started_at, detected_at, declared_at, resolved_at, closed_at, updated_at, synthetic) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, 0, ?, ?, ?, ?, ?, ?, 1)"
)
# Incidents per transaction: about a tenth of a second of writing, then others get a turn.
BATCH = 2_000
DEMO_STATE = "demo_workspace"  # sync_state: '1' in a demo workspace's database
SEEDS_STATE = "demo_seeds"  # sync_state: the seeds synthetic history was made with, comma-separated
EVENT_SQL = "INSERT INTO timeline (incident_id, at, actor, kind, text, data) VALUES (?, ?, ?, ?, ?, ?)"


def generate_incidents(database: Database, config: Config, count: int, now: datetime, seed: int = 7) -> int:
    """Add `count` synthetic incidents spread over the past three years, oldest first."""
    rng = random.Random(seed)
    assets = [a.id for a in config.assets] or ["warehouse"]
    people = [p.id for p in config.people] or ["oncall"]
    endings, weights = zip(*ENDINGS)
    span = timedelta(days=3 * 365)
    for start in range(0, count, BATCH):
        # Made outside the transaction (numbered from 1), so others can write while it is made.
        incidents, events = [], []
        for n in range(start, min(count, start + BATCH)):
            # Oldest first, so ids grow with time like real history.
            detected = now - span + span * (n / max(count, 1)) + timedelta(seconds=rng.randint(0, 3600))
            if detected > now:
                detected = now - timedelta(minutes=rng.randint(1, 60))
            row, rows = _one(rng, n - start + 1, detected, now, assets, people, endings, weights)
            incidents.append(row)
            events.extend(rows)
        with database.write() as conn:
            # Numbered here: between batches someone may have declared a real incident.
            last = conn.execute("SELECT coalesce(max(id), 0) FROM incidents").fetchone()[0]
            conn.executemany(INCIDENT_SQL, [(last + row[0], *row[1:]) for row in incidents])
            conn.executemany(EVENT_SQL, [(last + row[0], *row[1:]) for row in events])
    with database.write():
        RemoteIds(database).set_state(SEEDS_STATE, ",".join(str(s) for s in sorted(seeds_used(database) | {seed})))
    return count


def remove_synthetic(database: Database) -> int:
    """Remove every synthetic incident and its timeline, in batches; return how many went."""
    removed = 0
    while True:
        with database.write() as conn:
            ids = [row[0] for row in conn.execute(
                "SELECT id FROM incidents WHERE synthetic = 1 ORDER BY id LIMIT ?", (BATCH,))]
            if not ids:
                RemoteIds(database).set_state(SEEDS_STATE, "")
                return removed
            marks = ", ".join("?" * len(ids))
            conn.execute(f"DELETE FROM timeline WHERE incident_id IN ({marks})", ids)
            conn.execute(f"DELETE FROM incidents WHERE id IN ({marks})", ids)
            removed += len(ids)


def counts(database: Database) -> tuple[int, int]:
    """(a team's own incidents, synthetic ones) in the database."""
    row = database.conn.execute("SELECT count(*) - total(synthetic), total(synthetic) FROM incidents").fetchone()
    return int(row[0]), int(row[1])


def seeds_used(database: Database) -> set[int]:
    text = RemoteIds(database).state(SEEDS_STATE) or ""
    return {int(part) for part in text.split(",") if part.strip().lstrip("-").isdigit()}


def is_demo(database: Database) -> bool:
    return RemoteIds(database).state(DEMO_STATE) == "1"


def mark_demo(database: Database) -> None:
    RemoteIds(database).set_state(DEMO_STATE, "1")


def _one(rng, incident_id, detected, now, assets, people, endings, weights):
    severity = rng.choices((Severity.SEV1, Severity.SEV2, Severity.SEV3), (1, 4, 5))[0]
    asset = rng.choice(assets)
    ic = rng.choice(people)
    source = rng.choices(("alert", "user_report"), (55, 45))[0]
    ending = rng.choices(endings, weights)[0]
    # Recent incidents are the ones still open; old ones are finished.
    age_days = (now - detected).days
    if age_days > 30 and ending.is_active:
        ending = Status.CLOSED
    title = rng.choice(SYMPTOMS).format(asset=asset, day=rng.choice(DAYS))
    started = detected - timedelta(minutes=rng.randint(10, 60 * 48))
    at = detected
    events = []

    def event(kind, text, data, actor=ic):
        # The newest incidents are detected minutes ago; their script must not run past now.
        events.append((incident_id, to_text(min(at, now)), actor, kind, text, json.dumps(data, sort_keys=True)))

    triage_only = ending in (Status.TRIAGE, Status.DISMISSED)
    first = Status.TRIAGE if triage_only else Status.INVESTIGATING
    declared = None if triage_only else detected
    event("declared", f"{severity.value} {'opened for triage' if triage_only else 'declared'} on {asset} ({source})",
          {"severity": severity.value, "status": first.value, "asset": asset, "source": source})
    event("ic_assigned", f"{ic} is Incident Commander", {"ic": ic})
    resolved = closed = None
    current = first
    if ending is Status.DISMISSED:
        at += timedelta(minutes=rng.randint(5, 90))
        event("status_changed", "triage → dismissed: not an incident", {"from": "triage", "to": "dismissed", "reason": "not an incident"})
        current = ending
    elif not triage_only:
        for step in PATH[1:PATH.index(ending) + 1]:
            at += timedelta(minutes=rng.randint(5, 240))
            if rng.random() < 0.5:
                event("note", rng.choice(NOTES), {})
            reason = rng.choice(CAUSES) if step is Status.IDENTIFIED else ""
            event("status_changed", f"{current.value} → {step.value}" + (f": {reason}" if reason else ""),
                  {"from": current.value, "to": step.value, "reason": reason})
            if step is Status.RESOLVED:
                resolved = at
            if step is Status.CLOSED:
                closed = at
            current = step
    at = min(at, now)
    row = (incident_id, title, severity.value, severity.rank, current.value, current.queue_group, asset, source,
           f"{asset} affected; {rng.choice(('dashboards stale', 'numbers wrong', 'reports delayed'))}.",
           ic, to_text(started), to_text(detected), to_text(declared) if declared else None,
           to_text(min(resolved, now)) if resolved else None, to_text(min(closed, now)) if closed else None,
           to_text(at))
    return row, events
