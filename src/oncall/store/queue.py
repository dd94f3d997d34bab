"""The incident queue as SQL: one filtered, ordered window at a time, never the whole history.

Without search text the `incidents_queue` index gives the order. With search text the FTS5 table
`queue_search` answers: its rowid *is* the queue order (see migration 0001), so the first page of
80,000 matches costs as little as the first page of ten. Status and severity filters become column
filters in the same FTS query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.domain.text import clean_line
from oncall.store.db import Database

QUEUE_ORDER = "queue_group, severity_rank, updated_at DESC, id DESC"
QUEUE_COLUMNS = "id, severity, status, title, asset, ic, detected_at, updated_at, is_drill, update_due_at"
ID_BITS = 16_777_215  # the low 24 bits of a queue_search rowid hold (ID_BITS - incident id)

_REF = re.compile(r"^(?:inc-?)?(\d{1,8})$", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)
# Scripts written without spaces between words (Chinese, Japanese, Thai, …): FTS5's unicode61
# tokenizer keeps a whole run as one token, so a word inside it is found by substring instead.
_UNSPACED = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3100-\u312f"
                       r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")


@dataclass(frozen=True)
class QueueFilter:
    statuses: frozenset[Status] = field(default_factory=frozenset)
    severities: frozenset[Severity] = field(default_factory=frozenset)
    text: str = ""
    person: str = ""  # "mine": incidents where this person holds any role (IC, SME, Lead, PM)

    def describe(self) -> str:
        parts = []
        if self.person:  # first: on a narrow terminal the end of the line is what gets cut
            parts.append(f"mine ({self.person})")
        if self.statuses:
            parts.append("status " + "/".join(sorted(s.value for s in self.statuses)))
        if self.severities:
            parts.append("severity " + "/".join(sorted(s.value for s in self.severities)))
        if self.text.strip():
            parts.append(f"matching “{self.text.strip()}”")
        return ", ".join(parts) if parts else "all incidents"


@dataclass(frozen=True)
class QueueRow:
    id: int
    severity: str
    status: str
    title: str
    asset: str
    ic: str | None
    detected_at: str
    updated_at: str
    is_drill: bool
    update_due_at: str | None = None  # when the next stakeholder update is due (None: none owed)


def fts_query(flt: QueueFilter) -> str | None:
    """The FTS5 query for a filter with search text, or None when there is no text to search.

    Every typed word must match (the last one as a prefix, for search-as-you-type) in the title,
    impact, asset or IC. Words are quoted, so punctuation or FTS operators typed into the search
    box can never cause a syntax error.
    """
    words = _WORD.findall(flt.text)
    if not words or substring_terms(flt):
        return None
    quoted = [f'"{word}"' for word in words]
    quoted[-1] += "*"
    parts = ["{title impact asset ic} : (" + " ".join(quoted) + ")"]
    if flt.statuses:
        parts.append("status : (" + " OR ".join(f'"{s.value}"' for s in sorted(flt.statuses)) + ")")
    if flt.severities:
        tokens = (s.value.replace("-", "").lower() for s in sorted(flt.severities))
        parts.append("severity : (" + " OR ".join(f'"{t}"' for t in tokens) + ")")
    return " AND ".join(parts)


def substring_terms(flt: QueueFilter) -> list[str]:
    """Search text the word index cannot answer, as pieces that must each appear: text with no
    letters or digits (`%`, `#`, an emoji), or in a script written without spaces (`タイトル`)."""
    text = flt.text.strip()
    if not text or (_WORD.search(text) and not _UNSPACED.search(text)):
        return []
    return [piece.lower() for piece in text.split()]


def _reference(flt: QueueFilter) -> int | None:
    """An incident named by number; none past the largest id the store allows (never an error)."""
    match = _REF.match(flt.text.strip())
    number = int(match.group(1)) if match else 0
    return number if 0 < number <= ID_BITS else None


def _where(flt: QueueFilter) -> tuple[str, list]:
    """The WHERE clause for the index path (no search text, or text searched by substring)."""
    clauses: list[str] = []
    params: list = []
    for term in substring_terms(flt):
        clauses.append("(instr(lower(title), ?) OR instr(lower(impact), ?) OR instr(lower(asset), ?) "
                       "OR instr(lower(coalesce(ic, '')), ?))")
        params.extend([term] * 4)
    if flt.statuses:
        clauses.append(f"status IN ({', '.join('?' for _ in flt.statuses)})")
        params.extend(sorted(s.value for s in flt.statuses))
    if flt.severities:
        clauses.append(f"severity IN ({', '.join('?' for _ in flt.severities)})")
        params.extend(sorted(s.value for s in flt.severities))
    if flt.person:
        clauses.append(f"id IN ({MINE})")
        params.extend([flt.person, flt.person])
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params


# The incidents where a person holds a role: two index reads (`incidents_ic`, `incident_roles_person`).
MINE = "SELECT id FROM incidents WHERE ic = ? UNION SELECT incident_id FROM incident_roles WHERE person = ?"
# For the search path: a queue_search rowid's incident id is in its low 24 bits.
_FTS_MINE = f" AND ({ID_BITS} - (rowid & {ID_BITS})) IN ({MINE})"


def _fts_mine(flt: QueueFilter) -> tuple[str, list]:
    return (_FTS_MINE, [flt.person, flt.person]) if flt.person else ("", [])


class QueueReader:
    def __init__(self, database: Database) -> None:
        self.db = database

    def count(self, flt: QueueFilter) -> int:
        query = fts_query(flt)
        if query is None:
            where, params = _where(flt)
            return self.db.conn.execute(f"SELECT count(*) FROM incidents {where}", params).fetchone()[0]
        mine, mine_params = _fts_mine(flt)
        found = self.db.conn.execute(f"SELECT count(*) FROM queue_search WHERE queue_search MATCH ?{mine}",
                                     (query, *mine_params))
        total = found.fetchone()[0]
        reference = self._referenced_but_unmatched(flt, query)
        return total + (1 if reference is not None else 0)

    def window(self, flt: QueueFilter, offset: int, limit: int) -> list[QueueRow]:
        query = fts_query(flt)
        if query is None:
            where, params = _where(flt)
            rows = self.db.conn.execute(
                f"SELECT {QUEUE_COLUMNS} FROM incidents {where} ORDER BY {QUEUE_ORDER} LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
            return [_row(row) for row in rows]
        ids: list[int] = []
        reference = self._referenced_but_unmatched(flt, query)
        if reference is not None:
            # Typing an incident number finds that incident first, then any text matches.
            if offset == 0:
                if limit > 0:
                    ids.append(reference)
                limit -= 1
            else:
                offset -= 1
        mine, mine_params = _fts_mine(flt)
        ids.extend(
            ID_BITS - (key & ID_BITS)
            for (key,) in self.db.conn.execute(
                f"SELECT rowid FROM queue_search WHERE queue_search MATCH ?{mine} ORDER BY rowid LIMIT ? OFFSET ?",
                (query, *mine_params, max(limit, 0), offset),
            )
        )
        return self._rows_by_id(ids)

    def position_of(self, flt: QueueFilter, incident_id: int) -> int | None:
        """Where an incident stands in the filtered queue, so the console can select it."""
        query = fts_query(flt)
        if query is None:
            return self._position_by_index(flt, incident_id)
        reference = self._referenced_but_unmatched(flt, query)
        if reference == incident_id:
            return 0  # named by number: it is listed first
        key = self._key_of(incident_id)
        if key is None:
            return None
        mine, mine_params = _fts_mine(flt)
        matched = self.db.conn.execute(
            f"SELECT count(*) FROM queue_search WHERE queue_search MATCH ? AND rowid = ?{mine}",
            (query, key, *mine_params),
        ).fetchone()[0]
        if not matched:
            return None
        before = self.db.conn.execute(
            f"SELECT count(*) FROM queue_search WHERE queue_search MATCH ? AND rowid < ?{mine}",
            (query, key, *mine_params),
        ).fetchone()[0]
        return before + (1 if reference is not None else 0)

    def _position_by_index(self, flt: QueueFilter, incident_id: int) -> int | None:
        """Count the rows ahead of the incident, walking the queue index (no window function)."""
        where, params = _where(flt)
        target = self.db.conn.execute(
            f"SELECT queue_group, severity_rank, updated_at, id FROM incidents {where} "
            f"{'AND' if where else 'WHERE'} id = ?",
            [*params, incident_id],
        ).fetchone()
        if target is None:
            return None
        group, rank, updated, _ = target
        ahead = (
            "(queue_group < ? OR (queue_group = ? AND severity_rank < ?) "
            "OR (queue_group = ? AND severity_rank = ? AND updated_at > ?) "
            "OR (queue_group = ? AND severity_rank = ? AND updated_at = ? AND id > ?))"
        )
        ahead_params = [group, group, rank, group, rank, updated, group, rank, updated, incident_id]
        row = self.db.conn.execute(
            f"SELECT count(*) FROM incidents {where} {'AND' if where else 'WHERE'} {ahead}",
            [*params, *ahead_params],
        ).fetchone()
        return row[0]

    def warm_up(self) -> None:
        """Read the search index's prefix pages once, so the first search is not a cold one."""
        self.db.conn.execute("SELECT count(*) FROM queue_search WHERE queue_search MATCH '\"s\"*'").fetchone()

    # -- helpers -----------------------------------------------------------------------------

    def _referenced_but_unmatched(self, flt: QueueFilter, query: str) -> int | None:
        """An incident named by number (`42`, `INC-42`) that passes the filters but not the text."""
        reference = _reference(flt)
        if reference is None:
            return None
        row = self.db.conn.execute("SELECT status, severity FROM incidents WHERE id = ?", (reference,)).fetchone()
        if row is None:
            return None
        if flt.statuses and Status(row["status"]) not in flt.statuses:
            return None
        if flt.severities and Severity(row["severity"]) not in flt.severities:
            return None
        if flt.person and not self.db.conn.execute(f"SELECT 1 FROM ({MINE}) WHERE id = ?",
                                                   (flt.person, flt.person, reference)).fetchone():
            return None
        key = self._key_of(reference)
        text_match = self.db.conn.execute(
            "SELECT count(*) FROM queue_search WHERE queue_search MATCH ? AND rowid = ?", (query, key)
        ).fetchone()[0]
        return None if text_match else reference

    def _key_of(self, incident_id: int) -> int | None:
        row = self.db.conn.execute(
            "SELECT (queue_group << 59) | (severity_rank << 57) "
            "| ((4102444800 - CAST(strftime('%s', updated_at) AS INTEGER)) << 24) | (? - id) "
            "FROM incidents WHERE id = ?",
            (ID_BITS, incident_id),
        ).fetchone()
        return row[0] if row else None

    def _rows_by_id(self, ids: list[int]) -> list[QueueRow]:
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        rows = self.db.conn.execute(f"SELECT {QUEUE_COLUMNS} FROM incidents WHERE id IN ({marks})", ids).fetchall()
        by_id = {row["id"]: _row(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]


def _row(row) -> QueueRow:
    ic = row["ic"]
    return QueueRow(  # text stored before it was cleaned on the way in must not reach a terminal either
        id=row["id"],
        severity=row["severity"],
        status=row["status"],
        title=clean_line(row["title"]),
        asset=clean_line(row["asset"]),
        ic=clean_line(ic) if ic else ic,
        detected_at=row["detected_at"],
        updated_at=row["updated_at"],
        is_drill=bool(row["is_drill"]),
        update_due_at=row["update_due_at"],
    )
