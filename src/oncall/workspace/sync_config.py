"""The `[jira]` and `[slack]` sections of oncall.toml. Tokens never live here: see `secrets.py`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class JiraConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    server: str = Field(min_length=1)
    project: str = Field(min_length=1)
    email: str = ""
    issue_type: str = "Incident"
    fallback_issue_type: str = "Task"
    deployment: Literal["cloud", "server"] = "cloud"
    priorities: dict[str, str] = Field(
        default_factory=lambda: {"SEV-1": "Highest", "SEV-2": "High", "SEV-3": "Medium"}
    )
    transitions: dict[str, str] = Field(default_factory=dict)


class SlackConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str = Field(min_length=1)
    api_url: str = ""
    broadcast_severities: list[str] = Field(default_factory=lambda: ["SEV-1"])
