"""A drill as it runs and as it is scored: which injects arrive when (and which wait or are
skipped), what a drill incident's timeline says happened, written by the real services, and the
scorecard against the scenario's targets, down to the Markdown for the feedback session."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from oncall.demo.install import bundled_demo
from oncall.domain.cadence import CommsSettings
from oncall.domain.drills import (
    Condition, DrillFacts, Inject, Persona, Scenario, Scorecard, Targets, due_injects, facts_from, holds, score,
    scorecard_markdown,
)
from oncall.domain.incident import DetectionSource
from oncall.domain.people import Role
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.comms import CommsService
from oncall.service.incidents import Declaration, IncidentService
from oncall.service.runbooks import RunbookService
from oncall.workspace.runbooks import load_library

START = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)  # the conftest clock's NOW
M = timedelta(minutes=1)


def scenario(*injects: Inject, targets: Targets | None = None) -> Scenario:
    personas = {"sofia": Persona("sofia", "Sofia Castro", "Marketing analyst"), "grace": Persona("grace", "Grace Lin"),
                "alerts": Persona("alerts", "dbt Cloud")}
    return Scenario("cac", "Weekly CAC up 340%", "cac-dashboard", Severity.SEV2, "Monday 09:40.", personas,
                    tuple(injects), targets or Targets(severity=Severity.SEV2))


ASK = Inject(0, timedelta(0), "sofia", "message", "Is this number correct?")
LOG = Inject(1, 5 * M, "alerts", "log", "rows_loaded=0")
CHASE = Inject(2, 20 * M, "grace", "leader", "Any ETA? The CEO is asking.", unless=Condition("update_sent"))
FIX = Inject(3, 25 * M, "alerts", "fix", "CAC is $96 again.", after=Condition("step", "Reload the missing window"))
THANKS = Inject(4, 15 * M, "sofia", "message", "Thanks!", after=Condition("update_sent"))
DRILL = scenario(ASK, LOG, CHASE, FIX, THANKS)
NOTHING = DrillFacts(started_at=START)


def indexes(found: list[Inject]) -> list[int]:
    return [inject.index for inject in found]


# -- injects -----------------------------------------------------------------------------------------


def test_injects_arrive_when_their_time_comes_in_time_order() -> None:
    assert due_injects(DRILL, timedelta(0), frozenset(), frozenset(), NOTHING) == ([ASK], [])
    deliver, skip = due_injects(DRILL, 5 * M, frozenset({0}), frozenset(), NOTHING)
    assert (indexes(deliver), skip) == ([1], [])
    # nothing is delivered twice; an inject not yet due is not delivered early
    assert due_injects(DRILL, 14 * M, frozenset({0, 1}), frozenset(), NOTHING) == ([], [])


def test_a_late_tick_delivers_everything_due_in_the_order_it_was_due() -> None:
    updated = DrillFacts(started_at=START, first_update_at=START + 3 * M)
    deliver, skip = due_injects(DRILL, 30 * M, frozenset(), frozenset(), updated)
    assert indexes(deliver) == [0, 1, 4]  # THANKS (15 min) before the later ones; FIX waits
    assert indexes(skip) == [2]  # an update went out: the leader does not chase


def test_the_leader_chases_only_if_no_update_was_sent() -> None:
    deliver, skip = due_injects(DRILL, 20 * M, frozenset({0, 1}), frozenset(), NOTHING)
    assert indexes(deliver) == [2] and skip == []
    updated = DrillFacts(started_at=START, first_update_at=START + 19 * M)
    deliver, skip = due_injects(DRILL, 20 * M, frozenset({0, 1}), frozenset(), updated)
    assert indexes(deliver) == [4] and indexes(skip) == [2]  # and the thanks for it arrives
    # skipped for good: never offered again
    assert due_injects(DRILL, 20 * M, frozenset({0, 1}), frozenset({2}), NOTHING)[0] == []


def test_the_fix_waits_for_the_runbook_step_then_arrives_at_the_next_tick() -> None:
    done = frozenset({0, 1, 2, 4})
    assert due_injects(DRILL, 25 * M, done, frozenset(), NOTHING) == ([], [])
    other_step = DrillFacts(started_at=START, steps_done=frozenset({"Find why the job read nothing"}))
    assert due_injects(DRILL, 40 * M, done, frozenset(), other_step) == ([], [])
    fixed = DrillFacts(started_at=START, steps_done=frozenset({"Reload the missing window"}))
    assert due_injects(DRILL, 41 * M, done, frozenset(), fixed) == ([FIX], [])
    # but a step done early does not bring the fix before its time
    assert due_injects(DRILL, 24 * M, done, frozenset(), fixed) == ([], [])


def test_a_waiting_inject_is_skipped_if_its_unless_comes_true_meanwhile() -> None:
    both = Inject(0, 5 * M, "grace", "leader", "Resolved yet?", unless=Condition("resolved"), after=Condition("declared"))
    drill = scenario(both)
    assert due_injects(drill, 10 * M, frozenset(), frozenset(), NOTHING) == ([], [])
    resolved = DrillFacts(started_at=START, resolved_at=START + 8 * M)
    assert due_injects(drill, 10 * M, frozenset(), frozenset(), resolved) == ([], [both])


@pytest.mark.parametrize(("condition", "facts", "expected"), [
    (Condition("update_sent"), DrillFacts(START, first_update_at=START), True),
    (Condition("update_sent"), NOTHING, False),
    (Condition("declared"), DrillFacts(START, declared_at=START), True),
    (Condition("declared"), NOTHING, False),
    (Condition("roles_assigned"), DrillFacts(START, roles_at=START), True),
    (Condition("roles_assigned"), NOTHING, False),
    (Condition("runbook_attached"), DrillFacts(START, runbooks=frozenset({"x"})), True),
    (Condition("runbook_attached"), NOTHING, False),
    (Condition("step", "Reload"), DrillFacts(START, steps_done=frozenset({"Reload"})), True),
    (Condition("step", "Reload"), DrillFacts(START, steps_done=frozenset({"Reload it"})), False),
    (Condition("resolved"), DrillFacts(START, resolved_at=START), True),
    (Condition("resolved"), NOTHING, False),
])
def test_conditions_hold_on_what_happened(condition: Condition, facts: DrillFacts, expected: bool) -> None:
    assert holds(condition, facts) is expected


# -- what happened, from the real services ----------------------------------------------------------------


@pytest.fixture
def runbook():
    return load_library(bundled_demo() / "runbooks").get("pipeline-succeeded-no-data")


@pytest.fixture
def team(service: IncidentService, clock):
    """Two consoles on one workspace database: Maya's (the conftest service) and Tom's."""
    tom = IncidentService(service.db, service.config, clock, "tom")
    return {"maya": service, "tom": tom,
            "maya_comms": CommsService(service.db, service.config, clock, "maya"),
            "tom_comms": CommsService(service.db, service.config, clock, "tom"),
            "maya_runbooks": RunbookService(service.db, clock, "maya"),
            "tom_runbooks": RunbookService(service.db, clock, "tom")}


def open_drill(service: IncidentService, severity: Severity = Severity.SEV3) -> int:
    return service.declare(Declaration(title="Weekly CAC up 340%", severity=severity, asset="cac-dashboard",
                                       source=DetectionSource.DRILL, status=Status.TRIAGE)).id


def facts(service: IncidentService, incident_id: int, settings: CommsSettings | None = None) -> DrillFacts:
    return facts_from(service.get(incident_id), service.events(incident_id), START,
                      settings or service.config.comms)


def test_a_drill_run_by_two_people_reads_back_as_facts_and_credits(team, clock, runbook) -> None:
    maya, tom = team["maya"], team["tom"]
    incident_id = open_drill(maya)
    clock.advance(2 * M)
    maya.change_severity(incident_id, Severity.SEV2, "The CAC dashboard is read at the 11 AM review")
    clock.advance(4 * M)  # 6 min
    maya.change_status(incident_id, Status.INVESTIGATING)
    clock.advance(3 * M)  # 9 min
    tom.assign_role(incident_id, Role.SME, "lukas")
    clock.advance(2 * M)  # 11 min
    team["tom_comms"].send(incident_id, "technical-initial.md.j2", "technical", "Looking at the CAC pipeline.", "x")
    team["maya_runbooks"].attach(incident_id, runbook)
    clock.advance(10 * M)  # 21 min
    team["tom_runbooks"].set_step(incident_id, runbook, 5, "done")  # Reload the missing window
    team["tom_runbooks"].set_step(incident_id, runbook, 1, "done")
    team["tom_runbooks"].set_step(incident_id, runbook, 1, "todo")  # reopened: not done after all
    clock.advance(9 * M)  # 30 min
    maya.change_status(incident_id, Status.RESOLVED)

    got = facts(maya, incident_id)
    assert got.started_at == START
    assert got.declared_at == START + 6 * M
    assert got.severity is Severity.SEV2  # the severity when it left triage
    assert got.roles_at == START + 9 * M  # the IC (on call) and an SME
    assert got.first_update_at == START + 11 * M
    assert got.updates_on_time == (True,)
    assert got.runbooks == {"pipeline-succeeded-no-data"}
    assert got.steps_done == {"Reload the missing window"}
    assert got.resolved_at == START + 30 * M
    assert got.update_due_at is None
    assert got.credits == {
        "maya": ("set the severity to SEV-2", "declared the incident", "attached the runbook pipeline-succeeded-no-data",
                 "resolved the incident"),
        "tom": ("assigned the SME", "sent the first update", "did the step “Reload the missing window”",
                "did the step “Find the loads that succeeded with no rows”"),
    }
    assert holds(Condition("step", "Reload the missing window"), got)


def test_a_drill_still_in_triage_has_done_nothing_yet(team) -> None:
    incident_id = open_drill(team["maya"], Severity.SEV2)
    got = facts(team["maya"], incident_id)
    assert (got.declared_at, got.severity, got.roles_at, got.first_update_at, got.resolved_at) == (None,) * 5
    assert got.runbooks == frozenset() and got.steps_done == frozenset() and got.update_due_at is None
    assert got.credits == {}  # opening the drill's incident is the drill's doing, not a person's


def test_declared_at_once_counts_from_the_declaration(team, clock) -> None:
    clock.advance(3 * M)
    incident_id = team["maya"].declare(Declaration(title="CAC", severity=Severity.SEV1, asset="cac-dashboard",
                                                   source=DetectionSource.DRILL))
    got = facts(team["maya"], incident_id.id)
    assert got.declared_at == START + 3 * M and got.severity is Severity.SEV1
    assert got.credits["maya"] == ("declared the incident",)


def test_updates_against_the_sev1_cadence_late_and_owed(team, clock) -> None:
    maya, comms = team["maya"], team["maya_comms"]
    incident_id = open_drill(maya, Severity.SEV1)
    maya.change_status(incident_id, Status.INVESTIGATING)
    clock.advance(5 * M)
    comms.send(incident_id, "technical-initial.md.j2", "technical", "On it.", "x")  # due by 30 min: on time
    clock.advance(40 * M)  # 45 min: due by 35 min, late by 10
    comms.send(incident_id, "technical-update.md.j2", "technical", "Still on it.", "x")
    got = facts(maya, incident_id)
    assert got.updates_on_time == (True, False)
    assert got.update_due_at == START + 75 * M  # 30 min after the last one: still open, so still owed
    clock.advance(40 * M)  # 85 min: resolved 10 min after the next update fell due
    maya.change_status(incident_id, Status.RESOLVED)
    got = facts(maya, incident_id)
    assert got.update_due_at == START + 75 * M


def test_resolving_before_the_next_update_is_due_owes_nothing(team, clock) -> None:
    maya = team["maya"]
    incident_id = open_drill(maya, Severity.SEV1)
    maya.change_status(incident_id, Status.INVESTIGATING)
    clock.advance(20 * M)
    maya.change_status(incident_id, Status.RESOLVED)
    assert facts(maya, incident_id).update_due_at is None


def test_a_sev3_owes_no_updates(team, clock) -> None:
    maya = team["maya"]
    incident_id = open_drill(maya, Severity.SEV3)
    maya.change_status(incident_id, Status.INVESTIGATING)
    clock.advance(3 * 60 * M)
    got = facts(maya, incident_id)
    assert got.update_due_at is None and got.updates_on_time == ()


# -- the scorecard ----------------------------------------------------------------------------------------

TARGETS = Targets(declare_within=10 * M, severity=Severity.SEV2, roles_within=15 * M, first_update_within=15 * M,
                  updates_on_cadence=True, runbook="pipeline-succeeded-no-data", resolve_within=60 * M)
END = START + 70 * M


def results(card: Scorecard) -> dict[str, tuple[str, str, bool | None]]:
    return {r.name: (r.target, r.actual, r.met) for r in card.results}


def test_every_target_met() -> None:
    happened = DrillFacts(START, declared_at=START + 7 * M, severity=Severity.SEV2, roles_at=START + 9 * M,
                          first_update_at=START + 11 * M + timedelta(seconds=30), updates_on_time=(True, True),
                          runbooks=frozenset({"pipeline-succeeded-no-data"}), resolved_at=START + 42 * M,
                          credits={"maya": ("declared the incident",)})
    card = score(scenario(ASK, targets=TARGETS), happened, END)
    assert results(card) == {
        "Time to declare": ("within 10 min", "7 min", True),
        "Severity": ("SEV-2", "SEV-2", True),
        "Roles assigned": ("within 15 min", "9 min", True),
        "First update": ("within 15 min", "11 min 30 s", True),
        "Updates on cadence": ("every update on time", "2 of 2 on time", True),
        "Runbook": ("pipeline-succeeded-no-data", "attached", True),
        "Time to resolve": ("within 1 h", "42 min", True),
    }
    assert card.missed == ()
    assert card.went_well[0] == "Declared in 7 min (target 10 min)"
    assert card.met_count == (7, 7)
    assert (card.scenario, card.title, card.started_at, card.ended_at) == ("cac", "Weekly CAC up 340%", START, END)
    assert card.credits == {"maya": ("declared the incident",)}


def test_missed_and_not_done_targets() -> None:
    happened = DrillFacts(START, declared_at=START + 14 * M, severity=Severity.SEV3, roles_at=None,
                          first_update_at=START + 16 * M, updates_on_time=(True, False),
                          runbooks=frozenset({"third-party-api-failure"}), resolved_at=None)
    card = score(scenario(ASK, targets=TARGETS), happened, END)
    assert results(card) == {
        "Time to declare": ("within 10 min", "14 min", False),
        "Severity": ("SEV-2", "SEV-3", False),
        "Roles assigned": ("within 15 min", "not done", False),
        "First update": ("within 15 min", "16 min", False),
        "Updates on cadence": ("every update on time", "1 of 2 on time", False),
        "Runbook": ("pipeline-succeeded-no-data", "not attached (attached: third-party-api-failure)", False),
        "Time to resolve": ("within 1 h", "not done", False),
    }
    assert card.went_well == ()
    assert card.missed == (
        "Declared in 14 min: 4 min over the target of 10 min",
        "Declared as SEV-3; the scenario called for SEV-2",
        "The roles were never assigned beyond the IC (target: within 15 min)",
        "First update sent in 16 min: 1 min over the target of 15 min",
        "1 of 2 updates went out late",
        "The runbook pipeline-succeeded-no-data was not attached; third-party-api-failure was used instead",
        "Not resolved before the end (target: within 1 h)",
    )
    assert card.met_count == (0, 7)


def test_what_happened_after_the_end_did_not_happen() -> None:
    late = DrillFacts(START, declared_at=START + 5 * M, severity=Severity.SEV2, resolved_at=END + M)
    assert results(score(scenario(ASK, targets=TARGETS), late, END))["Time to resolve"] == ("within 1 h", "not done",
                                                                                           False)


def test_an_update_owed_and_never_sent_misses_the_cadence() -> None:
    owed = DrillFacts(START, declared_at=START + M, severity=Severity.SEV1, first_update_at=START + 5 * M,
                      updates_on_time=(True,), update_due_at=START + 35 * M)
    card = score(scenario(ASK, targets=Targets(updates_on_cadence=True)), owed, START + 50 * M)
    assert results(card)["Updates on cadence"] == ("every update on time",
                                                   "1 of 1 on time; the update due at 35 min was never sent", False)
    assert "An update the cadence owed was never sent" in card.missed
    # the same, ended before it fell due: met
    card = score(scenario(ASK, targets=Targets(updates_on_cadence=True)), owed, START + 35 * M)
    assert results(card)["Updates on cadence"] == ("every update on time", "1 of 1 on time", True)


def test_targets_not_set_are_shown_but_not_measured() -> None:
    happened = DrillFacts(START, declared_at=START + 3 * M, severity=Severity.SEV3, first_update_at=START + 4 * M)
    card = score(scenario(ASK, targets=Targets(declare_within=5 * M)), happened, END)
    assert results(card) == {
        "Time to declare": ("within 5 min", "3 min", True),
        "Severity": ("no target", "SEV-3", None),
        "Roles assigned": ("no target", "not done", None),
        "First update": ("no target", "4 min", None),
        "Updates on cadence": ("no target", "none was due", None),
        "Runbook": ("no target", "none attached", None),
        "Time to resolve": ("no target", "not done", None),
    }
    assert card.met_count == (1, 1) and card.missed == ()


def test_a_higher_severity_is_missed_but_called_the_safe_side() -> None:
    card = score(scenario(ASK, targets=TARGETS), DrillFacts(START, declared_at=START + M, severity=Severity.SEV1), END)
    assert "Declared as SEV-1; the scenario called for SEV-2 (higher is the safe side when unsure)" in card.missed


def test_a_scorecard_survives_json() -> None:
    happened = DrillFacts(START, declared_at=START + 7 * M, severity=Severity.SEV2,
                          credits={"maya": ("declared the incident",), "tom": ("assigned the SME", "sent an update ×2")})
    card = score(scenario(ASK, targets=TARGETS), happened, END)
    data = card.to_json()
    assert data["started_at"] == "2026-11-27T10:00:00Z"
    assert Scorecard.from_json(data) == card
    with pytest.raises(ValueError, match="not a drill scorecard"):
        Scorecard.from_json({"title": "no scenario"})


def test_the_markdown_for_the_feedback_session() -> None:
    happened = DrillFacts(START, declared_at=START + 7 * M, severity=Severity.SEV2, roles_at=START + 9 * M,
                          first_update_at=START + 16 * M, runbooks=frozenset({"pipeline-succeeded-no-data"}),
                          credits={"maya": ("declared the incident", "resolved the incident"),
                                   "tom": ("assigned the SME", "sent the first update")})
    card = score(scenario(ASK, targets=TARGETS), happened, END)
    names = {"maya": "Maya Okafor", "tom": "Tom Brandt"}
    text = scorecard_markdown(card, lambda person: names.get(person, person))
    assert text.startswith("# Drill scorecard: Weekly CAC up 340%\n")
    assert "started 2026-11-27 10:00 UTC, 1 h 10 min of scenario time" in text
    assert "| Time to declare | 7 min (target within 10 min) | met |" in text
    assert "| First update | 16 min (target within 15 min) | missed |" in text
    assert "| Time to resolve | not done (target within 1 h) | missed |" in text
    assert "## What went well\n\n- Declared in 7 min (target 10 min)\n" in text
    assert "- First update sent in 16 min: 1 min over the target of 15 min" in text
    assert "- **Maya Okafor**: declared the incident; resolved the incident" in text
    assert "- **Tom Brandt**: assigned the SME; sent the first update" in text
    feedback = text[text.index("## For the feedback session"):]
    assert [line[:3] for line in feedback.splitlines() if line[:1].isdigit()] == ["1. ", "2. ", "3. "]
    assert "2. First update was missed (16 min; target within 15 min)" in feedback
    assert "slow you down" in feedback


def test_the_markdown_keeps_a_table_whole_whatever_the_text() -> None:
    drill = Scenario("x", "A | B <script>", "a", Severity.SEV3, "", {}, (ASK,), Targets(runbook="a|b"))
    text = scorecard_markdown(score(drill, NOTHING, END), str)
    assert "| Runbook | not attached (target a\\|b) | missed |" in text
    assert "<script>" not in text
    assert "- Nobody acted on the drill's incident." in text and "- No target was met this time." in text
