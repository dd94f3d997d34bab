"""People on the roster, the roles they fill in an incident, and who is on call."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field


class Role(str, Enum):
    IC = "ic"
    SME = "sme"
    LEAD = "lead"
    PM = "pm"

    @property
    def title(self) -> str:
        return {
            "ic": "On-Call Engineer (IC)",
            "sme": "Data Engineer (SME)",
            "lead": "Eng/Team Lead",
            "pm": "TPM/PM/PO",
        }[self.value]


class Person(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str = Field(min_length=1)
    email: str = ""
    slack_id: str = ""
    team: str = ""
    roles: list[Role] = Field(default_factory=list)


class Rotation(BaseModel):
    """A simple round-robin on-call rotation: each person holds the pager for `shift_days`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: datetime
    shift_days: int = Field(default=7, ge=1)
    people: list[str] = Field(default_factory=list)

    def on_call(self, at: datetime) -> str | None:
        if not self.people:
            return None
        elapsed_days = (at - self.start).total_seconds() / 86400
        shift = int(elapsed_days // self.shift_days)
        return self.people[shift % len(self.people)]
