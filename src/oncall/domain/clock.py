"""Clocks: the system clock for real use, a frozen one for tests, snapshots and benchmarks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc).replace(microsecond=0)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        self._at = at.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(timezone.utc)


def to_text(moment: datetime) -> str:
    """The one text form of a moment stored anywhere: UTC, seconds, sortable as text."""
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {moment!r} has no time zone")
    return moment.astimezone(timezone.utc).strftime(TIMESTAMP_FORMAT)


def from_text(text: str) -> datetime:
    # fromisoformat reads the trailing Z (Python 3.11+) and is ~10x faster than strptime,
    # which matters when the queue paints ages for a screenful of rows on every keystroke.
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no time zone")
    return moment


def parse_moment(text: str, clock: Clock) -> datetime:
    """Read a moment a person typed: ISO 8601 (`2026-11-27T09:30`, `...Z`, `...+01:00`),
    `HH:MM` (UTC, the latest such moment not in the future), or a relative `-45m`, `-2h`, `-1d`, `-1w`."""
    text = text.strip()
    try:
        return _parse_moment(text, clock.now())
    except (ValueError, OverflowError):
        # `25:00`, `-99999999d` or no time at all: say what would be read, not Python's complaint.
        raise ValueError(
            f"cannot read {text!r} as a time: use ISO 8601 (2026-11-27T09:30Z), HH:MM, or -45m / -2h / -1d / -1w"
        ) from None


def _parse_moment(text: str, now: datetime) -> datetime:
    if text.lower() == "now":
        return now
    unit = text[-1:].lower()
    if text.startswith("-") and unit in ("m", "h", "d", "w") and text[1:-1].isascii() and text[1:-1].isdigit():
        amount = int(text[1:-1])
        return now - timedelta(**{{"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[unit]: amount})
    if len(text) == 5 and text[2] == ":":
        hour, minute = text.split(":")
        if hour.isdigit() and minute.isdigit():
            moment = now.replace(hour=int(hour), minute=int(minute), second=0)
            # "23:30" typed at 01:00 means last night: a clock time is never in the future.
            return moment - timedelta(days=1) if moment > now else moment
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def humanize_age(delta: timedelta) -> str:
    """A short age for tables: 45s, 12m, 3h, 5d, 7w."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        seconds = 0
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    if seconds < 86400 * 14:
        return f"{seconds // 86400}d"
    return f"{seconds // (86400 * 7)}w"
