"""People on the roster, the roles they fill in an incident, and who is on call."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator


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

    @field_validator("start")
    @classmethod
    def _start_in_utc(cls, value: datetime) -> datetime:
        # `start = 2026-01-05T09:00:00` (no offset) in oncall.toml means UTC, like every time here;
        # left naive it could not be compared with the clock and every declare would crash.
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value

    def on_call(self, at: datetime) -> str | None:
        """Who holds the pager at `at`: nobody before the rotation starts (or with nobody in it)."""
        if not self.people or at < self.start:
            return None
        elapsed_days = (at - self.start).total_seconds() / 86400
        shift = int(elapsed_days // self.shift_days)
        return self.people[shift % len(self.people)]
