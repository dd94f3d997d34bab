"""The demo workspace: copied from the package to the user's data directory on first run
(package files are never written to), with its database seeded with the sample incidents."""

from __future__ import annotations

import shutil
from datetime import datetime
from importlib import resources
from pathlib import Path

from typing import TYPE_CHECKING

from oncall.demo.warehouse import ensure_warehouse
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
    try:
        (target / ".demo-files").write_text(_signature(bundled_demo()), "utf-8")
    except OSError:
        pass
    return True


def refresh_demo_files(root: Path) -> bool:
    """Bring a demo copied by an older oncall up to this one's files (its oncall.toml, the
    runbooks), keeping its database: the demo's files are the package's, not the user's. A stamp
    of what was copied makes this one comparison on every later start."""
    bundled = bundled_demo()
    stamp = root / ".demo-files"
    signature = _signature(bundled)
    try:
        if stamp.read_text("utf-8") == signature:
            return False
    except OSError:
        pass
    shutil.copytree(bundled, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    try:
        stamp.write_text(signature, "utf-8")
    except OSError:
        pass  # a read-only data directory: it copies again next time, which is harmless
    return True


def _signature(folder: Path) -> str:
    """Names and sizes of the bundled demo's files: changes whenever a release changes them."""
    return "\n".join(f"{path.relative_to(folder)} {path.stat().st_size}"
                      for path in sorted(folder.rglob("*")) if path.is_file() and "__pycache__" not in path.parts)


def ensure_demo_root(now: datetime) -> Path:
    """The demo workspace's folder, created and seeded the first time it is asked for.

    Once seeded this reads no config (the console's start-up path stays free of pydantic).
    """
    root = demo_root()
    if not copy_demo_config(root):
        refresh_demo_files(root)
    ensure_warehouse(root / "warehouse.sqlite", now)  # what the runbooks' evidence queries read
    database = open_database(glance(root).database_path)
    try:
        # Check and seed under one write lock: two first runs at once (the console and a
        # command) must not both find the database empty and seed it twice.
        with database.write() as conn:
            if conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 0:
                from oncall.demo.history import seed_history
                from oncall.demo.samples import seed_samples
                from oncall.workspace.loader import load_workspace

                config = load_workspace(root).config
                seed_samples(database, config, now)
                seed_history(database, config, now)  # a year of closed incidents before the samples
                from oncall.demo.intake_samples import seed_intake

                seed_intake(database, config, root, now)  # a dbt run, an alert that kept firing, a Slack report
    finally:
        database.close()
    return root


def ensure_demo_workspace(now: datetime) -> "Workspace":
    """The demo workspace, loaded, created and seeded the first time it is asked for."""
    from oncall.workspace.loader import load_workspace

    return load_workspace(ensure_demo_root(now))
