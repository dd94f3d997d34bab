"""Action items: what a post-mortem says must change, each with an owner and a due date, tracked
until it is done (or deliberately not done, with a reason). Pure: no I/O, no pydantic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

TITLE_MAX = 200


class ActionStatus(str, Enum):
    OPEN = "open"
    DONE = "done"
    WONT_DO = "wont-do"  # decided against, with a reason

    @property
    def label(self) -> str:
        return "won't do" if self is ActionStatus.WONT_DO else self.value

    @classmethod
    def parse(cls, text: str) -> "ActionStatus":
        cleaned = text.strip().lower().replace("'", "").replace("_", "-").replace(" ", "-")
        for status in cls:
            if cleaned in (status.value, status.value.replace("-", "")):
                return status
        raise ValueError(f"unknown action item status {text!r}: use open, done or wont-do")


class Priority(str, Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @classmethod
    def parse(cls, text: str) -> "Priority":
        cleaned = text.strip().lower()
        for priority in cls:
            if cleaned in (priority.value, priority.value[0]):
                return priority
        raise ValueError(f"unknown priority {text!r}: use high, medium or low")


@dataclass(frozen=True)
class ActionItem:
    id: int
    incident_id: int
    title: str
    owner: str  # a roster id; '' while nobody owns it
    due: date | None
    priority: Priority
    status: ActionStatus
    reason: str  # why it won't be done
    created_by: str
    created_at: datetime
    updated_at: datetime
    jira_key: str | None = None

    @property
    def ref(self) -> str:
        return f"A-{self.id}"

    def overdue(self, today: date) -> bool:
        return self.status is ActionStatus.OPEN and self.due is not None and self.due < today

    @property
    def tracked(self) -> bool:
        """What closing a SEV-1/2 asks of every item: an owner and a due date (or it is settled)."""
        return self.status is not ActionStatus.OPEN or (bool(self.owner) and self.due is not None)


def parse_due(text: str, today: date) -> date:
    """`2026-12-15`, or `+7d` / `+2w` from today. ValueError says what is accepted."""
    value = text.strip().lower()
    if value.startswith("+") and value[1:-1].isdigit() and value[-1] in "dw" and len(value) <= 6:
        from datetime import timedelta

        count = int(value[1:-1])
        return today + timedelta(days=count * (7 if value[-1] == "w" else 1))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"cannot read due date {text!r}: use YYYY-MM-DD, or +7d / +2w from today") from None
