"""Fixtures for sync tests: fake Jira and Slack on 127.0.0.1, a workspace configured to use
them, tokens in the environment, no proxies, and a fake timer so backoff never really sleeps."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from oncall.workspace.loader import Workspace, load_workspace
from oncall.sync.worker import SyncWorker
from sync_fakes import contract
from sync_fakes.jira_server import FakeJira
from sync_fakes.slack_server import FakeSlack

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


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


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack-sdk reads HTTP(S)_PROXY and ignores NO_PROXY: loopback tests must not see a proxy."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="session")
def specs() -> Path:
    if not contract.specs_present():
        pytest.skip(f"the vendors' API descriptions are not at {contract.SPECS} (../shared/specs beside the repo)")
    contract.load(contract.JIRA_SPEC)
    contract.load(contract.SLACK_SPEC)
    return contract.SPECS


@pytest.fixture
def jira_server():
    with FakeJira() as server:
        yield server
        if contract.specs_present():
            assert contract.jira_problems(server.exchanges) == []


@pytest.fixture
def slack_server():
    with FakeSlack() as server:
        yield server
        if contract.specs_present():
            assert contract.slack_problems(server.exchanges) == []


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch, jira_server: FakeJira, slack_server: FakeSlack) -> None:
    monkeypatch.setenv("ONCALL_JIRA_TOKEN", jira_server.token)
    monkeypatch.setenv("ONCALL_SLACK_TOKEN", slack_server.token)


def sync_sections(jira: FakeJira | None, slack: FakeSlack | None, *, deployment: str = "cloud",
                  channel: str = "#data-incidents", timeout: float = 0.5, extra: str = "") -> str:
    text = ""
    if jira is not None:
        text += (
            f'\n[jira]\nserver = "{jira.url}"\nproject = "{jira.project}"\nemail = "{jira.email}"\n'
            f'deployment = "{deployment}"\ntimeout = {timeout}\n'
            '[jira.transitions]\ninvestigating = "Start Progress"\nresolved = "Resolve"\nclosed = "Close"\n'
        )
    if slack is not None:
        text += f'\n[slack]\nchannel = "{channel}"\napi_url = "{slack.api_url}"\ntimeout = {timeout}\n'
    return text + extra


def configure(workspace: Workspace, jira: FakeJira | None, slack: FakeSlack | None, **options) -> Workspace:
    """The workspace with [jira] and [slack] pointing at the fakes."""
    path = workspace.config_path
    path.write_text(path.read_text("utf-8") + sync_sections(jira, slack, **options), "utf-8")
    loaded = load_workspace(workspace.root, strict=True)
    assert loaded.problems == [], loaded.problems
    return loaded


@pytest.fixture
def timer() -> FakeTimer:
    return FakeTimer()


@pytest.fixture
def synced(workspace: Workspace, jira_server: FakeJira, slack_server: FakeSlack, tokens) -> Workspace:
    return configure(workspace, jira_server, slack_server)


@pytest.fixture
def make_worker(timer: FakeTimer):
    made: list[SyncWorker] = []

    def build(workspace: Workspace) -> SyncWorker:
        worker = SyncWorker.for_workspace(workspace, timer=timer)
        made.append(worker)
        return worker

    yield build
    for worker in made:
        worker.close()
