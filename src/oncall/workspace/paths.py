"""Where things live on disk: the user's data directory, and each workspace's database."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "ONCALL_DATA_DIR"
WORKSPACE_ENV = "ONCALL_WORKSPACE"
USER_ENV = "ONCALL_USER"


def data_dir() -> Path:
    """The per-user data directory (`ONCALL_DATA_DIR` overrides it, as tests do)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path("oncall", appauthor=False)


def default_database_path(workspace_root: Path) -> Path:
    """One database per workspace folder, named so a person can tell which is which."""
    resolved = workspace_root.resolve()
    slug = re.sub(r"[^a-z0-9]+", "-", resolved.name.lower()).strip("-") or "workspace"
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:8]
    return data_dir() / "state" / f"{slug}-{digest}" / "oncall.db"
