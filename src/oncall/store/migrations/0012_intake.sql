-- Intake: the key each alert, dbt node or Slack message is known by, and the triage item it made.
-- A key has one row per item: when an item is finished and its check recovered, the next firing
-- opens a new item under the same key (`service/intake.py`).
CREATE TABLE intake_items (
    key TEXT NOT NULL,  -- origin:key — alertmanager:3f2a…, dbt:test.cac_pilot.…, slack:C0123:1700000000.000100
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    origin TEXT NOT NULL,
    firing INTEGER NOT NULL,  -- the last state heard: 1 firing (failing, stale), 0 resolved (passing)
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,  -- when oncall last heard of it
    last_observed TEXT,  -- the outside system's own time for that state (a dbt run, an alert's end)
    repeats INTEGER NOT NULL DEFAULT 0,  -- deliveries after the first, while in the same state
    repeat_noted TEXT,  -- when repeats were last written on the timeline (at most one line per quarter hour)
    link TEXT NOT NULL DEFAULT '',  -- where to look: the alert's source, the Slack message
    slack_channel TEXT NOT NULL DEFAULT '',  -- a report made in Slack: its message, whose thread answers the reporter
    slack_ts TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (key, incident_id)
) WITHOUT ROWID;
CREATE INDEX intake_items_incident ON intake_items (incident_id);

-- The lineage a dbt manifest gave (`oncall ingest dbt`), replaced whole by each ingest. `asset_id`
-- is the workspace asset the node is (an [[assets]] entry of oncall.toml, which wins, or its own).
CREATE TABLE lineage_nodes (
    unique_id TEXT PRIMARY KEY,
    asset_id TEXT NOT NULL,
    node TEXT NOT NULL  -- the LineageNode as JSON
) WITHOUT ROWID;
