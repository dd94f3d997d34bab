"""action add / done / wontdo / reopen / set, and actions: the action items a post-mortem asks for,
each with an owner from the roster and a due date, tracked until done (or won't do, with why).

Items are named `A-12` or `12`. The service (and with it pydantic) is imported inside the
handlers: `oncall` starts without them."""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len

from oncall.cli.arguments import DASHED_TEXT, incident_id, parser_type, take_dashed_values
from oncall.cli.context import CommandError, print_json
from oncall.cli.output import fit
from oncall.cli.postmortem_cmds import act, incident_of, open_postmortems, person
from oncall.domain.action_items import TITLE_MAX, ActionStatus, Priority, parse_due
from oncall.domain.clock import to_text
from oncall.domain.text import clean_line

if TYPE_CHECKING:
    from oncall.domain.action_items import ActionItem

ITEM_MAX = 2 ** 63 - 1  # past what SQLite holds: no such item


def _item_id(text: str) -> int:
    cleaned = text.strip().upper().removeprefix("A-").removeprefix("A")
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise ValueError(f"{clean_line(text)[:40]!r} is not an action item (use 12 or A-12)")
    return int(cleaned)


item_id = parser_type(_item_id, "action item")
priority = parser_type(Priority.parse, "priority")


def register(commands: argparse._SubParsersAction) -> None:
    action = commands.add_parser("action", help="add an action item to an incident, or move one on")
    sub = action.add_subparsers(dest="action_command", metavar="COMMAND", required=True)

    add = sub.add_parser("add", help="add an action item to an incident")
    add.add_argument("id", type=incident_id)
    add.add_argument("--title", required=True, help="what must change: a check, an alert, a runbook step")
    _item_options(add)
    add.set_defaults(handler=cmd_add)

    done = sub.add_parser("done", help="mark an action item done")
    done.add_argument("item", type=item_id, metavar="N", help="12 or A-12")
    done.add_argument("--json", action="store_true")
    done.set_defaults(handler=cmd_done)

    wontdo = sub.add_parser("wontdo", help="decide against an action item, saying why")
    wontdo.add_argument("item", type=item_id, metavar="N", help="12 or A-12")
    wontdo.add_argument("--reason", required=True, help="why it will not be done (kept with the item)")
    wontdo.add_argument("--json", action="store_true")
    wontdo.set_defaults(handler=cmd_wontdo)
    take_dashed_values(wontdo, DASHED_TEXT)

    reopen = sub.add_parser("reopen", help="open a done or won't-do action item again")
    reopen.add_argument("item", type=item_id, metavar="N", help="12 or A-12")
    reopen.add_argument("--json", action="store_true")
    reopen.set_defaults(handler=cmd_reopen)

    change = sub.add_parser("set", help="give an action item an owner, a due date or a priority")
    change.add_argument("item", type=item_id, metavar="N", help="12 or A-12")
    _item_options(change)
    change.set_defaults(handler=cmd_set)

    listing = commands.add_parser("actions", help="list action items across incidents: open first, by due date")
    listing.add_argument("--owner", default="", metavar="H", help="only this person's (a roster id)")
    listing.add_argument("--overdue", action="store_true", help="only open items past their due date")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_actions)


def _item_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--owner", default=None, metavar="H", help="a roster id")
    parser.add_argument("--due", default=None, metavar="DATE", help="YYYY-MM-DD, or +7d / +2w from today (UTC)")
    parser.add_argument("--priority", type=priority, default=None, help="high, medium or low")
    parser.add_argument("--json", action="store_true")
    take_dashed_values(parser, DASHED_TEXT)  # `--title "-5% conversion check"`


# -- handlers ---------------------------------------------------------------------------------


def cmd_add(args: argparse.Namespace) -> int:
    title = " ".join(clean_line(args.title).split())
    if not title:
        raise CommandError("--title: empty (nothing visible in it): say what must change")
    if len(title) > TITLE_MAX:
        raise CommandError(f"--title: {len(title):,} characters; an action item's title is at most {TITLE_MAX}")
    with open_postmortems(args) as service:
        incident = incident_of(service, args.id)
        owner = _owner(service, args.owner)
        due = _due(service, args.due)
        item = act(lambda: service.add_action(args.id, title, owner or "", due, args.priority or Priority.MEDIUM))
        _say(args, service, item, f"added to {incident.ref}: {item_line(item, service.config, _today(service))}")
    return 0


def cmd_done(args: argparse.Namespace) -> int:
    return _move(args, lambda service: service.finish_action(args.item))


def cmd_reopen(args: argparse.Namespace) -> int:
    return _move(args, lambda service: service.reopen_action(args.item))


def cmd_wontdo(args: argparse.Namespace) -> int:
    return _move(args, lambda service: service.wont_do(args.item, args.reason))


def cmd_set(args: argparse.Namespace) -> int:
    if args.owner is None and args.due is None and args.priority is None:
        raise CommandError("say what to change: --owner H, --due DATE or --priority P")
    with open_postmortems(args) as service:
        before = act(lambda: service.items.get(_checked(args.item)))
        owner = _owner(service, args.owner)
        due = _due(service, args.due)
        item = act(lambda: service.change_action(args.item, owner=owner, due=due, priority=args.priority))
        said = "unchanged" if item == before else "changed"
        _say(args, service, item, f"{said}: {item_line(item, service.config, _today(service))}")
    return 0


def cmd_actions(args: argparse.Namespace) -> int:
    with open_postmortems(args) as service:
        owner = _owner(service, args.owner) if args.owner else ""
        items = service.actions(owner=owner, overdue=args.overdue)
        config, today = service.config, _today(service)
    if args.json:
        print_json({"today": today.isoformat(), "action_items": [item_json(item, config, today) for item in items]})
        return 0
    whose = f" owned by {owner}" if owner else ""
    if not items:
        print(f"no {'overdue ' if args.overdue else ''}action items{whose}")
        return 0
    columns = [("ID", [item.ref for item in items]), ("INC", [f"INC-{item.incident_id}" for item in items]),
               ("STATUS", [item.status.label for item in items]), ("PRIORITY", [item.priority.value for item in items]),
               ("DUE", [due_words(item, today) for item in items]), ("OWNER", [item.owner or "-" for item in items])]
    widths = [max(len(head), *(cell_len(clean_line(value)) for value in values)) for head, values in columns]
    print("  ".join(fit(head, width) for (head, _), width in zip(columns, widths)) + "  TITLE")
    for row, item in enumerate(items):
        print("  ".join(fit(values[row], width) for (_, values), width in zip(columns, widths)) + "  "
              + clean_line(item.title))
    print(f"{len(items)} action item{'s' if len(items) != 1 else ''}{whose}: {counts(items, today)}")
    return 0


# -- shared with postmortem_cmds and `oncall show` --------------------------------------------


def item_json(item: ActionItem, config, today: date) -> dict[str, Any]:
    return {"id": item.id, "ref": item.ref, "incident_id": item.incident_id, "incident": f"INC-{item.incident_id}",
            "title": item.title, "owner": item.owner or None, "owner_name": config.name_of(item.owner) if item.owner
            else None, "due": item.due.isoformat() if item.due else None, "priority": item.priority.value,
            "status": item.status.value, "reason": item.reason, "overdue": item.overdue(today),
            "tracked": item.tracked, "created_by": item.created_by, "created_at": to_text(item.created_at),
            "updated_at": to_text(item.updated_at), "jira_key": item.jira_key}


def item_line(item: ActionItem, config, today: date) -> str:
    """One line for a person: `A-3 open, high, due 2026-12-04 (in 7 days), Tom Brandt (tom): Add a check`."""
    status = item.status.label + (f" ({clean_line(item.reason)})" if item.reason else "")
    owner = person(item.owner, config) if item.owner else "no owner"
    return clean_line(f"{item.ref} {status}, {item.priority.value}, {due_words(item, today)}, {owner}: {item.title}")


def due_words(item: ActionItem, today: date) -> str:
    """The due date and where it stands, in words: `2026-11-20, overdue by 7 days`."""
    if item.due is None:
        return "no due date"
    days = (item.due - today).days
    if item.status is not ActionStatus.OPEN:
        return f"due {item.due.isoformat()}"
    if days < 0:
        return f"due {item.due.isoformat()}, OVERDUE by {_days(-days)}"
    if days == 0:
        return f"due {item.due.isoformat()}, today"
    return f"due {item.due.isoformat()}, in {_days(days)}"


def counts(items: list[ActionItem], today: date | None = None) -> str:
    """`2 open (1 overdue), 1 done, 0 won't do`."""
    tally = {status: sum(1 for item in items if item.status is status) for status in ActionStatus}
    overdue = sum(1 for item in items if today and item.overdue(today))
    opened = f"{tally[ActionStatus.OPEN]} open" + (f" ({overdue} overdue)" if overdue else "")
    return f"{opened}, {tally[ActionStatus.DONE]} done, {tally[ActionStatus.WONT_DO]} won't do"


# -- helpers ----------------------------------------------------------------------------------


def _move(args: argparse.Namespace, change) -> int:
    with open_postmortems(args) as service:
        act(lambda: service.items.get(_checked(args.item)))
        item = act(lambda: change(service))
        _say(args, service, item, item_line(item, service.config, _today(service)))
    return 0


def _checked(number: int) -> int:
    if not 1 <= number <= ITEM_MAX:
        shown = str(number) if len(str(number)) <= 20 else str(number)[:19] + "…"
        raise CommandError(f"no action item A-{shown}")
    return number


def _owner(service, owner: str | None) -> str | None:
    """An owner not on the roster is bad input (exit 2); `--owner ""` leaves an item without one."""
    if owner is None:
        return None
    owner = clean_line(owner).strip()
    if owner and service.config.people and not service.config.person(owner):
        known = ", ".join(p.id for p in service.config.people)
        shown = owner if len(owner) <= 40 else owner[:39] + "…"
        raise CommandError(f"{shown!r} is not on the roster; known: {known}")
    return owner


def _due(service, text: str | None) -> date | None:
    if text is None:
        return None
    text = clean_line(text)
    try:
        if len(text) > 40:
            raise ValueError(f"cannot read due date {text[:39] + '…'!r}: use YYYY-MM-DD, or +7d / +2w from today")
        return parse_due(text, _today(service))
    except (ValueError, OverflowError) as error:
        raise CommandError(f"--due: {error}") from None


def _today(service) -> date:
    return service.clock.now().date()


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


def _say(args: argparse.Namespace, service, item: ActionItem, message: str) -> None:
    if args.json:
        print_json(item_json(item, service.config, _today(service)))
    else:
        print(message)
