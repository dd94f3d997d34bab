"""Alert intake speed (issue 15): 10,000 Alertmanager alerts on 50 keys posted to `oncall serve`.

The real `oncall serve` (uvicorn, a bearer token) runs in a process of its own on 127.0.0.1, on a
fresh workspace (the demo's config, a new SQLite file). Alertmanager webhook payloads (version 4)
are posted by several senders at once, twice: in webhook batches (a notification carrying a group of
alerts, as Alertmanager sends them) and one alert per request. The figure is the time from the first
post until the last is answered (an answer means recorded), and each run must leave 50 items.
Bar: under 10 s each. Exits 1 when a bar is missed or the items are not 50.

    .venv/bin/python benchmarks/bench_alerts.py                 # both runs
    .venv/bin/python benchmarks/bench_alerts.py --batch 100 --senders 8 --alerts 2000
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from oncall.demo.install import copy_demo_config
from oncall.workspace.paths import glance

BAR_SECONDS = 10.0
TOKEN = "bench-token-6b1f2e9d0c4a7e35"


def alerts(count: int, keys: int) -> list[dict]:
    """`count` firing alerts cycling over `keys` alert label sets, as Alertmanager writes them."""
    made = []
    for n in range(count):
        key = n % keys
        made.append({
            "status": "firing",
            "labels": {"alertname": "FreshnessLag", "dataset": "stg_ad_spend", "severity": "critical",
                       "table": f"partition_{key:02d}", "job": "freshness"},
            "annotations": {"summary": f"partition {key:02d} is more than 2h behind",
                            "description": "No rows loaded since the last scheduled run."},
            "startsAt": "2026-11-27T08:00:00.123456789Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": f"http://prometheus.example.org:9090/graph?g0.expr=lag_seconds%7Bp%3D%22{key}%22%7D",
            "fingerprint": f"{0xA1E27000 + key:016x}",
        })
    return made


def payloads(items: list[dict], batch: int) -> list[bytes]:
    bodies = []
    for start in range(0, len(items), batch):
        group = items[start:start + batch]
        bodies.append(json.dumps({
            "receiver": "oncall", "status": "firing", "alerts": group,
            "groupLabels": {"alertname": "FreshnessLag"},
            "commonLabels": {"alertname": "FreshnessLag", "severity": "critical"},
            "commonAnnotations": {}, "externalURL": "http://alertmanager.example.org:9093",
            "version": "4", "groupKey": "{}:{alertname=\"FreshnessLag\"}", "truncatedAlerts": 0,
        }).encode())
    return bodies


def start_server(workspace: Path, env: dict) -> tuple[subprocess.Popen, int]:
    """`oncall serve` on a port the OS picks (read from its first line); the process and the port."""
    process = subprocess.Popen([sys.executable, "-m", "oncall", "serve", "--workspace", str(workspace),
                                "--port", "0"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = process.stderr.readline()
    if "http://127.0.0.1:" not in line:
        process.kill()
        raise SystemExit(f"oncall serve did not start: {line}{process.stderr.read()}")
    port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
    threading.Thread(target=process.stderr.read, daemon=True).start()  # a full pipe would stall the server
    ends = time.monotonic() + 30
    while True:
        try:
            if Sender(port).post(b"", path="/health", method="GET") == 200:
                return process, port
        except OSError:
            if time.monotonic() > ends:
                raise
            time.sleep(0.01)


class Sender:
    """One sender's keep-alive connection, as Alertmanager keeps one. The standard library's client:
    on a machine of few cores the senders share the CPU with the server, and a heavier client's
    own work (httpx took twice the wall time here) would be timed instead of oncall's."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.answers: list[dict] = []

    def post(self, body: bytes, path: str = "/alerts", method: str = "POST") -> int:
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        try:
            self.connection.request(method, path, body, headers)
            answer = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError):  # the server closed an idle connection
            self.connection.close()
            self.connection.request(method, path, body, headers)
            answer = self.connection.getresponse()
        data = answer.read()
        if path == "/alerts":
            if answer.status != 200:
                raise SystemExit(f"oncall serve answered {answer.status}: {data[:300]!r}")
            self.answers.append(json.loads(data))
        return answer.status


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far (Linux), or nan where /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(name: str, bodies: list[bytes], senders: int, scratch: Path, env: dict) -> dict:
    """Post `bodies` from `senders` at once to a fresh `oncall serve`: the seconds until the last
    answer, the server's CPU seconds, the items made and the alerts taken."""
    workspace = scratch / name
    copy_demo_config(workspace)
    process, port = start_server(workspace, env)
    try:
        pool = [Sender(port) for _ in range(senders)]
        shares = [bodies[n::senders] for n in range(senders)]
        threads = [threading.Thread(target=lambda s=sender, b=share: [s.post(body) for body in b])
                   for sender, share in zip(pool, shares)]
        busy_before = cpu_seconds(process.pid)
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        busy = cpu_seconds(process.pid) - busy_before
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    with sqlite3.connect(glance(workspace).database_path) as db:
        items = db.execute("SELECT count(*) FROM incidents").fetchone()[0]
    taken = sum(answer["signals"] for sender in pool for answer in sender.answers)
    return {"seconds": seconds, "server_cpu": busy, "items": items, "taken": taken}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=50)
    parser.add_argument("--batch", type=int, default=25, help="alerts per webhook in the batched run (default 25)")
    parser.add_argument("--senders", type=int, default=8, help="requests in flight at once (default 8)")
    args = parser.parse_args()
    items = alerts(args.alerts, args.keys)
    ok = True
    with tempfile.TemporaryDirectory(prefix="oncall-bench-alerts-") as scratch:
        env = {**os.environ, "ONCALL_DATA_DIR": str(Path(scratch) / "data"), "ONCALL_USER": "bench",
               "ONCALL_SERVE_TOKEN": TOKEN}
        env.pop("ONCALL_WORKSPACE", None)
        os.environ.update(ONCALL_DATA_DIR=env["ONCALL_DATA_DIR"])  # where this process finds the databases too
        print(f"{args.alerts:,} Alertmanager alerts on {args.keys} keys, {args.senders} senders at once, "
              f"{os.cpu_count()} CPUs; bar {BAR_SECONDS:.0f} s")
        for name, batch in ((f"batched ({args.batch} alerts per webhook)", args.batch), ("one alert per request", 1)):
            bodies = payloads(items, batch)
            result = run(name.split()[0] + str(batch), bodies, args.senders, Path(scratch), env)
            seconds, made, taken = result["seconds"], result["items"], result["taken"]
            good = seconds < BAR_SECONDS and made == args.keys and taken == args.alerts
            ok = ok and good
            print(f"  {name}: {len(bodies):,} requests, {taken:,} alerts absorbed in {seconds:.2f} s "
                  f"({len(bodies) / seconds:,.0f} requests/s; the server busy {result['server_cpu']:.1f} CPU-s) "
                  f"-> {made} items{'' if good else '  MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
