"""The console's speed at 100,000 incidents (issue: the console's foundation).

Measures, in one run on this machine:
1. launch → queue painted, for the real console with 100,000 incidents, with an empty database,
   and for a bare Textual app with the same widgets, each started the same way (a fresh Python
   process, headless, 160×50), median of several runs;
2. one keystroke in the search box → filtered queue painted, at 100,000 incidents (p50/p95/max
   over every character of several realistic searches), and the same with the queue's "mine"
   filter on (issue 8);
3. peak memory (max RSS) of the console process at 100,000 incidents after searching and paging;
4. the incident screen with 5,000 timeline events, at 80×24 and 160×50: opening it and switching
   its tabs (bench_incident.py, issue 14);
5. the same incident while another process writes to it: typing a note, and repainting an outside
   change (bench_typing.py, issue 18);
6. 500 runbooks: the start against none, and the Runbooks tab's suggestions (bench_runbooks.py,
   issue 9);
7. rendering stakeholder updates from the templates (bench_comms.py, issue 10).

Run: `make bench` (or `.venv/bin/python benchmarks/bench_console.py [--incidents N] [--runs N]`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

import bench_comms  # noqa: E402
import bench_incident  # noqa: E402
import bench_runbooks  # noqa: E402
import bench_typing  # noqa: E402
from search_latency import measure  # noqa: E402

QUERIES = ("stale cac", "silent failure", "micros", "duplicate rows", "maya", "schema changed", "4242")


def oncall(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "-m", "oncall", *args], check=True, env=env, capture_output=True)


def make_workspace(root: Path, incidents: int, env: dict) -> Path:
    started = time.perf_counter()
    oncall("demo", "generate", "--workspace", str(root), "--incidents", str(incidents), env=env)
    # Keep the database inside the workspace, as a team could with `database = ...`.
    print(f"  generated {incidents:,} incidents in {time.perf_counter() - started:.1f}s", flush=True)
    return root


def launch(kind: str, workspace: Path | None, env: dict) -> dict:
    args = [sys.executable, str(HERE / "console_probe.py"), kind]
    if workspace is not None:
        args.append(str(workspace))
    started = time.time()
    done = subprocess.run(args, check=True, env=env, capture_output=True, text=True)
    line = [l for l in done.stdout.splitlines() if l.startswith("{")][-1]
    result = json.loads(line)
    result["seconds"] = result["painted"] - started
    return result


def launches(cases: dict[str, tuple[str, Path | None]], env: dict, runs: int) -> dict[str, list[dict]]:
    """Launch each case `runs` times, interleaved, so drift in the machine's load hits all alike."""
    results: dict[str, list[dict]] = {name: [] for name in cases}
    launch("bare", None, env)  # warm the OS file cache for the imports; not counted
    for _ in range(runs):
        for name, (kind, workspace) in cases.items():
            results[name].append(launch(kind, workspace, env))
    return results


def median_seconds(results: list[dict]) -> float:
    return statistics.median(r["seconds"] for r in results)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oncall-bench-") as scratch:
        env = {**os.environ, "ONCALL_DATA_DIR": str(Path(scratch) / "data"), "ONCALL_USER": "bench"}
        os.environ.update(ONCALL_DATA_DIR=env["ONCALL_DATA_DIR"], ONCALL_USER="bench")
        print("preparing workspaces", flush=True)
        big = make_workspace(Path(scratch) / "big", args.incidents, env)
        empty = make_workspace(Path(scratch) / "empty", 0, env)

        print("launch → queue painted (median of %d)" % args.runs, flush=True)
        runs = launches({"bare": ("bare", None), "empty": ("oncall", empty), "big": ("oncall", big)}, env, args.runs)
        bare, empty_s, big_s = (median_seconds(runs[name]) for name in ("bare", "empty", "big"))
        big_result = runs["big"][-1]
        assert all(r["rows"] == args.incidents for r in runs["big"]), big_result
        print(f"  bare Textual app (header, table, footer): {bare * 1000:.0f} ms")
        print(f"  oncall, empty database:                   {empty_s * 1000:.0f} ms")
        print(f"  oncall, {args.incidents:,} incidents:              {big_s * 1000:.0f} ms"
              f"  = {big_s / bare:.2f}× bare (bar 1.5×), {big_s / empty_s:.2f}× empty (bar 1.2×)")
        print(f"  peak memory at first paint: {big_result['peak_mb']:.0f} MB")

        timings, counted = measure(big, QUERIES, env)
        p50, p95 = percentile(timings, 0.5) * 1000, percentile(timings, 0.95) * 1000
        print(f"search keystroke → filtered queue painted (real terminal), {len(timings)} keys at "
              f"{args.incidents:,} incidents: p50 {p50:.1f} ms, p95 {p95:.1f} ms (bar 50 ms), "
              f"max {max(timings) * 1000:.1f} ms")
        print(f"  … → exact match count shown: p50 {percentile(counted, 0.5) * 1000:.1f} ms, "
              f"p95 {percentile(counted, 0.95) * 1000:.1f} ms")
        mine, mine_counted = measure(big, QUERIES, env, person="maya")
        mine_p95 = percentile(mine, 0.95) * 1000
        print(f"… with the \"mine\" filter on (m, as maya): p50 {percentile(mine, 0.5) * 1000:.1f} ms, "
              f"p95 {mine_p95:.1f} ms (bar 50 ms), max {max(mine) * 1000:.1f} ms; count p95 "
              f"{percentile(mine_counted, 0.95) * 1000:.1f} ms")
        peak_mb = launch("oncall-scroll", big, env)["peak_mb"]
        print(f"peak memory after searching and paging 500 pages: {peak_mb:.0f} MB (bar 200 MB)")
        ok = big_s <= 1.5 * bare and big_s <= 1.2 * empty_s and p95 < 50 and mine_p95 < 50 and peak_mb < 200
        print("queue: all bars met" if ok else "queue: SOME BARS NOT MET", flush=True)

        incident_ok = bench_incident.run(5_000, 7, Path(scratch), env)
        typing_ok = bench_typing.run(5_000, Path(scratch), env)
        runbooks_ok = bench_runbooks.run(500, args.runs, Path(scratch), env)
        comms_ok = bench_comms.run(Path(scratch))
        ok = ok and incident_ok and typing_ok and runbooks_ok and comms_ok
        print("all bars met" if ok else "SOME BARS NOT MET")
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
