"""`oncall alert` (one payload, from an argument, a file or stdin, or the generic alert's flags)
and `oncall serve` (the same over HTTP, for Alertmanager and Grafana to post to)."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from oncall.cli import context
from oncall.cli.arguments import DASHED_TEXT, take_dashed_values
from oncall.cli.context import EXIT_REFUSED, CommandError, print_json, resolve_workspace

if TYPE_CHECKING:  # socket and the rest load when `serve` runs: every other command starts faster
    import socket

    from oncall.service.intake import Absorbed, IntakeService

TOKEN_ENV = "ONCALL_SERVE_TOKEN"
DEFAULT_PORT = 8787
DEFAULT_MAX_BODY = 1_048_576  # bytes; `intake/server.py` MAX_BODY (not imported: asyncio is slow to load)
STDIN_MAX = 64 * 1_048_576  # a payload piped in is read up to this, and refused past it

# The generic alert's flags, and the field of the JSON alert each one fills.
FLAG_FIELDS = {"key": "--key", "title": "--title", "asset": "--asset", "severity": "--severity",
               "started_at": "--started-at", "source": "--source", "link": "--link", "details": "--details",
               "status": "--resolved"}


# ctrl+c waits this long for requests in flight (a sender that stalls mid-body is not waited for)
GRACEFUL_SECONDS = 3

def register(commands: argparse._SubParsersAction) -> None:
    alert = commands.add_parser(
        "alert", help="take an alert: generic JSON, or an Alertmanager or Grafana webhook payload",
        description="Take one alert payload and open or update triage items (one per alert key). The payload is JSON "
                    "text, a file, or - for stdin: a generic alert (or a list of them), an Alertmanager webhook "
                    "payload (version 4) or a Grafana alerting webhook payload. Or describe a generic alert with the "
                    "flags instead.")
    alert.add_argument("payload", nargs="?", metavar="JSON | FILE | -",
                       help="the payload: JSON text, a file holding it, or - to read stdin")
    alert.add_argument("--key", help="what makes repeats one item (default: ASSET/TITLE)")
    alert.add_argument("--title", help="what is wrong, in one line")
    alert.add_argument("--asset", help="the asset affected, as oncall.toml names it (else the IC chooses)")
    alert.add_argument("--severity", help="SEV-1, SEV-2, SEV-3, or critical / high / warning (default SEV-3)")
    alert.add_argument("--resolved", action="store_true", help="the alert resolved (default: it is firing)")
    alert.add_argument("--started-at", dest="started_at",
                       help="when the problem began: ISO 8601, HH:MM, or -45m / -2h / -1d")
    alert.add_argument("--source", help="the system that raised it (airflow, great_expectations, ...)")
    alert.add_argument("--link", help="where to look")
    alert.add_argument("--details", help="more about it, for the item's timeline")
    alert.add_argument("--json", action="store_true")
    alert.set_defaults(handler=cmd_alert)
    take_dashed_values(alert, DASHED_TEXT)  # `--started-at -2h`, `--title "-5% spend"`

    serve = commands.add_parser(
        "serve", help="receive alert webhooks over HTTP (POST /alerts)",
        description=f"Receive alerts over HTTP: POST /alerts (any format), /alerts/alertmanager, /alerts/grafana; "
                    f"GET /health. A bearer token is read from ${TOKEN_ENV}; it is required to listen beyond "
                    "this machine (any --host but a loopback address).")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0 picks a free one")
    serve.add_argument("--max-body", dest="max_body", type=int, default=DEFAULT_MAX_BODY, metavar="BYTES",
                       help=f"the largest request body taken (default {DEFAULT_MAX_BODY}); larger ones get 413")
    serve.set_defaults(handler=cmd_serve)


# -- oncall alert -----------------------------------------------------------------------------


def cmd_alert(args: argparse.Namespace) -> int:
    from oncall.intake.alerts import PayloadError, parse_alert

    flags = {name: getattr(args, name) for name in FLAG_FIELDS if name != "status" and getattr(args, name) is not None}
    if args.resolved:
        flags["status"] = "resolved"
    if args.payload is not None and flags:
        raise CommandError(f"give a payload or the flags ({', '.join(FLAG_FIELDS[name] for name in flags)}), not both")
    if args.payload is None and not flags:
        raise CommandError("nothing to take: give a JSON payload, a file, - for stdin, or describe the alert with "
                           "--title (and --key, --asset, --severity, ...)")
    if flags:
        if "started_at" in flags:
            from oncall.cli.arguments import moment
            from oncall.domain.clock import to_text

            flags["started_at"] = to_text(moment(flags["started_at"], "--started-at", context.clock()))
        body, where = flags, ""
    else:
        body, where = _read_payload(args.payload)
    try:
        signals = parse_alert(body)
    except PayloadError as error:
        if flags:  # name the flag, not the JSON field the flag filled
            flag = FLAG_FIELDS.get(error.path, error.path)
            raise CommandError(f"{flag}: {error.problem}" if flag else error.problem) from None
        raise CommandError(f"{where}: {error}") from None
    with _intake(args) as service:
        absorbed = _absorb(service, signals)
        if args.json:
            print_json({"signals": len(signals), **{name: [f"INC-{i}" for i in getattr(absorbed, name)]
                                                    for name in ("opened", "updated", "recovered")},
                        "unchanged": absorbed.unchanged})
        else:
            _say(service, signals, absorbed)
    return 0


def _read_payload(argument: str) -> tuple[bytes | str, str]:
    """The payload text and what to call it in an error: stdin, a file's path, or the argument."""
    if argument == "-":
        data = sys.stdin.buffer.read(STDIN_MAX + 1)
        if len(data) > STDIN_MAX:
            raise CommandError(f"stdin: more than {STDIN_MAX} bytes; that is no alert payload")
        return data, "stdin"
    if argument.lstrip()[:1] in ("{", "["):
        return argument, "the payload"
    path = Path(argument)
    try:
        if path.stat().st_size > STDIN_MAX:
            raise CommandError(f"{path}: more than {STDIN_MAX} bytes; that is no alert payload")
        return path.read_bytes(), str(path)
    except FileNotFoundError:
        raise CommandError(f"{argument}: no such file, and not JSON text either (JSON starts with {{ or [)") from None
    except OSError as error:
        raise CommandError(f"{path}: cannot read it ({error.strerror or error})") from None


def _absorb(service: IntakeService, signals) -> Absorbed:
    from oncall.domain.rules import RuleViolation

    try:
        return service.absorb(signals)
    except RuleViolation as error:
        raise CommandError(str(error), EXIT_REFUSED) from None


def _say(service: IntakeService, signals, absorbed: Absorbed) -> None:
    from oncall.domain.text import clean_line

    if not signals:
        print("the payload held no alerts: nothing to do")
        return
    incidents = service.incident_service
    for number in absorbed.opened:
        incident = incidents.get(number)
        print(f"opened {incident.ref} {incident.severity.value} {clean_line(incident.title)} "
              f"(triage, asset {incident.asset})")
    for number in absorbed.updated:
        if number not in absorbed.opened:
            print(f"updated INC-{number} (repeat): {clean_line(incidents.get(number).title)}")
    for number in absorbed.recovered:
        incident = incidents.get(number)
        left = ("it stays " + incident.status.value + " until its IC decides" if incident.status.is_active
                else "recorded on it (" + incident.status.value + ")")
        print(f"recovered INC-{number}: the alert resolved; {left}")
    if absorbed.unchanged:
        many = absorbed.unchanged != 1
        print(f"{absorbed.unchanged} alert{'s' if many else ''} changed nothing (already heard, or a resolve "
              "for an alert with no open item)")


@contextmanager
def _intake(args: argparse.Namespace) -> Iterator[IntakeService]:
    """The workspace's intake service; its database closed afterwards."""
    from oncall.service.intake import IntakeService

    workspace = resolve_workspace(args)
    database = workspace.open_database()
    try:
        yield IntakeService(database, workspace.config, context.clock(), root=workspace.root)
    finally:
        database.close()


# -- oncall serve -----------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    token = os.environ.get(TOKEN_ENV, "").strip() or None
    if not 0 <= args.port <= 65535:
        raise CommandError(f"--port {args.port}: use 1 to 65535 (or 0 for any free port)")
    if args.max_body < 1:
        raise CommandError("--max-body: use a positive number of bytes")
    if token is None and not is_loopback(args.host):
        raise CommandError(f"--host {args.host} listens beyond this machine, so senders must prove who they are: set "
                           f"{TOKEN_ENV} to a long random secret and configure it as their bearer token; nothing was "
                           "started")
    listener = bind(args.host, args.port)
    try:
        return _serve(args, listener, token)
    finally:
        listener.close()


def _serve(args: argparse.Namespace, listener: socket.socket, token: str | None) -> int:
    import uvicorn

    from oncall.intake.server import make_app
    from oncall.service.intake import IntakeService

    workspace = resolve_workspace(args)
    database = workspace.open_database()
    try:
        service = IntakeService(database, workspace.config, context.clock(), root=workspace.root)
        app = make_app(service.absorb, token=token, max_body=args.max_body, transaction=database.write)
        _log_to_stderr()
        host, port = listener.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        guard = "a bearer token from $" + TOKEN_ENV + " is required" if token else "no token (loopback only)"
        print(f"oncall serve: taking alerts for {workspace.root} at http://{shown}:{port}/alerts; {guard}. "
              "Ctrl-C stops.", file=sys.stderr, flush=True)
        # No access log (a storm would be 10,000 lines; headers, the token among them, are never logged).
        config = uvicorn.Config(app, lifespan="on", access_log=False, log_level="warning", server_header=False,
                                proxy_headers=False, timeout_graceful_shutdown=GRACEFUL_SECONDS)
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        database.close()
    return 0


def is_loopback(host: str) -> bool:
    """Whether `host` only ever means this machine: 127.0.0.0/8, ::1, or a name resolving only to them."""
    import ipaddress
    import socket

    name = host.strip().strip("[]")
    if not name:
        return False  # "" is every interface
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, bound here so a busy port is said plainly (uvicorn would exit 1)."""
    import socket

    name = host.strip().strip("[]")
    try:
        family, kind, _, _, address = socket.getaddrinfo(name or None, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
        # Say TCP, not 0: asyncio sets TCP_NODELAY only on sockets that do, and without it every
        # answer (headers, then body) waits ~40 ms for the sender's delayed ACK.
        listener = socket.socket(family, kind, socket.IPPROTO_TCP)
    except OSError as error:
        raise CommandError(f"--host {host}: cannot listen there ({error.strerror or error})") from None
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError as error:
        listener.close()
        raise CommandError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    return listener


def _log_to_stderr() -> None:
    """Where a 500's details go (the client gets one line): stderr, with the time."""
    import logging

    logger = logging.getLogger("oncall")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
