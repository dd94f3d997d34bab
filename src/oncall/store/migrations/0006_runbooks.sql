-- Runbooks attached to incidents, and where each one's steps stand. The timeline holds the
-- history (who did each step, skipped it and why, the evidence gathered); these tables hold what
-- is true now, so the viewer resumes where the incident is, in any terminal.
CREATE TABLE incident_runbooks (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    runbook_id TEXT NOT NULL,
    title TEXT NOT NULL,
    attached_at TEXT NOT NULL,
    attached_by TEXT NOT NULL,
    finished_at TEXT,
    PRIMARY KEY (incident_id, runbook_id)
);

CREATE TABLE runbook_steps (
    incident_id INTEGER NOT NULL,
    runbook_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('done', 'skipped')),
    by TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, runbook_id, step),
    FOREIGN KEY (incident_id, runbook_id) REFERENCES incident_runbooks (incident_id, runbook_id) ON DELETE CASCADE
);

-- The failure tags the IC gives an incident (third-party-api, stale-table, …): with its asset,
-- what the console suggests runbooks by.
CREATE TABLE incident_tags (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (incident_id, tag)
);
