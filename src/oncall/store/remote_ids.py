"""Remote ids: what an incident and each of its timeline events became in Jira and Slack.

They are stored as they come back, and a create that was sent without an answer leaves a
`*_creating` flag, so the sync worker knows to look for the earlier one before creating again.
For Jira the flag holds the time the create was sent (epoch seconds): its search can trail a
create, so an empty look-up soon after is not yet proof that nothing was made.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from oncall.store.db import Database, in_chunks


PULL_SKIPPED = "jira_pull_skipped"  # sync_state key: JSON {issue key: why it was not imported}

# (event id, target, step, remote id): one completed step of delivering an event.
Steps = Iterable[tuple[int, str, str, str]]


@dataclass(frozen=True)
class RemoteIncident:
    incident_id: int
    label: str
    jira_key: str | None = None
    jira_creating_since: float = 0.0  # epoch seconds an unanswered create was sent; 0: none is
    jira_updated: str = ""
    slack_channel: str | None = None
    slack_ts: str | None = None
    slack_creating: bool = False
    slack_text: str = ""
    jira_thread_link: str = ""  # the Slack ts the Jira issue's "Slack thread" link points at
    stakeholder_channel: str | None = None  # the incident's post in the stakeholder channel
    stakeholder_ts: str | None = None
    stakeholder_creating: bool = False
    email_thread: str = ""  # the Message-ID of its first stakeholder email

    @property
    def jira_creating(self) -> bool:
        """A create was sent without an answer: look for its issue before creating again."""
        return self.jira_creating_since > 0


class RemoteIds:
    def __init__(self, database: Database) -> None:
        self.db = database

    # -- this database's identity ------------------------------------------------------------

    def origin(self) -> str:
        """Eight hex digits made when the database was created; part of every incident label."""
        return self.state("origin") or "local"

    def is_ours(self, label: str) -> bool:
        """Declared on this machine (not pulled from a teammate's)."""
        return label.startswith(f"oncall-{self.origin()}-")

    def keeps_message(self, remote: RemoteIncident) -> bool:
        """This laptop keeps the incident's Slack message current: declared here, or posted here
        because no teammate's message was found (then its last text is on record). A teammate's
        message is theirs. (`SyncWorker._refresh_stale_parents` asks the same in SQL.)"""
        return self.is_ours(remote.label) or bool(remote.slack_text)

    def label_for(self, incident_id: int) -> str:
        return f"oncall-{self.origin()}-inc-{incident_id}"

    def state(self, key: str) -> str | None:
        row = self.db.conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_state(self, key: str, value: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def pull_skipped(self) -> dict[str, str]:
        """Jira issues the pull could not import, and why; each stays listed until it imports
        (after someone changes it in Jira). The footer and the sync screen say so."""
        try:
            found = json.loads(self.state(PULL_SKIPPED) or "{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}

    def set_pull_skipped(self, skipped: dict[str, str]) -> None:
        self.set_state(PULL_SKIPPED, json.dumps(skipped) if skipped else "")

    # -- incidents ---------------------------------------------------------------------------

    def incident(self, incident_id: int) -> RemoteIncident:
        """The incident's remote ids; a fresh record (with its label) if it has none yet."""
        row = self.db.conn.execute("SELECT * FROM remote_incidents WHERE incident_id = ?", (incident_id,)).fetchone()
        if row is None:
            return RemoteIncident(incident_id=incident_id, label=self.label_for(incident_id))
        return RemoteIncident(
            incident_id=row["incident_id"], label=row["label"], jira_key=row["jira_key"],
            jira_creating_since=float(row["jira_creating"] or 0), jira_updated=row["jira_updated"],
            slack_channel=row["slack_channel"], slack_ts=row["slack_ts"], slack_creating=bool(row["slack_creating"]), slack_text=row["slack_text"],
            jira_thread_link=row["jira_thread_link"], stakeholder_channel=row["stakeholder_channel"],
            stakeholder_ts=row["stakeholder_ts"], stakeholder_creating=bool(row["stakeholder_creating"]),
            email_thread=row["email_thread"],
        )

    def by_label(self, label: str) -> RemoteIncident | None:
        row = self.db.conn.execute("SELECT incident_id FROM remote_incidents WHERE label = ?", (label,)).fetchone()
        return self.incident(row[0]) if row else None

    def by_jira_key(self, key: str) -> RemoteIncident | None:
        row = self.db.conn.execute("SELECT incident_id FROM remote_incidents WHERE jira_key = ?", (key,)).fetchone()
        return self.incident(row[0]) if row else None

    def update_incident(self, incident_id: int, **values) -> None:
        """Set some columns of the incident's row, creating it (with its label) if needed."""
        allowed = {"label", "jira_key", "jira_creating", "jira_updated", "slack_channel", "slack_ts", "slack_creating", "slack_text",
                   "jira_thread_link", "stakeholder_channel", "stakeholder_ts", "stakeholder_creating", "email_thread"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"unknown remote id columns: {sorted(unknown)}")
        with self.db.write() as conn:
            label = values.pop("label", None) or self.incident(incident_id).label
            conn.execute(
                "INSERT INTO remote_incidents (incident_id, label) VALUES (?, ?) ON CONFLICT (incident_id) DO NOTHING",
                (incident_id, label),
            )
            if values:
                assignments = ", ".join(f"{column} = :{column}" for column in values)
                conn.execute(
                    f"UPDATE remote_incidents SET {assignments} WHERE incident_id = :incident_id",
                    {**{k: int(v) if isinstance(v, bool) else v for k, v in values.items()}, "incident_id": incident_id},
                )

    # -- events ------------------------------------------------------------------------------

    def steps_done(self, target: str, event_ids: list[int]) -> dict[int, frozenset[str]]:
        """For each of `event_ids` that has any, the steps already done for `target`."""
        found: dict[int, set[str]] = {}
        for chunk in in_chunks(event_ids):
            rows = self.db.conn.execute(
                f"SELECT event_id, step FROM remote_events WHERE target = ? "
                f"AND event_id IN ({', '.join('?' * len(chunk))})",
                (target, *chunk),
            ).fetchall()
            for event_id, step in rows:
                found.setdefault(event_id, set()).add(step)
        return {event_id: frozenset(steps) for event_id, steps in found.items()}

    def transitions_done(self) -> frozenset[str]:
        """The Jira transitions (names or ids) the sync has carried out."""
        rows = self.db.conn.execute(
            "SELECT DISTINCT remote_id FROM remote_events WHERE target = 'jira' AND step = 'transition'"
        ).fetchall()
        return frozenset(row[0] for row in rows)

    def record_steps(self, steps: Steps) -> None:
        steps = list(steps)
        if not steps:
            return
        with self.db.write() as conn:
            conn.executemany(
                "INSERT INTO remote_events (event_id, target, step, remote_id) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (event_id, target, step) DO UPDATE SET remote_id = excluded.remote_id",
                steps,
            )
