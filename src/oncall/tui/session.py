"""What the console knows while it runs: the workspace, its database, the service, the clock.

Screens go through this one object for reads and actions, so no widget talks to SQLite itself.
Queue reads are windowed (a few ms at 100,000 incidents, see benchmarks/), so they run inline.
An incident's newest events are one indexed read, done inline, and so are the events added since
the screen last looked. Its whole timeline can be thousands of events (~12 ms for 5,000 as plain
rows): it is read in pieces between which the console answers keys, through a second connection
that only that reading uses (so a save on the main one never meets a half-read statement).

The validated workspace (pydantic models) loads on first use; the console asks for it right
after its first paint, so the queue is on screen before the config is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from oncall.domain.clock import Clock
from oncall.store.db import Database, open_database
from oncall.store.queue import QueueFilter, QueueReader, QueueRow
from oncall.workspace.paths import current_actor

# How long the runbooks folder is taken as unchanged after a look (a stat of every file): an edit
# shows within this long.
LIBRARY_CHECK_SECONDS = 1.0

if TYPE_CHECKING:
    from oncall.service.drills import DrillService
    from oncall.service.incidents import IncidentService
    from oncall.service.postmortems import PostmortemService
    from oncall.service.comms import CommsService
    from oncall.service.runbooks import RunbookService
    from oncall.workspace.runbooks import RunbookLibrary
    from oncall.store.timeline import TimelineRow
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
        self._lineage_merged = False
        self._seen_version = database.data_version()
        self._reader: Database | None = None
        self._library: "RunbookLibrary | None" = None
        self._library_lock = threading.Lock()
        self._library_checked = 0.0

    @property
    def loaded(self) -> bool:
        return self._workspace is not None

    @property
    def workspace(self) -> "Workspace":
        if self._workspace is None:
            from oncall.workspace.loader import load_workspace

            self._workspace = load_workspace(self.root)
        if not self._lineage_merged:  # the assets dbt's lineage adds (`store/lineage.py`)
            from oncall.store.lineage import with_lineage

            self._lineage_merged = True
            self._workspace.config = with_lineage(self._workspace.config, self.database)
        return self._workspace

    @property
    def config(self) -> "Config":
        return self.workspace.config

    @cached_property
    def service(self) -> "IncidentService":
        from oncall.service.incidents import IncidentService

        return IncidentService(self.database, self.config, self.clock, current_actor(), root=self.root)

    def filtered(self, flt: QueueFilter) -> FilteredQueue:
        return FilteredQueue(self.queue, flt)

    def latest_events(self, incident_id: int, limit: int) -> "list[TimelineRow]":
        """The newest `limit` events, oldest first: fast enough for the first paint."""
        from oncall.store.timeline import TimelineRepository

        return TimelineRepository(self.database).latest_rows(incident_id, limit)

    @cached_property
    def runbook_service(self) -> "RunbookService":
        from oncall.service.runbooks import RunbookService

        return RunbookService(self.database, self.clock, current_actor())

    def runbook_library(self, if_current: bool = False) -> "RunbookLibrary | None":
        """The workspace's runbooks, read again when a file under `runbooks/` was added, removed
        or edited (a stat of each file: a few ms for 500); thread-safe. With `if_current`, only
        one already read and still current, else None (the caller reads it in a worker)."""
        from oncall.workspace.runbooks import folder_signature, load_library

        folder = self.root / "runbooks"
        with self._library_lock:
            library = self._library
            fresh = library is not None and time.monotonic() - self._library_checked < LIBRARY_CHECK_SECONDS
            if not fresh and (library is None or library.signature() != folder_signature(folder)):
                if if_current:
                    return None
                library = self._library = load_library(folder, {s.name for s in self.config.sources})
            self._library_checked = time.monotonic()
            return library

    @cached_property
    def drill_service(self) -> "DrillService":
        from oncall.service.drills import DrillService

        return DrillService(self.database, self.config, self.clock, current_actor(), self.root,
                            runbooks=self.runbook_library)  # the session's, read again only when a file changed

    @cached_property
    def postmortem_service(self) -> "PostmortemService":
        from oncall.service.postmortems import PostmortemService

        return PostmortemService(self.database, self.config, self.clock, current_actor())

    @cached_property
    def intake_service(self) -> "IntakeService":
        """Reports, and the IC's decision on triage items; shares the incident service's config."""
        from oncall.service.intake import IntakeService

        service = IntakeService(self.database, self.config, self.clock, current_actor(), root=self.root)
        service.incident_service = self.service
        return service

    @cached_property
    def comms_service(self) -> "CommsService":
        from oncall.service.comms import CommsService

        return CommsService(self.database, self.config, self.clock, current_actor())

    def comms_templates(self):
        """The templates in effect: the workspace's `templates/` over the built-ins (cached until
        a file changes)."""
        from oncall.comms.templates import TEMPLATES_FOLDER, load_templates

        return load_templates(self.root / TEMPLATES_FOLDER)

    def render_update(self, incident_id: int, name: str, next_update=None, extra=None) -> tuple[str, str]:
        from oncall.service.comms import render_update

        return render_update(self.service, self.root, incident_id, name, next_update, extra)

    def events_after(self, incident_id: int, after_id: int) -> "list[TimelineRow]":
        """The events added since `after_id`, oldest first: what an open incident screen appends."""
        from oncall.store.timeline import TimelineRepository

        return TimelineRepository(self.database).rows(incident_id, after_id)

    def older_events(self, incident_id: int, before_id: int) -> "Iterator[list[TimelineRow]]":
        """The events before `before_id`, oldest first, a few hundred at a time (main thread only)."""
        from oncall.store.timeline import TimelineRepository

        if self._reader is None:
            path = self.database.path
            self._reader = open_database(path) if path is not None else self.database
        return TimelineRepository(self._reader).older_rows(incident_id, before_id)

    def close(self) -> None:
        if self._reader is not None and self._reader is not self.database:
            self._reader.close()
        self._reader = None
        self.database.close()

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
