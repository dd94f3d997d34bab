"""assign, unassign: the roles on an incident (IC, SME, Eng/Team Lead, TPM/PM/PO), and the roles
and RACI chart with names that `oncall show --json` prints."""

from __future__ import annotations

import argparse

from typing import TYPE_CHECKING

from oncall.cli.arguments import DASHED_TEXT, incident_id, take_dashed_values
from oncall.cli.context import CommandError, open_service, print_json
from oncall.cli.incident_cmds import _act, _get, check_roster

if TYPE_CHECKING:  # pydantic-backed: imported when a command runs, not when `oncall` starts
    from oncall.domain.roles import RoleHolders

ROLE_CHOICES = ["ic", "sme", "lead", "pm"]  # `Role`'s values, in the chart's order


def register(commands: argparse._SubParsersAction) -> None:
    assign = commands.add_parser("assign", help="give someone on the roster a role on an incident")
    assign.add_argument("id", type=incident_id)
    assign.add_argument("--role", required=True, choices=ROLE_CHOICES,
                        help="ic hands the Incident Commander role off; sme adds an expert; "
                             "lead and pm give (or hand on) the Eng/Team Lead and TPM/PM/PO roles")
    assign.add_argument("--person", required=True, help="a roster id from oncall.toml")
    assign.add_argument("--note", default="", help="what they should know (goes on the timeline)")
    assign.add_argument("--json", action="store_true")
    assign.set_defaults(handler=cmd_assign)
    take_dashed_values(assign, DASHED_TEXT)

    unassign = commands.add_parser("unassign", help="take a role on an incident from someone")
    unassign.add_argument("id", type=incident_id)
    unassign.add_argument("--role", required=True, choices=ROLE_CHOICES)
    unassign.add_argument("--person", required=True, help="a roster id from oncall.toml")
    unassign.add_argument("--note", default="")
    unassign.add_argument("--json", action="store_true")
    unassign.set_defaults(handler=cmd_unassign)
    take_dashed_values(unassign, DASHED_TEXT)


def cmd_assign(args: argparse.Namespace) -> int:
    from oncall.domain.people import Role
    from oncall.domain.roles import ROLE_NAMES

    role = Role(args.role)
    with open_service(args) as service:
        incident = _get(service, args.id)
        check_roster(service, args.person)
        holders = _act(lambda: service.assign_role(args.id, role, args.person, args.note))
        _say(args, service, holders, f"{incident.ref}: {args.person} is {ROLE_NAMES[role]}")
    return 0


def cmd_unassign(args: argparse.Namespace) -> int:
    from oncall.domain.people import Role
    from oncall.domain.roles import ROLE_NAMES

    role = Role(args.role)
    with open_service(args) as service:
        incident = _get(service, args.id)
        holders = _act(lambda: service.unassign_role(args.id, role, args.person, args.note))
        _say(args, service, holders, f"{incident.ref}: {args.person} is no longer {ROLE_NAMES[role]}")
    return 0


def roles_json(holders: RoleHolders, config) -> list[dict]:
    from oncall.domain.roles import ROLE_NAMES, ROLE_ORDER

    return [{"role": role.value, "title": ROLE_NAMES[role],
             "people": [_person_json(person, config) for person in holders.of(role)]} for role in ROLE_ORDER]


def raci_json(holders: RoleHolders, chart, config) -> list[dict]:
    """The chart for one incident: each activity, each role's letter and who holds that role."""
    from oncall.domain.raci import rows

    return [{"activity": activity.value, "title": activity.title,
             "roles": {role.value: {"involvement": involvement.value,
                                    "people": [_person_json(p, config) for p in holders.of(role)]}
                       for role, involvement in cells.items()}}
            for activity, cells in rows(chart)]


def roles_lines(holders: RoleHolders, config) -> list[tuple[str, str]]:
    """(label, who) for `oncall show`: every role, `-` where nobody holds it."""
    from oncall.domain.roles import ROLE_NAMES, ROLE_ORDER

    return [(ROLE_NAMES[role], ", ".join(_name(p, config) for p in holders.of(role)) or "-") for role in ROLE_ORDER]


def _person_json(person_id: str, config) -> dict:
    person = config.person(person_id)
    return {"id": person_id, "name": person.name if person else person_id}


def _name(person_id: str, config) -> str:
    person = config.person(person_id)
    return f"{person.name} ({person_id})" if person else person_id


def _say(args: argparse.Namespace, service, holders: RoleHolders, message: str) -> None:
    if args.json:
        print_json({"ref": f"INC-{args.id}", "roles": roles_json(holders, service.config)})
    else:
        print(message)
