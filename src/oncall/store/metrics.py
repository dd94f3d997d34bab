"""The metrics' SQL: every figure aggregated inside SQLite, never by looping over rows in Python.

One scan of the counted incidents (`domain/metrics.py` says which) groups them by bucket and
severity; the medians and 90th percentiles rank each bucket's durations with window functions
(ROW_NUMBER and COUNT over the bucket) and pick the nearest rank; post-mortems, overrides and
action items are counted from their own (small) tables joined to the incidents. The bucket key
is a SQL expression chosen from a fixed set: month boundaries (computed in Python, DST-correct,
as UTC text) are parameters of a CASE, so nothing a user types is ever spliced into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oncall.domain.metrics import INTERNAL_SOURCES, NO_CAUSE, USER_SOURCES, nearest_rank
from oncall.store.db import Database

TTD_SQL = "unixepoch(i.declared_at) - unixepoch(i.started_at)"
TTR_SQL = "unixepoch(i.resolved_at) - unixepoch(i.declared_at)"
COUNTED = "i.is_drill = 0 AND i.declared_at IS NOT NULL AND i.detected_at >= :start AND i.detected_at < :end"
_INTERNAL = "(" + ", ".join(f"'{s}'" for s in INTERNAL_SOURCES) + ")"
_USER = "(" + ", ".join(f"'{s}'" for s in USER_SOURCES) + ")"
PM_DUE = "i.severity IN ('SEV-1', 'SEV-2') AND i.status IN ('resolved', 'closed')"


@dataclass(frozen=True)
class Period:
    """What to count: detected in [start, end) (UTC text), and how to bucket it. For months,
    `months` holds (key, the UTC text the month ends at) in order."""

    start: str
    end: str
    by: str
    months: tuple[tuple[str, str], ...] = field(default=())


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


@dataclass(frozen=True)
class Quantiles:
    median: float | None
    p90: float | None


def key_sql(period: Period) -> tuple[str, dict[str, str]]:
    """The bucket's SQL expression over incidents `i`, and its parameters."""
    if period.by == "month":
        if not period.months:
            return "''", {}
        if all(end.endswith("-01T00:00:00Z") for _, end in period.months[:-1]):
            # Months in UTC: the key is the start of the stored ISO text itself (no comparisons).
            return "substr(i.detected_at, 1, 7)", {}
        params = {}
        for n, (key, end) in enumerate(period.months):
            params[f"m{n}end"], params[f"m{n}key"] = end, key
        return _month_case(0, len(period.months)), params
    if period.by == "severity":
        return "i.severity", {}
    if period.by == "asset":
        return "i.asset", {}
    if period.by == "source":
        return "i.source", {}
    if period.by == "cause":
        return f"CASE WHEN i.root_cause = '' THEN '{NO_CAUSE}' ELSE i.root_cause END", {}
    raise ValueError(f"unknown grouping {period.by!r}")


def _month_case(low: int, high: int) -> str:
    """A CASE that finds the month of `i.detected_at` among months[low:high] by halving: a few
    comparisons per incident instead of one per month (a flat CASE over 36 months is ~10x slower)."""
    if high - low == 1:
        return f":m{low}key"
    middle = (low + high) // 2
    return f"CASE WHEN i.detected_at < :m{middle - 1}end THEN {_month_case(low, middle)} ELSE {_month_case(middle, high)} END"


class MetricsReader:
    """Reads one period's figures. The counted incidents are scanned once, into a small temporary
    table of what the figures need (bucket, severity, the two durations, a few flags); every count
    and every percentile is then aggregated from that table, not from the incidents' wide rows."""

    def __init__(self, database: Database) -> None:
        self.db = database
        self._loaded: Period | None = None

    def _params(self, period: Period) -> tuple[str, dict[str, str]]:
        key, params = key_sql(period)
        return key, {"start": period.start, "end": period.end, **params}

    def load(self, period: Period, fresh: bool = False) -> None:
        """The one scan of the incidents (a temporary table: this connection's own, nothing is
        written to the database file). `fresh`: read again even if this period was read last
        (`counts`, which a report asks first, always reads afresh; the rest of the report reuses it)."""
        if self._loaded == period and not fresh:
            return
        key, params = self._params(period)
        conn = self.db.conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS metric_rows (id INTEGER PRIMARY KEY, k TEXT, severity TEXT, "
                     "ttd REAL, ttr REAL, recurring INTEGER, internal INTEGER, user INTEGER, pm_due INTEGER)")
        conn.execute("DELETE FROM temp.metric_rows")
        conn.execute(
            f"INSERT INTO temp.metric_rows SELECT i.id, {key}, i.severity, {TTD_SQL}, {TTR_SQL}, "
            f"i.recurring_of IS NOT NULL, i.source IN {_INTERNAL}, i.source IN {_USER}, {PM_DUE} "
            f"FROM incidents i WHERE {COUNTED}", params)
        self._loaded = period

    def counts(self, period: Period) -> dict[tuple[str, str], Counts]:
        """(bucket, severity) → its additive figures."""
        self.load(period, fresh=True)
        found: dict[tuple[str, str], Counts] = {}
        rows = self.db.conn.execute(
            "SELECT k, severity, count(*), count(ttd), count(ttr), sum(recurring), sum(internal), sum(user), "
            "sum(pm_due) FROM temp.metric_rows GROUP BY k, severity")
        for k, severity, *figures in rows:
            found[(k, severity)] = Counts(*figures)
        # Post-mortems complete and overrides: from their own tables, which are small beside the incidents.
        for column, sql in (
            ("postmortems_complete", "SELECT m.k, m.severity, count(*) FROM postmortems p "
                                     "JOIN temp.metric_rows m ON m.id = p.incident_id "
                                     "WHERE p.status = 'complete' AND m.pm_due GROUP BY m.k, m.severity"),
            ("overrides", "SELECT m.k, m.severity, count(*) FROM timeline t "
                          "JOIN temp.metric_rows m ON m.id = t.incident_id "
                          "WHERE t.kind = 'close_override' GROUP BY m.k, m.severity"),
        ):
            for k, severity, n in self.db.conn.execute(sql):
                setattr(found.setdefault((k, severity), Counts()), column, n)
        return found

    def quantiles(self, period: Period, figure: str, counts: dict[str, int]) -> tuple[dict[str, Quantiles], Quantiles]:
        """Median and 90th percentile (nearest rank) of TTD or TTR per bucket, and over all.

        `counts` is how many values each bucket has (from `counts()`): with it, one sort by
        (bucket, value) numbered by ROW_NUMBER finds every bucket's ranks, a bucket's value at
        rank r being the row numbered (values in the buckets sorted before it) + r."""
        column = {"ttd": "ttd", "ttr": "ttr"}[figure]
        self.load(period)
        params: dict[str, str] = {}
        values = f"SELECT k, {column} AS v FROM temp.metric_rows WHERE {column} IS NOT NULL"
        wanted: dict[int, list[tuple[str, int]]] = {}  # one rank can be both the median and the p90
        before = 0
        for k in sorted(k for k, n in counts.items() if n):  # BINARY collation orders as Python sorts str
            for percent in (50, 90):
                wanted.setdefault(before + nearest_rank(counts[k], percent), []).append((k, percent))
            before += counts[k]
        found: dict[str, dict[int, float]] = {}
        if wanted:
            marks = ", ".join(str(rank) for rank in wanted)  # integers made here, not user text
            for rank, v in self.db.conn.execute(
                    f"SELECT g, v FROM (SELECT v, row_number() OVER (ORDER BY k, v) AS g FROM ({values})) "
                    f"WHERE g IN ({marks})", params):
                for k, percent in wanted[rank]:
                    found.setdefault(k, {})[percent] = v
        per_bucket = {k: Quantiles(q.get(50), q.get(90)) for k, q in found.items()}
        total = sum(counts.values())
        if not total:
            return per_bucket, Quantiles(None, None)
        ranks = {50: nearest_rank(total, 50), 90: nearest_rank(total, 90)}
        at = dict(self.db.conn.execute(
            f"SELECT g, v FROM (SELECT v, row_number() OVER (ORDER BY v) AS g FROM ({values})) "
            f"WHERE g IN ({', '.join(str(r) for r in ranks.values())})", params).fetchall())
        overall = {percent: at.get(rank) for percent, rank in ranks.items()}
        return per_bucket, Quantiles(overall.get(50), overall.get(90))

    def action_items(self, period: Period, today: str) -> tuple[int, int]:
        """(closed: done or won't do, overdue: open and due before `today`) among the counted incidents' items."""
        self.load(period)
        closed, overdue = self.db.conn.execute(
            "SELECT coalesce(sum(a.status IN ('done', 'wont-do')), 0), "
            "coalesce(sum(a.status = 'open' AND a.due IS NOT NULL AND a.due < :today), 0) "
            "FROM action_items a JOIN temp.metric_rows m ON m.id = a.incident_id", {"today": today}).fetchone()
        return int(closed), int(overdue)

    def incident_ids(self, period: Period, bucket: str | None, figure: str) -> list[int]:
        """The incidents behind one figure of one bucket (None: of the total), worst or newest first."""
        key, params = self._params(period)
        where = [COUNTED]
        if bucket is not None:
            where.append(f"{key} = :bucket")
            params["bucket"] = bucket
        order = "i.detected_at DESC, i.id DESC"
        if figure == "ttd":
            where.append("i.started_at IS NOT NULL")
            order = f"{TTD_SQL} DESC, i.id"
        elif figure == "ttr":
            where.append("i.resolved_at IS NOT NULL")
            order = f"{TTR_SQL} DESC, i.id"
        elif figure == "recurring":
            where.append("i.recurring_of IS NOT NULL")
        elif figure == "internal":
            where.append(f"i.source IN {_INTERNAL}")
        elif figure == "user_reported":
            where.append(f"i.source IN {_USER}")
        elif figure == "overrides":
            where.append("EXISTS (SELECT 1 FROM timeline t WHERE t.kind = 'close_override' AND t.incident_id = i.id)")
        elif figure != "incidents":
            raise ValueError(f"unknown figure {figure!r}")
        sql = f"SELECT i.id FROM incidents i WHERE {' AND '.join(where)} ORDER BY {order}"
        return [row[0] for row in self.db.conn.execute(sql, params)]
