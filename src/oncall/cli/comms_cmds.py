"""comms templates / comms check / comms render: the stakeholder-update templates in effect, where
each comes from, what is wrong with a workspace's own, and what a message would say.

Jinja and pydantic are imported inside the handlers: `oncall` starts without them."""

from __future__ import annotations

import argparse
import re
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from oncall.cli import context
from oncall.cli.arguments import DASHED_TEXT, incident_id, take_dashed_values
from oncall.cli.context import EXIT_REFUSED, CommandError, print_json
from oncall.domain.text import clean_line
from oncall.workspace.paths import workspace_root

if TYPE_CHECKING:
    from oncall.comms.templates import TemplateProblem
    from oncall.service.incidents import IncidentService
    from oncall.workspace.loader import Workspace

TEMPLATES_FOLDER = "templates"  # in the workspace folder (`comms.templates.TEMPLATES_FOLDER`)


def register(commands: argparse._SubParsersAction) -> None:
    comms = commands.add_parser("comms", help="stakeholder updates: the templates, checking them, rendering one")
    sub = comms.add_subparsers(dest="comms_command", metavar="COMMAND", required=True)
    register_template_commands(sub)
    register_sending_commands(sub)


def register_sending_commands(sub: argparse._SubParsersAction) -> None:
    send = sub.add_parser("send", help="send an update from a template (through the outbox) and move the cadence on")
    send.add_argument("id", type=incident_id)
    send.add_argument("--template", required=True, metavar="NAME", help="technical-update, stakeholders-initial, …")
    send.add_argument("--set", dest="values", action="append", default=[], metavar="FIELD=VALUE",
                      help="what the composer asks for: doing, workaround, eta, …; repeatable")
    send.add_argument("--next-in", type=int, default=None, metavar="MINUTES",
                      help="when the next update comes (default: the cadence's interval)")
    send.add_argument("--json", action="store_true")
    send.set_defaults(handler=cmd_send)
    take_dashed_values(send, DASHED_TEXT)

    due = sub.add_parser("due", help="incidents whose stakeholder update is due or overdue")
    due.add_argument("--within", type=int, default=0, metavar="MINUTES", help="also those due in the next MINUTES")
    due.add_argument("--json", action="store_true")
    due.set_defaults(handler=cmd_due)


def cmd_send(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from oncall.cli.incident_cmds import _act, _get
    from oncall.comms.templates import RenderError
    from oncall.domain.comms import parse_template_name
    from oncall.service.comms import CommsService, render_update

    try:
        name = parse_template_name(args.template)
    except ValueError as error:
        raise CommandError(f"--template: {error}") from None
    if args.next_in is not None and not 0 < args.next_in <= 7 * 24 * 60:
        raise CommandError("--next-in: minutes from 1 to a week")
    extra = _read_values(args.values)
    with _open(args) as (workspace, service):
        incident = _get(service, args.id)
        next_update = service.clock.now() + timedelta(minutes=args.next_in) if args.next_in else None
        try:
            slack_text, text = render_update(service, workspace.root, args.id, name, next_update, extra)
        except ValueError as error:
            raise CommandError(f"--set {error}") from None
        except RenderError as error:
            raise RuntimeError(str(error)) from None
        comms = CommsService(service.db, service.config, service.clock, service.actor)
        event = _act(lambda: comms.send(args.id, name, name.split("-", 1)[0], text, slack_text, next_update, extra))
        due, _ = comms.cadence.get(args.id)
    if args.json:
        print_json({"event": event.id, "template": name, "text": text,
                    "next_update_due": due.isoformat() if due else None})
    else:
        print(f"{incident.ref}: {name} sent" + (f"; next update due {due:%H:%M} UTC" if due else ""))
    return 0


def cmd_due(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from oncall.domain.countdown import next_update_text
    from oncall.store.cadence import CadenceRepository

    with _open(args) as (workspace, service):
        now = service.clock.now()
        due = CadenceRepository(service.db).due_by(now + timedelta(minutes=max(args.within, 0)), include_drills=False)
    if args.json:
        print_json([{"ref": d.ref, "severity": d.severity, "status": d.status, "title": d.title,
                     "update_due_at": d.update_due_at.isoformat(),
                     "last_update_at": d.last_update_at.isoformat() if d.last_update_at else None,
                     "overdue": d.update_due_at <= now} for d in due])
        return 0
    if not due:
        print("no update is due")
    for d in due:
        print(f"{d.ref:<12} {d.severity:<6} {next_update_text(d.update_due_at, now):<16} {clean_line(d.title)}")
    return 0


def register_template_commands(sub: argparse._SubParsersAction) -> None:
    templates = sub.add_parser("templates", help="list the templates in effect and where each comes from")
    templates.add_argument("--json", action="store_true")
    templates.set_defaults(handler=cmd_templates)

    check = sub.add_parser("check", help="check the workspace's templates; print each problem as file:line: "
                                         "message; exit 1 on any problem")
    check.add_argument("path", nargs="?", default=None,
                       help="a templates folder or one template file (default: the workspace's templates/ folder)")
    check.set_defaults(handler=cmd_check)

    render = sub.add_parser("render", help="print the message a template makes for an incident, as it would be sent")
    render.add_argument("id", type=incident_id)
    render.add_argument("--template", required=True, metavar="NAME",
                        help="technical-initial, stakeholders-update, reporter-dismissed, … (`oncall comms templates`)")
    render.add_argument("--set", dest="values", action="append", default=[], metavar="FIELD=VALUE",
                        help="what would be typed in the composer: doing, workaround, backfill, reason, cause, "
                             "reporter, data_loss (yes/no), impact, eta, wrong_from, wrong_to, next_update; repeatable")
    render.add_argument("--target", choices=["slack", "text"], default="slack",
                        help="slack (values escaped for Slack; the default) or text (email: plain)")
    render.add_argument("--json", action="store_true")
    render.set_defaults(handler=cmd_render)
    take_dashed_values(render, DASHED_TEXT)  # `--set impact=-5%` is a value


def cmd_templates(args: argparse.Namespace) -> int:
    from oncall.comms.templates import BUILT_IN, load_templates
    from oncall.domain.comms import TEMPLATE_NAMES

    folder = _templates_folder(args)
    loaded = load_templates(folder)
    pairs = {name: (audience.value, moment.value) for (audience, moment), name in TEMPLATE_NAMES.items()}
    if args.json:
        print_json({
            "folder": str(folder),
            "templates": [{"name": name, "audience": pairs[name][0], "moment": pairs[name][1],
                           "source": "built in" if where == BUILT_IN else "workspace",
                           "file": None if where == BUILT_IN else where,
                           "broken": str(loaded.broken[name]) if name in loaded.broken else None}
                          for name, where in loaded.templates.items()],
            "problems": [_problem_json(p) for p in loaded.problems],
        })
        return 0
    width = max(len(name) for name in loaded.templates)
    for name, where in loaded.templates.items():
        note = (f"  ({loaded.broken[name]} is broken: `oncall comms check` says why)"
                if name in loaded.broken else "")
        print(clean_line(f"{name:<{width}}  {where}{note}"))
    own = sum(1 for where in loaded.templates.values() if where != BUILT_IN)
    print(clean_line(f"{len(loaded.templates)} templates: {own} from {folder}, "
                     f"{len(loaded.templates) - own} built in"
                     + (f"; {len(loaded.problems)} problem{'s' if len(loaded.problems) != 1 else ''} "
                        "(`oncall comms check`)" if loaded.problems else "")))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from oncall.comms.templates import check_template, load_templates
    from oncall.domain.comms import TEMPLATE_NAMES

    if args.path is not None:
        target = Path(args.path).expanduser()
        if not target.exists():
            raise CommandError(f"{target}: no such file or folder")
    else:
        target = _templates_folder(args)
        if not target.is_dir():
            print(clean_line(f"no templates folder at {target}: the built-in templates are used"))
            return 0
    if target.is_dir():
        loaded = load_templates(target)
        problems = loaded.problems
        checked = len([p for p in target.glob("*.j2") if p.is_file() and not p.name.startswith(".")])
    elif target.name in TEMPLATE_NAMES.values():
        problems, checked = [p for p in load_templates(target.parent).problems if p.file == str(target)], 1
    else:  # a draft under another name: checked as a template all the same
        try:
            source = target.read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{target}: cannot read it: {error}") from None
        problems = check_template(source, target.name, str(target))[1]
        print(clean_line(f"oncall: note: {target.name} is not the name of a template oncall sends; checked as "
                         f"one (names: {', '.join(TEMPLATE_NAMES.values())})"), file=sys.stderr)
        checked = 1
    for problem in problems:
        print(clean_line(str(problem)))
    what = f"{checked} template{'s' if checked != 1 else ''} in {target}"
    if problems:
        files = len({p.file for p in problems})
        print(clean_line(f"checked {what}: {len(problems)} problem{'s' if len(problems) != 1 else ''} "
                         f"in {files} file{'s' if files != 1 else ''}; the built-in template stands in for each "
                         "broken one"))
        return EXIT_REFUSED
    print(clean_line(f"checked {what}: no problems"))
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from oncall.comms.templates import RenderError, load_templates
    from oncall.domain.comms import fields_for, parse_template_name
    from oncall.service.comms import jira_url
    from oncall.store.cadence import CadenceRepository
    from oncall.store.roles import RoleRepository

    try:
        name = parse_template_name(args.template)
    except ValueError as error:
        raise CommandError(f"--template: {error}") from None
    extra = _read_values(args.values)
    with _open(args) as (workspace, service):
        from oncall.cli.incident_cmds import _get

        incident = _get(service, args.id)
        roles = RoleRepository(service.db).holders(args.id)
        next_update, _ = CadenceRepository(service.db).get(args.id)
        try:
            fields = fields_for(incident, service.config, roles, service.clock.now(),
                                jira_url=jira_url(service, args.id), next_update=next_update, extra=extra,
                                events=service.events(args.id))
        except ValueError as error:
            raise CommandError(f"--set {error}") from None
        loaded = load_templates(workspace.root / TEMPLATES_FOLDER)
        if name in loaded.broken:
            for problem in loaded.problems:
                if problem.file == str(loaded.broken[name]):
                    print(clean_line(f"oncall: warning: {problem} (the built-in template is used)"), file=sys.stderr)
        try:
            text = loaded.render(name, fields, args.target)
        except RenderError as error:  # a built-in template failed: a fault in oncall
            raise RuntimeError(str(error)) from None
        source = loaded.templates[name]
    if args.json:
        print_json({"template": name, "target": args.target, "text": text, "source": source})
    else:
        sys.stdout.write(_terminal_safe(text))
    return 0


# -- helpers ----------------------------------------------------------------------------------


@contextmanager
def _open(args: argparse.Namespace) -> Iterator[tuple[Workspace, IncidentService]]:
    """The workspace and a service on its database, as `context.open_service` opens them."""
    from oncall.service.incidents import IncidentService

    workspace = context.resolve_workspace(args)
    database = workspace.open_database()
    try:
        yield workspace, IncidentService(database, workspace.config, context.clock(), workspace.actor())
    finally:
        database.close()


def _templates_folder(args: argparse.Namespace) -> Path:
    """The workspace's templates/ folder (the demo's when no workspace is named)."""
    root = workspace_root(getattr(args, "workspace", None))
    if root is None:
        from oncall.demo.install import copy_demo_config, demo_root

        root = demo_root()
        copy_demo_config(root)
    elif not root.is_dir():
        raise CommandError(f"{root}: no such workspace folder (create one with `oncall init {root}`)")
    return root / TEMPLATES_FOLDER


def _read_values(values: list[str]) -> dict[str, str]:
    extra: dict[str, str] = {}
    for value in values:
        key, equals, text = value.partition("=")
        if not equals or not key.strip():
            raise CommandError(f"--set {value!r}: use FIELD=VALUE (doing=\"reloading the export\")")
        extra[key.strip().lower()] = text
    return extra


# ANSI escapes and control characters a template's own text might hold; newlines stay, and so does
# the zero-width space that keeps `@here` from pinging (it is part of what would be sent).
_TERMINAL_UNSAFE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])"
                              r"|[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _terminal_safe(text: str) -> str:
    return _TERMINAL_UNSAFE.sub("", text)


def _problem_json(problem: TemplateProblem) -> dict:
    return {"file": problem.file, "line": problem.line, "message": problem.message, "text": str(problem)}

