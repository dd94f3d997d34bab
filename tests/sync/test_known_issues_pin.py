"""The known-issues list pinned in #data-incidents, against the local Slack server: posted and
pinned once, then kept current with chat.update (never posted again while it can be edited),
posted again only when it was deleted, and never twice after a lost answer."""

from __future__ import annotations

import pytest

from oncall.domain.detection import DetectionSource
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.incidents import Declaration, IncidentService
from oncall.store.intake import SyncState
from oncall.sync import known_issues_pin
from oncall.sync.known_issues_pin import EVENT_TYPE, PAUSE_SECONDS, PROBLEM, REFRESH_SECONDS, RETRY_SECONDS
from oncall.workspace.loader import load_workspace
from sync_fakes.slack_server import BOT_USER, FakeMessage
from sync_support import FakeTimer, configure

INCIDENTS, STATUS, DRILLS = "C0INCIDENTS", "C0STATUS", "C0DRILLS"
REPORT_KEYS = ("report_emoji", "report_prefix", "known_issues_pin", "known_issues_channel")


@pytest.fixture
def timer(clock) -> FakeTimer:
    """The worker's time is the frozen clock's (the list's times, the fake's message ts)."""
    return FakeTimer(clock.now().timestamp())


def pinning(workspace, jira_server, slack_server, extra: str = "", **keys: str):
    """Slack and Jira configured, the pinned list on as by default, reports off (their own tests)."""
    synced = configure(workspace, jira_server, slack_server, extra=extra)
    settings = {"report_emoji": '""', "report_prefix": '""', "known_issues_pin": "true", **keys}
    head, _, rest = synced.config_path.read_text("utf-8").partition("[slack]\n")
    kept = "".join(line for line in rest.splitlines(keepends=True) if line.split("=")[0].strip() not in REPORT_KEYS)
    lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
    synced.config_path.write_text(f"{head}[slack]\n{lines}{kept}", "utf-8")
    loaded = load_workspace(synced.root, strict=True)
    assert loaded.problems == []
    return loaded


def lists_in(slack_server, channel: str = INCIDENTS) -> list[FakeMessage]:
    """The known-issues messages in the channel (by their metadata)."""
    return [m for m in slack_server.parents_in(channel) if (m.metadata or {}).get("event_type") == EVENT_TYPE]


def calls_about_the_list(slack_server, start: int = 0) -> list[str]:
    """The requests that post, edit, pin or look for the list (an incident message's edits aside)."""
    def about_the_list(method: str, sent: dict) -> bool:
        if method == "chat.postMessage":
            return (sent.get("metadata") or {}).get("event_type") == EVENT_TYPE
        if method == "chat.update":
            return str(sent.get("text", "")).startswith("*Known data issues*")
        return method in ("pins.add", "pins.list")

    return [method for e in slack_server.exchanges[start:]
            if about_the_list(method := e.path.removeprefix("/api/"), {**e.query, **(e.body or {})})]


def declare(synced, service, title: str = "CAC is zero", asset: str = "cac-dashboard", **more):
    incidents = IncidentService(service.db, synced.config, service.clock, "maya")
    return incidents, incidents.declare(Declaration(title=title, severity=Severity.SEV2, asset=asset, ic="maya",
                                                    **more))


def test_the_first_pass_posts_the_list_and_pins_it(workspace, service, jira_server, slack_server, tokens,
                                                     make_worker):
    synced = pinning(workspace, jira_server, slack_server)

    assert make_worker(synced).drain().complete

    [pinned] = lists_in(slack_server)
    assert pinned.pinned and slack_server.pinned_in() == [pinned]
    assert pinned.text.startswith("*Known data issues*") and "No known data issues" in pinned.text
    assert pinned.metadata["event_payload"] == {"workspace": synced.config.workspace.name}


def test_a_change_edits_the_same_message_and_no_change_asks_nothing(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = pinning(workspace, jira_server, slack_server)
    worker = make_worker(synced)
    assert worker.drain().complete
    [pinned] = lists_in(slack_server)

    incidents, incident = declare(synced, service, "Weekly CAC doubled", asset="fct-weekly-cac")
    assert worker.drain().complete

    [edited] = lists_in(slack_server)
    assert edited.ts == pinned.ts and edited.edits == 1, "kept current with chat.update, never reposted"
    assert "fct_weekly_cac (warehouse table)" in edited.text and "Weekly CAC doubled" in edited.text
    assert "Marketing ROI dashboard" in edited.text, "what reads from it is affected too"

    start = len(slack_server.exchanges)
    worker.timer.advance(5)
    worker.run_pass()
    assert calls_about_the_list(slack_server, start) == [], "the list says the same: no call"

    incidents.change_status(incident.id, Status.RESOLVED)
    worker.drain()
    assert lists_in(slack_server)[0].edits == 2 and "No known data issues" in lists_in(slack_server)[0].text
    assert [m.text for m in slack_server.pinned_in()] == [lists_in(slack_server)[0].text]


def test_an_unchanged_list_is_edited_once_an_hour_so_last_checked_stays_true(
        workspace, service, jira_server, slack_server, tokens, make_worker, clock):
    synced = pinning(workspace, jira_server, slack_server)
    worker = make_worker(synced)
    assert worker.drain().complete
    start = len(slack_server.exchanges)

    worker.timer.advance(REFRESH_SECONDS - 1)
    worker.run_pass()
    assert calls_about_the_list(slack_server, start) == []
    worker.timer.advance(1)
    worker.run_pass()
    assert calls_about_the_list(slack_server, start) == ["chat.update"]


def test_a_deleted_list_is_posted_again_and_pinned(workspace, service, jira_server, slack_server, tokens,
                                                   make_worker):
    synced = pinning(workspace, jira_server, slack_server)
    worker = make_worker(synced)
    assert worker.drain().complete
    [first] = lists_in(slack_server)
    slack_server.delete_message(first.ts)

    declare(synced, service)
    assert worker.drain().complete

    [again] = lists_in(slack_server)
    assert again.ts != first.ts and again.pinned and "CAC is zero" in again.text
    assert calls_about_the_list(slack_server)[-3:] == ["chat.update", "chat.postMessage", "pins.add"], \
        "the edit said message_not_found; then a new one, pinned"


def test_a_lost_answer_to_the_first_post_does_not_make_two(workspace, service, jira_server, slack_server, tokens,
                                                           make_worker):
    synced = pinning(workspace, jira_server, slack_server)
    slack_server.fail("drop", match="chat.postMessage")  # posted, but its answer never comes back
    worker = make_worker(synced)
    worker.run_pass()
    assert len(lists_in(slack_server)) == 1 and not slack_server.pinned_in()

    worker.timer.advance(RETRY_SECONDS)
    worker.run_pass()

    [found] = lists_in(slack_server)
    assert found.pinned, "found by its metadata in the channel's history, and pinned"
    assert calls_about_the_list(slack_server) == ["pins.list", "chat.postMessage", "chat.update", "pins.add"]
    assert slack_server.calls("conversations.history"), "looked before posting again"


def test_a_list_a_teammates_laptop_pinned_is_kept_not_doubled(workspace, service, jira_server, slack_server, tokens,
                                                               make_worker):
    synced = pinning(workspace, jira_server, slack_server)
    theirs = slack_server.post_as_teammate("unused", "*Known data issues*\n\nold text")
    theirs.metadata = {"event_type": EVENT_TYPE, "event_payload": {"workspace": synced.config.workspace.name}}
    theirs.pinned = True
    ours_from_elsewhere = slack_server.post_as_teammate("unused", "an incident message someone pinned")
    ours_from_elsewhere.pinned = True
    slack_server.post_as_person("U07LUKA04", "a person's pinned note").pinned = True

    assert make_worker(synced).drain().complete

    assert [m.ts for m in lists_in(slack_server)] == [theirs.ts], "no second list"
    assert theirs.edits == 1 and "No known data issues" in theirs.text
    assert "pins.add" not in calls_about_the_list(slack_server), "pinned already"


def test_the_list_can_have_a_channel_of_its_own(workspace, service, jira_server, slack_server, tokens, make_worker):
    slack_server.add_channel(STATUS, "data-status")
    synced = pinning(workspace, jira_server, slack_server, known_issues_channel='"#data-status"')
    declare(synced, service)

    assert make_worker(synced).drain().complete

    assert lists_in(slack_server) == [] and [m.pinned for m in lists_in(slack_server, STATUS)] == [True]
    assert "CAC is zero" in lists_in(slack_server, STATUS)[0].text


def test_a_drill_is_never_on_the_list(workspace, service, jira_server, slack_server, tokens, make_worker):
    slack_server.add_channel(DRILLS, "data-drills")
    synced = pinning(workspace, jira_server, slack_server, extra='\n[drills]\nslack_channel = "#data-drills"\n')
    declare(synced, service, "Drill: finance table stale", source=DetectionSource.DRILL)

    assert make_worker(synced).drain().complete

    [pinned] = lists_in(slack_server)
    assert "No known data issues" in pinned.text and "Drill" not in pinned.text
    assert lists_in(slack_server, DRILLS) == []
    assert all(m.user == BOT_USER for m in slack_server.parents_in(DRILLS)), "the drill itself went to its channel"


def test_a_refused_pin_stops_only_the_list_and_says_why(workspace, service, jira_server, slack_server, tokens,
                                                        make_worker):
    synced = pinning(workspace, jira_server, slack_server)
    slack_server.fail("refuse", match="pins.add", error="no_permission")
    declare(synced, service)
    worker = make_worker(synced)

    assert worker.drain().complete, "the incident went out"

    [posted] = lists_in(slack_server)
    assert not posted.pinned
    assert SyncState(service.db).get(PROBLEM).startswith("the pinned known-issues list: Slack said no_permission")
    assert any(p.metadata and p.metadata["event_type"] == "oncall_incident" for p in slack_server.parents_in())

    worker.timer.advance(PAUSE_SECONDS)
    worker.run_pass()
    assert posted.pinned and len(lists_in(slack_server)) == 1 and SyncState(service.db).get(PROBLEM) == ""


def test_turned_off_nothing_is_posted(workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = pinning(workspace, jira_server, slack_server, known_issues_pin="false")
    declare(synced, service)
    assert make_worker(synced).drain().complete
    assert lists_in(slack_server) == [] and calls_about_the_list(slack_server) == []
    assert SyncState(service.db).get(known_issues_pin.STATE) is None
