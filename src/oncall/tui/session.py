"""What the console knows while it runs: the workspace, its database, the service, the clock.

Screens go through this one object for reads and actions, so no widget talks to SQLite itself.
Queue reads are windowed (a few ms at 100,000 incidents, see benchmarks/), so they run inline.

The validated workspace (pydantic models) loads on first use; the console asks for it right
after its first paint, so the queue is on screen before the config is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from oncall.domain.clock import Clock
from oncall.store.db import Database
from oncall.store.queue import QueueFilter, QueueReader, QueueRow
from oncall.workspace.paths import current_actor

if TYPE_CHECKING:
    from oncall.domain.incident import Incident, TimelineEvent
    from oncall.service.incidents import IncidentService
    from oncall.workspace.config import Config
    from oncall.workspace.loader import Workspace


@dataclass
class FilteredQueue:
    """The queue under one filter, as the table's source."""

    reader: QueueReader
    filter: QueueFilter

    def count(self) -> int:
        return self.reader.count(self.filter)

    def window(self, offset: int, limit: int) -> list[QueueRow]:
        return self.reader.window(self.filter, offset, limit)

    def position_of(self, incident_id: int) -> int | None:
        return self.reader.position_of(self.filter, incident_id)


class Session:
    def __init__(self, root: Path, database: Database, clock: Clock, workspace: "Workspace | None" = None) -> None:
        self.root = root
        self.database = database
        self.clock = clock
        self.queue = QueueReader(database)
        self._workspace = workspace
        self._seen_version = database.data_version()

    @property
    def loaded(self) -> bool:
        return self._workspace is not None

    @property
    def workspace(self) -> "Workspace":
        if self._workspace is None:
            from oncall.workspace.loader import load_workspace

            self._workspace = load_workspace(self.root)
        return self._workspace

    @property
    def config(self) -> "Config":
        return self.workspace.config

    @cached_property
    def service(self) -> "IncidentService":
        from oncall.service.incidents import IncidentService

        return IncidentService(self.database, self.config, self.clock, current_actor())

    def filtered(self, flt: QueueFilter) -> FilteredQueue:
        return FilteredQueue(self.queue, flt)

    def incident(self, incident_id: int) -> "tuple[Incident, list[TimelineEvent]]":
        return self.service.get(incident_id), self.service.events(incident_id)

    def on_call(self) -> str | None:
        """Who holds the pager now (None until the workspace has loaded, or with no rotation)."""
        if not self.loaded or self.config.rotation is None:
            return None
        return self.config.rotation.on_call(self.clock.now())

    def changed_elsewhere(self) -> bool:
        """True once after another process (the command line, a teammate's sync) committed."""
        version = self.database.data_version()
        if version != self._seen_version:
            self._seen_version = version
            return True
        return False
