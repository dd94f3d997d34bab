"""`oncall doctor`: the sync configuration checked against the live services.

Each check says what it looked at and, when something is wrong, how to fix it. Checks after a
failed prerequisite (no token, bad credentials) are skipped rather than piled on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TypeVar

from oncall.store.outbox import configured_targets
from oncall.sync.deliver import THREAD_SCAN_DAYS
from oncall.sync.errors import SyncError
from oncall.sync.jira_adapter import JiraAdapter
from oncall.sync.retry import RateGate, SystemTimer, Timer
from oncall.sync.slack_adapter import SlackAdapter
from oncall.workspace.config import Config
from oncall.workspace.secrets import MissingSecret, jira_token, slack_token

T = TypeVar("T")
MAX_STATUSES_READ = 8


@dataclass(frozen=True)
class Check:
    level: str  # "ok", "warn" or "fail"
    what: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.level.upper():<4}  {self.what}" + (f": {self.detail}" if self.detail else "")


def run_doctor(config: Config, timer: Timer | None = None, used_transitions: frozenset[str] = frozenset(),
               link_refusal: str = "") -> list[Check]:
    """`used_transitions`: Jira transitions this machine's sync has already carried out;
    `link_refusal`: why Jira last refused a link to a Slack thread ('' if it did not)."""
    timer = timer or SystemTimer()
    if not configured_targets(config):
        return [Check("ok", "sync", "offline: no [jira], [slack] or [email] in oncall.toml, so nothing leaves this "
                                    "machine")]
    checks: list[Check] = []
    if config.jira is not None:
        checks += _jira(config, timer, used_transitions, link_refusal)
    if config.slack is not None:
        checks += _slack(config, timer)
    if config.email is not None:
        checks += _email(config)
    return checks


def _email(config: Config) -> list[Check]:
    """The mail relay: reachable, STARTTLS, the login; and who gets stakeholder updates."""
    from oncall.sync.email_adapter import EmailAdapter
    from oncall.workspace.secrets import smtp_password

    email = config.email
    assert email is not None
    checks: list[Check] = []
    adapter = EmailAdapter(email, smtp_password())
    _attempt(checks, "Email", adapter.check)
    lists = {severity: len(addresses) for severity, addresses in email.stakeholders.items() if addresses}
    if lists:
        checks.append(Check("ok", "Email stakeholder lists",
                            ", ".join(f"{severity}: {count} address{'es' if count > 1 else ''}"
                                      for severity, count in sorted(lists.items()))))
    else:
        checks.append(Check("warn", "Email stakeholder lists", "no [email.stakeholders] lists: stakeholder updates "
                            "are emailed to nobody (a reporter who reported by email still gets their answer)"))
    return checks


def _adapter(checks: list[Check], service: str, build: Callable[[], T]) -> T | None:
    try:
        return build()
    except MissingSecret as error:
        checks.append(Check("fail", f"{service} token", str(error)))
        return None


def _attempt(checks: list[Check], what: str, action: Callable[[], str]) -> bool:
    try:
        checks.append(Check("ok", what, action()))
        return True
    except SyncError as error:
        checks.append(Check("fail", what, error.message))
        return False


def _jira(config: Config, timer: Timer, used_transitions: frozenset[str], link_refusal: str) -> list[Check]:
    jira = config.jira
    assert jira is not None
    checks: list[Check] = []
    adapter = _adapter(checks, "Jira", lambda: JiraAdapter(jira, jira_token(), RateGate(timer)))
    if adapter is None:
        return checks

    def credentials() -> str:
        me = adapter.call(lambda: adapter.client.myself(), "checking the credentials")
        kind = adapter.client.deploymentType or "Server"
        if (kind == "Cloud") != (jira.deployment == "cloud"):
            raise SyncError(f"the server is Jira {kind} but [jira] deployment = \"{jira.deployment}\"; "
                            f"set it to \"{'cloud' if kind == 'Cloud' else 'server'}\"")
        return f"signed in as {me.get('displayName') or me.get('emailAddress') or me.get('name')} on Jira {kind}"

    if not _attempt(checks, f"Jira at {jira.server}", credentials):
        return checks

    def project() -> str:
        chosen = adapter.issue_type()
        note = f"; {adapter.notices[-1]}" if adapter.notices else ""
        return f"project {jira.project} takes issues of type {chosen!r}{note}"

    _attempt(checks, "Jira project and issue type", project)

    def priorities() -> str:
        names = {p.name for p in adapter.call(lambda: adapter.client.priorities(), "reading priorities")}
        missing = sorted({v for v in jira.priorities.values() if v not in names})
        if missing:
            raise SyncError(f"no priority named {', '.join(missing)}; set [jira.priorities] to names from: "
                            f"{', '.join(sorted(names))}")
        return ", ".join(f"{sev} → {name}" for sev, name in sorted(jira.priorities.items()))

    _attempt(checks, "Jira priorities", priorities)
    checks.append(_transitions(adapter, used_transitions))
    if config.slack is not None:
        checks.append(_thread_links(adapter, link_refusal))
    return checks


def _thread_links(adapter: JiraAdapter, refusal: str) -> Check:
    """Issues link to their Slack thread; without the permission the sync goes on, and teammates'
    laptops find threads by scanning the channel instead."""
    what = "Jira links to Slack threads"
    project = adapter.config.project
    try:
        allowed = adapter.may_link_issues()
    except SyncError as error:
        return Check("warn", what, error.message)
    if not allowed:
        return Check("warn", what, f"the account lacks the Link Issues permission in project {project}, so issues "
                     "do not link to their Slack thread and teammates' laptops find it by scanning the channel "
                     f"(up to {THREAD_SCAN_DAYS} days back); grant it in the project's permission scheme")
    if refusal:
        return Check("warn", what, f"the permission is there now, but the last try was refused: {refusal}")
    return Check("ok", what, "each issue links to its incident's Slack thread")


def _transitions(adapter: JiraAdapter, used: frozenset[str]) -> Check:
    """A transition is offered only from some statuses, so read what is offered from one recent
    issue in each status the project's issues are in; one the sync already made also counts."""
    wanted = adapter.config.transitions
    if not wanted:
        return Check("warn", "Jira transitions",
                     "no [jira.transitions]: status changes become comments only; map statuses to transition names")
    try:
        issues = adapter.search(f'project = "{adapter.config.project}" ORDER BY updated DESC', limit=50)
        if not issues:
            return Check("warn", "Jira transitions", "no issue yet to read the workflow from; "
                         "run `oncall doctor` again after the first sync")
        one_per_status = {issue.status: issue for issue in reversed(issues)}
        names: set[str] = set()
        for issue in list(one_per_status.values())[:MAX_STATUSES_READ]:
            available = adapter.call(lambda: adapter.client.transitions(issue.key), "reading transitions")
            names |= {t.get("name", "") for t in available} | {str(t.get("id")) for t in available}
    except SyncError as error:
        return Check("fail", "Jira transitions", error.message)
    unknown = sorted({name for name in wanted.values() if name not in names | used})
    if unknown:
        return Check("warn", "Jira transitions", f"not offered from any status of recent issues "
                     f"({', '.join(sorted(one_per_status))}): {', '.join(unknown)} "
                     f"(offered: {', '.join(sorted(n for n in names if not n.isdigit()))})")
    return Check("ok", "Jira transitions", ", ".join(f"{status} → {name}" for status, name in sorted(wanted.items())))


def _slack(config: Config, timer: Timer) -> list[Check]:
    slack = config.slack
    assert slack is not None
    checks: list[Check] = []
    adapter = _adapter(checks, "Slack", lambda: SlackAdapter(slack, slack_token(), RateGate(timer)))
    if adapter is None:
        return checks

    def credentials() -> str:
        answer = adapter.call(lambda: adapter.client.auth_test(), "checking the token")
        return f"signed in as {answer.get('user')} in {answer.get('team')}"

    if not _attempt(checks, f"Slack at {slack.api_url}", credentials):
        return checks

    def channel() -> str:
        channel_id = adapter.channel_id()
        info = adapter.call(lambda: adapter.client.conversations_info(channel=channel_id), "reading the channel")
        details = info.get("channel") or {}
        if not details.get("is_member"):
            raise SyncError(f"the bot is not a member of #{details.get('name', slack.channel_name)}: "
                            "invite it with /invite @your-bot")
        return f"#{details.get('name')} ({channel_id}); the bot is a member"

    _attempt(checks, "Slack channel", channel)
    return checks
