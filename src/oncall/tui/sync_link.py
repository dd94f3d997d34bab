"""The console's link to the sync: the worker thread that drains the outbox while the console
runs, and the footer line that says whether Jira and Slack are in step.

Textual-free on purpose where it can be: the app owns the thread (a Textual worker); this object
only builds the sync pieces once the workspace has loaded.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from oncall.sync.desk import SyncDesk
    from oncall.sync.status import SyncSummary
    from oncall.sync.worker import SyncWorker
    from oncall.workspace.loader import Workspace


class SyncLink:
    def __init__(self, workspace: "Workspace", actor: str, database_path: "Path | None" = None) -> None:
        """`database_path`: the database the console opened, if not the workspace's own."""
        from oncall.sync.desk import SyncDesk
        from oncall.sync.retry import SystemTimer
        from oncall.sync.worker import SyncWorker

        self.stop = threading.Event()
        self.finished = threading.Event()  # the sync thread has ended and closed its connections
        from oncall.store.outbox import configured_targets

        self.configured = bool(configured_targets(workspace.config))
        self.worker: "SyncWorker | None" = (
            SyncWorker.for_workspace(workspace, timer=SystemTimer(self.stop), database_path=database_path)
            if self.configured else None
        )
        self.desk: "SyncDesk" = SyncDesk(database_path or workspace.database_path, workspace.config, actor,
                                         worker=self.worker)

    def summary(self) -> "SyncSummary":
        """One line for the footer; reads the database, so call it from a worker thread."""
        return self.desk.summary()

    def close(self) -> None:
        """Ask the sync thread to finish: it closes the worker's connections itself when it ends
        (closing them here, under a running pass, could crash the process)."""
        self.stop.set()
