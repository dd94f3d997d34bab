"""Lifecycle rules that decide whether a change is allowed, and what it records."""

from __future__ import annotations

from oncall.domain.severity import Severity
from oncall.domain.status import NEEDS_REASON, Status, allowed_transitions


class RuleViolation(ValueError):
    """A change the lifecycle does not allow; the message says what would be allowed."""


def check_transition(
    current: Status,
    new: Status,
    severity: Severity,
    reason: str = "",
    postmortem_complete: bool = False,
    blockers: tuple[str, ...] = (),
) -> None:
    """`blockers`: what keeps a SEV-1/2 from closing (`service.postmortems.close_blockers`), said
    when no reason overrides them."""
    allowed = allowed_transitions(current)
    if new == current:
        raise RuleViolation(f"the incident is already {current.value}")
    if new not in allowed:
        options = ", ".join(s.value for s in allowed) or "none (it is final)"
        raise RuleViolation(f"cannot go from {current.value} to {new.value}; allowed: {options}")
    if new in NEEDS_REASON and not reason.strip():
        raise RuleViolation(f"moving to {new.value} needs a reason")
    if (
        new is Status.CLOSED
        and severity in (Severity.SEV1, Severity.SEV2)
        and not postmortem_complete
        and not reason.strip()
    ):
        why = f" ({'; '.join(blockers)})" if blockers else ""
        raise RuleViolation(
            f"a {severity.value} incident cannot be closed before its post-mortem is complete and every action "
            f"item has an owner and a due date{why}; give a reason to override (it is logged)"
        )


def check_severity_change(current: Severity, new: Severity, reason: str) -> None:
    if new == current:
        raise RuleViolation(f"the incident is already {current.value}")
    if not reason.strip():
        raise RuleViolation("changing severity needs a reason")
