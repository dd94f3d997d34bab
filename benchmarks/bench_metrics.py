"""Metrics speed (issue 16): every figure of `MetricsService.report` for a database of N incidents.

Times, on this machine, the default report (12 months by month), the whole history by month and
by severity, and a drill-down; median of several runs after one warm-up. Bar: under 200 ms at
100,000 incidents, under 1 s at 1,000,000. Exits 1 when a bar is missed.

Run: `.venv/bin/python benchmarks/bench_metrics.py [--workspace DIR] [--incidents N] [--runs N]`.
Without --workspace it makes one with `oncall demo generate --incidents N` (100,000: about 35 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from oncall.domain.clock import FrozenClock  # noqa: E402
from oncall.service.metrics import MetricsService  # noqa: E402
from oncall.workspace.loader import load_workspace  # noqa: E402

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)


def bar_ms(incidents: int) -> float:
    return 200.0 if incidents <= 100_000 else 1000.0 * incidents / 1_000_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oncall-bench-metrics-") as scratch:
        if args.workspace is None:
            from bench_console import make_workspace

            env = {**os.environ, "ONCALL_USER": "bench", "ONCALL_DATA_DIR": str(Path(scratch) / "data")}
            os.environ.update(ONCALL_DATA_DIR=env["ONCALL_DATA_DIR"], ONCALL_USER="bench")
            args.workspace = make_workspace(Path(scratch) / "big", args.incidents, env)
        workspace = load_workspace(args.workspace, strict=True)
        database = workspace.open_database()
        incidents = database.conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
        service = MetricsService(database, workspace.config, FrozenClock(NOW))
        bar = bar_ms(incidents)
        cases = {
            "default (12 months, by month)": lambda: service.report(),
            "all history, by month": lambda: service.report(date(2000, 1, 1)),
            "all history, by severity": lambda: service.report(date(2000, 1, 1), by="severity"),
            "drill-down: TTR of one month": lambda: service.incidents_behind("2026-10", "month", "ttr"),
        }
        ok = True
        print(f"{incidents:,} incidents; bar {bar:.0f} ms")
        for name, case in cases.items():
            case()
            timings = []
            for _ in range(args.runs):
                started = time.perf_counter()
                case()
                timings.append((time.perf_counter() - started) * 1000)
            median = statistics.median(timings)
            ok = ok and median < bar
            print(f"  {name}: median {median:.0f} ms, slowest {max(timings):.0f} ms"
                  f"{'' if median < bar else '  MISSED'}")
        database.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
