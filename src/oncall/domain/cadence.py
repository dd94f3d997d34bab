"""When the next stakeholder update is due: the cadence arithmetic, pure.

By severity (defaults: SEV-1 every 30 minutes, SEV-2 every 2 hours, SEV-3 none; `[comms]` in
oncall.toml). A newly declared SEV-1 or SEV-2 owes its initial notice at once; after that the next
update is due one interval after the last one sent, or at the time the update promised, whichever
the update said. A severity change keeps an earlier due time and brings a later one forward to
the new interval; a severity without a cadence owes nothing. Resolving, closing or dismissing
ends the cadence (the resolved notice is its last message); reopening owes an update at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from oncall.domain.severity import Severity
from oncall.domain.status import Status

FINISHED = frozenset({Status.RESOLVED, Status.CLOSED, Status.DISMISSED})


class CommsSettings(BaseModel):
    """`[comms]` in oncall.toml: minutes between updates per severity; 0 means no cadence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sev1_minutes: int = Field(default=30, ge=0, le=7 * 24 * 60)
    sev2_minutes: int = Field(default=120, ge=0, le=7 * 24 * 60)
    sev3_minutes: int = Field(default=0, ge=0, le=7 * 24 * 60)

    def interval(self, severity: Severity) -> timedelta | None:
        minutes = {Severity.SEV1: self.sev1_minutes, Severity.SEV2: self.sev2_minutes,
                   Severity.SEV3: self.sev3_minutes}[severity]
        return timedelta(minutes=minutes) if minutes else None


def due_when_declared(severity: Severity, status: Status, now: datetime, settings: CommsSettings) -> datetime | None:
    """A declared incident with a cadence owes its initial notice at once; triage owes nothing yet."""
    if status is Status.TRIAGE or status in FINISHED:
        return None
    return now if settings.interval(severity) else None


def due_after_update(sent_at: datetime, promised: datetime | None, severity: Severity, status: Status,
                     settings: CommsSettings) -> datetime | None:
    """After an update is sent: the time it promised, else one interval on; none once finished."""
    if status in FINISHED:
        return None
    if promised is not None and promised > sent_at:
        return promised
    interval = settings.interval(severity)
    return sent_at + interval if interval else None


def due_after_severity_change(due: datetime | None, last_update: datetime | None, severity: Severity,
                              status: Status, now: datetime, settings: CommsSettings) -> datetime | None:
    if status is Status.TRIAGE or status in FINISHED:
        return due
    interval = settings.interval(severity)
    if interval is None:
        return None
    if due is None:  # a cadence starts now: the stakeholders hear at once
        return now
    if last_update is not None:
        return min(due, last_update + interval)
    return due


def due_after_status_change(due: datetime | None, old: Status, new: Status, severity: Severity, now: datetime,
                            settings: CommsSettings) -> datetime | None:
    if new in FINISHED:
        return None
    if (old in FINISHED or old is Status.TRIAGE) and new not in FINISHED and new is not Status.TRIAGE:
        # declared from triage, or reopened: an update is owed at once
        return now if settings.interval(severity) else None
    return due
