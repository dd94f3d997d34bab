"""The incident metrics a team lead reviews each month: what is counted, and how. Pure: no I/O.

Which incidents count: every incident *detected* in the period (`detected_at`, always set) that
was declared (`declared_at` set: items still in triage, or dismissed from it, never became
incidents) and is not a drill (`is_drill = 1` is never counted, anywhere). An incident belongs to
the month its `detected_at` falls in, in the report's time zone (UTC unless asked otherwise).

- **TTD**, Time to Detection = `declared_at − started_at` (started_at: when the data went bad).
  When `started_at` is unknown the incident's TTD is *missing*: counted in `Spread.missing`,
  never as zero.
- **TTR**, Time to Resolution = `resolved_at − declared_at`. `resolved_at` holds the *last*
  resolution, so a reopened and resolved again incident's TTR runs to its last resolution; an
  incident reopened and not resolved again (resolved_at NULL), or never resolved, has no TTR
  yet: it counts as missing.
- Median and 90th percentile are nearest-rank percentiles (`percentile`).
- **Recurring**: the incident repeats an earlier one (`recurring_of` set, when the root cause
  was given: same asset, same root-cause category, within 90 days).
- **Detection**: internal = found by an alert or a dbt test (source `alert` or `dbt`);
  user-reported = source `user_report`.
- **Post-mortems** for SEV-1/2: due = SEV-1/2 incidents now resolved or closed; complete = those
  whose post-mortem's status is `complete`.
- **Overrides**: `close_override` events on the timeline (an incident closed past a rule).
- **Action items** (whole report): of the counted incidents' items, closed = done or won't do;
  overdue = open with a due date before today (in the report's time zone).
- **Updates on time** (SEV-1/2 incidents now resolved or closed): each update the cadence asked for
  while the incident was open, judged as its post-mortem judges it (`postmortem/record.py`: due one
  interval of the severity then after the declaration or a reopening, then one interval after the
  last update or when that update promised; a minute's grace). Owed = every due time that came
  while the incident was open: met by the next update sent (on time, or late), or never met before
  the incident was resolved (a missed update: owed, not on time). Answers to the reporter are not
  cadence updates (as in the console). `judge_updates` does it for one incident.
- **Person-hours** (`Cost`): the hours each person held a role (IC, SME, Lead, PM) on an incident
  while it was open: from when the role was given (or the declaration, if later) to when it was
  taken away or handed on, or the incident's last resolution (the same end as TTR), or now for one
  still open. By the month the incident was detected, its asset or its root-cause category.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Sequence
from zoneinfo import ZoneInfo

GROUPINGS = ("month", "severity", "asset", "source", "cause")
FIGURES = ("incidents", "ttd", "ttr", "recurring", "internal", "user_reported", "overrides", "late_updates")
COST_GROUPINGS = ("month", "asset", "cause")  # what person-hours are grouped by
ROLE_ORDER = ("ic", "sme", "lead", "pm")
INTERNAL_SOURCES = ("alert", "dbt")
USER_SOURCES = ("user_report",)
NO_CAUSE = "(none)"  # the bucket of incidents without a root-cause category, by cause
TOTAL = "total"


@dataclass(frozen=True)
class Spread:
    """A duration figure over a bucket's incidents, in seconds: how many have it, how many lack it."""

    count: int
    missing: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True)
class Bucket:
    """Every figure for one month, severity, asset, source or cause (or the total)."""

    key: str  # "2026-11", "SEV-1", an asset id, a source, a cause
    incidents: int
    by_severity: dict[str, int]
    ttd: Spread
    ttr: Spread
    recurring: int
    internal: int
    user_reported: int
    postmortems_due: int
    postmortems_complete: int
    overrides: int
    updates_owed: int = 0  # stakeholder updates the cadence asked for (SEV-1/2, resolved or closed)
    updates_on_time: int = 0

    @property
    def internal_share(self) -> float | None:
        """Internal detections over those with a known kind of source (alerts, dbt, user reports)."""
        known = self.internal + self.user_reported
        return self.internal / known if known else None

    @property
    def updates_on_time_share(self) -> float | None:
        return self.updates_on_time / self.updates_owed if self.updates_owed else None


@dataclass(frozen=True)
class Report:
    start: date  # first day counted
    end: date  # last day counted (inclusive)
    by: str
    buckets: tuple[Bucket, ...]
    total: Bucket
    action_items_closed: int
    action_items_overdue: int
    time_zone: str


@dataclass(frozen=True)
class PersonHours:
    """The seconds one person held one role on the incidents of one bucket (or, bucket None, of the period)."""

    bucket: str | None
    person: str
    role: str
    seconds: float


@dataclass(frozen=True)
class Cost:
    """What incidents cost the team: person-hours on roles, by month, asset or root-cause category."""

    start: date
    end: date
    by: str
    buckets: tuple[str, ...]  # in order
    hours: tuple[PersonHours, ...]  # per bucket, person and role (no zero rows)
    time_zone: str

    def people(self) -> list[tuple[str, float]]:
        """Everyone with hours, most first: (person, seconds over the whole period)."""
        total: dict[str, float] = {}
        for row in self.hours:
            total[row.person] = total.get(row.person, 0.0) + row.seconds
        return sorted(total.items(), key=lambda item: (-item[1], item[0]))

    def seconds(self, person: str, bucket: str | None = None, role: str | None = None) -> float:
        return sum(row.seconds for row in self.hours if row.person == person
                   and (bucket is None or row.bucket == bucket) and (role is None or row.role == role))

    @property
    def total_seconds(self) -> float:
        return sum(row.seconds for row in self.hours)


def empty_bucket(key: str) -> Bucket:
    none = Spread(0, 0, None, None)
    return Bucket(key, 0, {}, none, none, 0, 0, 0, 0, 0, 0)


def nearest_rank(count: int, percent: int) -> int:
    """The 1-based rank of the `percent`-th percentile among `count` sorted values: ceil(p/100 × n),
    at least 1. Integer arithmetic, the same the SQL uses, so the two never disagree by rounding."""
    return max(1, -(-count * percent // 100))


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least q of the values at or below it,
    i.e. the value at rank ceil(q × n) (1-based) of the sorted values; None for no values.
    The median of 1, 2, 3, 4 is 2 (no averaging); their 90th percentile is 4."""
    if not sorted_values:
        return None
    if not 0 < q <= 1:
        raise ValueError(f"percentile {q!r} is not in (0, 1]")
    rank = max(1, math.ceil(round(q * len(sorted_values), 9)))
    return float(sorted_values[rank - 1])


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; ValueError naming it when there is none such."""
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, KeyError) as error:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin or UTC)") from error


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC moment a local day starts (DST-correct: zoneinfo knows each day's offset)."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(timezone.utc)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_starts(start: date, end: date) -> list[date]:
    """The first day of every month from start's month to end's month, inclusive."""
    months, day = [], date(start.year, start.month, 1)
    while day <= end:
        months.append(day)
        day = next_month(day)
    return months


def default_period(today: date) -> tuple[date, date]:
    """The 12 months up to today: from the first of the month 11 months back, to today."""
    month = today.month - 11
    year = today.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1), today


def format_hours(seconds: float | None) -> str:
    """Person-hours for tables: "12.5 h", "0.3 h"; "—" for none."""
    if not seconds:
        return "—"
    hours = seconds / 3600
    return f"{hours:,.0f} h" if hours >= 100 else f"{hours:.1f} h"


def judge_updates(incident, events, settings) -> tuple[int, int]:
    """(owed, on time): the stakeholder updates the cadence asked for of one incident while it was
    open, and those sent on time, by the post-mortem's own replay of the timeline
    (`postmortem/record.py`), answers to the reporter left out. A due time still unmet when the
    incident was resolved (or closed, or dismissed) is a missed update: owed, not on time; it is
    found by asking the replay to judge a probe update at that moment."""
    from oncall.domain.incident import EventKind, TimelineEvent
    from oncall.postmortem import record

    events = [e for e in events
              if not (e.kind is EventKind.UPDATE_SENT and record.data_of(e).get("audience") == "reporter")]
    judged = [t for t in record.update_timings(incident, events, settings) if t.while_open and t.due is not None]
    owed, on_time = len(judged), sum(t.late is None for t in judged)
    for n, event in enumerate(events):
        if event.kind is not EventKind.STATUS_CHANGED or record.status_of(record.data_of(event).get("to")) \
                not in record.FINISHED:
            continue
        probe = TimelineEvent(incident_id=event.incident_id, at=event.at, actor="metrics", kind=EventKind.UPDATE_SENT)
        probed = record.update_timings(incident, [*events[:n], probe], settings)
        if probed and probed[-1].event is probe and probed[-1].while_open and probed[-1].late is not None:
            owed += 1  # the update due before this resolution never came
    return owed, on_time


def format_duration(seconds: float | None) -> str:
    """For tables: "45 s", "12 min", "3 h 10 min", "2 d 4 h"; "—" when there is none."""
    if seconds is None:
        return "—"
    total = int(round(seconds))
    sign, total = ("-" if total < 0 else ""), abs(total)
    if total < 60:
        return f"{sign}{total} s"
    minutes = total // 60
    if minutes < 60:
        return f"{sign}{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{sign}{hours} h {minutes} min" if minutes else f"{sign}{hours} h"
    days, hours = divmod(hours, 24)
    return f"{sign}{days} d {hours} h" if hours else f"{sign}{days} d"
