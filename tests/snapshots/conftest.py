"""Snapshots: the demo workspace at a frozen moment, on a fixed terminal size."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from oncall.tui.demo_app import build_demo_app

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def demo_app(tmp_path, monkeypatch):
    monkeypatch.setenv("ONCALL_USER", "maya")
    return lambda: build_demo_app(tmp_path / "workspace", NOW)
