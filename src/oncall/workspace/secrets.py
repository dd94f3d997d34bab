"""Tokens for Jira and Slack: only from environment variables, never from a file or the database.

A `Secret` never shows its value in `repr`, `str` or f-strings, so it cannot slip into a log
line or an error message by accident; `redact` is the second line of defence for text that
came back from a library.
"""

from __future__ import annotations

import os
import re

JIRA_TOKEN_ENV = "ONCALL_JIRA_TOKEN"
SLACK_TOKEN_ENV = "ONCALL_SLACK_TOKEN"
SMTP_PASSWORD_ENV = "ONCALL_SMTP_PASSWORD"
_AUTH_HEADER = re.compile(r"(['\"]?authorization['\"]?\s*[:=]\s*['\"]?)[^'\",}\n]+", re.IGNORECASE)


class MissingSecret(LookupError):
    def __init__(self, variable: str, what: str) -> None:
        super().__init__(f"{what} needs a token: set the environment variable {variable}")
        self.variable = variable


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "***"

    def __bool__(self) -> bool:
        return bool(self._value)


def _from_env(variable: str, what: str) -> Secret:
    value = os.environ.get(variable, "").strip()
    if not value:
        raise MissingSecret(variable, what)
    return Secret(value)


def jira_token() -> Secret:
    return _from_env(JIRA_TOKEN_ENV, "Jira sync")


def slack_token() -> Secret:
    return _from_env(SLACK_TOKEN_ENV, "Slack sync")


def smtp_password() -> Secret | None:
    """The mail relay's password, or None when it is unset: a relay may take mail without a login.

    Whether one is needed is the `[email] username`'s business, so a missing password is not an
    error here; the email adapter says so when it has a username to log in with.
    """
    value = os.environ.get(SMTP_PASSWORD_ENV, "")
    return Secret(value) if value else None


def redact(text: str, *secrets: Secret | None) -> str:
    """`text` with every secret's value, and any Authorization header value, replaced by ***.

    A basic-auth header carries base64("email:token"), in which the token cannot be searched
    for, so header values are cut off as a whole.
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret.reveal(), "***")
    return _AUTH_HEADER.sub(r"\1***", text)
