"""Data sources a runbook's SQL evidence may query: SQLite and DuckDB files named in `[[sources]]`.

A warehouse (Snowflake, BigQuery, Redshift, …) is reached through its own command-line client, as
command evidence, so its credentials stay where that client keeps them: never in oncall.toml.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class SourceKind(str, Enum):
    SQLITE = "sqlite"
    DUCKDB = "duckdb"


class Source(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    kind: SourceKind
    path: str = Field(min_length=1)  # relative to the workspace folder; `~/x.db` is in the home folder
    description: str = ""

    def resolve(self, root: Path) -> Path:
        """The file this source names, for a workspace at `root` (an absolute path stays as it is)."""
        return (root.expanduser() / Path(self.path).expanduser())
