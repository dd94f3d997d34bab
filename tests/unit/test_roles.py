"""The role rules on an incident: one IC always, any number of SMEs, one Lead and one PM; every
change on the timeline; the people the RACI chart keeps Informed recorded with each activity."""

from __future__ import annotations

import pytest

from oncall.domain.incident import EventKind
from oncall.domain.people import Role
from oncall.domain.rules import RuleViolation
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.incidents import Declaration


def declare(service, **changes):
    fields = dict(title="CAC doubled overnight", severity=Severity.SEV2, asset="cac-dashboard", ic="maya")
    fields.update(changes)
    return service.declare(Declaration(**fields))


def test_smes_add_up_and_the_lead_and_pm_are_handed_on(service):
    incident = declare(service)
    service.assign_role(incident.id, Role.SME, "tom")
    service.assign_role(incident.id, Role.SME, "priya")
    service.assign_role(incident.id, Role.LEAD, "lukas")
    holders = service.assign_role(incident.id, Role.LEAD, "grace", "lukas is off tomorrow")
    assert (holders.ic, holders.sme, holders.lead, holders.pm) == ("maya", ("tom", "priya"), "grace", None)
    texts = [event.text for event in service.events(incident.id) if event.kind is EventKind.ROLE_ASSIGNED]
    assert texts == ["tom is Subject Matter Expert", "priya is Subject Matter Expert", "lukas is Eng/Team Lead",
                     "Eng/Team Lead handed from lukas to grace: lukas is off tomorrow"]
    holders = service.unassign_role(incident.id, Role.SME, "tom")
    assert holders.sme == ("priya",)
    assert service.events(incident.id)[-1].text == "tom is no longer Subject Matter Expert"
    assert service.roles(incident.id).roles_of("priya") == [Role.SME]


def test_the_ic_is_handed_off_through_the_same_call(service):
    incident = declare(service)
    holders = service.assign_role(incident.id, Role.IC, "tom", "end of shift")
    assert holders.ic == "tom"
    assert service.events(incident.id)[-1].text == "IC handed from maya to tom: end of shift"


@pytest.mark.parametrize("action, message", [
    (lambda s, i: s.assign_role(i, Role.SME, "nobody-here"), "'nobody-here' is not on the roster"),
    (lambda s, i: s.assign_role(i, Role.IC, "maya"), "maya is already Incident Commander"),
    (lambda s, i: s.unassign_role(i, Role.IC, "maya"), "an incident always has one Incident Commander"),
    (lambda s, i: s.unassign_role(i, Role.SME, "tom"), "tom is not Subject Matter Expert on this incident"),
    (lambda s, i: s.assign_role(i, Role.SME, "   "), "name the Subject Matter Expert"),
])
def test_refused_changes_say_why_and_change_nothing(service, action, message):
    incident = declare(service)
    before = (service.roles(incident.id), len(service.events(incident.id)), service.get(incident.id))
    with pytest.raises(RuleViolation, match=message):
        action(service, incident.id)
    assert (service.roles(incident.id), len(service.events(incident.id)), service.get(incident.id)) == before


def test_assigning_twice_is_refused(service):
    incident = declare(service)
    service.assign_role(incident.id, Role.SME, "tom")
    with pytest.raises(RuleViolation, match="tom is already Subject Matter Expert"):
        service.assign_role(incident.id, Role.SME, "tom")


def test_no_such_incident(service):
    with pytest.raises(LookupError, match="no incident INC-99"):
        service.assign_role(99, Role.SME, "tom")


def test_the_informed_are_recorded_with_each_activity(service):
    incident = declare(service)
    declared = next(e for e in service.events(incident.id) if e.kind is EventKind.DECLARED)
    assert declared.data["activity"] == "declare" and "informed" not in declared.data  # nobody is PM yet
    service.assign_role(incident.id, Role.PM, "sofia")
    service.assign_role(incident.id, Role.LEAD, "lukas")
    service.change_status(incident.id, Status.IDENTIFIED)  # root cause found: Investigate
    identified = service.events(incident.id)[-1]
    assert identified.data["activity"] == "investigate" and identified.data["informed"] == ["sofia"]
    service.change_status(incident.id, Status.MONITORING)  # a fix is in: Deploy Fix
    assert service.events(incident.id)[-1].data["informed"] == ["sofia"]
    service.change_status(incident.id, Status.RESOLVED)  # Communicate Status: the Lead is Informed
    resolved = service.events(incident.id)[-1]
    assert resolved.data["activity"] == "communicate_status" and resolved.data["informed"] == ["lukas"]


def test_a_drill_tells_nobody(service):
    from oncall.domain.incident import DetectionSource

    incident = declare(service, source=DetectionSource.DRILL)
    service.assign_role(incident.id, Role.PM, "sofia")
    service.change_status(incident.id, Status.IDENTIFIED)
    assert "informed" not in service.events(incident.id)[-1].data


def test_load_counts_open_incidents_only(service):
    first = declare(service)
    second = declare(service, title="Orders late", ic="tom")
    service.assign_role(second.id, Role.SME, "maya")
    service.assign_role(first.id, Role.SME, "tom")
    service.change_status(first.id, Status.RESOLVED)
    load = service.role_store.open_load(["maya", "tom", "priya"])
    assert load == {"maya": {second.id: [Role.SME]}, "tom": {second.id: [Role.IC]}, "priya": {}}
