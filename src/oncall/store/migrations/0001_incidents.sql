-- Incidents, their append-only timeline, full-text search for the queue, and the outbox the sync drains.
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 16777215),  -- the queue key packs ids in 24 bits
    title TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('SEV-1', 'SEV-2', 'SEV-3')),
    severity_rank INTEGER NOT NULL,
    status TEXT NOT NULL,
    queue_group INTEGER NOT NULL,
    asset TEXT NOT NULL,
    source TEXT NOT NULL,
    impact TEXT NOT NULL DEFAULT '',
    eta TEXT NOT NULL DEFAULT '',
    ic TEXT,
    is_drill INTEGER NOT NULL DEFAULT 0,
    started_at TEXT,
    detected_at TEXT NOT NULL,
    declared_at TEXT,
    resolved_at TEXT,
    closed_at TEXT,
    updated_at TEXT NOT NULL
);

-- The queue's order: open first, most severe first, most recently touched first.
CREATE INDEX incidents_queue ON incidents (queue_group, severity_rank, updated_at DESC, id DESC);
CREATE INDEX incidents_status ON incidents (status);

CREATE TABLE timeline (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX timeline_incident ON timeline (incident_id, id);

-- Nothing on the timeline is edited or removed: corrections are new events.
CREATE TRIGGER timeline_no_update BEFORE UPDATE ON timeline
BEGIN
    SELECT RAISE(ABORT, 'the timeline is append-only');
END;
CREATE TRIGGER timeline_no_delete BEFORE DELETE ON timeline
BEGIN
    SELECT RAISE(ABORT, 'the timeline is append-only');
END;

-- Search for the queue. Its rowid is the incident's place in the queue (open first, most severe,
-- most recently updated, newest), packed into one integer, so a search returns matches already
-- in queue order and a window is `ORDER BY rowid LIMIT n OFFSET k` without sorting every match.
-- Bits: queue_group 59-60, severity_rank 57-58, seconds before 2100 24-56, 16777215 - id 0-23.
-- Contentless: the text lives in `incidents`; prefix indexes make as-you-type prefixes cheap.
CREATE VIRTUAL TABLE queue_search USING fts5 (
    title, impact, asset, ic, status, severity,
    content = '', prefix = '1 2 3',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER incidents_search_insert AFTER INSERT ON incidents
BEGIN
    INSERT INTO queue_search (rowid, title, impact, asset, ic, status, severity)
    VALUES (((new.queue_group << 59) | (new.severity_rank << 57) | ((4102444800 - CAST(strftime('%s', new.updated_at) AS INTEGER)) << 24) | (16777215 - new.id)), new.title, new.impact, new.asset, coalesce(new.ic, ''), new.status, replace(new.severity, '-', ''));
END;
CREATE TRIGGER incidents_search_update AFTER UPDATE ON incidents
BEGIN
    INSERT INTO queue_search (queue_search, rowid, title, impact, asset, ic, status, severity)
    VALUES ('delete', ((old.queue_group << 59) | (old.severity_rank << 57) | ((4102444800 - CAST(strftime('%s', old.updated_at) AS INTEGER)) << 24) | (16777215 - old.id)), old.title, old.impact, old.asset, coalesce(old.ic, ''), old.status, replace(old.severity, '-', ''));
    INSERT INTO queue_search (rowid, title, impact, asset, ic, status, severity)
    VALUES (((new.queue_group << 59) | (new.severity_rank << 57) | ((4102444800 - CAST(strftime('%s', new.updated_at) AS INTEGER)) << 24) | (16777215 - new.id)), new.title, new.impact, new.asset, coalesce(new.ic, ''), new.status, replace(new.severity, '-', ''));
END;

-- Written in the same transaction as the timeline event it announces; the sync worker drains it.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    event_id INTEGER NOT NULL REFERENCES timeline (id),
    created_at TEXT NOT NULL
);
CREATE INDEX outbox_incident ON outbox (incident_id, id);
