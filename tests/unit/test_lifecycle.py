"""The incident lifecycle as DESIGN.md states it: which status may follow which, and when a
reason is required. The expected table is written out here, not read from the code."""

from __future__ import annotations

import itertools

import pytest

from oncall.domain.rules import RuleViolation, check_severity_change, check_transition
from oncall.domain.severity import Severity
from oncall.domain.status import Status

T, INV, IDE, MON, RES, CLO, DIS = (
    Status.TRIAGE, Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING,
    Status.RESOLVED, Status.CLOSED, Status.DISMISSED,
)

# Forward along the lifecycle, plus the steps back a real response takes.
EXPECTED = {
    T: {INV, IDE, DIS},
    INV: {IDE, MON, RES},
    IDE: {INV, MON, RES},
    MON: {INV, RES},
    RES: {CLO, INV},
    CLO: set(),
    DIS: {T},
}
ALLOWED = [(a, b) for a, targets in EXPECTED.items() for b in sorted(targets)]
REFUSED = [(a, b) for a, b in itertools.product(Status, Status) if a != b and b not in EXPECTED[a]]


@pytest.mark.parametrize(("current", "new"), ALLOWED, ids=lambda s: s.value)
def test_allowed_transition_passes_with_a_reason(current: Status, new: Status) -> None:
    for severity in Severity:
        check_transition(current, new, severity, reason="checked with the team")


@pytest.mark.parametrize(("current", "new"), REFUSED, ids=lambda s: s.value)
def test_refused_transition_names_the_allowed_ones(current: Status, new: Status) -> None:
    with pytest.raises(RuleViolation) as refused:
        check_transition(current, new, Severity.SEV3, reason="any reason")
    message = str(refused.value)
    assert f"from {current.value} to {new.value}" in message
    for target in EXPECTED[current]:
        assert target.value in message.split("allowed:")[1]
    if not EXPECTED[current]:
        assert "final" in message


@pytest.mark.parametrize("status", list(Status), ids=lambda s: s.value)
def test_moving_to_the_same_status_is_refused(status: Status) -> None:
    with pytest.raises(RuleViolation, match=f"already {status.value}"):
        check_transition(status, status, Severity.SEV2)


@pytest.mark.parametrize("severity", [Severity.SEV1, Severity.SEV2])
def test_closing_a_sev1_or_sev2_needs_a_reason_until_the_post_mortem_is_complete(severity: Severity) -> None:
    with pytest.raises(RuleViolation, match="post-mortem"):
        check_transition(RES, CLO, severity, reason="  ")
    check_transition(RES, CLO, severity, reason="post-mortem scheduled for Monday")
    check_transition(RES, CLO, severity, postmortem_complete=True)


def test_closing_a_sev3_needs_no_reason() -> None:
    check_transition(RES, CLO, Severity.SEV3)


def test_dismissing_needs_a_reason() -> None:
    with pytest.raises(RuleViolation, match="needs a reason"):
        check_transition(T, DIS, Severity.SEV3, reason=" ")
    check_transition(T, DIS, Severity.SEV3, reason="a real campaign, not a bug")


def test_transitions_without_a_reason_rule_need_none() -> None:
    for current, new in ALLOWED:
        if new not in (DIS, CLO):
            check_transition(current, new, Severity.SEV1)


def test_severity_change_needs_a_reason_and_a_different_severity() -> None:
    with pytest.raises(RuleViolation, match="needs a reason"):
        check_severity_change(Severity.SEV3, Severity.SEV1, "")
    with pytest.raises(RuleViolation, match="already SEV-2"):
        check_severity_change(Severity.SEV2, Severity.SEV2, "same")
    check_severity_change(Severity.SEV3, Severity.SEV1, "the exec dashboard is affected")


def test_open_statuses_come_first_in_the_queue_then_resolved_then_done() -> None:
    assert {s for s in Status if s.queue_group == 0} == {T, INV, IDE, MON}
    assert RES.queue_group == 1
    assert CLO.queue_group == DIS.queue_group == 2
