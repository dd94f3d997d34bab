"""Jira through the `jira` client library: one issue per incident, comments, transitions, search.

The client is built with `max_retries=0` and a short timeout, so this application's retry policy
(`retry.py`) owns every retry. Each call goes through the service's `RateGate`; a 429 waits out
`Retry-After` and is sent again (nothing was done), anything else becomes a `SyncError` with a
message that names the fix and never carries the token.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import requests
import requests.utils
from jira import JIRA, JIRAError

from oncall.sync.errors import Permanent, Transient
from oncall.sync.retry import MAX_REFUSALS_PER_CALL, RateGate, call_through_gate, parse_retry_after
from oncall.workspace.secrets import JIRA_TOKEN_ENV, Secret, redact
from oncall.workspace.sync_config import JiraConfig

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class JiraIssue:
    """What the pull reads from an issue."""

    key: str
    summary: str
    status: str
    labels: tuple[str, ...]
    priority: str
    updated: str
    description: str
    created: str = ""
    status_category: str = ""  # the status's category key: new, indeterminate or done
    assignee: str = ""  # the assignee's accountId (Cloud) or username (Server); '' when unassigned


class _LinkTypeWarning(logging.Filter):
    """`JIRA.create_issue_link` compares the link type's name with the type objects it read, so it
    warns on every call that the type is missing, even when it is there. Jira's answer says when a
    type is really missing (`JiraAdapter.link_issues`); the warning only misleads."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Specified issue link type is not present" not in record.getMessage()


class JiraAdapter:
    def __init__(self, config: JiraConfig, token: Secret, gate: RateGate) -> None:
        self.config = config
        self.token = token
        self.gate = gate
        self._client: JIRA | None = None
        self._lock = threading.Lock()
        self._issue_type: str | None = None
        self._action_issue_type: str | None = None
        self.notices: list[str] = []  # things a person should know that did not stop the sync

    # -- the client --------------------------------------------------------------------------

    @property
    def client(self) -> JIRA:
        with self._lock:
            if self._client is None:
                self._client = self.call(self._connect)
            return self._client

    def _connect(self) -> JIRA:
        auth: dict[str, Any]
        if self.config.email:
            auth = {"basic_auth": (self.config.email, self.token.reveal())}
        else:
            auth = {"token_auth": self.token.reveal()}
        client = JIRA(
            self.config.server,
            max_retries=0,
            timeout=self.config.timeout,
            options={"check_update": False},
            proxies=requests.utils.get_environ_proxies(self.config.server),  # honours NO_PROXY
            **auth,
        )
        # The environment was read once above; requests would otherwise re-read every variable
        # (proxies, CA bundle) on every request, which costs more CPU than the request itself.
        client._session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        client._session.trust_env = False
        # Remote links here point at web pages (the Slack thread), never at another Jira, so the
        # list of application links (readable by admins only) that `add_remote_link` asks for
        # first is not needed: skip that request and its warning.
        client.applicationlinks = lambda cached=True: []  # type: ignore[method-assign]
        if not any(isinstance(f, _LinkTypeWarning) for f in logging.getLogger("jira").filters):
            logging.getLogger("jira").addFilter(_LinkTypeWarning())
        if self.config.deployment == "server" and client.deploymentType == "Cloud":
            self.notices.append("[jira] deployment is \"server\" but the server says it is Jira Cloud")
        return client

    def call(self, action: Callable[[], T], what: str = "", tries: int = MAX_REFUSALS_PER_CALL) -> T:
        """Run one request through the gate, translating failures into `SyncError`s."""
        return call_through_gate(self.gate, action, _refused_for, lambda error: self._translate(error, what), "Jira",
                                 tries)

    def _translate(self, error: Exception, what: str) -> Exception | None:
        where = _during(what)
        if isinstance(error, requests.Timeout):
            return Transient(f"Jira did not answer within {self.config.timeout:g} s{where}", uncertain=True)
        if isinstance(error, requests.RequestException):
            return Transient(f"cannot reach Jira at {self.config.server}{where}: {type(error).__name__}",
                             uncertain=True)
        if not isinstance(error, JIRAError):
            return None
        status = error.status_code or 0
        detail = redact(str(error.text or "").strip(), self.token)[:300]
        if status in (401, 403):
            return Permanent(
                f"Jira refused the credentials (HTTP {status}){where}: check [jira] email in oncall.toml and "
                f"{JIRA_TOKEN_ENV}" + (f" ({detail})" if detail else ""),
                whole_target=True,
            )
        if status >= 500 or status == 0:
            return Transient(f"Jira answered HTTP {status or 'nothing'}{where}" + (f": {detail}" if detail else ""),
                             uncertain=True, retry_after=_maybe_retry_after(error))
        return Permanent(f"Jira answered HTTP {status}{where}" + (f": {detail}" if detail else ""))

    # -- the project ------------------------------------------------------------------------

    def issue_type(self) -> str:
        """The configured issue type, or the fallback (said so once) if the project lacks it."""
        if self._issue_type is None:
            try:
                project = self.call(lambda: self.client.project(self.config.project), "reading the project")
            except Permanent as error:
                if "HTTP 404" in error.message:
                    raise Permanent(f"Jira has no project {self.config.project!r}: check [jira] project in "
                                    "oncall.toml (and that the account can see it)", whole_target=True) from None
                raise
            names = [t.get("name", "") for t in project.raw.get("issueTypes", [])]
            chosen = self.config.issue_type
            if names and chosen not in names:
                fallback = self.config.fallback_issue_type
                if fallback not in names:
                    raise Permanent(
                        f"Jira project {self.config.project} has neither issue type {chosen!r} nor {fallback!r}: "
                        f"set [jira] issue_type to one of {', '.join(names)}", whole_target=True)
                self.notices.append(f"Jira project {self.config.project} has no issue type {chosen!r}; "
                                    f"using [jira] fallback_issue_type {fallback!r}")
                chosen = fallback
            self._issue_type = chosen
        return self._issue_type

    def action_issue_type(self) -> str:
        """`[jira] action_issue_type` for action items, or the fallback if the project lacks it."""
        if self._action_issue_type is None:
            project = self.call(lambda: self.client.project(self.config.project), "reading the project")
            names = [t.get("name", "") for t in project.raw.get("issueTypes", [])]
            chosen = self.config.action_issue_type
            if names and chosen not in names:
                fallback = self.config.fallback_issue_type
                if fallback not in names:
                    raise Permanent(f"Jira project {self.config.project} has neither issue type {chosen!r} nor "
                                    f"{fallback!r} for action items: set [jira] action_issue_type to one of "
                                    f"{', '.join(names)}")
                chosen = fallback
            self._action_issue_type = chosen
        return self._action_issue_type

    # -- issues -----------------------------------------------------------------------------

    def find_issue(self, label: str) -> str | None:
        """The key of the issue carrying `label`, if one exists (an earlier create that went through)."""
        found = self.call(lambda: self.client.search_issues(
            f'project = "{self.config.project}" AND labels = "{label}"', maxResults=2, fields="labels",
        ), "looking for an earlier issue")
        keys = [issue.key for issue in found]
        return keys[0] if keys else None

    def create_issue(self, fields: dict[str, Any], issue_type: str | None = None) -> str:
        issue_type = issue_type or self.issue_type()
        payload = {"project": {"key": self.config.project}, "issuetype": {"name": issue_type}, **fields}
        issue = self.call(lambda: self.client.create_issue(fields=payload, prefetch=False), "creating the issue")
        return issue.key

    def update_fields(self, key: str, fields: dict[str, Any]) -> None:
        issue = self.call(lambda: self.client.issue(key, fields="summary"), f"reading {key}")
        self.call(lambda: issue.update(fields=fields), f"updating {key}")

    def add_comment(self, key: str, body: str) -> str:
        comment = self.call(lambda: self.client.add_comment(key, body), f"commenting on {key}")
        return str(comment.id)

    def assign(self, key: str, account: str, whose: str = "") -> str:
        """Make `account` the issue's assignee: an accountId on Jira Cloud, a username on Server
        (`[jira] deployment`); `whose` names the person, for the message. Returns '' when done,
        or why Jira refused this one assignee (an unknown account, the Assign Issues permission
        missing): that stops nothing else.

        `PUT /rest/api/2/issue/{key}/assignee` is sent here rather than through `JIRA.assign_issue`,
        which first searches users by the text given and takes the first match, sending a
        request more and possibly assigning someone else."""
        field = "accountId" if self.config.deployment == "cloud" else "name"
        spelled = "accountId" if field == "accountId" else "username"

        def put() -> str:
            try:
                self.client._session.put(self.client._get_url(f"issue/{key}/assignee"),
                                         data=json.dumps({field: account}))
                return ""
            except JIRAError as error:
                if error.status_code not in (400, 403, 404):
                    raise
                detail = redact(str(error.text or "").strip(), self.token)[:200]
                said = f"HTTP {error.status_code}" + (f": {detail}" if detail else "")
                if error.status_code == 403:
                    return (f"Jira refused to assign {key} ({said}): give the account the Assign Issues permission "
                            f"in project {self.config.project}")
                return (f"Jira refused {spelled} {account!r} as the assignee of {key} ({said}): check the "
                        f"jira_account of {whose or 'the Incident Commander'} in oncall.toml (on Jira "
                        f"{self.config.deployment.title()}, their {spelled})")
        return self.call(put, f"assigning {key}")

    def find_comment(self, key: str, marker: str) -> str | None:
        comments = self.call(lambda: self.client.comments(key), f"reading comments of {key}")
        for comment in comments:
            if marker in (getattr(comment, "body", "") or ""):
                return str(comment.id)
        return None

    def transition_available(self, key: str, transition: str) -> bool:
        available = self.call(lambda: self.client.transitions(key), f"reading transitions of {key}")
        return any(transition in (str(t.get("id")), t.get("name")) for t in available)

    def transition(self, key: str, transition: str) -> None:
        """Move the issue along the project's workflow; a transition it cannot take is a config error."""
        if not self.transition_available(key, transition):
            raise Permanent(f"{key} cannot take the Jira transition {transition!r} from its current status: "
                            "check [jira.transitions] in oncall.toml (`oncall doctor` lists the transitions)")
        target = int(transition) if transition.isdigit() else transition
        self.call(lambda: self.client.transition_issue(key, target), f"moving {key} along its workflow")

    def transition_if_offered(self, key: str, transition: str) -> tuple[str, str] | None:
        """Move the issue if its workflow offers `transition` (a name or an id) from where it is
        now, and return the status it moved to (its name and category key); None, and nothing
        done, if it is not offered (the issue may be there already)."""
        available = self.call(lambda: self.client.transitions(key), f"reading transitions of {key}")
        found = next((t for t in available if transition in (str(t.get("id")), t.get("name"))), None)
        if found is None:
            return None
        self.call(lambda: self.client.transition_issue(key, str(found.get("id"))), f"moving {key} along its workflow")
        return _name(found.get("to")), _category(found.get("to"))

    def link_issues(self, incident_key: str, item_key: str, link_type: str) -> str:
        """Link an action item's issue to its incident's. Returns '' when linked (linking again
        makes no second link), or why Jira refused: linking disabled or not permitted, no such
        link type, too many links (403, 404, 400, 413). A refusal stops nothing else."""
        def link() -> str:
            try:
                self.client.create_issue_link(link_type, incident_key, item_key)
                return ""
            except JIRAError as error:
                if error.status_code not in (400, 403, 404, 413):
                    raise
                detail = redact(str(error.text or "").strip(), self.token)[:200]
                return (f"Jira refused to link {item_key} to {incident_key} (HTTP {error.status_code}"
                        + (f": {detail}" if detail else "") + f"): check that project {self.config.project} "
                        f"allows issue links of type {link_type!r} ([jira] action_link_type) and that the account "
                        "has the Link Issues permission; the item's issue is kept, unlinked")
        return self.call(link, f"linking {item_key} to {incident_key}")

    def search(self, jql: str, limit: int | None = None,
               fields: str = "summary,status,labels,priority,updated,description,created") -> list[JiraIssue]:
        """Issues matching `jql`: all of them (page by page), or the first `limit`."""
        found = self.call(lambda: self.client.search_issues(jql, maxResults=limit or False, fields=fields),
                          "searching issues")
        return [_issue(issue.key, issue.raw.get("fields", {})) for issue in found]

    # -- remote links -----------------------------------------------------------------------

    def add_remote_link(self, key: str, global_id: str, link: dict[str, Any]) -> str:
        """Create the issue's link to a web page, or update the one with the same `global_id`.
        Returns '' when done, or why Jira refused (HTTP 403: the Link Issues permission)."""
        def add() -> str:
            try:
                self.client.add_remote_link(key, link, globalId=global_id)
                return ""
            except JIRAError as error:
                if error.status_code != 403:
                    raise
                return (f"Jira refused to link {key} to its Slack thread (HTTP 403): give the account the "
                        f"Link Issues permission in project {self.config.project}; until then teammates' "
                        "laptops find the thread by scanning the channel")
        return self.call(add, f"linking {key} to its Slack thread", tries=1)  # a link can wait for a later pass

    def may_link_issues(self) -> bool:
        """Whether the account holds the Link Issues permission in the project."""
        answer = self.call(lambda: self.client.my_permissions(projectKey=self.config.project, permissions="LINK_ISSUES"),
                           "reading the account's permissions")
        return bool(((answer.get("permissions") or {}).get("LINK_ISSUES") or {}).get("havePermission"))

    def remote_link_url(self, key: str, global_id: str) -> str | None:
        """The address of the issue's remote link with `global_id`, if it has one."""
        def read() -> list[Any]:
            try:
                return self.client.remote_links(key)
            except JIRAError as error:
                if error.status_code == 403:  # links hidden from this account: as if there were none
                    return []
                raise
        for link in self.call(read, f"reading the links of {key}"):
            if link.raw.get("globalId") == global_id:
                return (link.raw.get("object") or {}).get("url") or None
        return None

    def browse_url(self, key: str) -> str:
        return f"{self.config.server}/browse/{key}"


def _issue(key: Any, fields: Any) -> JiraIssue:
    """What the pull reads, from whatever a person or a teammate's tool put in the issue: a field
    of an unexpected type or missing reads as empty, never as an error."""
    fields = fields if isinstance(fields, dict) else {}
    return JiraIssue(
        key=_text(key),
        summary=_text(fields.get("summary")),
        status=_name(fields.get("status")),
        labels=tuple(label for label in fields.get("labels") or () if isinstance(label, str)),
        priority=_name(fields.get("priority")),
        updated=_text(fields.get("updated")),
        description=_text(fields.get("description")),
        created=_text(fields.get("created")),
        status_category=_category(fields.get("status")),
        assignee=_account(fields.get("assignee")),
    )


def _category(status: Any) -> str:
    category = status.get("statusCategory") if isinstance(status, dict) else None
    return _text(category.get("key")) if isinstance(category, dict) else ""


def _account(user: Any) -> str:
    if not isinstance(user, dict):
        return ""
    return _text(user.get("accountId")) or _text(user.get("name"))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None or isinstance(value, (dict, list)) else str(value)


def _name(value: Any) -> str:
    return _text(value.get("name")) if isinstance(value, dict) else _text(value)


def _refused_for(error: Exception) -> float | None:
    if isinstance(error, JIRAError) and error.status_code == 429:
        return parse_retry_after(_header(error, "Retry-After"))
    return None


def _header(error: JIRAError, name: str) -> str | None:
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None) or {}
    return headers.get(name)


def _maybe_retry_after(error: JIRAError) -> float | None:
    value = _header(error, "Retry-After")
    return parse_retry_after(value) if value is not None else None


def _during(what: str) -> str:
    return f" while {what}" if what else ""
