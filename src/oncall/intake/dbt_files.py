"""One dbt artifact file read as JSON, with its schema version checked and its fields read by type.

Every problem is an `ArtifactError` that names the file and the JSON path of the field
(`target/run_results.json: results[3].unique_id is missing`), so a broken artifact is fixed in
one look. The rule for fields: absent or `null` is the default; present with the wrong type is
a malformed artifact. (Free-form user fields such as `meta` are read by `dbt_lineage.py`, which
tolerates anything there.)
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn

# The artifact schema versions written by dbt 1.7 (manifest v11, run-results v5) to 1.11 (manifest
# v12, run-results v6, sources v3). Newer ones are read with a note; older ones are refused.
ACCEPTED_VERSIONS = {"manifest": (11, 12), "run-results": (5, 6), "sources": (3, 3)}
_SCHEMA_URL = re.compile(r"/dbt/(?P<kind>[a-z-]+)/v(?P<version>\d+)\.json$")
_TYPE_NAMES = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number",
               bool: "true or false", type(None): "null"}


class ArtifactError(ValueError):
    """A dbt artifact oncall cannot read: `file` and `path` (a JSON path, "" for the whole file)
    say where, `problem` says what."""

    def __init__(self, file: str, path: str, problem: str) -> None:
        self.file, self.path, self.problem = file, path, problem
        super().__init__(f"{file}: {path} {problem}" if path else f"{file}: {problem}")


def child(where: str, key: str) -> str:
    """`results[3]` + `unique_id` → `results[3].unique_id`; keys with dots are quoted."""
    step = key if key.replace("_", "").replace("-", "").isalnum() else f'["{key}"]'
    if not where:
        return step
    return where + step if step.startswith("[") else f"{where}.{step}"


def type_name(value: object) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


class Artifact:
    """A parsed artifact: `data` is its top-level object; the typed getters raise `ArtifactError`
    naming this file and the field's JSON path."""

    def __init__(self, label: str, kind: str, data: dict[str, Any]) -> None:
        self.label, self.kind, self.data = label, kind, data
        self.metadata: dict[str, Any] = {}
        self.schema_version = 0  # 0: not stated
        self.dbt_version = ""
        self.generated_at: datetime | None = None
        self.invocation_id = ""

    def fail(self, path: str, problem: str) -> NoReturn:
        raise ArtifactError(self.label, path, problem)

    def _get(self, obj: dict[str, Any], key: str, where: str, kinds: tuple[type, ...], wanted: str,
             required: bool) -> Any:
        value = obj.get(key)
        if value is None:
            if required:
                self.fail(child(where, key), "is missing" if key not in obj else "is null")
            return None
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            self.fail(child(where, key), f"should be {wanted}, not {type_name(value)}")
        return value

    def text(self, obj: dict[str, Any], key: str, where: str, *, required: bool = False) -> str:
        value = self._get(obj, key, where, (str,), "a string", required)
        if required and not value:
            self.fail(child(where, key), "is empty")
        return value or ""

    def object(self, obj: dict[str, Any], key: str, where: str, *, required: bool = False) -> dict[str, Any]:
        return self._get(obj, key, where, (dict,), "an object", required) or {}

    def items(self, obj: dict[str, Any], key: str, where: str, *, required: bool = False) -> list[Any]:
        return self._get(obj, key, where, (list,), "a list", required) or []

    def number(self, obj: dict[str, Any], key: str, where: str) -> float | None:
        value = self._get(obj, key, where, (int, float), "a number", False)
        return None if value is None else float(value)

    def count(self, obj: dict[str, Any], key: str, where: str) -> int | None:
        return self._get(obj, key, where, (int,), "a whole number", False)

    def moment(self, obj: dict[str, Any], key: str, where: str) -> datetime | None:
        """A dbt timestamp (`2026-11-30T04:45:43.287757Z`, or naive: dbt writes UTC) as aware UTC."""
        value = self._get(obj, key, where, (str,), "a timestamp string", False)
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(child(where, key), f"is not a timestamp: {value[:40]!r}")
        return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)

    def entry(self, value: Any, where: str) -> dict[str, Any]:
        """An element of a list or a map that must be an object."""
        if not isinstance(value, dict):
            self.fail(where, f"should be an object, not {type_name(value)}")
        return value


def load_artifact(path: Path, kind: str, notes: list[str]) -> Artifact:
    """Read `path` as the dbt artifact `kind` (manifest, run-results, sources); oddities that do
    not stop the reading are appended to `notes`."""
    label = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ArtifactError(label, "", f"cannot be read ({error.strerror or error})") from error
    try:
        data = json.loads(raw)
    except UnicodeDecodeError as error:
        raise ArtifactError(label, "", f"is not UTF-8 text (byte {error.start})") from error
    except json.JSONDecodeError as error:
        # An unterminated string runs to the end of the file: cut short, like a value missing at the end.
        ends_early = error.pos >= len(error.doc.rstrip()) or error.msg.startswith("Unterminated string")
        where = "the file ends before the JSON does (truncated?)" if ends_early else (
            f"{error.msg} (line {error.lineno}, column {error.colno})")
        raise ArtifactError(label, "", f"is not valid JSON: {where}") from error
    except RecursionError:
        raise ArtifactError(label, "", "is not JSON oncall can read: nested too deeply") from None
    except ValueError as error:  # a number of more than 4,300 digits (Python's guard against slow parsing)
        raise ArtifactError(label, "", f"is not JSON oncall can read: {str(error).split(';')[0]}") from None
    if not isinstance(data, dict):
        raise ArtifactError(label, "", f"should hold a JSON object, not {type_name(data)}")
    artifact = Artifact(label, kind, data)
    metadata = artifact.object(data, "metadata", "")
    artifact.metadata = metadata
    artifact.dbt_version = artifact.text(metadata, "dbt_version", "metadata")
    artifact.generated_at = artifact.moment(metadata, "generated_at", "metadata")
    artifact.invocation_id = artifact.text(metadata, "invocation_id", "metadata")
    _check_version(artifact, artifact.text(metadata, "dbt_schema_version", "metadata"), notes)
    return artifact


def _check_version(artifact: Artifact, url: str, notes: list[str]) -> None:
    name = Path(artifact.label).name
    if not url:
        notes.append(f"{name} does not say its schema version (metadata.dbt_schema_version): read as "
                     f"{artifact.kind} v{ACCEPTED_VERSIONS[artifact.kind][1]}")
        return
    match = _SCHEMA_URL.search(url)
    if match is None:
        notes.append(f"{name} has a schema version oncall does not recognise ({url[:80]}): read as "
                     f"{artifact.kind} v{ACCEPTED_VERSIONS[artifact.kind][1]}")
        return
    kind, version = match["kind"], int(match["version"])
    if kind != artifact.kind:
        artifact.fail("metadata.dbt_schema_version", f"says this is a {kind} artifact ({url}), not {artifact.kind}")
    oldest, newest = ACCEPTED_VERSIONS[kind]
    span = f"v{oldest}" if oldest == newest else f"v{oldest}–v{newest}"
    if version < oldest:
        artifact.fail("metadata.dbt_schema_version",
                      f"is {kind} v{version}, older than oncall reads ({span}, as dbt 1.7 to 1.11 write)")
    if version > newest:
        notes.append(f"{name} is {kind} v{version}, newer than oncall knows ({span}): read as v{newest}")
    artifact.schema_version = version
