-- The Jira issue's remote link to the incident's Slack thread: '' until it is added, then the
-- Slack `ts` it points at, or 'not linked: why' when it never will be from this laptop (the issue
-- or message is gone, Jira refuses that issue, a teammate's link points at another channel).
-- The laptop that knows both ends adds the link; a teammate's laptop reads it to reuse the
-- thread, however long before the issue it was posted.
ALTER TABLE remote_incidents ADD COLUMN jira_thread_link TEXT NOT NULL DEFAULT '';
-- What the linker looks for after every pass, without reading every synced incident.
CREATE INDEX remote_incidents_unlinked ON remote_incidents (incident_id)
    WHERE jira_key IS NOT NULL AND slack_ts IS NOT NULL AND jira_thread_link = '';
