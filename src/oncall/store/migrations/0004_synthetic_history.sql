-- Synthetic history (`oncall demo generate`) is marked, so it is never mistaken for a team's own
-- incidents and can be removed again (`oncall demo remove`). Only synthetic incidents may be
-- deleted, and only their timelines: everything that happened stays append-only.
ALTER TABLE incidents ADD COLUMN synthetic INTEGER NOT NULL DEFAULT 0;
CREATE INDEX incidents_synthetic ON incidents (id) WHERE synthetic = 1;

DROP TRIGGER timeline_no_delete;
CREATE TRIGGER timeline_no_delete BEFORE DELETE ON timeline
WHEN NOT coalesce((SELECT synthetic FROM incidents WHERE id = old.incident_id), 0)
BEGIN
    SELECT RAISE(ABORT, 'the timeline is append-only');
END;

CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents
WHEN NOT old.synthetic
BEGIN
    SELECT RAISE(ABORT, 'only synthetic incidents (oncall demo generate) can be removed');
END;

CREATE TRIGGER incidents_search_delete AFTER DELETE ON incidents
BEGIN
    INSERT INTO queue_search (queue_search, rowid, title, impact, asset, ic, status, severity)
    VALUES ('delete', ((old.queue_group << 59) | (old.severity_rank << 57) | ((4102444800 - CAST(strftime('%s', old.updated_at) AS INTEGER)) << 24) | (16777215 - old.id)), old.title, old.impact, old.asset, coalesce(old.ic, ''), old.status, replace(old.severity, '-', ''));
END;
