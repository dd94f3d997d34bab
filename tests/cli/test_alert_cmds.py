"""`oncall alert` (a payload from an argument, a file or stdin, or the generic alert's flags) and
`oncall serve`'s refusals, in-process on the test workspace with the clock frozen."""

from __future__ import annotations

import io
import json
import socket
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parents[1] / "fixtures" / "alerts"


def stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_a_file_opens_then_repeats_then_recovers(oncall) -> None:
    opened = oncall("alert", FIXTURES / "alertmanager_firing.json")
    assert opened.code == 0, opened.err
    assert opened.out == ("opened INC-1 SEV-1 ProbeFailure: BlackBox Probe Failure: https://server.example.org "
                          "(triage, asset (unknown))\n")
    repeat = oncall("alert", FIXTURES / "alertmanager_firing.json")
    assert repeat.out == "updated INC-1 (repeat): ProbeFailure: BlackBox Probe Failure: https://server.example.org\n"
    recovered = oncall("alert", FIXTURES / "alertmanager_resolved.json")
    assert recovered.out.startswith("recovered INC-1: the alert resolved; it stays triage until its IC decides")
    again = oncall("alert", FIXTURES / "alertmanager_resolved.json")
    assert again.out == "1 alert changed nothing (already heard, or a resolve for an alert with no open item)\n"
    shown = oncall("show", "1", "--json").json()
    assert shown["incident"]["status"] == "triage" and shown["incident"]["source"] == "alert"
    assert any("recovered" in event["text"] for event in shown["timeline"])


def test_json_text_from_stdin_with_json_output(oncall, monkeypatch: pytest.MonkeyPatch) -> None:
    stdin(monkeypatch, (FIXTURES / "grafana_firing.json").read_bytes())
    result = oncall("alert", "-", "--json").json()
    assert result == {"signals": 2, "opened": ["INC-1", "INC-2"], "updated": [], "recovered": [], "unchanged": 0}
    listed = oncall("list", "--json").json()
    assert {row["title"] for row in listed["incidents"]} == {
        "High memory usage: This alert was triggered for zone us-1",
        "High CPU usage: This alert was triggered for zone eu-1"}


def test_json_text_as_the_argument(oncall) -> None:
    result = oncall("alert", json.dumps({"title": "spend rows missing", "asset": "stg-ad-spend", "severity": "high"}))
    assert result.code == 0, result.err
    assert result.out == "opened INC-1 SEV-2 spend rows missing (triage, asset stg-ad-spend)\n"


def test_the_generic_flags(oncall) -> None:
    opened = oncall("alert", "--title", "-5% spend rows since Monday", "--asset", "stg-ad-spend", "--key", "spend.rows",
                    "--severity", "critical", "--started-at", "-2h", "--source", "great_expectations", "--json").json()
    assert opened["opened"] == ["INC-1"]
    incident = oncall("show", "1", "--json").json()["incident"]
    assert incident["title"] == "-5% spend rows since Monday"
    assert incident["severity"] == "SEV-1" and incident["asset"] == "stg-ad-spend"
    assert incident["started_at"] == "2026-11-27T08:00:00Z"  # two hours before the frozen clock
    resolved = oncall("alert", "--key", "spend.rows", "--resolved")
    assert resolved.code == 0 and resolved.out.startswith("recovered INC-1")


def test_an_unknown_asset_is_left_for_the_ic(oncall) -> None:
    result = oncall("alert", "--title", "odd numbers", "--asset", "no-such-table")
    assert result.out == "opened INC-1 SEV-3 odd numbers (triage, asset (unknown))\n"


@pytest.mark.parametrize(("args", "message"), [
    (("alert",), "nothing to take"),
    (("alert", '{"version": "4", "alerts": [{"status": "firing", "labels": []}]}'),
     "the payload: alerts[0].labels: expected an object, got a list"),
    (("alert", "{oops"), "the payload: not JSON"),
    (("alert", "no-such-file.json"), "no-such-file.json: no such file, and not JSON text either"),
    (("alert", "--title", "t", "--severity", "SEV-7"), "--severity: unknown severity \"SEV-7\""),
    (("alert", "--title", "t", "--started-at", "whenever"), "--started-at: cannot read 'whenever' as a time"),
    (("alert", "--asset", "stg-ad-spend"), "--title: missing"),
    (("alert", "{}", "--title", "t"), "give a payload or the flags (--title), not both"),
])
def test_bad_input_exits_2_and_changes_nothing(oncall, args: tuple[str, ...], message: str) -> None:
    result = oncall(*args)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err
    assert oncall("list", "--json").json()["total"] == 0


def test_a_malformed_file_is_named(oncall, tmp_path: Path) -> None:
    broken = tmp_path / "alert.json"
    broken.write_text(json.dumps({"version": "4", "alerts": [{"status": "firing", "labels": {},
                                                             "startsAt": "2026-13-01T00:00:00Z"}]}))
    result = oncall("alert", broken)
    assert result.code == 2
    assert result.err.startswith(f"oncall: {broken}: alerts[0].startsAt: cannot read")


def test_malformed_stdin_is_named(oncall, monkeypatch: pytest.MonkeyPatch) -> None:
    stdin(monkeypatch, b'[{"title": "fine"}, {"title": "also", "status": "maybe"}]')
    result = oncall("alert", "-")
    assert result.code == 2 and "stdin: [1].status" in result.err
    assert oncall("list", "--json").json()["total"] == 0  # the good first alert was not taken alone


def test_an_empty_webhook_says_so(oncall) -> None:
    empty = json.loads((FIXTURES / "alertmanager_firing.json").read_text())
    empty["alerts"] = []
    assert oncall("alert", json.dumps(empty)).out == "the payload held no alerts: nothing to do\n"


# -- oncall serve: what it refuses before listening ---------------------------------------------


def test_serve_beyond_loopback_needs_the_token(oncall, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONCALL_SERVE_TOKEN", raising=False)
    result = oncall("serve", "--host", "0.0.0.0", "--port", "0")
    assert result.code == 2
    assert "ONCALL_SERVE_TOKEN" in result.err and "nothing was started" in result.err
    monkeypatch.setenv("ONCALL_SERVE_TOKEN", "   ")  # blank is no token
    assert oncall("serve", "--host", "0.0.0.0", "--port", "0").code == 2


def test_serve_says_when_the_port_is_taken(oncall) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = oncall("serve", "--port", port)
    assert result.code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.err


@pytest.mark.parametrize(("args", "message"), [
    (("--port", "70000"), "--port 70000"),
    (("--max-body", "0"), "--max-body"),
])
def test_serve_refuses_bad_numbers(oncall, args: tuple[str, ...], message: str) -> None:
    result = oncall("serve", *args)
    assert result.code == 2 and message in result.err


def test_loopback_names() -> None:
    from oncall.cli.alert_cmds import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("[::1]") and is_loopback("127.0.0.2")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("")
    assert not is_loopback("10.1.2.3")


def test_serve_listens_on_a_socket_that_says_tcp() -> None:
    """asyncio turns Nagle off (TCP_NODELAY) only on sockets made with IPPROTO_TCP; on one made
    with 0, every answer waits ~40 ms for the sender's delayed ACK: 10,000 alerts took a minute."""
    from oncall.cli.alert_cmds import bind

    listener = bind("127.0.0.1", 0)
    try:
        assert listener.proto == socket.IPPROTO_TCP
        assert listener.getsockname()[0] == "127.0.0.1"
    finally:
        listener.close()
