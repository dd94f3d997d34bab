"""A real SMTP server on 127.0.0.1 for the email tests: aiosmtpd, with STARTTLS from a test CA,
login over TLS only, and switches that make it fail the ways mail servers do.

Every message it takes is kept (envelope and parsed message), so a test can look at what a
stakeholder's mailbox would get. Switches are plain attributes, set before the send:

- `refuse` addresses get 550 at RCPT; `busy` maps "MAIL" or "RCPT" to a 4xx reply;
- `data_command_reply` answers the DATA command itself (before 354) with that reply;
- `after_data` answers the message ("451 ...", "554 ..."), or is "drop" (close the connection
  after taking the message, without a reply) or "hang" (take it and never reply).

`CutAfter354` is the one failure aiosmtpd cannot play: a connection lost mid-message.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import struct
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

HOST = "127.0.0.1"
USERNAME = "oncall-bot"
PASSWORD = "hunter2-Zebra-42"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage


@dataclass
class Behaviour:
    refuse: set[str] = field(default_factory=set)
    busy: dict[str, str] = field(default_factory=dict)
    data_command_reply: str = ""
    after_data: str = ""


class RecordingHandler:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.received: list[Received] = []
        self.logins: list[str] = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if "MAIL" in self.behaviour.busy:
            return self.behaviour.busy["MAIL"]
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "RCPT" in self.behaviour.busy:
            return self.behaviour.busy["RCPT"]
        if address in self.behaviour.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = bytes(envelope.original_content or envelope.content)
        # Stored the way a mailbox keeps it, with local line ends, as a mail client would read it.
        parsed = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
        after = self.behaviour.after_data
        if not after.startswith(("4", "5")):  # a refused message is not delivered
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed))
        if after == "drop":
            server.transport.abort()
            return "250 OK"  # goes nowhere: the connection is already gone
        if after == "hang":
            await asyncio.Event().wait()  # cancelled when the server stops
        return after or "250 2.0.0 queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        self.logins.append(auth_data.login.decode())
        ok = auth_data.login.decode() == USERNAME and auth_data.password.decode() == PASSWORD
        return AuthResult(success=ok, handled=False)


class _SwitchableSMTP(SMTP):
    """aiosmtpd has no hook for the DATA command before its 354; this adds one."""

    async def smtp_DATA(self, arg: str) -> None:
        reply = self.event_handler.behaviour.data_command_reply
        if reply and self.envelope is not None and self.envelope.rcpt_tos:
            await self.push(reply)
            return
        await super().smtp_DATA(arg)


class _Controller(Controller):
    def factory(self):
        return _SwitchableSMTP(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self):
        # Bound to port 0: learn the port the system picked before aiosmtpd connects to check itself.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """`with SmtpServer(ca) as server:` a server on 127.0.0.1:`server.port`.

    `ca` (a trustme CA) turns on STARTTLS with a certificate for 127.0.0.1, required before MAIL,
    and login; without it the server speaks plain SMTP and offers neither.
    """

    def __init__(self, ca: trustme.CA | None = None, *, login: bool = True) -> None:
        self.behaviour = Behaviour()
        self.handler = RecordingHandler(self.behaviour)
        options: dict = {"server_hostname": "mail.test", "ready_timeout": 5.0}
        if ca is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert(HOST).configure_cert(context)
            options.update(tls_context=context, require_starttls=True)
            if login:
                options.update(authenticator=self.handler.authenticate, auth_require_tls=True)
        self.controller = _Controller(self.handler, hostname=HOST, port=0, **options)

    @property
    def port(self) -> int:
        return self.controller.port

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound for a moment, never listened)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class CutAfter354:
    """A bare SMTP server (plain, no login) that says 354 to DATA, reads the first line of the
    message and resets the connection: a relay that dies while the message data is on its way.

    aiosmtpd reads the data itself before any hook runs, so this one case is scripted by hand.
    """

    def __init__(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # A small, fixed receive buffer (no autotuning): a message of a few MB cannot fit in flight.
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        self.listener.bind((HOST, 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection, connection.makefile("rb") as lines:
            connection.sendall(b"220 cut.test ESMTP\r\n")
            for line in lines:
                command = line[:4].upper()
                if command == b"EHLO":
                    connection.sendall(b"250-cut.test\r\n250 8BITMIME\r\n")
                elif command == b"DATA":
                    connection.sendall(b"354 go ahead\r\n")
                    lines.readline()  # the message has started to arrive
                    # Linger 0: close sends a reset, as a crashing server's kernel would.
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                else:
                    connection.sendall(b"250 OK\r\n")

    def __enter__(self) -> "CutAfter354":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.close()
        self.thread.join(timeout=5)
