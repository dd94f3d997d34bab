"""`oncall sync` and `oncall doctor`: drain the outbox to Jira and Slack, check the configuration."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Filled in by the sync work (issue: Sync to Jira and Slack)."""
