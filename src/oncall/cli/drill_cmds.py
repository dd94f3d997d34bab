"""oncall drill list|check|run|pause|resume|end|history|report: fire drills from the command line.

A drill started here is played in the console (every console on the workspace shows its banner
and its injects); `run --watch` also delivers the injects here, printing each, until it ends.
The service and the scenario loader are imported inside the handlers: `oncall` starts without them.
"""

from __future__ import annotations

import argparse
import sys
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from oncall.cli import context
from oncall.cli.context import EXIT_BAD_INPUT, EXIT_REFUSED, CommandError, print_json
from oncall.domain.text import clean_line

if TYPE_CHECKING:
    from oncall.service.drills import DrillService

WATCH_TICK_SECONDS = 1.0


def register(commands: argparse._SubParsersAction) -> None:
    drill = commands.add_parser("drill", help="fire drills: rehearse an incident safely, and score the response")
    sub = drill.add_subparsers(dest="drill_command", metavar="COMMAND", required=True)
    listing = sub.add_parser("list", help="the drills in the workspace's drills/ folder")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)
    check = sub.add_parser("check", help="every problem in the drill files, as file:line: field: message (exit 1)")
    check.set_defaults(handler=cmd_check)
    run = sub.add_parser("run", help="start a drill (the console shows it; --watch also plays it here)")
    run.add_argument("name", help="the scenario's file name without .yaml (oncall drill list)")
    run.add_argument("--speed", type=_speed, default=None, metavar="N",
                     help="play it N times faster than real time (default [drills] speed, else 1)")
    run.add_argument("--watch", action="store_true", help="deliver and print the injects here until it ends")
    run.add_argument("--json", action="store_true")
    run.set_defaults(handler=cmd_run)
    for name, what in (("pause", "pause the running drill (its clock stands still)"),
                       ("resume", "resume the paused drill"), ("end", "end the running drill now and score it")):
        control = sub.add_parser(name, help=what)
        control.add_argument("--json", action="store_true")
        control.set_defaults(handler=cmd_control, control=name)
    history = sub.add_parser("history", help="every drill run, with its scorecard's results")
    history.add_argument("--json", action="store_true")
    history.set_defaults(handler=cmd_history)
    report = sub.add_parser("report", help="a run's scorecard as Markdown, for the feedback session")
    report.add_argument("run", type=_run_id, help="the run's number (oncall drill history)")
    report.set_defaults(handler=cmd_report)


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 3600 or value != value:
        raise argparse.ArgumentTypeError(f"{text!r}: a drill runs at more than 0 and at most 3600 times real time")
    return value


def _run_id(text: str) -> int:
    cleaned = text.strip().lower().removeprefix("run-").removeprefix("#")
    if not cleaned.isdigit() or not 0 < int(cleaned) < 2 ** 63:
        raise argparse.ArgumentTypeError(f"{text!r} is not a drill run number (see oncall drill history)")
    return int(cleaned)


@contextmanager
def drills(args: argparse.Namespace) -> Iterator["DrillService"]:
    from oncall.service.drills import DrillService

    workspace = context.resolve_workspace(args)
    database = workspace.open_database()
    try:
        yield DrillService(database, workspace.config, context.clock(), workspace.actor(), workspace.root)
    finally:
        database.close()


def _act(action):
    from oncall.domain.rules import RuleViolation

    try:
        return action()
    except RuleViolation as error:
        raise CommandError(str(error), EXIT_REFUSED) from None
    except LookupError as error:
        raise CommandError(str(error).strip("'\""), EXIT_BAD_INPUT) from None


def cmd_list(args: argparse.Namespace) -> int:
    with drills(args) as service:
        library = service.library()
        rows = [{"name": s.name, "title": s.title, "severity": s.severity.value, "asset": s.asset,
                 "injects": len(s.injects)} for s in sorted(library.scenarios.values(), key=lambda s: s.name)]
        if args.json:
            print_json({"drills": rows, "problems": [str(p) for p in library.problems]})
            return 0
        width = max([len("NAME"), *(len(row["name"]) for row in rows)])
        print(f"{'NAME':<{width}}  SEV    INJECTS  TITLE")
        for row in rows:
            print(f"{row['name']:<{width}}  {row['severity']:<6} {row['injects']:>7}  {clean_line(row['title'])}")
        print(f"{len(rows)} drill{'s' if len(rows) != 1 else ''}"
              + (f"; {len(library.problems)} problem(s): oncall drill check" if library.problems else ""))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    with drills(args) as service:
        library = service.library()
    for problem in library.problems:
        print(clean_line(str(problem)))
    files = {p.file for p in library.problems}
    print(f"checked {len(library.scenarios) + len(files)} drill file(s): "
          + (f"{len(library.problems)} problem(s) in {len(files)} file(s); the others run" if files else "no problems"))
    return 1 if library.problems else 0


def cmd_run(args: argparse.Namespace) -> int:
    with drills(args) as service:
        run = _act(lambda: service.start(args.name, args.speed))
        if args.json:
            print_json({"run": run.id, "scenario": run.scenario, "incident": f"INC-{run.incident_id}",
                        "speed": run.speed, "started_at": run.started_at})
        else:
            print(f"drill {run.id} started: {clean_line(run.title)} (INC-{run.incident_id}, {run.speed:g}× speed). "
                  "Every console on this workspace shows it; run the incident there.")
        if args.watch:
            for event in service.channel(run):  # what arrived as it started
                if "inject" in event.data:
                    print(clean_line(event.text), flush=True)
            return _watch(service)
    return 0


def _watch(service: "DrillService") -> int:
    """Deliver the injects here, printing each, until the drill ends (or ctrl+c)."""
    stop = threading.Event()
    try:
        while not stop.is_set():
            for delivered in service.tick():
                print(f"[{delivered.kind}] {clean_line(delivered.persona)}: {clean_line(delivered.text)}", flush=True)
            if service.running() is None:
                print("the drill ended: oncall drill history shows its scorecard", flush=True)
                return 0
            stop.wait(WATCH_TICK_SECONDS)
    except KeyboardInterrupt:
        print("stopped watching; the drill goes on (oncall drill end to end it)", file=sys.stderr)
    return 0


def cmd_control(args: argparse.Namespace) -> int:
    with drills(args) as service:
        action = {"pause": service.pause, "resume": service.resume, "end": service.end}[args.control]
        run = _act(action)
        said = {"pause": "paused", "resume": "resumed", "end": "ended"}[args.control]
        if args.json:
            print_json({"run": run.id, "state": said, "scorecard": run.scorecard})
        else:
            print(f"drill {run.id} {said}" + (": oncall drill report " + str(run.id) + " for the scorecard"
                                             if args.control == "end" else ""))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    with drills(args) as service:
        runs = service.history()
    rows = []
    for run in runs:
        results = (run.scorecard or {}).get("results") or []
        met = sum(1 for r in results if r.get("met") is True)
        measured = sum(1 for r in results if r.get("met") is not None)
        rows.append({"run": run.id, "scenario": run.scenario, "title": run.title, "speed": run.speed,
                     "started_at": run.started_at, "ended_at": run.ended_at, "ended_early": run.ended_early,
                     "incident": f"INC-{run.incident_id}" if run.incident_id else None,
                     "targets_met": met if run.scorecard else None, "targets": measured if run.scorecard else None,
                     "scorecard": run.scorecard})
    if args.json:
        print_json({"runs": rows})
        return 0
    for row in rows:
        state = ("running" if row["ended_at"] is None else
                 f"{row['targets_met']}/{row['targets']} targets met" + (" (ended early)" if row["ended_early"] else ""))
        print(f"{row['run']:>4}  {row['started_at']:%Y-%m-%d %H:%M}  {row['scenario']:<24} {state}")
    print(f"{len(rows)} drill run{'s' if len(rows) != 1 else ''}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    with drills(args) as service:
        print(_act(lambda: service.report(args.run)), end="")
    return 0
