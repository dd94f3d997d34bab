"""The person who reported a suspected issue, and how they are answered.

A reporter is written as people know them: a roster id (`sofia`), a Slack user id (`U04ABCDEF`)
or an email address (`sofia@example.com`). Someone on the roster or with a Slack id is answered
in the incident's Slack thread, mentioned; someone known only by email is answered by email.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Callable

from oncall.domain.email_address import email_address
from oncall.domain.rules import RuleViolation
from oncall.domain.text import clean_line

SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
MAX_LENGTH = 254  # the longest email address SMTP carries


class ReporterKind(str, Enum):
    PERSON = "person"  # on the roster: mentioned with their slack_id, or named
    SLACK = "slack"  # a Slack user id: mentioned
    EMAIL = "email"  # answered by email


@dataclass(frozen=True)
class Reporter:
    kind: ReporterKind
    value: str  # the roster id, the Slack user id, or the address as given

    @property
    def by_email(self) -> bool:
        return self.kind is ReporterKind.EMAIL


def parse_reporter(text: str, on_roster: Callable[[str], bool]) -> Reporter | None:
    """The reporter a person typed, or None for nothing typed. `on_roster(id)` says whether the
    roster knows an id. RuleViolation says what was typed and what is accepted."""
    value = clean_line(text or "").strip()
    if not value:
        return None
    if len(value) > MAX_LENGTH:
        raise RuleViolation(f"reported-by: {len(value)} characters is too long for a name, a Slack id or an address")
    if on_roster(value):
        return Reporter(ReporterKind.PERSON, value)
    if "@" in value:
        try:  # the same check as [email] and the relay's recipients: never accepted here, refused there
            return Reporter(ReporterKind.EMAIL, email_address(value))
        except ValueError:
            raise RuleViolation(f"reported-by: {value!r} is not an email address (name@example.com)") from None
    if SLACK_USER_ID.match(value):
        return Reporter(ReporterKind.SLACK, value)
    raise RuleViolation(f"reported-by: {value!r} is not on the roster, a Slack user id (U04ABCDEF) "
                        "or an email address")


def reporter_of(stored: str, on_roster: Callable[[str], bool] = lambda _: False) -> Reporter | None:
    """A reporter as the incident keeps it (already checked when it was set)."""
    if not stored:
        return None
    if on_roster(stored):
        return Reporter(ReporterKind.PERSON, stored)
    if "@" in stored:
        return Reporter(ReporterKind.EMAIL, stored)
    if SLACK_USER_ID.match(stored):
        return Reporter(ReporterKind.SLACK, stored)
    return Reporter(ReporterKind.PERSON, stored)
