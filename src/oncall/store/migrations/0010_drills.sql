-- Fire drills: one run of a scenario at a time per workspace (every console on the database plays
-- the same one), its speed and pauses, the drill incident it made, and its scorecard once ended.
CREATE TABLE drill_runs (
    id INTEGER PRIMARY KEY,
    scenario TEXT NOT NULL,  -- the scenario's file name without .yaml
    title TEXT NOT NULL,
    speed REAL NOT NULL,
    started_at TEXT NOT NULL,
    started_by TEXT NOT NULL,
    pauses TEXT NOT NULL DEFAULT '[]',  -- JSON [[from, to], …] in wall time; the last `to` is null while paused
    incident_id INTEGER REFERENCES incidents (id),
    ended_at TEXT,
    ended_by TEXT NOT NULL DEFAULT '',
    ended_early INTEGER NOT NULL DEFAULT 0,
    scorecard TEXT  -- JSON, once ended
);
CREATE UNIQUE INDEX drill_runs_one_running ON drill_runs ((ended_at IS NULL)) WHERE ended_at IS NULL;

-- Each inject of a run, once: delivered (with the timeline event that shows it) or skipped.
-- The primary key is what makes two consoles ticking the same run deliver it once.
CREATE TABLE drill_injects (
    run_id INTEGER NOT NULL REFERENCES drill_runs (id),
    inject INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('delivered', 'skipped')),
    at TEXT NOT NULL,
    event_id INTEGER,
    PRIMARY KEY (run_id, inject)
) WITHOUT ROWID;
