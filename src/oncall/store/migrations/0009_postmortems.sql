-- Post-mortems: one per incident, its status with who moved it and when.
CREATE TABLE postmortems (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents (id),
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'in-review', 'complete')),
    status_by TEXT NOT NULL,
    status_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Each section's text as last saved. `revision` goes up by one with every save: a save made from
-- an older revision than the current one is a conflict (someone else saved meanwhile).
CREATE TABLE postmortem_sections (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    section TEXT NOT NULL,
    text TEXT NOT NULL,
    revision INTEGER NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (incident_id, section)
) WITHOUT ROWID;

-- Every text ever saved, and every text that lost a race (`kept = 'conflict'`): nothing typed is
-- lost, whoever saved last. The editor's saves as a person types are `autosave`: one person's
-- within five minutes of their last are one entry (a sitting), not one per pause in typing.
CREATE TABLE postmortem_revisions (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    section TEXT NOT NULL,
    revision INTEGER NOT NULL,
    text TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    kept TEXT NOT NULL DEFAULT 'saved' CHECK (kept IN ('saved', 'autosave', 'conflict'))
);
CREATE INDEX postmortem_revisions_section ON postmortem_revisions (incident_id, section, id);

-- Action items: what the post-mortem says must change, with an owner and a due date, tracked to
-- done (or won't do, with a reason). `jira_key` once the item's Jira issue exists.
CREATE TABLE action_items (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    title TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    due TEXT,
    priority TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('high', 'medium', 'low')),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'wont-do')),
    reason TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    jira_key TEXT UNIQUE,
    jira_creating INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX action_items_incident ON action_items (incident_id);
CREATE INDEX action_items_open_due ON action_items (due) WHERE status = 'open';

-- The root-cause category a resolved incident was given (a failure tag, as runbooks use), and
-- the earlier incident it repeats (same asset, same category, within 90 days).
ALTER TABLE incidents ADD COLUMN root_cause TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN recurring_of INTEGER;
