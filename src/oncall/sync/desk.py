"""What the console's sync screen and footer may do with the sync, as one plain object.

Every method opens its own short-lived database connection, so the screen can call them from
worker threads; none of them touches the network (a retry only makes an entry due now; the sync
worker sends it on its next pass).
"""

from __future__ import annotations

import logging
from contextlib import closing
from pathlib import Path

from oncall.store.db import open_database
from oncall.store.outbox import OutboxEntry, OutboxStore, configured_targets
from oncall.sync.retry import SystemTimer, Timer
from oncall.sync.status import SyncSummary, sync_status
from oncall.sync.worker import SyncWorker
from oncall.workspace.config import Config

log = logging.getLogger(__name__)


class SyncDesk:
    def __init__(self, database_path: Path, config: Config, actor: str, *, worker: SyncWorker | None = None,
                 timer: Timer | None = None) -> None:
        self.database_path = database_path
        self.config = config
        self.actor = actor
        self.worker = worker  # the running worker, if any, so a retry also lifts a stop on its system
        self.timer = timer or SystemTimer()

    @property
    def targets(self) -> tuple[str, ...]:
        return configured_targets(self.config)

    def summary(self) -> SyncSummary:
        with closing(open_database(self.database_path)) as database:
            return sync_status(database, self.config)

    def entries(self, limit: int = 500) -> list[OutboxEntry]:
        """Failed entries first, then pending ones, oldest first."""
        with closing(open_database(self.database_path)) as database:
            return OutboxStore(database).open_entries(self.targets, limit)

    def retry(self, entry: OutboxEntry) -> None:
        """Try one entry again now. For an email that may have been sent, this is the person's
        decision to send it again (`retry_all` leaves those alone: each is decided on its own)."""
        with closing(open_database(self.database_path)) as database:
            OutboxStore(database).retry_now(entry.outbox_id, entry.target, self.timer.time(),
                                            send_again=entry.target == "email" and entry.state == "failed")
        if self.worker is not None:
            self.worker.unblock(entry.target)

    def retry_all(self) -> int:
        with closing(open_database(self.database_path)) as database:
            store = OutboxStore(database)
            count = sum(store.retry_all_failed(target, self.timer.time()) for target in self.targets)
        if self.worker is not None:
            self.worker.unblock()
        return count

    def discard(self, entry: OutboxEntry) -> None:
        """Give up on one entry (the screen asks first). Logged, and kept on the entry itself."""
        with closing(open_database(self.database_path)) as database:
            OutboxStore(database).discard(entry.outbox_id, entry.target, self.timer.time(), self.actor)
        if self.worker is not None:  # it may already be queued in a running pass
            self.worker.discarded.add((entry.outbox_id, entry.target))
        log.warning("%s discarded the %s delivery of outbox entry %s (INC-%s)", self.actor, entry.target,
                    entry.outbox_id, entry.incident_id)
