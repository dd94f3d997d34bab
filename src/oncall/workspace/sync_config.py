"""The `[jira]` and `[slack]` sections of oncall.toml. Tokens never live here: see `secrets.py`.

Every field has a default except the ones only the team can know (the Jira server and project,
the Slack channel). Values are checked when the file loads, so a typo is reported with the key.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from oncall.domain.action_items import ActionStatus, Priority
from oncall.domain.severity import Severity
from oncall.domain.status import Status

SLACK_API_URL = "https://slack.com/api/"
# Slack's emoji names (custom ones too): lower-case letters, digits, `_`, `-`, `+`, `'`.
_EMOJI_NAME = re.compile(r"^[a-z0-9_+'-]{1,100}$")
# A channel as oncall.toml names it: `#name` or `name` (lower case, digits, `-`, `_`, `.`), or an id.
_CHANNEL = re.compile(r"^(#?[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{2,})$")


def _http_url(value: str, key: str) -> str:
    value = value.strip()
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{key} must start with https:// (or http:// for a local test server)")
    return value


class JiraConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    server: str = Field(min_length=1)
    project: str = Field(min_length=1, pattern=r"^[A-Z][A-Z0-9_]*$")
    email: str = ""  # Cloud: the account the API token belongs to; empty on Server means a personal access token
    issue_type: str = "Incident"
    fallback_issue_type: str = "Task"  # used (and said so) when the project has no `issue_type`
    deployment: Literal["cloud", "server"] = "cloud"
    priorities: dict[str, str] = Field(
        default_factory=lambda: {"SEV-1": "Highest", "SEV-2": "High", "SEV-3": "Medium"}
    )
    # Our status -> the name (or numeric id) of the project's workflow transition that gets there.
    transitions: dict[str, str] = Field(default_factory=dict)
    timeout: float = Field(default=10.0, gt=0, le=120)
    concurrency: int = Field(default=2, ge=1, le=16)  # requests in flight at once (README: Sync speed)
    pull: bool = True  # pull back incidents teammates declared (same `data-incident` label)
    # Action items: one issue each, linked to the incident's issue (docs/sync.md#action-items-and-post-mortems).
    action_issue_type: str = Field(default="Task", min_length=1)
    action_link_type: str = Field(default="Relates", min_length=1)  # the link type's name (or its outward/inward words)
    # An item's status (open, done, wont-do) -> the workflow transition (name or id) of its issue.
    action_transitions: dict[str, str] = Field(default_factory=dict)
    action_priorities: dict[str, str] = Field(
        default_factory=lambda: {"high": "High", "medium": "Medium", "low": "Low"}
    )
    # Statuses of an item's issue that read as "won't do" when pulled (others in the done category: done).
    wont_do_statuses: list[str] = Field(default_factory=lambda: ["Won't Do", "Won't Fix", "Declined"])

    @field_validator("server")
    @classmethod
    def _server_url(cls, value: str) -> str:
        return _http_url(value, "server").rstrip("/")

    @field_validator("priorities")
    @classmethod
    def _severity_keys(cls, value: dict[str, str]) -> dict[str, str]:
        merged = {"SEV-1": "Highest", "SEV-2": "High", "SEV-3": "Medium"}
        for key, name in value.items():
            merged[Severity.parse(key).value] = name
        return merged

    @field_validator("transitions")
    @classmethod
    def _status_keys(cls, value: dict[str, str]) -> dict[str, str]:
        return {Status.parse(key).value: name for key, name in value.items()}

    @field_validator("action_transitions")
    @classmethod
    def _action_status_keys(cls, value: dict[str, str]) -> dict[str, str]:
        return {ActionStatus.parse(key).value: name for key, name in value.items()}

    @field_validator("action_priorities")
    @classmethod
    def _action_priority_keys(cls, value: dict[str, str]) -> dict[str, str]:
        merged = {"high": "High", "medium": "Medium", "low": "Low"}
        for key, name in value.items():
            merged[Priority.parse(key).value] = name
        return merged

    def priority_for(self, severity: Severity) -> str:
        return self.priorities[severity.value]

    def action_priority_for(self, priority: str) -> str:
        return self.action_priorities.get(priority, self.action_priorities["medium"])

    def wont_do(self, status_name: str) -> bool:
        """A pulled item issue in this status was decided against (`wont_do_statuses`)."""
        wanted = status_name.strip().casefold()
        return any(name.strip().casefold() == wanted for name in self.wont_do_statuses)


class SlackConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str = Field(min_length=1)  # an id (C0123ABCD) or a name (#data-incidents)
    # Where non-technical stakeholder updates go: one top-level post per incident, later updates
    # in its thread. Empty: they stay on the timeline and in Jira (and go by email if configured).
    stakeholder_channel: str = ""
    api_url: str = SLACK_API_URL
    # Thread replies for incidents of these severities are also broadcast to the channel.
    broadcast_severities: list[str] = Field(default_factory=lambda: ["SEV-1"])
    timeout: float = Field(default=10.0, gt=0, le=120)
    concurrency: int = Field(default=2, ge=1, le=16)  # requests in flight at once (README: Sync speed)
    # Reports made in the incident channel (docs/slack-reports.md): a person's message someone
    # reacts to with this emoji, or that starts with this prefix (any case), opens a triage item.
    # Empty turns that way of reporting off.
    report_emoji: str = "rotating_light"
    report_prefix: str = "data issue:"
    # The pinned list of assets with a known issue, kept current by the sync: in this channel (an
    # id or a name; empty: the incident channel), unless `known_issues_pin = false`.
    known_issues_channel: str = ""
    known_issues_pin: bool = True

    @field_validator("report_emoji")
    @classmethod
    def _report_emoji(cls, value: str) -> str:
        name = value.strip().strip(":").strip().lower()
        if name and not _EMOJI_NAME.match(name):
            raise ValueError("report_emoji must be an emoji's name as Slack writes it (rotating_light, or "
                             ":rotating_light:), or empty to turn reports by reaction off")
        return name

    @field_validator("report_prefix")
    @classmethod
    def _report_prefix(cls, value: str) -> str:
        prefix = " ".join(value.split())
        if len(prefix) > 50 or any(ch in value for ch in "\r\n"):
            raise ValueError("report_prefix must be one short line (at most 50 characters), or empty to turn "
                             "reports by prefix off")
        return prefix

    @field_validator("known_issues_channel")
    @classmethod
    def _known_issues_channel(cls, value: str) -> str:
        channel = value.strip()
        if channel and not _CHANNEL.match(channel):
            raise ValueError("known_issues_channel must be a channel's id (C0123ABCD) or name (#data-status), "
                             "or empty for the incident channel")
        return channel

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        value = _http_url(value or SLACK_API_URL, "api_url")
        return value if value.endswith("/") else value + "/"

    @field_validator("broadcast_severities")
    @classmethod
    def _severities(cls, value: list[str]) -> list[str]:
        return [Severity.parse(item).value for item in value]

    @property
    def channel_name(self) -> str:
        return self.channel.lstrip("#")

    @property
    def takes_reports(self) -> bool:
        """Reports are read from the incident channel (by reaction, by prefix, or both)."""
        return bool(self.report_emoji or self.report_prefix)

    @property
    def known_issues_channel_name(self) -> str:
        """Where the pinned known-issues list goes: its own channel if set, else the incident channel."""
        return (self.known_issues_channel or self.channel).lstrip("#")

    def broadcasts(self, severity: Severity) -> bool:
        return severity.value in self.broadcast_severities
