"""The metrics for the monthly review, as the command line and the console ask for them.

The period and its month boundaries are worked out here (in the report's time zone, DST-correct),
the figures in SQL (`store/metrics.py`), and they meet as the dataclasses of `domain/metrics.py`.
Light to import: no pydantic, so `oncall metrics` starts fast.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from oncall.domain.clock import Clock, to_text
from oncall.domain.metrics import (FIGURES, GROUPINGS, TOTAL, Bucket, Report, Spread, default_period,
                                   empty_bucket, local_midnight, month_starts, next_month, zone)
from oncall.domain.severity import Severity
from oncall.store.db import Database
from oncall.store.metrics import Counts, MetricsReader, Period, Quantiles

SEVERITY_ORDER = [s.value for s in sorted(Severity, key=lambda s: s.rank)]


class MetricsService:
    def __init__(self, database: Database, config: Any, clock: Clock) -> None:
        self.db = database
        self.config = config
        self.clock = clock
        self.reader = MetricsReader(database)

    def period(self, start: date | None, end: date | None, by: str, time_zone: str) -> tuple[date, date, Period]:
        """The days counted (first and last, inclusive) and the SQL's view of them."""
        if by not in GROUPINGS:
            raise ValueError(f"unknown grouping {by!r} (use one of {', '.join(GROUPINGS)})")
        tz = zone(time_zone)
        today = self.clock.now().astimezone(tz).date()
        default_start, default_end = default_period(today)
        start = default_start if start is None else start
        end = default_end if end is None else end
        if end < start:
            raise ValueError(f"the period ends ({end}) before it starts ({start})")
        stop = local_midnight(end + timedelta(days=1), tz)
        months: tuple[tuple[str, str], ...] = ()
        if by == "month":
            months = tuple((f"{first:%Y-%m}", to_text(min(local_midnight(next_month(first), tz), stop)))
                           for first in month_starts(start, end))
        return start, end, Period(to_text(local_midnight(start, tz)), to_text(stop), by, months)

    def report(self, start: date | None = None, end: date | None = None, by: str = "month",
               time_zone: str = "UTC") -> Report:
        """Every figure for the incidents detected from `start` to `end` (inclusive days in
        `time_zone`; default the 12 months up to today), bucketed `by` month, severity, asset,
        source or cause. By month, every month of the period has a bucket, empty or not."""
        first, last, period = self.period(start, end, by, time_zone)
        counts = self.reader.counts(period)
        per_bucket: dict[str, Counts] = {}
        for (k, _), c in counts.items():
            into = per_bucket.setdefault(k, Counts())
            into.ttd, into.ttr = into.ttd + c.ttd, into.ttr + c.ttr
        ttd, ttd_all = self.reader.quantiles(period, "ttd", {k: c.ttd for k, c in per_bucket.items()})
        ttr, ttr_all = self.reader.quantiles(period, "ttr", {k: c.ttr for k, c in per_bucket.items()})
        today = self.clock.now().astimezone(zone(time_zone)).date().isoformat()
        closed, overdue = self.reader.action_items(period, today)
        keys = {k for k, _ in counts}
        if by == "month":
            ordered = [key for key, _ in period.months]
        elif by == "severity":
            ordered = [s for s in SEVERITY_ORDER if s in keys] + sorted(keys - set(SEVERITY_ORDER))
        else:
            ordered = sorted(keys)
        buckets = tuple(_bucket(key, {sev: c for (k, sev), c in counts.items() if k == key},
                                ttd.get(key), ttr.get(key)) for key in ordered)
        total = _bucket(TOTAL, _by_severity_total(counts), ttd_all, ttr_all)
        return Report(first, last, by, buckets, total, closed, overdue, time_zone)

    def incidents_behind(self, bucket_key: str | None, by: str, figure: str, start: date | None = None,
                         end: date | None = None, time_zone: str = "UTC") -> list[int]:
        """The ids of the incidents behind one figure of one bucket (`bucket_key` None or "total":
        the whole period), for a drill-down: TTD and TTR slowest first, the others newest first."""
        if figure not in FIGURES:
            raise ValueError(f"unknown figure {figure!r} (use one of {', '.join(FIGURES)})")
        _, _, period = self.period(start, end, by, time_zone)
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
        by_severity={s: by_severity[s].incidents for s in sorted(by_severity, key=_severity_order)},
        ttd=Spread(total("ttd"), incidents - total("ttd"), _seconds(ttd.median), _seconds(ttd.p90)),
        ttr=Spread(total("ttr"), incidents - total("ttr"), _seconds(ttr.median), _seconds(ttr.p90)),
        recurring=total("recurring"), internal=total("internal"), user_reported=total("user_reported"),
        postmortems_due=total("postmortems_due"), postmortems_complete=total("postmortems_complete"),
        overrides=total("overrides"))


def _severity_order(severity: str) -> tuple[int, str]:
    return (SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER), severity)


def _seconds(value: float | None) -> float | None:
    return None if value is None else float(value)
