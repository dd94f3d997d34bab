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


class DatabaseUnknown(Exception):
    """Which database the workspace uses cannot be known for sure: oncall opens none rather than
    a different one. The message says where and what to do."""


@dataclass(frozen=True)
class WorkspaceGlance:
    """What the console needs before its first paint, read with tomllib alone (no validation):
    the full config loads right after the queue is on screen."""

    name: str
    database_path: Path


def glance(root: Path) -> WorkspaceGlance:
    """The workspace's name and database. Raises `DatabaseUnknown`."""
    text = read_config_text(root)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return WorkspaceGlance("oncall workspace", _database_despite_syntax(root, text, error))
    settings = raw.get("workspace", {})
    name = settings.get("name") if isinstance(settings, dict) and isinstance(settings.get("name"), str) else ""
    return WorkspaceGlance(name or "oncall workspace", choose_database(root, raw, text))


def read_config_text(root: Path) -> str:
    config = root / CONFIG_NAME
    if not root.is_dir():
        raise DatabaseUnknown(f"{root}: no such workspace folder (create one with `oncall init {root}`)")
    try:
        return config.read_text("utf-8-sig")  # a byte-order mark (Windows Notepad) is not content
    except FileNotFoundError:
        raise DatabaseUnknown(f"{config}: no such file; create one with `oncall init {root}`") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DatabaseUnknown(f"{config}: cannot read it ({error}), so the database it names is not known") from None


def choose_database(root: Path, raw: dict, text: str = "") -> Path:
    """The one rule for which database a workspace uses; the console and every command go
    through it. `[workspace] database`, relative to the workspace folder, else one file per
    workspace in the user's data directory. Raises `DatabaseUnknown` when the setting is there but
    unusable: a different file must never be opened instead."""
    config = root / CONFIG_NAME
    settings = raw.get("workspace", {})
    if not isinstance(settings, dict):
        raise DatabaseUnknown(f"{_at(config, text, 'workspace')}: [workspace] must be a table, "
                              f"so the database it names is not known")
    configured = settings.get("database", "")
    if not isinstance(configured, str):
        raise DatabaseUnknown(f"{_at(config, text, 'database')}: [workspace] database must be a file name "
                              f"in quotes (got {configured!r})")
    if not configured.strip():
        return default_database_path(root)
    try:
        path = (root / Path(configured).expanduser()).resolve()  # `~/x.db` is in the home folder
    except (OSError, ValueError, RuntimeError) as error:  # a NUL byte, a symlink loop, an unknown ~user
        raise DatabaseUnknown(f"{_at(config, text, 'database')}: [workspace] database = {configured!r} is not a "
                              f"usable file name ({error})") from None
    if path.is_dir():
        raise DatabaseUnknown(f"{_at(config, text, 'database')}: [workspace] database = {configured!r} is a "
                              f"folder ({path}); name a file in it, such as \"{configured.rstrip('/')}/oncall.db\"")
    return path


def _database_despite_syntax(root: Path, text: str, error: tomllib.TOMLDecodeError) -> Path:
    """A config that is not valid TOML can still tell for sure when no line of it (comments
    aside) mentions a database: then it is the default one. Otherwise it cannot be known."""
    if not any("database" in line.split("#", 1)[0] for line in text.splitlines()):
        return default_database_path(root)
    raise DatabaseUnknown(f"{root / CONFIG_NAME}: not valid TOML ({error}), so the database it names is not "
                          "known; fix the file and start oncall again")


def _at(config: Path, text: str, key: str) -> str:
    """`file:line` of the key's first line (a table header or an assignment), else the file."""
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"^\s*(\[\s*{key}\s*\]|\"?{key}\"?\s*=)", line):
            return f"{config}:{number}"
    return str(config)


def default_database_path(workspace_root: Path) -> Path:
    """One database per workspace folder, named so a person can tell which is which."""
    resolved = workspace_root.resolve()
    slug = re.sub(r"[^a-z0-9]+", "-", resolved.name.lower()).strip("-") or "workspace"
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:8]
    return data_dir() / "state" / f"{slug}-{digest}" / "oncall.db"
