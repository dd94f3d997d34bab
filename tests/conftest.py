"""Fixtures every test folder needs: a workspace made from the demo config, a frozen clock and a
service on a real database file, all under `tmp_path`. The user's real data directory is never
touched: `ONCALL_DATA_DIR` points into `tmp_path` for every test."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from oncall.demo.install import copy_demo_config
from oncall.domain.clock import FrozenClock
from oncall.service.incidents import IncidentService
from oncall.store.db import Database
from oncall.workspace.loader import Workspace, load_workspace

NOW = datetime(2026, 11, 27, 10, 0, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("ONCALL_DATA_DIR", str(data))
    monkeypatch.setenv("ONCALL_USER", "tester")
    monkeypatch.delenv("ONCALL_WORKSPACE", raising=False)
    return data


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """The demo workspace's config (roster, rotation, CAC assets) in a fresh folder, no incidents."""
    root = tmp_path / "workspace"
    copy_demo_config(root)
    loaded = load_workspace(root, strict=True)
    assert loaded.problems == []
    return loaded


@pytest.fixture
def database(workspace: Workspace):
    db = workspace.open_database()
    yield db
    db.close()


@pytest.fixture
def service(database: Database, workspace: Workspace, clock: FrozenClock) -> IncidentService:
    return IncidentService(database, workspace.config, clock, "maya")
