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
# jira_account = "5b10ac8d82e05b22cc7d4ef5"  # Jira Cloud accountId (on Jira Server: the username)
# team = "Data Engineering"
# roles = ["ic", "sme"]

# ---- Who is on call: a round-robin rotation. The IC defaults to this person ----
# ---- `oncall who` says who is on call, who backs them up, and who is next     ----
# [rotation]
# start = 2026-01-05T09:00:00Z    # when the first shift began (a date alone: that day at `handover`)
# shift_days = 7
# people = ["ana"]
# timezone = "Europe/Berlin"      # IANA name; times without an offset are read here (default UTC)
# handover = "09:00"              # shifts change at this local time, through daylight-saving changes
#                                 # (default: the time of day of `start`)
# handover_day = "monday"         # weekly shifts begin on this weekday (shift_days: 7, 14, ...)
# secondary = "ben"               # who backs up the primary (default: the next person in `people`)
#
# Swaps and holidays: `person` holds the pager from `from` until `to` (both in `timezone` unless
# they carry an offset). A date alone means the whole day: from = to = 2026-12-24 is Christmas Eve.
# Where two overlap, the one listed later wins. `person` must be on the roster.
# [[rotation.overrides]]
# from = 2026-12-21T09:00:00
# to = 2026-12-28T09:00:00
# person = "ben"
# reason = "Ana on holiday; swapped with Ben"

# ---- Data assets and lineage. kind: dashboard, table, pipeline, source, model ----
# ---- criticality: critical, high, medium. upstream: ids this asset reads from  ----
# [[assets]]
# id = "orders-table"
# name = "orders (warehouse table)"
# kind = "table"
# owner = "ana"
# criticality = "high"
# upstream = []
# table = "analytics.orders"      # its name in the warehouse, if not the id with - as _ (orders_table)

# ---- Data sources for runbook evidence: SQLite and DuckDB files, opened read-only ----
# ---- A runbook's ```evidence block names one with `source:` (runbooks/README.md)   ----
# ---- Reach a warehouse (Snowflake, BigQuery, …) with its own CLI, as a command     ----
# [[sources]]
# name = "warehouse"
# kind = "duckdb"                 # or "sqlite"
# path = "data/warehouse.duckdb"  # relative to this folder
# description = "Nightly extract of the analytics schema"

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
