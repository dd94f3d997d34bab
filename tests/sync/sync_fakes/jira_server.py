"""A stateful Jira REST v2 on 127.0.0.1: projects, issues, comments, transitions, remote links,
issue links, assignees and search, in Cloud (`/search/jql`, `nextPageToken`; users by `accountId`) or Server
(`/search`, `startAt`/`total`; users by `name`) mode.
Every time it stamps comes from the clock it is given (tests pass the one the code under test uses)."""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from .base import FakeService, Reply, Request

API = "/rest/api/2"
STATUSES = ["Open", "In Progress", "Resolved", "Closed", "Done", "Won't Do"]
# Each status's category (statusCategory.key): what tells a finished item from an open one.
CATEGORIES = {"Open": "new", "In Progress": "indeterminate"}
# id, name, the status it leads to
TRANSITIONS = [("11", "Start Progress", "In Progress"), ("21", "Resolve", "Resolved"),
               ("31", "Close", "Closed"), ("41", "Reopen", "Open"), ("51", "Done", "Done"),
               ("61", "Won't Do", "Won't Do")]
# name, inward, outward: the project's issue link types
LINK_TYPES = [("Relates", "relates to", "relates to"), ("Blocks", "is blocked by", "blocks"),
              ("Duplicate", "is duplicated by", "duplicates")]
PRIORITIES = ["Highest", "High", "Medium", "Low", "Lowest"]


@dataclass
class FakeIssue:
    id: str
    key: str
    fields: dict[str, Any]
    comments: list[dict[str, Any]] = field(default_factory=list)
    remote_links: list[dict[str, Any]] = field(default_factory=list)
    updated_at: float = 0.0


class FakeJira(FakeService):
    name = "jira"

    def __init__(self, *, deployment: str = "Cloud", project: str = "DATA", email: str = "bot@example.com",
                 token: str = "jira-secret-token", issue_types: tuple[str, ...] = ("Incident", "Task", "Bug"),
                 page_size: int = 50, now: Callable[[], float] = time.time, **kwargs) -> None:
        super().__init__(**kwargs)
        self.now = now
        # False: the account lacks the Link Issues permission (remote links answer 403).
        self.may_link = True
        self.deployment = deployment
        self.project = project
        self.email = email
        self.token = token
        self.issue_types = list(issue_types)
        self.page_size = page_size
        self.issues: dict[str, FakeIssue] = {}
        self._next_id = 10000
        # Like Jira Cloud's search index trailing writes: each new issue stays out of search
        # results for this many searches after it is created.
        self.search_lag = 0
        self._unindexed: dict[str, int] = {}  # issue key -> searches it still misses
        # Users an issue can be assigned to: accountId (Cloud) or username (Server) -> display name.
        self.users: dict[str, str] = {}
        # False: the account lacks the Assign Issues permission (assigning answers 403).
        self.may_assign = True
        self.assignments: list[tuple[str, str | None]] = []  # (issue key, account) as assigned, in order
        self.link_types = list(LINK_TYPES)
        # Not 0: issue links are refused with this HTTP status, as by a project that does not allow
        # them (404: linking disabled or not permitted, per the API description; 403 on some servers).
        self.refuse_links = 0
        self.links: list[dict[str, Any]] = []  # {"id", "type", "inward", "outward"}, as created

    # -- auth ------------------------------------------------------------------------------

    def authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        basic = "Basic " + base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        return header in (basic, f"Bearer {self.token}")

    def unauthorized(self) -> Reply:
        return Reply(401, {"errorMessages": ["You are not authenticated. Authentication required to perform this operation."], "errors": {}})

    # -- helpers for tests -----------------------------------------------------------------

    def add_issue(self, summary: str, labels: list[str], status: str = "Open", description: str = "") -> FakeIssue:
        """An issue made by someone else (a teammate's laptop, or a person in the Jira UI)."""
        with self.lock:
            return self._create({"summary": summary, "labels": labels, "description": description,
                                 "issuetype": {"name": "Incident"}, "priority": {"name": "High"}}, status)

    def add_raw_issue(self, fields: dict[str, Any]) -> FakeIssue:
        """An issue with exactly these fields (a person in the Jira UI can make odd ones): no status
        or priority unless given, any summary, any description."""
        with self.lock:
            self._next_id += 1
            issue = FakeIssue(str(self._next_id), f"{self.project}-{len(self.issues) + 1}",
                              {"created": self._now_text(), **fields})
            self._touch(issue)
            self.issues[issue.key] = issue
            return issue

    def add_remote_link(self, key: str, global_id: str, url: str, title: str = "Slack thread") -> None:
        """A link a teammate's laptop (or a person) added to the issue."""
        with self.lock:
            issue = self.issues[key]
            issue.remote_links.append({"id": 20000 + len(issue.remote_links), "globalId": global_id,
                                       "object": {"url": url, "title": title}})

    def set_status(self, key: str, status: str) -> None:
        with self.lock:
            self.issues[key].fields["status"] = self._status(status)
            self._touch(self.issues[key])

    def set_assignee(self, key: str, account: str | None) -> None:
        """A person reassigns the issue in Jira's own screens (None: unassigns it)."""
        with self.lock:
            field = "accountId" if self.deployment == "Cloud" else "name"
            self.issues[key].fields["assignee"] = None if account is None else {
                field: account, "displayName": self.users.get(account, account)}
            self._touch(self.issues[key])

    def links_of(self, key: str) -> list[tuple[str, str, str]]:
        """(type, inward key, outward key) of the links the issue is in."""
        with self.lock:
            return [(link["type"], link["inward"], link["outward"]) for link in self.links
                    if key in (link["inward"], link["outward"])]

    def with_label(self, label: str) -> list[FakeIssue]:
        with self.lock:
            return [i for i in self.issues.values() if label in i.fields.get("labels", [])]

    # -- the API ---------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        path, method = request.path, request.method
        if not path.startswith(API):
            return Reply(404, {"errorMessages": ["Not found"], "errors": {}})
        route = path[len(API):]
        if route == "/serverInfo" and method == "GET":
            return Reply(200, {"baseUrl": self.url, "version": "1001.0.0", "versionNumbers": [1001, 0, 0],
                               "deploymentType": self.deployment, "buildNumber": 100000,
                               "serverTitle": "Fake Jira", "serverTime": self._now_text()})
        if route == "/myself" and method == "GET":
            return Reply(200, {"self": f"{self.url}{API}/user?accountId=bot", "accountId": "bot",
                               "emailAddress": self.email, "displayName": "oncall bot", "active": True})
        if route == "/field" and method == "GET":
            return Reply(200, [{"id": name, "key": name, "name": name.title(), "custom": False}
                               for name in ("summary", "status", "labels", "priority", "updated", "description",
                                            "created", "assignee", "duedate", "issuelinks")])
        if route == "/mypermissions" and method == "GET":
            return self._permissions(request)
        if route == "/priority" and method == "GET":
            return Reply(200, [{"self": f"{self.url}{API}/priority/{n}", "id": str(n), "name": name}
                               for n, name in enumerate(PRIORITIES, start=1)])
        match = re.fullmatch(r"/project/([^/]+)", route)
        if match and method == "GET":
            return self._project(match.group(1))
        if route == "/issue" and method == "POST":
            return self._create_from(request)
        if route == "/issueLinkType" and method == "GET":
            return Reply(200, {"issueLinkTypes": [
                {"id": str(10000 + n), "name": name, "inward": inward, "outward": outward,
                 "self": f"{self.url}{API}/issueLinkType/{10000 + n}"}
                for n, (name, inward, outward) in enumerate(self.link_types)]})
        if route == "/issueLink" and method == "POST":
            return self._link(request)
        if route in ("/search", "/search/jql") and method in ("GET", "POST"):
            return self._search(request, cloud=route.endswith("/jql"))
        match = re.fullmatch(r"/issue/([^/]+)(/comment|/transitions|/remotelink|/assignee)?", route)
        if match:
            issue = self._find(match.group(1))
            if issue is None:
                return Reply(404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}})
            part = match.group(2)
            if part is None:
                return self._issue(issue, request)
            if part == "/comment":
                return self._comment(issue, request)
            if part == "/remotelink":
                return self._remote_link(issue, request)
            if part == "/assignee":
                return self._assign(issue, request)
            return self._transition(issue, request)
        return Reply(404, {"errorMessages": [f"No route for {method} {path}"], "errors": {}})

    def _project(self, key: str) -> Reply:
        if key != self.project:
            return Reply(404, {"errorMessages": [f"No project could be found with key '{key}'."], "errors": {}})
        return Reply(200, {"self": f"{self.url}{API}/project/10000", "id": "10000", "key": self.project,
                           "name": "Data", "projectTypeKey": "software",
                           "issueTypes": [{"self": f"{self.url}{API}/issuetype/{n}", "id": str(n), "name": name,
                                           "subtask": False} for n, name in enumerate(self.issue_types, start=1)]})

    def _create_from(self, request: Request) -> Reply:
        fields = dict((request.body or {}).get("fields", {}))
        project = fields.get("project", {})
        if project.get("key") != self.project:
            return Reply(400, {"errorMessages": [], "errors": {"project": "valid project is required"}})
        if fields.get("issuetype", {}).get("name") not in self.issue_types:
            return Reply(400, {"errorMessages": [], "errors": {"issuetype": "The issue type selected is invalid."}})
        if not fields.get("summary"):
            return Reply(400, {"errorMessages": [], "errors": {"summary": "You must specify a summary of the issue."}})
        issue = self._create(fields, "Open")
        return Reply(201, {"id": issue.id, "key": issue.key, "self": f"{self.url}{API}/issue/{issue.id}"})

    def _create(self, fields: dict[str, Any], status: str) -> FakeIssue:
        self._next_id += 1
        key = f"{self.project}-{len(self.issues) + 1}"
        fields = {**fields, "status": self._status(status), "created": self._now_text()}
        issue = FakeIssue(str(self._next_id), key, fields)
        self._touch(issue)
        self.issues[key] = issue
        if self.search_lag:
            self._unindexed[key] = self.search_lag
        return issue

    def _status(self, name: str) -> dict[str, Any]:
        key = CATEGORIES.get(name, "done")
        return {"self": f"{self.url}{API}/status/{STATUSES.index(name) + 1}", "id": str(STATUSES.index(name) + 1),
                "name": name, "statusCategory": {"id": {"new": 2, "indeterminate": 4, "done": 3}[key], "key": key,
                                                 "name": key.title(), "colorName": "green",
                                                 "self": f"{self.url}{API}/statuscategory/{key}"}}

    def _link(self, request: Request) -> Reply:
        """`POST /issueLink` with `{type: {name}, inwardIssue: {key}, outwardIssue: {key}}`: 201 and
        no body; the same link again makes no second one. 404 for a link type or an issue not
        found, or (`refuse_links`) linking disabled or not permitted."""
        if self.refuse_links:
            return Reply(self.refuse_links, {"errorMessages": ["Issue linking is disabled or you do not have the "
                                                               "permission to link issues."], "errors": {}})
        body = request.body if isinstance(request.body, dict) else {}
        wanted = str((body.get("type") or {}).get("name") or "")
        if wanted not in [name for name, _, _ in self.link_types]:
            return Reply(404, {"errorMessages": [f"No issue link type with name '{wanted}' found."], "errors": {}})
        inward, outward = (self._find(str((body.get(side) or {}).get("key") or ""))
                           for side in ("inwardIssue", "outwardIssue"))
        if inward is None or outward is None:
            return Reply(404, {"errorMessages": ["Issue Does Not Exist"], "errors": {}})
        link = {"type": wanted, "inward": inward.key, "outward": outward.key}
        if not any({k: v for k, v in existing.items() if k != "id"} == link for existing in self.links):
            self.links.append({"id": str(30000 + len(self.links)), **link})
            for issue in (inward, outward):
                self._touch(issue)
        return Reply(201)

    def _now_text(self) -> str:
        return datetime.fromtimestamp(self.now(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")

    def _touch(self, issue: FakeIssue) -> None:
        issue.updated_at = self.now()
        issue.fields["updated"] = self._now_text()

    def _find(self, key_or_id: str) -> FakeIssue | None:
        return self.issues.get(key_or_id) or next((i for i in self.issues.values() if i.id == key_or_id), None)

    def _bean(self, issue: FakeIssue, wanted: list[str] | None = None) -> dict[str, Any]:
        fields = issue.fields if not wanted or "*all" in wanted else {k: v for k, v in issue.fields.items() if k in wanted}
        return {"expand": "", "id": issue.id, "key": issue.key, "self": f"{self.url}{API}/issue/{issue.id}",
                "fields": fields}

    def _issue(self, issue: FakeIssue, request: Request) -> Reply:
        if request.method == "GET":
            wanted = request.query.get("fields")
            return Reply(200, self._bean(issue, wanted.split(",") if wanted else None))
        if request.method == "PUT":
            issue.fields.update((request.body or {}).get("fields", {}))
            self._touch(issue)
            return Reply(204)
        return Reply(405, {"errorMessages": ["Method not allowed"], "errors": {}})

    def _comment_json(self, issue: FakeIssue, comment: dict[str, Any]) -> dict[str, Any]:
        return {"self": f"{self.url}{API}/issue/{issue.id}/comment/{comment['id']}", "id": comment["id"],
                "body": comment["body"], "created": comment["created"], "updated": comment["created"],
                "author": {"accountId": "bot", "displayName": "oncall bot"}}

    def _comment(self, issue: FakeIssue, request: Request) -> Reply:
        if request.method == "POST":
            comment = {"id": str(len(issue.comments) + 1 + 100 * int(issue.id)), "body": (request.body or {}).get("body", ""),
                       "created": self._now_text()}
            issue.comments.append(comment)
            self._touch(issue)
            return Reply(201, self._comment_json(issue, comment))
        start = int(request.query.get("startAt", 0))
        page = issue.comments[start:start + self.page_size]
        return Reply(200, {"startAt": start, "maxResults": self.page_size, "total": len(issue.comments),
                           "comments": [self._comment_json(issue, c) for c in page]})

    def _permissions(self, request: Request) -> Reply:
        wanted = [p for p in str(request.query.get("permissions", "")).split(",") if p]
        if not wanted:
            return Reply(400, {"errorMessages": ["The 'permissions' query parameter is required."], "errors": {}})
        known = {"LINK_ISSUES": ("21", "Link Issues", self.may_link), "BROWSE_PROJECTS": ("10", "Browse Projects", True)}
        return Reply(200, {"permissions": {
            key: {"id": known[key][0], "key": key, "name": known[key][1], "type": "PROJECT",
                  "description": known[key][1], "havePermission": known[key][2]}
            for key in wanted if key in known}})

    def _remote_link(self, issue: FakeIssue, request: Request) -> Reply:
        if not self.may_link:
            return Reply(403, {"errorMessages": ["You do not have the permission to link issues."], "errors": {}})
        if request.method == "GET":
            wanted = request.query.get("globalId")
            links = [link for link in issue.remote_links if wanted in (None, link["globalId"])]
            return Reply(200, [{"id": link["id"], "self": f"{self.url}{API}/issue/{issue.key}/remotelink/{link['id']}",
                                "globalId": link["globalId"], "object": link["object"]} for link in links])
        body = request.body or {}
        target = body.get("object") or {}
        if not target.get("url") or not target.get("title"):
            return Reply(400, {"errorMessages": [], "errors": {"title": "'title' is required."}})
        existing = next((link for link in issue.remote_links
                         if body.get("globalId") and link["globalId"] == body.get("globalId")), None)
        if existing is not None:
            existing["object"] = target
            created = False
        else:
            existing = {"id": 20000 + len(issue.remote_links), "globalId": body.get("globalId", ""), "object": target}
            issue.remote_links.append(existing)
            created = True
        return Reply(201 if created else 200, {"id": existing["id"],
                                               "self": f"{self.url}{API}/issue/{issue.key}/remotelink/{existing['id']}"})

    def _assign(self, issue: FakeIssue, request: Request) -> Reply:
        """`PUT /issue/{key}/assignee` with a User: `{"accountId": …}` on Cloud (where `name` is
        no longer read), `{"name": …}` on Server; null unassigns. 204, or 400 for an unknown user."""
        if request.method != "PUT":
            return Reply(405, {"errorMessages": ["Method not allowed"], "errors": {}})
        if not self.may_assign:
            return Reply(403, {"errorMessages": ["You do not have permission to assign issues."], "errors": {}})
        body = request.body if isinstance(request.body, dict) else {}
        field = "accountId" if self.deployment == "Cloud" else "name"
        if field not in body:
            return Reply(400, {"errorMessages": [], "errors": {field: f"'{field}' must be provided."}})
        account = body[field]
        if account is None:
            issue.fields["assignee"] = None
        elif account not in self.users:
            return Reply(400, {"errorMessages": [], "errors": {"assignee": f"User '{account}' does not exist."}})
        else:
            issue.fields["assignee"] = {field: account, "displayName": self.users[account]}
        self.assignments.append((issue.key, account))
        self._touch(issue)
        return Reply(204)

    def assignee(self, key: str) -> str | None:
        """The account the issue is assigned to (None: unassigned)."""
        with self.lock:
            found = self.issues[key].fields.get("assignee")
            return found.get("accountId" if self.deployment == "Cloud" else "name") if found else None

    def _available(self, issue: FakeIssue) -> list[tuple[str, str, str]]:
        current = issue.fields["status"]["name"]
        return [t for t in TRANSITIONS if t[2] != current]

    def _transition(self, issue: FakeIssue, request: Request) -> Reply:
        if request.method == "GET":
            return Reply(200, {"expand": "transitions", "transitions": [
                {"id": tid, "name": name, "to": self._status(to), "hasScreen": False, "isAvailable": True}
                for tid, name, to in self._available(issue)]})
        wanted = str(((request.body or {}).get("transition") or {}).get("id"))
        chosen = next((t for t in self._available(issue) if t[0] == wanted), None)
        if chosen is None:
            return Reply(400, {"errorMessages": [f"Transition id '{wanted}' is not valid for this issue."], "errors": {}})
        issue.fields["status"] = self._status(chosen[2])
        self._touch(issue)
        return Reply(204)

    def _search(self, request: Request, cloud: bool) -> Reply:
        if cloud != (self.deployment == "Cloud"):
            return Reply(410 if not cloud else 404, {"errorMessages": ["Wrong search API for this deployment"], "errors": {}})
        jql = str(request.param("jql", ""))
        found = [i for i in self.issues.values() if _matches(i, jql, self.now()) and not self._unindexed.get(i.key)]
        self._unindexed = {key: misses - 1 for key, misses in self._unindexed.items() if misses > 1}
        found.sort(key=lambda i: i.updated_at)
        wanted = request.param("fields")
        wanted = wanted.split(",") if isinstance(wanted, str) else wanted
        limit = min(int(request.param("maxResults", self.page_size) or self.page_size), self.page_size)
        if cloud:
            start = int(request.param("nextPageToken") or 0)
            page = found[start:start + limit]
            body: dict[str, Any] = {"issues": [self._bean(i, wanted) for i in page],
                                    "isLast": start + limit >= len(found)}
            if not body["isLast"]:
                body["nextPageToken"] = str(start + limit)
            return Reply(200, body)
        start = int(request.param("startAt", 0))
        page = found[start:start + limit]
        return Reply(200, {"expand": "", "startAt": start, "maxResults": limit, "total": len(found),
                           "issues": [self._bean(i, wanted) for i in page]})


def _matches(issue: FakeIssue, jql: str, now: float) -> bool:
    for label in re.findall(r'labels\s*=\s*"([^"]+)"', jql):
        if label not in issue.fields.get("labels", []):
            return False
    for project in re.findall(r'project\s*=\s*"([^"]+)"', jql):
        if not issue.key.startswith(project + "-"):
            return False
    for minutes in re.findall(r'updated\s*>=\s*"-(\d+)m"', jql):
        if issue.updated_at < now - int(minutes) * 60:
            return False
    return True
