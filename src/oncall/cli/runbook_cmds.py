"""runbooks check / runbooks list: validate a workspace's runbooks (for CI and for the person
writing one) and see what the console would offer."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from oncall.cli.context import EXIT_REFUSED, CommandError, print_json
from oncall.domain.text import clean_line
from oncall.workspace.paths import CONFIG_NAME, workspace_root

if TYPE_CHECKING:
    from oncall.workspace.runbooks import RunbookLibrary

RUNBOOKS_FOLDER = "runbooks"


def register(commands: argparse._SubParsersAction) -> None:
    runbooks = commands.add_parser("runbooks", help="check and list the workspace's runbooks")
    sub = runbooks.add_subparsers(dest="runbooks_command", metavar="COMMAND", required=True)
    check = sub.add_parser(
        "check", help="check every runbook; print each problem as file:line: message; exit 1 on any problem")
    check.add_argument("path", nargs="?", default=None,
                       help="a runbooks folder or one runbook file (default: the workspace's runbooks/ folder)")
    check.set_defaults(handler=cmd_check)
    listing = sub.add_parser("list", help="list the runbooks (id, title, tags, steps, file) and the broken ones")
    listing.add_argument("path", nargs="?", default=None,
                         help="a runbooks folder (default: the workspace's runbooks/ folder)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)


def cmd_check(args: argparse.Namespace) -> int:
    from oncall.workspace.runbooks import load_library, parse_runbook

    target, sources, named = _target(args)
    if target.is_file():
        library = load_library(target.parent, sources)
        if target in library.files:
            problems = [p for p in library.problems if p.file == target]
        else:  # README.md, or a file named outside the runbooks' rules: read it as a runbook anyway
            problems = parse_runbook(target, source_names=sources)[1]
        checked = 1
    elif target.is_dir():
        library = load_library(target, sources)
        problems, checked = library.problems, len(library.files)
    elif named:
        raise CommandError(f"{target}: no such file or folder")
    else:
        print(f"no runbooks folder at {target}: nothing to check (`oncall init` makes one)")
        return 0
    for problem in problems:
        print(clean_line(str(problem)))
    files = len({p.file for p in problems})
    what = f"{checked} runbook{'s' if checked != 1 else ''} in {target}"
    if sources is None:
        print(f"oncall: note: evidence sources were not checked: no {CONFIG_NAME} found for {target} "
              "(name the workspace with --workspace)", file=sys.stderr)
    if problems:
        print(f"checked {what}: {len(problems)} problem{'s' if len(problems) != 1 else ''} "
              f"in {files} file{'s' if files != 1 else ''}")
        return EXIT_REFUSED
    print(f"checked {what}: no problems")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from oncall.workspace.runbooks import broken_reason, load_library

    folder, sources, named = _target(args)
    if named and not folder.is_dir():
        raise CommandError(f"{folder}: no such folder" + (" (name a runbooks folder, not a file)"
                                                          if folder.is_file() else ""))
    library = load_library(folder, sources)
    if args.json:
        print_json(_list_json(library))
        return 0
    if not library.files:
        print(f"no runbooks in {folder}")
        return 0
    rows = sorted(library.runbooks.values(), key=lambda r: r.id)
    width = max((len(r.id) for r in rows), default=0)
    for runbook in rows:
        tags = ", ".join(runbook.applies_to) or ("always" if runbook.always else "-")
        steps = f"{len(runbook.steps)} step{'s' if len(runbook.steps) != 1 else ''}"
        print(clean_line(f"{runbook.id:<{width}}  {steps:>8}  {runbook.title}  [{tags}]  {runbook.path.name}"))
    for path, problems in library.broken:
        print(clean_line(f"broken: {path.name}: {broken_reason(problems)}"))
    broken = len(library.broken)
    print(f"{len(rows)} runbook{'s' if len(rows) != 1 else ''} in {folder}"
          + (f"; {broken} broken (`oncall runbooks check` says what to fix)" if broken else ""))
    return 0


# -- helpers ----------------------------------------------------------------------------------


def _target(args: argparse.Namespace) -> tuple[Path, set[str] | None, bool]:
    """The runbooks folder or file to read, the source names evidence may use (None: unknown, so
    not checked), and whether the path was named on the command line.

    Without PATH it is the workspace's runbooks/ folder (the demo's when none is named). With
    PATH, the sources come from the named workspace, else from the oncall.toml beside the
    runbooks folder."""
    from oncall.workspace.config import ConfigError, load_config

    explicit = workspace_root(getattr(args, "workspace", None))
    if args.path is not None:
        target = Path(args.path).expanduser()
        folder = target.parent if target.is_file() else target
        root = explicit if explicit is not None else folder.resolve().parent
        if explicit is None and not (root / CONFIG_NAME).is_file():
            return target, None, True
    else:
        root = explicit
        if root is None:
            from oncall.demo.install import copy_demo_config, demo_root

            root = demo_root()
            copy_demo_config(root)
        if not root.is_dir():
            raise CommandError(f"{root}: no such workspace folder (create one with `oncall init {root}`)")
        target = root / RUNBOOKS_FOLDER
    try:
        config, config_problems = load_config(root / CONFIG_NAME)
    except ConfigError as error:
        if args.path is None or explicit is not None:
            raise CommandError(str(error)) from None
        return target, None, args.path is not None
    for problem in config_problems:
        print(f"oncall: warning: {problem}", file=sys.stderr)
    return target, {source.name for source in config.sources}, args.path is not None


def _list_json(library: RunbookLibrary) -> dict:
    from oncall.workspace.runbooks import broken_reason

    return {
        "folder": str(library.folder),
        "runbooks": [
            {"id": r.id, "title": r.title, "applies_to": list(r.applies_to), "assets": list(r.assets),
             "asset_kinds": list(r.asset_kinds), "always": r.always, "severity_hint": r.severity_hint,
             "owner": r.owner, "last_reviewed": r.last_reviewed.isoformat() if r.last_reviewed else None,
             "steps": len(r.steps), "evidence": sum(1 for s in r.steps if s.evidence), "file": str(r.path)}
            for r in sorted(library.runbooks.values(), key=lambda r: r.id)
        ],
        "broken": [
            {"file": str(path), "reason": broken_reason(problems),
             "problems": [{"line": p.line, "message": p.message} for p in problems]}
            for path, problems in library.broken
        ],
    }
