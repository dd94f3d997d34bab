"""Finding and opening a workspace: its config, the problems found in it, and its database."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from pathlib import Path

from oncall.store.db import Database, open_database
from oncall.workspace.config import CONFIG_NAME, Config, ConfigError, ConfigProblem, load_config
from oncall.workspace.paths import USER_ENV, WORKSPACE_ENV, default_database_path


@dataclass
class Workspace:
    root: Path
    config: Config
    problems: list[ConfigProblem] = field(default_factory=list)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def database_path(self) -> Path:
        if self.config.workspace.database:
            return (self.root / self.config.workspace.database).resolve()
        return default_database_path(self.root)

    def open_database(self) -> Database:
        return open_database(self.database_path)

    def actor(self) -> str:
        """Who is at the keyboard: `ONCALL_USER`, else the login name."""
        return os.environ.get(USER_ENV) or getpass.getuser()


def load_workspace(root: Path, *, strict: bool = False) -> Workspace:
    """Load the workspace at `root`.

    With `strict=False` (the console) an unreadable config still gives a workspace with an
    empty config and the problem listed, so the console can start and show it.
    """
    root = root.expanduser()
    try:
        config, problems = load_config(root / CONFIG_NAME)
    except ConfigError as error:
        if strict:
            raise
        return Workspace(root=root, config=Config(), problems=[error.problem])
    return Workspace(root=root, config=config, problems=problems)


def workspace_root(explicit: str | Path | None) -> Path | None:
    """The workspace named on the command line, else by `ONCALL_WORKSPACE`, else none (the demo)."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(WORKSPACE_ENV)
    return Path(from_env) if from_env else None
