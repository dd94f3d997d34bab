"""The pure parts: backoff, the rate gate, Slack escaping, the footer summary, config errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from oncall.sync.escape import mention, slack_escape
from oncall.sync.retry import BackoffPolicy, RateGate, parse_retry_after
from oncall.sync.status import SyncSnapshot, TargetSnapshot, summarize
from oncall.workspace.config import parse_config
from sync_support import FakeTimer


def test_backoff_grows_caps_and_yields_to_retry_after():
    policy = BackoffPolicy(base=1, factor=2, cap=60, jitter=0)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 10)] == [1, 2, 4, 8, 60]
    assert policy.delay(5, retry_after=7) == 7
    assert BackoffPolicy(jitter=0.2).delay(1, rand=lambda: 1.0) == pytest.approx(1.2)
    assert parse_retry_after("30") == 30 and parse_retry_after(None) == 1 and parse_retry_after("soon") == 1


def test_the_gate_waits_out_retry_after_then_paces_to_what_got_through():
    timer = FakeTimer(start=1000.0)
    gate = RateGate(timer)
    for _ in range(20):  # 20 requests get through in the first tenth of a second...
        gate.succeeded(gate.acquire())
        timer.advance(0.005)
    gate.refused(retry_after=2)  # ...then the service says: too many, come back in 2 s
    started = gate.acquire()
    assert started == pytest.approx(timer.now) and timer.sleeps[-1] == pytest.approx(2.0)
    assert gate.interval == pytest.approx(1.05 / 20)  # a little under 20 per second from now on
    second = gate.acquire()
    assert second - started == pytest.approx(gate.interval)
    assert (gate.requests, gate.refusals) == (22, 1)


def test_a_gate_with_no_refusals_never_waits():
    timer = FakeTimer()
    gate = RateGate(timer)
    for _ in range(100):
        gate.succeeded(gate.acquire())
    assert timer.sleeps == []


@pytest.mark.parametrize("typed, shown", [
    ("<!channel> look", "&lt;!channel&gt; look"),
    ("hey @here and @channel, @everyone", "hey @\u200bhere and @\u200bchannel, @\u200beveryone"),
    ("<https://evil.example|click me>", "&lt;https://evil.example|click me&gt;"),
    ("<@U123ABC> & co", "&lt;@U123ABC&gt; &amp; co"),
    ("plain words", "plain words"),
])
def test_typed_text_cannot_ping_or_link(typed, shown):
    assert slack_escape(typed) == shown


def test_mentions_only_for_real_slack_ids():
    assert mention("U07MAYA01", "Maya") == "<@U07MAYA01>"
    assert mention("", "Maya <!here>") == "Maya &lt;!here&gt;"


@pytest.mark.parametrize("targets, state, text", [
    ((), "offline", "offline"),
    ((TargetSnapshot("jira"), TargetSnapshot("slack")), "synced", "all synced"),
    ((TargetSnapshot("jira", pending=3), TargetSnapshot("slack", pending=2, last_error="Slack answered HTTP 503")),
     "pending", "5 pending (retrying: Slack answered HTTP 503)"),
    ((TargetSnapshot("jira", pending=4, problem="set the environment variable ONCALL_JIRA_TOKEN"),),
     "failing", "failing: Jira — set the environment variable ONCALL_JIRA_TOKEN (4 pending)"),
    ((TargetSnapshot("jira"), TargetSnapshot("slack", failed=1, last_error="Slack said channel_not_found")),
     "failing", "failing: Slack — Slack said channel_not_found (1 failed)"),
])
def test_the_footer_summary(targets, state, text):
    summary = summarize(SyncSnapshot(targets))
    assert (summary.state, summary.text) == (state, text)


@pytest.mark.parametrize("section, key, words", [
    ({"jira": {"server": "jira.example.com", "project": "DATA"}}, "jira.server", "https://"),
    ({"jira": {"server": "https://x", "project": "DATA", "token": "oops"}}, "jira.token", "unknown key"),
    ({"jira": {"server": "https://x"}}, "jira.project", "missing"),
    ({"jira": {"server": "https://x", "project": "DATA", "deployment": "datacenter"}}, "jira.deployment", "cloud"),
    ({"jira": {"server": "https://x", "project": "DATA", "priorities": {"SEV-9": "High"}}}, "jira.priorities", "SEV-9"),
    ({"jira": {"server": "https://x", "project": "DATA", "transitions": {"fixed": "Done"}}}, "jira.transitions", "fixed"),
    ({"slack": {}}, "slack.channel", "missing"),
    ({"slack": {"channel": "#x", "broadcast_severities": ["SEV-7"]}}, "slack.broadcast_severities", "SEV-7"),
])
def test_bad_sync_config_names_the_key(section, key, words, tmp_path: Path):
    config, problems = parse_config(section, tmp_path / "oncall.toml")
    assert any(p.key == key and words in p.message for p in problems), [str(p) for p in problems]


def test_sync_modules_never_import_textual():
    code = ("import sys, oncall.sync.worker, oncall.sync.status, oncall.sync.doctor, oncall.cli.sync_cmds; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
