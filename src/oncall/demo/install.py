"""The demo workspace: copied from the package to the user's data directory on first run
(package files are never written to), with its database seeded with the sample incidents."""

from __future__ import annotations

import shutil
from datetime import datetime
from importlib import resources
from pathlib import Path

from typing import TYPE_CHECKING

from oncall.store.db import open_database
from oncall.workspace.paths import CONFIG_NAME, data_dir, glance

if TYPE_CHECKING:
    from oncall.workspace.loader import Workspace


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


def ensure_demo_root(now: datetime) -> Path:
    """The demo workspace's folder, created and seeded the first time it is asked for.

    Once seeded this reads no config (the console's start-up path stays free of pydantic).
    """
    root = demo_root()
    copy_demo_config(root)
    database = open_database(glance(root).database_path)
    try:
        # Check and seed under one write lock: two first runs at once (the console and a
        # command) must not both find the database empty and seed it twice.
        with database.write() as conn:
            if conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 0:
                from oncall.demo.samples import seed_samples
                from oncall.workspace.loader import load_workspace

                seed_samples(database, load_workspace(root).config, now)
    finally:
        database.close()
    return root


def ensure_demo_workspace(now: datetime) -> "Workspace":
    """The demo workspace, loaded, created and seeded the first time it is asked for."""
    from oncall.workspace.loader import load_workspace

    return load_workspace(ensure_demo_root(now))
