"""declare, list, show, status, severity, note, impact, eta, ic: the incident commands."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from oncall.cli import arguments
from oncall.cli.arguments import DASHED_TEXT, incident_id, take_dashed_values
from oncall.cli.context import EXIT_REFUSED, CommandError, open_service, print_json
from oncall.cli.output import block, fit, right
from oncall.domain.clock import from_text, humanize_age, to_text
from oncall.domain.detection import DetectionSource
from oncall.domain.rules import RuleViolation
from oncall.domain.text import clean_line
from oncall.store.queue import QueueFilter, QueueReader

if TYPE_CHECKING:  # pydantic-backed types load when a command runs, not when `oncall` starts
    from pydantic import ValidationError

    from oncall.domain.incident import Incident, TimelineEvent


def register(commands: argparse._SubParsersAction) -> None:
    declare = commands.add_parser("declare", help="declare an incident")
    declare.add_argument("--title", required=True)
    declare.add_argument("--severity", required=True, type=arguments.severity, help="SEV-1, SEV-2 or SEV-3")
    declare.add_argument("--asset", required=True, help="an asset id from oncall.toml")
    declare.add_argument("--source", type=arguments.source, default=DetectionSource.USER_REPORT,
                         help="alert, user_report or drill (default user_report)")
    declare.add_argument("--impact", default="")
    declare.add_argument("--started-at", dest="started_at", default=None,
                         help="when the data went bad: ISO 8601, HH:MM, or -45m / -2h / -1d / -1w")
    declare.add_argument("--ic", default=None, help="Incident Commander (default: who is on call)")
    declare.add_argument("--reported-by", dest="reported_by", default="",
                         help="who reported it: a roster id, a Slack user id (U04ABCDEF) or an email address")
    declare.add_argument("--json", action="store_true")
    declare.set_defaults(handler=cmd_declare)
    take_dashed_values(declare, DASHED_TEXT)  # `--started-at -2h`, `--title "-5%"`: values, not options

    listing = commands.add_parser("list", help="list the incident queue")
    listing.add_argument("--status", type=arguments.statuses, action="append", default=[],
                         help="repeatable; `open` for every status still being worked on")
    listing.add_argument("--severity", type=arguments.severity, action="append", default=[], help="repeatable")
    listing.add_argument("--search", default="", help="full-text search")
    listing.add_argument("--mine", action="store_true",
                         help="only incidents where you ($ONCALL_USER) hold a role, as the console's m")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)
    take_dashed_values(listing, DASHED_TEXT)  # `--search "-5%"`

    show = commands.add_parser("show", help="show an incident and its timeline")
    show.add_argument("id", type=incident_id)
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)

    status = commands.add_parser("status", help="move an incident along its lifecycle")
    status.add_argument("id", type=incident_id)
    status.add_argument("new_status", type=arguments.status)
    status.add_argument("--reason", default="")
    take_dashed_values(status, DASHED_TEXT)
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_status)

    severity = commands.add_parser("severity", help="change an incident's severity")
    severity.add_argument("id", type=incident_id)
    severity.add_argument("new_severity", type=arguments.severity)
    severity.add_argument("--reason", required=True)
    take_dashed_values(severity, DASHED_TEXT)
    severity.add_argument("--json", action="store_true")
    severity.set_defaults(handler=cmd_severity)

    note = commands.add_parser("note", help="add a note to an incident's timeline")
    note.add_argument("id", type=incident_id)
    note.add_argument("text")
    note.add_argument("--json", action="store_true")
    note.set_defaults(handler=cmd_note)
    take_dashed_values(note, DASHED_TEXT)  # `oncall note 1 "-5% since Monday"`

    hand_off = commands.add_parser("ic", help="hand the Incident Commander role to someone on the roster")
    hand_off.add_argument("id", type=incident_id)
    hand_off.add_argument("person", help="a roster id from oncall.toml")
    hand_off.add_argument("--note", default="", help="what the new IC should know")
    hand_off.add_argument("--json", action="store_true")
    hand_off.set_defaults(handler=cmd_ic)
    take_dashed_values(hand_off, DASHED_TEXT)

    for name, helptext in (("impact", "set the impact summary"), ("eta", "set the ETA for a fix")):
        edit = commands.add_parser(name, help=helptext)
        edit.add_argument("id", type=incident_id)
        edit.add_argument("text")
        edit.add_argument("--json", action="store_true")
        edit.set_defaults(handler=cmd_edit, field=name)
        take_dashed_values(edit, DASHED_TEXT)


# -- handlers ---------------------------------------------------------------------------------


def cmd_declare(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from oncall.service.incidents import Declaration

    with open_service(args) as service:
        assets = service.config.assets
        if assets and not service.config.asset(args.asset):
            # A name that does not exist is bad input (exit 2), like an unknown severity.
            raise CommandError(f"unknown asset {args.asset!r}; known assets: {', '.join(a.id for a in assets)}")
        started = arguments.moment(args.started_at, "--started-at", service.clock) if args.started_at else None
        _check_reporter(service, args.reported_by)
        try:
            incident = _act(lambda: service.declare(Declaration(
                title=args.title, severity=args.severity, asset=args.asset, source=args.source,
                impact=args.impact, started_at=started, ic=args.ic, reported_by=args.reported_by,
            )))
        except ValidationError as error:  # an empty or over-long title
            raise CommandError(_validation_message(error)) from None
        _report(args, incident, f"declared {incident.ref} {incident.severity.value} {incident.title}")
    return 0


def _check_reporter(service, reporter: str) -> None:
    """A reporter who cannot be a person is bad input (exit 2), like an unknown asset."""
    from oncall.domain.reporter import parse_reporter
    from oncall.domain.rules import RuleViolation

    try:
        parse_reporter(reporter, lambda person: service.config.person(person) is not None)
    except RuleViolation as problem:
        raise CommandError(f"--{problem}") from None


def cmd_list(args: argparse.Namespace) -> int:
    from oncall.workspace.paths import current_actor

    flt = QueueFilter(statuses=frozenset().union(*args.status), severities=frozenset(args.severity),
                      text=args.search, person=current_actor() if args.mine else "")
    with open_service(args) as service:
        reader = QueueReader(service.db)
        total = reader.count(flt)
        rows = reader.window(flt, 0, max(args.limit, 0))
        if args.json:
            print_json({"total": total, "incidents": [_row_json(row) for row in rows]})
            return 0
        now = service.clock.now()
        # Every id in full, however large: the column is as wide as the widest one shown.
        id_width = max([len("ID"), *(len(f"INC-{row.id}") for row in rows)])
        print(f"{fit('ID', id_width)} {'SEV':<6} {'STATUS':<14} {'AGE':>5}  {'ASSET':<24} {'IC':<8} TITLE")
        for row in rows:
            age = humanize_age(now - from_text(row.detected_at))
            print(f"{fit(f'INC-{row.id}', id_width)} {row.severity:<6} {row.status:<14} {right(age, 5)}  "
                  f"{fit(row.asset, 24)} {fit(row.ic or '-', 8)} {'[drill] ' if row.is_drill else ''}{clean_line(row.title)}")
        shown = len(rows)
        print(f"{shown} of {total} ({flt.describe()})")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from oncall.cli.action_cmds import counts, item_json, item_line
    from oncall.cli.postmortem_cmds import person, status_json
    from oncall.service.postmortems import PostmortemService

    with open_service(args) as service:
        incident = _get(service, args.id)
        events = service.events(args.id)
        holders = service.roles(args.id)
        postmortems = PostmortemService(service.db, service.config, service.clock, service.actor)
        postmortem = postmortems.store.get(args.id)
        items = postmortems.actions_of(args.id)
        today = service.clock.now().date()
        from oncall.store.intake import IntakeRepository

        signal = IntakeRepository(service.db).of_incident(args.id)
        if args.json:
            from oncall.cli.role_cmds import raci_json, roles_json
            from oncall.cli.runbook_work_cmds import runbooks_json

            print_json({"incident": _incident_json(incident), "roles": roles_json(holders, service.config),
                        "raci": raci_json(holders, service.raci, service.config),
                        **runbooks_json(service, args.id, args),
                        "postmortem": status_json(postmortem, service.config) if postmortem else None,
                        "action_items": [item_json(item, service.config, today) for item in items],
                        "intake": _intake_json(signal),
                        "timeline": [_event_json(e) for e in events]})
            return 0
        from oncall.cli.role_cmds import roles_lines

        said_postmortem = (f"{postmortem.status.label} (by {person(postmortem.status_by, service.config)}, "
                           f"{to_text(postmortem.status_at)})" if postmortem else "none yet")
        cause = incident.root_cause or "-"
        recurrence = postmortems.recurrence(incident)
        if recurrence:
            earlier, earlier_items = recurrence
            cause += f"; recurring: {earlier.ref} (its action items: {counts(earlier_items, today)})"
        elif incident.recurring_of:
            cause += f"; recurring: INC-{incident.recurring_of}"
        print(f"{incident.ref}  {incident.severity.value}  {incident.status.value}  {clean_line(incident.title)}")
        for label, value in (
            ("asset", incident.asset), ("source", incident.source.value),
            *((("reported by", incident.reported_by),) if incident.reported_by else ()),
            *((label, who) for label, who in roles_lines(holders, service.config)),
            ("impact", incident.impact or "-"), ("ETA", incident.eta or "-"),
            ("started", _text(incident.started_at)), ("detected", _text(incident.detected_at)),
            ("declared", _text(incident.declared_at)), ("resolved", _text(incident.resolved_at)),
            ("closed", _text(incident.closed_at)),
            *((("signal", _intake_line(signal)),) if signal else ()),
            ("post-mortem", said_postmortem), ("root cause", cause),
            ("action items", counts(items, today) if items else "none"),
        ):
            print(f"  {label:<21} {block(value, 24)}")
        for item in items:
            print(f"    {item_line(item, service.config, today)}")
        print("timeline:")
        for event in events:
            lead = f"  {to_text(event.at)}  {fit(event.actor, 8)} {event.kind.value:<18} "
            print(lead + block(event.text, len(lead)))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with open_service(args) as service:
        _get(service, args.id)
        incident = _act(lambda: service.change_status(args.id, args.new_status, args.reason))
        _report(args, incident, f"{incident.ref} is now {incident.status.value}")
    return 0


def cmd_severity(args: argparse.Namespace) -> int:
    with open_service(args) as service:
        _get(service, args.id)
        incident = _act(lambda: service.change_severity(args.id, args.new_severity, args.reason))
        _report(args, incident, f"{incident.ref} is now {incident.severity.value}")
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    with open_service(args) as service:
        _get(service, args.id)
        event = _act(lambda: service.add_note(args.id, args.text))
        if args.json:
            print_json(_event_json(event))
        else:
            print(f"noted on INC-{args.id}")
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    with open_service(args) as service:
        _get(service, args.id)
        action = service.set_impact if args.field == "impact" else service.set_eta
        incident = _act(lambda: action(args.id, args.text))
        _report(args, incident, f"{incident.ref} {args.field} updated")
    return 0


def cmd_ic(args: argparse.Namespace) -> int:
    with open_service(args) as service:
        _get(service, args.id)
        check_roster(service, args.person)
        incident = _act(lambda: service.assign_ic(args.id, args.person, args.note))
        _report(args, incident, f"{incident.ref}: {incident.ic} is Incident Commander")
    return 0


# -- helpers ----------------------------------------------------------------------------------


def check_roster(service, person_id: str) -> None:
    """Someone not on the roster is bad input (exit 2), said before any rule is asked."""
    if service.config.people and not service.config.person(person_id):
        known = ", ".join(p.id for p in service.config.people)
        raise CommandError(f"{person_id!r} is not on the roster; known: {known}")


def _act(action):
    try:
        return action()
    except RuleViolation as error:
        raise CommandError(str(error), EXIT_REFUSED) from None


def _validation_message(error: ValidationError) -> str:
    return "; ".join(
        f"--{'.'.join(str(part) for part in detail['loc'])}: {detail['msg'].removeprefix('Value error, ')}"
        for detail in error.errors()
    )


def _get(service, number: int) -> Incident:
    from oncall.store.incidents import IncidentNotFound

    try:
        return service.get(arguments.check_incident_id(number))
    except IncidentNotFound as error:
        raise CommandError(str(error)) from None


def _report(args: argparse.Namespace, incident: Incident, message: str) -> None:
    if args.json:
        print_json(_incident_json(incident))
    else:
        print(message)


def _intake_json(item) -> dict | None:
    """What opened an intake item: its key, state, how often it repeated, where to look."""
    if item is None:
        return None
    return {"key": item.key, "origin": item.origin, "firing": item.firing, "repeats": item.repeats,
            "first_seen": to_text(item.first_seen), "last_seen": to_text(item.last_seen), "link": item.link,
            "slack_thread": list(item.slack_thread) if item.slack_thread else None}


def _intake_line(item) -> str:
    state = "firing" if item.firing else "resolved"
    if item.origin == "report":
        return f"a report{' in Slack' if item.slack_thread else ''}" + (f": {item.link}" if item.link else "")
    repeats = f", {item.repeats} repeat{'s' if item.repeats != 1 else ''} since {to_text(item.first_seen)}" \
        if item.repeats else ""
    return f"{item.key} ({state}{repeats}; last heard {to_text(item.last_seen)})"


def _incident_json(incident: Incident) -> dict:
    return {"ref": incident.ref, **incident.model_dump(mode="json")}


def _event_json(event: TimelineEvent) -> dict:
    return event.model_dump(mode="json")


def _row_json(row) -> dict:
    return {"id": row.id, "ref": f"INC-{row.id}", "severity": row.severity, "status": row.status,
            "title": row.title, "asset": row.asset, "ic": row.ic, "detected_at": row.detected_at,
            "updated_at": row.updated_at, "is_drill": row.is_drill}


def _text(moment: datetime | None) -> str:
    return to_text(moment) if moment else "-"
