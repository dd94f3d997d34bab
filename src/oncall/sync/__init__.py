"""Sync: the outbox worker and one adapter per system (Jira, Slack).

Everything is written to SQLite first; this package drains the outbox to the remote systems
in order per incident, with its own retry policy (the client libraries' retries are off), and
stores the remote ids as they come back. Nothing here imports Textual.
"""
