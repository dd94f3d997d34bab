"""Intake: signals become one triage item per key, recoveries are recorded, reports are answered."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oncall.domain.detection import DetectionSource
from oncall.domain.incident import EventKind
from oncall.domain.intake import UNKNOWN_ASSET, LineageNode, Signal
from oncall.domain.rules import RuleViolation
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.intake import IntakeService
from oncall.store.lineage import LineageRepository


@pytest.fixture
def intake(database, workspace, clock) -> IntakeService:
    return IntakeService(database, workspace.config, clock, root=workspace.root)


def alert(key: str, firing: bool = True, **changes) -> Signal:
    fields = {"origin": "alertmanager", "key": key, "title": f"rows late on {key}", "asset": "stg_ad_spend",
              "severity": Severity.SEV2, "firing": firing}
    return Signal(**{**fields, **changes})


def intake_events(intake: IntakeService, incident_id: int) -> list[str]:
    return [e.data.get("intake") for e in intake.incident_service.events(incident_id) if e.kind is EventKind.INTAKE]


def test_a_storm_of_alerts_on_fifty_keys_is_fifty_items(intake: IntakeService, database) -> None:
    absorbed = intake.absorb(alert(f"k{n % 50}") for n in range(2_000))
    assert len(absorbed.opened) == 50
    assert database.conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 50
    item = intake.items.latest("alertmanager:k7")
    assert item is not None and item.repeats == 39 and item.firing
    # The timeline hears of the repeats once, not 39 times.
    assert intake_events(intake, item.incident_id) == ["repeat"]


def test_an_item_opens_in_triage_on_the_asset_its_name_maps_to(intake: IntakeService) -> None:
    absorbed = intake.absorb([alert("a1", started_at=intake.clock.now() - timedelta(hours=3))])
    incident = intake.incident_service.get(absorbed.opened[0])
    assert incident.status is Status.TRIAGE and incident.asset == "stg-ad-spend"
    assert incident.source is DetectionSource.ALERT and incident.severity is Severity.SEV2
    assert incident.started_at == intake.clock.now() - timedelta(hours=3)
    assert incident.declared_at is None  # not an incident until the IC says so


def test_a_name_the_workspace_does_not_know_waits_for_the_ic(intake: IntakeService) -> None:
    absorbed = intake.absorb([alert("a1", asset="some_other_table"), alert("a2", asset="")])
    assert [intake.incident_service.get(i).asset for i in absorbed.opened] == [UNKNOWN_ASSET, UNKNOWN_ASSET]


def test_a_start_in_the_future_is_not_taken(intake: IntakeService) -> None:
    absorbed = intake.absorb([alert("a1", started_at=intake.clock.now() + timedelta(hours=1))])
    assert intake.incident_service.get(absorbed.opened[0]).started_at is None


def test_repeats_are_noted_at_most_once_a_quarter_hour(intake: IntakeService, clock) -> None:
    opened = intake.absorb([alert("a1")]).opened[0]
    for _ in range(3):
        intake.absorb([alert("a1")])
        clock.advance(timedelta(minutes=5))
    intake.absorb([alert("a1")])  # 15 minutes after the first repeat was noted
    assert intake_events(intake, opened) == ["repeat", "repeat"]
    assert intake.items.latest("alertmanager:a1").repeats == 4


def test_resolved_is_recorded_on_the_item_which_stays_as_the_ic_left_it(intake: IntakeService) -> None:
    opened = intake.absorb([alert("a1")]).opened[0]
    absorbed = intake.absorb([alert("a1", firing=False)])
    assert absorbed.recovered == (opened,)
    assert intake.incident_service.get(opened).status is Status.TRIAGE
    assert intake_events(intake, opened) == ["recovered"]
    again = intake.absorb([alert("a1", firing=False)])
    assert again.unchanged == 1 and intake_events(intake, opened) == ["recovered"]


def test_firing_again_while_open_is_the_same_item(intake: IntakeService) -> None:
    opened = intake.absorb([alert("a1")]).opened[0]
    intake.absorb([alert("a1", firing=False)])
    absorbed = intake.absorb([alert("a1")])
    assert absorbed.opened == () and absorbed.updated == (opened,)
    assert intake_events(intake, opened) == ["recovered", "firing"]


def test_a_finished_item_whose_check_never_recovered_takes_the_repeats(intake: IntakeService) -> None:
    opened = intake.absorb([alert("a1")]).opened[0]
    intake.dismiss_item(opened, "known maintenance window")
    absorbed = intake.absorb([alert("a1")])
    assert absorbed.opened == () and absorbed.updated == (opened,)


def test_a_firing_after_a_recovery_on_a_finished_item_is_a_new_item(intake: IntakeService) -> None:
    opened = intake.absorb([alert("a1")]).opened[0]
    intake.dismiss_item(opened, "known maintenance window")
    intake.absorb([alert("a1", firing=False)])
    absorbed = intake.absorb([alert("a1")])
    assert len(absorbed.opened) == 1 and absorbed.opened[0] != opened


def test_a_recovery_of_something_never_seen_changes_nothing(intake: IntakeService, database) -> None:
    assert intake.absorb([alert("a1", firing=False)]).unchanged == 1
    assert database.conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 0


def test_the_same_run_ingested_twice_changes_nothing(intake: IntakeService, database) -> None:
    run_at = intake.clock.now() - timedelta(minutes=10, microseconds=571_773)  # dbt writes microseconds
    signals = [Signal(origin="dbt", key="test.cac.not_null_fct", title="not_null failed", asset="stg_ad_spend",
                      observed_at=run_at, source=DetectionSource.DBT)]
    first = intake.absorb(signals)
    before = database.conn.execute("SELECT count(*) FROM timeline").fetchone()[0]
    second = intake.absorb(signals)
    assert len(first.opened) == 1 and second.unchanged == 1 and second.opened == second.updated == ()
    assert database.conn.execute("SELECT count(*) FROM timeline").fetchone()[0] == before
    assert intake.incident_service.get(first.opened[0]).source is DetectionSource.DBT


def test_a_later_passing_run_records_the_recovery(intake: IntakeService) -> None:
    run_at = intake.clock.now() - timedelta(hours=1)
    failing = Signal(origin="dbt", key="n1", title="failed", observed_at=run_at, source=DetectionSource.DBT)
    opened = intake.absorb([failing]).opened[0]
    passing = failing.model_copy(update={"firing": False, "observed_at": run_at + timedelta(minutes=30)})
    assert intake.absorb([passing]).recovered == (opened,)
    older = failing.model_copy(update={"observed_at": run_at - timedelta(hours=1), "firing": False})
    assert intake.absorb([older]).unchanged == 1


def test_a_report_opens_a_triage_item_and_answers_the_reporter(intake: IntakeService) -> None:
    reported = intake.report("sofia", "EMEA spend is zero on the CAC dashboard\nsince 09:00 today")
    incident = reported.incident
    assert reported.created and incident.status is Status.TRIAGE and incident.source is DetectionSource.USER_REPORT
    assert incident.title == "EMEA spend is zero on the CAC dashboard" and "since 09:00" in incident.impact
    assert incident.reported_by == "sofia" and incident.asset == UNKNOWN_ASSET
    sent = [e for e in intake.incident_service.events(incident.id) if e.kind is EventKind.UPDATE_SENT]
    assert [e.data["template"] for e in sent] == ["reporter-acknowledged.md.j2"]
    assert sent[0].data["to"] == "sofia" and "Thank you for telling us" in sent[0].data["text"]


def test_one_message_makes_one_item_however_often_it_comes(intake: IntakeService, database) -> None:
    first = intake.report("U04ABCDEF", "weird numbers", key="slack:C1:1700.1", slack_thread=("C1", "1700.1"))
    again = intake.report("U04ZZZ", "weird numbers", key="slack:C1:1700.1", slack_thread=("C1", "1700.1"))
    assert first.created and not again.created and again.incident.id == first.incident.id
    assert database.conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 1
    assert intake.items.slack_thread(first.incident.id) == ("C1", "1700.1")


def test_a_report_is_refused_without_text_a_reporter_or_with_an_unknown_asset(intake: IntakeService) -> None:
    with pytest.raises(RuleViolation, match="empty"):
        intake.report("sofia", " \x1b[2J ")
    with pytest.raises(RuleViolation, match="who reports it"):
        intake.report("", "numbers look wrong")
    with pytest.raises(RuleViolation, match="unknown asset 'nope'"):
        intake.report("sofia", "numbers look wrong", "nope")
    with pytest.raises(RuleViolation, match="not on the roster"):
        intake.report("not a person", "numbers look wrong")


def test_declaring_needs_an_asset_then_tells_the_reporter(intake: IntakeService) -> None:
    incident = intake.report("sofia", "CAC looks doubled").incident
    with pytest.raises(RuleViolation, match="choose the affected asset"):
        intake.declare_item(incident.id, Severity.SEV2)
    declared = intake.declare_item(incident.id, Severity.SEV2, "cac-dashboard")
    assert declared.status is Status.INVESTIGATING and declared.severity is Severity.SEV2
    assert declared.asset == "cac-dashboard" and declared.declared_at == intake.clock.now()
    templates = [e.data["template"] for e in intake.incident_service.events(incident.id)
                 if e.kind is EventKind.UPDATE_SENT]
    assert templates == ["reporter-acknowledged.md.j2", "reporter-declared.md.j2"]
    with pytest.raises(RuleViolation, match="not in triage"):
        intake.declare_item(incident.id, Severity.SEV1)


def test_dismissing_tells_the_reporter_why(intake: IntakeService) -> None:
    incident = intake.report("sofia@example.com", "signups doubled").incident
    intake.dismiss_item(incident.id, "a real campaign launched on Monday")
    sent = [e for e in intake.incident_service.events(incident.id) if e.kind is EventKind.UPDATE_SENT][-1]
    assert sent.data["template"] == "reporter-dismissed.md.j2"
    assert "a real campaign launched on Monday" in sent.data["text"]
    assert sent.data["by_email"] is True


def test_the_status_command_path_tells_the_reporter_too(intake: IntakeService) -> None:
    incident = intake.report("sofia", "CAC looks doubled", "cac-dashboard").incident
    intake.incident_service.change_status(incident.id, Status.DISMISSED, "duplicate of INC-1")
    sent = [e.data["template"] for e in intake.incident_service.events(incident.id) if e.kind is EventKind.UPDATE_SENT]
    assert sent[-1] == "reporter-dismissed.md.j2"


def test_an_item_without_a_reporter_tells_nobody(intake: IntakeService) -> None:
    opened = intake.absorb([alert("a1")]).opened[0]
    intake.declare_item(opened, Severity.SEV2)
    assert not [e for e in intake.incident_service.events(opened) if e.kind is EventKind.UPDATE_SENT]


def node(unique_id: str, name: str, kind: str = "model", parents: tuple[str, ...] = (), **more) -> LineageNode:
    return LineageNode(unique_id=unique_id, resource_type=kind, name=name, parents=parents, **more)


def test_lineage_adds_assets_and_oncall_toml_wins(intake: IntakeService, database, workspace) -> None:
    nodes = [node("source.cac.ads.ad_spend_raw", "ad_spend_raw", "source", freshness="error"),
             node("model.cac.stg_ad_spend", "stg_ad_spend", parents=("source.cac.ads.ad_spend_raw",)),
             node("model.cac.fct_roas", "fct_roas", parents=("model.cac.stg_ad_spend",)),
             node("exposure.cac.roas_board", "roas_board", "exposure", parents=("model.cac.fct_roas",),
                  owner="finance@example.com")]
    intake.absorb_lineage(nodes)
    config = intake.config
    # stg_ad_spend is oncall.toml's stg-ad-spend: its own upstream list stands.
    assert config.asset("stg-ad-spend").upstream == ["google-ads-api", "meta-ads-api"]
    assert config.asset("ads.ad_spend_raw").kind.value == "source"
    assert config.asset("fct_roas").upstream == ["stg-ad-spend"]
    board = config.asset("roas_board")
    assert board.kind.value == "dashboard" and board.owner == "finance@example.com"
    # Reopened, the workspace sees the same assets.
    reopened = workspace.open_database()
    try:
        assert workspace.config.asset("roas_board") is not None
    finally:
        reopened.close()
    # An alert on a dbt-only name now finds its asset.
    opened = intake.absorb([alert("r1", asset="fct_roas")]).opened[0]
    assert intake.incident_service.get(opened).asset == "fct_roas"


def test_a_new_manifest_replaces_the_last(intake: IntakeService, database) -> None:
    intake.absorb_lineage([node("model.cac.fct_roas", "fct_roas")])
    intake.absorb_lineage([node("model.cac.fct_ltv", "fct_ltv")])
    assert [asset for asset, _ in LineageRepository(database).nodes()] == ["fct_ltv"]
    assert intake.config.asset("fct_roas") is None and intake.config.asset("fct_ltv") is not None


def test_a_report_that_names_one_asset_is_on_it_and_one_naming_two_waits(intake: IntakeService) -> None:
    named = intake.report("sofia", "stg_ad_spend has no rows for Monday").incident
    assert named.asset == "stg-ad-spend"
    both = intake.report("sofia", "stg_ad_spend and the Weekly CAC dashboard disagree").incident
    assert both.asset == UNKNOWN_ASSET
