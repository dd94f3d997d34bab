"""Console tests drive the real app on a real SQLite file with a frozen clock."""

from __future__ import annotations

import pytest
from tui_support import NOW

from oncall.tui.demo_app import build_demo_app


@pytest.fixture
def demo_app(tmp_path, monkeypatch):
    monkeypatch.setenv("ONCALL_USER", "maya")

    def make(**kwargs):
        return build_demo_app(tmp_path / "workspace", NOW, **kwargs)

    return make
