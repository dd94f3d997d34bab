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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Sequence
from zoneinfo import ZoneInfo

GROUPINGS = ("month", "severity", "asset", "source", "cause")
FIGURES = ("incidents", "ttd", "ttr", "recurring", "internal", "user_reported", "overrides")
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

    @property
    def internal_share(self) -> float | None:
        """Internal detections over those with a known kind of source (alerts, dbt, user reports)."""
        known = self.internal + self.user_reported
        return self.internal / known if known else None


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
