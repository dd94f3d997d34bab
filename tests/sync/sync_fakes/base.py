"""What both fake services share: an HTTP server on 127.0.0.1 in a thread, a log of every
exchange (checked against the vendors' OpenAPI descriptions), added latency, a per-second
request limit answered with 429 + Retry-After, and faults queued by tests."""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FAULTS = ("429", "503", "slow", "drop", "auth", "refuse")
SLEEP_OVERSHOOT = 0.0003  # seconds a short time.sleep may run late (measured ~0.2 ms here)


@dataclass
class Fault:
    """One planned failure. `match` picks requests by a substring of "METHOD /path"."""

    kind: str
    match: str = ""
    skip: int = 0  # let this many matching requests through first
    retry_after: int = 1
    delay: float = 1.0  # for "slow": how late the answer comes (after the work is done)
    error: str = ""  # for "refuse": the error the service answers with (Slack: an `error` code)


@dataclass
class Exchange:
    method: str
    path: str
    query: dict[str, Any]
    body: Any
    status: int
    response: Any
    headers: dict[str, str] = field(default_factory=dict)
    arrived: float = 0.0  # time.monotonic() when the request line was read
    answered: float = 0.0  # ... and when the answer left (0: none did)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]

    def param(self, name: str, default: Any = None) -> Any:
        if isinstance(self.body, dict) and name in self.body:
            return self.body[name]
        return self.query.get(name, default)


class Reply:
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}


class PooledHTTPServer(HTTPServer):
    """Each connection is served on a pooled thread: idle threads are reused, so a client that
    opens a connection per request (slack-sdk does) does not pay for a new thread each time.
    Closing the server ends the connections still open, so no thread outlives it."""

    def __init__(self, address, handler) -> None:
        super().__init__(address, handler)
        self.pool = ThreadPoolExecutor(max_workers=256, thread_name_prefix="fake-connection")
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request, client_address) -> None:
        with self.connections_lock:
            self.open_connections.add(request)
        self.pool.submit(self._serve_connection, request, client_address)

    def _serve_connection(self, request, client_address) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            with self.connections_lock:
                self.open_connections.discard(request)
            self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        with self.connections_lock:
            still_open = list(self.open_connections)
        for connection in still_open:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.pool.shutdown(wait=True, cancel_futures=True)


class FakeService:
    """Subclasses implement `handle(request) -> Reply` and `unauthorized() -> Reply`."""

    name = "service"

    def __init__(self, latency: float = 0.0, rate_limit: int | None = None) -> None:
        self.latency = latency
        self.rate_limit = rate_limit
        self.lock = threading.RLock()
        self.faults: deque[Fault] = deque()
        self.exchanges: list[Exchange] = []
        self.refused = 0  # 429s answered for the rate limit or a fault
        self.received = threading.Event()  # set as each request arrives; a test may clear and wait
        self._accepted: deque[float] = deque()
        self._stopping = threading.Event()
        self.server = PooledHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name=f"fake-{self.name}", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeService":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def fail(self, kind: str, *, times: int = 1, match: str = "", skip: int = 0, retry_after: int = 1,
             delay: float = 1.0, error: str = "") -> None:
        assert kind in FAULTS, kind
        assert kind != "refuse" or error, "a refusal names its error"
        with self.lock:
            self.faults.extend(Fault(kind, match, skip, retry_after, delay, error) for _ in range(times))

    def calls(self, method_path: str) -> list[Exchange]:
        """Exchanges whose "METHOD /path" contains `method_path`."""
        with self.lock:
            return [e for e in self.exchanges if method_path in f"{e.method} {e.path}"]

    # -- subclass hooks ------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:  # pragma: no cover - abstract
        raise NotImplementedError

    def authorized(self, request: Request) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def unauthorized(self) -> Reply:  # pragma: no cover - abstract
        raise NotImplementedError

    def unavailable(self) -> Reply:
        return Reply(503, {"errorMessages": ["Service unavailable"], "errors": {}})

    def rate_limited(self, retry_after: int) -> Reply:
        return Reply(429, {"errorMessages": ["Rate limit exceeded"], "errors": {}}, {"Retry-After": str(retry_after)})

    def refusal(self, error: str) -> Reply:  # pragma: no cover - each service says no its own way
        raise NotImplementedError

    # -- the machinery ---------------------------------------------------------------------

    def _take_fault(self, request: Request) -> Fault | None:
        key = f"{request.method} {request.path}"
        with self.lock:
            for fault in self.faults:
                if fault.match in key:
                    if fault.skip:
                        fault.skip -= 1
                        return None
                    self.faults.remove(fault)
                    return fault
        return None

    def _over_limit(self) -> int | None:
        """Seconds to wait if this request would exceed `rate_limit` in the last second."""
        if self.rate_limit is None:
            return None
        with self.lock:
            now = time.monotonic()
            while self._accepted and self._accepted[0] <= now - 1.0:
                self._accepted.popleft()
            if len(self._accepted) >= self.rate_limit:
                return max(1, math.ceil(self._accepted[0] + 1.0 - now))
            self._accepted.append(now)
            return None

    def _wait_out_latency(self, arrived: float) -> None:
        """No answer leaves sooner than `latency` seconds after its request line arrived, nor
        much later: a sleep here overshoots by ~0.2 ms, so the last moments are waited out by
        yielding (which lets the other connections' threads run meanwhile)."""
        if not self.latency:
            return
        deadline = arrived + self.latency
        early = deadline - time.monotonic() - SLEEP_OVERSHOOT
        if early > 0:
            time.sleep(early)
        while time.monotonic() < deadline:
            time.sleep(0)

    def _decide(self, request: Request) -> tuple[Reply | None, Fault | None]:
        self.received.set()
        fault = self._take_fault(request)
        if fault and fault.kind == "429":
            return self.rate_limited(fault.retry_after), fault
        if fault and fault.kind == "503":
            return self.unavailable(), fault
        if fault and fault.kind == "auth":
            return self.unauthorized(), fault
        if fault and fault.kind == "refuse":
            return self.refusal(fault.error), fault
        wait = self._over_limit()
        if wait is not None:
            return self.rate_limited(wait), None
        if not self.authorized(request):
            return self.unauthorized(), None
        with self.lock:
            reply = self.handle(request)
        if fault and fault.kind == "slow":
            self._stopping.wait(fault.delay)  # the work is done; the answer comes too late
        if fault and fault.kind == "drop":
            return None, fault
        return reply, fault

    def _handler_class(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                # Headers and body go out as two writes; without this, Nagle's algorithm and the
                # client's delayed ACK add ~40 ms to every answer, which no real service does.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def parse_request(self) -> bool:
                # Called as soon as the request line is read: the added latency counts from here,
                # so reading and answering the request fall inside it, as on a real service.
                self.arrived = time.monotonic()
                return super().parse_request()

            def _any(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body: Any = None
                ctype = self.headers.get("Content-Type", "")
                if raw and "json" in ctype:
                    body = json.loads(raw)
                elif raw:
                    body = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
                query = {k: ",".join(v) for k, v in parse_qs(parts.query).items()}  # fields=a&fields=b
                request = Request(self.command, parts.path, query, body, dict(self.headers))
                reply, _fault = service._decide(request)
                if reply is None:
                    service._wait_out_latency(self.arrived)
                    # Received and done, but no answer: the connection just ends.
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    self.close_connection = True
                    with service.lock:
                        service.exchanges.append(
                            Exchange(self.command, parts.path, query, body, 0, None, arrived=self.arrived))
                    return
                if reply.status == 429:
                    with service.lock:
                        service.refused += 1
                payload = b"" if reply.body is None else json.dumps(reply.body).encode()
                exchange = Exchange(self.command, parts.path, query, body, reply.status, reply.body, reply.headers,
                                    arrived=self.arrived)
                with service.lock:  # logged before answering, so a test that got the answer sees it
                    service.exchanges.append(exchange)
                # The whole answer is ready before the latency is waited out, then sent in one write.
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.body is not None:
                    self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                self._headers_buffer.append(b"\r\n")
                answer = b"".join(self._headers_buffer) + payload
                self._headers_buffer = []
                service._wait_out_latency(self.arrived)
                exchange.answered = time.monotonic()
                try:
                    self.wfile.write(answer)
                except OSError:  # the client gave up waiting (the "slow" fault)
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = _any

        return Handler
