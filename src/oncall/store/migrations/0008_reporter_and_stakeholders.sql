-- Who reported a suspected issue (a roster id, a Slack user id or an email address; '' when
-- nobody did), so the reporter can be acknowledged and told how it ended.
ALTER TABLE incidents ADD COLUMN reported_by TEXT NOT NULL DEFAULT '';
-- The incident's top-level post in the stakeholder channel: later stakeholder updates reply in
-- its thread. `stakeholder_creating` marks a post sent without an answer (look before posting again).
ALTER TABLE remote_incidents ADD COLUMN stakeholder_channel TEXT;
ALTER TABLE remote_incidents ADD COLUMN stakeholder_ts TEXT;
ALTER TABLE remote_incidents ADD COLUMN stakeholder_creating INTEGER NOT NULL DEFAULT 0;
-- The Message-ID of the incident's first stakeholder email: later ones reply to it, so mail
-- clients keep an incident's updates in one conversation.
ALTER TABLE remote_incidents ADD COLUMN email_thread TEXT NOT NULL DEFAULT '';

-- Email is a third system the outbox delivers to (stakeholder updates, a reporter's answer).
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt with its rows.
CREATE TABLE sync_delivery_new (
    outbox_id INTEGER NOT NULL REFERENCES outbox (id),
    target TEXT NOT NULL CHECK (target IN ('jira', 'slack', 'email')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed', 'discarded')),
    attempts INTEGER NOT NULL DEFAULT 0,
    -- 1 while a request may have been carried out without an answer: Jira and Slack look before
    -- sending again; an email is never sent again without a person's say (SMTP cannot be asked).
    uncertain INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (outbox_id, target)
) WITHOUT ROWID;
INSERT INTO sync_delivery_new SELECT outbox_id, target, state, attempts, uncertain, next_attempt_at, last_error,
    updated_at FROM sync_delivery;
DROP TABLE sync_delivery;
ALTER TABLE sync_delivery_new RENAME TO sync_delivery;
CREATE INDEX sync_delivery_open ON sync_delivery (target, state) WHERE state IN ('pending', 'failed');
