"""Email to stakeholders through the team's mail relay: SMTP with STARTTLS, plain-text bodies.

Unlike Jira and Slack, a mail server cannot be asked afterwards whether it took a message. So
the conversation is followed step by step: until the server has said 354 to DATA nothing was
sent and any failure is safe to retry; once the message data has started to flow, a lost
connection means the message may or may not be on its way, and that is `MaybeSent`, for a
person to decide, never a silent second copy. The stable Message-ID lets mail clients drop a
duplicate and thread later updates under the first.

Error messages are built from reply codes and the server's own text, never from the password
or `str()` of an exception that might carry it.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
import ssl
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from email.headerregistry import Address, HeaderRegistry, MessageIDHeader
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY, EmailPolicy
from email.utils import format_datetime, getaddresses

from oncall.sync.errors import MaybeSent, Permanent, SyncError, Transient
from oncall.workspace.email_config import EmailConfig, email_address
from oncall.workspace.secrets import SMTP_PASSWORD_ENV, Secret, redact

log = logging.getLogger(__name__)

EVENT_HEADER = "X-Oncall-Event"
_MESSAGE_ID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")
_ENHANCED_STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}")
_SERVER_TEXT_LIMIT = 200


def _policy() -> EmailPolicy:
    """SMTP line ends, with In-Reply-To and References read as message ids: as free text, a long
    id would be folded into an encoded word, which mail clients do not decode for threading."""
    headers = HeaderRegistry()
    headers.map_to_type("in-reply-to", MessageIDHeader)
    headers.map_to_type("references", MessageIDHeader)
    return SMTP_POLICY.clone(header_factory=headers)


_POLICY = _policy()


def message_id(marker: str, domain: str) -> str:
    """A Message-ID made only from `marker` and `domain`, so a second try carries the same one.

    `<oncall-INC-42.ev-7@example.com>`: characters a Message-ID cannot hold become `-`.
    """
    local = re.sub(r"[^A-Za-z0-9._+=-]+", "-", marker.strip())
    local = re.sub(r"\.{2,}", ".", local).strip(".-")
    domain = domain.strip().strip(".")
    if not local or not domain or re.search(r"[\s<>@]", domain):
        raise ValueError(f"cannot make a Message-ID from marker {marker!r} and domain {domain!r}")
    return f"<oncall-{local}@{domain}>"


def build_message(config: EmailConfig, to: list[str], subject: str, body: str, message_id: str,
                  in_reply_to: str = "", sent_at: datetime | None = None, *, marker: str = "") -> EmailMessage:
    """A plain-text UTF-8 message, ready for `EmailAdapter.send`.

    `message_id` is used exactly as given (make it with `message_id()`); `in_reply_to` names the
    first message of the incident so clients thread the updates under it. `marker` goes in the
    X-Oncall-Event header; by default it is read back from an id `message_id()` made.
    """
    for given in (message_id, in_reply_to) if in_reply_to else (message_id,):
        if not _MESSAGE_ID.match(given):
            raise ValueError(f"{given!r} is not a Message-ID: write it as <something@domain>")
    addresses = list(dict.fromkeys(email_address(address) for address in to))
    if not addresses:
        raise ValueError("an email needs at least one recipient")
    sent_at = sent_at or datetime.now(timezone.utc)
    if sent_at.tzinfo is None:
        raise ValueError("sent_at must carry its time zone")

    message = EmailMessage(policy=_POLICY)
    message["From"] = Address(display_name=config.sender_name, addr_spec=config.sender)
    message["To"] = [Address(addr_spec=address) for address in addresses]
    message["Subject"] = one_line(subject)
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message[EVENT_HEADER] = one_line(marker) or _marker_of(message_id)
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    # 7bit when it can be; else quoted-printable, which every relay carries (8BITMIME is not promised).
    plain = text.isascii() and all(len(line) <= 998 for line in text.split("\n"))
    message.set_content(text, subtype="plain", charset="utf-8", cte="7bit" if plain else "quoted-printable")
    return message


def one_line(text: str) -> str:
    """`text` without line breaks or control characters, which could start a header of their own."""
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)
    return " ".join(cleaned.split())


def _marker_of(message_id: str) -> str:
    local = message_id.strip("<>").rsplit("@", 1)[0]
    return local.removeprefix("oncall-")


@dataclass
class _Progress:
    """Where the conversation with the server got to, which decides what a failure means."""

    step: str = "connecting"
    data_started: bool = False  # the server said 354: from here on the message may arrive
    data_sent: bool = False  # the final "." went out; only the server's answer is missing
    alive: bool = True  # the connection can still be closed politely with QUIT


class EmailAdapter:
    def __init__(self, config: EmailConfig, password: Secret | None, *,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.password = password
        self._setup_problem: Permanent | None = None
        self.ssl_context = ssl_context
        if ssl_context is None:
            try:
                self.ssl_context = ssl.create_default_context(cafile=config.ca_file or None)
            except (OSError, ssl.SSLError) as error:  # said on every send, not raised while starting
                reason = getattr(error, "strerror", None) or getattr(error, "reason", None) or type(error).__name__
                self._setup_problem = Permanent(
                    f"cannot use [email] ca_file {config.ca_file!r}: {reason} (it should be a PEM file of CA "
                    "certificates)", whole_target=True)

    def send(self, message: EmailMessage) -> str:
        """Send `message` to its To and Cc addresses and return its Message-ID.

        Raises `Transient` when nothing was sent and a retry may work, `Permanent` when it cannot
        work as configured, and `MaybeSent` when the server may have taken the message.
        Recipients the server refuses are logged and skipped while at least one is accepted.
        """
        message_id = str(message.get("Message-ID", "")).strip()
        if not message_id:
            raise ValueError("the message has no Message-ID: make it with build_message()")
        headers = [str(header) for header in message.get_all("To", []) + message.get_all("Cc", [])]
        recipients = list(dict.fromkeys(address for _, address in getaddresses(headers) if address))
        if not recipients:
            raise ValueError("the message has no recipients: make it with build_message()")
        if self._setup_problem:
            raise self._setup_problem
        if self.config.username and not self.password:
            raise Permanent(
                f"[email] username is {self.config.username!r} but {SMTP_PASSWORD_ENV} is not set: set it to that "
                "account's password, or remove username if the mail server takes mail without a login",
                whole_target=True)
        wire = _wire_bytes(message)
        progress = _Progress()
        smtp: smtplib.SMTP | None = None
        try:
            # Connecting in the constructor is what lets STARTTLS check the certificate against the host.
            smtp = smtplib.SMTP(self.config.host, self.config.port, timeout=self.config.timeout)
            refused = self._converse(smtp, progress, recipients, wire)
        except (smtplib.SMTPException, OSError) as error:
            progress.alive = False
            raise self._failure(error, progress) from error
        finally:
            if smtp is not None:
                _hang_up(smtp, progress.alive)
        for address, reply in refused:
            log.warning("the mail server at %s refused %s for %s: %s", self.config.server, address, message_id, reply)
        log.info("sent %s to %d recipient(s) through %s", message_id, len(recipients) - len(refused),
                 self.config.server)
        return message_id

    def check(self) -> str:
        """Connect, STARTTLS and log in as sending would, then hang up: nothing is sent
        (`oncall doctor`). Raises what `send` would for the same problem."""
        if self._setup_problem:
            raise self._setup_problem
        if self.config.username and not self.password:
            raise Permanent(f"[email] username is {self.config.username!r} but {SMTP_PASSWORD_ENV} is not set",
                            whole_target=True)
        progress = _Progress()
        smtp: smtplib.SMTP | None = None
        try:
            smtp = smtplib.SMTP(self.config.host, self.config.port, timeout=self.config.timeout)
            self._greet(smtp, progress)
        except (smtplib.SMTPException, OSError) as error:
            progress.alive = False
            raise self._failure(error, progress) from error
        finally:
            if smtp is not None:
                _hang_up(smtp, progress.alive)
        said = ["STARTTLS" if self.config.starttls else "no TLS (this machine only)"]
        said.append(f"logged in as {self.config.username}" if self.config.username else "no login")
        return f"mail server at {self.config.server}: " + ", ".join(said)

    def _converse(self, smtp: smtplib.SMTP, progress: _Progress, recipients: list[str],
                  wire: bytes) -> list[tuple[str, str]]:
        """The SMTP conversation after the greeting; returns the recipients the server refused."""
        self._greet(smtp, progress)
        return self._deliver(smtp, progress, recipients, wire)

    def _greet(self, smtp: smtplib.SMTP, progress: _Progress) -> None:
        """EHLO, STARTTLS (required unless the relay is this machine), EHLO again, the login."""
        self._hello(smtp, progress)
        if self.config.starttls:
            progress.step = "STARTTLS"
            if not smtp.has_extn("starttls"):
                raise Permanent(
                    f"the mail server at {self.config.server} does not offer STARTTLS, so oncall will not send "
                    "the password or the message over it in clear: use the relay's submission port (usually "
                    "587); starttls = false is allowed only for a mail server on this machine", whole_target=True)
            smtp.starttls(context=self.ssl_context)
            self._hello(smtp, progress)
        if self.config.username:
            self._login(smtp, progress)

    def _deliver(self, smtp: smtplib.SMTP, progress: _Progress, recipients: list[str],
                 wire: bytes) -> list[tuple[str, str]]:
        progress.step = "MAIL FROM"
        code, reply = smtp.mail(self.config.sender)
        if code != 250:
            fix = (f"it wants a login: set [email] username and {SMTP_PASSWORD_ENV}" if code == 530
                   else "check [email] sender")
            raise self._answer(code, reply, "MAIL FROM", whole_target=True, fix=fix)

        progress.step = "RCPT TO"
        refused: list[tuple[str, str]] = []
        for address in recipients:
            code, reply = smtp.rcpt(address)
            if code in (250, 251):
                continue
            if code < 500:  # one busy or greylisted mailbox: try everyone again later, nothing went yet
                raise self._answer(code, reply, f"RCPT TO {address}")
            refused.append((address, f"{code} {self._text(reply)}"))
        if len(refused) == len(recipients):
            said = "; ".join(f"{address} ({reply})" for address, reply in refused)
            raise Permanent(f"the mail server at {self.config.server} refused every recipient: {said}; "
                            "check the addresses")

        progress.step = "DATA"
        code, reply = smtp.docmd("DATA")
        if code != 354:
            raise self._answer(code, reply, "DATA")
        progress.data_started = True
        progress.step = "the message"
        smtp.send(wire + b".\r\n")
        progress.data_sent = True
        code, reply = smtp.getreply()
        progress.data_started = False  # answered: whatever it said is certain
        if not 200 <= code < 300:
            raise self._answer(code, reply, "the message")
        return refused

    def _hello(self, smtp: smtplib.SMTP, progress: _Progress) -> None:
        progress.step = "EHLO"
        code, reply = smtp.ehlo()
        if code != 250:
            code, reply = smtp.helo()
            if code != 250:
                raise self._answer(code, reply, "EHLO", whole_target=code >= 500)

    def _login(self, smtp: smtplib.SMTP, progress: _Progress) -> None:
        progress.step = "login"
        assert self.password is not None  # send() checked
        where, user = self.config.server, self.config.username
        try:
            smtp.login(user, self.password.reveal())
        except smtplib.SMTPServerDisconnected:
            raise
        except smtplib.SMTPAuthenticationError as error:
            said = f"{error.smtp_code}{_enhanced_status(error.smtp_error)}"  # never the text: it may echo the login
            if 400 <= error.smtp_code < 500:
                raise Transient(f"the mail server at {where} could not check the login just now ({said}); "
                                "nothing was sent, it will be tried again", uncertain=False) from None
            raise Permanent(f"the mail server at {where} refused the login for {user!r} ({said}): check "
                            f"{SMTP_PASSWORD_ENV} and [email] username", whole_target=True) from None
        except smtplib.SMTPNotSupportedError:
            raise Permanent(f"the mail server at {where} does not offer a login (AUTH): remove [email] "
                            "username if it takes mail without one", whole_target=True) from None
        except UnicodeEncodeError:
            raise Permanent(f"{SMTP_PASSWORD_ENV} or [email] username has characters outside ASCII, which "
                            "SMTP login cannot carry", whole_target=True) from None
        except smtplib.SMTPException:
            raise Permanent(f"the mail server at {where} offers no login method oncall knows (PLAIN, LOGIN, "
                            "CRAM-MD5)", whole_target=True) from None

    def _answer(self, code: int, reply: bytes | str, command: str, *, whole_target: bool = False,
                fix: str = "") -> SyncError:
        """What a refusing reply means: 4xx (busy, greylisted) is worth another try, 5xx is not."""
        said = f"the mail server at {self.config.server} answered {command} with {code} {self._text(reply)}".rstrip()
        if 500 <= code < 600:
            return Permanent(f"{said}: {fix}" if fix else said, whole_target=whole_target)
        return Transient(f"{said}; nothing was sent, it will be tried again", uncertain=False)

    def _failure(self, error: Exception, progress: _Progress) -> SyncError:
        """What an exception from the connection means, given how far the conversation got."""
        where, step = self.config.server, progress.step
        timed_out = isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError)
        if progress.data_started:
            if progress.data_sent:
                what = (f"did not answer within {self.config.timeout:g} s" if timed_out
                        else "closed the connection")
                return MaybeSent(f"may have been sent: the mail server at {where} {what} after receiving the "
                                 "message, before confirming it; check with a recipient, then send it again or "
                                 "discard it")
            return MaybeSent(f"may have been sent: the connection to the mail server at {where} broke while the "
                             "message was being sent; check with a recipient, then send it again or discard it")
        if isinstance(error, smtplib.SMTPConnectError):  # it greets with a refusal: 421 busy, 554 no service
            return self._answer(error.smtp_code, error.smtp_error, "the connection", whole_target=True)
        if isinstance(error, smtplib.SMTPResponseException):
            return self._answer(error.smtp_code, error.smtp_error, step)
        if isinstance(error, ssl.SSLCertVerificationError):
            return Permanent(f"the mail server at {where} showed a certificate oncall does not trust "
                             f"({error.verify_message}): if the relay uses a company CA, set [email] ca_file to its "
                             "PEM file", whole_target=True)
        if isinstance(error, ssl.SSLError) and not isinstance(
                error, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)):
            return Permanent(f"TLS with the mail server at {where} failed ({error.reason or type(error).__name__})",
                             whole_target=True)
        after = "" if step == "connecting" else f" (at {step})"
        if timed_out:
            return Transient(f"the mail server at {where} did not answer within {self.config.timeout:g} s{after}; "
                             "nothing was sent, it will be tried again", uncertain=False)
        if isinstance(error, socket.gaierror):
            return Transient(f"cannot find the mail server {self.config.host!r}: the name does not resolve "
                             "(check [email] host); it will be tried again", uncertain=False)
        if isinstance(error, ConnectionRefusedError):
            return Transient(f"nothing answers at {where}: the connection was refused (is the mail server up, "
                             "and is [email] port right?); it will be tried again", uncertain=False)
        if isinstance(error, smtplib.SMTPServerDisconnected) or isinstance(error, ConnectionError):
            return Transient(f"the mail server at {where} closed the connection{after}; nothing was sent, it "
                             "will be tried again", uncertain=False)
        reason = getattr(error, "strerror", None) or type(error).__name__
        return Transient(f"cannot reach the mail server at {where}{after}: {reason}; it will be tried again",
                         uncertain=False)

    def _text(self, reply: bytes | str) -> str:
        """The server's words, on one line, short, and without the password should it echo it."""
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        text = " ".join(text.split())
        if len(text) > _SERVER_TEXT_LIMIT:
            text = text[:_SERVER_TEXT_LIMIT] + "…"
        return redact(text, self.password)


def _enhanced_status(reply: bytes | str) -> str:
    """` 5.7.8` from `5.7.8 Authentication credentials invalid`, else nothing."""
    text = reply.decode("ascii", "replace") if isinstance(reply, bytes) else str(reply)
    found = _ENHANCED_STATUS.match(text.strip())
    return f" {found.group(0)}" if found else ""


def _wire_bytes(message: EmailMessage) -> bytes:
    """The message as DATA carries it: CRLF line ends, lines starting with "." doubled."""
    data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _hang_up(smtp: smtplib.SMTP, polite: bool) -> None:
    """QUIT when the server is still listening (it may be waiting for it); always close the socket."""
    try:
        if polite and smtp.sock is not None:
            smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()
