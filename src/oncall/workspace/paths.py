"""Where things live on disk: the user's data directory, and each workspace's database."""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs

CONFIG_NAME = "oncall.toml"
DATA_DIR_ENV = "ONCALL_DATA_DIR"
WORKSPACE_ENV = "ONCALL_WORKSPACE"
USER_ENV = "ONCALL_USER"


def data_dir() -> Path:
    """The per-user data directory (`ONCALL_DATA_DIR` overrides it, as tests do)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path("oncall", appauthor=False)


def current_actor() -> str:
    """Who is at the keyboard: `ONCALL_USER`, else the login name."""
    return os.environ.get(USER_ENV) or getpass.getuser()


def workspace_root(explicit: str | Path | None) -> Path | None:
    """The workspace named on the command line, else by `ONCALL_WORKSPACE`, else none (the demo)."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(WORKSPACE_ENV)
    return Path(from_env) if from_env else None


def database_path(root: Path, configured: str = "") -> Path:
    """`[workspace] database` relative to the workspace, else one file in the user's data directory."""
    if configured:
        return (root / configured).resolve()
    return default_database_path(root)


@dataclass(frozen=True)
class WorkspaceGlance:
    """What the console needs before its first paint, read with tomllib alone (no validation):
    the full config loads right after the queue is on screen."""

    name: str
    database_path: Path


def glance(root: Path) -> WorkspaceGlance:
    try:
        raw = tomllib.loads((root / CONFIG_NAME).read_text("utf-8"))
        settings = raw.get("workspace", {})
        name = settings.get("name") if isinstance(settings.get("name"), str) else ""
        configured = settings.get("database") if isinstance(settings.get("database"), str) else ""
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
        name, configured = "", ""  # the full load reports what is wrong
    return WorkspaceGlance(name or "oncall workspace", database_path(root, configured))


def default_database_path(workspace_root: Path) -> Path:
    """One database per workspace folder, named so a person can tell which is which."""
    resolved = workspace_root.resolve()
    slug = re.sub(r"[^a-z0-9]+", "-", resolved.name.lower()).strip("-") or "workspace"
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:8]
    return data_dir() / "state" / f"{slug}-{digest}" / "oncall.db"
