"""who: who is on call (primary and secondary), who is next, and when the pager changes hands."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from oncall.cli import arguments, context
from oncall.cli.arguments import DASHED_TEXT, take_dashed_values
from oncall.cli.context import CommandError, print_json, resolve_workspace
from oncall.domain.clock import to_text
from oncall.domain.text import clean_line

if TYPE_CHECKING:  # pydantic-backed types load when a command runs, not when `oncall` starts
    from oncall.domain.people import OnCall, RotationOverride
    from oncall.workspace.config import Config


def register(commands: argparse._SubParsersAction) -> None:
    who = commands.add_parser("who", help="who is on call now (primary and secondary), who is next, and when")
    who.add_argument("--at", default=None,
                     help="another moment: ISO 8601 (2026-11-27T09:30Z; without a zone, UTC), HH:MM (UTC), "
                          "or -45m / -2h / -1d / -1w (default: now)")
    who.add_argument("--json", action="store_true")
    who.set_defaults(handler=cmd_who)
    take_dashed_values(who, DASHED_TEXT)  # `--at -2h`


def cmd_who(args: argparse.Namespace) -> int:
    clock = context.clock()
    if args.at is not None and not args.at.strip():
        raise CommandError("--at needs a time: 2026-12-24T10:00Z, 09:30 or -2h (leave it out for now)")
    at = arguments.moment(args.at, "--at", clock) if args.at else clock.now()
    from oncall.domain.people import check_year

    try:
        check_year(at)
    except ValueError as error:
        raise CommandError(f"--at {error}") from None
    # The roster and rotation are all it reads: the demo's database is not seeded for it.
    workspace = resolve_workspace(args, seed_demo=False)
    config, rotation = workspace.config, workspace.config.rotation
    if rotation is None:
        if args.json:
            print_json({"at": to_text(at), "rotation": False, "timezone": None, "primary": None, "secondary": None,
                        "next": None, "shift_ends": None, "shift_ends_local": None, "scheduled": None,
                        "override": None, "next_override": None})
        else:
            print(f"no on-call rotation in {workspace.config_path}: add a [rotation] section "
                  "(`oncall init` writes a commented example)")
        return 0
    now = rotation.who(at)
    zone = rotation.zone
    if args.json:
        print_json(_who_json(now, at, rotation.timezone, zone, config))
        return 0
    for label, text in _who_lines(now, at, rotation, config):
        print(f"{label:<10} {text}")
    return 0


# -- output -----------------------------------------------------------------------------------


def _who_lines(now: OnCall, at: datetime, rotation, config: Config) -> list[tuple[str, str]]:
    zone, name = rotation.zone, rotation.timezone
    lines = [("at", _when(at, zone, name))]
    if now.primary is None:
        why = (f"the rotation starts {_when(rotation.start, zone, name)}" if rotation.people and at < rotation.start
               else "the rotation has nobody in it")
        lines.append(("primary", f"nobody: {why}"))
    else:
        lines.append(("primary", _person(config, now.primary)))
    lines.append(("secondary", _person(config, now.secondary) if now.secondary else "-"))
    if now.override is not None:
        lines.append(("override", _override(now.override, now.scheduled, zone, name, config)))
    if now.shift_ends is None:
        lines.append(("next", "- (nobody else is due to take the pager)"))
        return lines
    lines.append(("next", _person(config, now.next_person) if now.next_person else "nobody"))
    lines.append(("changes", f"{_when(now.shift_ends, zone, name)}, in {_duration(now.shift_ends - at)}"))
    if now.next_override is not None:
        lines.append(("", "by override: " + _override(now.next_override, rotation.scheduled(now.shift_ends),
                                                       zone, name, config)))
    return lines


def _person(config: Config, person_id: str | None) -> str:
    person = config.person(person_id)
    return f"{clean_line(person.name)} ({person.id})" if person else clean_line(person_id or "-")


def _override(override: RotationOverride, replaced: str | None, zone: tzinfo, name: str, config: Config) -> str:
    who = _person(config, override.person)
    if replaced and replaced != override.person:
        who += f" instead of {_person(config, replaced)}"
    text = f"{who}, {_local(override.from_, zone)} to {_local(override.to, zone)}"
    return text + (f": {clean_line(override.reason)}" if override.reason else "")


def _local(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a %Y-%m-%d %H:%M} {local.tzname()}"


def _when(moment: datetime, zone: tzinfo, name: str) -> str:
    """A moment in the rotation's zone and in UTC (once, when they are the same)."""
    if zone is UTC:
        return _local(moment, UTC)
    return f"{_local(moment, zone)} ({name}) · {moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _duration(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds()) // 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def _who_json(now: OnCall, at: datetime, name: str, zone: tzinfo, config: Config) -> dict:
    def person(person_id: str | None) -> dict | None:
        if person_id is None:
            return None
        found = config.person(person_id)
        return {"id": person_id, "name": found.name if found else person_id,
                "email": found.email if found else "", "slack_id": found.slack_id if found else ""}

    def override(item: RotationOverride | None) -> dict | None:
        if item is None:
            return None
        return {"from": to_text(item.from_), "to": to_text(item.to),
                "from_local": item.from_.astimezone(zone).isoformat(), "to_local": item.to.astimezone(zone).isoformat(),
                "person": item.person, "reason": item.reason}

    return {
        "at": to_text(at),
        "rotation": True,
        "timezone": name,
        "primary": person(now.primary),
        "secondary": person(now.secondary),
        "next": person(now.next_person),
        "shift_ends": to_text(now.shift_ends) if now.shift_ends else None,
        "shift_ends_local": now.shift_ends.astimezone(zone).isoformat() if now.shift_ends else None,
        "scheduled": person(now.scheduled),
        "override": override(now.override),
        "next_override": override(now.next_override),
    }
