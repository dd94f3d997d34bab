"""Post-mortems as stored: the status, each section's text with its revision, and every text ever
saved (or that lost a race), so nothing typed is lost whoever saves last.

A save names the revision it was made from. If someone else saved the section since, the save
is refused as a conflict and the text is kept as a `conflict` revision; the person then keeps
theirs over the other (a save from the newer revision) or takes the other's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from oncall.domain.clock import from_text, to_text
from oncall.domain.postmortem import PostmortemStatus, Section
from oncall.store.db import Database


SITTING = timedelta(minutes=5)  # one person's saves this close together are one entry in the history


@dataclass(frozen=True)
class SectionText:
    section: Section
    text: str
    revision: int  # 0: never saved
    saved_by: str = ""
    saved_at: datetime | None = None


@dataclass(frozen=True)
class Postmortem:
    incident_id: int
    status: PostmortemStatus
    status_by: str
    status_at: datetime
    created_at: datetime
    sections: dict[Section, SectionText]

    def text(self, section: Section) -> str:
        return self.sections[section].text


@dataclass(frozen=True)
class Saved:
    """What a save came to: `conflict` when someone else saved the section first (`current` is
    theirs; the text given was kept as a conflict revision)."""

    current: SectionText
    conflict: bool = False


class PostmortemRepository:
    def __init__(self, database: Database) -> None:
        self.db = database

    def get(self, incident_id: int) -> Postmortem | None:
        row = self.db.conn.execute(
            "SELECT status, status_by, status_at, created_at FROM postmortems WHERE incident_id = ?",
            (incident_id,)).fetchone()
        if row is None:
            return None
        sections = {section: SectionText(section, "", 0) for section in Section}
        for name, text, revision, saved_by, saved_at in self.db.conn.execute(
                "SELECT section, text, revision, saved_by, saved_at FROM postmortem_sections WHERE incident_id = ?",
                (incident_id,)):
            try:
                section = Section(name)
            except ValueError:  # a section this version does not know: left in the database
                continue
            sections[section] = SectionText(section, text, revision, saved_by, from_text(saved_at))
        return Postmortem(incident_id, PostmortemStatus(row[0]), row[1], from_text(row[2]), from_text(row[3]),
                          sections)

    def statuses(self, incident_ids: list[int]) -> dict[int, PostmortemStatus]:
        if not incident_ids:
            return {}
        marks = ", ".join("?" for _ in incident_ids)
        return {incident_id: PostmortemStatus(status) for incident_id, status in self.db.conn.execute(
            f"SELECT incident_id, status FROM postmortems WHERE incident_id IN ({marks})", incident_ids)}

    def create(self, incident_id: int, sections: dict[Section, str], by: str, at: datetime) -> None:
        with self.db.write() as conn:
            conn.execute("INSERT INTO postmortems (incident_id, status, status_by, status_at, created_at) "
                         "VALUES (?, 'draft', ?, ?, ?)", (incident_id, by, to_text(at), to_text(at)))
            for section, text in sections.items():
                conn.execute("INSERT INTO postmortem_sections (incident_id, section, text, revision, saved_by, "
                             "saved_at) VALUES (?, ?, ?, 1, ?, ?)", (incident_id, section.value, text, by, to_text(at)))
                self._keep(incident_id, section, 1, text, by, at, "saved")

    def save(self, incident_id: int, section: Section, text: str, base_revision: int, by: str,
             at: datetime, *, coalesce: bool = False) -> Saved:
        """Save `text` made from `base_revision`. Saving the text the section already has is a
        no-op; a save from an older revision is a conflict (unless it says what is there now).
        `coalesce`: an autosave, which may replace the same person's last autosave in the history."""
        with self.db.write() as conn:
            current = self._section(incident_id, section)
            if current.text == text:
                return Saved(current)
            if current.revision != base_revision:
                if coalesce:
                    self._keep_saved(incident_id, section, base_revision, text, by, at, "conflict")
                else:
                    self._keep(incident_id, section, base_revision, text, by, at, "conflict")
                return Saved(current, conflict=True)
            revision = current.revision + 1
            conn.execute(
                "INSERT INTO postmortem_sections (incident_id, section, text, revision, saved_by, saved_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id, section) DO UPDATE SET text = excluded.text, "
                "revision = excluded.revision, saved_by = excluded.saved_by, saved_at = excluded.saved_at",
                (incident_id, section.value, text, revision, by, to_text(at)))
            if coalesce:
                self._keep_saved(incident_id, section, revision, text, by, at)
            else:
                self._keep(incident_id, section, revision, text, by, at, "saved")
            return Saved(SectionText(section, text, revision, by, at))

    def set_status(self, incident_id: int, status: PostmortemStatus, by: str, at: datetime) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE postmortems SET status = ?, status_by = ?, status_at = ? WHERE incident_id = ?",
                         (status.value, by, to_text(at), incident_id))

    def revisions(self, incident_id: int, section: Section) -> list[tuple[int, str, str, datetime, str]]:
        """(revision, text, saved_by, saved_at, kept) for every text saved in the section, oldest first."""
        return [(revision, text, by, from_text(at), kept) for revision, text, by, at, kept in self.db.conn.execute(
            "SELECT revision, text, saved_by, saved_at, kept FROM postmortem_revisions "
            "WHERE incident_id = ? AND section = ? ORDER BY id", (incident_id, section.value))]

    def _section(self, incident_id: int, section: Section) -> SectionText:
        row = self.db.conn.execute(
            "SELECT text, revision, saved_by, saved_at FROM postmortem_sections WHERE incident_id = ? AND section = ?",
            (incident_id, section.value)).fetchone()
        if row is None:
            return SectionText(section, "", 0)
        return SectionText(section, row[0], row[1], row[2], from_text(row[3]))

    def _keep_saved(self, incident_id: int, section: Section, revision: int, text: str, by: str,
                    at: datetime, kept: str = "autosave") -> None:
        """Keep a save in the history. The editor saves as a person types, so one person's saves
        within a few minutes of their last one replace it there: the history keeps each sitting,
        not each pause in typing (a teammate's save in between starts a new entry)."""
        last = self.db.conn.execute(
            "SELECT id, saved_by, saved_at, kept FROM postmortem_revisions WHERE incident_id = ? AND section = ? "
            "ORDER BY id DESC LIMIT 1", (incident_id, section.value)).fetchone()
        if last is not None and last[1] == by and last[3] == kept and \
                timedelta(0) <= at - from_text(last[2]) <= SITTING:
            self.db.conn.execute("UPDATE postmortem_revisions SET revision = ?, text = ?, saved_at = ? WHERE id = ?",
                                 (revision, text, to_text(at), last[0]))
            return
        self._keep(incident_id, section, revision, text, by, at, kept)

    def _keep(self, incident_id: int, section: Section, revision: int, text: str, by: str, at: datetime,
              kept: str) -> None:
        self.db.conn.execute(
            "INSERT INTO postmortem_revisions (incident_id, section, revision, text, saved_by, saved_at, kept) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", (incident_id, section.value, revision, text, by, to_text(at), kept))
