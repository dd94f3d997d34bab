"""Playing a drill through the service: injects on the scenario's clock (at speed, paused and
resumed), delivered once whichever console ticks, conditions honoured, the drill ending when its
incident is resolved or when the facilitator ends it, and its scorecard kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oncall.domain.people import Role
from oncall.domain.rules import RuleViolation
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.comms import CommsService, render_update
from oncall.service.drills import DrillService
from oncall.service.incidents import IncidentService
from oncall.store.db import open_database


@pytest.fixture
def drills(service, workspace, clock) -> DrillService:
    return DrillService(service.db, workspace.config, clock, "maya", workspace.root)


def channel_texts(drills, run) -> list[str]:
    return [event.text for event in drills.channel(run) if "inject" in event.data]


def test_a_drill_opens_a_flagged_triage_incident_and_its_first_inject_at_once(drills, service):
    run = drills.start("cac-sev2", speed=10)
    incident = service.get(run.incident_id)
    assert incident.is_drill and incident.status is Status.TRIAGE and incident.asset == "cac-dashboard"
    assert incident.severity is Severity.SEV3, "the participant decides the severity"
    assert incident.ic is None, "naming the IC is part of the exercise, not given away by the rotation"
    [first] = channel_texts(drills, run)
    assert first.startswith("[message] Sofia Castro: Can someone from the data team confirm if this number is correct?")
    with pytest.raises(RuleViolation, match="is still running: end it first"):
        drills.start("api-rename-sev3")


def test_injects_arrive_at_their_offsets_times_the_speed_and_a_pause_stops_the_clock(drills, clock):
    run = drills.start("cac-sev2", speed=60)  # a scenario minute is a second
    scenario = drills.scenario("cac-sev2")
    second = scenario.injects[1]
    clock.advance(second.at / 60 - timedelta(seconds=1))
    assert drills.tick() == []
    drills.pause()
    clock.advance(timedelta(hours=2))  # a long pause: the scenario's clock stands still
    assert drills.tick() == []
    assert drills.running().elapsed(clock.now()) < second.at
    drills.resume()
    clock.advance(timedelta(seconds=1))
    [arrived] = drills.tick()
    assert arrived.index == second.index and arrived.text == second.text
    assert drills.tick() == [], "each inject once"


def test_two_consoles_ticking_one_drill_deliver_each_inject_once(drills, service, workspace, clock):
    run = drills.start("cac-sev2", speed=600)
    other = DrillService(open_database(service.db.path), workspace.config, clock, "tom", workspace.root)
    clock.advance(timedelta(minutes=1))
    both = drills.tick() + other.tick()
    assert len({d.index for d in both}) == len(both)
    # Every inject is due by now, except those waiting for something nobody has done yet.
    waiting = sum(1 for inject in drills.scenario("cac-sev2").injects if inject.after)
    assert len(channel_texts(drills, run)) == len(drills.scenario("cac-sev2").injects) - waiting
    other.db.close()


def test_a_leader_chases_only_when_no_update_was_sent(drills, service, workspace, clock):
    run = drills.start("cac-sev2", speed=60)
    incidents = IncidentService(service.db, workspace.config, clock, "maya")
    incidents.change_status(run.incident_id, Status.INVESTIGATING)
    slack_text, text = render_update(incidents, workspace.root, run.incident_id, "stakeholders-initial.md.j2")
    CommsService(service.db, workspace.config, clock, "maya").send(run.incident_id, "stakeholders-initial.md.j2",
                                                                 "stakeholders", text, slack_text)
    clock.advance(timedelta(minutes=2))
    drills.tick()
    texts = " ".join(channel_texts(drills, run))
    assert "Any ETA? The CEO is asking." not in texts, "an update went out: the leader does not chase"


def test_resolving_the_drill_incident_ends_it_with_a_scorecard(drills, service, workspace, clock):
    run = drills.start("cac-sev2", speed=60)
    incidents = IncidentService(service.db, workspace.config, clock, "maya")
    clock.advance(timedelta(seconds=5))  # 5 scenario minutes
    incidents.change_severity(run.incident_id, Severity.SEV2, "before the review")
    incidents.change_status(run.incident_id, Status.INVESTIGATING)
    incidents.assign_role(run.incident_id, Role.SME, "lukas")
    clock.advance(timedelta(seconds=10))
    incidents.change_status(run.incident_id, Status.RESOLVED, "reloaded")
    drills.tick()
    assert drills.running() is None
    [ended] = drills.history()
    results = {r["name"]: r for r in ended.scorecard["results"]}
    assert results["Time to declare"]["met"] is True and results["Time to declare"]["actual"].startswith("5 min")
    assert results["Severity"]["met"] is True
    assert results["First update"]["met"] is False
    report = drills.report(ended.id)
    assert "# Drill scorecard: Weekly CAC up 340% before the 11 AM review" in report
    assert "**Maya Okafor**: set the severity to SEV-2; declared the incident" in report


def test_the_facilitator_ends_a_drill_early(drills, clock):
    drills.start("api-rename-sev3", speed=1)
    clock.advance(timedelta(minutes=3))
    ended = drills.end()
    assert ended.ended_early and ended.scorecard["results"]
    with pytest.raises(RuleViolation, match="no drill is running"):
        drills.pause()


def test_an_unknown_or_broken_drill_is_said_not_started(drills, workspace):
    with pytest.raises(LookupError, match="no drill named 'nope'; drills: api-rename-sev3, cac-sev2"):
        drills.start("nope")
    (workspace.root / "drills" / "broken.yaml").write_text("title: x\ninjects: 3\n")
    with pytest.raises(RuleViolation, match="drill 'broken' cannot run: .*broken.yaml"):
        drills.start("broken")
    with pytest.raises(RuleViolation, match="at most 3600 times"):
        drills.start("cac-sev2", speed=100_000)


def test_the_cadence_is_judged_on_the_scenario_clock_pauses_and_speed_included(drills, service, workspace, clock):
    run = drills.start("finance-stale-sev1", speed=10)
    incidents = IncidentService(service.db, workspace.config, clock, "maya")
    comms = CommsService(service.db, workspace.config, clock, "maya")

    def send(name: str) -> None:
        slack_text, text = render_update(incidents, workspace.root, run.incident_id, name)
        comms.send(run.incident_id, name, "stakeholders", text, slack_text)

    incidents.change_severity(run.incident_id, Severity.SEV1, "the CFO's review")
    incidents.change_status(run.incident_id, Status.INVESTIGATING)
    send("stakeholders-initial.md.j2")
    drills.pause()
    clock.advance(timedelta(minutes=45))  # a long pause: no scenario time passes
    drills.resume()
    clock.advance(timedelta(minutes=2))  # 20 scenario minutes: within SEV-1's 30
    send("stakeholders-update.md.j2")
    clock.advance(timedelta(seconds=30))
    ended = drills.end()
    results = {r["name"]: r for r in ended.scorecard["results"]}
    assert results["Updates on cadence"]["met"] is True, results["Updates on cadence"]


def test_a_drill_whose_file_went_away_still_ends_and_says_why_it_has_no_scorecard(drills, service, workspace):
    run = drills.start("api-rename-sev3", speed=100)
    (workspace.root / "drills" / "api-rename-sev3.yaml").unlink()
    fresh = DrillService(service.db, workspace.config, drills.clock, "maya", workspace.root)
    IncidentService(service.db, workspace.config, drills.clock, "maya").change_status(
        run.incident_id, Status.DISMISSED, "rehearsal over")
    fresh.tick()
    assert fresh.running() is None
    with pytest.raises(RuleViolation, match="has no scorecard: its scenario file .* was gone"):
        fresh.report(run.id)
