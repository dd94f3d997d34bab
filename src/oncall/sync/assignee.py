"""Jira assignees that Jira refused: said in the sync line (footer, sync screen, `oncall sync`)
without holding anything back.

The issue's assignee follows the Incident Commander (`JiraDelivery`). When Jira refuses the
account the roster gives (an unknown accountId or username, or the bot may not assign), the
event's other steps and every later update still go; the `assignee` step is recorded as done
with `refused: why` as its remote id (so it is not asked again), and the reason is kept here,
per incident, until a later hand-off of that incident is delivered. Resolved and closed
incidents are no longer mentioned.
"""

from __future__ import annotations

from oncall.domain.status import ACTIVE
from oncall.store.db import Database
from oncall.store.remote_ids import RemoteIds

# sync_state key, followed by the incident id: why Jira refused the incident's last assignee.
REFUSED_PREFIX = "jira_assignee_refused:"
REFUSED_STEP = "refused: "  # the remote id of an `assignee` step Jira refused


def record(ids: RemoteIds, incident_id: int, why: str) -> None:
    ids.set_state(f"{REFUSED_PREFIX}{incident_id}", why[:500])


def clear(ids: RemoteIds, incident_id: int) -> None:
    """A later hand-off went through (or left the assignee alone): the refusal is past."""
    key = f"{REFUSED_PREFIX}{incident_id}"
    if ids.state(key):
        ids.set_state(key, "")


def refused(database: Database) -> dict[int, str]:
    """Incidents still open whose last assignee Jira refused, and why, by incident id."""
    statuses = sorted(status.value for status in ACTIVE)
    rows = database.conn.execute(
        "SELECT i.id, s.value FROM sync_state s JOIN incidents i "
        "ON i.id = CAST(substr(s.key, ?) AS INTEGER) "
        f"WHERE substr(s.key, 1, ?) = ? AND s.value != '' AND i.status IN ({', '.join('?' * len(statuses))}) "
        "ORDER BY i.id",
        (len(REFUSED_PREFIX) + 1, len(REFUSED_PREFIX), REFUSED_PREFIX, *statuses),
    ).fetchall()
    return {int(incident_id): str(why) for incident_id, why in rows}


def notice(database: Database) -> str:
    """One line for the sync status; '' when nothing was refused."""
    found = refused(database)
    if not found:
        return ""
    incident_id, why = next(iter(found.items()))
    count = f"{len(found)} Jira assignees" if len(found) > 1 else "Jira assignee"
    return f"{count} not set (INC-{incident_id}: {why})"
