"""runbook attach / step / evidence / share, and tags: working a runbook on an incident from a
script, as the console's Runbooks tab and viewer do. (`oncall runbooks check|list` look at the
library itself: cli/runbook_cmds.py.)"""

from __future__ import annotations

import argparse
import sys

from oncall.cli.arguments import DASHED_TEXT, incident_id, take_dashed_values
from oncall.cli.context import EXIT_REFUSED, CommandError, open_service, print_json
from oncall.cli.incident_cmds import _act, _get

STEP_STATES = {"done": "done", "skip": "skipped", "todo": "todo"}


def register(commands: argparse._SubParsersAction) -> None:
    runbook = commands.add_parser("runbook", help="work a runbook on an incident: attach, steps, evidence")
    actions = runbook.add_subparsers(dest="runbook_action", metavar="ACTION", required=True)

    attach = actions.add_parser("attach", help="attach a runbook from the workspace's runbooks/ to an incident")
    attach.add_argument("id", type=incident_id)
    attach.add_argument("runbook", help="the runbook's id (oncall runbooks list)")
    attach.add_argument("--json", action="store_true")
    attach.set_defaults(handler=cmd_attach)

    step = actions.add_parser("step", help="mark a step done, skip it (with --reason), or set it back to do")
    step.add_argument("id", type=incident_id)
    step.add_argument("runbook")
    step.add_argument("number", type=int, help="the step's number, from 1")
    step.add_argument("state", choices=sorted(STEP_STATES))
    step.add_argument("--reason", default="", help="why it is skipped (needed for skip)")
    step.add_argument("--note", default="", help="what you found")
    step.add_argument("--json", action="store_true")
    step.set_defaults(handler=cmd_step)
    take_dashed_values(step, DASHED_TEXT)

    evidence = actions.add_parser("evidence", help="run a step's command or query and keep what it says")
    evidence.add_argument("id", type=incident_id)
    evidence.add_argument("runbook")
    evidence.add_argument("number", type=int)
    evidence.add_argument("--yes", action="store_true", help="run it (without --yes: only show what would run)")
    evidence.add_argument("--share", action="store_true", help="also send what it found to Jira")
    evidence.add_argument("--timeout", type=_seconds, default=None, help="seconds, up to 3600 (default: the step's, else 30)")
    evidence.add_argument("--json", action="store_true")
    evidence.set_defaults(handler=cmd_evidence)

    tags = commands.add_parser("tags", help="set an incident's failure tags (runbooks are suggested by them)")
    tags.add_argument("id", type=incident_id)
    tags.add_argument("tags", nargs="*", help="e.g. stale-table silent-failure (none: clear them)")
    tags.add_argument("--json", action="store_true")
    tags.set_defaults(handler=cmd_tags)


def cmd_attach(args: argparse.Namespace) -> int:
    with open_service(args) as service:
        incident = _get(service, args.id)
        work, runbook = _runbook(args, service)
        attached = _act(lambda: work.attach(args.id, runbook))
        _say(args, progress_json(runbook, attached), f"{incident.ref}: {runbook.title} attached "
                                                     f"({len(runbook.steps)} steps)")
    return 0


def cmd_step(args: argparse.Namespace) -> int:
    with open_service(args) as service:
        incident = _get(service, args.id)
        work, runbook = _runbook(args, service)
        state = STEP_STATES[args.state]
        attached = _act(lambda: work.set_step(args.id, runbook, args.number, state, args.reason, args.note))
        message = f"{incident.ref}: {runbook.id} step {args.number} {args.state if state != 'todo' else 'back to do'}"
        if attached.finished_at:
            message += f"; {runbook.title} is finished"
        _say(args, progress_json(runbook, attached), message)
    return 0


def cmd_evidence(args: argparse.Namespace) -> int:
    from oncall.evidence.runner import describe, run_evidence

    with open_service(args) as service:
        incident = _get(service, args.id)
        work, runbook = _runbook(args, service)
        step = next((s for s in runbook.steps if s.number == args.number), None)
        if step is None:
            raise CommandError(f"{runbook.id} has steps 1 to {len(runbook.steps)}; there is no step {args.number}")
        if step.evidence is None:
            raise CommandError(f"step {args.number} of {runbook.id} has no evidence to gather", EXIT_REFUSED)
        if not any(a.runbook_id == runbook.id for a in work.attached(args.id)):
            raise CommandError(f"{runbook.id} is not attached to {incident.ref}: oncall runbook attach "
                               f"{args.id} {runbook.id}", EXIT_REFUSED)
        from oncall.service.runbooks import evidence_values

        values = evidence_values(service, args.id)
        sources = {source.name: source for source in service.config.sources}
        root = _root(args)
        what = describe(step.evidence, values, sources, root)
        if not args.yes:
            print(f"would run (add --yes to run it):\n{what}")
            return 0
        result = run_evidence(step.evidence, values, sources, root, timeout=args.timeout)
        event = _act(lambda: work.record_evidence(args.id, runbook, args.number, result))
        if args.share:
            _act(lambda: work.share_evidence(args.id, event.id))
        if args.json:
            print_json({"event": event.id, **event.data})
        else:
            print(f"{incident.ref}: {event.text}" + (" (shared to Jira)" if args.share else ""))
            if result.output:
                print(result.output)
        return 0 if result.ok else EXIT_REFUSED


def cmd_tags(args: argparse.Namespace) -> int:
    from oncall.service.runbooks import RunbookService

    with open_service(args) as service:
        incident = _get(service, args.id)
        work = RunbookService(service.db, service.clock, service.actor)
        tags = _act(lambda: work.set_tags(args.id, list(args.tags)))
        if args.json:
            print_json({"ref": incident.ref, "tags": tags})
        else:
            print(f"{incident.ref}: tags " + (", ".join(tags) or "cleared"))
    return 0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:  # also refuses nan and inf, which never stop
        raise argparse.ArgumentTypeError(f"{text!r}: a time limit is more than 0 and at most 3600 seconds")
    return value


def progress_json(runbook, attached) -> dict:
    return {"runbook": runbook.id, "title": runbook.title, "attached_at": attached.attached_at.isoformat(),
            "attached_by": attached.attached_by,
            "finished_at": attached.finished_at.isoformat() if attached.finished_at else None,
            "steps": [{"number": s.number, "title": s.title, "state": attached.state_for(s),
                       **({"by": p.by, "at": p.at.isoformat(), "reason": p.reason}
                          if (p := attached.progress_for(s)) else {})}
                      for s in runbook.steps]}


def runbooks_json(service, incident_id: int, args: argparse.Namespace) -> dict:
    """What `oncall show --json` adds: the incident's tags and its runbooks with step progress."""
    from oncall.service.runbooks import RunbookService
    from oncall.workspace.runbooks import load_library

    work = RunbookService(service.db, service.clock, service.actor)
    attached = work.attached(incident_id)
    library = load_library(_root(args) / "runbooks") if attached else None
    out = []
    for entry in attached:
        runbook = library.get(entry.runbook_id) if library else None
        if runbook is not None:
            out.append(progress_json(runbook, entry))
        else:  # the file is gone or unreadable: what the database knows
            out.append({"runbook": entry.runbook_id, "title": entry.title,
                        "attached_at": entry.attached_at.isoformat(), "attached_by": entry.attached_by,
                        "finished_at": entry.finished_at.isoformat() if entry.finished_at else None,
                        "steps": [{"number": n, "title": p.title, "state": p.state, "by": p.by,
                                   "at": p.at.isoformat(), "reason": p.reason} for n, p in sorted(entry.steps.items())]})
    return {"tags": work.tags(incident_id), "runbooks": out}


def _root(args: argparse.Namespace):
    """The workspace folder the command runs on (the demo's when none is named)."""
    from oncall.workspace.paths import workspace_root
    from oncall.demo.install import demo_root

    return workspace_root(getattr(args, "workspace", None)) or demo_root()


def _runbook(args: argparse.Namespace, service):
    from oncall.service.runbooks import RunbookService
    from oncall.workspace.runbooks import load_library

    library = load_library(_root(args) / "runbooks", {s.name for s in service.config.sources})
    runbook = library.get(args.runbook)
    if runbook is None:
        broken = [p for path, p in library.broken if path.stem == args.runbook]
        why = f": {broken[0][0]}" if broken else f"; known: {', '.join(sorted(library.runbooks)) or 'none'}"
        raise CommandError(f"no runbook {args.runbook!r} in {_root(args) / 'runbooks'}{why}")
    return RunbookService(service.db, service.clock, service.actor), runbook


def _say(args: argparse.Namespace, document: dict, message: str) -> None:
    if args.json:
        print_json(document)
    else:
        print(message)
        sys.stdout.flush()
