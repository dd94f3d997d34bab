-- Sync bookkeeping: what each outbox row's delivery to each system came to, the remote ids
-- (Jira key and comment ids, Slack channel and ts) stored as they come back, and small state.

-- One row per (outbox row, target) once the worker has touched it; no row means "pending, never tried".
CREATE TABLE sync_delivery (
    outbox_id INTEGER NOT NULL REFERENCES outbox (id),
    target TEXT NOT NULL CHECK (target IN ('jira', 'slack')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed', 'discarded')),
    attempts INTEGER NOT NULL DEFAULT 0,
    -- 1 while a request that creates something may have reached the server without an answer:
    -- the next attempt looks for what it may have created before creating again.
    uncertain INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,  -- epoch seconds; not before then
    last_error TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (outbox_id, target)
) WITHOUT ROWID;
CREATE INDEX sync_delivery_open ON sync_delivery (target, state) WHERE state IN ('pending', 'failed');

-- Per target, every outbox id below `settled_below` is done or discarded: scans start there.
CREATE TABLE sync_cursor (
    target TEXT PRIMARY KEY,
    settled_below INTEGER NOT NULL
) WITHOUT ROWID;

-- The remote side of an incident. `label` is unique to the incident across every laptop of a team
-- (oncall-<origin>-inc-<id>); a `*_creating` flag is set before a create is sent and cleared when
-- its answer is recorded, so a crash in between leads to a look-up, never a second issue or message.
CREATE TABLE remote_incidents (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents (id),
    label TEXT NOT NULL UNIQUE,
    jira_key TEXT UNIQUE,
    jira_creating INTEGER NOT NULL DEFAULT 0,
    jira_updated TEXT NOT NULL DEFAULT '',
    slack_channel TEXT,
    slack_ts TEXT,
    slack_creating INTEGER NOT NULL DEFAULT 0,
    slack_text TEXT NOT NULL DEFAULT ''  -- the parent message as last posted, to know when it is stale
);

-- What one timeline event became remotely, one row per step (comment, transition, reply, ...).
CREATE TABLE remote_events (
    event_id INTEGER NOT NULL REFERENCES timeline (id),
    target TEXT NOT NULL,
    step TEXT NOT NULL,
    remote_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (event_id, target, step)
) WITHOUT ROWID;

-- Small named values: this database's origin id (part of every label), the last Jira pull,
-- and each target's health as the last pass saw it.
CREATE TABLE sync_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO sync_state (key, value) VALUES ('origin', lower(hex(randomblob(4))));
