"""Runbooks: step-by-step guides for common data failures, and the evidence a step gathers.

A runbook is a Markdown file with YAML front matter in a workspace's `runbooks/` folder
(`workspace/runbooks.py` reads it; runbooks/README.md is the format for people). This module is
the shape of a parsed runbook and the rules for evidence placeholders: pure, no I/O.

Placeholders come from the incident. In SQL they are bound parameters (`:asset`), never spliced
into the text; in a command an argument that is exactly `{asset}` is replaced whole, so a value can
never become two arguments or a shell expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from oncall.domain.asset import Asset

# What went wrong, as runbooks and incidents name it. A runbook's `applies_to` uses these.
FAILURE_TAGS: tuple[str, ...] = (
    "third-party-api",   # a vendor API or export failed, throttled or changed its answer
    "stale-table",       # a table stopped getting new rows on time
    "bad-file",          # an upstream file arrived corrupted, truncated, mis-encoded or malformed
    "silent-failure",    # the job said success but loaded nothing (or far too little)
    "schema-change",     # a column, type or API field was added, renamed or removed upstream
    "metric-logic",      # a metric's definition, join or filter changed and the number moved
    "infrastructure",    # the warehouse, scheduler, cluster or network itself
    "pipeline-failure",  # a job or task failed outright (and retries did not help)
    "duplicate-data",    # rows loaded twice: a retry, a backfill over a backfill, a bad merge key
    "permissions",       # a credential expired, a grant was revoked, a service account lost access
)

PLACEHOLDERS: tuple[str, ...] = ("asset", "table", "incident", "today")

EVIDENCE_KINDS = ("sql", "command")
DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 3600.0

# The first word of a query that reads. Anything else (INSERT, UPDATE, DELETE, CREATE, ATTACH, …)
# is refused when the runbook is checked; the runner opens the source read-only as well.
READING_KEYWORDS = ("SELECT", "WITH", "PRAGMA", "EXPLAIN", "SHOW", "DESCRIBE", "DESC", "VALUES", "FROM",
                    "SUMMARIZE", "TABLE")
WRITING_KEYWORDS = frozenset({
    "INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "MERGE", "CREATE", "DROP", "ALTER", "TRUNCATE",
    "ATTACH", "DETACH", "VACUUM", "REINDEX", "ANALYZE", "COPY", "GRANT", "REVOKE", "INSTALL", "LOAD",
    "CALL", "EXPORT", "IMPORT", "SET", "RESET", "CHECKPOINT", "BEGIN", "COMMIT", "ROLLBACK",
})


@dataclass(frozen=True)
class Evidence:
    """What a step gathers: a read-only query against a `[[sources]]` entry, or a command."""

    kind: str  # "sql" | "command"
    sql: str  # the query, for kind "sql" ("" otherwise)
    command: tuple[str, ...]  # the argument list, for kind "command" (() otherwise)
    source: str  # the `[[sources]]` name, for kind "sql" ("" otherwise)
    timeout: float  # seconds
    line: int  # the line of the ```evidence fence in the file

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The placeholders it uses, in order of first use."""
        if self.kind == "sql":
            return sql_placeholders(self.sql)
        found: list[str] = []
        for argument in self.command:
            match = _WHOLE_PLACEHOLDER.fullmatch(argument)
            if match and match.group(1) not in found:
                found.append(match.group(1))
        return tuple(found)

    def describe(self) -> str:
        """One line saying what would run: `warehouse: SELECT …` or `dbt source freshness …`."""
        if self.kind == "sql":
            return f"{self.source}: {' '.join(self.sql.split())}"
        return " ".join(_quoted(argument) for argument in self.command)


@dataclass(frozen=True)
class Step:
    number: int  # 1-based
    title: str
    body: str  # Markdown, without the evidence block
    evidence: Evidence | None
    line: int  # the line of its `## ` heading


@dataclass(frozen=True)
class Runbook:
    id: str
    title: str
    applies_to: tuple[str, ...]  # failure tags
    assets: tuple[str, ...]  # asset ids it fits
    asset_kinds: tuple[str, ...]  # asset kinds it fits (dashboard, table, …)
    severity_hint: str | None  # "SEV-1" … "SEV-3"
    owner: str
    last_reviewed: date | None
    summary: str  # Markdown before the first step
    steps: tuple[Step, ...]
    path: Path
    always: bool = False  # suggested for every incident, last (the IC's checklist)

    def step(self, number: int) -> Step:
        return self.steps[number - 1]


@dataclass(frozen=True)
class RunbookProblem:
    """One thing wrong in a runbook file, said so a person can go and fix it."""

    file: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


# -- placeholders -------------------------------------------------------------------------------

_WHOLE_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SQL_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def table_name(asset: Asset) -> str:
    """The asset's table in its data source: its `table` key, else the id with `-` as `_`."""
    return asset.table or asset.id.replace("-", "_")


def placeholder_values(incident: str, asset: Asset | None, today: date) -> dict[str, str]:
    """The values an incident gives the placeholders: `incident` ("INC-16"), `today` (UTC date,
    ISO) and, when it has an asset, `asset` and `table`."""
    values = {"incident": incident, "today": today.isoformat()}
    if asset is not None:
        values["asset"] = asset.id
        values["table"] = table_name(asset)
    return values


def fill_command(evidence: Evidence, values: dict[str, str]) -> list[str]:
    """The command's arguments with each `{placeholder}` argument replaced whole.

    Raises ValueError naming the placeholder when `values` lacks it (an incident with no asset)."""
    filled = []
    for argument in evidence.command:
        match = _WHOLE_PLACEHOLDER.fullmatch(argument)
        if match:
            filled.append(_value(values, match.group(1), "{%s}"))
        else:
            filled.append(argument)
    return filled


def sql_parameters(evidence: Evidence, values: dict[str, str]) -> dict[str, str]:
    """The named parameters the query uses (only those), for binding. Raises ValueError naming a
    placeholder `values` lacks."""
    return {name: _value(values, name, ":%s") for name in sql_placeholders(evidence.sql)}


def _value(values: dict[str, str], name: str, form: str) -> str:
    value = values.get(name)
    if value is None or value == "":
        why = " (the incident has no asset)" if name in ("asset", "table") else ""
        raise ValueError(f"this evidence needs {form % name} and there is no value for it{why}")
    return value


def command_problems(command: tuple[str, ...]) -> list[tuple[int, str]]:
    """What is wrong with a command's placeholders: (index of the argument, message).

    An argument that is exactly `{name}` must name a known placeholder. A known placeholder inside
    a longer argument (`--select={asset}`) is refused: values are never spliced into text. Other
    braces inside an argument are left as written (curl's `%{http_code}`, a jq filter)."""
    problems = []
    for index, argument in enumerate(command):
        whole = _WHOLE_PLACEHOLDER.fullmatch(argument)
        if whole:
            if whole.group(1) not in PLACEHOLDERS:
                problems.append((index, f"unknown placeholder {argument} in the command; known: {_known('{%s}')}"))
            continue
        for match in _WHOLE_PLACEHOLDER.finditer(argument):
            if match.group(1) not in PLACEHOLDERS:
                continue
            name, before = match.group(0), argument[:match.start()]
            hint = (f" (write {before.removesuffix('=')!r}, {name!r} as two arguments)"
                    if before.endswith("=") and match.end() == len(argument) else "")
            problems.append((index, f"placeholder {name} inside the argument {argument!r}: a placeholder must be "
                                    f"a whole argument{hint}"))
    return problems


def sql_placeholders(sql: str) -> tuple[str, ...]:
    """The `:name` parameters of a query (outside strings and comments), in order of first use."""
    found: list[str] = []
    for match in _SQL_PARAMETER.finditer(_blank_literals(sql)):
        if match.group(1) not in found:
            found.append(match.group(1))
    return tuple(found)


def sql_problems(sql: str) -> list[str]:
    """What makes a query unfit for evidence: not one statement, obviously writing, or using
    placeholders other than the known ones (or in another form than `:name`)."""
    code = _blank_literals(sql)
    if not code.strip():
        return ["the query is empty"]
    problems = []
    statements = [part for part in code.split(";") if part.strip()]
    if len(statements) > 1:
        problems.append(f"the query holds {len(statements)} statements; evidence runs one statement")
    words = re.findall(r"[A-Za-z_]+", statements[0]) if statements else []
    first = words[0].upper() if words else ""
    if first not in READING_KEYWORDS:
        what = f"starts with {first}" if first else "does not start with a keyword"
        problems.append(f"the query {what}: evidence only reads (SELECT, WITH, PRAGMA, EXPLAIN, SHOW, DESCRIBE)")
    elif first == "WITH":
        verb = _writing_verb_after_ctes(statements[0])
        if verb:
            problems.append(f"the query writes ({verb} after WITH): evidence only reads")
    for name in sql_placeholders(sql):
        if name not in PLACEHOLDERS:
            problems.append(f"unknown placeholder :{name} in the query; known: {_known(':%s')}")
    for match in _WHOLE_PLACEHOLDER.finditer(sql):
        if match.group(1) in PLACEHOLDERS:
            problems.append(f"{match.group(0)} in the query: in SQL write :{match.group(1)}, a bound parameter")
    if "?" in code:
        problems.append(f"? in the query: use the named placeholders ({_known(':%s')})")
    return problems


def _known(form: str) -> str:
    return ", ".join(form % name for name in PLACEHOLDERS)


def _writing_verb_after_ctes(statement: str) -> str:
    """`WITH x AS (…) DELETE FROM …`: the writing keyword that follows a CTE, if any."""
    depth = 0
    for index, char in enumerate(statement):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                match = re.match(r"\s*([A-Za-z_]+)", statement[index + 1:])
                if match and match.group(1).upper() in WRITING_KEYWORDS:
                    return match.group(1).upper()
    return ""


_LITERALS = re.compile(r"""'(?:[^']|'')*(?:'|\Z)|"(?:[^"]|"")*(?:"|\Z)|`[^`]*(?:`|\Z)|--[^\n]*|/\*.*?(?:\*/|\Z)""",
                       re.S)


def _blank_literals(sql: str) -> str:
    """The query with string literals, quoted identifiers and comments turned to spaces (lines
    kept), so what is left is code: its semicolons, keywords and parameters."""
    return _LITERALS.sub(lambda match: _spaces(match.group()), sql)


def _spaces(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def _quoted(argument: str) -> str:
    return argument if argument and re.fullmatch(r"[\w@%+=:,./{}-]+", argument) else "'" + argument.replace("'", "'\\''") + "'"
