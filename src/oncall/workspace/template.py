"""The commented oncall.toml that `oncall init` writes."""

WORKSPACE_TEMPLATE = """\
# oncall workspace configuration. Keep this folder in git; review changes like code.
# Never put secrets here: tokens come from ONCALL_JIRA_TOKEN and ONCALL_SLACK_TOKEN.

[workspace]
name = "My data team"
# Where the local database lives, relative to this folder. Unset: the user's data directory.
# database = "state/oncall.db"
# The console and `oncall sync --watch` back the database up once a day into backups/ beside it,
# keeping the newest this many (0: no automatic backups). See `oncall backups`.
# backups = 7

# ---- The roster: everyone who can take a role. Roles: ic, sme, lead, pm ----
# [[people]]
# id = "ana"                      # lowercase, used on the command line
# name = "Ana Lopez"
# email = "ana@example.com"
# slack_id = "U01234567"          # lets oncall mention them in Slack
# team = "Data Engineering"
# roles = ["ic", "sme"]

# ---- Who is on call: a round-robin rotation. The IC defaults to this person ----
# [rotation]
# start = 2026-01-05T09:00:00Z    # when the first shift began
# shift_days = 7
# people = ["ana"]

# ---- Data assets and lineage. kind: dashboard, table, pipeline, source, model ----
# ---- criticality: critical, high, medium. upstream: ids this asset reads from  ----
# [[assets]]
# id = "orders-table"
# name = "orders (warehouse table)"
# kind = "table"
# owner = "ana"
# criticality = "high"
# upstream = []

# ---- Sync (optional; without these the console works fully offline) ----
# [jira]
# server = "https://your-team.atlassian.net"
# project = "DATA"
# email = "bot@example.com"       # the token comes from ONCALL_JIRA_TOKEN
# issue_type = "Incident"         # falls back to fallback_issue_type ("Task") if missing
# deployment = "cloud"            # or "server"
# [jira.transitions]              # our status = the workflow transition to run (name or id)
# investigating = "Start Progress"
# resolved = "Resolve"
# [jira.priorities]               # defaults: SEV-1 Highest, SEV-2 High, SEV-3 Medium

# [slack]
# channel = "#data-incidents"     # the token comes from ONCALL_SLACK_TOKEN
# broadcast_severities = ["SEV-1"]
"""
