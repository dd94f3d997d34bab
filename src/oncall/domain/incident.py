"""An incident and its timeline events, as the console, the command line and the sync see them."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Callable

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

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
    ROLE_ASSIGNED = "role_assigned"  # an SME added, the Lead or PM given (or handed on)
    ROLE_REMOVED = "role_removed"
    RUNBOOK_ATTACHED = "runbook_attached"
    RUNBOOK_STEP = "runbook_step"  # a step done, skipped (with why), reopened, or a note on it
    EVIDENCE_GATHERED = "evidence_gathered"  # what ran, its output, exit status and duration
    EVIDENCE_SHARED = "evidence_shared"  # the IC chose to send gathered evidence to Jira
    RUNBOOK_FINISHED = "runbook_finished"  # every step done or skipped: a summary
    TAGS_CHANGED = "tags_changed"  # the failure tags runbooks are suggested by
    UPDATE_SENT = "update_sent"  # a stakeholder update (a comms template, rendered) went out
    POSTMORTEM = "postmortem"  # the post-mortem was drafted, or moved to in review / complete / back
    ACTION_ITEM = "action_item"  # an action item was added, done, won't do, reopened, or changed
    ROOT_CAUSE = "root_cause"  # the root-cause category was set (and whether it repeats an earlier one)
    INTAKE = "intake"  # an alert or dbt check behind a triage item repeated, recovered or fired again
    ASSET_CHANGED = "asset_changed"  # the affected asset was chosen or corrected


def _text_only(clean: Callable[[str], str]) -> BeforeValidator:
    return BeforeValidator(lambda value: clean(value) if isinstance(value, str) else value)


# Text as it may reach a terminal (`domain/text.py`): one line, or a block that keeps its lines.
OneLine = Annotated[str, _text_only(clean_line)]
Block = Annotated[str, _text_only(clean_block)]

TITLE_MAX = 200  # characters: a title is read in a queue row, not a paragraph


class Incident(BaseModel):
    """One incident. `id` is None until the store gives it one."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    severity: Severity
    status: Status = Status.TRIAGE
    asset: OneLine = Field(min_length=1)
    source: DetectionSource = DetectionSource.USER_REPORT
    impact: Block = ""
    eta: OneLine = ""
    ic: OneLine | None = None
    is_drill: bool = False
    # Who reported it (a roster id, a Slack user id or an email address; `domain/reporter.py`).
    reported_by: OneLine = ""
    root_cause: OneLine = ""  # the failure tag it was resolved with (`service/postmortems.py`)
    recurring_of: int | None = None  # the earlier incident it repeats: same asset and cause within 90 days
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
    actor: OneLine
    kind: EventKind
    text: Block = ""
    data: dict[str, Any] = Field(default_factory=dict)

