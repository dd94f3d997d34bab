"""The `[drills]` section of oncall.toml: where a fire drill may reach, and how fast it plays.

A drill never reaches a real person: its Slack messages go only to the drill channel (nowhere
without one), its emails nowhere, and its Jira issues carry a `drill` label (or are not made).
See docs/sync.md#drills.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class DrillsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # An id (C0123ABCD) or a name (#data-drills). Empty: drills reach no Slack at all.
    slack_channel: str = ""
    # "label": a drill's issues are made, labelled `drill`; "skip": a drill makes nothing in Jira.
    jira: Literal["label", "skip"] = "label"
    # The default speed of `oncall drill run` (injects arrive N times faster than written).
    speed: float = Field(default=1.0, gt=0, le=3600)

    @field_validator("slack_channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        return value.strip()

    @property
    def slack_channel_name(self) -> str:
        return self.slack_channel.lstrip("#")
