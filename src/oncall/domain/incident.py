"""An incident and its timeline events, as the console, the command line and the sync see them."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from oncall.domain.detection import DetectionSource
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.domain.text import clean_block, clean_line


class EventKind(str, Enum):
    DECLARED = "declared"
    STATUS_CHANGED = "status_changed"
    SEVERITY_CHANGED = "severity_changed"
    NOTE = "note"
    IMPACT_CHANGED = "impact_changed"
    ETA_CHANGED = "eta_changed"
    IC_ASSIGNED = "ic_assigned"
    STARTED_AT_CHANGED = "started_at_changed"
    CLOSE_OVERRIDE = "close_override"


TITLE_MAX = 200  # characters: a title is read in a queue row, not a paragraph


class Incident(BaseModel):
    """One incident. `id` is None until the store gives it one."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    severity: Severity
    status: Status = Status.TRIAGE
    asset: str = Field(min_length=1)
    source: DetectionSource = DetectionSource.USER_REPORT
    impact: str = ""
    eta: str = ""
    ic: str | None = None
    is_drill: bool = False
    started_at: datetime | None = None
    detected_at: datetime
    declared_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime

    @field_validator("title", mode="before")
    @classmethod
    def _title_has_text(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        value = " ".join(clean_line(value).split())
        if not value:
            raise ValueError("title is empty")
        return value

    @field_validator("asset", "eta", "ic", mode="before")
    @classmethod
    def _one_line(cls, value: object) -> object:
        return clean_line(value) if isinstance(value, str) else value

    @field_validator("impact", mode="before")
    @classmethod
    def _block(cls, value: object) -> object:
        return clean_block(value) if isinstance(value, str) else value

    @property
    def ref(self) -> str:
        """How people name it: INC-42."""
        return f"INC-{self.id}" if self.id is not None else "INC-?"


class TimelineEvent(BaseModel):
    """One line of an incident's append-only timeline: who did what, when."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    incident_id: int
    at: datetime
    actor: str
    kind: EventKind
    text: str = ""
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("text", mode="before")
    @classmethod
    def _text_for_a_terminal(cls, value: object) -> object:
        return clean_block(value) if isinstance(value, str) else value

    @field_validator("actor", mode="before")
    @classmethod
    def _actor_one_line(cls, value: object) -> object:
        return clean_line(value) if isinstance(value, str) else value
