"""Intake: what reaches oncall from outside before a person declares anything.

Alerts (a generic JSON alert, Prometheus Alertmanager and Grafana webhooks), dbt artifacts
(`run_results.json`, `sources.json`, `manifest.json`) and people's reports in Slack become
`Signal`s (`domain/intake.py`); `service/intake.py` turns them into triage items, one per key.
This package reads and checks the outside formats; it never writes to the database itself.
"""
