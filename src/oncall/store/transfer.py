"""`oncall export` and `oncall import`: every incident, its timeline and the unsent outbox as one
JSON document: a person's last resort (readable without oncall) and a way to move to a new laptop.

The document carries what the sync needs to stay idempotent on the new laptop: this database's
origin id (part of every Jira and Slack label), each incident's and event's remote ids, and each
unsent entry's delivery state (an `uncertain` attempt still looks before it creates). Sent
entries are left out: they are done. The export is written incident by incident from one read
transaction, so it is a consistent snapshot however large the history, and never held whole in
memory; the import reads it into an empty database in one transaction (all or nothing).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from oncall.domain.clock import to_text
from oncall.domain.text import clean_block, clean_line
from oncall.store.db import Database, DatabaseBusy
from oncall.store.problems import DatabaseProblem
from oncall.store.migrations import schema_version
from oncall.store.outbox import TARGETS

FORMAT = "oncall-export"
VERSION = 1
SETTLED = ("done", "discarded")


class ImportRefused(ValueError):
    """The document cannot be imported here; the message says why and what to do."""


@dataclass(frozen=True)
class TransferCounts:
    incidents: int
    events: int
    outbox: int

    def describe(self) -> str:
        return f"{self.incidents} incidents, {self.events} timeline events, {self.outbox} unsent outbox entries"


def export_document(database: Database, out: IO[str], now: datetime, targets: Iterable[str] = TARGETS) -> TransferCounts:
    """Write the export to `out`. `targets` are the systems this workspace syncs to: an outbox
    entry is unsent while any of them has not taken it (all of them when none is configured)."""
    targets = tuple(targets) or TARGETS
    conn = database.conn
    conn.execute("BEGIN")  # one snapshot for every query below
    try:
        head = {"format": FORMAT, "version": VERSION, "exported_at": to_text(now),
                "schema_version": schema_version(database),
                "sync_state": {key: value for key, value in conn.execute("SELECT key, value FROM sync_state")}}
        out.write("{\n")
        for key, value in head.items():
            out.write(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
        incidents = events = 0
        remote_incidents = {row["incident_id"]: _without(row, "incident_id")
                            for row in conn.execute("SELECT * FROM remote_incidents")}
        remote_events: dict[int, list[dict]] = {}
        for row in conn.execute("SELECT event_id, target, step, remote_id FROM remote_events ORDER BY event_id, target, step"):
            remote_events.setdefault(row["event_id"], []).append(_without(row, "event_id"))
        roles: dict[int, list[dict]] = {}
        for row in conn.execute("SELECT incident_id, role, person, assigned_at FROM incident_roles ORDER BY rowid"):
            roles.setdefault(row["incident_id"], []).append(_without(row, "incident_id"))
        timeline = conn.execute("SELECT * FROM timeline ORDER BY incident_id, id")
        pending_event = timeline.fetchone()
        out.write('  "incidents": [')
        for incident in conn.execute("SELECT * FROM incidents ORDER BY id"):
            document = dict(incident)
            document["remote"] = remote_incidents.get(incident["id"])
            document["roles"] = roles.get(incident["id"], [])  # the SMEs, the Lead and the PM
            document["timeline"] = []
            while pending_event is not None and pending_event["incident_id"] < incident["id"]:
                pending_event = timeline.fetchone()  # an event of no incident: `oncall db check` tells
            while pending_event is not None and pending_event["incident_id"] == incident["id"]:
                document["timeline"].append(_event(pending_event, remote_events))
                pending_event = timeline.fetchone()
            out.write(("\n    " if incidents == 0 else ",\n    ") + json.dumps(document, ensure_ascii=False))
            incidents += 1
            events += len(document["timeline"])
        out.write("\n  ],\n" if incidents else "],\n")
        outbox = _unsent(conn, targets)
        out.write('  "outbox": [')
        out.write(",".join("\n    " + json.dumps(entry, ensure_ascii=False) for entry in outbox))
        out.write("\n  ]\n}\n" if outbox else "]\n}\n")
    finally:
        conn.execute("COMMIT")
    return TransferCounts(incidents, events, len(outbox))


def import_document(database: Database, document: Any) -> TransferCounts:
    """Read an export into `database`, which must hold no incidents. Raises `ImportRefused`."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ImportRefused("it is not an oncall export (no \"format\": \"oncall-export\" at its top)")
    if document.get("version") != VERSION:
        raise ImportRefused(f"it is an export of version {document.get('version')!r}; this oncall reads version "
                            f"{VERSION}: import it with the oncall that wrote it, or upgrade this one")
    conn = database.conn
    try:
        with database.write():
            if conn.execute("SELECT count(*) FROM incidents").fetchone()[0]:
                raise ImportRefused("the database already holds incidents; import goes only into an empty one "
                                    "(a new workspace, or `[workspace] database` naming a new file)")
            columns = {table: [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
                       for table in ("incidents", "timeline", "outbox", "sync_delivery", "remote_incidents")}
            for key, value in dict(document.get("sync_state") or {}).items():
                conn.execute("INSERT INTO sync_state (key, value) VALUES (?, ?) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(key), str(value)))
            incidents = events = 0
            for incident in document.get("incidents") or []:
                _insert(conn, "incidents", columns["incidents"], incident)
                conn.executemany(  # an export made before roles existed has none
                    "INSERT INTO incident_roles (incident_id, role, person, assigned_at) VALUES (?, ?, ?, ?)",
                    [(incident["id"], r["role"], r["person"], r["assigned_at"]) for r in incident.get("roles") or []])
                if incident.get("remote"):
                    _insert(conn, "remote_incidents", columns["remote_incidents"],
                            {**incident["remote"], "incident_id": incident["id"]})
                timeline = [{**event, "incident_id": incident["id"], "data": _data_text(event.get("data", {}))}
                             for event in incident.get("timeline") or []]
                _insert_many(conn, "timeline", columns["timeline"], timeline)
                conn.executemany(
                    "INSERT INTO remote_events (event_id, target, step, remote_id) VALUES (?, ?, ?, ?)",
                    [(event["id"], r["target"], r["step"], r.get("remote_id", ""))
                     for event in timeline for r in event.get("remote") or []])
                events += len(timeline)
                incidents += 1
            outbox = 0
            for entry in document.get("outbox") or []:
                _insert(conn, "outbox", columns["outbox"], entry)
                for target, delivery in (entry.get("deliveries") or {}).items():
                    _insert(conn, "sync_delivery", columns["sync_delivery"],
                            {**delivery, "outbox_id": entry["id"], "target": target})
                outbox += 1
    except (KeyError, TypeError, AttributeError) as error:
        raise ImportRefused(f"it is not a whole oncall export ({type(error).__name__}: {error}); nothing was "
                            "imported") from None
    except sqlite3.Error as error:
        if isinstance(error, (DatabaseBusy, DatabaseProblem)):
            raise  # this laptop's database, not the file, is the problem: said as such
        raise ImportRefused(f"it does not fit an oncall database ({error}); nothing was imported") from None
    return TransferCounts(incidents, events, outbox)


# -- helpers -----------------------------------------------------------------------------------


def _event(row, remote_events: dict[int, list[dict]]) -> dict:
    event = _without(row, "incident_id")
    try:
        event["data"] = json.loads(row["data"])
    except (TypeError, ValueError):
        pass  # kept as the text it is
    if row["id"] in remote_events:
        event["remote"] = remote_events[row["id"]]
    return event


def _unsent(conn, targets: tuple[str, ...]) -> list[dict]:
    """Outbox entries some target has not taken yet, with what each target made of them so far."""
    open_for_any = " OR ".join(
        f"NOT EXISTS (SELECT 1 FROM sync_delivery d WHERE d.outbox_id = o.id AND d.target = '{t}' "
        f"AND d.state IN {SETTLED})" for t in targets)
    entries = []
    for row in conn.execute(f"SELECT * FROM outbox o WHERE {open_for_any} ORDER BY o.id"):
        entry = dict(row)
        entry["deliveries"] = {d["target"]: _without(d, "outbox_id", "target") for d in conn.execute(
            "SELECT * FROM sync_delivery WHERE outbox_id = ? ORDER BY target", (row["id"],))}
        entries.append(entry)
    return entries


# Text that reaches a terminal is cleaned on the way in, as when it is typed (`domain/text.py`).
_BLOCKS = {"impact", "text"}
_LINES = {"title", "asset", "eta", "ic", "actor"}


def _clean(column: str, value: Any) -> Any:
    if isinstance(value, str):
        return clean_block(value) if column in _BLOCKS else clean_line(value) if column in _LINES else value
    if isinstance(value, (dict, list)):
        raise ImportRefused(f"its field {column!r} holds {type(value).__name__}, not a value; nothing was imported")
    return value


def _insert(conn, table: str, columns: list[str], values: dict) -> None:
    if not isinstance(values, dict):
        raise ImportRefused(f"an entry of {table} is {type(values).__name__}, not an object; nothing was imported")
    present = [c for c in columns if c in values]
    if not present:
        raise ImportRefused(f"an entry of {table} has none of its fields; nothing was imported")
    conn.execute(f"INSERT INTO {table} ({', '.join(present)}) VALUES ({', '.join('?' * len(present))})",
                 [_clean(c, values[c]) for c in present])


def _insert_many(conn, table: str, columns: list[str], rows: list[dict]) -> None:
    """Rows of one shape (an export writes every field of every row)."""
    if not rows:
        return
    present = [c for c in columns if c in rows[0]]
    if not present:
        raise ImportRefused(f"an entry of {table} has none of its fields; nothing was imported")
    conn.executemany(f"INSERT INTO {table} ({', '.join(present)}) VALUES ({', '.join('?' * len(present))})",
                     [[_clean(c, row[c]) for c in present] for row in rows])


def _data_text(data: Any) -> str:
    """An event's data as the store keeps it: JSON text with sorted keys (text kept as it was)."""
    return data if isinstance(data, str) else json.dumps(data, sort_keys=True)


def _without(row, *names: str) -> dict:
    return {key: row[key] for key in row.keys() if key not in names}
