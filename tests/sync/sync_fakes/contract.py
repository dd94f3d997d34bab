"""Checks of what the real clients sent and what the fakes answered, against the vendors'
OpenAPI descriptions in ../shared/specs (read at test time, never copied into the project).

Light by design: the path and method exist; query and form parameters are declared; JSON bodies
use only declared properties; success answers carry the declared required fields and nothing
undeclared; Slack error codes are ones the method documents.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from .base import Exchange

SPECS = Path(__file__).resolve().parents[3].parent / "shared" / "specs"
JIRA_SPEC = SPECS / "jira-cloud-platform-swagger-v3.v3.json"
SLACK_SPEC = SPECS / "slack_web_openapi_v2.json"

# Slack's description is frozen since 2020; message metadata came in 2022. These are the only
# parameters we send that it cannot know about.
SLACK_NEWER_PARAMS = {"metadata", "include_all_metadata"}
# Cursor paging's `response_metadata`, which slack-sdk follows, is missing from the description of
# conversations.history and .replies (real Slack sends it).
SLACK_UNDECLARED_ANSWER_FIELDS = {"response_metadata"}
# Message metadata (2022) on a message object, which the 2020 description of a message cannot know.
SLACK_NEWER_MESSAGE_FIELDS = frozenset({"metadata"})
# Answers whose messages are described by `objs_message` (each is checked, with its reactions).
SLACK_MESSAGE_LISTS = {"/api/conversations.history": "messages", "/api/pins.list": "items"}
# Jira: parameters the client library adds that the v3 description spells differently or omits.
JIRA_CLIENT_PARAMS = {"notifyUsers"}


def specs_present() -> bool:
    return JIRA_SPEC.is_file() and SLACK_SPEC.is_file()


@lru_cache(maxsize=2)
def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


class Spec:
    def __init__(self, document: dict[str, Any], prefix_from: str = "", prefix_to: str = "") -> None:
        self.doc = document
        self.prefix_from, self.prefix_to = prefix_from, prefix_to
        self._paths = []
        for template in document["paths"]:
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
            self._paths.append((template.count("{"), template, pattern))
        self._paths.sort()

    def path_item(self, path: str) -> tuple[str, dict[str, Any]] | None:
        if self.prefix_from and path.startswith(self.prefix_from):
            path = self.prefix_to + path[len(self.prefix_from):]
        for _, template, pattern in self._paths:
            if pattern.match(path):
                return template, self.doc["paths"][template]
        return None

    def resolve(self, schema: dict[str, Any] | None) -> dict[str, Any]:
        seen = 0
        while schema and "$ref" in schema and seen < 20:
            parts = schema["$ref"].lstrip("#/").split("/")
            node: Any = self.doc
            for part in parts:
                node = node[part]
            schema, seen = node, seen + 1
        if schema and "allOf" in schema:
            merged: dict[str, Any] = {"properties": {}, "required": []}
            for part in schema["allOf"]:
                part = self.resolve(part)
                merged["properties"].update(part.get("properties", {}))
                merged["required"] += part.get("required", [])
            return merged
        return schema or {}

    def object_problems(self, where: str, body: Any, schema: dict[str, Any] | None,
                        tolerated: frozenset[str] = frozenset()) -> list[str]:
        schema = self.resolve(schema)
        if isinstance(body, list):
            items = schema.get("items")
            return [p for item in body[:3] for p in self.object_problems(where + "[]", item, items)]
        if not isinstance(body, dict) or not schema.get("properties"):
            return []
        problems = [f"{where}: missing required {name!r}" for name in schema.get("required", []) if name not in body]
        if schema.get("additionalProperties") in (None, False):
            declared = schema["properties"]
            problems += [f"{where}: {name!r} is not declared" for name in body
                         if name not in declared and name not in tolerated]
        return problems


def _operations(spec: Spec, exchanges: list[Exchange], problems: list[str], vendor: str, any_verb: bool):
    """Each exchange with the operation describing it; the ones with none become problems."""
    for ex in exchanges:
        where = f"{ex.method} {ex.path}"
        found = spec.path_item(ex.path)
        if found is None:
            problems.append(f"{where}: no such path in the {vendor} description")
            continue
        template, item = found
        # slack-sdk POSTs every method, whatever verb the (2020) description gives it.
        verbs = ("get", "post") if any_verb else (ex.method.lower(),)
        operation = next((item[v] for v in verbs if v in item), None)
        if operation is None:
            problems.append(f"{where}: {template} has no {ex.method}")
            continue
        yield ex, where, operation


def jira_problems(exchanges: list[Exchange]) -> list[str]:
    spec = Spec(load(JIRA_SPEC), "/rest/api/2/", "/rest/api/3/")
    problems: list[str] = []
    for ex, where, operation in _operations(spec, exchanges, problems, "Jira", any_verb=False):
        declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        problems += [f"{where}: query parameter {name!r} is not declared" for name in ex.query
                     if name not in declared | JIRA_CLIENT_PARAMS]
        if isinstance(ex.body, dict):
            request_schema = (operation.get("requestBody", {}).get("content", {}).get("application/json", {})
                              .get("schema"))
            problems += spec.object_problems(f"{where} request", ex.body, request_schema)
        if ex.status == 0 or ex.response is None:
            continue
        response = operation.get("responses", {}).get(str(ex.status))
        if 200 <= ex.status < 300:
            if response is None:
                problems.append(f"{where}: answer {ex.status} is not declared")
                continue
            schema = (response.get("content") or {}).get("application/json", {}).get("schema")
            problems += spec.object_problems(f"{where} answer", ex.response, schema)
        elif not {"errorMessages", "errors"} <= set(ex.response):
            problems.append(f"{where}: error answer {ex.status} is not an ErrorCollection")
    return problems


def slack_problems(exchanges: list[Exchange]) -> list[str]:
    spec = Spec(load(SLACK_SPEC), "/api/", "/")
    problems: list[str] = []
    for ex, where, operation in _operations(spec, exchanges, problems, "Slack", any_verb=True):
        declared = {p["name"] for p in operation.get("parameters", [])}
        sent = {**ex.query, **(ex.body if isinstance(ex.body, dict) else {})}
        problems += [f"{where}: parameter {name!r} is not declared" for name in sent
                     if name not in declared | SLACK_NEWER_PARAMS]
        if not isinstance(ex.response, dict):
            continue
        responses = operation.get("responses", {})
        if ex.response.get("ok"):
            problems += spec.object_problems(f"{where} answer", ex.response, responses.get("200", {}).get("schema"),
                                             frozenset(SLACK_UNDECLARED_ANSWER_FIELDS))
            problems += _message_problems(spec, where, ex.path, ex.response)
        elif ex.status == 200:  # 429 and 5xx are transport-level; their bodies are not the method's errors
            error = spec.resolve(responses.get("default", {}).get("schema")).get("properties", {}).get("error", {})
            allowed = set(error.get("enum", [])) | {"ratelimited"}
            if error.get("enum") and ex.response.get("error") not in allowed:
                problems.append(f"{where}: error {ex.response.get('error')!r} is not one the method documents")
    return problems


def _message_problems(spec: Spec, where: str, path: str, answer: dict[str, Any]) -> list[str]:
    """Each message in a history or pins answer against `objs_message`, and its reactions against
    `objs_reaction`: only declared fields (metadata aside), the required ones present."""
    listed = SLACK_MESSAGE_LISTS.get(path)
    if listed is None:
        return []
    message_schema = {"$ref": "#/definitions/objs_message"}
    reaction_schema = {"$ref": "#/definitions/objs_reaction"}
    problems: list[str] = []
    for index, entry in enumerate(answer.get(listed) or []):
        message = entry.get("message") if listed == "items" and isinstance(entry, dict) else entry
        if not isinstance(message, dict):
            continue
        problems += spec.object_problems(f"{where} answer {listed}[{index}]", message, message_schema,
                                         SLACK_NEWER_MESSAGE_FIELDS)
        for reaction in message.get("reactions") or []:
            problems += spec.object_problems(f"{where} answer {listed}[{index}].reactions", reaction, reaction_schema)
    return problems
