"""oncall statuspage: which assets have a known data issue right now (the list the pinned Slack
message shows), as text, JSON, or one self-contained HTML page to publish anywhere.

Exit codes: 0 the list was read (whether or not anything is wrong), 2 bad input (a time zone, an
--html path that is a folder, in no folder, or cannot be written). The service is imported
inside the handler: `oncall` starts without pydantic."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from oncall.cli import context
from oncall.cli.context import EXIT_BAD_INPUT, CommandError, print_json


def register(commands: argparse._SubParsersAction) -> None:
    page = commands.add_parser("statuspage", help="the known data issues now: text, JSON, or a static HTML page",
                               description="Every asset with a known data issue now (severity, status, since "
                                           "when, next update, workaround) and the assets downstream of one. "
                                           "Triage items are counted, not listed; drills never appear.")
    page.add_argument("--html", default=None, metavar="PATH",
                      help="write the list as one self-contained HTML page (replaced whole, never half-written)")
    page.add_argument("--json", action="store_true", help="print the list as JSON")
    page.add_argument("--time-zone", default="UTC", metavar="TZ", help="for the times shown (default UTC)")
    page.add_argument("--refresh", type=_seconds, default=None, metavar="SECONDS",
                      help="the page asks browsers to reload it this often (for a page regenerated on a schedule)")
    page.set_defaults(handler=cmd_statuspage)


def _seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(f"{text!r}: seconds from 1 to 86400")
    return value


def cmd_statuspage(args: argparse.Namespace) -> int:
    from oncall.domain.metrics import zone
    from oncall.service.known_issues import (known_issues_html, known_issues_json, known_issues_now,
                                             known_issues_text)

    try:
        zone(args.time_zone)
    except ValueError as error:
        raise CommandError(f"--time-zone: {error}", EXIT_BAD_INPUT) from None
    if args.html is not None:
        _check_target(args.html)
        args.html = Path(args.html)
    workspace = context.resolve_workspace(args)
    database = workspace.open_database()  # also merges dbt's lineage into the assets
    try:
        issues = known_issues_now(database, workspace.config, context.clock())
    finally:
        database.close()
    if args.html is not None:
        _write(args.html, known_issues_html(issues, args.time_zone, args.refresh))
        shown = f"{len(issues.incidents)} incident(s), {len(issues.affected)} asset(s) affected downstream"
        print(f"wrote {args.html} ({shown})", file=sys.stderr)
    if args.json:
        print_json(known_issues_json(issues))
    elif args.html is None:
        sys.stdout.write(known_issues_text(issues, args.time_zone))
    return 0


def _check_target(text: str) -> None:
    """Said before anything is read: a folder, a device or other special file, or a file in a
    folder that is not there (`text` as typed: a trailing slash names a folder)."""
    path = Path(text)
    try:
        folder, parent = path.is_dir(), path.resolve().parent.is_dir()
        special = path.exists() and not path.resolve().is_file()
    except OSError as error:  # a name too long for the file system, a folder that cannot be read
        raise CommandError(f"--html {path}: cannot write it ({error.strerror or error})", EXIT_BAD_INPUT) from None
    if folder or text.endswith(("/", os.sep)):
        raise CommandError(f"--html {path}: is a folder; name the page's file, e.g. {path / 'known-issues.html'}",
                           EXIT_BAD_INPUT)
    if special:
        raise CommandError(f"--html {path}: not a regular file (a device, a pipe?); name a page's file",
                           EXIT_BAD_INPUT)
    if not parent:
        raise CommandError(f"--html {path}: no folder {path.parent}", EXIT_BAD_INPUT)


def _write(path: Path, page: str) -> None:
    """Beside the page, then moved over it: a reader (a web server) sees the old page or the new
    one, never half of one."""
    path = path.resolve()  # through a symlink: the page it points at is the one published
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        mode = path.stat().st_mode & 0o777 if path.exists() else None
        partial.write_text(page, "utf-8")
        if mode is not None:  # the page keeps who may read it
            partial.chmod(mode)
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise CommandError(f"--html {path}: cannot write it ({error.strerror or error})", EXIT_BAD_INPUT) from None
