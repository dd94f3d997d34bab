"""How a remote call can fail, in the terms the worker acts on.

Messages are written for a person and never carry a token: adapters build them from status
codes and the service's own error text, never from `str()` of a library exception.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base: `message` says what happened and, where one is known, how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RateLimited(SyncError):
    """The service refused for now (HTTP 429); nothing was done. Try again after `retry_after` s."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Transient(SyncError):
    """Retrying can fix it (a timeout, a dropped connection, a 5xx).

    `uncertain` is True when the request may have been carried out anyway: before sending a
    create again the worker must look for what the first try may have made.
    """

    def __init__(self, message: str, *, uncertain: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.uncertain = uncertain
        self.retry_after = retry_after


class Permanent(SyncError):
    """Retrying cannot fix it: bad credentials, an unknown project or channel, a refused field.

    `whole_target` is True when nothing else for this system can succeed either (credentials,
    project, channel), so the worker stops sending to it until the configuration changes.
    """

    def __init__(self, message: str, *, whole_target: bool = False) -> None:
        super().__init__(message)
        self.whole_target = whole_target


class MaybeSent(SyncError):
    """The request may have been carried out and there is no way to ask (an email whose server
    dropped the connection after the message data, before its answer). Never retried silently:
    the entry is marked failed and uncertain, and a person decides to send it again or not."""
