"""Runbooks at scale (issue 9): a workspace with 500 runbooks, measured as a person feels it.

1. launch → queue painted, with 500 runbooks in `runbooks/` and with none (fresh processes,
   headless, 160×50, median of several runs, interleaved): the library is read after the first
   paint, so the start must stay within 1.1× of the start with none;
2. `5` on an open incident → its Runbooks tab painted with the suggestions (in a real pseudo-terminal
   read through a terminal emulator, as bench_incident.py does), p95 under 50 ms.

Run: `.venv/bin/python benchmarks/bench_runbooks.py [--runbooks N] [--runs N]` (`make bench` runs it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from bench_incident import make_workspace, percentile, summary  # noqa: E402
from search_latency import Terminal  # noqa: E402

START_RATIO_BAR = 1.1
SUGGEST_BAR_MS = 50
TAGS = ("third-party-api", "stale-table", "bad-file", "silent-failure", "schema-change", "metric-logic",
        "infrastructure", "pipeline-failure", "duplicate-data", "permissions")


def write_runbooks(folder: Path, count: int, assets: list[str]) -> None:
    """`count` runbooks made from the shipped ones: each its own id, title, tags and asset."""
    shipped = sorted(p for p in folder.glob("*.md") if p.name != "README.md")
    texts = [p.read_text("utf-8") for p in shipped]
    for n in range(count - len(shipped)):
        text = texts[n % len(texts)]
        head, body = text.split("\n---\n", 1)
        lines = [line for line in head.splitlines()
                 if not line.startswith(("id:", "title:", "applies_to:", "assets:", "asset_kinds:", "always:"))]
        lines += [f"id: generated-{n:04d}", f"title: Generated runbook {n:04d}",
                  f"applies_to: [{TAGS[n % len(TAGS)]}, {TAGS[(n * 7 + 3) % len(TAGS)]}]",
                  f"assets: [{assets[n % len(assets)]}]"]
        (folder / f"generated-{n:04d}.md").write_text("\n".join(lines) + "\n---\n" + body, "utf-8")


def measure_suggestions(workspace: Path, env: dict, runs: int, expected: str, header: str) -> list[float]:
    terminal = Terminal([sys.executable, "-m", "oncall", "--workspace", str(workspace)], env, 160, 50)
    times = []
    try:
        terminal.wait_for("INC-1 ", timeout=30)  # the queue is painted (its summary line may be cut at 80 columns)
        terminal.drain(3.0)  # the library is read in the background, a second after the first paint
        for _ in range(runs):
            terminal.write(b"\r")
            terminal.wait_for(header)
            terminal.drain()
            times.append(terminal.key_then_times(b"5", [expected])[0])
            terminal.write(b"1")
            terminal.drain()
            terminal.write(b"\x1b")
            terminal.wait_for("Incident queue")
            terminal.drain()
    finally:
        terminal.close()
    return times


def run(count: int, runs: int, scratch: Path, env: dict) -> bool:
    from bench_console import launch  # (bench_console runs this one: imported here, not at the top)

    from oncall.workspace.loader import load_workspace
    from oncall.workspace.runbooks import load_library

    print(f"preparing a workspace with {count} runbooks", flush=True)
    many = scratch / "runbooks-many"
    header, _ = make_workspace(many, 0, env)
    config = load_workspace(many).config
    write_runbooks(many / "runbooks", count, [a.id for a in config.assets])
    none = scratch / "runbooks-none"
    shutil.copytree(many, none)
    shutil.rmtree(none / "runbooks")
    (none / "runbooks").mkdir()
    library = load_library(many / "runbooks", {s.name for s in config.sources})
    assert len(library.runbooks) == count, (len(library.runbooks), library.problems[:3])
    started = time.perf_counter()
    asset = config.asset("cac-dashboard")
    suggested = library.suggest(asset, set(), config.assets)
    suggest_ms = (time.perf_counter() - started) * 1000
    first = suggested[0][0].title

    print(f"launch → queue painted (median of {runs}, interleaved)", flush=True)
    results: dict[str, list[float]] = {"none": [], "many": []}
    launch("bare", None, env)  # warm the file cache; not counted
    for _ in range(runs):
        for name, workspace in (("none", none), ("many", many)):
            results[name].append(launch("oncall", workspace, env)["seconds"])
    none_s, many_s = statistics.median(results["none"]), statistics.median(results["many"])
    ratio = many_s / none_s
    print(f"  no runbooks: {none_s * 1000:.0f} ms; {count} runbooks: {many_s * 1000:.0f} ms = {ratio:.2f}× "
          f"(bar {START_RATIO_BAR}×){'' if ratio <= START_RATIO_BAR else '  MISSED'}")
    print(f"  suggestions for INC-1 computed in {suggest_ms:.1f} ms ({len(suggested)} fit, first: {first})")

    times = measure_suggestions(many, env, runs, first, header)
    print(f"160×50, {runs} opens of INC-1's Runbooks tab with {count} runbooks:")
    line, met = summary("5 → suggestions painted", times, SUGGEST_BAR_MS)
    print(line, flush=True)
    return ratio <= START_RATIO_BAR and met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runbooks", type=int, default=500)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oncall-bench-runbooks-") as scratch:
        env = {**os.environ, "ONCALL_DATA_DIR": str(Path(scratch) / "data"), "ONCALL_USER": "bench"}
        os.environ.update(ONCALL_DATA_DIR=env["ONCALL_DATA_DIR"], ONCALL_USER="bench")
        ok = run(args.runbooks, args.runs, Path(scratch), env)
    print("all runbook bars met" if ok else "SOME RUNBOOK BARS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
