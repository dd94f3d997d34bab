"""`oncall serve`: the real uvicorn on 127.0.0.1 (a port the OS picks), posted to with httpx.

First with a recording absorb, for what the HTTP side decides (tokens, limits, status codes);
then through the real intake service on a real SQLite workspace: a storm of repeats is one
item per key, and a resolved alert is recorded on its item. Last, `oncall serve` itself in a
process of its own, stopped with Ctrl-C (SIGINT)."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import uvicorn

from oncall.domain.incident import EventKind
from oncall.intake.server import make_app
from oncall.service.intake import Absorbed, IntakeService
from oncall.store.db import DatabaseBusy

FIXTURES = Path(__file__).parents[1] / "fixtures" / "alerts"
TOKEN = "test-token-1f0c9a7e5b3d"
DEADLINE = 20.0  # seconds; every wait below polls a condition up to this


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@contextmanager
def running(app) -> Iterator[str]:
    """The app under the real uvicorn in a thread, on 127.0.0.1 and a free port; its base URL."""
    # IPPROTO_TCP, as `oncall serve` does: asyncio sets TCP_NODELAY only then (else ~40 ms an answer).
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", access_log=False, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started or not thread.is_alive())
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(DEADLINE)
        listener.close()


def wait_for(condition, deadline: float = DEADLINE) -> None:
    ends = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < ends, "condition not met in time"
        time.sleep(0.005)


def client(base: str, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=base, headers=headers, trust_env=False, timeout=DEADLINE)


class Recorder:
    """An absorb that keeps what it was given, and says the first signal opened INC-1."""

    def __init__(self) -> None:
        self.calls: list[list] = []
        self.busy = threading.Lock()
        self.overlapped = False
        self.gate: threading.Event | None = None

    def __call__(self, signals: list) -> Absorbed:
        if not self.busy.acquire(blocking=False):
            self.overlapped = True
            self.busy.acquire()
        try:
            if self.gate is not None:
                assert self.gate.wait(DEADLINE)
            self.calls.append(list(signals))
            return Absorbed(opened=(1,) if signals else (), unchanged=max(0, len(signals) - 1))
        finally:
            self.busy.release()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


# -- what the HTTP side decides -----------------------------------------------------------------


def test_a_payload_is_absorbed_and_counted(recorder: Recorder) -> None:
    with running(make_app(recorder, token=None)) as base, client(base) as http:
        answer = http.post("/alerts", content=fixture("grafana_firing.json"),
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 200
    assert answer.json() == {"opened": 1, "updated": 0, "recovered": 0, "unchanged": 1, "signals": 2}
    assert [s.key for s in recorder.calls[0]] == ["c6eadffa33fcdf37", "bc97ff14869b13e3"]


def test_a_notification_without_alerts_records_nothing(recorder: Recorder) -> None:
    empty = {**json.loads(fixture("alertmanager_firing.json")), "alerts": []}
    with running(make_app(recorder, token=None)) as base, client(base) as http:
        answer = http.post("/alerts", json=empty)
    assert answer.json() == {"opened": 0, "updated": 0, "recovered": 0, "unchanged": 0, "signals": 0}
    assert recorder.calls == []


def test_health_answers_without_a_token(recorder: Recorder) -> None:
    with running(make_app(recorder, token=TOKEN)) as base, client(base) as http:
        assert http.get("/health").json() == {"status": "ok"}
        assert http.head("/health").status_code == 200
        assert http.post("/health").status_code == 405


def test_a_token_is_required_when_one_is_set(recorder: Recorder) -> None:
    body = fixture("alertmanager_firing.json")
    with running(make_app(recorder, token=TOKEN)) as base:
        with client(base) as http:
            missing = http.post("/alerts", content=body)
            wrong = http.post("/alerts", content=body, headers={"Authorization": f"Bearer {TOKEN}x"})
            basic = http.post("/alerts", content=body, headers={"Authorization": f"Basic {TOKEN}"})
            short = http.post("/alerts", content=body, headers={"Authorization": "Bearer"})
        with client(base, TOKEN) as http:
            right = http.post("/alerts", content=body)
    for refused in (missing, wrong, basic, short):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert TOKEN not in refused.text
    assert right.status_code == 200
    assert len(recorder.calls) == 1  # only the request with the token got through


def test_a_body_over_the_limit_is_refused_unread(recorder: Recorder) -> None:
    payload = json.loads(fixture("alertmanager_firing.json"))
    payload["alerts"] = payload["alerts"] * 40  # ~30 KB
    body = json.dumps(payload).encode()
    with running(make_app(recorder, token=None, max_body=4096)) as base:
        with client(base) as http:
            declared = http.post("/alerts", content=body)
            chunked = http.post("/alerts", content=iter([body[i:i + 1000] for i in range(0, len(body), 1000)]))
            fits = http.post("/alerts", content=fixture("alertmanager_firing.json"))
        port = int(base.rsplit(":", 1)[1])
        # A client that declares a terabyte and sends nothing: the answer comes at once, unread.
        huge = raw_exchange(port, b"POST /alerts HTTP/1.1\r\nHost: oncall\r\nContent-Type: application/json\r\n"
                                  b"Content-Length: 1000000000000\r\n\r\n")
        # A chunked body that never ends: reading stops at the limit and the answer comes.
        endless = raw_exchange(port, b"POST /alerts HTTP/1.1\r\nHost: oncall\r\nTransfer-Encoding: chunked\r\n\r\n"
                               + (b"400\r\n" + b"x" * 1024 + b"\r\n") * 6)
    assert declared.status_code == 413 and "4096" in declared.json()["error"]
    assert chunked.status_code == 413
    assert huge.startswith(b"HTTP/1.1 413")
    assert endless.startswith(b"HTTP/1.1 413")
    assert fits.status_code == 200
    assert len(recorder.calls) == 1


def raw_exchange(port: int, request: bytes) -> bytes:
    """Send `request` as is and read the answer's head (the connection stays open on our side)."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as connection:
        connection.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
        return answer


@pytest.mark.parametrize(("body", "said"), [
    (b"{not json", "not JSON"),
    (b"", "empty"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"42", "expected a JSON object"),
    (b'{"version": "4", "alerts": {"a": 1}}', "alerts: expected a list"),
    (b'{"version": "4", "alerts": [{"status": "firing", "labels": []}]}', "alerts[0].labels: expected an object"),
    (b'{"version": "4", "alerts": [{"status": "firing", "labels": {}}, {"status": "gone", "labels": {}}]}',
     "alerts[1].status"),
    (b'{"version": "4", "alerts": [{"status": "firing", "labels": {}, "startsAt": "yesterday"}]}',
     "alerts[0].startsAt"),
    (b'{"version": "3", "alerts": []}', "version"),
    (b'{"asset": "stg-ad-spend"}', "title"),
    (b'[{"title": "a"}, {"title": "b", "severity": "SEV-9"}]', "[1].severity"),
])
def test_a_malformed_payload_gets_400_naming_the_problem_and_absorbs_nothing(recorder: Recorder, body: bytes,
                                                                             said: str) -> None:
    with running(make_app(recorder, token=None)) as base, client(base) as http:
        answer = http.post("/alerts", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert said in answer.json()["error"]
    assert "\n" not in answer.json()["error"] and "Traceback" not in answer.text
    assert recorder.calls == []


def test_methods_paths_and_content_types(recorder: Recorder) -> None:
    body = fixture("alertmanager_firing.json")
    with running(make_app(recorder, token=None)) as base, client(base) as http:
        get = http.get("/alerts")
        delete = http.delete("/alerts")
        put = http.put("/alerts", content=body)  # Grafana's contact point can be set to PUT
        elsewhere = http.post("/webhook", content=body)
        text = http.post("/alerts", content=body, headers={"Content-Type": "text/plain"})
        charset = http.post("/alerts/", content=body, headers={"Content-Type": "application/json; charset=utf-8"})
    assert get.status_code == 405 and "POST" in get.headers["allow"]
    assert delete.status_code == 405
    assert put.status_code == 200
    assert elsewhere.status_code == 404
    assert text.status_code == 415
    assert charset.status_code == 200
    assert len(recorder.calls) == 2


def test_the_format_endpoints_take_only_their_format(recorder: Recorder) -> None:
    with running(make_app(recorder, token=None)) as base, client(base) as http:
        wrong = http.post("/alerts/alertmanager", content=fixture("grafana_firing.json"))
        right = http.post("/alerts/grafana", content=fixture("grafana_firing.json"))
        alertmanager = http.post("/alerts/alertmanager", content=fixture("alertmanager_firing.json"))
    assert wrong.status_code == 400 and "expected an Alertmanager webhook" in wrong.json()["error"]
    assert right.status_code == 200 and alertmanager.status_code == 200


def test_a_failure_is_one_line_to_the_client_and_the_details_go_to_the_log(caplog: pytest.LogCaptureFixture) -> None:
    def broken(signals):
        raise RuntimeError("disk on fire at /secret/path")

    def busy(signals):
        raise DatabaseBusy(None)

    with running(make_app(broken, token=None)) as base, client(base) as http:
        failed = http.post("/alerts", content=fixture("alertmanager_firing.json"))
    with running(make_app(busy, token=None)) as base, client(base) as http:
        refused = http.post("/alerts", content=fixture("alertmanager_firing.json"))
    assert failed.status_code == 500
    assert "/secret/path" not in failed.text and "Traceback" not in failed.text
    assert failed.json()["error"].startswith("nothing was recorded")
    assert any("disk on fire" in (record.exc_text or "") or record.exc_info for record in caplog.records)
    assert refused.status_code == 503 and "busy" in refused.json()["error"]


def test_requests_are_recorded_one_at_a_time_and_queued_ones_together(recorder: Recorder) -> None:
    recorder.gate = threading.Event()
    app = make_app(recorder, token=None)
    body = fixture("alertmanager_firing.json")
    with running(app) as base, client(base) as http, ThreadPoolExecutor(8) as pool:
        answers = [pool.submit(http.post, "/alerts", content=body)]
        wait_for(recorder.busy.locked)  # the first is being recorded, and held there
        answers += [pool.submit(http.post, "/alerts", content=body) for _ in range(7)]
        wait_for(lambda: len(app.recorder.pending) == 7)  # the other seven queue behind it
        recorder.gate.set()
        statuses = [answer.result().status_code for answer in answers]
    assert statuses == [200] * 8
    assert len(recorder.calls) == 8 and not recorder.overlapped
    assert app.recorder.trips == 2  # the held one, then the seven queued behind it in one trip


# -- through the real intake service, on a real SQLite workspace --------------------------------


@pytest.fixture
def intake(database, workspace, clock) -> IntakeService:
    return IntakeService(database, workspace.config, clock)


def storm(keys: int, repeats: int) -> list[bytes]:
    """Alertmanager posts: `repeats` firing notifications of each of `keys` alerts, shuffled into
    requests of 1 to 5 alerts."""
    template = json.loads(fixture("alertmanager_firing.json"))
    alerts = []
    for repeat in range(repeats):
        for key in range(keys):
            alert = json.loads(json.dumps(template["alerts"][0]))
            alert["fingerprint"] = f"{key:016x}"
            alert["labels"]["instance"] = f"https://server-{key}.example.org"
            alert["annotations"]["summary"] = f"probe failing on server {key}"
            alerts.append(alert)
    random.Random(15).shuffle(alerts)
    bodies, at = [], 0
    rng = random.Random(7)
    while at < len(alerts):
        size = rng.randint(1, 5)
        bodies.append(json.dumps({**template, "alerts": alerts[at:at + size]}).encode())
        at += size
    return bodies


def test_a_storm_of_repeats_becomes_one_item_per_key(intake: IntakeService, database) -> None:
    bodies = storm(keys=12, repeats=25)
    app = make_app(intake.absorb, token=TOKEN, transaction=database.write)
    with running(app) as base, client(base, TOKEN) as http, ThreadPoolExecutor(8) as pool:
        answers = [answer.json() for answer in pool.map(lambda b: http.post("/alerts", content=b), bodies)]
    assert sum(a["signals"] for a in answers) == 300
    assert sum(a["opened"] for a in answers) == 12  # each request's own answer, though many shared a commit
    titles = [row[0] for row in database.conn.execute("SELECT title FROM incidents ORDER BY id")]
    assert len(titles) == 12 and len(set(titles)) == 12
    assert all(title.startswith("ProbeFailure: probe failing on server") for title in titles)
    assert app.recorder.trips < len(bodies)  # queued requests were recorded together


def test_resolved_is_recorded_on_the_item_and_a_bad_payload_changes_nothing(intake: IntakeService, database) -> None:
    resolved = json.loads(fixture("alertmanager_resolved.json"))
    broken = {**resolved["alerts"][0], "status": "gone"}  # the first alert is fine; the second is not
    app = make_app(intake.absorb, token=None, transaction=database.write)
    with running(app) as base, client(base) as http:
        opened = http.post("/alerts", content=fixture("alertmanager_firing.json")).json()
        repeated = http.post("/alerts", content=fixture("alertmanager_firing.json")).json()
        before = database.conn.execute("SELECT count(*) FROM timeline").fetchone()[0]
        bad = http.post("/alerts", content=json.dumps({**resolved, "alerts": [*resolved["alerts"], broken]}))
        after = database.conn.execute("SELECT count(*) FROM timeline").fetchone()[0]
        recovered = http.post("/alerts", content=fixture("alertmanager_resolved.json")).json()
    assert opened["opened"] == 1 and repeated["updated"] == 1
    assert bad.status_code == 400 and "alerts[1].status" in bad.json()["error"]
    assert before == after
    assert recovered["recovered"] == 1
    (number,) = [row[0] for row in database.conn.execute("SELECT id FROM incidents")]
    events = intake.incident_service.events(number)
    assert any(e.kind is EventKind.INTAKE and "recovered" in e.text for e in events)
    assert intake.incident_service.get(number).status.value == "triage"  # a person resolves incidents


# -- `oncall serve` itself ----------------------------------------------------------------------


def test_oncall_serve_takes_alerts_and_stops_cleanly_on_ctrl_c(workspace, isolated_environment: Path) -> None:
    environment = {**os.environ, "ONCALL_SERVE_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "oncall", "serve", "--workspace", str(workspace.root),
                                "--host", "127.0.0.1", "--port", "0"], env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stderr.readline()
        assert "http://127.0.0.1:" in first, first
        base = "http://127.0.0.1:" + first.split("http://127.0.0.1:")[1].split("/")[0]
        with client(base, TOKEN) as http:
            wait_for(lambda: _answers(http))
            taken = http.post("/alerts", content=fixture("alertmanager_firing.json"))
        with client(base, "not-the-token") as http:
            refused = http.post("/alerts", content=fixture("alertmanager_firing.json"))
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=DEADLINE)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert taken.status_code == 200 and taken.json()["opened"] == 1
    assert refused.status_code == 401
    assert process.returncode in (0, 130)
    assert "Traceback" not in err
    assert TOKEN not in out + first + err  # the secret is never printed


def _answers(http: httpx.Client) -> bool:
    try:
        return http.get("/health").status_code == 200
    except httpx.TransportError:
        return False
