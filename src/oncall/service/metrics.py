"""The metrics for the monthly review, as the command line and the console ask for them.

The period and its month boundaries are worked out here (in the report's time zone, DST-correct),
the figures in SQL (`store/metrics.py`), and they meet as the dataclasses of `domain/metrics.py`.
Light to import: no pydantic, so `oncall metrics` starts fast (judging updates against the cadence
needs the timeline's models, imported only when some incident has not been judged yet).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from oncall.domain.clock import Clock
from oncall.domain.metrics import (COST_GROUPINGS, FIGURES, GROUPINGS, TOTAL, Bucket, Cost, PersonHours, Report,
                                   Spread, default_period, empty_bucket, local_midnight, month_starts, next_month,
                                   zone)
from oncall.domain.severity import Severity
from oncall.store.db import Database
from oncall.store.metrics import Counts, MetricsReader, Month, Period, Quantiles

SEVERITY_ORDER = [s.value for s in sorted(Severity, key=lambda s: s.rank)]


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def configured_time_zone(config: Any) -> str:
    """The workspace's `[metrics] time_zone` (UTC when it sets none)."""
    metrics = getattr(config, "metrics", None)
    return getattr(metrics, "time_zone", None) or "UTC"


class MetricsService:
    def __init__(self, database: Database, config: Any, clock: Clock) -> None:
        self.db = database
        self.config = config
        self.clock = clock
        self.reader = MetricsReader(database)

    @property
    def time_zone(self) -> str:
        """The zone month boundaries are drawn in unless a caller says otherwise."""
        return configured_time_zone(self.config)

    def period(self, start: date | None, end: date | None, by: str, time_zone: str | None,
               groupings: tuple[str, ...] = GROUPINGS, bounds: tuple[int, int] | None | bool = True
               ) -> tuple[date, date, Period]:
        """The days counted (first and last, inclusive) and the SQL's view of them. `bounds`: the
        first and last detection time there is (True: read them here), to know the period holds all."""
        if by not in groupings:
            raise ValueError(f"unknown grouping {by!r} (use one of {', '.join(groupings)})")
        tz = zone(time_zone or self.time_zone)
        today = self.clock.now().astimezone(tz).date()
        default_start, default_end = default_period(today)
        start = default_start if start is None else start
        end = default_end if end is None else end
        if end < start:
            raise ValueError(f"the period ends ({end}) before it starts ({start})")
        low, stop = local_midnight(start, tz), local_midnight(end + timedelta(days=1), tz)
        months: tuple[Month, ...] = ()
        if by == "month":
            months = tuple(
                Month(f"{first:%Y-%m}", _epoch(max(local_midnight(first, tz), low)),
                      _epoch(min(local_midnight(next_month(first), tz), stop)),
                      _epoch(datetime(first.year, first.month, 1, tzinfo=timezone.utc)),
                      _epoch(datetime(next_month(first).year, next_month(first).month, 1, tzinfo=timezone.utc)))
                for first in month_starts(start, end))
        if bounds is True:
            bounds = self.reader.bounds()
        whole = bool(bounds) and _epoch(low) <= bounds[0] and bounds[1] < _epoch(stop)
        return start, end, Period(_epoch(low), _epoch(stop), by, months, whole)

    def report(self, start: date | None = None, end: date | None = None, by: str = "month",
               time_zone: str | None = None) -> Report:
        """Every figure for the incidents detected from `start` to `end` (inclusive days in
        `time_zone`, default the workspace's; default the 12 months up to today), bucketed `by`
        month, severity, source, asset or cause. By month, every month of the period has a bucket."""
        time_zone = time_zone or self.time_zone
        first, last, period = self.period(start, end, by, time_zone, bounds=False)
        today = self.clock.now().astimezone(zone(time_zone)).date().isoformat()
        # Few statements, not many: in the console a report runs in a worker that shares the GIL.
        overview = self.reader.overview(period, today)
        _, _, period = self.period(start, end, by, time_zone, bounds=overview.bounds)
        if overview.unjudged:
            self.judge_updates(period)
        counts = self.reader.counts(period)
        per_bucket: dict[str, Counts] = {}
        for (k, _), c in counts.items():
            into = per_bucket.setdefault(k, Counts())
            into.ttd, into.ttr = into.ttd + c.ttd, into.ttr + c.ttr
        quantiles = self.reader.quantiles(period, {
            figure: ({k: getattr(c, figure) for k, c in per_bucket.items()},
                     sum(getattr(c, figure) for c in per_bucket.values())) for figure in ("ttd", "ttr")})
        (ttd, ttd_all), (ttr, ttr_all) = quantiles["ttd"], quantiles["ttr"]
        closed, overdue = overview.action_items_closed, overview.action_items_overdue
        keys = {k for k, _ in counts}
        if by == "month":
            ordered = [month.key for month in period.months]
        elif by == "severity":
            ordered = [s for s in SEVERITY_ORDER if s in keys] + sorted(keys - set(SEVERITY_ORDER))
        else:
            ordered = sorted(keys)
        buckets = tuple(_bucket(key, {sev: c for (k, sev), c in counts.items() if k == key},
                                ttd.get(key), ttr.get(key)) for key in ordered)
        total = _bucket(TOTAL, _by_severity_total(counts), ttd_all, ttr_all)
        return Report(first, last, by, buckets, total, closed, overdue, time_zone)

    def cost(self, start: date | None = None, end: date | None = None, by: str = "month",
             time_zone: str | None = None) -> Cost:
        """What the period's incidents cost the team: the hours each person held each role on
        them while they were open, by the month they were detected, their asset or cause."""
        time_zone = time_zone or self.time_zone
        first, last, period = self.period(start, end, by, time_zone, COST_GROUPINGS)
        rows = self.reader.role_hours(period, _epoch(self.clock.now()))
        hours = tuple(PersonHours(bucket, person, role, seconds) for bucket, person, role, seconds in rows)
        buckets = [month.key for month in period.months] if by == "month" else sorted({h.bucket for h in hours})
        return Cost(first, last, by, tuple(buckets), hours, time_zone)

    def judge_updates(self, period: Period) -> int:
        """Judge the updates of the period's SEV-1/2 incidents resolved or closed since they were
        last judged, against the cadence (`domain/metrics.judge_updates`), and store the result:
        each incident once, not on every report. Returns how many were judged."""
        pending = self.reader.unjudged(period)
        if not pending:
            return 0
        from oncall.domain.metrics import judge_updates
        from oncall.store.incidents import IncidentRepository
        from oncall.store.timeline import TimelineRepository

        incidents, timeline = IncidentRepository(self.db), TimelineRepository(self.db)
        settings = self.config.comms
        results = []
        for incident_id in pending:
            owed, on_time = judge_updates(incidents.get(incident_id), timeline.for_incident(incident_id), settings)
            results.append((incident_id, owed, on_time))
        self.reader.judged(results)
        return len(results)

    def incidents_held(self, person: str | None, role: str | None, bucket: str | None, by: str = "month",
                       start: date | None = None, end: date | None = None, time_zone: str | None = None) -> list[int]:
        """The incidents on which `person` (None: anyone) held `role` (None: any) while open, in one
        bucket of person-hours (None: the period), the most hours first: a drill-down of `cost`."""
        _, _, period = self.period(start, end, by, time_zone, COST_GROUPINGS)
        return self.reader.incidents_held(period, person, role, bucket, _epoch(self.clock.now()))

    def incidents_behind(self, bucket_key: str | None, by: str, figure: str, start: date | None = None,
                         end: date | None = None, time_zone: str | None = None) -> list[int]:
        """The ids of the incidents behind one figure of one bucket (`bucket_key` None or "total":
        the whole period), for a drill-down: TTD and TTR slowest first, the others newest first."""
        if figure not in FIGURES:
            raise ValueError(f"unknown figure {figure!r} (use one of {', '.join(FIGURES)})")
        _, _, period = self.period(start, end, by, time_zone)
        if figure == "late_updates":
            self.judge_updates(period)
        return self.reader.incident_ids(period, None if bucket_key in (None, TOTAL) else bucket_key, figure)


def _by_severity_total(counts: dict[tuple[str, str], Counts]) -> dict[str, Counts]:
    total: dict[str, Counts] = {}
    for (_, severity), c in counts.items():
        into = total.setdefault(severity, Counts())
        for name, value in vars(c).items():
            setattr(into, name, getattr(into, name) + value)
    return total


def _bucket(key: str, by_severity: dict[str, Counts], ttd: Quantiles | None, ttr: Quantiles | None) -> Bucket:
    if not by_severity:
        return empty_bucket(key)

    def total(name: str) -> int:
        return sum(getattr(c, name) for c in by_severity.values())

    incidents = total("incidents")
    none = Quantiles(None, None)
    ttd, ttr = ttd or none, ttr or none
    return Bucket(
        key=key, incidents=incidents,
        by_severity={s: by_severity[s].incidents for s in sorted(by_severity, key=_severity_order)
                     if by_severity[s].incidents},
        ttd=Spread(total("ttd"), incidents - total("ttd"), ttd.median, ttd.p90),
        ttr=Spread(total("ttr"), incidents - total("ttr"), ttr.median, ttr.p90),
        recurring=total("recurring"), internal=total("internal"), user_reported=total("user_reported"),
        postmortems_due=total("postmortems_due"), postmortems_complete=total("postmortems_complete"),
        overrides=total("overrides"), updates_owed=total("updates_owed"), updates_on_time=total("updates_on_time"))


def _severity_order(severity: str) -> tuple[int, str]:
    return (SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER), severity)
