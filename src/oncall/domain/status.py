"""The incident lifecycle: which status may follow which, and what each one means for the queue."""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    TRIAGE = "triage"
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    CLOSED = "closed"
    DISMISSED = "dismissed"

    @property
    def is_active(self) -> bool:
        return self in ACTIVE

    @property
    def queue_group(self) -> int:
        """0: needs work now, 1: resolved and awaiting its post-mortem, 2: done."""
        if self in ACTIVE:
            return 0
        if self is Status.RESOLVED:
            return 1
        return 2

    @classmethod
    def parse(cls, text: str) -> "Status":
        cleaned = text.strip().lower()
        for status in cls:
            if status.value == cleaned:
                return status
        allowed = ", ".join(s.value for s in cls)
        raise ValueError(f"unknown status {text!r}: use one of {allowed}")


ACTIVE = frozenset({Status.TRIAGE, Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING})

# Forward along the lifecycle, with the steps back a real response takes: a fix that did not
# hold sends `monitoring` back to `investigating`; a resolved incident can reopen.
TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    Status.TRIAGE: (Status.INVESTIGATING, Status.IDENTIFIED, Status.DISMISSED),
    Status.INVESTIGATING: (Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED),
    Status.IDENTIFIED: (Status.INVESTIGATING, Status.MONITORING, Status.RESOLVED),
    Status.MONITORING: (Status.INVESTIGATING, Status.RESOLVED),
    Status.RESOLVED: (Status.CLOSED, Status.INVESTIGATING),
    Status.CLOSED: (),
    Status.DISMISSED: (Status.TRIAGE,),
}

# Statuses whose change needs a reason typed by a person.
NEEDS_REASON = frozenset({Status.DISMISSED})


def allowed_transitions(current: Status) -> tuple[Status, ...]:
    return TRANSITIONS[current]
