"""oncall.toml, read into pydantic models.

Loading is forgiving by design: a broken entry (one person, one asset, an unknown key) is
reported with the file, line and key and what was expected, and the rest still loads, so one
mistake never stops the console from starting. Only unreadable TOML loses the whole file,
and then the message says where the syntax broke.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, PrivateAttr

from oncall.domain.asset import Asset
from oncall.domain.cadence import CommsSettings
from oncall.domain.raci import DEFAULT_CHART, RaciChart, parse_raci
from oncall.domain.people import Person, Rotation, RotationOverride, localize_override
from oncall.domain.sources import Source
from oncall.workspace.drills_config import DrillsConfig
from oncall.workspace.email_config import EmailConfig
from oncall.workspace.sync_config import JiraConfig, SlackConfig


class WorkspaceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "oncall workspace"
    database: str = ""  # relative to the workspace folder; empty means the user's data directory
    backups: int = Field(default=7, ge=0, le=1000)  # daily backups kept beside the database; 0 turns them off


class MetricsSettings(BaseModel):
    """`[metrics]`: the time zone whose midnights start the months of `oncall metrics`, `oncall
    review` and the metrics screen (default UTC)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_zone: str = "UTC"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from oncall.domain.people import zone_named

        try:
            zone_named(value)
        except ValueError:
            raise ValueError("unknown time zone; use an IANA name like Europe/Berlin or America/New_York "
                             "(or UTC)") from None
        return "UTC" if value.strip().upper() == "UTC" else value.strip()


class Config(BaseModel):
    model_config = ConfigDict(frozen=False, arbitrary_types_allowed=True)

    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    people: list[Person] = Field(default_factory=list)
    rotation: Rotation | None = None
    assets: list[Asset] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)  # SQLite and DuckDB files runbook evidence may query
    jira: JiraConfig | None = None
    slack: SlackConfig | None = None
    email: EmailConfig | None = None  # stakeholder updates by email (SMTP with STARTTLS)
    raci: RaciChart = DEFAULT_CHART  # the source document's chart, with any [raci] override applied
    comms: CommsSettings = Field(default_factory=CommsSettings)  # the update cadence by severity
    drills: DrillsConfig = Field(default_factory=DrillsConfig)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    # oncall.toml's own assets, kept when dbt's lineage is merged into `assets` (`store/lineage.py`)
    _configured_assets: list[Asset] | None = PrivateAttr(default=None)

    @property
    def configured_assets(self) -> list[Asset]:
        """The assets oncall.toml lists, without what a dbt manifest added."""
        return self._configured_assets if self._configured_assets is not None else self.assets

    def person(self, person_id: str | None) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)

    def name_of(self, person_id: str) -> str:
        """A person's name from the roster; the id itself when the roster does not know them."""
        person = self.person(person_id)
        return person.name if person else person_id

    def asset(self, asset_id: str) -> Asset | None:
        return next((a for a in self.assets if a.id == asset_id), None)

    def source(self, name: str) -> Source | None:
        return next((s for s in self.sources if s.name == name), None)


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in a workspace file, said so a person can go and fix it."""

    file: Path
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        key = f" [{self.key}]" if self.key else ""
        return f"{where}:{key} {self.message}"


class ConfigError(Exception):
    """The file cannot be used at all (it is missing or not TOML)."""

    def __init__(self, problem: ConfigProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


_SECTIONS: dict[str, type[BaseModel]] = {
    "workspace": WorkspaceSettings,
    "rotation": Rotation,
    "jira": JiraConfig,
    "slack": SlackConfig,
    "email": EmailConfig,
    "comms": CommsSettings,
    "drills": DrillsConfig,
    "metrics": MetricsSettings,
}
_LISTS: dict[str, type[BaseModel]] = {"people": Person, "assets": Asset, "sources": Source}


def load_config(path: Path) -> tuple[Config, list[ConfigProblem]]:
    """Read `oncall.toml`; return what loaded and every problem found."""
    try:
        text = path.read_text("utf-8-sig")  # a byte-order mark is not content
    except FileNotFoundError:
        raise ConfigError(ConfigProblem(path, None, "", "no such file; create one with `oncall init`")) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(ConfigProblem(path, None, "", f"cannot read it: {error}")) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = _line_of_decode_error(error)
        raise ConfigError(ConfigProblem(path, line, "", f"not valid TOML: {error}")) from None
    return parse_config(raw, path, text)


def parse_config(raw: dict[str, Any], path: Path, text: str = "") -> tuple[Config, list[ConfigProblem]]:
    locator = _Locator(text)
    problems: list[ConfigProblem] = []
    values: dict[str, Any] = {}
    overrides: list[tuple[int, RotationOverride]] = []  # (index in the file, override) of those that loaded
    for key, value in raw.items():
        if key in _SECTIONS:
            entries = None
            if key == "rotation" and isinstance(value, dict) and "overrides" in value:
                # Each [[rotation.overrides]] entry is checked on its own: a bad one is dropped, not the rotation.
                entries, value = value["overrides"], {k: v for k, v in value.items() if k != "overrides"}
            section = _validate_keeping_the_rest(_SECTIONS[key], value, path, key, locator, locator.section(key),
                                                 problems)
            if isinstance(section, Rotation) and entries is not None:
                overrides = _rotation_overrides(section, entries, path, locator, problems)
                section = section.model_copy(update={"overrides": [override for _, override in overrides]})
            if section is not None:
                values[key] = section
        elif key == "raci":
            chart, found = parse_raci(value)
            values["raci"] = chart  # a bad activity keeps the document's row; the rest applies
            table = locator.section("raci")
            for dotted, message in found:
                parts = dotted.split(".")
                line = locator.key_in(table, parts[1]) if len(parts) > 1 else None
                problems.append(ConfigProblem(path, line or table or locator.key("raci"), dotted, message))
        elif key in _LISTS:
            model = _LISTS[key]
            if not isinstance(value, list):
                problems.append(ConfigProblem(path, locator.key(key), key, f"expected [[{key}]] entries, found {type(value).__name__}"))
                continue
            entries = []
            for index, entry in enumerate(value):
                loaded = _validate_keeping_the_rest(model, entry, path, f"{key}[{index}]", locator,
                                                    locator.array_entry(key, index), problems)
                if loaded is not None:
                    entries.append(loaded)
            values[key] = entries
        else:
            known = ", ".join(sorted([*_SECTIONS, *_LISTS, "raci"]))
            problems.append(ConfigProblem(path, locator.key(key), key, f"unknown key; known keys are {known}"))
    config = Config(**values)
    problems.extend(_cross_checks(config, path, locator, overrides))
    rotation, roster = config.rotation, {p.id for p in config.people}
    if rotation and any(person not in roster for person in
                        [*rotation.people, *([rotation.secondary] if rotation.secondary else []),
                         *(o.person for o in rotation.overrides)]):
        # Reported above; someone not on the roster is never put on call (nor made an IC): an override
        # naming them is dropped, a secondary naming them gives way to the next person in the rotation.
        config.rotation = rotation.model_copy(update={
            "people": [person for person in rotation.people if person in roster],
            "secondary": rotation.secondary if rotation.secondary in roster else None,
            "overrides": [o for o in rotation.overrides if o.person in roster],
        })
    return config, problems


def _rotation_overrides(rotation: Rotation, entries: Any, path: Path, locator: "_Locator",
                        problems: list["ConfigProblem"]) -> list[tuple[int, RotationOverride]]:
    """The `[[rotation.overrides]]` entries that load, with their place in the file; naive times
    and dates in them are read in the rotation's time zone."""
    table = locator.section("rotation")
    if not isinstance(entries, list):
        problems.append(ConfigProblem(path, locator.key_in(table, "overrides") or locator.find("rotation.overrides"),
                                      "rotation.overrides",
                                      f"expected [[rotation.overrides]] entries, found {type(entries).__name__}"))
        return []
    loaded = []
    for index, entry in enumerate(entries):
        line = locator.array_entry("rotation.overrides", index) or locator.key_in(table, "overrides")
        override = _validate_keeping_the_rest(RotationOverride, localize_override(entry, rotation.zone), path,
                                              f"rotation.overrides[{index}]", locator, line, problems)
        if isinstance(override, RotationOverride):
            loaded.append((index, override))
    return loaded


def _validate_keeping_the_rest(model: type[BaseModel], value: Any, path: Path, prefix: str, locator: "_Locator",
                               table: int | None, problems: list["ConfigProblem"]) -> BaseModel | None:
    """Validate one table or entry. A bad key is reported and dropped, and the rest of its table
    still loads (an unknown `timezone` in [workspace] must not lose `database`); only a table
    that is not a table, or that lacks a required key, is dropped whole."""
    dropped: set[str] = set()
    while True:
        try:
            return model.model_validate(value)
        except ValidationError as error:
            details = error.errors()
            # A required key dropped for being wrong was reported already: not again as missing.
            fresh = [d for d in details if not (d["type"] == "missing" and d["loc"] and d["loc"][0] in dropped)]
            if fresh:
                problems.extend(_problems(fresh, path, prefix, locator, table))
            bad = {str(d["loc"][0]) for d in details if d["loc"] and d["type"] != "missing"}
            if not isinstance(value, dict) or any(d["type"] == "missing" for d in details) or not bad & set(value):
                return None
            dropped |= bad
            value = {k: v for k, v in value.items() if k not in bad}


def _cross_checks(config: Config, path: Path, locator: "_Locator",
                  overrides: list[tuple[int, RotationOverride]] = ()) -> list[ConfigProblem]:
    problems = []
    people = {p.id for p in config.people}
    assets = {a.id for a in config.assets}
    for kind, ids in (("people", [p.id for p in config.people]), ("assets", [a.id for a in config.assets])):
        seen: dict[str, int] = {}
        for item_id in ids:
            if item_id in seen:
                # Point at the repeated entry, not the first one.
                line = locator.entry_with_id(kind, item_id, occurrence=seen[item_id])
                problems.append(ConfigProblem(path, line, kind, f"id {item_id!r} appears twice"))
            seen[item_id] = seen.get(item_id, 0) + 1
    named: dict[str, int] = {}
    for source in config.sources:
        if source.name in named:
            # Evidence naming it would be ambiguous: the first entry is the one used.
            line = locator.entry_with_key("sources", "name", source.name, occurrence=named[source.name])
            problems.append(ConfigProblem(path, line, "sources", f"name {source.name!r} appears twice; "
                                                                 "the first entry is used"))
        named[source.name] = named.get(source.name, 0) + 1
    if config.rotation:
        rotation = locator.section("rotation")
        for person_id in config.rotation.people:
            if person_id not in people:
                problems.append(ConfigProblem(path, locator.value_in(rotation, person_id), "rotation.people", f"{person_id!r} is not on the roster ([[people]] ids: {', '.join(sorted(people)) or 'none'})"))
        secondary = config.rotation.secondary
        if secondary is not None and secondary not in people:
            problems.append(ConfigProblem(path, locator.key_in(rotation, "secondary"), "rotation.secondary", f"{secondary!r} is not on the roster ([[people]] ids: {', '.join(sorted(people)) or 'none'}); the next person in the rotation backs up instead"))
        for index, override in overrides:
            if override.person not in people:
                entry = locator.array_entry("rotation.overrides", index)
                problems.append(ConfigProblem(path, locator.key_in(entry, "person") if entry else locator.value_in(rotation, override.person), f"rotation.overrides[{index}].person", f"{override.person!r} is not on the roster ([[people]] ids: {', '.join(sorted(people)) or 'none'}); this override is left out"))
    for asset in config.assets:
        entry = locator.entry_with_id("assets", asset.id)
        for upstream in asset.upstream:
            if upstream not in assets:
                problems.append(ConfigProblem(path, locator.value_in(entry, upstream), f"assets.{asset.id}.upstream", f"{upstream!r} is not a known asset id"))
        if asset.owner and asset.owner not in people:
            problems.append(ConfigProblem(path, locator.value_in(entry, asset.owner), f"assets.{asset.id}.owner", f"{asset.owner!r} is not on the roster"))
    return problems


def _problems(
    details: list[Any], path: Path, prefix: str, locator: "_Locator", table: int | None
) -> list[ConfigProblem]:
    """One problem per validation error (`ValidationError.errors()`), on the line of the key it is
    about (else the table's)."""
    found = []
    for detail in details:
        loc = ".".join(str(part) for part in detail["loc"])
        line = locator.key_in(table, str(detail["loc"][0])) if detail["loc"] else table
        key = f"{prefix}.{loc}" if loc else prefix
        message = detail["msg"].removeprefix("Value error, ")  # what our own validators say, as they say it
        if detail["type"] == "extra_forbidden":
            message = "unknown key"
        elif detail["type"] == "missing":
            message = "required value is missing"
        given = detail.get("input")
        if detail["type"] not in ("missing", "extra_forbidden") and not isinstance(given, (dict, list)):
            # Times as they are written in TOML, not as Python's repr of them.
            message += f" (got {given.isoformat() if isinstance(given, (date, time)) else repr(given)})"
        found.append(ConfigProblem(path, line, key, message))
    return found


class _Locator:
    """Finds the line a key or table starts on, so messages can point at it."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def find(self, needle: str) -> int | None:
        for number, line in enumerate(self.lines, start=1):
            if needle in line and not line.lstrip().startswith("#"):
                return number
        return None

    def key(self, key: str) -> int | None:
        pattern = re.compile(rf"^\s*(\[\[?\s*{re.escape(key)}\s*\]\]?|{re.escape(key)}\s*=)")
        for number, line in enumerate(self.lines, start=1):
            if pattern.match(line):
                return number
        return None

    def section(self, key: str) -> int | None:
        """The line of the `[key]` table header (not a `key = …` elsewhere: `email` is also a key
        of every [[people]] entry); else the first line that sets `key`."""
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(key)}\s*\]\]?")
        found = next((n for n, line in enumerate(self.lines, start=1) if header.match(line)), None)
        return found if found is not None else self.key(key)

    def _table_body(self, start: int) -> range:
        """The line numbers after the header on line `start`, up to the next table header."""
        end = start
        while end < len(self.lines) and not re.match(r"^\s*\[", self.lines[end]):
            end += 1
        return range(start + 1, end + 1)

    def key_in(self, table: int | None, key: str) -> int | None:
        """The line of `key = ...` in the table whose header is on line `table`, else that header."""
        if table is None:
            return None
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        return next((n for n in self._table_body(table) if pattern.match(self.lines[n - 1])), table)

    def value_in(self, table: int | None, value: str) -> int | None:
        """The line in that table where the string `value` is written, else its header."""
        if table is None:
            return self.find(f'"{value}"')
        pattern = re.compile(rf"[\"']{re.escape(value)}[\"']")
        return next((n for n in self._table_body(table) if pattern.search(self.lines[n - 1])), table)

    def entry_with_id(self, key: str, item_id: str, occurrence: int = 0) -> int | None:
        """The `id = ...` line of the `[[key]]` entry with that id (the nth one, if repeated)."""
        return self.entry_with_key(key, "id", item_id, occurrence)

    def entry_with_key(self, key: str, field: str, item_id: str, occurrence: int = 0) -> int | None:
        """The `field = ...` line of the `[[key]]` entry where it is `item_id` (the nth, if repeated)."""
        pattern = re.compile(rf"^\s*{re.escape(field)}\s*=\s*[\"']{re.escape(item_id)}[\"']")
        found = [
            n for start in self._entries(key) for n in self._table_body(start) if pattern.match(self.lines[n - 1])
        ]
        return found[occurrence] if occurrence < len(found) else self.find(f'"{item_id}"')

    def _entries(self, key: str) -> list[int]:
        pattern = re.compile(rf"^\s*\[\[\s*{re.escape(key)}\s*\]\]")
        return [n for n, line in enumerate(self.lines, start=1) if pattern.match(line)]

    def array_entry(self, key: str, index: int) -> int | None:
        entries = self._entries(key)
        return entries[index] if index < len(entries) else None


def _line_of_decode_error(error: tomllib.TOMLDecodeError) -> int | None:
    match = re.search(r"line (\d+)", str(error))
    return int(match.group(1)) if match else None
