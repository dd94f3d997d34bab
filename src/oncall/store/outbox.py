"""The outbox as the sync worker sees it: per target (Jira, Slack), which entries are pending,
which failed and why, and what each delivery attempt came to.

An outbox row is written with its timeline event (see `timeline.py`); this module never touches
that row. Delivery state lives in `sync_delivery`, one row per (outbox row, target), created the
first time the worker tries it. Entries of one incident are delivered in order: the first open
entry of an incident (its *head*) must be done or discarded before the next one is tried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

from oncall.domain.clock import to_text
from oncall.domain.incident import EventKind
from oncall.store.db import Database, in_chunks
from oncall.store.remote_ids import RemoteIds, Steps

TARGETS = ("jira", "slack", "email")


def configured_targets(config) -> tuple[str, ...]:
    """The systems a workspace's oncall.toml sets up (`[jira]`, `[slack]`, `[email]`), in TARGETS order."""
    return tuple(target for target in TARGETS if getattr(config, target, None) is not None)
ATTEMPT_LEASE_SECONDS = 120.0  # longer than a marked job waits in a pass plus its request's timeout
OPEN_STATES = ("pending", "failed")

_OPEN = """
    SELECT o.id AS outbox_id, o.incident_id, o.event_id, o.created_at,
           coalesce(d.state, 'pending') AS state, coalesce(d.attempts, 0) AS attempts,
           coalesce(d.uncertain, 0) AS uncertain, coalesce(d.next_attempt_at, 0) AS next_attempt_at,
           coalesce(d.last_error, '') AS last_error
    FROM outbox o LEFT JOIN sync_delivery d ON d.outbox_id = o.id AND d.target = :target
    WHERE o.id >= :cursor AND coalesce(d.state, 'pending') IN ('pending', 'failed')
"""


@dataclass(frozen=True)
class OutboxEntry:
    """One outbox row's delivery to one target."""

    outbox_id: int
    target: str
    incident_id: int
    event_id: int
    created_at: str
    state: str
    attempts: int
    uncertain: bool
    next_attempt_at: float
    last_error: str
    kind: EventKind | None = None
    text: str = ""
    title: str = ""


@dataclass(frozen=True)
class TargetCounts:
    pending: int
    failed: int


class OutboxStore:
    def __init__(self, database: Database) -> None:
        self.db = database

    # -- reading -----------------------------------------------------------------------------

    def heads(self, target: str) -> list[OutboxEntry]:
        """The first open entry of every incident with something to deliver, oldest first."""
        rows = self.db.conn.execute(
            f"WITH open AS ({_OPEN}), heads AS (SELECT min(outbox_id) AS id FROM open GROUP BY incident_id) "
            "SELECT open.* FROM open JOIN heads ON open.outbox_id = heads.id ORDER BY open.outbox_id",
            {"target": target, "cursor": self._cursor(target)},
        ).fetchall()
        return [_entry(row, target) for row in rows]

    def head(self, target: str, incident_id: int) -> OutboxEntry | None:
        row = self.db.conn.execute(
            f"{_OPEN} AND o.incident_id = :incident ORDER BY o.id LIMIT 1",
            {"target": target, "cursor": self._cursor(target), "incident": incident_id},
        ).fetchone()
        return _entry(row, target) if row else None

    def open_in_order(self, target: str, limit: int, incidents: list[int] | None = None) -> list[OutboxEntry]:
        """Up to `limit` open entries (pending and failed) for `target`, oldest first; only those
        of `incidents`, if given."""
        params = {"target": target, "cursor": self._cursor(target), "limit": limit}
        if incidents is None:
            return [_entry(row, target) for row in self.db.conn.execute(
                f"{_OPEN} ORDER BY o.id LIMIT :limit", params).fetchall()]
        found: list[OutboxEntry] = []
        for chunk in in_chunks(incidents):
            marks = ", ".join(f":i{n}" for n in range(len(chunk)))
            rows = self.db.conn.execute(
                f"{_OPEN} AND o.incident_id IN ({marks}) ORDER BY o.id LIMIT :limit",
                {**params, **{f"i{n}": incident_id for n, incident_id in enumerate(chunk)}},
            ).fetchall()
            found.extend(_entry(row, target) for row in rows)
        found.sort(key=lambda entry: entry.outbox_id)
        return found[:limit]

    def open_entries(self, targets: tuple[str, ...], limit: int = 500) -> list[OutboxEntry]:
        """Pending and failed entries with what they say, for the sync screen: failed first."""
        found: list[OutboxEntry] = []
        for target in targets:
            rows = self.db.conn.execute(
                f"SELECT open.*, t.kind, t.text, i.title FROM ({_OPEN}) open "
                "JOIN timeline t ON t.id = open.event_id JOIN incidents i ON i.id = open.incident_id "
                "ORDER BY open.state = 'pending', open.outbox_id LIMIT :limit",
                {"target": target, "cursor": self._cursor(target), "limit": limit},
            ).fetchall()
            found.extend(
                _entry(row, target, kind=EventKind(row["kind"]), text=row["text"], title=row["title"]) for row in rows
            )
        found.sort(key=lambda e: (e.state == "pending", e.outbox_id, e.target))
        return found[:limit]

    def counts(self, target: str) -> TargetCounts:
        row = self.db.conn.execute(
            f"SELECT count(*) FILTER (WHERE state = 'pending') AS pending, "
            f"count(*) FILTER (WHERE state = 'failed') AS failed FROM ({_OPEN})",
            {"target": target, "cursor": self._cursor(target)},
        ).fetchone()
        return TargetCounts(pending=row["pending"], failed=row["failed"])

    def first_error(self, target: str) -> str:
        """The reason the oldest failed entry gave, else the latest retry reason."""
        row = self.db.conn.execute(
            f"SELECT last_error FROM ({_OPEN}) WHERE last_error != '' "
            "ORDER BY state = 'failed' DESC, outbox_id LIMIT 1",
            {"target": target, "cursor": self._cursor(target)},
        ).fetchone()
        return row[0] if row else ""

    # -- recording ---------------------------------------------------------------------------

    def begin_attempt(self, entry: OutboxEntry, at: float) -> bool:
        """Count the attempt and mark its outcome unknown before any request is sent: if the
        process dies before the answer is recorded, the next attempt looks before creating.
        False if the entry changed since it was read (a person discarded it, or another worker
        began it): do not send. Until its outcome is recorded the entry is not due for
        `ATTEMPT_LEASE_SECONDS`, so a second worker on this database (the console and `oncall
        sync`) leaves it alone; after a crash it is tried again, with a look-up, once that ends."""
        with self.db.write() as conn:
            cursor = conn.execute(
                "INSERT INTO sync_delivery (outbox_id, target, state, attempts, uncertain, next_attempt_at, updated_at) "
                "VALUES (?, ?, 'pending', 1, 1, ?, ?) ON CONFLICT (outbox_id, target) "
                "DO UPDATE SET attempts = attempts + 1, uncertain = 1, next_attempt_at = excluded.next_attempt_at, "
                "updated_at = excluded.updated_at WHERE sync_delivery.state = 'pending' AND sync_delivery.attempts = ?",
                (entry.outbox_id, entry.target, at + ATTEMPT_LEASE_SECONDS, _stamp(at), entry.attempts),
            )
        return cursor.rowcount == 1

    def mark_done(self, outbox_id: int, target: str, at: float, note: str = "", steps: Steps = ()) -> None:
        self._set(outbox_id, target, "done", at, note, uncertain=False, steps=steps)

    def mark_retry(self, outbox_id: int, target: str, at: float, retry_at: float, error: str, uncertain: bool,
                   steps: Steps = ()) -> None:
        self._set(outbox_id, target, "pending", at, error, uncertain=uncertain, next_attempt_at=retry_at, steps=steps)

    def mark_failed(self, outbox_id: int, target: str, at: float, error: str, uncertain: bool,
                    steps: Steps = ()) -> None:
        self._set(outbox_id, target, "failed", at, error, uncertain=uncertain, steps=steps)

    def retry_now(self, outbox_id: int, target: str, at: float, *, send_again: bool = False) -> None:
        """A person asked for another try: pending again, due now. Keeps `uncertain` (safety: Jira
        and Slack look before sending again) unless `send_again`: the person checked that an
        email that may have been sent was not, and wants it sent."""
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO sync_delivery (outbox_id, target, state, updated_at) VALUES (?, ?, 'pending', ?) "
                "ON CONFLICT (outbox_id, target) DO UPDATE SET state = 'pending', next_attempt_at = 0, "
                "uncertain = CASE WHEN ? THEN 0 ELSE uncertain END, updated_at = excluded.updated_at",
                (outbox_id, target, _stamp(at), int(send_again)),
            )

    def retry_all_failed(self, target: str, at: float) -> int:
        """Every failed entry of `target` due again now; emails that may have been sent are left
        for a person to decide one by one (`retry_now(send_again=True)`)."""
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE sync_delivery SET state = 'pending', next_attempt_at = 0, updated_at = ? "
                "WHERE target = ? AND state = 'failed' AND NOT (target = 'email' AND uncertain)",
                (_stamp(at), target),
            )
        return cursor.rowcount

    def discard(self, outbox_id: int, target: str, at: float, actor: str) -> None:
        """Give up on one entry on purpose; the row keeps who did it and when."""
        self._set(outbox_id, target, "discarded", at, f"discarded by {actor} at {_stamp(at)}", uncertain=False)

    def mark_delivered_elsewhere(self, outbox_id: int, target: str, at: float, note: str) -> None:
        """An entry that must not be sent to `target` (it came from there, or it is a drill)."""
        self.mark_done(outbox_id, target, at, note)

    def advance_cursor(self, target: str) -> None:
        """Move the scan start past entries that are settled, so scans stay short as history grows."""
        with self.db.write() as conn:
            cursor = self._cursor(target)
            row = conn.execute(f"SELECT min(outbox_id) FROM ({_OPEN})", {"target": target, "cursor": cursor}).fetchone()
            settled = row[0] if row[0] is not None else conn.execute(
                "SELECT coalesce(max(id), 0) + 1 FROM outbox"
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO sync_cursor (target, settled_below) VALUES (?, ?) "
                "ON CONFLICT (target) DO UPDATE SET settled_below = excluded.settled_below",
                (target, settled),
            )

    # -- helpers -----------------------------------------------------------------------------

    def _cursor(self, target: str) -> int:
        row = self.db.conn.execute("SELECT settled_below FROM sync_cursor WHERE target = ?", (target,)).fetchone()
        return row[0] if row else 0

    def _set(self, outbox_id: int, target: str, state: str, at: float, error: str, *, uncertain: bool,
             next_attempt_at: float = 0, steps: Steps = ()) -> None:
        """Record the outcome, and the remote ids of the steps that completed, in one transaction."""
        with self.db.write() as conn:
            RemoteIds(self.db).record_steps(steps)
            conn.execute(
                "INSERT INTO sync_delivery (outbox_id, target, state, uncertain, next_attempt_at, last_error, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (outbox_id, target) DO UPDATE SET state = excluded.state, "
                "uncertain = excluded.uncertain, next_attempt_at = excluded.next_attempt_at, "
                "last_error = excluded.last_error, updated_at = excluded.updated_at "
                "WHERE sync_delivery.state != 'discarded'",  # a person's discard stands
                (outbox_id, target, state, int(uncertain), next_attempt_at, error, _stamp(at)),
            )


def _stamp(at: float) -> str:
    return _stamp_second(int(at))


@lru_cache(maxsize=4)
def _stamp_second(second: int) -> str:
    """A busy drain records hundreds of outcomes in the same second: format it once."""
    return to_text(datetime.fromtimestamp(second, timezone.utc))


def _entry(row, target: str, **extra) -> OutboxEntry:
    return OutboxEntry(
        outbox_id=row["outbox_id"],
        target=target,
        incident_id=row["incident_id"],
        event_id=row["event_id"],
        created_at=row["created_at"],
        state=row["state"],
        attempts=row["attempts"],
        uncertain=bool(row["uncertain"]),
        next_attempt_at=float(row["next_attempt_at"]),
        last_error=row["last_error"],
        **extra,
    )
