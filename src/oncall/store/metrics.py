"""The metrics' SQL: every figure aggregated inside SQLite, never by looping over rows in Python.

The figures read `incident_figures` and `role_spells` (migration 0013), which triggers keep current
as incidents, their timelines and post-mortems change: one narrow row per counted incident and way
of grouping it (month, severity, source, asset, cause), its durations already in seconds and what
is counted of it packed in `code`. So a report is
- the counts: `GROUP BY key, code, owed, on_time` with count(*), in the table's own order (one pass,
  no sort); Python adds up the few dozen groups that come back;
- each median and 90th percentile: `ORDER BY ttr LIMIT 1 OFFSET k` on the index of one key's
  values (kind 'total' for the whole period), which walks k entries and sorts nothing (from the
  top for ranks past the middle); a period holding every incident checks no row's time;
- person-hours: `GROUP BY person, role` over `role_spells` in the order of an index;
- action items: one range of `action_item_figures` (each item beside its incident's detection time),
  in the report's first statement (`overview`).

Months are UTC months in the table (`'YYYY-MM'` of detected_at). A month in another time zone
starts a few hours off: its UTC month's rows inside its bounds, plus the rows of the hours between
(by `detected`), merged in SQL (`UNION ALL … ORDER BY` merges ordered walks). Every bound is an
integer parameter; nothing a user types is spliced into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oncall.domain.metrics import INTERNAL_SOURCES, USER_SOURCES
from oncall.store.db import Database

SEVERITIES = ("SEV-1", "SEV-2", "SEV-3")  # the CHECK of incidents.severity
KINDS = ("month", "severity", "source", "asset", "cause")  # the groupings; and 'total', the whole period
# incident_figures.code (migration 0013): these bits, then the severity's index in SEVERITIES
# (<< 6) and the source's in SOURCES (<< 8; 3 for any other).
RECURRING, PM_DUE, HAS_TTD, HAS_TTR, PM_COMPLETE, OVERRIDDEN = 1, 2, 4, 8, 16, 32
SOURCES = ("alert", "dbt", "user_report")
_INTERNAL = "(" + ", ".join(str(SOURCES.index(s)) for s in INTERNAL_SOURCES) + ")"
_USER = "(" + ", ".join(str(SOURCES.index(s)) for s in USER_SOURCES) + ")"
# What each drill-down figure selects of a bucket's rows.
BEHIND = {"incidents": "", "ttd": "ttd IS NOT NULL", "ttr": "ttr IS NOT NULL", "recurring": f"code & {RECURRING}",
          "internal": f"(code >> 8) & 3 IN {_INTERNAL}", "user_reported": f"(code >> 8) & 3 IN {_USER}",
          "overrides": f"code & {OVERRIDDEN}", "late_updates": "owed > on_time"}


def source_of(code: int) -> str:
    return SOURCES[(code >> 8) & 3] if (code >> 8) & 3 < len(SOURCES) else "other"


@dataclass(frozen=True)
class Month:
    """One month bucket: its key, the moments it counts [low, high) and its UTC month's [utc_low, utc_high)."""

    key: str
    low: int
    high: int
    utc_low: int
    utc_high: int

    def edges(self) -> list[tuple[int, int]]:
        """The hours of this month that lie in a neighbouring UTC month (none in UTC)."""
        found = []
        if self.low < self.utc_low:
            found.append((self.low, min(self.high, self.utc_low)))
        if self.high > self.utc_high:
            found.append((max(self.low, self.utc_high), self.high))
        return found


@dataclass(frozen=True)
class Period:
    """What to count: detected in [start, end) (seconds since 1970, UTC), and how to bucket it.
    For months, `months` holds every month of the period in order. `whole`: the period holds every
    incident there is (`MetricsReader.bounds`), so no row need be checked against it."""

    start: int
    end: int
    by: str
    months: tuple[Month, ...] = field(default=())
    whole: bool = False


@dataclass
class Counts:
    """The additive figures of one bucket (or of one bucket and severity)."""

    incidents: int = 0
    ttd: int = 0
    ttr: int = 0
    recurring: int = 0
    internal: int = 0
    user_reported: int = 0
    postmortems_due: int = 0
    postmortems_complete: int = 0
    overrides: int = 0
    updates_owed: int = 0
    updates_on_time: int = 0

    def add(self, code: int, owed: int, on_time: int, n: int) -> None:
        """Count `n` incidents of one `code` (and updates owed and on time each)."""
        self.incidents += n
        self.ttd += n if code & HAS_TTD else 0
        self.ttr += n if code & HAS_TTR else 0
        self.recurring += n if code & RECURRING else 0
        self.internal += n if source_of(code) in INTERNAL_SOURCES else 0
        self.user_reported += n if source_of(code) in USER_SOURCES else 0
        self.postmortems_due += n if code & PM_DUE else 0
        self.postmortems_complete += n if code & PM_DUE and code & PM_COMPLETE else 0
        self.overrides += n if code & OVERRIDDEN else 0
        self.updates_owed += n * max(owed, 0)
        self.updates_on_time += n * max(on_time, 0)


@dataclass(frozen=True)
class Overview:
    """What a report asks first (`MetricsReader.overview`)."""

    bounds: tuple[int, int] | None  # the first and last detection time of any counted incident
    unjudged: int  # the period's resolved SEV-1/2 whose updates are not judged yet
    action_items_closed: int
    action_items_overdue: int


@dataclass(frozen=True)
class Quantiles:
    median: float | None
    p90: float | None


def _kind(by: str) -> str:
    if by not in KINDS:
        raise ValueError(f"unknown grouping {by!r}")
    return by


class MetricsReader:
    """Reads one period's figures from `incident_figures` and `role_spells`."""

    def __init__(self, database: Database) -> None:
        self.db = database

    def _parts(self, period: Period, select: str, bucket: str | None = None, where: str = "",
               labelled: bool = True, walk: str = "") -> tuple[list[str], dict[str, object]]:
        """SELECTs (to UNION ALL) over the rows of each bucket of the period, or of one bucket, each
        giving `bucket` (when `labelled`) then the `select` columns; `where`: more conditions;
        `walk`: the index to read a key's rows in (else the table's own order). By month: each
        month's own rows inside its bounds, and the rows of its edge hours (by `detected`)."""
        # `+detected`: a key's rows are read in the key's order (as they are grouped or ranked), not
        # by time, which the planner would choose for a short period and then sort them.
        table = f"incident_figures INDEXED BY {walk}" if walk else "incident_figures"
        edges = "incident_figures INDEXED BY incident_figures_month_detected"
        params: dict[str, object] = {"start": period.start, "end": period.end, "kind": _kind(period.by)}
        more = f" AND {where}" if where else ""
        parts = []
        if period.by != "month":
            label = "key AS bucket, " if labelled else ""
            one = ""
            if bucket is not None:
                params["b"], one = bucket, " AND key = :b"
            within = "" if period.whole else " AND +detected >= :start AND +detected < :end"
            parts.append(f"SELECT {label}{select} FROM {table} WHERE kind = :kind{one}{within}{more}")
            return parts, params
        for n, month in enumerate(period.months):
            if bucket is not None and month.key != bucket:
                continue
            label = f":k{n} AS bucket, " if labelled else ""
            params.update({f"k{n}": month.key, f"lo{n}": month.low, f"hi{n}": month.high})
            # A UTC month wholly inside the bucket (every month in UTC but a partial first or last)
            # needs no check of each row's time.
            inside = month.low <= month.utc_low and month.utc_high <= month.high
            within = "" if inside else f" AND +detected >= :lo{n} AND +detected < :hi{n}"
            parts.append(f"SELECT {label}{select} FROM {table} WHERE kind = 'month' AND key = :k{n}{within}{more}")
            for e, (low, high) in enumerate(month.edges()):
                params.update({f"e{n}_{e}lo": low, f"e{n}_{e}hi": high})
                parts.append(f"SELECT {label}{select} FROM {edges} WHERE kind = 'month' "
                             f"AND detected >= :e{n}_{e}lo AND detected < :e{n}_{e}hi{more}")
        return parts, params

    def bounds(self) -> tuple[int, int] | None:
        """The first and last detection time of any counted incident (None: there is none)."""
        ends = "(SELECT {}(detected) FROM incident_figures INDEXED BY incident_figures_month_detected WHERE kind = 'month')"
        low, high = self.db.conn.execute(f"SELECT {ends.format('min')}, {ends.format('max')}").fetchone()  # two seeks
        return None if low is None else (low, high)

    def counts(self, period: Period) -> dict[tuple[str, str], Counts]:
        """(bucket, severity) → its additive figures."""
        parts, params = self._parts(period, "code, owed, on_time, count(*)")
        found: dict[tuple[str, str], Counts] = {}
        group = "GROUP BY " + ("" if period.by == "month" else "key, ") + "code, owed, on_time"
        sql = " UNION ALL ".join(f"{part} {group}" for part in parts)
        for bucket, code, owed, on_time, n in (self.db.conn.execute(sql, params) if parts else ()):
            found.setdefault((bucket, SEVERITIES[(code >> 6) & 3]), Counts()).add(code, owed, on_time, n)
        return found

    def _walk(self, period: Period, figure: str, bucket: str | None, rank: int, count: int,
              n: int) -> tuple[str, dict[str, object]]:
        """A scalar subquery: the `rank`-th smallest TTD or TTR (1-based) of the `count` a bucket has,
        or (bucket None) the period has; `n` keeps its parameters apart from the other walks'. Past
        the middle it walks from the largest: fewer steps."""
        column = {"ttd": "ttd", "ttr": "ttr"}[figure]
        walk = f"incident_figures_{column}"
        if bucket is None:  # the period: the walk of its 'total' rows
            params: dict[str, object] = {"start": period.start, "end": period.end}
            within = "" if period.whole else " AND +detected >= :start AND +detected < :end"
            parts = [f"SELECT {column} FROM incident_figures INDEXED BY {walk} WHERE kind = 'total' AND key = '' "
                     f"AND {column} IS NOT NULL{within}"]
        else:
            parts, params = self._parts(period, column, bucket, f"{column} IS NOT NULL", labelled=False, walk=walk)
            if "b" in params:  # a bucket of a grouping other than months, by its own name here
                params[f"b{n}"] = params.pop("b")
                parts = [part.replace(":b", f":b{n}") for part in parts]
        downward = rank > (count + 1) // 2
        params[f"skip{n}"] = count - rank if downward else rank - 1
        return (" UNION ALL ".join(parts) + (" ORDER BY 1 DESC" if downward else " ORDER BY 1")
                + f" LIMIT 1 OFFSET :skip{n}"), params

    def quantiles(self, period: Period,
                  wanted: dict[str, tuple[dict[str, int], int]]) -> dict[str, tuple[dict[str, Quantiles], Quantiles]]:
        """Median and 90th percentile (nearest rank) of each figure (TTD, TTR) per bucket and over the
        period. `wanted`: figure → (how many values each bucket has, how many the period has). Every
        walk is a subquery of one statement (a few hundred at most to a statement): a report is a
        handful of statements, not one per bucket, which matters when a worker shares the GIL."""
        from oncall.domain.metrics import nearest_rank

        slots: list[tuple[str, str | None, int]] = []
        terms: list[tuple[str, dict[str, object]]] = []
        for figure, (counts, total) in wanted.items():
            for bucket, n in [*((k, c) for k, c in counts.items() if c), (None, total)]:
                for percent in (50, 90) if n else ():
                    terms.append(self._walk(period, figure, bucket, nearest_rank(n, percent), n, len(terms)))
                    slots.append((figure, bucket, percent))
        values: list[object] = []
        for first in range(0, len(terms), 300):
            chunk = terms[first:first + 300]
            params = {key: value for _, p in chunk for key, value in p.items()}
            values.extend(self.db.conn.execute("SELECT " + ", ".join(f"({sql})" for sql, _ in chunk), params)
                          .fetchone())
        found: dict[tuple[str, str | None], dict[int, float | None]] = {}
        for (figure, bucket, percent), value in zip(slots, values):
            found.setdefault((figure, bucket), {})[percent] = None if value is None else float(value)
        result = {}
        for figure, (counts, _) in wanted.items():
            per_bucket = {k: Quantiles(found[(figure, k)].get(50), found[(figure, k)].get(90))
                          for k, c in counts.items() if c}
            overall = found.get((figure, None), {})
            result[figure] = (per_bucket, Quantiles(overall.get(50), overall.get(90)))
        return result

    def overview(self, period: Period, today: str) -> Overview:
        """In one statement: the first and last detection time there is, how many of the period's
        incidents have updates not judged yet, and its action items closed and overdue."""
        ends = "(SELECT {}(detected) FROM incident_figures INDEXED BY incident_figures_month_detected WHERE kind = 'month')"
        row = self.db.conn.execute(
            f"SELECT {ends.format('min')}, {ends.format('max')}, "
            "(SELECT count(*) FROM incident_figures INDEXED BY incident_figures_unjudged WHERE kind = 'month' "
            " AND owed < 0 AND detected >= :start AND detected < :end), "
            + ", ".join(f"(SELECT coalesce(sum({counted}), 0) FROM action_item_figures INDEXED BY "
                        "action_item_figures_detected WHERE counted AND detected >= :start AND detected < :end)"
                        for counted in ("status IN ('done', 'wont-do')",
                                        "status = 'open' AND due IS NOT NULL AND due < :today")),
            {"today": today, "start": period.start, "end": period.end}).fetchone()
        return Overview(None if row[0] is None else (row[0], row[1]), row[2], int(row[3]), int(row[4]))

    def unjudged(self, period: Period) -> list[int]:
        """SEV-1/2 incidents of the period, resolved or closed, whose updates are not judged yet."""
        return [row[0] for row in self.db.conn.execute(
            "SELECT incident_id FROM incident_figures INDEXED BY incident_figures_unjudged "
            "WHERE kind = 'month' AND owed < 0 AND detected >= :start AND detected < :end",
            {"start": period.start, "end": period.end})]

    def judged(self, results: list[tuple[int, int, int]]) -> None:
        """Store (incident id, updates owed, on time) for incidents `unjudged` returned."""
        with self.db.write() as conn:
            conn.executemany("UPDATE incident_figures SET owed = ?, on_time = ? WHERE incident_id = ? AND owed < 0",
                             [(owed, on_time, incident_id) for incident_id, owed, on_time in results])

    def incident_ids(self, period: Period, bucket: str | None, figure: str) -> list[int]:
        """The incidents behind one figure of one bucket (None: of the period), worst or newest first."""
        if figure not in BEHIND:
            raise ValueError(f"unknown figure {figure!r}")
        order = {"ttd": "ttd DESC, incident_id", "ttr": "ttr DESC, incident_id",
                 "late_updates": "owed - on_time DESC, detected DESC, incident_id DESC"}.get(
            figure, "detected DESC, incident_id DESC")
        select = "incident_id, ttd, ttr, detected, owed, on_time"
        if bucket is None:
            params: dict[str, object] = {"start": period.start, "end": period.end}
            sql = (f"SELECT {select} FROM incident_figures WHERE kind = 'total' "
                   "AND detected >= :start AND detected < :end" + (f" AND {BEHIND[figure]}" if BEHIND[figure] else ""))
        else:
            parts, params = self._parts(period, select, bucket, BEHIND[figure], labelled=False)
            if not parts:
                return []
            sql = " UNION ALL ".join(parts)
        return [row[0] for row in self.db.conn.execute(f"SELECT incident_id FROM ({sql}) ORDER BY {order}", params)]

    def role_hours(self, period: Period, now: int) -> list[tuple[str, str, str, float]]:
        """(bucket, person, role, seconds) held on the period's incidents while open: from the role
        given (or the declaration, if later) to the role ended, the last resolution, or `now`."""
        if period.by not in ("month", "asset", "cause"):
            raise ValueError(f"person-hours are by month, asset or cause, not {period.by!r}")
        # Settled spells carry their seconds (a stored column); the few still running count to now.
        seconds = "sum(coalesce(seconds, max(0, :now - max(held_from, declared))))"
        params: dict[str, object] = {"start": period.start, "end": period.end, "now": now}
        parts = []
        if period.by != "month":
            # read in the index's order (by asset or cause, person, role): the GROUP BY sorts nothing
            within = "" if period.whole else " AND +detected >= :start AND +detected < :end"
            parts.append(f"SELECT {period.by}, person, role, {seconds} FROM role_spells INDEXED BY "
                         f"role_spells_{period.by} WHERE counted{within} GROUP BY {period.by}, person, role")
        for n, month in enumerate(period.months if period.by == "month" else ()):
            params.update({f"k{n}": month.key, f"lo{n}": month.low, f"hi{n}": month.high})
            inside = month.low <= month.utc_low and month.utc_high <= month.high
            within = "" if inside else f" AND +detected >= :lo{n} AND +detected < :hi{n}"
            parts.append(f"SELECT :k{n}, person, role, {seconds} FROM role_spells INDEXED BY role_spells_month "
                         f"WHERE counted AND month = :k{n}{within} GROUP BY person, role")
            for e, (low, high) in enumerate(month.edges()):
                params.update({f"e{n}_{e}lo": low, f"e{n}_{e}hi": high})
                parts.append(f"SELECT :k{n}, person, role, {seconds} FROM role_spells INDEXED BY role_spells_detected "
                             f"WHERE counted AND detected >= :e{n}_{e}lo AND detected < :e{n}_{e}hi "
                             "GROUP BY person, role")
        if not parts:
            return []
        return [(bucket, person, role, float(s)) for bucket, person, role, s
                in self.db.conn.execute(" UNION ALL ".join(parts), params) if s]

    def incidents_held(self, period: Period, person: str | None, role: str | None, bucket: str | None,
                       now: int) -> list[int]:
        """The period's incidents on which `person` (None: anyone) held `role` (None: any), in one
        bucket (None: all), the most hours first."""
        if period.by not in ("month", "asset", "cause"):
            raise ValueError(f"person-hours are by month, asset or cause, not {period.by!r}")
        params: dict[str, object] = {"start": period.start, "end": period.end, "now": now, "person": person,
                                     "role": role, "bucket": bucket}
        where = "counted AND detected >= :start AND detected < :end"
        if bucket is not None and period.by == "month":
            month = next((m for m in period.months if m.key == bucket), None)
            if month is None:
                return []
            params["start"], params["end"] = month.low, month.high
        elif bucket is not None:
            where += f" AND {period.by} = :bucket"
        where += (" AND person = :person" if person is not None else "") + (" AND role = :role" if role else "")
        return [row[0] for row in self.db.conn.execute(
            "SELECT incident_id FROM role_spells INDEXED BY role_spells_detected "
            f"WHERE {where} GROUP BY incident_id "
            "ORDER BY sum(coalesce(seconds, max(0, :now - max(held_from, declared)))) DESC, incident_id DESC",
            params)]
