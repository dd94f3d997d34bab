"""Who holds the SME, Lead and PM roles on each incident (the IC is `incidents.ic`).

Every change here goes with a timeline event in the same transaction (`service/incidents.py`).
"""

from __future__ import annotations

from oncall.domain.clock import to_text
from oncall.domain.people import Role
from oncall.domain.roles import RoleHolders
from oncall.domain.status import ACTIVE
from oncall.store.db import Database, in_chunks


class RoleRepository:
    def __init__(self, database: Database) -> None:
        self.db = database

    def holders(self, incident_id: int) -> RoleHolders:
        ic = self.db.conn.execute("SELECT ic FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        rows = self.db.conn.execute(
            "SELECT role, person FROM incident_roles WHERE incident_id = ? ORDER BY rowid",
            (incident_id,),
        )
        held: dict[str, list[str]] = {"sme": [], "lead": [], "pm": []}
        for role, person in rows:
            held[role].append(person)
        return RoleHolders(ic=ic[0] if ic else None, sme=tuple(held["sme"]),
                           lead=held["lead"][0] if held["lead"] else None,
                           pm=held["pm"][0] if held["pm"] else None)

    def add(self, incident_id: int, role: Role, person: str, at) -> None:
        with self.db.write() as conn:
            conn.execute("INSERT INTO incident_roles (incident_id, role, person, assigned_at) VALUES (?, ?, ?, ?)",
                         (incident_id, role.value, person, to_text(at)))

    def remove(self, incident_id: int, role: Role, person: str) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM incident_roles WHERE incident_id = ? AND role = ? AND person = ?",
                         (incident_id, role.value, person))

    def open_load(self, people: list[str]) -> dict[str, dict[int, list[Role]]]:
        """For each person: the incidents not yet resolved where they hold a role, and which."""
        load: dict[str, dict[int, list[Role]]] = {person: {} for person in people}
        if not people:
            return load
        open_statuses = "(" + ", ".join(f"'{status.value}'" for status in sorted(ACTIVE)) + ")"
        for chunk in in_chunks(people):
            marks = ", ".join("?" for _ in chunk)
            for incident_id, person in self.db.conn.execute(
                f"SELECT id, ic FROM incidents WHERE ic IN ({marks}) AND status IN {open_statuses}", chunk
            ):
                load[person].setdefault(incident_id, []).append(Role.IC)
            for incident_id, role, person in self.db.conn.execute(
                f"SELECT r.incident_id, r.role, r.person FROM incident_roles r JOIN incidents i ON i.id = r.incident_id "
                f"WHERE r.person IN ({marks}) AND i.status IN {open_statuses}", chunk
            ):
                load[person].setdefault(incident_id, []).append(Role(role))
        return load
