"""Fixtures for sync tests: fake Jira and Slack on 127.0.0.1, a workspace configured to use
them, tokens in the environment, no proxies, and a fake timer so backoff never really sleeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.workspace.loader import Workspace
from oncall.sync.worker import SyncWorker
from sync_fakes import contract
from sync_fakes.jira_server import FakeJira
from sync_fakes.slack_server import FakeSlack
from sync_support import FakeTimer, clock_seconds, configure

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


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
def jira_server(clock):
    with FakeJira(now=clock_seconds(clock)) as server:
        yield server
        if contract.specs_present():
            assert contract.jira_problems(server.exchanges) == []


@pytest.fixture
def slack_server(clock):
    with FakeSlack(now=clock_seconds(clock)) as server:
        yield server
        if contract.specs_present():
            assert contract.slack_problems(server.exchanges) == []


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch, jira_server: FakeJira, slack_server: FakeSlack) -> None:
    monkeypatch.setenv("ONCALL_JIRA_TOKEN", jira_server.token)
    monkeypatch.setenv("ONCALL_SLACK_TOKEN", slack_server.token)


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
