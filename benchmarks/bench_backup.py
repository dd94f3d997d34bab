"""Backup speed at 100,000 incidents (issue 13: local data is never lost), and that a backup
running never holds up the console.

Measures, on this machine:
1. `take_backup` of the 100,000-incident database (an online copy with SQLite's backup API, its
   quick check, and the flush to disk): median and slowest of several runs (bar: under 3 s);
2. queue reads on one thread (the first page of a search, as each keystroke asks) while another
   thread backs up, against the same reads with no backup running (bar: p95 under 50 ms, the
   console's keystroke bar);
3. with `--console`, the real console's keystroke → filtered queue painted in a terminal (as in
   bench_console.py) while backups run back to back in this process (bar: p95 under 50 ms).

Run: `.venv/bin/python benchmarks/bench_backup.py [--workspace DIR] [--runs N] [--console]`. Without
--workspace it makes one with `oncall demo generate --incidents 100000` (about 30 s); with it,
it uses the database of a workspace made that way.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from oncall.store.backup import human_size, take_backup  # noqa: E402
from oncall.store.queue import QueueFilter, QueueReader  # noqa: E402
from oncall.workspace.loader import load_workspace  # noqa: E402

BAR_SECONDS = 3.0
BAR_P95_MS = 50.0
QUERIES = ("stale cac", "silent failure", "micros", "duplicate rows", "maya", "schema changed", "4242")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def keystroke_reads(reader: QueueReader) -> list[float]:
    """Every prefix of the queries, as typed: the first 60 rows and the count, timed each."""
    timings = []
    for query in QUERIES:
        for end in range(1, len(query) + 1):
            flt = QueueFilter(text=query[:end])
            started = time.perf_counter()
            reader.window(flt, 0, 60)
            reader.count(flt)
            timings.append(time.perf_counter() - started)
    return timings


def backups_meanwhile(database: Path, scratch: Path, stop: threading.Event, taken: list[float]) -> None:
    while not stop.is_set():
        folder = Path(tempfile.mkdtemp(dir=scratch))
        started = time.perf_counter()
        info = take_backup(database, NOW, to=folder)
        taken.append(time.perf_counter() - started)
        info.path.unlink()
        folder.rmdir()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, help="a workspace made by `oncall demo generate` (default: make one)")
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--console", action="store_true", help="also time the real console's keystrokes meanwhile")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oncall-bench-backup-") as scratch_name:
        scratch = Path(scratch_name)
        env = {**os.environ, "ONCALL_USER": "bench"}
        if args.workspace is None:
            from bench_console import make_workspace

            env["ONCALL_DATA_DIR"] = str(scratch / "data")
            os.environ.update(ONCALL_DATA_DIR=env["ONCALL_DATA_DIR"], ONCALL_USER="bench")
            print(f"preparing a workspace with {args.incidents:,} incidents", flush=True)
            args.workspace = make_workspace(scratch / "big", args.incidents, env)
        workspace = load_workspace(args.workspace, strict=True)
        path = workspace.database_path
        database = workspace.open_database()
        incidents = database.conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
        events = database.conn.execute("SELECT count(*) FROM timeline").fetchone()[0]
        print(f"database: {path} ({human_size(path.stat().st_size)}, {incidents:,} incidents, {events:,} events)")

        seconds = []
        for run in range(args.runs):
            folder = scratch / f"run-{run}"
            folder.mkdir()
            started = time.perf_counter()
            info = take_backup(path, NOW, to=folder)
            seconds.append(time.perf_counter() - started)
            assert info.incidents == incidents
            info.path.unlink()
        print(f"backup (copy, quick check, flush): median {statistics.median(seconds):.2f} s, "
              f"slowest {max(seconds):.2f} s, first {seconds[0]:.2f} s over {args.runs} runs (bar {BAR_SECONDS:.0f} s)")

        reader = QueueReader(database)
        keystroke_reads(reader)  # warm the cache, as a console that has been searching has
        idle = keystroke_reads(reader)
        stop, taken = threading.Event(), []
        backing_up = threading.Thread(target=backups_meanwhile, args=(path, scratch, stop, taken))
        backing_up.start()
        busy: list[float] = []
        try:
            while not taken:  # read for as long as at least one whole backup takes
                busy += keystroke_reads(reader)
        finally:
            stop.set()
            backing_up.join()
        p95_idle, p95_busy = percentile(idle, 0.95) * 1000, percentile(busy, 0.95) * 1000
        print(f"queue reads per keystroke, {len(busy)} while backing up: p50 {percentile(busy, 0.5) * 1000:.1f} ms, "
              f"p95 {p95_busy:.1f} ms, max {max(busy) * 1000:.1f} ms (idle: p95 {p95_idle:.1f} ms; bar {BAR_P95_MS:.0f} ms)")
        database.close()
        ok = max(seconds) < BAR_SECONDS and p95_busy < BAR_P95_MS

        if args.console:
            from search_latency import measure

            stop, taken = threading.Event(), []
            backing_up = threading.Thread(target=backups_meanwhile, args=(path, scratch, stop, taken))
            backing_up.start()
            try:
                timings, _ = measure(args.workspace, QUERIES, env)
            finally:
                stop.set()
                backing_up.join()
            p95 = percentile(timings, 0.95) * 1000
            print(f"console keystroke → filtered queue painted, {len(timings)} keys during {len(taken)} backups: "
                  f"p50 {percentile(timings, 0.5) * 1000:.1f} ms, p95 {p95:.1f} ms (bar {BAR_P95_MS:.0f} ms)")
            ok = ok and p95 < BAR_P95_MS
        print("all bars met" if ok else "SOME BARS NOT MET")
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
