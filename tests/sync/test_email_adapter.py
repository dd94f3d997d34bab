"""Stakeholder email against a real SMTP server on 127.0.0.1: what arrives, and what each way a
mail server fails means for the outbox (retry, give up, or ask the IC). Also the [email] config."""

from __future__ import annotations

import base64
import logging
import socket
import ssl
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import pytest
import trustme
from pydantic import ValidationError

from oncall.domain.severity import Severity
from oncall.sync.email_adapter import EmailAdapter, build_message, message_id
from oncall.sync.errors import MaybeSent, Permanent, Transient
from oncall.workspace.email_config import EmailConfig
from oncall.workspace.secrets import Secret, smtp_password
from smtp_server import HOST, PASSWORD, USERNAME, CutAfter354, SmtpServer, closed_port

SENT_AT = datetime(2026, 11, 27, 10, 30, tzinfo=timezone.utc)
FIRST_ID = "<oncall-INC-42.stakeholders@example.com>"
STAKEHOLDERS = ["maya@example.com", "ops-leads@example.org"]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def server(ca: trustme.CA):
    with SmtpServer(ca) as running:
        yield running


@pytest.fixture
def plain_server():
    """No STARTTLS, no login: what a relay on this machine may look like."""
    with SmtpServer(None) as running:
        yield running


def config_for(port: int, **changes) -> EmailConfig:
    values = {"host": HOST, "port": port, "sender": "oncall@example.com", "username": USERNAME, "timeout": 2,
              "stakeholders": {"SEV-1": STAKEHOLDERS}}
    values.update(changes)
    return EmailConfig(**values)


def adapter_for(port: int, trusting: ssl.SSLContext | None, password: str | None = PASSWORD,
                **changes) -> EmailAdapter:
    return EmailAdapter(config_for(port, **changes), Secret(password) if password is not None else None,
                        ssl_context=trusting)


def update(config: EmailConfig, subject: str = "SEV-1 INC-42: CAC dashboard is wrong", body: str = "Investigating.",
           marker: str = "INC-42.ev-7", to: list[str] | None = None):
    return build_message(config, to or config.recipients_for(Severity.SEV1), subject, body,
                         message_id(marker, config.domain), in_reply_to=FIRST_ID, sent_at=SENT_AT)


# What arrives


def test_an_update_arrives_as_plain_utf8_text_threaded_under_the_first(server, trusting):
    adapter = adapter_for(server.port, trusting)
    body = "Status: investigating\nKunde Müller 日本 sees last week's CAC.\n.\nNext update at 11:00 UTC."
    message = update(adapter.config, subject="SEV-1 INC-42: Müller 日本 dashboard", body=body)

    assert adapter.send(message) == "<oncall-INC-42.ev-7@example.com>"

    [got] = server.received
    assert got.mail_from == "oncall@example.com"
    assert got.rcpt_tos == STAKEHOLDERS
    mail = got.message
    assert str(mail["From"]) == "oncall <oncall@example.com>"
    assert str(mail["To"]) == "maya@example.com, ops-leads@example.org"
    assert str(mail["Subject"]) == "SEV-1 INC-42: Müller 日本 dashboard"
    assert mail["Message-ID"] == "<oncall-INC-42.ev-7@example.com>"
    assert mail["In-Reply-To"] == FIRST_ID and mail["References"] == FIRST_ID
    assert mail["X-Oncall-Event"] == "INC-42.ev-7"
    assert parsedate_to_datetime(mail["Date"]) == SENT_AT
    assert not mail.is_multipart() and mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    assert mail.get_content() == body + "\n"  # the lone "." line survives SMTP's end-of-data marker
    assert got.raw.isascii()  # carried as 7-bit, so no relay needs 8BITMIME
    assert server.handler.logins == [USERNAME]  # logged in, which the server allows only after STARTTLS


def test_a_line_break_in_the_subject_cannot_add_a_header_or_a_recipient(server, trusting):
    adapter = adapter_for(server.port, trusting)
    subject = "INC-42 update\r\nBcc: attacker@evil.example\nX-Spoof: 1\x00\u2028end"

    adapter.send(update(adapter.config, subject=subject))

    [got] = server.received
    assert got.message["Bcc"] is None and got.message["X-Spoof"] is None
    assert "attacker@evil.example" not in got.rcpt_tos
    assert str(got.message["Subject"]) == "INC-42 update Bcc: attacker@evil.example X-Spoof: 1 end"


def test_a_long_first_message_id_stays_whole_so_clients_can_thread_on_it(server, trusting):
    adapter = adapter_for(server.port, trusting, sender="oncall@data-platform.corp.example.com")
    first = message_id("INC-2026-0042.stakeholders-update-for-the-weekly-cac-dashboard", adapter.config.domain)
    message = build_message(adapter.config, STAKEHOLDERS, "update", "body", message_id("INC-2026-0042.ev-9",
                            adapter.config.domain), in_reply_to=first, sent_at=SENT_AT)
    adapter.send(message)

    raw = server.received[0].raw.decode("ascii")
    assert len(first) > 78  # longer than a header line should be, so it would be folded if it could
    assert f"\r\nIn-Reply-To: {first}\r\n" in raw and f"\r\nReferences: {first}\r\n" in raw


def test_message_ids_are_stable_and_made_in_the_senders_domain():
    assert message_id("INC-42.ev-7", "example.com") == "<oncall-INC-42.ev-7@example.com>"
    assert message_id("INC-42.ev-7", "example.com") == message_id(" INC-42.ev-7 ", "example.com")
    assert message_id("INC 42/ev:7<x>", "example.com") == "<oncall-INC-42-ev-7-x@example.com>"
    assert config_for(25).domain == "example.com"
    with pytest.raises(ValueError):
        message_id("", "example.com")


def test_a_message_needs_sound_ids_a_recipient_and_a_time_zone():
    config = config_for(25)
    good = message_id("INC-42", config.domain)
    with pytest.raises(ValueError, match="is not a Message-ID"):
        build_message(config, STAKEHOLDERS, "s", "b", "INC-42")
    with pytest.raises(ValueError, match="is not a Message-ID"):
        build_message(config, STAKEHOLDERS, "s", "b", good, in_reply_to="first")
    with pytest.raises(ValueError, match="not an email address"):
        build_message(config, ["maya"], "s", "b", good)
    with pytest.raises(ValueError, match="at least one recipient"):
        build_message(config, [], "s", "b", good)
    with pytest.raises(ValueError, match="time zone"):
        build_message(config, STAKEHOLDERS, "s", "b", good, sent_at=datetime(2026, 11, 27, 10, 30))


# Recipients the server refuses


def test_a_refused_recipient_is_skipped_and_logged_while_the_rest_get_it(server, trusting, caplog):
    server.behaviour.refuse = {"ops-leads@example.org"}
    adapter = adapter_for(server.port, trusting)
    with caplog.at_level(logging.WARNING, logger="oncall"):
        assert adapter.send(update(adapter.config)) == "<oncall-INC-42.ev-7@example.com>"

    [got] = server.received
    assert got.rcpt_tos == ["maya@example.com"]
    [warning] = [r for r in caplog.records if r.name == "oncall.sync.email_adapter"]
    assert warning.levelno == logging.WARNING
    assert "ops-leads@example.org" in warning.getMessage() and "550" in warning.getMessage()


def test_every_recipient_refused_is_permanent_and_names_them(server, trusting):
    server.behaviour.refuse = set(STAKEHOLDERS)
    adapter = adapter_for(server.port, trusting)
    with pytest.raises(Permanent) as refused:
        adapter.send(update(adapter.config))

    assert not refused.value.whole_target  # another message, to other people, can still go
    assert refused.value.message == (
        f"the mail server at 127.0.0.1:{server.port} refused every recipient: "
        "maya@example.com (550 5.1.1 no such mailbox here); ops-leads@example.org (550 5.1.1 no such mailbox "
        "here); check the addresses")
    assert server.received == []


# Replies that say "not now" or "never"


@pytest.mark.parametrize("switch, command", [
    ({"busy": {"MAIL": "451 4.7.1 greylisted, come back later"}}, "MAIL FROM"),
    ({"busy": {"RCPT": "451 4.7.1 greylisted, come back later"}}, "RCPT TO maya@example.com"),
    ({"data_command_reply": "451 4.7.1 greylisted, come back later"}, "DATA"),
    ({"after_data": "451 4.7.1 greylisted, come back later"}, "the message"),
])
def test_a_4xx_reply_means_nothing_was_sent_and_it_is_retried(server, trusting, switch, command):
    for name, value in switch.items():
        setattr(server.behaviour, name, value)
    adapter = adapter_for(server.port, trusting)
    with pytest.raises(Transient) as busy:
        adapter.send(update(adapter.config))

    assert busy.value.uncertain is False
    assert busy.value.message == (
        f"the mail server at 127.0.0.1:{server.port} answered {command} with 451 4.7.1 greylisted, come back "
        "later; nothing was sent, it will be tried again")
    assert server.received == []


@pytest.mark.parametrize("switch, command", [
    ({"data_command_reply": "554 5.7.1 you may not send here"}, "DATA"),
    ({"after_data": "554 5.6.0 message content rejected"}, "the message"),
])
def test_a_5xx_to_the_message_is_permanent_for_that_message_only(server, trusting, switch, command):
    for name, value in switch.items():
        setattr(server.behaviour, name, value)
    adapter = adapter_for(server.port, trusting)
    with pytest.raises(Permanent) as refused:
        adapter.send(update(adapter.config))

    assert not refused.value.whole_target
    reply = switch.get("data_command_reply") or switch.get("after_data")
    assert refused.value.message == f"the mail server at 127.0.0.1:{server.port} answered {command} with {reply}"
    assert server.received == []


# Login and TLS: nothing for this relay can work until someone fixes the configuration


def test_a_refused_login_stops_the_relay_and_says_what_to_check(server, trusting):
    adapter = adapter_for(server.port, trusting, password="not-the-password")
    with pytest.raises(Permanent) as refused:
        adapter.send(update(adapter.config))

    assert refused.value.whole_target
    assert refused.value.message == (
        f"the mail server at 127.0.0.1:{server.port} refused the login for 'oncall-bot' (535 5.7.8): "
        "check ONCALL_SMTP_PASSWORD and [email] username")
    assert server.received == []


def test_a_username_without_a_password_in_the_environment_is_said_before_connecting(server, trusting):
    adapter = adapter_for(server.port, trusting, password=None)
    with pytest.raises(Permanent) as missing:
        adapter.send(update(adapter.config))

    assert missing.value.whole_target
    assert "ONCALL_SMTP_PASSWORD is not set" in missing.value.message
    assert server.handler.logins == [] and server.received == []


def test_a_server_without_starttls_gets_neither_password_nor_message(plain_server, trusting):
    adapter = adapter_for(plain_server.port, trusting)
    with pytest.raises(Permanent) as refused:
        adapter.send(update(adapter.config))

    assert refused.value.whole_target
    assert refused.value.message.startswith(
        f"the mail server at 127.0.0.1:{plain_server.port} does not offer STARTTLS, so oncall will not send the "
        "password or the message over it in clear")
    assert plain_server.received == []


def test_plain_smtp_to_a_relay_on_this_machine_is_allowed_when_configured(plain_server):
    adapter = adapter_for(plain_server.port, None, password=None, starttls=False, username="")
    adapter.send(update(adapter.config))
    assert [got.message["Message-ID"] for got in plain_server.received] == ["<oncall-INC-42.ev-7@example.com>"]


def test_a_certificate_from_an_unknown_ca_is_refused_with_the_fix(server):
    adapter = EmailAdapter(config_for(server.port), Secret(PASSWORD))  # the system's CAs only
    with pytest.raises(Permanent) as untrusted:
        adapter.send(update(adapter.config))

    assert untrusted.value.whole_target
    assert "showed a certificate oncall does not trust" in untrusted.value.message
    assert "set [email] ca_file to its PEM file" in untrusted.value.message
    assert server.handler.logins == [] and server.received == []


def test_ca_file_names_the_company_ca_to_trust(server, ca, tmp_path):
    ca_file = tmp_path / "company-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    adapter = EmailAdapter(config_for(server.port, ca_file=str(ca_file)), Secret(PASSWORD))
    adapter.send(update(adapter.config))
    assert len(server.received) == 1

    missing = EmailAdapter(config_for(server.port, ca_file=str(tmp_path / "nope.pem")), Secret(PASSWORD))
    with pytest.raises(Permanent, match=r"cannot use \[email\] ca_file") as unreadable:
        missing.send(update(missing.config))
    assert unreadable.value.whole_target


# The connection fails


def test_nothing_listening_is_transient(trusting):
    port = closed_port()
    adapter = adapter_for(port, trusting)
    with pytest.raises(Transient) as unreachable:
        adapter.send(update(adapter.config))

    assert unreachable.value.uncertain is False
    assert unreachable.value.message == (
        f"nothing answers at 127.0.0.1:{port}: the connection was refused (is the mail server up, and is "
        "[email] port right?); it will be tried again")


def test_a_server_that_never_greets_times_out_as_transient(trusting):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind((HOST, 0))
        silent.listen(1)  # the kernel completes the connection; nobody ever says 220
        adapter = adapter_for(silent.getsockname()[1], trusting, timeout=0.3)
        with pytest.raises(Transient) as slow:
            adapter.send(update(adapter.config))

    assert slow.value.uncertain is False
    assert slow.value.message.startswith(f"the mail server at {adapter.config.server} did not answer within 0.3 s")


def test_a_drop_after_the_message_data_is_maybe_sent_never_a_silent_resend(server, trusting):
    server.behaviour.after_data = "drop"
    adapter = adapter_for(server.port, trusting)
    with pytest.raises(MaybeSent) as unknown:
        adapter.send(update(adapter.config))

    assert unknown.value.message == (
        f"may have been sent: the mail server at 127.0.0.1:{server.port} closed the connection after receiving "
        "the message, before confirming it; check with a recipient, then send it again or discard it")
    assert len(server.received) == 1  # it did arrive: which is why a blind retry would be wrong


def test_a_connection_lost_while_the_message_is_sent_is_maybe_sent():
    with CutAfter354() as cut:
        adapter = adapter_for(cut.port, None, password=None, starttls=False, username="")
        # Larger than the socket buffers, so the reset lands while the data is still going out.
        body = ("All quiet on the CAC dashboard. " * 2 + "\n") * 120_000
        with pytest.raises(MaybeSent) as unknown:
            adapter.send(update(adapter.config, body=body))

    assert unknown.value.message == (
        f"may have been sent: the connection to the mail server at 127.0.0.1:{cut.port} broke while the message "
        "was being sent; check with a recipient, then send it again or discard it")


def test_no_answer_after_the_message_data_is_maybe_sent(server, trusting):
    server.behaviour.after_data = "hang"
    adapter = adapter_for(server.port, trusting, timeout=0.3)
    with pytest.raises(MaybeSent) as unknown:
        adapter.send(update(adapter.config))

    assert unknown.value.message.startswith(
        f"may have been sent: the mail server at 127.0.0.1:{server.port} did not answer within 0.3 s after "
        "receiving the message")


# The password


def test_the_password_stays_out_of_every_error_and_log_line(server, trusting, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, aiosmtpd's too, at its chattiest
    said: list[str] = []
    attempts = [
        ("wrong-user", {}),  # the right password goes over the wire, and is refused
        (USERNAME, {"after_data": "drop"}),
        (USERNAME, {"refuse": set(STAKEHOLDERS)}),
        (USERNAME, {"busy": {"RCPT": "451 4.7.1 later"}}),
        (USERNAME, {"after_data": "554 5.6.0 no"}),
    ]
    for username, switch in attempts:
        for name, value in switch.items():
            setattr(server.behaviour, name, value)
        adapter = adapter_for(server.port, trusting, username=username)
        with pytest.raises((Permanent, Transient, MaybeSent)) as failed:
            adapter.send(update(adapter.config))
        said += [failed.value.message, str(failed.value), repr(failed.value)]
        server.behaviour.after_data, server.behaviour.refuse, server.behaviour.busy = "", set(), {}

    plain = f"\0{USERNAME}\0{PASSWORD}".encode()
    leaks = [PASSWORD, base64.b64encode(plain).decode(), base64.b64encode(PASSWORD.encode()).decode()]
    text = "\n".join(said + [record.getMessage() for record in caplog.records])
    assert "refused the login for 'wrong-user'" in text and "may have been sent" in text
    for leak in leaks:
        assert leak not in text


def test_the_password_comes_only_from_the_environment(monkeypatch):
    monkeypatch.delenv("ONCALL_SMTP_PASSWORD", raising=False)
    assert smtp_password() is None
    monkeypatch.setenv("ONCALL_SMTP_PASSWORD", "s3cr3t")
    secret = smtp_password()
    assert secret is not None and secret.reveal() == "s3cr3t" and "s3cr3t" not in f"{secret!r} {secret}"


# The [email] section


def test_a_good_email_section_loads_with_severities_normalised():
    config = EmailConfig(host="smtp.example.com", sender=" oncall@example.com ", username="oncall-bot",
                         stakeholders={"sev1": [" maya@example.com", "cfo@example.com"], "2": ["ops@example.org"],
                                       "SEV-1": ["Maya@example.com"]})
    assert (config.port, config.starttls, config.timeout, config.concurrency) == (587, True, 10.0, 1)
    assert config.sender == "oncall@example.com" and config.sender_name == "oncall"
    assert config.recipients_for(Severity.SEV1) == ["maya@example.com", "cfo@example.com"]
    assert config.recipients_for(Severity.SEV2) == ["ops@example.org"]
    assert config.recipients_for(Severity.SEV3) == []
    assert config.server == "smtp.example.com:587"


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_starttls_may_be_off_only_on_this_machine(host):
    assert EmailConfig(host=host, sender="oncall@example.com", starttls=False).starttls is False


@pytest.mark.parametrize("changes, key, said", [
    ({"host": ""}, "host", "at least 1 character"),
    ({"host": "smtp://mail.example.com"}, "host", "host must be a host name"),
    ({"port": 0}, "port", "greater than or equal to 1"),
    ({"port": 70000}, "port", "less than or equal to 65535"),
    ({"sender": "oncall"}, "sender", "'oncall' is not an email address"),
    ({"sender": "oncall@example"}, "sender", "is not an email address"),
    ({"sender_name": "on\ncall"}, "sender_name", "one line"),
    ({"starttls": False}, "starttls", "would cross the network in clear"),
    ({"stakeholders": {"SEV-9": ["maya@example.com"]}}, "stakeholders", "unknown severity 'SEV-9'"),
    ({"stakeholders": {"sev1": ["maya@"]}}, "stakeholders", "in the SEV-1 list, 'maya@' is not an email address"),
    ({"timeout": 0}, "timeout", "greater than 0"),
    ({"timeout": 500}, "timeout", "less than or equal to 120"),
    ({"concurrency": 5}, "concurrency", "less than or equal to 4"),
    ({"password": "hunter2"}, "password", "Extra inputs are not permitted"),  # never in the file
])
def test_each_bad_value_is_named(changes, key, said):
    values = {"host": "smtp.example.com", "sender": "oncall@example.com", **changes}
    with pytest.raises(ValidationError) as invalid:
        EmailConfig(**values)
    [error] = invalid.value.errors()
    assert error["loc"] == (key,)
    assert said in error["msg"]


def test_the_sender_is_required():
    with pytest.raises(ValidationError) as invalid:
        EmailConfig(host="smtp.example.com")
    assert [(e["loc"], e["type"]) for e in invalid.value.errors()] == [(("sender",), "missing")]
