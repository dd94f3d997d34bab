"""What the console knows while it runs: the workspace, its database, the service, the clock.

Screens go through this one object for reads and actions, so no widget talks to SQLite itself.
Queue reads are windowed (under ~15 ms at 100,000 incidents, see benchmarks/), so they run
inline; anything that can wait on the network runs in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from oncall.domain.clock import Clock
from oncall.domain.incident import Incident, TimelineEvent
from oncall.service.incidents import IncidentService
from oncall.store.db import Database
from oncall.store.queue import QueueFilter, QueueReader, QueueRow
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
    def __init__(self, workspace: Workspace, database: Database, clock: Clock) -> None:
        self.workspace = workspace
        self.database = database
        self.clock = clock
        self.service = IncidentService(database, workspace.config, clock, workspace.actor())
        self.queue = QueueReader(database)
        self._seen_version = database.data_version()

    @property
    def config(self):
        return self.workspace.config

    def filtered(self, flt: QueueFilter) -> FilteredQueue:
        return FilteredQueue(self.queue, flt)

    def incident(self, incident_id: int) -> tuple[Incident, list[TimelineEvent]]:
        return self.service.get(incident_id), self.service.events(incident_id)

    def status_line(self) -> tuple[str, str]:
        """The words under the table: where the data is, and (later) how the sync is doing."""
        config = self.config
        if config.jira is None and config.slack is None:
            return "Offline: Jira and Slack are not configured. Everything is saved locally.", ""
        targets = " and ".join(name for name, section in (("Jira", config.jira), ("Slack", config.slack)) if section)
        return f"{targets} configured · run `oncall sync` to deliver changes", ""

    def changed_elsewhere(self) -> bool:
        """True once after another process (the command line, a teammate's sync) committed."""
        version = self.database.data_version()
        if version != self._seen_version:
            self._seen_version = version
            return True
        return False
