"""Finding and opening a workspace: its config, the problems found in it, and its database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from oncall.store.db import Database, open_database
from oncall.workspace.config import Config, ConfigError, ConfigProblem, load_config
from oncall.workspace.paths import CONFIG_NAME, current_actor, database_path


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
        return database_path(self.root, self.config.workspace.database)

    def open_database(self) -> Database:
        return open_database(self.database_path)

    def actor(self) -> str:
        return current_actor()


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
