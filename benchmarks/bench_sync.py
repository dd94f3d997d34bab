"""Sync throughput: 1,000 updates across 50 incidents drained to Jira and Slack.

The local fake services (the ones the tests use) add 20 ms to every answer and, in the first
run, refuse more than 20 requests per second per service with 429 + Retry-After. Each update is
one Jira comment and one Slack thread reply. Figures: the time, the ideal the limit (or, without
it, the latency and the worker's concurrency) allows, their ratio, and the 429s provoked.

    .venv/bin/python benchmarks/bench_sync.py            # both runs
    .venv/bin/python benchmarks/bench_sync.py --quick    # 200 updates across 10 incidents
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "sync"))  # the fake services live with the tests

from sync_fakes.jira_server import FakeJira  # noqa: E402
from sync_fakes.slack_server import FakeSlack  # noqa: E402

from oncall.demo.install import copy_demo_config  # noqa: E402
from oncall.domain.clock import SystemClock  # noqa: E402
from oncall.domain.severity import Severity  # noqa: E402
from oncall.service.incidents import Declaration, IncidentService  # noqa: E402
from oncall.sync.worker import SyncWorker  # noqa: E402
from oncall.workspace.loader import load_workspace  # noqa: E402

LATENCY = 0.020
LIMIT = 20  # requests per second per service


def run(incidents: int, updates: int, limited: bool, folder: Path) -> dict:
    os.environ["ONCALL_DATA_DIR"] = str(folder / "data")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(name, None)
    limit = LIMIT if limited else None
    with FakeJira(latency=LATENCY, rate_limit=limit) as jira, \
            FakeSlack(latency=LATENCY, rate_limit=limit, clock_start=time.time() - 60) as slack:
        root = folder / "workspace"
        copy_demo_config(root)
        config = root / "oncall.toml"
        config.write_text(config.read_text("utf-8") + (
            f'\n[jira]\nserver = "{jira.url}"\nproject = "DATA"\nemail = "{jira.email}"\npull = false\n'
            f'\n[slack]\nchannel = "C0INCIDENTS"\napi_url = "{slack.api_url}"\n'), "utf-8")
        os.environ["ONCALL_JIRA_TOKEN"], os.environ["ONCALL_SLACK_TOKEN"] = jira.token, slack.token
        workspace = load_workspace(root, strict=True)
        database = workspace.open_database()
        service = IncidentService(database, workspace.config, SystemClock(), "bench")
        ids = [service.declare(Declaration(title=f"Bench incident {n}", severity=Severity.SEV2,
                                           asset="cac-dashboard")).id for n in range(incidents)]
        worker = SyncWorker.for_workspace(workspace)
        assert worker.drain().complete  # issues and parent messages exist before the clock starts
        for n in range(updates):
            service.add_note(ids[n % incidents], f"update {n}: still investigating")
        before = {"jira": len(jira.exchanges), "slack": len(slack.exchanges)}
        refused_before = {"jira": jira.refused, "slack": slack.refused}
        if limited:
            time.sleep(1.0)  # let the setup's window of requests expire, so the drain starts fresh
        started = time.perf_counter()
        report = worker.drain()
        seconds = time.perf_counter() - started
        worker.close()
        database.close()
        assert report.complete, report.lines()
        assert sum(len(i.comments) for i in jira.issues.values()) == updates
        requests = {"jira": len(jira.exchanges) - before["jira"], "slack": len(slack.exchanges) - before["slack"]}
        refused = {"jira": jira.refused - refused_before["jira"], "slack": slack.refused - refused_before["slack"]}
        accepted = {k: requests[k] - refused[k] for k in requests}
        concurrency = workspace.config.jira.concurrency
        if limited:
            ideal = max(n / LIMIT for n in accepted.values())
            basis = f"{LIMIT} requests/s per service"
        else:
            ideal = max(math.ceil(n / concurrency) * LATENCY for n in accepted.values())
            basis = f"{LATENCY * 1000:.0f} ms per request, {concurrency} at a time per service"
        return {"run": "limited to 20 req/s" if limited else "no limit", "updates": updates,
                "incidents": incidents, "seconds": round(seconds, 2), "ideal_seconds": round(ideal, 2),
                "ratio": round(seconds / ideal, 3), "basis": basis, "requests": accepted,
                "429s": refused, "concurrency": concurrency}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 updates across 10 incidents")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    incidents, updates = (10, 200) if args.quick else (50, 1000)
    results = []
    for limited in (True, False):
        with tempfile.TemporaryDirectory() as folder:
            results.append(run(incidents, updates, limited, Path(folder)))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"sync benchmark, {datetime.now(timezone.utc):%Y-%m-%d}: {updates} updates across {incidents} "
              f"incidents (one Jira comment + one Slack reply each), {LATENCY * 1000:.0f} ms added latency")
        for r in results:
            print(f"  {r['run']:<20} {r['seconds']:>6.2f} s  ideal {r['ideal_seconds']:>6.2f} s ({r['basis']})  "
                  f"ratio {r['ratio']:.2f}  429s: jira {r['429s']['jira']}, slack {r['429s']['slack']}  "
                  f"requests: jira {r['requests']['jira']}, slack {r['requests']['slack']}")
    return 0 if all(r["ratio"] <= 1.2 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
