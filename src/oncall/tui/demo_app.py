"""A console on a fresh copy of the demo workspace at a fixed moment: for snapshot tests, the
screenshot script and the benchmark, so each sees exactly what a new user sees."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from oncall.demo.generate import generate_incidents
from oncall.demo.install import copy_demo_config
from oncall.demo.samples import seed_samples
from oncall.demo.warehouse import ensure_warehouse
from oncall.domain.clock import FrozenClock
from oncall.store.db import open_database
from oncall.tui.app import OncallApp
from oncall.workspace.loader import load_workspace


def build_demo_app(root: Path, now: datetime, synthetic: int = 0, poll: bool = False) -> OncallApp:
    """The demo workspace at `root` (created if missing), its database at `root/oncall.db`."""
    copy_demo_config(root)
    ensure_warehouse(root / "warehouse.sqlite", now)
    workspace = load_workspace(root)
    database = open_database(root / "oncall.db")
    if database.conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 0:
        if synthetic:
            generate_incidents(database, workspace.config, synthetic, now)
        seed_samples(database, workspace.config, now)
    return OncallApp(workspace, clock=FrozenClock(now), database=database, poll=poll)
