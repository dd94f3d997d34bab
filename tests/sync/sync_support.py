"""Helpers for sync tests: a fake timer, and a workspace configured to use the fake services."""

from __future__ import annotations

import threading
from typing import Callable

from oncall.domain.clock import FrozenClock

from oncall.workspace.loader import Workspace, load_workspace
from sync_fakes.jira_server import FakeJira
from sync_fakes.slack_server import FakeSlack


class FakeTimer:
    """Time that moves only when something sleeps; every sleep is recorded, none is real."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def clock_seconds(clock: FrozenClock) -> Callable[[], float]:
    """For the fakes: they stamp times (issue creation, message ts) from the clock the code under
    test reads, so no test depends on the day it runs."""
    return lambda: clock.now().timestamp()


def sync_sections(jira: FakeJira | None, slack: FakeSlack | None, *, deployment: str = "cloud",
                  channel: str = "#data-incidents", timeout: float = 0.5, concurrency: int = 2, extra: str = "",
                  slack_intake: bool = False) -> str:
    text = ""
    if jira is not None:
        text += (
            f'\n[jira]\nserver = "{jira.url}"\nproject = "{jira.project}"\nemail = "{jira.email}"\n'
            f'deployment = "{deployment}"\ntimeout = {timeout}\nconcurrency = {concurrency}\n'
            '[jira.transitions]\ninvestigating = "Start Progress"\nresolved = "Resolve"\nclosed = "Close"\n'
        )
    if slack is not None:
        text += (f'\n[slack]\nchannel = "{channel}"\napi_url = "{slack.api_url}"\ntimeout = {timeout}\n'
                 f'concurrency = {concurrency}\n')
        if not slack_intake:  # reports and the pinned known-issues list have tests of their own
            text += 'report_emoji = ""\nreport_prefix = ""\nknown_issues_pin = false\n'
    return text + extra


def configure(workspace: Workspace, jira: FakeJira | None, slack: FakeSlack | None, **options) -> Workspace:
    """The workspace with [jira] and [slack] pointing at the fakes."""
    path = workspace.config_path
    path.write_text(path.read_text("utf-8") + sync_sections(jira, slack, **options), "utf-8")
    loaded = load_workspace(workspace.root, strict=True)
    assert loaded.problems == [], loaded.problems
    return loaded
