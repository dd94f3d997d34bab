-- Metrics at scale (`store/metrics.py`): what the figures count of each incident, kept current by
-- triggers as incidents, their timelines and post-mortems change, so a report reads narrow rows in
-- the order it needs them (GROUP BY and percentiles walk indexes; nothing is sorted or parsed per row).

-- One row per counted incident (declared, not a drill) and per way of grouping it: its month (the
-- UTC 'YYYY-MM' of detected_at), severity, source, asset and root-cause category ('(none)'), and one
-- of kind 'total' (key '') for the whole period's percentiles.
-- `code` packs what is counted of it (bits, as `store/metrics.py` names them): 1 recurring, 2 a
-- SEV-1/2 now resolved or closed (its post-mortem is due), 4 has a TTD, 8 has a TTR, 16 its
-- post-mortem is complete, 32 closed with an override; then the severity (0-2, << 6) and the
-- source (alert 0, dbt 1, user_report 2, other 3, << 8). So the counts of a key are one pass in the
-- table's order: `GROUP BY key, code, owed, on_time` with count(*).
-- owed/on_time: the stakeholder updates the cadence asked for, and those sent on time, of a
-- resolved or closed SEV-1/2; -1 until `service/metrics.py` has replayed its timeline (once: a new
-- status, severity or update event sets it back to -1); 0 for every other incident.
-- Times: seconds since 1970 (UTC); ttd, ttr NULL when missing.
CREATE TABLE incident_figures (
    kind TEXT NOT NULL CHECK (kind IN ('month', 'severity', 'source', 'asset', 'cause', 'total')),
    key TEXT NOT NULL,
    code INTEGER NOT NULL,
    owed INTEGER NOT NULL,
    on_time INTEGER NOT NULL,
    detected INTEGER NOT NULL,
    incident_id INTEGER NOT NULL,
    ttd INTEGER,
    ttr INTEGER,
    PRIMARY KEY (kind, key, code, owed, on_time, detected, incident_id)
) WITHOUT ROWID;
-- Nearest-rank percentiles: `ORDER BY ttd LIMIT 1 OFFSET rank - 1` walks one key's values in order.
CREATE INDEX incident_figures_ttd ON incident_figures (kind, key, ttd, detected) WHERE ttd IS NOT NULL;
CREATE INDEX incident_figures_ttr ON incident_figures (kind, key, ttr, detected) WHERE ttr IS NOT NULL;
-- One row per incident and kind (a copy of the table, as `oncall db rescue` makes, adds none).
CREATE UNIQUE INDEX incident_figures_incident ON incident_figures (incident_id, kind);
-- Months in a time zone other than UTC start a few hours off the UTC month: the rows in between.
CREATE INDEX incident_figures_month_detected ON incident_figures (detected) WHERE kind = 'month';
-- SEV-1/2 incidents whose updates have not been judged against the cadence yet.
CREATE INDEX incident_figures_unjudged ON incident_figures (incident_id) WHERE kind = 'month' AND owed < 0;

-- Who held which role on an incident, from when to when (held_to NULL: holds it still), from the
-- timeline's ic_assigned, role_assigned and role_removed events; with the incident's month, asset,
-- cause, declaration and last resolution copied beside it, so the hours are summed without a join.
CREATE TABLE role_spells (
    incident_id INTEGER NOT NULL,
    role TEXT NOT NULL,
    person TEXT NOT NULL,
    held_from INTEGER NOT NULL,
    held_to INTEGER,
    counted INTEGER NOT NULL,
    detected INTEGER NOT NULL,
    month TEXT NOT NULL,
    asset TEXT NOT NULL,
    cause TEXT NOT NULL,
    declared INTEGER,
    ended INTEGER,
    -- The seconds held while the incident was open, once they are settled (the role ended, or the
    -- incident was resolved); NULL while both still run: a report counts those up to now. Kept by
    -- the triggers below (not a generated column: SQLite 3.40 would then read no index alone).
    seconds INTEGER,
    PRIMARY KEY (incident_id, role, person, held_from)
) WITHOUT ROWID;
CREATE INDEX role_spells_month ON role_spells (month, person, role, seconds, held_from, declared, detected, counted) WHERE counted;
CREATE INDEX role_spells_asset ON role_spells (asset, person, role, seconds, held_from, declared, detected, counted) WHERE counted;
CREATE INDEX role_spells_cause ON role_spells (cause, person, role, seconds, held_from, declared, detected, counted) WHERE counted;
CREATE INDEX role_spells_detected ON role_spells (detected) WHERE counted;

-- Each action item with its incident's detection time and whether the incident is counted, so the
-- items of a period are one range of an index (closed = done or won't do; overdue: open, due before today).
CREATE TABLE action_item_figures (
    item_id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL,
    counted INTEGER NOT NULL,
    detected INTEGER NOT NULL,
    status TEXT NOT NULL,
    due TEXT
);
CREATE INDEX action_item_figures_detected ON action_item_figures (detected, status, due, counted) WHERE counted;
CREATE INDEX action_item_figures_incident ON action_item_figures (incident_id);

-- The incidents there are now.
INSERT INTO incident_figures
SELECT k.kind,
       CASE k.kind WHEN 'month' THEN substr(i.detected_at, 1, 7) WHEN 'severity' THEN i.severity
                   WHEN 'source' THEN i.source WHEN 'asset' THEN i.asset
                   WHEN 'cause' THEN CASE WHEN i.root_cause = '' THEN '(none)' ELSE i.root_cause END
                   ELSE '' END,
       (i.recurring_of IS NOT NULL) | ((i.severity IN ('SEV-1', 'SEV-2') AND i.status IN ('resolved', 'closed')) << 1)
           | ((unixepoch(i.declared_at) - unixepoch(i.started_at) IS NOT NULL) << 2)
           | ((unixepoch(i.resolved_at) - unixepoch(i.declared_at) IS NOT NULL) << 3)
           | (EXISTS (SELECT 1 FROM postmortems p WHERE p.incident_id = i.id AND p.status = 'complete') << 4)
           | (EXISTS (SELECT 1 FROM timeline t WHERE t.incident_id = i.id AND t.kind = 'close_override') << 5)
           | (CASE i.severity WHEN 'SEV-1' THEN 0 WHEN 'SEV-2' THEN 1 ELSE 2 END << 6)
           | (CASE i.source WHEN 'alert' THEN 0 WHEN 'dbt' THEN 1 WHEN 'user_report' THEN 2 ELSE 3 END << 8),
       -(i.severity IN ('SEV-1', 'SEV-2') AND i.status IN ('resolved', 'closed')),
       -(i.severity IN ('SEV-1', 'SEV-2') AND i.status IN ('resolved', 'closed')),
       unixepoch(i.detected_at), i.id,
       unixepoch(i.declared_at) - unixepoch(i.started_at),
       unixepoch(i.resolved_at) - unixepoch(i.declared_at)
FROM incidents i,
     (SELECT 'month' AS kind UNION ALL SELECT 'severity' UNION ALL SELECT 'source' UNION ALL SELECT 'asset'
          UNION ALL SELECT 'cause' UNION ALL SELECT 'total') k
WHERE i.is_drill = 0 AND i.declared_at IS NOT NULL;

-- Every role spell the timelines tell of: the IC's ends at the next ic_assigned; another role's at
-- its role_removed, or at the role_assigned that hands it on (`from`).
INSERT OR IGNORE INTO role_spells (incident_id, role, person, held_from, held_to, counted, detected, month, asset,
                                   cause, declared, ended)
SELECT s.incident_id, s.role, s.person, s.held_from, s.held_to,
       i.is_drill = 0 AND i.declared_at IS NOT NULL, unixepoch(i.detected_at), substr(i.detected_at, 1, 7),
           i.asset, CASE WHEN i.root_cause = '' THEN '(none)' ELSE i.root_cause END,
           unixepoch(i.declared_at), unixepoch(i.resolved_at)
FROM (
    SELECT t.incident_id, 'ic' AS role, json_extract(t.data, '$.ic') AS person, unixepoch(t.at) AS held_from,
           (SELECT unixepoch(u.at) FROM timeline u WHERE u.incident_id = t.incident_id AND u.id > t.id
            AND u.kind = 'ic_assigned' ORDER BY u.id LIMIT 1) AS held_to
    FROM timeline t WHERE t.kind = 'ic_assigned' AND json_valid(t.data) AND json_extract(t.data, '$.ic') IS NOT NULL
    UNION ALL
    SELECT t.incident_id, json_extract(t.data, '$.role'), json_extract(t.data, '$.person'), unixepoch(t.at),
           (SELECT unixepoch(u.at) FROM timeline u WHERE u.incident_id = t.incident_id AND u.id > t.id
            AND u.kind IN ('role_removed', 'role_assigned') AND json_valid(u.data)
            AND json_extract(u.data, '$.role') = json_extract(t.data, '$.role')
            AND ((u.kind = 'role_removed' AND json_extract(u.data, '$.person') = json_extract(t.data, '$.person'))
                 OR (u.kind = 'role_assigned' AND json_extract(u.data, '$.from') = json_extract(t.data, '$.person')))
            ORDER BY u.id LIMIT 1)
    FROM timeline t WHERE t.kind = 'role_assigned' AND json_valid(t.data) AND json_extract(t.data, '$.role') IS NOT NULL
        AND json_extract(t.data, '$.person') IS NOT NULL
) s JOIN incidents i ON i.id = s.incident_id
WHERE s.held_from IS NOT NULL;
INSERT OR IGNORE INTO action_item_figures
SELECT a.id, a.incident_id, i.is_drill = 0 AND i.declared_at IS NOT NULL, unixepoch(i.detected_at), a.status, a.due
FROM action_items a JOIN incidents i ON i.id = a.incident_id;

UPDATE role_spells SET seconds = max(0, min(coalesce(held_to, ended), coalesce(ended, held_to)) - max(held_from, coalesce(declared, held_from)))
WHERE held_to IS NOT NULL OR ended IS NOT NULL;

-- Kept current from here on.
CREATE TRIGGER incident_figures_insert AFTER INSERT ON incidents
WHEN new.is_drill = 0 AND new.declared_at IS NOT NULL
BEGIN
    INSERT OR REPLACE INTO incident_figures
    SELECT k.kind,
           CASE k.kind WHEN 'month' THEN substr(new.detected_at, 1, 7) WHEN 'severity' THEN new.severity
                       WHEN 'source' THEN new.source WHEN 'asset' THEN new.asset
                       WHEN 'cause' THEN CASE WHEN new.root_cause = '' THEN '(none)' ELSE new.root_cause END
                       ELSE '' END,
           (new.recurring_of IS NOT NULL) | ((new.severity IN ('SEV-1', 'SEV-2') AND new.status IN ('resolved', 'closed')) << 1)
               | ((unixepoch(new.declared_at) - unixepoch(new.started_at) IS NOT NULL) << 2)
               | ((unixepoch(new.resolved_at) - unixepoch(new.declared_at) IS NOT NULL) << 3)
               | (EXISTS (SELECT 1 FROM postmortems p WHERE p.incident_id = new.id AND p.status = 'complete') << 4)
               | (EXISTS (SELECT 1 FROM timeline t WHERE t.incident_id = new.id AND t.kind = 'close_override') << 5)
               | (CASE new.severity WHEN 'SEV-1' THEN 0 WHEN 'SEV-2' THEN 1 ELSE 2 END << 6)
               | (CASE new.source WHEN 'alert' THEN 0 WHEN 'dbt' THEN 1 WHEN 'user_report' THEN 2 ELSE 3 END << 8),
           -(new.severity IN ('SEV-1', 'SEV-2') AND new.status IN ('resolved', 'closed')),
           -(new.severity IN ('SEV-1', 'SEV-2') AND new.status IN ('resolved', 'closed')),
           unixepoch(new.detected_at), new.id,
           unixepoch(new.declared_at) - unixepoch(new.started_at),
           unixepoch(new.resolved_at) - unixepoch(new.declared_at)
    FROM (SELECT 'month' AS kind UNION ALL SELECT 'severity' UNION ALL SELECT 'source' UNION ALL SELECT 'asset'
          UNION ALL SELECT 'cause' UNION ALL SELECT 'total') k;
END;

-- Only when something the figures read changed: a note or a touch of updated_at costs nothing here.
CREATE TRIGGER incident_figures_update AFTER UPDATE ON incidents
WHEN old.severity IS NOT new.severity OR old.status IS NOT new.status OR old.source IS NOT new.source
    OR old.asset IS NOT new.asset OR old.root_cause IS NOT new.root_cause OR old.recurring_of IS NOT new.recurring_of
    OR old.is_drill IS NOT new.is_drill OR old.started_at IS NOT new.started_at
    OR old.detected_at IS NOT new.detected_at OR old.declared_at IS NOT new.declared_at
    OR old.resolved_at IS NOT new.resolved_at
BEGIN
    DELETE FROM incident_figures WHERE incident_id = old.id;
    INSERT OR REPLACE INTO incident_figures
    SELECT k.kind,
           CASE k.kind WHEN 'month' THEN substr(new.detected_at, 1, 7) WHEN 'severity' THEN new.severity
                       WHEN 'source' THEN new.source WHEN 'asset' THEN new.asset
                       WHEN 'cause' THEN CASE WHEN new.root_cause = '' THEN '(none)' ELSE new.root_cause END
                       ELSE '' END,
           (new.recurring_of IS NOT NULL) | ((new.severity IN ('SEV-1', 'SEV-2') AND new.status IN ('resolved', 'closed')) << 1)
               | ((unixepoch(new.declared_at) - unixepoch(new.started_at) IS NOT NULL) << 2)
               | ((unixepoch(new.resolved_at) - unixepoch(new.declared_at) IS NOT NULL) << 3)
               | (EXISTS (SELECT 1 FROM postmortems p WHERE p.incident_id = new.id AND p.status = 'complete') << 4)
               | (EXISTS (SELECT 1 FROM timeline t WHERE t.incident_id = new.id AND t.kind = 'close_override') << 5)
               | (CASE new.severity WHEN 'SEV-1' THEN 0 WHEN 'SEV-2' THEN 1 ELSE 2 END << 6)
               | (CASE new.source WHEN 'alert' THEN 0 WHEN 'dbt' THEN 1 WHEN 'user_report' THEN 2 ELSE 3 END << 8),
           -(new.severity IN ('SEV-1', 'SEV-2') AND new.status IN ('resolved', 'closed')),
           -(new.severity IN ('SEV-1', 'SEV-2') AND new.status IN ('resolved', 'closed')),
           unixepoch(new.detected_at), new.id,
           unixepoch(new.declared_at) - unixepoch(new.started_at),
           unixepoch(new.resolved_at) - unixepoch(new.declared_at)
    FROM (SELECT 'month' AS kind UNION ALL SELECT 'severity' UNION ALL SELECT 'source' UNION ALL SELECT 'asset'
          UNION ALL SELECT 'cause' UNION ALL SELECT 'total') k
    WHERE new.is_drill = 0 AND new.declared_at IS NOT NULL;
    UPDATE role_spells SET counted = new.is_drill = 0 AND new.declared_at IS NOT NULL,
        detected = unixepoch(new.detected_at), month = substr(new.detected_at, 1, 7), asset = new.asset,
        cause = CASE WHEN new.root_cause = '' THEN '(none)' ELSE new.root_cause END,
        declared = unixepoch(new.declared_at), ended = unixepoch(new.resolved_at)
    WHERE incident_id = new.id;
    UPDATE action_item_figures SET counted = new.is_drill = 0 AND new.declared_at IS NOT NULL,
        detected = unixepoch(new.detected_at)
    WHERE incident_id = new.id;
END;

CREATE TRIGGER incident_figures_delete AFTER DELETE ON incidents
BEGIN
    DELETE FROM incident_figures WHERE incident_id = old.id;
    DELETE FROM role_spells WHERE incident_id = old.id;
    DELETE FROM action_item_figures WHERE incident_id = old.id;
END;

CREATE TRIGGER action_item_figures_insert AFTER INSERT ON action_items
BEGIN
    INSERT OR REPLACE INTO action_item_figures
    SELECT new.id, new.incident_id, i.is_drill = 0 AND i.declared_at IS NOT NULL, unixepoch(i.detected_at),
           new.status, new.due
    FROM incidents i WHERE i.id = new.incident_id;
END;

CREATE TRIGGER action_item_figures_update AFTER UPDATE OF status, due ON action_items
BEGIN
    UPDATE action_item_figures SET status = new.status, due = new.due WHERE item_id = new.id;
END;

CREATE TRIGGER action_item_figures_delete AFTER DELETE ON action_items
BEGIN
    DELETE FROM action_item_figures WHERE item_id = old.id;
END;

-- A status, severity or update event changes how the updates stand against the cadence: judge again.
CREATE TRIGGER incident_figures_rejudge AFTER INSERT ON timeline
WHEN new.kind IN ('declared', 'status_changed', 'severity_changed', 'update_sent')
BEGIN
    UPDATE incident_figures SET owed = -1, on_time = -1
    WHERE incident_id = new.incident_id AND owed >= 0 AND code & 2;
END;

CREATE TRIGGER incident_figures_override AFTER INSERT ON timeline
WHEN new.kind = 'close_override'
BEGIN
    UPDATE incident_figures SET code = code | 32 WHERE incident_id = new.incident_id AND NOT code & 32;
END;

CREATE TRIGGER incident_figures_postmortem_insert AFTER INSERT ON postmortems
WHEN new.status = 'complete'
BEGIN
    UPDATE incident_figures SET code = code | 16 WHERE incident_id = new.incident_id;
END;

CREATE TRIGGER incident_figures_postmortem_update AFTER UPDATE OF status ON postmortems
BEGIN
    UPDATE incident_figures SET code = (code & ~16) | ((new.status = 'complete') << 4)
    WHERE incident_id = new.incident_id;
END;

-- A spell's seconds, once its end is known: when it is written, or its end or the incident's changes.
CREATE TRIGGER role_spells_settle_insert AFTER INSERT ON role_spells
WHEN new.held_to IS NOT NULL OR new.ended IS NOT NULL
BEGIN
    UPDATE role_spells SET seconds = max(0, min(coalesce(held_to, ended), coalesce(ended, held_to)) - max(held_from, coalesce(declared, held_from)))
    WHERE incident_id = new.incident_id AND role = new.role AND person = new.person AND held_from = new.held_from;
END;

CREATE TRIGGER role_spells_settle_update AFTER UPDATE OF held_to, declared, ended ON role_spells
BEGIN
    UPDATE role_spells SET seconds = CASE WHEN held_to IS NOT NULL OR ended IS NOT NULL THEN
        max(0, min(coalesce(held_to, ended), coalesce(ended, held_to)) - max(held_from, coalesce(declared, held_from))) END
    WHERE incident_id = new.incident_id AND role = new.role AND person = new.person AND held_from = new.held_from;
END;

CREATE TRIGGER role_spells_ic AFTER INSERT ON timeline
WHEN new.kind = 'ic_assigned' AND json_valid(new.data) AND json_extract(new.data, '$.ic') IS NOT NULL
BEGIN
    UPDATE role_spells SET held_to = unixepoch(new.at)
    WHERE incident_id = new.incident_id AND role = 'ic' AND held_to IS NULL;
    INSERT OR REPLACE INTO role_spells (incident_id, role, person, held_from, held_to, counted, detected, month, asset,
                                        cause, declared, ended)
    SELECT new.incident_id, 'ic', json_extract(new.data, '$.ic'), unixepoch(new.at), NULL,
           i.is_drill = 0 AND i.declared_at IS NOT NULL, unixepoch(i.detected_at), substr(i.detected_at, 1, 7),
           i.asset, CASE WHEN i.root_cause = '' THEN '(none)' ELSE i.root_cause END,
           unixepoch(i.declared_at), unixepoch(i.resolved_at)
    FROM incidents i WHERE i.id = new.incident_id AND unixepoch(new.at) IS NOT NULL;
END;

CREATE TRIGGER role_spells_assigned AFTER INSERT ON timeline
WHEN new.kind = 'role_assigned' AND json_valid(new.data) AND json_extract(new.data, '$.role') IS NOT NULL
    AND json_extract(new.data, '$.person') IS NOT NULL
BEGIN
    UPDATE role_spells SET held_to = unixepoch(new.at)
    WHERE incident_id = new.incident_id AND role = json_extract(new.data, '$.role')
        AND person = json_extract(new.data, '$.from') AND held_to IS NULL;
    INSERT OR REPLACE INTO role_spells (incident_id, role, person, held_from, held_to, counted, detected, month, asset,
                                        cause, declared, ended)
    SELECT new.incident_id, json_extract(new.data, '$.role'), json_extract(new.data, '$.person'), unixepoch(new.at),
           NULL, i.is_drill = 0 AND i.declared_at IS NOT NULL, unixepoch(i.detected_at), substr(i.detected_at, 1, 7),
           i.asset, CASE WHEN i.root_cause = '' THEN '(none)' ELSE i.root_cause END,
           unixepoch(i.declared_at), unixepoch(i.resolved_at)
    FROM incidents i WHERE i.id = new.incident_id AND unixepoch(new.at) IS NOT NULL;
END;

CREATE TRIGGER role_spells_removed AFTER INSERT ON timeline
WHEN new.kind = 'role_removed' AND json_valid(new.data)
BEGIN
    UPDATE role_spells SET held_to = unixepoch(new.at)
    WHERE incident_id = new.incident_id AND role = json_extract(new.data, '$.role')
        AND person = json_extract(new.data, '$.person') AND held_to IS NULL;
END;
