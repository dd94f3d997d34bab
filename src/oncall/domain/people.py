"""People on the roster, the roles they fill in an incident, and who is on call.

The rotation keeps its shifts in the team's own time zone: a shift that starts at 09:00
Europe/Berlin starts at 09:00 there in winter and in summer (08:00 or 07:00 UTC). Without
`timezone` and `handover` a rotation is what it always was: shifts of `shift_days` from `start`,
in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import Enum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from oncall.domain.text import clean_line

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Role(str, Enum):
    IC = "ic"
    SME = "sme"
    LEAD = "lead"
    PM = "pm"

    @property
    def title(self) -> str:
        return {
            "ic": "On-Call Engineer (IC)",
            "sme": "Data Engineer (SME)",
            "lead": "Eng/Team Lead",
            "pm": "TPM/PM/PO",
        }[self.value]


# Text a person wrote in oncall.toml is shown in the console: never a control character or an
# escape sequence (`domain/text.py`), as with every other text.
_Line = Annotated[str, BeforeValidator(lambda value: clean_line(value) if isinstance(value, str) else value)]


class Person(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: _Line = Field(min_length=1)
    email: _Line = ""
    slack_id: _Line = ""
    team: _Line = ""
    roles: list[Role] = Field(default_factory=list)
    # The person's Jira account: on Jira Cloud their accountId (`5b10ac8d82e05b22cc7d4ef5`,
    # `557058:f58131cb-…`), on Jira Server/Data Center their username. Empty: not known.
    jira_account: str = Field(default="", max_length=128)

    @field_validator("jira_account")
    @classmethod
    def _one_word(cls, value: str) -> str:
        value = value.strip()
        if any(char.isspace() or not char.isprintable() for char in value):
            raise ValueError("a Jira account is one word with no spaces: on Jira Cloud the accountId, "
                             "on Jira Server the username")
        return value


# -- time zones and local times -----------------------------------------------------------------


def zone_named(name: str) -> tzinfo:
    """The time zone with that IANA name. `UTC` needs no time zone database."""
    if name.strip().upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown, a path, a folder (`Europe`)
        raise ValueError(f"unknown time zone {name!r}; use an IANA name like Europe/Berlin or "
                         "America/New_York (or UTC)") from None


def _zone_or_utc(name: Any) -> tzinfo:
    try:
        return zone_named(name) if isinstance(name, str) else UTC
    except ValueError:
        return UTC  # reported when the `timezone` key itself is validated


# Times a rotation can hold: far enough either way for any real team, near enough that adding a
# shift or a day never runs past what Python's datetime can hold (`to = 9999-12-31` would).
YEARS = (1970, 2999)


def check_year(moment: datetime | date) -> None:
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise ValueError(f"must be between the years {YEARS[0]} and {YEARS[1]}")


def _in_zone(value: Any, zone: tzinfo, *, day_time: time = time(0), end_of_day: bool = False) -> Any:
    """A naive datetime in `zone`; a date at `day_time` there (or, with `end_of_day`, the midnight
    that ends it). Text is read as the date or date-time it spells (`"2026-12-28"` is that day,
    like an unquoted date). Anything else is left for validation to judge."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return value  # validation says what is wrong with it
    if isinstance(value, (datetime, date)) and not YEARS[0] <= value.year <= YEARS[1]:
        return value  # left as it is: the field's own check names it (adding a day could overflow)
    if isinstance(value, datetime):
        return value.replace(tzinfo=zone) if value.tzinfo is None else value
    if isinstance(value, date):
        day = value + timedelta(days=1) if end_of_day else value
        return datetime.combine(day, time(0) if end_of_day else day_time, tzinfo=zone)
    return value


def localize_override(entry: Any, zone: tzinfo) -> Any:
    """An override entry (the raw table) with naive `from`/`to` read in `zone`. A date in `from`
    means the start of that day, a date in `to` the end of it: `from = 2026-12-24`,
    `to = 2026-12-24` is the whole of Christmas Eve."""
    if not isinstance(entry, dict):
        return entry
    entry = dict(entry)
    for key, end in (("from", False), ("from_", False), ("to", True)):
        if key in entry:
            entry[key] = _in_zone(entry[key], zone, end_of_day=end)
    return entry


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _parse_handover(value: Any) -> Any:
    if isinstance(value, str):
        match = _HHMM.match(value.strip())
        if not match:
            raise ValueError("use HH:MM, a 24-hour local time like 09:00")
        return time(int(match.group(1)), int(match.group(2)))
    if isinstance(value, time) and value.tzinfo is not None:
        raise ValueError("a local time in the rotation's time zone, without an offset (use timezone for the zone)")
    return value


# -- the rotation ------------------------------------------------------------------------------


class RotationOverride(BaseModel):
    """`person` holds the pager from `from` until `to` (exclusive), whatever the rotation says:
    a swap, a holiday. When overrides overlap, the one listed later wins."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    from_: datetime = Field(alias="from")
    to: datetime
    person: str = Field(min_length=1)
    reason: str = ""

    @model_validator(mode="before")
    @classmethod
    def _naive_times_in_utc(cls, data: Any) -> Any:
        # A Rotation (and oncall.toml's loader) reads naive times in the rotation's zone first;
        # an override made on its own has only UTC to go by, like every other time here.
        return localize_override(data, UTC)

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _within_years(cls, value: Any) -> Any:
        if isinstance(value, (datetime, date)):
            check_year(value)
        return value

    @field_validator("from_", "to")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return _aware(value)

    @field_validator("to")
    @classmethod
    def _after_from(cls, value: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("from_")
        if start is not None and value <= start:
            raise ValueError(f"must be later than from ({start.isoformat()}); a date in `to` counts to the "
                             "end of that day")
        return value

    def covers(self, at: datetime) -> bool:
        return self.from_ <= _aware(at) < self.to


@dataclass(frozen=True)
class OnCall:
    """Who is on call at one moment, and what happens next."""

    primary: str | None  # holds the pager (an override's person while one is in effect)
    secondary: str | None  # backs the primary up
    next_person: str | None  # the primary from `shift_ends` on
    shift_ends: datetime | None  # the next moment the pager changes hands (None: it never does)
    override: RotationOverride | None  # the override in effect, if any
    scheduled: str | None = None  # who the rotation itself puts on call (the person an override replaces)
    next_override: RotationOverride | None = None  # the override `next_person` holds the pager by, if any


class Rotation(BaseModel):
    """A round-robin on-call rotation: each person holds the pager for `shift_days`.

    Shifts change hands at `handover` (local time in `timezone`; default: the time of day of
    `start`), on `handover_day` if given (weekly shifts). The hand-overs are counted in local
    time, so they stay at the same local hour across daylight-saving changes. The first shift
    runs from `start` to the first hand-over after it. Naive times (and `start` as a date, which
    means that day at the hand-over time) are read in `timezone`; without one everything is UTC.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: datetime
    shift_days: int = Field(default=7, ge=1, le=3650)
    people: list[str] = Field(default_factory=list)
    timezone: str = "UTC"
    handover: time | None = None
    handover_day: str | None = None
    secondary: str | None = Field(default=None, min_length=1)
    overrides: list[RotationOverride] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _local_times(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        zone = _zone_or_utc(data.get("timezone"))
        try:
            handover = _parse_handover(data.get("handover"))
        except ValueError:
            handover = None  # reported by the `handover` key's own validation
        data = dict(data)
        if "start" in data:
            data["start"] = _in_zone(data["start"], zone, day_time=handover if isinstance(handover, time) else time(0))
        if isinstance(data.get("overrides"), list):
            data["overrides"] = [localize_override(entry, zone) for entry in data["overrides"]]
        return data

    @field_validator("start", mode="before")
    @classmethod
    def _start_within_years(cls, value: Any) -> Any:
        if isinstance(value, (datetime, date)):
            check_year(value)
        return value

    @field_validator("start")
    @classmethod
    def _start_aware(cls, value: datetime) -> datetime:
        # Read in the rotation's zone above; `start = 2026-01-05T09:00:00` without a zone means UTC.
        return _aware(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zone_named(value)
        except ValueError:
            raise ValueError("unknown time zone; use an IANA name like Europe/Berlin or America/New_York "
                             "(or UTC)") from None
        return value.strip()

    @field_validator("handover", mode="before")
    @classmethod
    def _hh_mm(cls, value: Any) -> Any:
        return _parse_handover(value)

    @field_validator("handover_day", mode="before")
    @classmethod
    def _weekday(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        name = value.strip().lower()
        found = [day for day in WEEKDAYS if day == name or (len(name) >= 3 and day.startswith(name))]
        if len(found) != 1:
            raise ValueError(f"use a weekday name: {', '.join(WEEKDAYS)}")
        return found[0]

    @field_validator("handover_day")
    @classmethod
    def _weekly(cls, value: str | None, info: ValidationInfo) -> str | None:
        shift_days = info.data.get("shift_days")
        if value is not None and shift_days is not None and shift_days % 7:
            raise ValueError(f"a hand-over weekday needs whole weeks: shift_days is {shift_days}, "
                             "not a multiple of 7")
        return value

    # -- the schedule --------------------------------------------------------------------------

    @property
    def zone(self) -> tzinfo:
        return zone_named(self.timezone)

    def _anchor(self) -> datetime:
        """The first hand-over of the grid, at or before `start`, as a wall-clock time in the zone."""
        local = self.start.astimezone(self.zone).replace(tzinfo=None)
        if self.handover is None and self.handover_day is None:
            return local
        at = self.handover or local.time()
        anchor = datetime.combine(local.date(), at)
        if self.handover_day is not None:
            anchor -= timedelta(days=(local.weekday() - WEEKDAYS.index(self.handover_day)) % 7)
            step = timedelta(days=7)
        else:
            step = timedelta(days=1)
        return anchor - step if anchor > local else anchor

    def _hand_over(self, anchor: datetime, shift: int) -> datetime:
        """When shift number `shift` (1, 2, …) begins; shift 0 begins at `start`."""
        if shift <= 0:
            return self.start
        wall = anchor + timedelta(days=shift * self.shift_days)
        return wall.replace(tzinfo=self.zone).astimezone(UTC)

    def _shift(self, at: datetime, anchor: datetime) -> int | None:
        """The number of the shift `at` falls in; None before `start`."""
        if at < self.start:
            return None
        wall = at.astimezone(self.zone).replace(tzinfo=None)
        shift = max(0, (wall - anchor) // timedelta(days=self.shift_days))
        while self._hand_over(anchor, shift + 1) <= at:
            shift += 1
        while shift > 0 and self._hand_over(anchor, shift) > at:
            shift -= 1
        return shift

    def scheduled(self, at: datetime) -> str | None:
        """Who the rotation itself puts on call at `at`, overrides aside."""
        at = _aware(at)
        if not self.people:
            return None
        shift = self._shift(at, self._anchor())
        return None if shift is None else self.people[shift % len(self.people)]

    def override_at(self, at: datetime) -> RotationOverride | None:
        """The override in effect at `at`: of overlapping ones, the one listed last."""
        return next((o for o in reversed(self.overrides) if o.covers(at)), None)

    def on_call(self, at: datetime) -> str | None:
        """Who holds the pager at `at`: an override's person while it is in effect, else the
        rotation's; nobody before the rotation starts (or with nobody in it)."""
        override = self.override_at(at)
        return override.person if override else self.scheduled(at)

    def who(self, at: datetime) -> OnCall:
        """Primary and secondary at `at`, who is next and when the pager changes hands."""
        at = _aware(at)
        anchor = self._anchor()
        override = self.override_at(at)
        shift = self._shift(at, anchor) if self.people else None
        scheduled = None if shift is None else self.people[shift % len(self.people)]
        primary = override.person if override else scheduled
        secondary = self._secondary(primary, scheduled if override else None, shift)
        changes = self._next_change(at, primary, anchor)
        return OnCall(
            primary=primary, secondary=secondary,
            next_person=changes[1] if changes else None, shift_ends=changes[0] if changes else None,
            override=override, scheduled=scheduled, next_override=self.override_at(changes[0]) if changes else None,
        )

    def _secondary(self, primary: str | None, replaced: str | None, shift: int | None) -> str | None:
        """The named `secondary`, else the next person in the rotation; never the primary, nor the
        person an override stands in for (they are away)."""
        if primary is None:
            return None
        away = {primary, replaced}
        if self.secondary is not None and self.secondary not in away:
            return self.secondary
        base = -1 if shift is None else shift  # before the rotation starts: from its first person on
        for step in range(1, len(self.people) + 1):
            person = self.people[(base + step) % len(self.people)]
            if person not in away:
                return person
        return None

    def _next_change(self, at: datetime, primary: str | None, anchor: datetime) -> tuple[datetime, str | None] | None:
        """The first moment after `at` when someone other than `primary` holds the pager."""
        edges = sorted({edge for o in self.overrides for edge in (o.from_, o.to) if edge > at})
        one_person = len(set(self.people)) <= 1  # its hand-overs change nothing once it has begun
        moment = at
        for _ in range((len(edges) + 1) * (len(self.people) + 2)):
            candidates = [edge for edge in edges if edge > moment][:1]
            if self.people and self.override_at(moment) is None:
                shift = self._shift(moment, anchor)
                if shift is None or not one_person:
                    candidates.append(self._hand_over(anchor, 0 if shift is None else shift + 1))
            if not candidates:
                return None
            moment = min(candidates)
            person = self.on_call(moment)
            if person != primary:
                return moment.astimezone(UTC), person
        return None
