"""`oncall db rescue`: copy what can still be read from a damaged database into a new one, and say
what could not be saved, the unsent outbox entries first (they exist nowhere else).

Rows are read in key order in batches; where a batch meets a damaged page, reading goes on one
row at a time, and where a single row cannot be read it looks for the next readable key by
seeking further and further ahead, then narrowing back (a damaged leaf page loses only its own
rows while the pages above it can still be followed). Rows are never read through an index,
which may be the damaged part. A row whose parent was lost (an event of a lost incident, an
outbox entry of a lost event) cannot go in either, and is counted as lost.

The new file is a normal database at the current schema, made by `open_database`; its search
index is rebuilt from the incidents saved. This database's origin id (part of every Jira and
Slack label) and every remote id are carried over, so syncing from the rescued file never
creates a second issue or message.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from oncall.store.db import open_database
from oncall.store.migrations import latest_version
from oncall.store.outbox import TARGETS
from oncall.store.problems import RESTORE_HINT, DatabaseNewer, DatabaseProblem, NotADatabase

BATCH = 500
NO_KEY = -(2**63)
MAX_KEY = 2**62
SHOWN = 20

# Parents first. Each table: the column its rows are read in order of (an integer), and the
# columns that must name a saved row of another table for the row to go in.
ORDER = ("incidents", "timeline", "outbox", "sync_delivery", "sync_cursor", "remote_incidents",
         "remote_events", "sync_state")
PARENTS: dict[str, dict[str, str]] = {
    "timeline": {"incident_id": "incidents"},
    "outbox": {"incident_id": "incidents", "event_id": "timeline"},
    "sync_delivery": {"outbox_id": "outbox"},
    "remote_incidents": {"incident_id": "incidents"},
    "remote_events": {"event_id": "timeline"},
}
SKIPPED = ("sqlite_", "queue_search")  # SQLite's own tables; the search index is rebuilt


@dataclass
class TableRescue:
    table: str
    saved: int = 0
    unreadable: list[tuple[int, int]] = field(default_factory=list)  # key ranges that could not be read
    orphans: int = 0  # rows read whose parent row was lost
    whole_table_lost: str = ""  # why nothing of it could be read

    @property
    def complete(self) -> bool:
        return not self.unreadable and not self.orphans and not self.whole_table_lost


@dataclass(frozen=True)
class LostEntry:
    """An outbox entry that was not saved and may not have reached Jira or Slack."""

    outbox_id: int | None  # None: the entry itself was not found, only its saved event
    incident_id: int | None
    event_id: int | None
    what: str  # what the event said, when the event itself was saved

    def __str__(self) -> str:
        where = f"INC-{self.incident_id}" if self.incident_id else "an unknown incident"
        said = f": {self.what}" if self.what else ""
        entry = f"outbox entry #{self.outbox_id}" if self.outbox_id else "an outbox entry"
        return f"{entry} ({where}, event #{self.event_id or '?'}){said}"


@dataclass
class RescueReport:
    source: Path
    target: Path
    tables: dict[str, TableRescue] = field(default_factory=dict)
    lost_unsent: list[LostEntry] = field(default_factory=list)
    pending_saved: int = 0  # unsent outbox entries that were saved: the next sync sends them

    @property
    def complete(self) -> bool:
        return all(t.complete for t in self.tables.values()) and not self.lost_unsent

    def lines(self) -> list[str]:
        out = [f"rescued into {self.target}: " + ", ".join(
            f"{self.tables[t].saved} {label}" for t, label in (("incidents", "incidents"), ("timeline", "events"),
                                                               ("outbox", "outbox entries")) if t in self.tables)]
        if self.lost_unsent:
            out.append(f"NOT SAVED: {len(self.lost_unsent)} change{'s' if len(self.lost_unsent) != 1 else ''} "
                       "not yet sent to Jira/Slack (or not known to be) lost their place in the outbox, so the "
                       "rescued file will not send them: check Jira and Slack, and tell the team by hand:")
            out += [f"  {entry}" for entry in self.lost_unsent[:SHOWN]]
            if len(self.lost_unsent) > SHOWN:
                out.append(f"  … and {len(self.lost_unsent) - SHOWN} more (`--json` lists every one)")
        for rescue in self.tables.values():
            if rescue.whole_table_lost:
                out.append(f"not saved: the whole {rescue.table} table ({rescue.whole_table_lost})")
            if rescue.unreadable:
                out.append(f"not saved: {rescue.table} rows with keys {_ranges(rescue.unreadable)} could not be read")
            if rescue.orphans:
                out.append(f"not saved: {rescue.orphans} {rescue.table} row{'s' if rescue.orphans != 1 else ''} "
                           "whose incident or event was lost")
        if self.complete:
            out.append("everything that could be found was saved")
        if self.pending_saved:
            out.append(f"{self.pending_saved} unsent change{'s' if self.pending_saved != 1 else ''} were saved and "
                       "will be sent by the next sync")
        return out


def rescue_database(source: Path, target: Path, targets: tuple[str, ...] = TARGETS) -> RescueReport:
    """Copy what can be read of `source` into a new database at `target` (which must not exist).
    `targets` are the systems this workspace syncs to, for telling what was unsent."""
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    src = _open_source(source)
    report = RescueReport(source, target)
    try:
        tables = _source_tables(src, source)
        destination = open_database(target)
        try:
            conn = destination.conn
            conn.execute("PRAGMA foreign_keys = OFF")  # parents are checked here, row by row, instead
            saved_keys: dict[str, set[int]] = {}
            delivery: dict[int, dict[str, str]] = {}
            outbox_rows: dict[int, tuple[int, int]] = {}
            with destination.write():
                for table in [t for t in ORDER if t in tables] + sorted(set(tables) - set(ORDER)):
                    report.tables[table] = _copy_table(src, conn, table, tables[table], saved_keys,
                                                       delivery, outbox_rows)
            outbox = report.tables.get("outbox")
            report.lost_unsent, report.pending_saved = _unsent(
                src, conn, saved_keys, delivery, outbox_rows, targets, outbox is None or not outbox.complete)
        finally:
            destination.close()
    finally:
        src.close()
    return report


# -- reading -----------------------------------------------------------------------------------


class NothingToRescue(DatabaseProblem):
    kind = "nothing_to_rescue"

    def __init__(self, source: Path, why: str) -> None:
        super().__init__(source, f"nothing can be read from {source}: {why}",
                         f"{RESTORE_HINT}; the file itself was not changed")


def _open_source(source: Path) -> sqlite3.Connection:
    if not source.is_file() or source.stat().st_size == 0:
        raise NothingToRescue(source, "it is empty or missing")
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        src.execute("PRAGMA query_only = ON")
        # Read a file shorter than its header says (cut short) as far as it goes, rather than
        # refuse it whole; nothing is written through this connection.
        src.execute("PRAGMA writable_schema = ON")
        version = src.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise NothingToRescue(source, f"not even its first page can be read ({error})") from None
    if version > latest_version():
        src.close()
        raise DatabaseNewer(source, version, latest_version())
    return src


def _source_tables(src: sqlite3.Connection, source: Path) -> dict[str, tuple[str, list[str]]]:
    """table → (the integer key to read it in order of, its columns)."""
    try:
        rows = src.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    except sqlite3.DatabaseError as error:
        raise NothingToRescue(source, f"its list of tables cannot be read ({error})") from None
    if not any(name == "incidents" for name, _ in rows):
        src.close()
        raise NotADatabase(source, "it has no incidents table")
    tables = {}
    for name, sql in rows:
        if name.startswith(SKIPPED):
            continue
        try:
            info = src.execute(f'PRAGMA table_info("{name}")').fetchall()
        except sqlite3.DatabaseError:
            continue
        columns = [row[1] for row in info]
        key = "rowid"
        if "WITHOUT ROWID" in (sql or "").upper():
            first = min((row for row in info if row[5]), key=lambda row: row[5])
            key = first[1] if "INT" in (first[2] or "").upper() else ""  # "": a small table read whole
        tables[name] = (key, columns)
    return tables


def _copy_table(src, conn, table, shape, saved_keys, delivery, outbox_rows) -> TableRescue:
    key, source_columns = shape
    rescue = TableRescue(table)
    target_columns = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
    if not target_columns:
        rescue.whole_table_lost = "this oncall has no such table"
        return rescue
    columns = [c for c in source_columns if c in target_columns]
    parents = PARENTS.get(table, {})
    position = {c: i for i, c in enumerate(columns)}
    keys: set[int] = saved_keys.setdefault(table, set())
    marks = ", ".join("?" * len(columns))
    names = ", ".join(f'"{c}"' for c in columns)
    conflict = "OR REPLACE" if table == "sync_state" else "OR IGNORE"  # the source's origin id wins
    insert = f'INSERT {conflict} INTO "{table}" ({names}) VALUES ({marks})'
    try:
        for batch in _rows(src, table, key, columns, rescue):
            good = []
            for row in batch:
                if table == "outbox":  # saved or not: what it pointed at, to say what was lost
                    outbox_rows[row[position["id"]]] = (row[position["incident_id"]], row[position["event_id"]])
                if any(row[position[c]] not in saved_keys.get(parent, ()) for c, parent in parents.items()
                       if c in position):
                    rescue.orphans += 1
                    continue
                good.append(row)
                if table in ("incidents", "timeline", "outbox"):
                    keys.add(row[position["id"]])
                if table == "sync_delivery":
                    delivery.setdefault(row[position["outbox_id"]], {})[row[position["target"]]] = row[position["state"]]
            conn.executemany(insert, good)
            rescue.saved += len(good)
    except sqlite3.DatabaseError as error:
        rescue.whole_table_lost = str(error)
    return rescue


def _rows(src: sqlite3.Connection, table: str, key: str, columns: list[str],
          rescue: TableRescue) -> Iterator[list[tuple]]:
    names = ", ".join(f'"{c}"' for c in columns)
    if not key:  # a few rows with text keys: all or nothing
        yield [tuple(row) for row in src.execute(f'SELECT {names} FROM "{table}"')]
        return
    quoted = "rowid" if key == "rowid" else f'"{key}"'
    batch_sql = f'SELECT {quoted}, {names} FROM "{table}" WHERE {quoted} > ? ORDER BY {quoted} LIMIT {BATCH}'
    one_sql = f'SELECT {names} FROM "{table}" WHERE {quoted} = ?'
    probe_sql = f'SELECT {quoted} FROM "{table}" WHERE {quoted} >= ? ORDER BY {quoted} LIMIT 1'
    single_key = key == "rowid" or _is_unique(src, table, key)
    last = NO_KEY
    while True:
        try:
            rows = src.execute(batch_sql, (last,)).fetchall()
        except sqlite3.DatabaseError:
            rows = None
        if rows is not None:
            if not rows:
                return
            if len(rows) == BATCH and not single_key:
                # Several rows share a key (sync_delivery: one per target): end on a whole key.
                whole = [r for r in rows if r[0] != rows[-1][0]]
                rows = whole or rows
            yield [tuple(r[1:]) for r in rows]
            last = rows[-1][0]
            continue
        # A damaged page in this batch: go on key by key.
        found = _probe(src, probe_sql, last + 1)
        if found is _DAMAGED:
            following = _next_readable(src, probe_sql, last + 1)
            rescue.unreadable.append((max(last + 1, 1), (following - 1) if following is not None else MAX_KEY))
            if following is None:
                return
            found = following
        if found is None:
            return
        try:
            yield [tuple(row) for row in src.execute(one_sql, (found,)).fetchall()]
        except sqlite3.DatabaseError:
            rescue.unreadable.append((found, found))
        last = found


_DAMAGED = object()


def _probe(src: sqlite3.Connection, sql: str, at: int):
    """The first key at or after `at`; None at the end; `_DAMAGED` if the way there is damaged."""
    try:
        row = src.execute(sql, (at,)).fetchone()
    except sqlite3.DatabaseError:
        return _DAMAGED
    return row[0] if row else None


def _next_readable(src: sqlite3.Connection, sql: str, failing: int) -> int | None:
    """The first readable key after the damaged spot at `failing`: seek 1, 2, 4, … keys ahead
    until a seek works, then narrow back to the first place it works from."""
    step = 1
    while failing + step < MAX_KEY:
        found = _probe(src, sql, failing + step)
        if found is _DAMAGED:
            step *= 2
            continue
        low, high = failing + step // 2 if step > 1 else failing, failing + step  # low fails, high works
        while high - low > 1:
            middle = (low + high) // 2
            if _probe(src, sql, middle) is _DAMAGED:
                low = middle
            else:
                high = middle
        result = _probe(src, sql, high)
        return None if result is _DAMAGED else result
    return None


def _is_unique(src: sqlite3.Connection, table: str, key: str) -> bool:
    try:
        info = src.execute(f'PRAGMA table_info("{table}")').fetchall()
    except sqlite3.DatabaseError:
        return False
    return sum(1 for row in info if row[5]) == 1 and any(row[1] == key and row[5] for row in info)


# -- what was not saved ------------------------------------------------------------------------


def _unsent(src, conn, saved_keys, delivery, outbox_rows, targets, outbox_damaged) -> tuple[list[LostEntry], int]:
    """Outbox entries that were lost and were not (known to be) delivered everywhere; and how many
    unsent entries were saved. Outbox ids are never reused or deleted, so every id up to the
    highest one seen (in the outbox or its delivery records) existed; and every event of a real
    (not synthetic) incident had one, so where the outbox itself was damaged, a saved event
    without its entry, of which no remote trace exists, may not have been sent either."""
    saved = saved_keys.get("outbox", set())
    highest = max([*outbox_rows, *delivery, 0])
    known_targets = tuple(targets) or TARGETS
    settled: Callable[[int], bool] = lambda oid: all(
        delivery.get(oid, {}).get(t) in ("done", "discarded") for t in known_targets)
    lost = []
    for outbox_id in range(1, highest + 1):
        if outbox_id in saved or settled(outbox_id):
            continue
        incident_id, event_id = outbox_rows.get(outbox_id) or _read_outbox_row(src, outbox_id)
        lost.append(LostEntry(outbox_id, incident_id, event_id, _said(conn, event_id)))
    if outbox_damaged:
        named = {entry.event_id for entry in lost}
        for event_id, incident_id in conn.execute(
            "SELECT t.id, t.incident_id FROM timeline t JOIN incidents i ON i.id = t.incident_id "
            "WHERE NOT i.synthetic AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = t.id) "
            "AND NOT EXISTS (SELECT 1 FROM remote_events r WHERE r.event_id = t.id) ORDER BY t.id"
        ).fetchall():
            if event_id not in named:
                lost.append(LostEntry(None, incident_id, event_id, _said(conn, event_id)))
    pending_saved = sum(1 for oid in saved if not settled(oid))
    return lost, pending_saved


def _said(conn: sqlite3.Connection, event_id: int | None) -> str:
    if event_id is None:
        return ""
    row = conn.execute("SELECT kind, text FROM timeline WHERE id = ?", (event_id,)).fetchone()
    return f"{row[0]} {row[1]!r}" if row else "the event itself was lost too"


def _read_outbox_row(src: sqlite3.Connection, outbox_id: int) -> tuple[int | None, int | None]:
    """What a lost outbox entry pointed at, if that one row can still be read."""
    try:
        row = src.execute("SELECT incident_id, event_id FROM outbox WHERE rowid = ?", (outbox_id,)).fetchone()
    except sqlite3.DatabaseError:
        return None, None
    return (row[0], row[1]) if row else (None, None)


def _ranges(ranges: list[tuple[int, int]]) -> str:
    parts = [f"{a}" if a == b else (f"{a} and up" if b >= MAX_KEY else f"{a}–{b}") for a, b in ranges[:SHOWN]]
    return ", ".join(parts) + (" …" if len(ranges) > SHOWN else "")
