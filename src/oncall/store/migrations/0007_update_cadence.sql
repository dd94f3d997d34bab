-- When an incident's next stakeholder update is due (NULL: none owed), and when the last one was
-- sent. Kept on the incident row so the queue and `oncall comms due` read it with the rest, in SQL.
ALTER TABLE incidents ADD COLUMN update_due_at TEXT;
ALTER TABLE incidents ADD COLUMN last_update_at TEXT;
CREATE INDEX incidents_update_due ON incidents (update_due_at) WHERE update_due_at IS NOT NULL;
