"""Finding and opening a workspace: its config, the problems found in it, and its database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from oncall.store.db import Database, open_database
from oncall.workspace.config import Config, ConfigError, ConfigProblem, load_config
from oncall.workspace.paths import CONFIG_NAME, DatabaseUnknown, current_actor, glance


@dataclass
class Workspace:
    root: Path
    config: Config
    problems: list[ConfigProblem] = field(default_factory=list)
    # The database, by the one rule the console's first glance uses too (`paths.choose_database`);
    # None when it cannot be known for sure, and then `database_unknown` says why.
    database_file: Path | None = None
    database_unknown: str = ""

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def database_path(self) -> Path:
        if self.database_file is None:
            raise DatabaseUnknown(self.database_unknown or f"{self.config_path}: the database is not known")
        return self.database_file

    def open_database(self) -> Database:
        """The database, and the config's assets with the lineage dbt gave (`store/lineage.py`)."""
        from oncall.store.lineage import with_lineage

        database = open_database(self.database_path)
        self.config = with_lineage(self.config, database)
        return database

    def actor(self) -> str:
        return current_actor()


def load_workspace(root: Path, *, strict: bool = False) -> Workspace:
    """Load the workspace at `root`.

    With `strict=False` (the console) an unreadable config still gives a workspace with an
    empty config and the problem listed, so the console can start and show it. With
    `strict=True` (commands) `DatabaseUnknown` and `ConfigError` are raised.
    """
    root = root.expanduser()
    try:
        database, unknown = glance(root).database_path, ""
    except DatabaseUnknown as error:
        if strict:
            raise
        database, unknown = None, str(error)
    try:
        config, problems = load_config(root / CONFIG_NAME)
    except ConfigError as error:
        if strict:
            raise
        return Workspace(root, Config(), [error.problem], database, unknown)
    return Workspace(root, config, problems, database, unknown)
