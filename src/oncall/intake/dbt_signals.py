"""dbt results as signals: `run_results.json` (tests, models, seeds, snapshots) and `sources.json`
(source freshness), one `Signal` per node keyed by its unique id.

| result                                             | signal                                       |
|----------------------------------------------------|----------------------------------------------|
| test or unit test `fail` / `error`                 | firing, SEV-3                                |
| model, seed, snapshot `error`                      | firing, SEV-2                                |
| model `partial success` (microbatch)               | firing, SEV-2: some batches failed           |
| source freshness `error` / `runtime error`         | firing, SEV-2                                |
| a source with a freshness rule that sources.json   | firing, SEV-2, "not checked": dbt leaves a   |
|   has no result for                                |   source out when its query fails            |
| test or source `warn`                              | firing, SEV-3 with `warnings=True`; else none|
| test `pass`, model `success`, source `pass`        | not firing: the recovery                     |
| `skipped`, `no-op`, `reused`                       | nothing: a node that was not checked neither |
|                                                    |   fails nor recovers                         |
| any other status                                   | nothing, and a note                          |

A node's `meta.oncall_severity` (SEV-1/2/3) replaces the default, failing or recovered alike;
a warning is always SEV-3.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from oncall.domain.detection import DetectionSource
from oncall.domain.intake import KEY_MAX, Signal
from oncall.domain.severity import Severity
from oncall.intake.dbt_files import Artifact, child
from oncall.intake.dbt_lineage import Freshness, Manifest, NodeFacts, describe_rule

BUILT = frozenset({"model", "seed", "snapshot", "function"})
TESTS = frozenset({"test", "unit_test"})
NOT_CHECKED = frozenset({"skipped", "no-op", "reused"})  # reused: taken from an earlier run by dbt 2.0
FRESHNESS = frozenset({"pass", "warn", "error", "runtime error"})
# The dbt commands whose run_results.json says whether checks passed. `dbt compile`, `docs generate`,
# `show`, `clone` and `run-operation` write one too, with every node "success": read as a build,
# it would recover every failing model, so it is not read.
CHECKING_COMMANDS = frozenset({"build", "run", "test", "seed", "snapshot", "retry"})
DETAILS_MAX = 4000  # characters: a dbt error with its compiled SQL is context, not the whole log
TEST_SEVERITY, BUILD_SEVERITY, SOURCE_SEVERITY = Severity.SEV3, Severity.SEV2, Severity.SEV2


class SignalReader:
    """Turns results into signals, by unique id, using what the manifest (if any) says of each node."""

    def __init__(self, manifest: Manifest | None, warnings: bool, notes: list[str]) -> None:
        self.manifest, self.warnings, self.notes = manifest, warnings, notes
        self.signals: dict[str, Signal] = {}
        self.freshness: dict[str, Freshness] = {}
        self._odd: dict[str, list[str]] = {}  # a note's text → the ids it is about, said once

    # ---- run_results.json -------------------------------------------------------------------

    def read_run_results(self, artifact: Artifact) -> None:
        command = artifact.text(artifact.object(artifact.data, "args", ""), "which", "args")
        if command and command not in CHECKING_COMMANDS:
            self.notes.append(f"{Path(artifact.label).name} was written by `dbt {command}`, which checks nothing: "
                              "not read (ingest after dbt build, run or test)")
            return
        seen: set[str] = set()
        for index, result in enumerate(artifact.items(artifact.data, "results", "", required=True)):
            where = f"results[{index}]"
            result = artifact.entry(result, where)
            unique_id, status = self._id_and_status(artifact, result, where, seen)
            kind = unique_id.split(".", 1)[0]
            observed = artifact.generated_at or _completed(artifact, result, where)
            message = artifact.text(result, "message", where)
            failures = artifact.count(result, "failures", where)
            if kind == "source" and status in FRESHNESS:  # a freshness result in run_results: rare
                self._freshness(unique_id, status, observed, None, None, message, "")
            elif kind in TESTS:
                self._test(unique_id, status, observed, message, failures)
            elif kind in BUILT:
                self._build(unique_id, kind, status, observed, message)
            elif status not in ("success", "pass") and status not in NOT_CHECKED:
                self._odd_one(f"status {status!r}, on a node that is not a check ({kind}): ignored", unique_id)

    def _test(self, unique_id: str, status: str, observed: datetime | None, message: str,
              failures: int | None) -> None:
        facts = self._facts(unique_id)
        subject = self._facts(facts.subject) if facts.subject else None
        asset = subject.name if subject else ""
        on = f" on {subject.label}" if subject and subject.name not in facts.name else ""
        severity = facts.severity or TEST_SEVERITY
        lines = [message]
        if failures and status in ("fail", "warn") and str(failures) not in message:
            lines.append(f"failures: {failures}")
        if facts.subject:
            lines.append(f"tests {facts.subject}" + (f", column {facts.column}" if facts.column else ""))
        details = "\n".join(line for line in lines if line)
        if status in ("fail", "error"):
            verb = "failed" if status == "fail" else "errored"
            self._add(unique_id, f"dbt test {verb}: {facts.name}{on}", asset, severity, True, observed, details)
        elif status == "warn":
            if self.warnings:
                self._add(unique_id, f"dbt test warns: {facts.name}{on}", asset, Severity.SEV3, True, observed,
                          details)
        elif status == "pass":
            self._add(unique_id, f"dbt test passes: {facts.name}{on}", asset, severity, False, observed, details)
        elif status not in NOT_CHECKED:
            self._odd_one(f"unknown status {status!r}: ignored", unique_id)

    def _build(self, unique_id: str, kind: str, status: str, observed: datetime | None, message: str) -> None:
        facts = self._facts(unique_id)
        severity = facts.severity or BUILD_SEVERITY
        if status == "error":
            self._add(unique_id, f"dbt {kind} failed to build: {facts.name}", facts.name, severity, True,
                      observed, message)
        elif status == "partial success":
            self._add(unique_id, f"dbt {kind} partly built: {facts.name}", facts.name, severity, True, observed,
                      "Some batches failed (dbt: partial success). " + message)
        elif status == "success":
            self._add(unique_id, f"dbt {kind} built: {facts.name}", facts.name, severity, False, observed, message)
        elif status not in NOT_CHECKED:
            self._odd_one(f"unknown status {status!r}: ignored", unique_id)

    # ---- sources.json -----------------------------------------------------------------------

    def read_sources(self, artifact: Artifact) -> None:
        seen: set[str] = set()
        for index, result in enumerate(artifact.items(artifact.data, "results", "", required=True)):
            where = f"results[{index}]"
            result = artifact.entry(result, where)
            unique_id, status = self._id_and_status(artifact, result, where, seen)
            checked_at = artifact.moment(result, "snapshotted_at", where)
            loaded_at = artifact.moment(result, "max_loaded_at", where)
            rule = describe_rule(artifact, artifact.object(result, "criteria", where), child(where, "criteria"))
            error = result.get("error")
            message = str(error) if isinstance(error, (str, int)) and not isinstance(error, bool) else ""
            if status in FRESHNESS:
                self.signals.pop(unique_id, None)  # sources.json wins over a run_results entry
                self._freshness(unique_id, status, artifact.generated_at or checked_at, checked_at, loaded_at,
                                message, rule)
            else:
                self._odd_one(f"unknown freshness status {status!r}: ignored", unique_id)
            self.freshness[unique_id] = Freshness(status, checked_at, loaded_at)

    def _freshness(self, unique_id: str, status: str, observed: datetime | None, checked_at: datetime | None,
                   loaded_at: datetime | None, message: str, rule: str) -> None:
        facts = self._facts(unique_id)
        severity = facts.severity or SOURCE_SEVERITY
        age = _age(loaded_at, checked_at)
        lines = [message]
        if loaded_at:
            lines.append(f"newest row loaded at {loaded_at:%Y-%m-%d %H:%M} UTC"
                         + (f", {age} before the check at {checked_at:%Y-%m-%d %H:%M} UTC" if checked_at else ""))
        rule = rule or facts.freshness_rule
        if rule:
            lines.append(f"freshness rule: {rule}")
        details = "\n".join(line for line in lines if line)
        since = f" (last loaded {age} ago)" if age else ""
        if status == "error":
            self._add(unique_id, f"dbt source stale: {facts.label}{since}", facts.name, severity, True, observed,
                      details, started_at=loaded_at)
        elif status == "runtime error":
            self._add(unique_id, f"dbt source freshness check failed: {facts.label}", facts.name, severity, True,
                      observed, details)
        elif status == "warn":
            if self.warnings:
                self._add(unique_id, f"dbt source freshness warns: {facts.label}{since}", facts.name,
                          Severity.SEV3, True, observed, details, started_at=loaded_at)
        else:
            self._add(unique_id, f"dbt source fresh: {facts.label}", facts.name, severity, False, observed, details)

    def add_unchecked_sources(self, observed: datetime | None, sources_label: str) -> None:
        """A source with a freshness rule that sources.json has no result for counts as failed:
        dbt leaves a source out when its freshness query fails, or when it was not selected."""
        if self.manifest is None:
            return
        for unique_id in self.manifest.sources:
            facts = self.manifest.facts[unique_id]
            if facts.freshness_rule and unique_id not in self.freshness:
                details = (f"{facts.label} has a freshness rule ({facts.freshness_rule}) but {sources_label} has "
                           "no result for it: its freshness query failed (dbt leaves those out) or it was not "
                           "selected by `dbt source freshness`.")
                self.signals.pop(unique_id, None)
                self._add(unique_id, f"dbt source freshness not checked: {facts.label}", facts.name,
                          facts.severity or SOURCE_SEVERITY, True, observed, details)

    # ---- shared -----------------------------------------------------------------------------

    def _id_and_status(self, artifact: Artifact, result: dict[str, Any], where: str,
                       seen: set[str]) -> tuple[str, str]:
        unique_id = artifact.text(result, "unique_id", where, required=True)
        if len(unique_id) > KEY_MAX:
            artifact.fail(child(where, "unique_id"), f"is longer than {KEY_MAX} characters")
        status = artifact.text(result, "status", where, required=True).strip().lower()
        if unique_id in seen:
            self._odd_one(f"more than one result in {artifact.label}: the last one is read", unique_id)
            self.signals.pop(unique_id, None)
        seen.add(unique_id)
        return unique_id, status

    def _facts(self, unique_id: str) -> NodeFacts:
        known = self.manifest.facts.get(unique_id) if self.manifest else None
        if known is not None:
            return known
        if self.manifest is not None:
            self._odd_one("not in manifest.json (a manifest from another run?): its name is read from its id",
                          unique_id)
        return facts_from_id(unique_id)

    def _add(self, unique_id: str, title: str, asset: str, severity: Severity, firing: bool,
             observed: datetime | None, details: str, started_at: datetime | None = None) -> None:
        if len(details) > DETAILS_MAX:
            details = details[: DETAILS_MAX - 1] + "…"
        self.signals[unique_id] = Signal(
            origin="dbt", key=unique_id, title=title, asset=asset, severity=severity, firing=firing,
            started_at=started_at, observed_at=observed, link="", details=details, source=DetectionSource.DBT)

    def _odd_one(self, text: str, unique_id: str) -> None:
        self._odd.setdefault(text, []).append(unique_id)

    def flush_notes(self) -> None:
        """One note per kind of oddity, naming the first few nodes, so 5,000 odd results are one line."""
        for text, ids in self._odd.items():
            unique = list(dict.fromkeys(ids))
            named = ", ".join(unique[:3]) + (f" and {len(unique) - 3} more" if len(unique) > 3 else "")
            self.notes.append(f"{named}: {text}")
        self._odd.clear()


def facts_from_id(unique_id: str) -> NodeFacts:
    """What a unique id says alone: `model.cac_pilot.stg_ad_spend` → stg_ad_spend;
    `source.cac_pilot.ads.ad_spend` → ad_spend (shown as ads.ad_spend); a test's id names only
    the test, so its asset stays unknown without the manifest."""
    parts = unique_id.split(".")
    kind = parts[0]
    if kind == "source" and len(parts) >= 4:
        return NodeFacts("source", parts[3], f"{parts[2]}.{parts[3]}")
    name = parts[2] if len(parts) >= 3 else unique_id
    return NodeFacts(kind, name, name)


def _completed(artifact: Artifact, result: dict[str, Any], where: str) -> datetime | None:
    """When a result's last step finished: the run's time when the artifact does not say it."""
    latest = None
    for index, step in enumerate(artifact.items(result, "timing", where)):
        step = artifact.entry(step, f"{where}.timing[{index}]")
        completed = artifact.moment(step, "completed_at", f"{where}.timing[{index}]")
        if completed and (latest is None or completed > latest):
            latest = completed
    return latest


def _age(loaded_at: datetime | None, checked_at: datetime | None) -> str:
    """How old the newest row was when checked: `45 min`, `26h`, `4 days`."""
    if loaded_at is None or checked_at is None:
        return ""
    minutes = max(0, int((checked_at - loaded_at).total_seconds() // 60))
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours}h" if hours < 72 else f"{hours // 24} days"
