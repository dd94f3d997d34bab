"""A workspace: a folder with `oncall.toml` (roster, rotation, assets, Jira and Slack settings),
runbooks, templates and drill scenarios, kept in git by the team. Never secrets."""
