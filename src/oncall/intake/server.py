"""`oncall serve`'s HTTP side: a plain ASGI app that receives alert webhooks and hands their
signals to the intake service. uvicorn speaks HTTP; this module decides what each request gets.

    POST /alerts               any of the three formats (`intake/alerts.py`); PUT too (Grafana can)
    POST /alerts/alertmanager  only Alertmanager's webhook;  POST /alerts/grafana  only Grafana's
    GET  /health               200, no token needed

401 without the right bearer token (when one is set), 413 past the body limit (reading stops
there), 415 for a body that is not declared JSON, 400 for a payload that cannot be read (the
message names the JSON path; nothing is recorded), 405 for another method, 404 elsewhere,
503 when the database stays busy, 500 with one line for anything else (the details are logged).
200 answers `{"opened": n, "updated": n, "recovered": n, "unchanged": n, "signals": n}`.

SQLite work is synchronous, so it runs on a worker thread, one call at a time: requests that
arrive while one is being recorded queue up and are recorded together on the next trip, in one
write transaction when `transaction` is given (each request still gets its own answer).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from oncall.intake.alerts import PayloadError, parse_alert

if TYPE_CHECKING:
    from oncall.domain.intake import Signal
    from oncall.service.intake import Absorbed

Absorb = Callable[[list["Signal"]], "Absorbed"]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]
App = Callable[[dict, Receive, Send], Awaitable[None]]

MAX_BODY = 1_048_576  # bytes: Alertmanager's largest groups are a few hundred KB
ROUTES = {"/alerts": None, "/alerts/alertmanager": "alertmanager", "/alerts/grafana": "grafana"}
ALERT_METHODS = ("POST", "PUT")  # Grafana's webhook contact point may be set to PUT
HEALTH_METHODS = ("GET", "HEAD")
NOTHING = ("opened", "updated", "recovered", "unchanged")  # the counts of a payload without alerts

log = logging.getLogger("oncall.serve")


def make_app(absorb: Absorb, *, token: str | None, max_body: int = MAX_BODY,
             transaction: Callable[[], AbstractContextManager[Any]] | None = None) -> App:
    """The ASGI app. `absorb` records signals (`IntakeService.absorb`); `token`, when set, must come
    as `Authorization: Bearer <token>`; `transaction` (`Database.write`), when given, is a write
    transaction that `absorb`'s own joins, so requests queued together share one commit."""
    expected = token.encode("utf-8") if token else None
    recorder = _Recorder(absorb, transaction)

    async def app(scope: dict, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # websockets: nothing here speaks them
            return
        path = scope["path"].rstrip("/") or "/"
        method = scope["method"]
        if path == "/health":
            if method not in HEALTH_METHODS:
                await _answer(send, 405, {"error": f"use {' or '.join(HEALTH_METHODS)}"}, allow=HEALTH_METHODS,
                              close=True)
                return
            await _answer(send, 200, {"status": "ok"}, head=method == "HEAD")
            return
        if path not in ROUTES:
            await _answer(send, 404, {"error": f"no such endpoint {path[:80]}: post alerts to /alerts"}, close=True)
            return
        if method not in ALERT_METHODS:
            await _answer(send, 405, {"error": "use POST (or PUT)"}, allow=ALERT_METHODS, close=True)
            return
        headers = _headers(scope)
        if expected is not None and not _authorized(headers.get(b"authorization", b""), expected):
            await _answer(send, 401, {"error": "a bearer token is required: send Authorization: Bearer <token>"},
                          close=True, extra=((b"www-authenticate", b'Bearer realm="oncall"'),))
            return
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if media and media != b"application/json" and not media.endswith(b"+json"):
            await _answer(send, 415, {"error": f"expected Content-Type: application/json, got "
                                               f"{media.decode('latin-1')[:60]}"}, close=True)
            return
        body = await _read_body(receive, headers, max_body)
        if body is None:
            await _answer(send, 413, {"error": f"the body is larger than the limit of {max_body} bytes"}, close=True)
            return
        if body is _DISCONNECTED:
            return
        try:
            signals = parse_alert(body, expect=ROUTES[path])
            counts = (await recorder.record(signals)).as_dict() if signals else dict.fromkeys(NOTHING, 0)
        except PayloadError as error:
            await _answer(send, 400, {"error": str(error)})
            return
        except Exception as error:  # noqa: BLE001 - one line to the client, the details to the log
            status, message = _failure(error)
            await _answer(send, status, {"error": message})
            return
        await _answer(send, 200, {**counts, "signals": len(signals)})

    app.recorder = recorder  # type: ignore[attr-defined]  # for tests: how many trips, how many batched
    return app


# -- recording: one thread, one call at a time, queued requests together ----------------------


@dataclass
class _Job:
    signals: list[Signal]
    done: asyncio.Future


@dataclass
class _Recorder:
    absorb: Absorb
    transaction: Callable[[], AbstractContextManager[Any]] | None
    pending: list[_Job] = field(default_factory=list)
    draining: asyncio.Task | None = None
    trips: int = 0  # worker-thread trips taken; fewer than requests when they were batched

    async def record(self, signals: list[Signal]) -> Absorbed:
        job = _Job(signals, asyncio.get_running_loop().create_future())
        self.pending.append(job)
        if self.draining is None:
            self.draining = asyncio.create_task(self._drain())
        # uvicorn does not cancel a request whose client went away; if anything did, the job
        # would still be recorded with its batch (`_settle` skips a cancelled future).
        return await job.done

    async def _drain(self) -> None:
        batch: list[_Job] = []
        try:
            while self.pending:
                batch, self.pending = self.pending, []
                self.trips += 1
                outcomes = await asyncio.to_thread(self._run, batch)
                for job, outcome in zip(batch, outcomes):
                    _settle(job, outcome)
        except BaseException:  # stopped mid-way (the loop is closing): no request waits forever
            stopped = RuntimeError("the server stopped before these alerts were recorded")
            for job in (*batch, *self.pending):
                _settle(job, stopped)
            self.pending = []
            raise
        finally:
            self.draining = None

    def _run(self, batch: Sequence[_Job]) -> list[Absorbed | Exception]:
        if self.transaction is not None and len(batch) > 1:
            try:
                with self.transaction():
                    return [self.absorb(job.signals) for job in batch]
            except Exception:  # noqa: BLE001 - one of them failed: all rolled back, so each alone
                pass
        return [self._one(job.signals) for job in batch]

    def _one(self, signals: list[Signal]) -> Absorbed | Exception:
        try:
            return self.absorb(signals)
        except Exception as error:  # noqa: BLE001 - handed to the request that sent them
            return error


def _settle(job: _Job, outcome: Any) -> None:
    if job.done.done():
        return
    if isinstance(outcome, BaseException):
        job.done.set_exception(outcome)
    else:
        job.done.set_result(outcome)


def _failure(error: Exception) -> tuple[int, str]:
    from oncall.store.db import DatabaseBusy
    from oncall.store.problems import DatabaseProblem

    if isinstance(error, DatabaseBusy):
        return 503, "the database is busy (another oncall process is writing): nothing was recorded, try again"
    if isinstance(error, DatabaseProblem):  # damaged, full or read-only: already said in plain words
        log.error("alerts not recorded: %s", error)
        return 500, f"nothing was recorded: {str(error).splitlines()[0][:300]}"
    log.error("alerts not recorded", exc_info=error)
    return 500, f"nothing was recorded: oncall failed unexpectedly ({type(error).__name__}); the details are in its log"


# -- HTTP plumbing ------------------------------------------------------------------------------


class _Disconnected:
    pass


_DISCONNECTED: Any = _Disconnected()


def _headers(scope: dict) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope["headers"]}


def _authorized(header: bytes, expected: bytes) -> bool:
    scheme, _, given = header.partition(b" ")
    # compare_digest takes as long whatever the bytes, so the token cannot be guessed by timing.
    return hmac.compare_digest(given.strip(), expected) and scheme.lower() == b"bearer"


async def _read_body(receive: Receive, headers: dict[bytes, bytes], limit: int) -> bytes | None | Any:
    """The body, None past `limit` (read no further), or _DISCONNECTED if the client went away."""
    declared = headers.get(b"content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return _DISCONNECTED
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(send: Send, status: int, document: dict, *, allow: Sequence[str] = (), close: bool = False,
                  head: bool = False, extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps(document, ensure_ascii=False).encode("utf-8") + b"\n"
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
    if allow:
        headers.append((b"allow", ", ".join(allow).encode()))
    if close:  # the request body may be unread: do not keep the connection for another request
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
