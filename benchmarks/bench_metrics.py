"""Metrics speed (issue 16): every figure of `MetricsService.report` for a database of N incidents.

For each size (default 100,000 and 1,000,000 incidents over three years), on this machine: the
default report (12 months by month), the whole history by month, by severity, source, asset and
cause, a month in Europe/Berlin (months off the UTC ones), the person-hours, and a drill-down;
median of several runs after one warm-up. Bar: under 200 ms at 100,000, under 1 s at 1,000,000.
Then, on the demo workspace with its year of history: judging the updates of the SEV-1/2
incidents against the cadence (once per incident, stored), and the metrics screen painted next to
the queue (bar: within 1.5× the queue's time). Exits 1 when a bar is missed.

The big databases are written by SQL (`INSERT … SELECT` from a recursive CTE, through the real
schema and its triggers), once, into a cache in the temp folder keyed by the generator's version
and the migrations' text: 100,000 take ~40 s the first time, 1,000,000 about 15 minutes (2 cores);
later runs reuse them.

Run: `.venv/bin/python benchmarks/bench_metrics.py [--incidents N ...] [--runs N] [--no-screen]`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

from oncall.demo.install import copy_demo_config
from oncall.domain.clock import FrozenClock
from oncall.service.metrics import MetricsService
from oncall.store.db import open_database
from oncall.store.migrations import available_migrations
from oncall.workspace.loader import load_workspace

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
GENERATOR = 8  # bump when the SQL below changes: cached databases are made again
SPAN = 3 * 365 * 86400
PEOPLE = ("maya", "tom", "priya", "lukas", "grace", "omar")
ASSETS = ("google-ads-api", "meta-ads-api", "crm-signups", "stg-ad-spend", "stg-new-customers", "fct-weekly-cac",
          "cac-pipeline", "cac-dashboard", "marketing-roi-dashboard")
CAUSES = ("", "upstream-schema-change", "vendor-api-pagination", "orchestrator", "stale-table", "credentials",
          "late-data", "duplicate-load")


def _pick(values: tuple[str, ...], hash_sql: str) -> str:
    return "CASE (" + hash_sql + f") % {len(values)} " + " ".join(
        f"WHEN {n} THEN '{value}'" for n, value in enumerate(values)) + " END"


def generate(database, count: int) -> None:
    """`count` synthetic incidents over the three years before NOW, with IC spells, SMEs, hand-offs,
    post-mortems, overrides and action items; detection moves from user reports to alerts over time."""
    now = int(NOW.timestamp())
    for first in range(1, count + 1, BATCH):  # in batches: a transaction's pages fit in the cache
        _generate_incidents(database, count, first, min(count, first + BATCH - 1), now)
    _generate_the_rest(database)


BATCH = 100_000


def _generate_incidents(database, count: int, first: int, last: int, now: int) -> None:
    h = "((n * 2654435761 + {salt} * 40503) % 2147483647)"
    rows = f"""
    WITH RECURSIVE seq(n) AS (SELECT {first} UNION ALL SELECT n + 1 FROM seq WHERE n < {last}),
    base AS (
        SELECT n, {now} - {SPAN} + n * {SPAN} / {count} + {h.format(salt=1)} % 3600 AS detected,
               {h.format(salt=2)} % 100 AS sev_roll, {h.format(salt=3)} % 100 AS source_roll,
               {h.format(salt=4)} % 100 AS fate, {h.format(salt=5)} AS h5, {h.format(salt=6)} AS h6,
               {h.format(salt=7)} AS h7, n * 100 / {count} AS progress
        FROM seq),
    shaped AS (
        SELECT n, detected, h5, h6, h7,
               CASE WHEN sev_roll < 10 THEN 1 WHEN sev_roll < 45 THEN 2 ELSE 3 END AS rank,
               CASE WHEN fate = 0 THEN 'drill' WHEN source_roll < 30 + progress / 2 THEN 'alert'
                    WHEN source_roll < 45 + progress / 2 THEN 'dbt' ELSE 'user_report' END AS source,
               CASE WHEN fate = 1 THEN 'triage' WHEN {now} - detected > 30 * 86400 THEN
                    CASE WHEN fate < 85 THEN 'closed' ELSE 'resolved' END
                    ELSE CASE fate % 5 WHEN 0 THEN 'investigating' WHEN 1 THEN 'identified' WHEN 2 THEN 'monitoring'
                         WHEN 3 THEN 'resolved' ELSE 'closed' END END AS status
        FROM base)
    SELECT n, 'Synthetic incident ' || n, 'SEV-' || rank, rank, status,
           CASE WHEN status IN ('triage', 'investigating', 'identified', 'monitoring') THEN 0
                WHEN status = 'resolved' THEN 1 ELSE 2 END,
           {_pick(ASSETS, 'h5')}, source, '', '', {_pick(PEOPLE, 'h6')}, source = 'drill',
           CASE WHEN h7 % 10 = 0 THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%SZ', detected - h7 % 172800, 'unixepoch') END,
           strftime('%Y-%m-%dT%H:%M:%SZ', detected, 'unixepoch'),
           CASE WHEN status = 'triage' THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%SZ', detected + h5 % 900, 'unixepoch') END,
           CASE WHEN status IN ('resolved', 'closed') THEN strftime('%Y-%m-%dT%H:%M:%SZ',
                min({now}, detected + h5 % 900 + 600 + h6 % (86400 * (4 - rank))), 'unixepoch') END,
           CASE WHEN status = 'closed' THEN strftime('%Y-%m-%dT%H:%M:%SZ',
                min({now}, detected + 2 * 86400 + h6 % 86400), 'unixepoch') END,
           strftime('%Y-%m-%dT%H:%M:%SZ', min({now}, detected + 3 * 86400), 'unixepoch'), 1,
           CASE WHEN status IN ('resolved', 'closed') THEN {_pick(CAUSES, 'h7')} ELSE '' END,
           CASE WHEN status IN ('resolved', 'closed') AND h7 % 9 = 0 AND n > 50 THEN n - 1 - h5 % 40 END
    FROM shaped"""
    with database.write() as conn:
        conn.execute("INSERT INTO incidents (id, title, severity, severity_rank, status, queue_group, asset, source, "
                     "impact, eta, ic, is_drill, started_at, detected_at, declared_at, resolved_at, closed_at, "
                     f"updated_at, synthetic, root_cause, recurring_of) {rows}")


def _generate_the_rest(database) -> None:
    """The incidents' timelines (IC spells, SMEs, hand-offs, overrides), post-mortems and action items."""
    hand_off = _pick(PEOPLE, "(id * 7 + 3)")
    sme = _pick(PEOPLE, "(id * 13 + 1)")
    events = (
        # every incident's first IC, when it was opened
        "SELECT id, detected_at, ic, 'ic_assigned', ic || ' is Incident Commander', json_object('ic', ic) "
        "FROM incidents",
        # an SME on four in ten, a quarter of an hour in
        f"SELECT id, strftime('%Y-%m-%dT%H:%M:%SZ', unixepoch(detected_at) + 900, 'unixepoch'), ic, 'role_assigned', "
        f"'SME', json_object('role', 'sme', 'person', {sme}, 'from', NULL) FROM incidents WHERE id % 5 < 2",
        # the IC handed on in one in ten, two hours in
        f"SELECT id, strftime('%Y-%m-%dT%H:%M:%SZ', unixepoch(detected_at) + 7200, 'unixepoch'), ic, 'ic_assigned', "
        f"'IC handed on', json_object('ic', {hand_off}, 'from', ic) FROM incidents WHERE id % 10 = 3",
        "SELECT id, closed_at, ic, 'close_override', 'closed before the post-mortem was complete', '{}' "
        "FROM incidents WHERE status = 'closed' AND severity IN ('SEV-1', 'SEV-2') AND id % 50 = 0",
    )
    last = database.conn.execute("SELECT max(id) FROM incidents").fetchone()[0] or 0
    for first in range(1, last + 1, BATCH):
        with database.write() as conn:
            for select in events:
                conn.execute(f"INSERT INTO timeline (incident_id, at, actor, kind, text, data) {select} "
                             f"{'AND' if 'WHERE' in select else 'WHERE'} id BETWEEN ? AND ? ORDER BY 1",
                             (first, first + BATCH - 1))
    with database.write() as conn:
        conn.execute("INSERT INTO postmortems (incident_id, status, status_by, status_at, created_at) "
                     "SELECT id, CASE WHEN id % 10 < 7 THEN 'complete' ELSE 'draft' END, ic, resolved_at, resolved_at "
                     "FROM incidents WHERE severity IN ('SEV-1', 'SEV-2') AND status IN ('resolved', 'closed')")
        conn.execute("INSERT INTO action_items (incident_id, title, owner, due, status, created_by, created_at, "
                     "updated_at) SELECT id, 'Add a check', ic, date(resolved_at, '+14 days'), "
                     "CASE WHEN id % 3 = 0 THEN 'open' ELSE 'done' END, ic, resolved_at, resolved_at "
                     "FROM incidents WHERE severity IN ('SEV-1', 'SEV-2') AND resolved_at IS NOT NULL AND id % 5 = 0")
        # As `MetricsService.judge_updates` leaves them once it has replayed each timeline (timed below).
        conn.execute("UPDATE incident_figures SET owed = 1 + incident_id % 4, on_time = 1 + incident_id % 4 "
                     "- (incident_id % 7 = 0) WHERE owed < 0")


def big_database(count: int):
    """The cached workspace of `count` synthetic incidents, made the first time it is asked for."""
    schema = hashlib.sha1("".join(m.sql for m in available_migrations()).encode()).hexdigest()[:10]
    cache = Path(tempfile.gettempdir()) / "oncall-bench-metrics" / f"g{GENERATOR}-{schema}-{count}"
    if not (cache / "done").exists():
        shutil.rmtree(cache, ignore_errors=True)
        copy_demo_config(cache)
        started = time.perf_counter()
        database = open_database(cache / "oncall.db")
        generate(database, count)
        database.conn.execute("ANALYZE")
        database.close()
        (cache / "done").write_text("", "utf-8")
        print(f"  made {count:,} incidents in {time.perf_counter() - started:.0f} s ({cache})", flush=True)
    workspace = load_workspace(cache)
    return workspace, open_database(cache / "oncall.db")


def timed(case, runs: int) -> tuple[float, float]:
    case()  # warm-up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        case()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), max(timings)


def bench_size(count: int, runs: int, screen: bool = False) -> bool:
    workspace, database = big_database(count)
    incidents = database.conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
    service = MetricsService(database, workspace.config, FrozenClock(NOW))
    bar = 200.0 if incidents <= 100_000 else 1000.0 * incidents / 1_000_000
    past = date(2000, 1, 1)
    cases = {
        "default (12 months, by month)": lambda: service.report(),
        "default, months in Europe/Berlin": lambda: service.report(time_zone="Europe/Berlin"),
        "all history, by month": lambda: service.report(past),
        "all history, by severity": lambda: service.report(past, by="severity"),
        "all history, by source": lambda: service.report(past, by="source"),
        "all history, by asset": lambda: service.report(past, by="asset"),
        "all history, by cause": lambda: service.report(past, by="cause"),
        "person-hours, 12 months by month": lambda: service.cost(),
        "person-hours, all history by asset": lambda: service.cost(past, by="asset"),
        "drill-down: TTR of one month": lambda: service.incidents_behind("2026-10", "month", "ttr"),
    }
    ok = True
    print(f"{incidents:,} incidents; bar {bar:.0f} ms")
    for name, case in cases.items():
        median, slowest = timed(case, runs)
        ok = ok and median < bar
        print(f"  {name}: median {median:.0f} ms, slowest {slowest:.0f} ms{'' if median < bar else '  MISSED'}",
              flush=True)
    database.close()
    if screen:
        ok = asyncio.run(paint_times(workspace.root, runs)) and ok
    return ok


def bench_demo(runs: int, screen: bool) -> bool:
    """On the demo workspace (its live samples and a year of history): judging updates once, and
    the metrics screen's paint beside the queue's."""
    from oncall.demo.history import seed_history
    from oncall.demo.samples import seed_samples

    ok = True
    with tempfile.TemporaryDirectory(prefix="oncall-bench-metrics-demo-") as scratch:
        root = Path(scratch) / "demo"
        copy_demo_config(root)
        workspace = load_workspace(root)
        database = open_database(root / "oncall.db")
        seed_samples(database, workspace.config, NOW)
        seed_history(database, workspace.config, NOW)
        service = MetricsService(database, workspace.config, FrozenClock(NOW))
        started = time.perf_counter()
        _, _, period = service.period(date(2000, 1, 1), None, "month", None)
        judged = service.judge_updates(period)
        took = (time.perf_counter() - started) * 1000
        print(f"the demo workspace: judging the updates of {judged} SEV-1/2 incidents against the cadence: "
              f"{took:.0f} ms ({took / max(judged, 1):.1f} ms each, once per incident)")
        database.close()
        if screen:
            ok = asyncio.run(paint_times(root, runs))
    return ok


async def paint_times(root: Path, runs: int) -> bool:
    """The queue and the metrics screen pushed the same way, each timed from the push to the first
    paint after its rows are in (the queue's incidents, the metrics' figures), on the workspace at
    `root` at 160×50."""
    from textual.widgets import DataTable

    from oncall.tui.demo_app import build_demo_app
    from oncall.tui.screens.metrics_screen import MetricsScreen
    from oncall.tui.screens.queue import QueueScreen

    app = build_demo_app(root, NOW)
    ready = {"queue": lambda screen: screen.query_one("#queue").total > 0,
             "metrics": lambda screen: screen.query_one(DataTable).row_count > 0}
    times: dict[str, list[float]] = {"queue": [], "metrics": []}
    async with app.run_test(size=(160, 50)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        for _ in range(runs + 1):  # the first of each is a warm-up
            for name, make in (("queue", QueueScreen), ("metrics", MetricsScreen)):
                painted = asyncio.get_running_loop().create_future()
                started = time.perf_counter()
                screen = make()
                await app.push_screen(screen)
                while not ready[name](screen):
                    await asyncio.sleep(0.001)
                screen.call_after_refresh(lambda f=painted: f.done() or f.set_result(time.perf_counter()))
                times[name].append((await painted - started) * 1000)
                app.pop_screen()
                await pilot.pause()
    queue, metrics = (statistics.median(times[name][1:]) for name in ("queue", "metrics"))
    ok = metrics <= 1.5 * queue
    print(f"  screens at 160×50: queue painted in {queue:.0f} ms, metrics in {metrics:.0f} ms "
          f"({metrics / queue:.2f}× the queue's; bar 1.5×){'' if ok else '  MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-screen", action="store_true", help="skip the screen paint times")
    args = parser.parse_args()
    ok = True
    for count in args.incidents:
        ok = bench_size(count, args.runs, screen=not args.no_screen and count <= 100_000) and ok
    ok = bench_demo(args.runs, not args.no_screen) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
