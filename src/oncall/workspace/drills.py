"""Reading a workspace's `drills/` folder: each YAML scenario parsed and checked, the good ones
kept by name (the file's stem), the broken ones reported with file, line and field.

The YAML is composed into nodes (PyYAML's safe loader, in Python, refusing aliases and deep
nesting; a file past MAX_BYTES is not read), so every problem can name the line it is on. A file
with any problem is not used; the others load.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from oncall.domain.drills import (
    KINDS, Condition, Inject, Persona, Scenario, Targets, parse_condition, parse_duration,
)
from oncall.domain.severity import Severity
from oncall.domain.text import clean_block, clean_line
from oncall.workspace.safe_yaml import safe_loader

MAX_BYTES = 256_000  # a scenario is a page or two; anything this big is a mistake
MAX_DEPTH = 20  # a scenario nests three levels (injects, an inject, its keys)
MAX_INJECTS = 100
TITLE_MAX = 200  # the drill's incident takes the title (`domain.incident.TITLE_MAX`)
SUFFIXES = (".yaml", ".yml")

TOP_KEYS = ("title", "asset", "severity", "situation", "personas", "injects", "targets")
PERSONA_KEYS = ("name", "role")
INJECT_KEYS = ("at", "from", "kind", "text", "unless", "after")
TARGET_KEYS = ("declare_within", "severity", "roles_within", "first_update_within", "updates_on_cadence",
               "runbook", "resolve_within")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class DrillProblem:
    """One thing wrong in a scenario file, said so a person can go and fix it. `field` is where in
    the scenario (`injects[2].at`, `targets.runbook`); empty for the file as a whole."""

    file: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass
class DrillLibrary:
    """A workspace's scenarios by name, and the problems of the files that could not be used."""

    scenarios: dict[str, Scenario] = field(default_factory=dict)
    problems: list[DrillProblem] = field(default_factory=list)

    def get(self, name: str) -> Scenario | None:
        return self.scenarios.get(name)

    @property
    def broken(self) -> list[Path]:
        """The files not used, each once, in the order their problems are listed."""
        return list(dict.fromkeys(problem.file for problem in self.problems))


def drill_files(folder: Path) -> list[Path]:
    """The scenario files in `folder` (`*.yaml`, `*.yml`; subfolders are not read), by name."""
    try:
        return sorted((path for path in Path(folder).iterdir()
                       if path.suffix.lower() in SUFFIXES and not path.name.startswith(".") and path.is_file()),
                      key=lambda path: path.name)
    except OSError:  # no folder (or not one): no scenarios
        return []


def load_drills(folder: Path, known_assets: set[str] | None = None,
                runbooks: Mapping[str, Iterable[str]] | None = None) -> DrillLibrary:
    """Every scenario in `folder`; a missing folder is an empty library. With `known_assets`, a
    scenario on another asset is a problem; with `runbooks` (runbook id -> its step titles), so is
    a target runbook or a `step "TITLE"` condition that names none of them."""
    library = DrillLibrary()
    claimed: dict[str, Path] = {}
    for path in drill_files(folder):
        scenario, problems = parse_scenario(path, known_assets=known_assets, runbooks=runbooks)
        if path.stem in claimed:
            problems.append(DrillProblem(path, None, "", f"{claimed[path.stem].name} has the same name "
                                                         f"({path.stem}); rename one of them"))
        else:
            claimed[path.stem] = path
        if problems or scenario is None:
            library.problems.extend(problems)
        else:
            library.scenarios[scenario.name] = scenario
    return library


def parse_scenario(path: Path, text: str | None = None, *, known_assets: set[str] | None = None,
                   runbooks: Mapping[str, Iterable[str]] | None = None) -> tuple[Scenario | None, list[DrillProblem]]:
    """One scenario file (read from `path` unless `text` is given): the scenario and no problems,
    or None and every problem found, by line."""
    path = Path(path)
    if text is None:
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                return None, [DrillProblem(path, None, "", f"it is {size:,} bytes; a scenario is at most "
                                                           f"{MAX_BYTES:,}")]
            data = path.read_bytes()
        except OSError as error:
            return None, [DrillProblem(path, None, "", f"cannot read it: {error.strerror or error}")]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            return None, [DrillProblem(path, line, "", f"not UTF-8 text (byte 0x{data[error.start]:02x} on this "
                                                       "line): save the file as UTF-8")]
    elif len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return None, [DrillProblem(path, None, "", f"it is more than {MAX_BYTES:,} bytes; a scenario is at most "
                                                   f"{MAX_BYTES:,}")]
    parser = _Parser(path, known_assets, runbooks)
    scenario = parser.parse(text.removeprefix("\ufeff"))
    problems = sorted(parser.problems, key=lambda problem: problem.line or 0)
    return (scenario if not problems else None), problems


# -- YAML, safely -------------------------------------------------------------------------------------


_Loader = safe_loader("a scenario", MAX_DEPTH)


def _compose(text: str) -> yaml.Node | None:
    return yaml.compose(text, Loader=_Loader)  # noqa: S506 (the safe loader)


def _yaml_error(error: Exception, text: str) -> tuple[int | None, str]:
    """The line and PyYAML's words for what is wrong."""
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    position = getattr(error, "position", None)  # a ReaderError: a character YAML does not allow
    if line is None and isinstance(position, int):
        line = text.count("\n", 0, position) + 1
    problem, context = getattr(error, "problem", None), getattr(error, "context", None)
    if isinstance(error, yaml.reader.ReaderError):
        character = error.character
        code = ord(character) if isinstance(character, str) else character
        message = f"a character YAML does not allow (U+{code:04X})" if isinstance(code, int) \
            else "a character YAML does not allow"
    elif not problem:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
    elif context:
        start = getattr(error, "context_mark", None)
        where = f" that starts on line {start.line + 1}" if start is not None and start.line + 1 != line else ""
        message = f"{problem} ({context}{where})"
    else:
        message = str(problem)
    return line, message


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _did_you_mean(value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _shown(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        value = node.value if len(node.value) <= 40 else node.value[:40] + "…"
        return repr(value)
    return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"


_KIND_WORDS = {yaml.SequenceNode: "a list", yaml.MappingNode: "key: value lines"}


# -- one file -------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, path: Path, known_assets: set[str] | None,
                 runbooks: Mapping[str, Iterable[str]] | None) -> None:
        self.path = path
        self.known_assets = known_assets
        self.runbooks = {key: tuple(steps) for key, steps in runbooks.items()} if runbooks is not None else None
        self.problems: list[DrillProblem] = []
        self.misspelt: set[str] = set()  # fields given under a near-miss key: said once, not twice
        self.broken_personas: set[str] = set()  # said already: an inject from one is not "unknown"

    def problem(self, line: int | None, field_name: str, message: str) -> None:
        self.problems.append(DrillProblem(self.path, line, field_name, message))

    def missing(self, line: int | None, field_name: str, message: str) -> None:
        """A required key not given, unless a near miss of it was reported already."""
        if field_name not in self.misspelt:
            self.problem(line, field_name, message)

    def parse(self, text: str) -> Scenario | None:
        name = self.path.stem
        if not _NAME.match(name):
            self.problem(None, "", f"the file name {self.path.name!r} is the scenario's name, typed in "
                                   "`oncall drill run NAME`: use lowercase letters, digits, '.', '_' and '-'")
        if not text.strip():
            self.problem(1, "", "the file is empty: a scenario has title, asset, severity, situation, personas, "
                                "injects and targets")
            return None
        try:
            root = _compose(text)
        except (yaml.YAMLError, RecursionError) as error:
            line, message = _yaml_error(error, text)
            self.problem(line, "", f"not valid YAML: {message}")
            return None
        if not isinstance(root, yaml.MappingNode):
            self.problem(_line(root) if root is not None else 1, "",
                         "a scenario is key: value lines (title, asset, severity, situation, personas, injects, "
                         "targets)")
            return None
        top = self.mapping(root, "", TOP_KEYS)
        title = self.text(top, root, "title", "", required=True, one_line=True)
        if title and len(title) > TITLE_MAX:
            self.problem(_line(top["title"]), "title", f"the title is {len(title)} characters; at most {TITLE_MAX}")
        asset = self.text(top, root, "asset", "", required=True, one_line=True)
        if asset and self.known_assets is not None and asset not in self.known_assets:
            known = ", ".join(sorted(self.known_assets)) or "none"
            self.problem(_line(top["asset"]), "asset", f"unknown asset {asset!r}{_did_you_mean(asset, self.known_assets)}"
                                                       f"; the assets in oncall.toml are {known}")
        severity = self.severity(top.get("severity"), "severity")
        if "severity" not in top:
            self.missing(_line(root), "severity", "the scenario has no severity (the one a participant should "
                                                  "declare: SEV-1, SEV-2 or SEV-3)")
        situation = self.text(top, root, "situation", "", required=True)
        personas = self.personas(top.get("personas"))
        injects = self.injects(top.get("injects"), root, personas)
        targets = self.targets(top.get("targets"), severity)
        if self.problems or None in (title, asset, severity, situation, injects, targets):
            return None
        return Scenario(name, title, asset, severity, situation, personas, tuple(injects), targets)

    # -- shapes ---------------------------------------------------------------------------------------

    def mapping(self, node: yaml.MappingNode, prefix: str, known: tuple[str, ...]) -> dict[str, yaml.Node]:
        """The keys of a mapping, each with its value node; unknown and repeated keys are problems."""
        found: dict[str, yaml.Node] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(_line(key_node), prefix.rstrip("."), "a key must be a word, not a list or a mapping")
                continue
            key = key_node.value
            where = f"{prefix}{key}"
            if key not in known:
                self.problem(_line(key_node), where, f"unknown key {key!r}{_did_you_mean(key, known)}; known keys: "
                                                     f"{', '.join(known)}")
                self.misspelt.update(f"{prefix}{close}" for close in difflib.get_close_matches(key, known, 1, 0.6))
            elif key in found:
                self.problem(_line(key_node), where, f"given twice (also on line {lines[key]})")
            else:
                found[key], lines[key] = value_node, _line(key_node)
        return found

    def text(self, entries: dict[str, yaml.Node], parent: yaml.Node, key: str, prefix: str, *, required: bool,
             one_line: bool = False) -> str | None:
        where = f"{prefix}{key}"
        node = entries.get(key)
        if node is None:
            if required:
                self.missing(_line(parent), where, f"no {key} given")
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.problem(_line(node), where, f"{key} must be text, not {_KIND_WORDS.get(type(node), 'that')}")
            return None
        value = "" if node.tag.endswith(":null") else node.value  # the text as written: `11:00` stays `11:00`
        value = (" ".join(clean_line(value).split()) if one_line else clean_block(value)).strip()
        if not value:
            self.problem(_line(node), where, f"{key} is empty")
            return None
        return value

    def scalar(self, node: yaml.Node | None, where: str, what: str) -> str | None:
        """The text of a scalar as written, or a problem saying it must be `what`."""
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null") or not node.value.strip():
            self.problem(_line(node), where, f"must be {what}" + (f" (got {_shown(node)})"
                                                                  if isinstance(node, yaml.ScalarNode) else ""))
            return None
        return node.value.strip()

    def severity(self, node: yaml.Node | None, where: str) -> Severity | None:
        text = self.scalar(node, where, "a severity: SEV-1, SEV-2 or SEV-3")
        if text is None:
            return None
        try:
            return Severity.parse(text)
        except ValueError as error:
            self.problem(_line(node), where, str(error))
            return None

    def duration(self, node: yaml.Node | None, where: str) -> timedelta | None:
        text = self.scalar(node, where, "a duration such as 30s, 5m or 1h30m")
        if text is None:
            return None
        try:
            return parse_duration(text)
        except ValueError as error:
            self.problem(_line(node), where, str(error))
            return None

    def condition(self, node: yaml.Node | None, where: str) -> Condition | None:
        text = self.scalar(node, where, 'a condition such as update_sent or step "A STEP\'S TITLE"')
        if text is None:
            return None
        try:
            condition = parse_condition(text)
        except ValueError as error:
            self.problem(_line(node), where, str(error))
            return None
        if condition.kind == "step" and self.runbooks is not None:
            titles = {title for steps in self.runbooks.values() for title in steps}
            if condition.value not in titles:
                self.problem(_line(node), where, f"no runbook has a step titled {condition.value!r}"
                                                 f"{_did_you_mean(condition.value, titles)}")
                return None
        return condition

    # -- sections -------------------------------------------------------------------------------------

    def personas(self, node: yaml.Node | None) -> dict[str, Persona]:
        if node is None:
            return {}
        if not isinstance(node, yaml.MappingNode):
            self.problem(_line(node), "personas", "personas are key: value lines, one per voice, such as "
                                                  'sofia: {name: "Sofia Castro", role: "Marketing analyst"}')
            return {}
        personas: dict[str, Persona] = {}
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or not _NAME.match(key_node.value):
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "that"
                self.problem(_line(key_node), "personas", f"{shown!r} is not a persona id: use lowercase letters, "
                                                          "digits, '.', '_' and '-'")
                continue
            persona_id = key_node.value
            where = f"personas.{persona_id}"
            if persona_id in seen:
                self.problem(_line(key_node), where, "given twice")
                continue
            seen.add(persona_id)
            if isinstance(value_node, yaml.ScalarNode):  # `alerts: dbt Cloud`: a name alone
                name = self.text({"name": value_node}, key_node, "name", where + ".", required=True, one_line=True)
                role = ""
            elif isinstance(value_node, yaml.MappingNode):
                entries = self.mapping(value_node, where + ".", PERSONA_KEYS)
                name = self.text(entries, value_node, "name", where + ".", required=True, one_line=True)
                role = self.text(entries, value_node, "role", where + ".", required=False, one_line=True) or ""
            else:
                self.problem(_line(value_node), where, 'a persona is {name: "…", role: "…"}')
                continue
            if name:
                personas[persona_id] = Persona(persona_id, name, role)
            else:
                self.broken_personas.add(persona_id)
        return personas

    def injects(self, node: yaml.Node | None, root: yaml.Node, personas: dict[str, Persona]) -> list[Inject] | None:
        if node is None:
            self.missing(_line(root), "injects", "no injects given: a scenario scripts at least one event")
            return None
        if not isinstance(node, yaml.SequenceNode):
            self.problem(_line(node), "injects", "injects must be a list, one `- at: …` item per event")
            return None
        if not node.value:
            self.problem(_line(node), "injects", "the list of injects is empty: a scenario scripts at least one event")
            return None
        if len(node.value) > MAX_INJECTS:
            self.problem(_line(node.value[MAX_INJECTS]), "injects", f"{len(node.value)} injects; a scenario has at "
                                                                    f"most {MAX_INJECTS}")
            return None
        injects: list[Inject] = []
        for index, item in enumerate(node.value):
            where = f"injects[{index}]"
            if not isinstance(item, yaml.MappingNode):
                self.problem(_line(item), where, "an inject is key: value lines (at, from, kind, text)")
                continue
            entries = self.mapping(item, where + ".", INJECT_KEYS)
            before = len(self.problems)
            if "at" not in entries:
                self.missing(_line(item), where + ".at", "no at given: when it arrives, such as 5m")
            at = self.duration(entries.get("at"), where + ".at")
            persona = self.scalar(entries.get("from"), where + ".from", "a persona id")
            if "from" not in entries:
                self.missing(_line(item), where + ".from", "no from given: which persona it comes from")
            elif persona is not None and persona not in personas and persona not in self.broken_personas:
                known = ", ".join(personas) or "none (add personas:)"
                self.problem(_line(entries["from"]), where + ".from",
                             f"unknown persona {persona!r}{_did_you_mean(persona, personas)}; the personas are {known}")
            kind = self.scalar(entries.get("kind"), where + ".kind", f"one of {', '.join(KINDS)}") or "message"
            if kind not in KINDS:
                self.problem(_line(entries["kind"]), where + ".kind",
                             f"unknown kind {kind!r}{_did_you_mean(kind, KINDS)}; kinds are {', '.join(KINDS)}")
            text = self.text(entries, item, "text", where + ".", required=True)
            unless = self.condition(entries.get("unless"), where + ".unless")
            after = self.condition(entries.get("after"), where + ".after")
            if len(self.problems) == before and at is not None and persona is not None and text is not None:
                injects.append(Inject(index, at, persona, kind, text, unless, after, _line(item)))
        return injects

    def targets(self, node: yaml.Node | None, severity: Severity | None) -> Targets | None:
        """The targets; the expected severity is one even when `targets:` does not repeat it."""
        if node is None:
            return Targets(severity=severity)
        if not isinstance(node, yaml.MappingNode):
            self.problem(_line(node), "targets", "targets are key: value lines, such as declare_within: 10m")
            return None
        entries = self.mapping(node, "targets.", TARGET_KEYS)
        durations = {key: self.duration(entries.get(key), f"targets.{key}")
                     for key in ("declare_within", "roles_within", "first_update_within", "resolve_within")}
        target_severity = self.severity(entries.get("severity"), "targets.severity")
        if target_severity is not None and severity is not None and target_severity is not severity:
            self.problem(_line(entries["severity"]), "targets.severity",
                         f"{target_severity.value} differs from the scenario's severity {severity.value}: give one")
        on_cadence = False
        if "updates_on_cadence" in entries:
            value = entries["updates_on_cadence"]
            if isinstance(value, yaml.ScalarNode) and value.tag.endswith(":bool"):
                on_cadence = value.value.lower() in ("true", "yes", "on", "y")
            else:
                self.problem(_line(value), "targets.updates_on_cadence", f"must be true or false (got {_shown(value)})")
        runbook = self.scalar(entries.get("runbook"), "targets.runbook", "a runbook id")
        if runbook is not None and self.runbooks is not None and runbook not in self.runbooks:
            known = ", ".join(sorted(self.runbooks)) or "none"
            self.problem(_line(entries["runbook"]), "targets.runbook",
                         f"unknown runbook {runbook!r}{_did_you_mean(runbook, self.runbooks)}; the runbooks are {known}")
        return Targets(durations["declare_within"], target_severity or severity, durations["roles_within"],
                       durations["first_update_within"], on_cadence, runbook, durations["resolve_within"])


def runbook_steps(library: Any) -> dict[str, tuple[str, ...]]:
    """Runbook id -> its step titles, from a `RunbookLibrary` (`workspace/runbooks.py`), for
    `load_drills(..., runbooks=...)`."""
    return {runbook_id: tuple(step.title for step in runbook.steps)
            for runbook_id, runbook in library.runbooks.items()}
