"""The message templates in effect: the built-in defaults, and a workspace's `templates/` folder
overriding any of them by file name.

Templates are Jinja2, rendered in Jinja's sandbox (a template cannot reach Python internals, the
file system, or other files: include, import and extends are refused) with undefined names as
errors. Every template is compiled and checked when loaded: a syntax error, a name that is not a
field (found by reading the template, then by rendering it against sample incidents in every
status, full and sparse), a sandbox refusal: each is a `TemplateProblem` with file and line, and
for a workspace's file the built-in default stands in for it. Loaded sets are cached by the
files' modification times, so rendering compiles nothing.

For Slack (`target="slack"`) every string in the fields is escaped before the template sees it
(`sync.escape.slack_escape`): a title of `<!channel>` shows as text and pings nobody. The
template's own text is not escaped: its `*bold*` and links are what the team wrote.
"""

from __future__ import annotations

import difflib
import re
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from jinja2 import FunctionLoader, StrictUndefined, Template, TemplateNotFound, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from jinja2.utils import pass_context

from oncall.domain.comms import (FIELD_NAMES, TEMPLATE_NAMES, AssetRef, PersonRef, RolesRef, UpdateFields,
                                 full_sample, map_strings, relative_text, sparse_sample, when_text)
from oncall.domain.status import Status
from oncall.sync.escape import slack_escape

BUILT_IN = "built in"
TEMPLATES_FOLDER = "templates"  # in the workspace folder
Target = Literal["slack", "text"]
TARGETS: tuple[str, ...] = ("slack", "text")

# Sizes a template may build with `*` and `**` before the sandbox refuses (a runaway `'x' * 10**9`).
MAX_REPEAT = 100_000
MAX_EXPONENT = 100


@dataclass(frozen=True)
class TemplateProblem:
    """One thing wrong with one template file, said so a person can go and fix it."""

    file: str  # the workspace file's path, or `built in/NAME`
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class RenderError(Exception):
    """A template failed on these fields and there was no default to stand in for it."""

    def __init__(self, problem: TemplateProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass
class TemplateSet:
    """The templates in effect, where each comes from, and what was wrong with the others."""

    templates: dict[str, str]  # name -> "built in", or the workspace file's path
    problems: list[TemplateProblem] = field(default_factory=list)
    broken: dict[str, Path] = field(default_factory=dict)  # workspace files not used: see `problems`
    folder: Path | None = None
    _compiled: dict[str, Template] = field(default_factory=dict, repr=False)
    _sources: dict[str, str] = field(default_factory=dict, repr=False)
    _fields: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    @property
    def names(self) -> list[str]:
        return list(self.templates)

    def source(self, name: str) -> str:
        """The text of the template in effect."""
        return self._sources[self._known(name)]

    def fields_used(self, name: str) -> frozenset[str]:
        """The fields the template in effect reads (the composer asks only for those)."""
        from jinja2 import meta

        source = self.source(name)
        if name not in self._fields:
            self._fields[name] = frozenset(meta.find_undeclared_variables(_environment().parse(source)))
        return self._fields[name]

    def render(self, name: str, fields: UpdateFields, target: Target = "slack") -> str:
        """The message, as it would be sent. With `target="slack"` every value in `fields` is
        escaped for Slack first; `"text"` (email) gives them as they are."""
        name = self._known(name)
        if target not in TARGETS:
            raise ValueError(f"unknown target {target!r}; targets: {', '.join(TARGETS)}")
        context = _context(fields, target)
        try:
            return tidy(self._compiled[name].render(context))
        except Exception as error:  # noqa: BLE001 - any failure of a template is a problem to report
            where = self.templates[name]
            problem = _problem_from(error, where if where != BUILT_IN else f"{BUILT_IN}/{name}")
            if where == BUILT_IN:
                raise RenderError(problem) from None
            # A workspace file that failed on a real incident: the default stands in from now on.
            self.problems.append(problem)
            self.broken[name] = Path(where)
            self.templates[name] = BUILT_IN
            self._compiled[name], self._sources[name] = _builtins()[name]
            self._fields.pop(name, None)
            return self.render(name, fields, target)

    def _known(self, name: str) -> str:
        if name not in self.templates:
            raise ValueError(f"unknown template {name!r}; templates: {', '.join(self.templates)}")
        return name


def tidy(text: str) -> str:
    """A message as sent: no blank lines before or after, no run of blank lines (an optional
    section left out leaves none), trailing spaces gone, one newline at the end."""
    lines = [line.rstrip() for line in text.split("\n")]
    text = _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")
    return text + "\n" if text else ""


_BLANK_RUNS = re.compile(r"\n{3,}")


def load_templates(folder: Path | None) -> TemplateSet:
    """The built-in templates, with the `*.j2` files of `folder` (a workspace's `templates/`)
    in place of those they name. A missing folder is no problem; a file that is broken, or whose
    name is not a template's, is reported and the built-in one is used."""
    files = _template_files(folder)
    key = (str(folder.resolve()) if folder is not None else None,
           tuple((path.name, *_stamp(path)) for path in files))
    cached = _CACHE.get(key)
    if cached is None:
        cached = _load(folder, files)
        if len(_CACHE) >= 16:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = cached
    return TemplateSet(dict(cached.templates), list(cached.problems), dict(cached.broken), cached.folder,
                       dict(cached._compiled), dict(cached._sources))


def builtin_source(name: str) -> str:
    """The shipped text of a template: the place to start an override from."""
    return _builtins()[name][1]


def clear_cache() -> None:
    _CACHE.clear()


# -- loading ------------------------------------------------------------------------------------

_CACHE: dict[tuple, TemplateSet] = {}
_BUILTINS: dict[str, tuple[Template, str]] = {}


def _template_files(folder: Path | None) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    return sorted(path for path in folder.glob("*.j2") if not path.name.startswith(".") and path.is_file())


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, -1)
    return (stat.st_mtime_ns, stat.st_size)


def _load(folder: Path | None, files: list[Path]) -> TemplateSet:
    builtins = _builtins()
    loaded = TemplateSet({name: BUILT_IN for name in builtins}, folder=folder)
    for name, (template, source) in builtins.items():
        loaded._compiled[name], loaded._sources[name] = template, source
    loaded.problems.extend(_BUILTIN_PROBLEMS)
    known = ", ".join(TEMPLATE_NAMES.values())
    for path in files:
        if path.name not in builtins:
            hint = difflib.get_close_matches(path.name, list(builtins), n=1)
            said = f"did you mean {hint[0]}? " if hint else ""
            loaded.problems.append(TemplateProblem(str(path), None, f"not a template oncall sends ({said}"
                                                                    f"template names: {known}); it is not used"))
            continue
        try:
            source = path.read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            loaded.problems.append(TemplateProblem(str(path), None, f"cannot read it: {error}; the built-in "
                                                                    "template is used"))
            loaded.broken[path.name] = path
            continue
        template, problems = check_template(source, path.name, str(path))
        if problems or template is None:
            loaded.problems.extend(problems)
            loaded.broken[path.name] = path
            continue
        loaded.templates[path.name] = str(path)
        loaded._compiled[path.name], loaded._sources[path.name] = template, source
    return loaded


_BUILTIN_PROBLEMS: list[TemplateProblem] = []


def _builtins() -> dict[str, tuple[Template, str]]:
    """The shipped templates, compiled and checked once per process."""
    if not _BUILTINS:
        folder = resources.files("oncall.comms") / "defaults"
        for name in TEMPLATE_NAMES.values():
            source = (folder / name).read_text("utf-8")
            # Rendered against the samples by the tests, not at every start: compiled and read here.
            template, problems = check_template(source, name, f"{BUILT_IN}/{name}", render_samples=False)
            _BUILTIN_PROBLEMS.extend(problems)  # a bug in oncall: the tests keep this empty
            if template is None:
                template = _environment().from_string("[{{ ref }}: the built-in template " + name + " is broken]\n")
            _BUILTINS[name] = (template, source)
    return _BUILTINS


def check_template(source: str, name: str, filename: str, *,
                   render_samples: bool = True) -> tuple[Template | None, list[TemplateProblem]]:
    """Compile one template and check it: its syntax, the names it uses, and rendering it against
    sample incidents (every status; every field filled, and only the fields every incident has;
    a drill) for both targets. The template is None when it does not compile."""
    env = _environment()
    try:
        tree = env.parse(source, name, filename)
        template = env.template_class.from_code(env, env.compile(tree, name, filename), env.make_globals(None))
    except TemplateSyntaxError as error:
        said = (error.message or "").removesuffix(".")
        return None, [TemplateProblem(filename, error.lineno, f"syntax error: {said}")]
    problems = _static_problems(tree, filename)
    if problems or not render_samples:
        return template, problems
    seen: set[str] = set()
    for sample, target in _samples():
        try:
            template.render(_context(sample, target))
        except Exception as error:  # noqa: BLE001 - whatever a template does wrong is reported
            problem = _problem_from(error, filename)
            if str(problem) not in seen:
                seen.add(str(problem))
                problems.append(problem)
    return template, problems


def _samples() -> list[tuple[UpdateFields, str]]:
    if not _SAMPLES:
        _SAMPLES.extend((full_sample(status), "text") for status in Status)
        _SAMPLES.extend((sparse_sample(status), "text") for status in Status)
        _SAMPLES.append((full_sample(Status.RESOLVED, drill=True), "slack"))
        _SAMPLES.append((sparse_sample(Status.DISMISSED, drill=True), "slack"))
    return _SAMPLES


_SAMPLES: list[tuple[UpdateFields, str]] = []


# -- what a template can see --------------------------------------------------------------------


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, refusing too the arithmetic that would build a huge value."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"an exponent over {MAX_EXPONENT} is refused")
        if operator == "*":
            for sized, count in ((left, right), (right, left)):
                if isinstance(sized, (str, list, tuple)) and isinstance(count, int) \
                        and len(sized) * count > MAX_REPEAT:
                    raise SecurityError(f"building a value over {MAX_REPEAT} long is refused")
        return super().call_binop(context, operator, left, right)


_ENV: list[_Sandbox] = []


def _environment() -> _Sandbox:
    if not _ENV:
        env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True,
                       trim_blocks=True, lstrip_blocks=True, auto_reload=False,
                       loader=FunctionLoader(lambda name: None))  # include/import/extends: nothing to find
        for unneeded in ("lipsum", "cycler"):
            env.globals.pop(unneeded, None)
        env.filters.update(when=_when, ago=_ago, names=_names, owned=_owned)
        _ENV.append(env)
    return _ENV[0]


def _when(moment: Any) -> str:
    """`{{ next_update | when }}`: Nov 27 10:00 UTC ("" for none)."""
    return when_text(moment) if isinstance(moment, datetime) or moment is None else str(moment)


@pass_context
def _ago(context, moment: Any) -> str:
    """`{{ wrong_from | ago }}`: 3 h ago, in 30 min ("" for none), as of the fields' `now`."""
    if moment is None:
        return ""
    now = context.get("now")
    return relative_text(moment, now if isinstance(now, datetime) else datetime.now(timezone.utc))


def _names(people: Any) -> str:
    """`{{ roles.sme | names }}`: Maya Okafor, Tom Brandt ("" for nobody)."""
    if people is None:
        return ""
    if isinstance(people, (PersonRef, AssetRef, str)):
        return str(people)
    return ", ".join(str(person) for person in people if person)


def _owned(assets: Any) -> str:
    """`{{ downstream | owned }}`: Weekly CAC dashboard (Sofia Castro), … ("" for none)."""
    if assets is None:
        return ""
    if isinstance(assets, AssetRef):
        return f"{assets.name} ({assets.owner})" if assets.owner else assets.name
    return ", ".join(_owned(asset) for asset in assets if asset)


def _context(fields: UpdateFields, target: str) -> dict[str, Any]:
    if target == "slack":
        fields = map_strings(fields, slack_escape)
    return {name: getattr(fields, name) for name in FIELD_NAMES}


# -- problems -----------------------------------------------------------------------------------

_FIELD_LIST = ", ".join(FIELD_NAMES)
_HINTS = get_type_hints(UpdateFields)
_LABELS = {PersonRef: "a person", AssetRef: "an asset", RolesRef: "roles"}


def _static_problems(tree: nodes.Template, filename: str) -> list[TemplateProblem]:
    """What reading the template finds: names that are not fields, attributes a field does not
    have, other files it tries to include."""
    env = _environment()
    problems: list[TemplateProblem] = []
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        named = node.template.value if isinstance(node.template, nodes.Const) else "a computed name"
        problems.append(TemplateProblem(filename, node.lineno, f"a template cannot include, import or extend "
                                                               f"other files ({named!r}); put the text in this file"))
    unknown = meta.find_undeclared_variables(tree) - set(FIELD_NAMES) - set(env.globals)
    if any(n.name == "self" and n.ctx == "load" for n in tree.find_all(nodes.Name)):
        unknown.add("self")  # Jinja's reference to the template itself: nothing a message needs
    for name in sorted(unknown, key=lambda n: _first_line(tree, n)):
        close = difflib.get_close_matches(name, FIELD_NAMES, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        problems.append(TemplateProblem(filename, _first_line(tree, name) or None,
                                        f"'{name}' is not a field ({hint}fields: {_FIELD_LIST})"))
    for node in tree.find_all(nodes.Getattr):
        owner, path = _type_of(node.node)
        if owner is None:
            continue
        names = [f for f in get_type_hints(owner)]
        if node.attr not in names:
            close = difflib.get_close_matches(node.attr, names, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.append(TemplateProblem(filename, node.lineno, f"'{node.attr}' is not a field of {path} "
                                                                   f"({hint}fields: {', '.join(names)})"))
    return sorted(problems, key=lambda p: p.line or 0)


def _first_line(tree: nodes.Template, name: str) -> int:
    return min((n.lineno for n in tree.find_all(nodes.Name) if n.name == name and n.ctx == "load"), default=0)


def _type_of(node: nodes.Node) -> tuple[type | None, str]:
    """The dataclass a `field.attr.attr` chain reads from, and its dotted name (None: not known)."""
    if isinstance(node, nodes.Name) and node.ctx == "load" and node.name in _HINTS:
        return _dataclass_in(_HINTS[node.name]), node.name
    if isinstance(node, nodes.Getattr):
        owner, path = _type_of(node.node)
        if owner is not None:
            hint = get_type_hints(owner).get(node.attr)
            return (_dataclass_in(hint) if hint is not None else None), f"{path}.{node.attr}"
    return None, ""


def _dataclass_in(hint: Any) -> type | None:
    if hint in _LABELS:
        return hint
    if get_origin(hint) in (Union, UnionType):
        return next((arg for arg in get_args(hint) if arg in _LABELS), None)
    return None


def _problem_from(error: BaseException, filename: str) -> TemplateProblem:
    line = getattr(error, "lineno", None) if isinstance(error, TemplateSyntaxError) else None
    if line is None:
        line = next((frame.lineno for frame in reversed(traceback.extract_tb(error.__traceback__))
                     if frame.filename == filename), None)
    message = str(error).removesuffix(".")
    if isinstance(error, SecurityError):
        message = f"refused by the sandbox: {message}"
    elif isinstance(error, TemplateNotFound):
        message = f"a template cannot include, import or extend other files ({error.name!r})"
    elif message.startswith("'None' has no attribute"):
        message = (f"{message}: a field can be empty (no IC, no lead, no owner…); "
                   "guard it with {% if … %}")
    elif " object' has no attribute " in message:
        kind, attr = message.split(" object' has no attribute ", 1)
        for cls, label in _LABELS.items():
            if kind.endswith(cls.__name__):
                names = ", ".join(get_type_hints(cls))
                message = f"{attr} is not a field of {label} (fields: {names})"
    elif message.endswith(" is undefined"):
        message = f"{message.removesuffix(' is undefined')} is not a field (fields: {_FIELD_LIST})"
    else:
        message = f"{type(error).__name__}: {message}" if isinstance(error, (TypeError, ValueError)) else message
    return TemplateProblem(filename, line, message)

