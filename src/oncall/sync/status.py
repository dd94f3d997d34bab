"""The sync state in one line, for the console footer and `oncall sync`: offline, all synced,
N pending, or failing (why).

`summarize` is pure; `read_snapshot` does the (quick) database reads and belongs in a worker.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from oncall.store.db import Database
from oncall.store.outbox import TARGETS, OutboxStore
from oncall.store.remote_ids import RemoteIds
from oncall.sync import assignee
from oncall.workspace.config import Config
from oncall.workspace.secrets import JIRA_TOKEN_ENV, SLACK_TOKEN_ENV

SyncState = Literal["offline", "synced", "pending", "failing"]
_NAMES = {"jira": "Jira", "slack": "Slack", "email": "Email"}
_TOKENS = {"jira": JIRA_TOKEN_ENV, "slack": SLACK_TOKEN_ENV}


@dataclass(frozen=True)
class TargetSnapshot:
    target: str  # "jira" or "slack"
    pending: int = 0
    failed: int = 0
    problem: str = ""  # the whole system is stopped, and why (credentials, project, channel)
    last_error: str = ""  # the reason of the oldest failure, or of the latest retry
    notice: str = ""  # what a person should know that stops nothing (issues not imported, an assignee refused)


@dataclass(frozen=True)
class SyncSnapshot:
    targets: tuple[TargetSnapshot, ...] = ()  # empty: neither [jira] nor [slack] is configured


@dataclass(frozen=True)
class SyncSummary:
    state: SyncState
    text: str  # one short line for the footer
    detail: str = ""  # the reason, in full, for a tooltip or the sync screen's header


def summarize(snapshot: SyncSnapshot) -> SyncSummary:
    summary = _summarize(snapshot)
    notices = "; ".join(t.notice for t in snapshot.targets if t.notice)
    if not notices:
        return summary
    return SyncSummary(summary.state, f"{summary.text} · {notices}",
                       "; ".join(part for part in (summary.detail, notices) if part))


def _summarize(snapshot: SyncSnapshot) -> SyncSummary:
    if not snapshot.targets:
        return SyncSummary("offline", "offline", "no [jira] or [slack] in oncall.toml: everything stays local")
    pending = sum(t.pending for t in snapshot.targets)
    failing = [t for t in snapshot.targets if t.problem or t.failed]
    if failing:
        first = failing[0]
        why = first.problem or first.last_error or f"{first.failed} failed"
        text = f"failing: {_NAMES[first.target]} — {why}"
        count = sum(t.failed for t in snapshot.targets)
        extra = ", ".join(part for part in (f"{count} failed" if count else "", f"{pending} pending" if pending else "") if part)
        detail = "; ".join(f"{_NAMES[t.target]}: {t.problem or t.last_error}" for t in failing)
        return SyncSummary("failing", f"{text} ({extra})" if extra else text, detail)
    if pending:
        retrying = next((t.last_error for t in snapshot.targets if t.last_error), "")
        text = f"{pending} pending"
        return SyncSummary("pending", text + (f" (retrying: {retrying})" if retrying else ""), retrying)
    return SyncSummary("synced", "all synced")


def read_snapshot(database: Database, config: Config) -> SyncSnapshot:
    """What the footer needs, read from the database. Cheap: scans start past settled entries."""
    store = OutboxStore(database)
    ids = RemoteIds(database)
    targets = []
    for target in TARGETS:
        if getattr(config, target) is None:
            continue
        counts = store.counts(target)
        problem = ids.state(f"health:{target}") or ""
        if target in _TOKENS and not os.environ.get(_TOKENS[target], "").strip():
            problem = f"set the environment variable {_TOKENS[target]}"
        notices = []
        if target == "jira" and (skipped := ids.pull_skipped()):
            first, why = next(iter(skipped.items()))
            notices.append(f"{len(skipped)} Jira issue{'s' if len(skipped) > 1 else ''} not imported ({first}: {why})")
        if target == "jira" and (refused := assignee.notice(database)):
            notices.append(refused)
        if target == "jira" and (unlinked := ids.state("jira_action_links_refused")):
            notices.append(f"action items are not linked to their incident's issue: {unlinked}")
        if target == "slack" and (reports := ids.state("slack_reports_problem")):
            notices.append(f"reports in the channel are not read: {reports}")
        if target == "slack" and (pinned := ids.state("slack_known_issues_problem")):
            notices.append(f"the pinned known-issues list is not kept current: {pinned}")
        notice = "; ".join(notices)
        targets.append(TargetSnapshot(target, counts.pending, counts.failed, problem, store.first_error(target),
                                      notice))
    return SyncSnapshot(tuple(targets))


def sync_status(database: Database, config: Config) -> SyncSummary:
    """`summarize(read_snapshot(...))`: the one call the console footer makes (in a worker)."""
    return summarize(read_snapshot(database, config))
