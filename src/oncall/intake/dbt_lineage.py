"""What `manifest.json` says: the lineage (sources → models, seeds, snapshots → exposures) as
`LineageNode`s, and the facts a signal needs about any node (its dbt name, the model or source a
test is about, a source's freshness rule, a `meta.oncall_severity`).

Tests are checks, not lineage nodes. Metrics, semantic models and saved queries are not nodes
either, but lineage is followed through them, so a dashboard built on a metric still has the
model under it as its parent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oncall.domain.intake import LineageNode
from oncall.domain.severity import Severity
from oncall.intake.dbt_files import Artifact, child, type_name

NODE_TYPES = frozenset({"model", "seed", "snapshot"})  # lineage nodes found in manifest `nodes`
TEST_TYPES = frozenset({"test", "unit_test"})
_PASS_THROUGH = ("metrics", "semantic_models", "saved_queries")  # followed, never shown
DESCRIPTION_MAX = 2000  # characters: a description is context in a side panel, not a document


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """One manifest node, as far as signals need it."""

    resource_type: str  # model, seed, snapshot, source, exposure, test, unit_test
    name: str  # the dbt name; a source's is its table's name
    label: str  # how a title shows it: `ads.ad_spend` for a source, else the name
    severity: Severity | None = None  # its meta.oncall_severity, if it has a valid one
    subject: str = ""  # a test: the unique id of the model or source it tests ("" unknown)
    column: str = ""  # a generic test's column
    freshness_rule: str = ""  # a source: "warn after 12 hours, error after 24 hours"; "" none set


@dataclass(frozen=True, slots=True)
class Freshness:
    """A source's last freshness result from sources.json."""

    status: str  # pass, warn, error, runtime error
    checked_at: datetime | None  # snapshotted_at
    max_loaded_at: datetime | None


class Manifest:
    """A read manifest: `facts` by unique id for every node, source, exposure and test."""

    def __init__(self, artifact: Artifact, notes: list[str]) -> None:
        self.artifact, self.notes = artifact, notes
        data = artifact.data
        self.nodes = artifact.object(data, "nodes", "", required=True)
        self.sources = artifact.object(data, "sources", "", required=True)
        self.exposures = artifact.object(data, "exposures", "")
        self.unit_tests = artifact.object(data, "unit_tests", "")
        self.functions = artifact.object(data, "functions", "")  # dbt 1.11 user-defined functions
        self.parent_map = artifact.object(data, "parent_map", "")
        self.group_owners = self._group_owners(artifact.object(data, "groups", ""))
        self.facts: dict[str, NodeFacts] = {}
        for section, entries in (("nodes", self.nodes), ("unit_tests", self.unit_tests),
                                 ("functions", self.functions), ("sources", self.sources),
                                 ("exposures", self.exposures)):
            for unique_id, node in entries.items():
                self.facts[unique_id] = self._facts(section, unique_id, node)

    # ---- facts ------------------------------------------------------------------------------

    def _facts(self, section: str, unique_id: str, node: Any) -> NodeFacts:
        a, where = self.artifact, child(section, unique_id)
        node = a.entry(node, where)
        name = a.text(node, "name", where, required=True)
        if section == "sources":
            source_name = a.text(node, "source_name", where, required=True)
            return NodeFacts("source", name, f"{source_name}.{name}", self._severity(unique_id, node),
                             freshness_rule=self._freshness_rule(node, where))
        if section == "exposures":
            return NodeFacts("exposure", name, name, self._severity(unique_id, node))
        resource_type = {"unit_tests": "unit_test", "functions": "function"}.get(section) or a.text(
            node, "resource_type", where, required=True)
        if resource_type not in TEST_TYPES:
            return NodeFacts(resource_type, name, name, self._severity(unique_id, node))
        return NodeFacts(resource_type, name, name, self._severity(unique_id, node),
                         subject=self._subject(node, where), column=a.text(node, "column_name", where))

    def _subject(self, test: dict[str, Any], where: str) -> str:
        """The model or source a test is about: its attached node, else the most downstream of
        what it reads (a singular test joining fct_weekly_cac to a staging model is about the fct)."""
        attached = self.artifact.text(test, "attached_node", where)
        if attached:
            return attached
        reads = [uid for uid in self._depends_on(test, where) if uid.split(".", 1)[0] in NODE_TYPES | {"source"}]
        if len(reads) <= 1:
            return reads[0] if reads else ""
        ancestors = set().union(*(self._ancestors(uid) for uid in reads))
        downstream = sorted(uid for uid in reads if uid not in ancestors)
        return downstream[0] if downstream else sorted(reads)[0]

    def _ancestors(self, unique_id: str) -> set[str]:
        seen: set[str] = set()
        stack = list(self._direct_parents(unique_id))
        while stack:
            parent = stack.pop()
            if parent not in seen:
                seen.add(parent)
                stack.extend(self._direct_parents(parent))
        return seen

    def _severity(self, unique_id: str, node: dict[str, Any]) -> Severity | None:
        """`meta.oncall_severity` (or `config.meta`, where dbt 1.10+ keeps it). Meta is the user's
        free-form data: anything unreadable there is a note, never an error."""
        config = node.get("config")
        for meta in ((config or {}).get("meta") if isinstance(config, dict) else None, node.get("meta")):
            if isinstance(meta, dict) and meta.get("oncall_severity") not in (None, ""):
                value = meta["oncall_severity"]
                try:
                    return Severity.parse(str(value))
                except ValueError:
                    self.notes.append(f"{unique_id}: meta.oncall_severity {value!r} is not a severity "
                                      f"(SEV-1, SEV-2, SEV-3): the default is used")
                    return None
        return None

    def _freshness_rule(self, source: dict[str, Any], where: str) -> str:
        a = self.artifact
        rule = a.object(source, "freshness", where)
        if not rule:
            rule = a.object(a.object(source, "config", where), "freshness", child(where, "config"))
        return describe_rule(a, rule, child(where, "freshness"))

    # ---- lineage ----------------------------------------------------------------------------

    def lineage(self, freshness: dict[str, Freshness]) -> tuple[LineageNode, ...]:
        """Every source, model, seed, snapshot and exposure, by unique id; a source carries its
        last freshness result from sources.json when there is one."""
        nodes = []
        for unique_id, node in self.nodes.items():
            if self.facts[unique_id].resource_type in NODE_TYPES:
                nodes.append(self._node(unique_id, node, "nodes"))
        for unique_id, node in self.sources.items():
            nodes.append(self._node(unique_id, node, "sources", freshness.get(unique_id)))
        for unique_id, node in self.exposures.items():
            nodes.append(self._node(unique_id, node, "exposures"))
        nodes.sort(key=lambda node: node.unique_id)
        return tuple(nodes)

    def _node(self, unique_id: str, node: dict[str, Any], section: str,
              freshness: Freshness | None = None) -> LineageNode:
        a, where, facts = self.artifact, child(section, unique_id), self.facts[unique_id]
        if section == "sources":
            relation = a.text(node, "identifier", where) or facts.name
            source_meta = node.get("source_meta")  # the meta of the whole source (`ads`), not the table's
            source_owner = source_meta.get("owner") if isinstance(source_meta, dict) else None
            owner = _meta_owner(node) or _owner_text(source_owner)
        elif section == "exposures":
            relation = ""
            owner_entry = a.object(node, "owner", where)
            owner = (a.text(owner_entry, "email", child(where, "owner"))
                     or a.text(owner_entry, "name", child(where, "owner")))
        else:
            relation = a.text(node, "alias", where) or facts.name
            group = a.text(node, "group", where) or _config_text(node, "group")
            owner = _meta_owner(node) or self.group_owners.get(group, "")
        description = a.text(node, "description", where)
        if len(description) > DESCRIPTION_MAX:
            description = description[: DESCRIPTION_MAX - 1] + "…"
        return LineageNode(
            unique_id=unique_id, resource_type=facts.resource_type, name=facts.name, relation=relation,
            owner=owner, description=description, parents=self._parents(unique_id),
            freshness=freshness.status if freshness else "",
            freshness_at=freshness.checked_at if freshness else None,
            max_loaded_at=freshness.max_loaded_at if freshness else None)

    def _parents(self, unique_id: str) -> tuple[str, ...]:
        """The nearest sources, models, seeds and snapshots it reads, through metrics and
        semantic models; ids the manifest does not have are left out."""
        found: set[str] = set()
        seen: set[str] = set()
        stack = list(self._direct_parents(unique_id))
        while stack:
            parent = stack.pop()
            if parent in seen:
                continue
            seen.add(parent)
            kind = parent.split(".", 1)[0]
            if kind in NODE_TYPES or kind == "source":
                if parent in self.facts:
                    found.add(parent)
            elif kind in ("metric", "semantic_model", "saved_query"):
                stack.extend(self._direct_parents(parent))
        return tuple(sorted(found))

    def _direct_parents(self, unique_id: str) -> list[str]:
        parents = self.parent_map.get(unique_id)
        if isinstance(parents, list):
            return [uid for uid in parents if isinstance(uid, str)]
        if parents is not None:
            self.artifact.fail(child("parent_map", unique_id), f"should be a list, not {type_name(parents)}")
        for section in ("nodes", "exposures", "sources", *_PASS_THROUGH):
            entries = self.artifact.data.get(section)
            if isinstance(entries, dict) and isinstance(entries.get(unique_id), dict):
                return self._depends_on(entries[unique_id], child(section, unique_id))
        return []

    def _depends_on(self, node: dict[str, Any], where: str) -> list[str]:
        a = self.artifact
        nodes = a.items(a.object(node, "depends_on", where), "nodes", child(where, "depends_on"))
        return [uid for uid in nodes if isinstance(uid, str)]

    def _group_owners(self, groups: dict[str, Any]) -> dict[str, str]:
        owners = {}
        for unique_id, group in groups.items():
            where = child("groups", unique_id)
            group = self.artifact.entry(group, where)
            owner = self.artifact.object(group, "owner", where)
            owners[self.artifact.text(group, "name", where)] = _owner_text(owner)
        return owners


def describe_rule(a: Artifact, rule: dict[str, Any], where: str) -> str:
    """`warn after 12 hours, error after 1 day`; "" when neither threshold has a count."""
    parts = []
    for level in ("warn_after", "error_after"):
        threshold = a.object(rule, level, where)
        count = a.count(threshold, "count", child(where, level))
        if count is not None:  # as dbt decides a source has a freshness rule
            period = a.text(threshold, "period", child(where, level)) or "hour"
            parts.append(f"{level.replace('_', ' ')} {count} {period}{'' if count == 1 else 's'}")
    return ", ".join(parts)


def _meta_owner(node: dict[str, Any]) -> str:
    config = node.get("config")
    for meta in ((config or {}).get("meta") if isinstance(config, dict) else None, node.get("meta")):
        if isinstance(meta, dict):
            owner = _owner_text(meta.get("owner"))
            if owner:
                return owner
    return ""


def _owner_text(value: Any) -> str:
    """An owner as meta or a group states it: a string, a list of them, or {email, name}."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return _owner_text(value.get("email")) or _owner_text(value.get("name"))
    if isinstance(value, list):
        return ", ".join(text for text in (_owner_text(item) for item in value) if text)
    return ""


def _config_text(node: dict[str, Any], key: str) -> str:
    config = node.get("config")
    value = config.get(key) if isinstance(config, dict) else None
    return value if isinstance(value, str) else ""
