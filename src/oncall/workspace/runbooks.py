"""Reading a workspace's `runbooks/` folder: each Markdown file parsed and checked, the good ones
indexed for suggestions, the broken ones kept with what is wrong (file and line).

Front matter and evidence blocks are YAML (PyYAML's safe loader); headings and fences are found by
markdown-it-py, with inline parsing switched off since only the block structure matters. Parsed
files are cached by name, modification time and size, so reloading after an edit reads only the
files that changed; suggestions come from in-memory indexes.
"""

from __future__ import annotations

import difflib
import os
import re
import reprlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from markdown_it import MarkdownIt

from oncall.workspace.safe_yaml import safe_loader

from oncall.domain.runbook import (
    DEFAULT_TIMEOUT, FAILURE_TAGS, MAX_TIMEOUT, Evidence, Runbook, RunbookProblem, Step, command_problems,
    sql_problems,
)

if TYPE_CHECKING:
    from oncall.domain.asset import Asset

MAX_BYTES = 2_000_000  # a runbook is a page of text; a file this big is a mistake, not a runbook
MAX_DEPTH = 20  # nesting in front matter or an evidence block: a list in a table is two


_SafeLoader = safe_loader("a runbook", MAX_DEPTH)


_SHOWN = reprlib.Repr()
_SHOWN.maxlevel, _SHOWN.maxstring, _SHOWN.maxother, _SHOWN.maxlist, _SHOWN.maxdict = 2, 60, 60, 6, 6


def _shown(value: Any) -> str:
    """A value from the file as a message quotes it: short, however big or deep it is."""
    return _SHOWN.repr(value)

ASSET_KINDS = ("dashboard", "table", "pipeline", "source", "model")
SEVERITIES = ("SEV-1", "SEV-2", "SEV-3")
FRONT_MATTER_KEYS = ("id", "title", "applies_to", "assets", "asset_kinds", "severity_hint", "owner",
                     "last_reviewed", "always")
EVIDENCE_KEYS = ("sql", "command", "source", "timeout")
README_NAMES = {"readme.md"}
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

_markdown = MarkdownIt("commonmark")
_markdown.disable(["inline", "text_join"], ignoreInvalid=True)  # headings' text is all we read of a line


def _safe_load(text: str) -> Any:
    return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 (the safe loader)


# -- one file ---------------------------------------------------------------------------------


@dataclass
class _Parsed:
    """What one file gave: the runbook (None when anything is wrong), every problem, and what the
    library checks across files (the id it claims, the sources its evidence names)."""

    runbook: Runbook | None
    problems: list[RunbookProblem]
    id: str | None = None
    id_line: int | None = None
    sources: list[tuple[str, int]] = field(default_factory=list)  # (source name, line)


def parse_runbook(path: Path, text: str | None = None, *,
                  source_names: set[str] | None = None) -> tuple[Runbook | None, list[RunbookProblem]]:
    """Parse one runbook file (read from `path` unless `text` is given).

    Returns the runbook and no problems, or None and every problem found, each with its line. With
    `source_names`, evidence naming a source not among them is a problem too."""
    parsed = _parse(path, text)
    problems = _by_line(parsed.problems + _source_problems(parsed, path, source_names))
    return (parsed.runbook if not problems else None), problems


def _parse(path: Path, text: str | None) -> _Parsed:
    if text is None:
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                return _Parsed(None, [RunbookProblem(path, None, f"it is {size:,} bytes; a runbook is at most "
                                                                 f"{MAX_BYTES:,}")])
            data = path.read_bytes()
        except OSError as error:
            return _Parsed(None, [RunbookProblem(path, None, f"cannot read it: {error.strerror or error}")])
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            return _Parsed(None, [RunbookProblem(
                path, line, f"not UTF-8 text (byte 0x{data[error.start]:02x} on this line): save the file as UTF-8")])
    return _Parser(path, text).parse()


class _Parser:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.problems: list[RunbookProblem] = []
        self.sources: list[tuple[str, int]] = []

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(RunbookProblem(self.path, line, message))

    def parse(self) -> _Parsed:
        if not any(line.strip() for line in self.lines):
            self.problem(1, "the file is empty: a runbook starts with front matter (a line `---`, then id, title "
                            "and applies_to in YAML, then `---`) and has a `## ` heading for each step")
            return _Parsed(None, self.problems)
        if self.lines[0].rstrip() != "---":
            self.problem(1, "no front matter: a runbook starts with a line `---`, then id, title and applies_to "
                            "in YAML, then a line `---` (see runbooks/README.md)")
            return _Parsed(None, self.problems)
        close = next((n for n in range(1, len(self.lines)) if self.lines[n].rstrip() in ("---", "...")), None)
        if close is None:
            self.problem(1, "the front matter that starts here is never closed with a line `---`")
            return _Parsed(None, self.problems)
        meta = self.front_matter(close)
        summary, steps = self.body(close + 1)
        rb_id, id_line = meta.get("id"), self.key_line(close, "id")
        if meta.get("_fatal") or self.problems or not steps:
            return _Parsed(None, self.problems, rb_id, id_line, self.sources)
        runbook = Runbook(
            id=meta["id"], title=meta["title"], applies_to=meta["applies_to"], assets=meta["assets"],
            asset_kinds=meta["asset_kinds"], severity_hint=meta["severity_hint"], owner=meta["owner"],
            last_reviewed=meta["last_reviewed"], summary=summary, steps=tuple(steps), path=self.path,
            always=meta["always"],
        )
        return _Parsed(runbook, [], rb_id, id_line, self.sources)

    # -- front matter ------------------------------------------------------------------------

    def key_line(self, close: int, key: str) -> int:
        """The line of `key:` in the front matter, else the opening `---`."""
        pattern = re.compile(rf"^{re.escape(key)}\s*:")
        return next((n + 1 for n in range(1, close) if pattern.match(self.lines[n])), 1)

    def front_matter(self, close: int) -> dict[str, Any]:
        text = "\n".join(self.lines[1:close])
        try:
            raw = _safe_load(text) if text.strip() else None
        except (yaml.YAMLError, RecursionError) as error:
            mark = getattr(error, "problem_mark", None)
            line = 2 + mark.line if mark is not None else 1
            self.problem(line, f"the front matter is not valid YAML: {_yaml_message(error, 2)}")
            return {"_fatal": True}
        if not isinstance(raw, dict):
            what = "empty" if raw is None else f"a {_yaml_type(raw)}, not key: value lines"
            self.problem(1, f"the front matter is {what}: it needs id, title and applies_to")
            return {"_fatal": True}
        meta: dict[str, Any] = {}
        line = lambda key: self.key_line(close, key)  # noqa: E731

        for key in raw:
            if key not in FRONT_MATTER_KEYS:
                self.problem(line(str(key)), f"unknown key {key!r} in the front matter{_did_you_mean(str(key), FRONT_MATTER_KEYS)}; "
                                             f"known keys: {', '.join(FRONT_MATTER_KEYS)}")
        for key in ("id", "title"):
            value = raw.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                self.problem(line(key) if key in raw else 1, f"the front matter has no {key}")
                meta["_fatal"] = True
            elif not isinstance(value, str):
                self.problem(line(key), f"{key} must be text (got {_shown(value)}); put it in quotes")
                meta["_fatal"] = True
            else:
                meta[key] = value.strip()
        if "id" in meta and not _ID.match(meta["id"]):
            self.problem(line("id"), f"id {meta['id']!r} must be lowercase letters, digits, '.', '_' or '-' "
                                     "(it is typed on the command line), starting with a letter or digit")
            meta["_fatal"] = True

        before = len(self.problems)
        meta["applies_to"] = self.tags(raw, "applies_to", FAILURE_TAGS, "tag", line)
        meta["assets"] = self.texts(raw, "assets", line)
        meta["asset_kinds"] = self.tags(raw, "asset_kinds", ASSET_KINDS, "asset kind", line)
        meta["always"] = raw.get("always", False)
        if not isinstance(meta["always"], bool):
            self.problem(line("always"), f"always must be true or false (got {_shown(meta['always'])})")
            meta["always"] = False
        fits = meta["applies_to"] or meta["assets"] or meta["asset_kinds"] or meta["always"]
        if not fits and len(self.problems) == before:  # (a misspelt tag was said already)
            self.problem(line("applies_to"),
                         "the runbook says nothing it fits, so it would never be suggested: give applies_to "
                         f"failure tags ({', '.join(FAILURE_TAGS)}), or assets, asset_kinds, or always: true")

        severity = raw.get("severity_hint")
        meta["severity_hint"] = None
        if severity is not None:
            match = re.fullmatch(r"(?:SEV[- _]?)?([123])", str(severity).strip().upper())
            if match:
                meta["severity_hint"] = f"SEV-{match.group(1)}"
            else:
                self.problem(line("severity_hint"), f"severity_hint must be one of {', '.join(SEVERITIES)} "
                                                    f"(got {_shown(severity)})")
        owner = raw.get("owner", "")
        if not isinstance(owner, str):
            self.problem(line("owner"), f"owner must be text: a team or a roster id (got {_shown(owner)})")
            owner = ""
        meta["owner"] = owner.strip()
        meta["last_reviewed"] = self.review_date(raw.get("last_reviewed"), line)
        return meta

    def tags(self, raw: dict, key: str, known: tuple[str, ...], what: str, line) -> tuple[str, ...]:
        values = self.texts(raw, key, line)
        good = []
        for value in values:
            if value in known:
                good.append(value)
            else:
                self.problem(line(key), f"unknown {what} {_shown(value)} in {key}{_did_you_mean(value, known)}; "
                                        f"known {what}s: {', '.join(known)}")
        return tuple(dict.fromkeys(good))

    def texts(self, raw: dict, key: str, line) -> tuple[str, ...]:
        value = raw.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(line(key), f"{key} must be a list of names, such as [a, b] (got {_shown(value)})")
            return ()
        return tuple(v.strip() for v in value)

    def review_date(self, value: Any, line) -> date | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.problem(line("last_reviewed"), f"last_reviewed must be a date such as 2026-01-31 (got {_shown(value)})")
            return None

    # -- steps --------------------------------------------------------------------------------

    def body(self, start: int) -> tuple[str, list[Step]]:
        """The summary before the first `## ` heading and the steps, from the line after the front
        matter (`start`, 0-based)."""
        body_lines = self.lines[start:]
        tokens = _markdown.parse("\n".join(body_lines))
        headings: list[tuple[int, int, str]] = []  # (first line, line after, title), 0-based in the body
        fences: list[tuple[int, int, str]] = []  # evidence blocks: (first line, line after, content)
        for index, token in enumerate(tokens):
            if token.type == "heading_open" and token.tag == "h2" and token.level == 0 and token.map:
                headings.append((token.map[0], token.map[1], tokens[index + 1].content.strip()))
            elif token.type == "fence" and token.map and token.info.strip().split()[:1] == ["evidence"]:
                fences.append((token.map[0], token.map[1], token.content))
                closing = body_lines[token.map[1] - 1].strip() if token.map[1] - 1 > token.map[0] else ""
                if not (closing.startswith(token.markup) and not closing.strip(token.markup[0])):
                    self.problem(start + token.map[0] + 1, f"the evidence block that starts here is never closed "
                                                          f"with a line {token.markup}")
        ends = [h[0] for h in headings[1:]] + [len(body_lines)]
        first = headings[0][0] if headings else len(body_lines)
        for fence in fences:
            if fence[0] < first:
                self.problem(start + fence[0] + 1, "an evidence block before the first step: put it under the "
                                                   "`## ` heading of the step it belongs to")
        summary = "\n".join(body_lines[:first]).strip()
        if not headings:
            self.problem(start + 1 if start < len(self.lines) else start,
                         "no steps: each step is a `## ` heading followed by what to do and what to look for")
            return summary, []
        steps = []
        for number, ((top, after, title), end) in enumerate(zip(headings, ends), start=1):
            line = start + top + 1
            mine = [fence for fence in fences if after <= fence[0] < end]
            kept = [n for n in range(after, end) if not any(f[0] <= n < f[1] for f in mine)]
            text = "\n".join(body_lines[n] for n in kept).strip("\n")
            if not title:
                self.problem(line, f"step {number} has a `## ` heading with no title: name the action, such as "
                                   "\"## Check when the table last loaded\"")
            if not text.strip():
                self.problem(line, f"step {number} ({title or 'untitled'}) has no text under its heading: say what "
                                   "to do and what to look for")
            if len(mine) > 1:
                self.problem(start + mine[1][0] + 1, f"step {number} has {len(mine)} evidence blocks: a step "
                                                     "gathers at most one (split it into two steps)")
            evidence = self.evidence(start + mine[0][0] + 1, mine[0][2]) if mine else None
            steps.append(Step(number, title, _dedent_blank(text), evidence, line))
        return summary, steps

    def evidence(self, line: int, content: str) -> Evidence | None:
        """One ```evidence block, whose fence is on `line`."""
        before = len(self.problems)
        try:
            raw = _safe_load(content) if content.strip() else None
        except (yaml.YAMLError, RecursionError) as error:
            mark = getattr(error, "problem_mark", None)
            self.problem(line + 1 + mark.line if mark is not None else line,
                         f"the evidence block is not valid YAML: {_yaml_message(error, line + 1)}")
            return None
        if not isinstance(raw, dict):
            what = "empty" if raw is None else f"a {_yaml_type(raw)}"
            self.problem(line, f"the evidence block is {what}: it needs sql: and source:, or command: [...]")
            return None
        content_lines = content.split("\n")

        def at(key: str, item: int | None = None) -> int:
            for n, text in enumerate(content_lines):
                if re.match(rf"^{re.escape(key)}\s*:", text):
                    if item is not None and text.rstrip().endswith(":"):  # a block list: one item a line
                        items = [m for m in range(n + 1, len(content_lines))
                                 if re.match(r"^\s*-\s", content_lines[m])]
                        if item < len(items):
                            return line + 1 + items[item]
                    return line + 1 + n
            return line

        for key in raw:
            if key not in EVIDENCE_KEYS:
                self.problem(at(str(key)), f"unknown key {key!r} in the evidence block{_did_you_mean(str(key), EVIDENCE_KEYS)}; "
                                           f"known keys: {', '.join(EVIDENCE_KEYS)}")
        has_sql, has_command = "sql" in raw, "command" in raw
        if has_sql == has_command:
            self.problem(line, "an evidence block has exactly one of sql: (with source:) or command: [...]"
                         if not has_sql else "the evidence block has both sql: and command:: give one per step")
            return None
        timeout = raw.get("timeout", DEFAULT_TIMEOUT)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= MAX_TIMEOUT:
            self.problem(at("timeout"), f"timeout must be a number of seconds, more than 0 and at most "
                                        f"{MAX_TIMEOUT:.0f} (got {_shown(timeout)})")
            timeout = DEFAULT_TIMEOUT
        sql, command, source = "", (), ""
        if has_sql:
            sql, source = raw["sql"], raw.get("source")
            if not isinstance(sql, str):
                self.problem(at("sql"), f"sql must be the text of one query (got {_shown(sql)})")
                sql = ""
            else:
                for message in sql_problems(sql):
                    self.problem(at("sql"), message)
            if source is None or source == "":
                self.problem(line, "sql evidence needs source: the name of a [[sources]] entry in oncall.toml")
                source = ""
            elif not isinstance(source, str):
                self.problem(at("source"), f"source must be the name of a [[sources]] entry (got {_shown(source)})")
                source = ""
            else:
                source = source.strip()
                self.sources.append((source, at("source")))
        else:
            if "source" in raw:
                self.problem(at("source"), "source is for sql evidence; a command reaches its system itself")
            value = raw["command"]
            if isinstance(value, str):
                self.problem(at("command"), "command must be an argument list, never a shell string: write "
                                            f"{_as_list(value)}")
            elif not isinstance(value, list) or not value:
                self.problem(at("command"), f"command must be a non-empty list of arguments (got {_shown(value)})")
            elif not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
                bad = next(v for v in value if not isinstance(v, (str, int, float)) or isinstance(v, bool))
                self.problem(at("command", value.index(bad)), f"every command argument must be text (got {_shown(bad)}); "
                                                               "put it in quotes")
            else:
                command = tuple(str(v) for v in value)
                if not command[0].strip():
                    self.problem(at("command"), "the command's first argument (the program) is empty")
                elif " " in command[0].strip():
                    self.problem(at("command"), f"the program {command[0]!r} has spaces in it: give each argument "
                                                f"separately, as in {_as_list(command[0])}")
                for index, message in command_problems(command):
                    self.problem(at("command", index), message)
        if len(self.problems) > before:
            return None
        return Evidence(kind="sql" if has_sql else "command", sql=sql.strip() if has_sql else "", command=command,
                        source=source, timeout=float(timeout), line=line)


def _source_problems(parsed: _Parsed, path: Path, source_names: set[str] | None) -> list[RunbookProblem]:
    if source_names is None:
        return []
    known = ", ".join(sorted(source_names)) or "none"
    return [RunbookProblem(path, line, f"evidence names source {name!r}, which is not a [[sources]] entry in "
                                       f"oncall.toml{_did_you_mean(name, tuple(source_names))} (known: {known})")
            for name, line in parsed.sources if name not in source_names]


def _by_line(problems: list[RunbookProblem]) -> list[RunbookProblem]:
    return sorted(problems, key=lambda problem: problem.line or 0)


def _yaml_message(error: yaml.YAMLError, first_line: int) -> str:
    """PyYAML's words, with the line where what it was reading began (`first_line`: the file's
    line of the YAML's first line)."""
    problem = getattr(error, "problem", None)
    context = getattr(error, "context", None)
    if not problem:
        return str(error).splitlines()[0]
    if not context:
        return str(problem)
    mark, at = getattr(error, "context_mark", None), getattr(error, "problem_mark", None)
    if mark is not None and (at is None or mark.line != at.line):
        context += f" that starts on line {first_line + mark.line}"
    return f"{problem} ({context})"


def _yaml_type(value: Any) -> str:
    return {list: "list", str: "line of text"}.get(type(value), type(value).__name__)


def _did_you_mean(value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _as_list(text: str) -> str:
    return "[" + ", ".join(f'"{part}"' for part in text.split()) + "]"


def _dedent_blank(text: str) -> str:
    """The step's text with blank runs at the ends trimmed (its Markdown kept as written)."""
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# -- the library ------------------------------------------------------------------------------

_cache: dict[Path, tuple[int, int, _Parsed]] = {}  # path: (mtime_ns, size, what it gave)


def runbook_files(folder: Path) -> list[tuple[Path, int, int]]:
    """The runbook files in `folder` (every `*.md` but README.md; subfolders are not read), sorted by
    name, with modification time (ns) and size."""
    found = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if not name.lower().endswith(".md") or name.lower() in README_NAMES or name.startswith("."):
                    continue
                try:
                    if not entry.is_file():
                        continue
                    stat = entry.stat()
                except OSError:
                    continue
                found.append((Path(folder) / name, stat.st_mtime_ns, stat.st_size))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError:
        return []
    return sorted(found, key=lambda item: item[0].name)


def folder_signature(folder: Path) -> tuple:
    """File names, modification times and sizes: changes when a runbook is added, edited or removed."""
    return tuple((path.name, mtime, size) for path, mtime, size in runbook_files(folder))


def _parse_cached(path: Path, mtime: int, size: int) -> _Parsed:
    cached = _cache.get(path)
    if cached is not None and cached[0] == mtime and cached[1] == size:
        return cached[2]
    parsed = _parse(path, None)
    _cache[path] = (mtime, size, parsed)
    return parsed


@dataclass
class RunbookLibrary:
    """A workspace's runbooks: the good ones by id, the broken ones with their problems."""

    folder: Path
    runbooks: dict[str, Runbook] = field(default_factory=dict)
    broken: list[tuple[Path, list[RunbookProblem]]] = field(default_factory=list)
    problems: list[RunbookProblem] = field(default_factory=list)
    loaded_signature: tuple = ()
    files: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_asset: dict[str, list[Runbook]] = {}
        self._by_kind: dict[str, list[Runbook]] = {}
        self._by_tag: dict[str, list[Runbook]] = {}
        self._always: list[Runbook] = []
        for runbook in sorted(self.runbooks.values(), key=lambda r: (r.title.lower(), r.id)):
            for asset_id in runbook.assets:
                self._by_asset.setdefault(asset_id, []).append(runbook)
            for kind in runbook.asset_kinds:
                self._by_kind.setdefault(kind, []).append(runbook)
            for tag in runbook.applies_to:
                self._by_tag.setdefault(tag, []).append(runbook)
            if runbook.always:
                self._always.append(runbook)

    def get(self, runbook_id: str) -> Runbook | None:
        return self.runbooks.get(runbook_id)

    def signature(self) -> tuple:
        """What was loaded (file names, modification times, sizes): no I/O. Compare it with
        `folder_signature(folder)` (or call `changed()`) to notice edits and reload."""
        return self.loaded_signature

    def changed(self) -> bool:
        """Whether a runbook file was added, removed or edited since this was loaded (a stat each)."""
        return folder_signature(self.folder) != self.loaded_signature

    def suggest(self, asset: Asset | None, tags: set[str], assets: list[Asset]) -> list[tuple[Runbook, str]]:
        """Runbooks for an incident on `asset` with failure `tags`, best first, each with why.

        A runbook made for the asset itself comes first, then the failure tags it shares, then one
        made for an asset upstream of it (`assets` gives the lineage), then one for the asset's kind.
        Runbooks marked `always` (the IC's checklist) come last, whatever else matches."""
        scores: dict[str, list] = {}  # id: [score, reasons]

        def add(runbook: Runbook, score: float, reason: str) -> None:
            entry = scores.setdefault(runbook.id, [0.0, []])
            entry[0] += score
            if reason not in entry[1]:
                entry[1].append(reason)

        if asset is not None:
            for runbook in self._by_asset.get(asset.id, ()):
                add(runbook, 100, f"fits {asset.id}")
        tag_hits: dict[str, list[str]] = {}
        for tag in sorted(tags):
            for runbook in self._by_tag.get(tag, ()):
                tag_hits.setdefault(runbook.id, []).append(tag)
        for runbook_id, hits in tag_hits.items():
            reason = ("tag " if len(hits) == 1 else "tags ") + ", ".join(hits)
            add(self.runbooks[runbook_id], 40 * len(hits), reason)
        if asset is not None:
            if self._by_asset:
                for upstream_id, depth in _upstream(asset, assets):
                    for runbook in self._by_asset.get(upstream_id, ()):
                        add(runbook, max(30 - 5 * depth, 10), f"fits {upstream_id} upstream")
            kind = str(getattr(asset.kind, "value", asset.kind))
            for runbook in self._by_kind.get(kind, ()):
                add(runbook, 20, f"for {kind}s")
        always = {runbook.id for runbook in self._always}
        ranked = sorted((runbook_id for runbook_id in scores if runbook_id not in always),
                        key=lambda rid: (-scores[rid][0], self.runbooks[rid].title.lower(), rid))
        found = [(self.runbooks[rid], "; ".join(scores[rid][1])) for rid in ranked]
        for runbook in self._always:
            reasons = scores.get(runbook.id, [0, []])[1]
            found.append((runbook, "; ".join(["for every incident", *reasons])))
        return found


def _upstream(asset: Asset, assets: list[Asset]) -> list[tuple[str, int]]:
    """Asset ids upstream of `asset` (what it reads from, and so on), nearest first, with depth."""
    by_id = {a.id: a for a in assets}
    seen = {asset.id}
    found: list[tuple[str, int]] = []
    frontier = list(asset.upstream)
    depth = 1
    while frontier:
        following = []
        for asset_id in frontier:
            if asset_id in seen:
                continue
            seen.add(asset_id)
            found.append((asset_id, depth))
            if asset_id in by_id:
                following.extend(by_id[asset_id].upstream)
        frontier, depth = following, depth + 1
    return found


def load_library(folder: Path, source_names: set[str] | None = None) -> RunbookLibrary:
    """Every runbook in `folder` (a missing folder is an empty library). A file with any problem is
    broken: listed with its problems, never suggested. Two files with one id: the first by name
    keeps it, the later ones are broken. With `source_names`, evidence naming another source is a
    problem."""
    folder = Path(folder)
    files = runbook_files(folder)
    runbooks: dict[str, Runbook] = {}
    broken: list[tuple[Path, list[RunbookProblem]]] = []
    claimed: dict[str, Path] = {}
    for path, mtime, size in files:
        parsed = _parse_cached(path, mtime, size)
        problems = list(parsed.problems) + _source_problems(parsed, path, source_names)
        if isinstance(parsed.id, str) and parsed.id:
            if parsed.id in claimed:
                problems.append(RunbookProblem(path, parsed.id_line, f"duplicate id {parsed.id!r} "
                                                                     f"(also in {claimed[parsed.id].name})"))
            else:
                claimed[parsed.id] = path
        if problems or parsed.runbook is None:
            broken.append((path, _by_line(problems)))
        else:
            runbooks[parsed.runbook.id] = parsed.runbook
    return RunbookLibrary(folder, runbooks, broken, [problem for _, found in broken for problem in found],
                          tuple((path.name, mtime, size) for path, mtime, size in files),
                          [path for path, _, _ in files])


def broken_reason(problems: list[RunbookProblem]) -> str:
    """One line for a broken runbook in a list: its first problem, and how many more."""
    if not problems:
        return "cannot be read"
    first = problems[0]
    where = f"line {first.line}: " if first.line else ""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{where}{first.message}{more}"
