-- Roles on an incident besides the Incident Commander (who stays `incidents.ic`): Subject Matter
-- Experts (any number), the Eng/Team Lead and the TPM/PM/PO (one each). Every change is also a
-- timeline event; this table holds who has each role now, for the role panel, each person's load,
-- and the queue's "mine" filter (hence the index by person, and the one on the IC).
CREATE TABLE incident_roles (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('sme', 'lead', 'pm')),
    person TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (incident_id, role, person)
);
CREATE INDEX incident_roles_person ON incident_roles (person, incident_id);
CREATE INDEX incidents_ic ON incidents (ic);
