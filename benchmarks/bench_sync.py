"""Sync throughput: 1,000 updates across 50 incidents drained to Jira and Slack.

The local fake services (the ones the tests use) add 20 ms to every answer and, in the first
run, refuse more than 20 requests per second per service with 429 + Retry-After. Each update is
one Jira comment and one Slack thread reply. Figures: the time, the ideal the limit (or, without
it, the latency and the worker's concurrency) allows, their ratio, and the 429s provoked.
Without the limit the ideal is given twice: from the 20 ms alone, and from what one update
really takes when it is the only request (the same comment or reply, the 20 ms included).

    .venv/bin/python benchmarks/bench_sync.py            # both runs
    .venv/bin/python benchmarks/bench_sync.py --quick    # 200 updates across 10 incidents
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import statistics
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
from oncall.store.remote_ids import RemoteIds, RemoteIncident  # noqa: E402
from oncall.sync.worker import SyncWorker  # noqa: E402
from oncall.workspace.loader import load_workspace  # noqa: E402

LATENCY = 0.020
LIMIT = 20  # requests per second per service


def serve_fakes(connection, limit: int | None) -> None:
    """In a child process, so the services' CPU does not compete with the sync for one GIL."""
    with FakeJira(latency=LATENCY, rate_limit=limit) as jira, \
            FakeSlack(latency=LATENCY, rate_limit=limit) as slack:
        connection.send({"jira": jira.url, "jira_email": jira.email, "jira_token": jira.token,
                         "slack": slack.api_url, "slack_token": slack.token})
        while (command := connection.recv()) != "stop":
            assert command == "stats"
            with jira.lock, slack.lock:
                connection.send({
                    "requests": {"jira": len(jira.exchanges), "slack": len(slack.exchanges)},
                    "refused": {"jira": jira.refused, "slack": slack.refused},
                    "comments": sum(len(i.comments) for i in jira.issues.values()),
                    "replies": sum(len(c.messages) - len(c.parents()) for c in slack.channels.values()),
                })


class Fakes:
    def __init__(self, limit: int | None) -> None:
        self.pipe, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=serve_fakes, args=(child, limit), daemon=True)

    def __enter__(self) -> dict:
        self.process.start()
        return self.pipe.recv()

    def stats(self) -> dict:
        self.pipe.send("stats")
        return self.pipe.recv()

    def __exit__(self, *exc) -> None:
        self.pipe.send("stop")
        self.process.join(timeout=10)


def run(incidents: int, updates: int, limited: bool, folder: Path, concurrency: int | None = None) -> dict:
    os.environ["ONCALL_DATA_DIR"] = str(folder / "data")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(name, None)
    limit = LIMIT if limited else None
    fakes = Fakes(limit)
    with fakes as where:
        root = folder / "workspace"
        copy_demo_config(root)
        config = root / "oncall.toml"
        config.write_text(config.read_text("utf-8") + (
            f'\n[jira]\nserver = "{where["jira"]}"\nproject = "DATA"\nemail = "{where["jira_email"]}"\npull = false\n'
            f'\n[slack]\nchannel = "C0INCIDENTS"\napi_url = "{where["slack"]}"\n'), "utf-8")
        if concurrency:
            text = config.read_text("utf-8").replace("pull = false\n", f"pull = false\nconcurrency = {concurrency}\n")
            config.write_text(text + f"concurrency = {concurrency}\n", "utf-8")
        os.environ["ONCALL_JIRA_TOKEN"], os.environ["ONCALL_SLACK_TOKEN"] = where["jira_token"], where["slack_token"]
        workspace = load_workspace(root, strict=True)
        database = workspace.open_database()
        service = IncidentService(database, workspace.config, SystemClock(), "bench")
        ids = [service.declare(Declaration(title=f"Bench incident {n}", severity=Severity.SEV2,
                                           asset="cac-dashboard")).id for n in range(incidents)]
        worker = SyncWorker.for_workspace(workspace)
        assert worker.drain().complete  # issues and parent messages exist before the clock starts
        round_trip = {} if limited else measure_round_trip(worker, RemoteIds(database).incident(ids[0]))
        for n in range(updates):
            service.add_note(ids[n % incidents], f"update {n}: still investigating")
        before = fakes.stats()
        if limited:
            time.sleep(1.0)  # let the setup's window of requests expire, so the drain starts fresh
        started = time.perf_counter()
        report = worker.drain()
        seconds = time.perf_counter() - started
        worker.close()
        database.close()
        assert report.complete, report.lines()
        after = fakes.stats()
        made = (after["comments"] - before["comments"], after["replies"] - before["replies"])
        assert made == (updates, updates), (made, after)
        requests = {k: after["requests"][k] - before["requests"][k] for k in ("jira", "slack")}
        refused = {k: after["refused"][k] - before["refused"][k] for k in ("jira", "slack")}
        accepted = {k: requests[k] - refused[k] for k in requests}
        concurrency = workspace.config.jira.concurrency
        result = {"run": "limited to 20 req/s" if limited else "no limit", "updates": updates,
                  "incidents": incidents, "seconds": round(seconds, 2), "requests": accepted, "429s": refused,
                  "concurrency": concurrency}
        if limited:
            ideal = max(n / LIMIT for n in accepted.values())
            result.update(ideal_seconds=round(ideal, 2), ratio=round(seconds / ideal, 3),
                          basis=f"{LIMIT} requests/s per service")
        else:
            ideal = max(math.ceil(n / concurrency) * LATENCY for n in accepted.values())
            # What one update really takes through the client library alone, the added 20 ms included.
            measured = max(math.ceil(accepted[k] / concurrency) * round_trip[k] for k in accepted)
            result.update(ideal_seconds=round(ideal, 2), ratio=round(seconds / ideal, 3),
                          basis=f"{LATENCY * 1000:.0f} ms per request, {concurrency} at a time per service",
                          round_trip_ms={k: round(v * 1000, 1) for k, v in round_trip.items()},
                          measured_ideal_seconds=round(measured, 2), measured_ratio=round(seconds / measured, 3))
        return result


def measure_round_trip(worker: SyncWorker, remote: RemoteIncident, calls: int = 30) -> dict[str, float]:
    """The median time one update takes through the client libraries when it is the only request:
    a Jira comment and a Slack thread reply like the drain's, sent one at a time (20 ms added)."""
    jira, slack = worker.adapters["jira"], worker.adapters["slack"]
    assert remote.jira_key and remote.slack_channel and remote.slack_ts
    metadata = {"event_type": "oncall_probe", "event_payload": {"event": "probe"}}
    probes = {
        "jira": lambda: jira.add_comment(remote.jira_key, "*Update* (bench): probe"),
        "slack": lambda: slack.post_reply(remote.slack_channel, remote.slack_ts, "*Update* (bench): probe", metadata,
                                          False),
    }
    found = {}
    for name, probe in probes.items():
        times = []
        for _ in range(calls):
            started = time.perf_counter()
            probe()
            times.append(time.perf_counter() - started)
        found[name] = statistics.median(times)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 updates across 10 incidents")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--concurrency", type=int, default=None, help="override [jira]/[slack] concurrency")
    parser.add_argument("--only", choices=("limited", "unlimited"), default=None)
    args = parser.parse_args()
    incidents, updates = (10, 200) if args.quick else (50, 1000)
    results = []
    for limited in (True, False):
        if args.only and args.only != ("limited" if limited else "unlimited"):
            continue
        with tempfile.TemporaryDirectory() as folder:
            results.append(run(incidents, updates, limited, Path(folder), args.concurrency))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"sync benchmark, {datetime.now(timezone.utc):%Y-%m-%d}: {updates} updates across {incidents} "
              f"incidents (one Jira comment + one Slack reply each), {LATENCY * 1000:.0f} ms added latency")
        for r in results:
            print(f"  {r['run']:<20} {r['seconds']:>6.2f} s  ideal {r['ideal_seconds']:>6.2f} s ({r['basis']})  "
                  f"ratio {r['ratio']:.2f}  429s: jira {r['429s']['jira']}, slack {r['429s']['slack']}  "
                  f"requests: jira {r['requests']['jira']}, slack {r['requests']['slack']}")
            if "measured_ratio" in r:
                trip = r["round_trip_ms"]
                print(f"  {'':<20} one update alone: jira {trip['jira']} ms, slack {trip['slack']} ms: "
                      f"ideal {r['measured_ideal_seconds']:.2f} s, ratio {r['measured_ratio']:.2f}")
    return 0 if all(r["ratio"] <= 1.2 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
