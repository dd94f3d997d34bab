"""Reading what people type on the command line: severities, statuses, incident ids, times,
and text that starts with a dash (`-5%`, `-2h`), which argparse would take for an option."""

from __future__ import annotations

import argparse
import re
from datetime import datetime

from oncall.cli.context import CommandError
from oncall.domain.clock import Clock, parse_moment
from oncall.domain.detection import DetectionSource
from oncall.domain.severity import Severity
from oncall.domain.status import ACTIVE, Status
from oncall.store.queue import ID_BITS

# "open" in `oncall list --status open`: every status still being worked on, as in the console.
STATUS_GROUPS = {"open": ACTIVE}


def parser_type(parse, what: str):
    def convert(text: str):
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    convert.__name__ = what
    return convert


def _statuses(text: str) -> frozenset[Status]:
    group = STATUS_GROUPS.get(text.strip().lower())
    if group is not None:
        return group
    try:
        return frozenset({Status.parse(text)})
    except ValueError as error:
        raise ValueError(f"{error}; or {', '.join(STATUS_GROUPS)} for every status still being worked on") from None


def _incident_id(text: str) -> int:
    cleaned = text.strip().upper().removeprefix("INC-").removeprefix("INC")
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise ValueError(f"{text!r} is not an incident id (use 42 or INC-42)")
    return int(cleaned)


severity = parser_type(Severity.parse, "severity")
status = parser_type(Status.parse, "status")
statuses = parser_type(_statuses, "status")
source = parser_type(DetectionSource.parse, "source")
incident_id = parser_type(_incident_id, "incident id")


def check_incident_id(number: int) -> int:
    """An id past what the store can hold names no incident: say so, as for any unknown one."""
    if not 1 <= number <= ID_BITS:
        raise CommandError(f"no incident INC-{number}")
    return number


def moment(text: str, option: str, clock: Clock) -> datetime:
    """Read a typed time against the service's own clock, so `-2h` and "now" agree."""
    try:
        return parse_moment(text, clock)
    except ValueError as error:
        raise CommandError(f"{option}: {error}") from None


def take_dashed_values(parser: argparse.ArgumentParser, pattern: str) -> None:
    """Let values that start with a dash and match `pattern` pass as values, the way argparse
    lets negative numbers pass (`--started-at -2h`, `note 1 "-5%"`). argparse has no public hook
    for this; its negative-number matcher is the documented-in-source way, used since 3.2."""
    parser._negative_number_matcher = re.compile(pattern)  # noqa: SLF001


# Any text starting with one dash that is not one of the command's own short options (-h, -w):
# relative times (`-2h`, `-1w`), negative numbers, `-5% since Monday`.
DASHED_TEXT = r"^-(?!-)(?![hw]$).+"
