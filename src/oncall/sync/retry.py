"""The application's own retry policy: exponential backoff that honours `Retry-After`, and a
per-service gate that waits out a 429 and then paces requests to the rate the service allowed.

Time comes from an injectable `Timer`, so tests drive it without sleeping.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Protocol, TypeVar

from oncall.sync.errors import RateLimited

T = TypeVar("T")
MAX_REFUSALS_PER_CALL = 50


class Timer(Protocol):
    def time(self) -> float:
        """Wall-clock seconds (stored in the database as a retry's due time)."""

    def sleep(self, seconds: float) -> None: ...


class SystemTimer:
    """Real time. `sleep` returns early when `stop` is set, so `sync --watch` quits at once."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self.stop = stop or threading.Event()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.stop.wait(seconds)


@dataclass(frozen=True)
class BackoffPolicy:
    """How long to wait before retry number `attempts` (1 = the first retry)."""

    base: float = 1.0
    factor: float = 2.0
    cap: float = 300.0
    jitter: float = 0.2  # up to +20%, so many laptops that failed together do not retry together

    def delay(self, attempts: int, retry_after: float | None = None,
              rand: Callable[[], float] = random.random) -> float:
        if retry_after is not None:
            return max(0.0, min(retry_after, 3600.0))  # the service knows best; an hour at most
        computed = min(self.cap, self.base * self.factor ** max(0, attempts - 1))
        return computed * (1 + self.jitter * rand())


def parse_retry_after(value: str | None, default: float = 1.0) -> float:
    """`Retry-After` in seconds (the only form Slack and Jira send); `default` if absent or odd."""
    if value is None:
        return default
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return default


class RateGate:
    """Shared by every thread talking to one service.

    After a 429 everyone waits `Retry-After`; then requests are spaced to a little under the
    rate that was getting through when the service refused (counted over the last `window`
    seconds), so a steady drain provokes a handful of 429s, not one per request. The pace
    loosens again by 10% after each `relax_after` seconds without a refusal.
    """

    def __init__(self, timer: Timer, window: float = 1.0, relax_after: float = 30.0, margin: float = 1.05) -> None:
        self.timer = timer
        self.window = window
        self.relax_after = relax_after
        self.margin = margin
        self._lock = threading.Lock()
        self._blocked_until = 0.0
        self._next_slot = 0.0
        self._interval = 0.0
        self._last_refusal = 0.0
        self._recent: deque[float] = deque()
        self.requests = 0
        self.refusals = 0

    @property
    def interval(self) -> float:
        return self._interval

    def acquire(self) -> float:
        """Wait for this request's turn; return when it started."""
        with self._lock:
            now = self.timer.time()
            slot = max(now, self._next_slot, self._blocked_until)
            self._next_slot = slot + self._interval
            self.requests += 1
        if slot > now:
            self.timer.sleep(slot - now)
        return slot

    def succeeded(self, started: float) -> None:
        with self._lock:
            self._recent.append(started)
            horizon = started - self.window
            while self._recent and self._recent[0] < horizon:
                self._recent.popleft()
            if self._interval and started - self._last_refusal > self.relax_after:
                self._interval *= 0.9
                self._last_refusal = started

    def refused(self, retry_after: float) -> None:
        with self._lock:
            now = self.timer.time()
            self.refusals += 1
            self._last_refusal = now
            self._blocked_until = max(self._blocked_until, now + retry_after)
            horizon = now - self.window
            allowed = sum(1 for started in self._recent if started >= horizon)
            if allowed:
                self._interval = max(self._interval, self.margin * self.window / allowed)
            self._next_slot = max(self._next_slot, self._blocked_until)


def call_through_gate(
    gate: RateGate,
    action: Callable[[], T],
    refused_for: Callable[[Exception], float | None],
    translate: Callable[[Exception], Exception | None],
    service: str,
    tries: int = MAX_REFUSALS_PER_CALL,
) -> T:
    """Run one request through `gate`. A refusal (`refused_for` gives its Retry-After) closes the
    gate for everyone and the request goes again (nothing was done), up to `tries` times (1: not
    again, for work that can wait for a later pass); any other failure becomes what `translate`
    makes of it, and an exception it does not know (a bug) is raised as it is."""
    for _ in range(tries):
        started = gate.acquire()
        try:
            result = action()
        except Exception as error:
            wait = refused_for(error)
            if wait is not None:
                gate.refused(wait)
                continue
            translated = translate(error)
            if translated is None:
                raise
            raise translated from None
        gate.succeeded(started)
        return result
    raise RateLimited(f"{service} answered 429 (too many requests)", retry_after=60)
