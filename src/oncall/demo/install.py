"""The demo workspace: copied from the package to the user's data directory on first run
(package files are never written to), with its database seeded with the sample incidents."""

from __future__ import annotations

import shutil
from datetime import datetime
from importlib import resources
from pathlib import Path

from oncall.demo.samples import seed_samples
from oncall.workspace.config import CONFIG_NAME
from oncall.workspace.loader import Workspace, load_workspace
from oncall.workspace.paths import data_dir


def bundled_demo() -> Path:
    return Path(str(resources.files("oncall.demo").joinpath("workspace")))


def demo_root() -> Path:
    return data_dir() / "demo-workspace"


def copy_demo_config(target: Path) -> bool:
    """Put the demo's files at `target` unless a workspace is already there."""
    if (target / CONFIG_NAME).exists():
        return False
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(bundled_demo(), target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    return True


def ensure_demo_workspace(now: datetime) -> Workspace:
    """The demo workspace, created and seeded the first time it is asked for."""
    root = demo_root()
    copy_demo_config(root)
    workspace = load_workspace(root)
    database = workspace.open_database()
    try:
        # Check and seed under one write lock: two first runs at once (the console and a
        # command) must not both find the database empty and seed it twice.
        with database.write() as conn:
            if conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 0:
                seed_samples(database, workspace.config, now)
    finally:
        database.close()
    return workspace
