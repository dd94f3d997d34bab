"""The demo's intake: what reached the CAC pilot before anyone declared anything, replayed at its
own time through the real intake service, so `make run` shows each way in.

- a dbt run (the bundled `dbt/target/`, made by the CAC pilot's dbt project): its manifest gives
  the lineage, and its failing CAC-ceiling test opens a triage item;
- an Alertmanager alert that kept firing: one item, its repeats counted;
- a report in #data-incidents by an analyst, acknowledged in the message's thread.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from oncall.domain.clock import FrozenClock
from oncall.domain.intake import Signal
from oncall.domain.severity import Severity
from oncall.service.intake import IntakeService
from oncall.store.db import Database
from oncall.workspace.config import Config

ALERT_REPEATS = 12  # Alertmanager's repeat_interval of 5 minutes, for an hour
REPORT_CHANNEL, REPORT_TS = "C0DEMOINC", "1764400000.000100"


def seed_intake(database: Database, config: Config, root: Path, now: datetime) -> int:
    """Replay the demo's intake before `now`; the number of triage items it opened."""
    from oncall.intake.dbt import ArtifactError, read_dbt

    clock = FrozenClock(now - timedelta(hours=2))
    intake = IntakeService(database, config, clock, root=root)
    opened = 0
    try:
        run = read_dbt(root / "dbt" / "target")
    except ArtifactError:
        run = None  # a demo folder someone edited: the rest of the demo still works
    if run is not None:
        intake.absorb_lineage(run.nodes)
        opened += len(intake.absorb(run.signals).opened)
    clock.set(now - timedelta(minutes=70))
    started = now - timedelta(minutes=75)
    late = Signal(origin="alertmanager", key="9b1f3c0a7d2e4f61", title="CACPipelineLate: weekly CAC load 70 min late",
                  asset="cac-pipeline", severity=Severity.SEV2, started_at=started,
                  details="The weekly CAC job has not finished; the 11:00 exec review reads it.",
                  link="http://alertmanager.acme.internal/#/alerts?filter=%7Balertname%3D%22CACPipelineLate%22%7D")
    for _ in range(ALERT_REPEATS):
        opened += len(intake.absorb([late]).opened)
        clock.advance(timedelta(minutes=5))
    clock.set(now - timedelta(minutes=25))
    reported = intake.report(
        "U07ANALYST1", "Marketing ROI dashboard still shows last week's spend for EMEA",
        key=f"slack:{REPORT_CHANNEL}:{REPORT_TS}", slack_thread=(REPORT_CHANNEL, REPORT_TS),
        link=f"https://acme.slack.com/archives/{REPORT_CHANNEL}/p{REPORT_TS.replace('.', '')}")
    return opened + int(reported.created)
