"""Reports made in #data-incidents, against the local Slack server: a person's message someone
reacts to with the report emoji, or that starts with the report prefix, becomes one triage item
in the pass that reads it, and its author is answered in that message's thread, then again when
the IC declares or dismisses the item."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from oncall.domain.detection import DetectionSource
from oncall.domain.intake import UNKNOWN_ASSET
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.incidents import Declaration, IncidentService
from oncall.store.intake import IntakeRepository, SyncState
from oncall.sync import pull
from oncall.sync.worker import REPORTS_EVERY_SECONDS, REPORTS_PROBLEM
from oncall.workspace.loader import load_workspace
from sync_fakes.slack_server import BOT_USER
from sync_support import FakeTimer, configure

INCIDENTS = "C0INCIDENTS"
SOFIA, LUKAS, OMAR, ANALYST = "U07SOFI07", "U07LUKA04", "U07OMAR06", "U0ANALYST9"  # the first three on the roster
REPORT_KEYS = ("report_emoji", "report_prefix", "known_issues_pin", "known_issues_channel")


@pytest.fixture
def timer(clock) -> FakeTimer:
    """The worker's time is the frozen clock's, as the fake stamps its messages with it."""
    return FakeTimer(clock.now().timestamp())


def reporting(workspace, jira_server, slack_server, **keys: str):
    """Slack and Jira configured, reports taken as by default, the pinned list off (its own tests)."""
    synced = configure(workspace, jira_server, slack_server)
    settings = {"report_emoji": '"rotating_light"', "report_prefix": '"data issue:"', "known_issues_pin": "false",
                **keys}
    head, _, rest = synced.config_path.read_text("utf-8").partition("[slack]\n")
    kept = "".join(line for line in rest.splitlines(keepends=True) if line.split("=")[0].strip() not in REPORT_KEYS)
    lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
    synced.config_path.write_text(f"{head}[slack]\n{lines}{kept}", "utf-8")
    loaded = load_workspace(synced.root, strict=True)
    assert loaded.problems == []
    return loaded


def incidents(service) -> list:
    rows = service.db.conn.execute("SELECT id FROM incidents ORDER BY id").fetchall()
    return [service.get(row[0]) for row in rows]


def answers(slack_server, ts: str) -> list[str]:
    """This app's replies in the thread of the message at `ts`."""
    return [m.text for m in slack_server.replies_to(ts) if m.user == BOT_USER]


def test_a_reaction_on_a_persons_message_opens_one_item_answered_in_its_thread_in_the_same_pass(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = reporting(workspace, jira_server, slack_server)
    said = slack_server.post_as_person(SOFIA, "The Weekly CAC dashboard shows 0 for last week")
    for person in (LUKAS, OMAR, SOFIA):
        slack_server.react(said.ts, "rotating_light", person)
    worker = make_worker(synced)

    report = worker.run_pass()

    [item] = incidents(service)
    assert (item.status, item.source, item.severity) == (Status.TRIAGE, DetectionSource.USER_REPORT, Severity.SEV3)
    assert item.reported_by == "sofia", "the author reported it (the roster person with that Slack id)"
    assert item.asset == "cac-dashboard", "guessed from the asset's name in the message"
    assert item.title == "The Weekly CAC dashboard shows 0 for last week"
    kept = IntakeRepository(service.db).of_incident(item.id)
    assert kept.link == slack_server.permalink(said.ts) and kept.slack_thread == (INCIDENTS, said.ts)
    [answer] = answers(slack_server, said.ts)
    assert answer.startswith("<@U07SOFI07> Hi Sofia Castro,") and "Thank you for telling us" in answer
    assert report.reports is not None and report.reports.opened == [item.id]
    assert BOT_USER in slack_server.message_at(said.ts).reactions["eyes"], "claimed: the team's other laptops leave it"
    flagged = [e.text for e in service.events(item.id) if "flagged with" in e.text]
    assert flagged == ["reported in Slack by Sofia Castro (U07SOFI07); flagged with :rotating_light: by "
                       "Lukas Meyer (U07LUKA04), Omar Haddad (U07OMAR06)"]
    assert any(kept.link in c["body"] for c in jira_server.issues["DATA-1"].comments), "the link is on the issue"

    slack_server.react(said.ts, "rotating_light", ANALYST)
    worker.timer.advance(REPORTS_EVERY_SECONDS)
    assert worker.drain().complete

    assert len(incidents(service)) == 1, "one message, one item, however many people react"
    assert len(answers(slack_server, said.ts)) == 1, "and one acknowledgement"


def test_a_message_with_the_prefix_opens_an_item_and_a_person_off_the_roster_is_answered_by_their_id(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = reporting(workspace, jira_server, slack_server)
    said = slack_server.post_as_person(ANALYST, "*DATA ISSUE:* spend for Brazil is blank <!here> since Monday")

    assert make_worker(synced).drain().complete

    [item] = incidents(service)
    assert item.reported_by == ANALYST and item.asset == UNKNOWN_ASSET, "no asset named: the IC chooses"
    assert item.title == "spend for Brazil is blank @here since Monday", "the prefix is not the title"
    [answer] = answers(slack_server, said.ts)
    assert answer.startswith("<@U0ANALYST9> ") and "<!here>" not in answer, "what people typed pings nobody"
    assert any("no asset named: the IC chooses" in e.text for e in service.events(item.id))
    [parent] = [m for m in slack_server.parents_in() if m.user == BOT_USER]
    assert "triage" in parent.text, "the item has its incident message like any triage item"
    assert answer not in [r.text for r in slack_server.replies_to(parent.ts)], \
        "the reporter's answer is in their own thread, not the incident's"


def test_bot_messages_this_apps_own_thread_replies_and_plain_messages_make_nothing(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = reporting(workspace, jira_server, slack_server)
    service = IncidentService(service.db, synced.config, service.clock, "maya")
    service.declare(Declaration(title="Finance table stale", severity=Severity.SEV2, asset="cac-dashboard",
                                ic="maya"))
    worker = make_worker(synced)
    assert worker.drain().complete
    [ours] = slack_server.parents_in()
    slack_server.react(ours.ts, "rotating_light", LUKAS)  # someone marks our incident message as urgent
    other_bot = slack_server.post_as_other_bot("data issue: disk 91% full on etl-3")
    slack_server.react(other_bot.ts, "rotating_light", LUKAS)
    asked = slack_server.post_as_person(SOFIA, "is the CAC dashboard refreshed yet?")
    reply = slack_server.post_as_person(OMAR, "data issue: still zero", thread_ts=asked.ts)
    broadcast = slack_server.post_as_person(OMAR, "data issue: and here", thread_ts=asked.ts, broadcast=True)
    slack_server.react(broadcast.ts, "rotating_light", LUKAS)
    joined = slack_server.post_as_person(ANALYST, "data issue: has joined the channel", subtype="channel_join")

    worker.timer.advance(REPORTS_EVERY_SECONDS)
    assert worker.drain().complete

    assert [i.title for i in incidents(service)] == ["Finance table stale"]
    for ts in (other_bot.ts, asked.ts, reply.ts, broadcast.ts, joined.ts):
        assert answers(slack_server, ts) == []
    assert not slack_server.calls("reactions.add"), "nothing was claimed"


def test_declaring_the_item_tells_the_reporter_in_their_thread(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = reporting(workspace, jira_server, slack_server)
    said = slack_server.post_as_person(SOFIA, "data issue: fct_weekly_cac doubled overnight")
    worker = make_worker(synced)
    assert worker.drain().complete
    [item] = incidents(service)
    assert item.asset == "fct-weekly-cac"

    ic = IncidentService(service.db, synced.config, service.clock, "maya")
    ic.change_severity(item.id, Severity.SEV2, "the leadership dashboard reads it")
    ic.change_status(item.id, Status.INVESTIGATING)
    assert worker.drain().complete

    first, second = answers(slack_server, said.ts)
    assert "Thank you for telling us" in first
    assert second.startswith("<@U07SOFI07> ") and "You were right" in second and "SEV-2" in second
    parent = next(p for p in slack_server.parents_in() if p.metadata)
    assert "*SEV-2* · *investigating*" in parent.text, "the incident message follows, kept current"


def test_dismissing_the_item_tells_the_reporter_why_in_their_thread(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = reporting(workspace, jira_server, slack_server)
    said = slack_server.post_as_person(ANALYST, "the Marketing ROI dashboard jumped 40%")
    slack_server.react(said.ts, "rotating_light", LUKAS)
    worker = make_worker(synced)
    assert worker.drain().complete
    [item] = incidents(service)
    assert item.asset == "marketing-roi-dashboard" and item.reported_by == ANALYST

    IncidentService(service.db, synced.config, service.clock, "maya").change_status(
        item.id, Status.DISMISSED, "a campaign launched on Monday: the jump is real")
    assert worker.drain().complete

    _, note = answers(slack_server, said.ts)
    assert note.startswith("<@U0ANALYST9> ") and "the data is not wrong" in note
    assert "Why: a campaign launched on Monday: the jump is real" in note


def test_a_second_pass_makes_nothing_new(workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = reporting(workspace, jira_server, slack_server)
    said = slack_server.post_as_person(SOFIA, "data issue: ad_spend is empty")
    worker = make_worker(synced)
    assert worker.drain().complete
    requests = len(slack_server.exchanges)

    worker.timer.advance(REPORTS_EVERY_SECONDS)
    assert worker.drain().complete

    assert len(incidents(service)) == 1 and len(answers(slack_server, said.ts)) == 1
    assert [e.path for e in slack_server.exchanges[requests:]] == ["/api/conversations.history"], \
        "the channel is read again and nothing else is asked"


def test_an_answer_whose_reply_was_lost_is_found_in_the_reporters_thread_not_posted_twice(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = reporting(workspace, jira_server, slack_server)
    said = slack_server.post_as_person(SOFIA, "data issue: stg_new_customers has no rows for Monday")
    # The incident message, the note linking the report, then the answer: posted, its answer lost.
    slack_server.fail("drop", match="chat.postMessage", skip=2)

    assert make_worker(synced).drain().complete

    assert len(answers(slack_server, said.ts)) == 1
    looked = [e for e in slack_server.calls("conversations.replies") if {**e.query, **(e.body or {})}["ts"] == said.ts]
    assert looked, "it looked in the reporter's thread before posting again"


def test_a_report_a_teammates_laptop_claimed_is_left_to_it(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = reporting(workspace, jira_server, slack_server)
    theirs = slack_server.post_as_person(SOFIA, "data issue: CAC is zero")
    slack_server.react(theirs.ts, "eyes", BOT_USER)  # their oncall claimed it; the item reaches us through Jira
    ours = slack_server.post_as_person(OMAR, "data issue: ROI is zero")
    slack_server.react(ours.ts, "eyes", BOT_USER)  # our own claim, made just before this laptop stopped
    SyncState(service.db).put(pull.CLAIMS, json.dumps({ours.ts: "1"}))

    assert make_worker(synced).drain().complete

    assert [i.title for i in incidents(service)] == ["ROI is zero"]
    assert answers(slack_server, theirs.ts) == [] and len(answers(slack_server, ours.ts)) == 1
    assert SyncState(service.db).get(pull.CLAIMS) == "{}"
    assert not slack_server.calls("reactions.add"), "both claims were seen in the history: nothing to ask"


def test_a_claim_a_teammate_made_meanwhile_leaves_the_report_to_them(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = reporting(workspace, jira_server, slack_server)
    said = slack_server.post_as_person(SOFIA, "data issue: CAC is zero")
    # Their laptop reacts between this laptop's read of the channel and its own claim.
    slack_server.fail("refuse", match="reactions.add", error="already_reacted")

    assert make_worker(synced).drain().complete

    assert incidents(service) == [] and answers(slack_server, said.ts) == []
    assert SyncState(service.db).get(pull.CLAIMS) == "{}"


def test_a_slack_error_reading_reports_stops_nothing_else_and_is_said(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = reporting(workspace, jira_server, slack_server)
    service = IncidentService(service.db, synced.config, service.clock, "maya")
    service.declare(Declaration(title="Finance table stale", severity=Severity.SEV2, asset="cac-dashboard",
                                ic="maya"))
    said = slack_server.post_as_person(SOFIA, "data issue: CAC is zero")
    slack_server.fail("503", match="conversations.history")
    worker = make_worker(synced)

    report = worker.drain()

    assert report.complete and [m.user for m in slack_server.parents_in()] == [SOFIA, BOT_USER], \
        "the incident went out (its message and Jira's)"
    assert "DATA-1" in jira_server.issues
    assert [i.title for i in incidents(service)] == ["Finance table stale"]
    problem = SyncState(service.db).get(REPORTS_PROBLEM)
    assert problem.startswith("reports in Slack not read: Slack answered HTTP 503"), problem

    worker.timer.advance(REPORTS_EVERY_SECONDS)
    assert worker.drain().complete
    assert [i.title for i in incidents(service)] == ["Finance table stale", "CAC is zero"]
    assert len(answers(slack_server, said.ts)) == 1 and SyncState(service.db).get(REPORTS_PROBLEM) == ""


def test_with_both_ways_turned_off_the_channel_is_not_read(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = reporting(workspace, jira_server, slack_server, report_emoji='""', report_prefix='""')
    slack_server.post_as_person(SOFIA, "data issue: CAC is zero")
    assert make_worker(synced).drain().complete
    assert incidents(service) == [] and not slack_server.calls("conversations.history")


def test_another_emoji_and_prefix_as_configured(workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = reporting(workspace, jira_server, slack_server, report_emoji='":warning:"', report_prefix='"broken:"')
    flagged = slack_server.post_as_person(SOFIA, "CAC blank")
    slack_server.react(flagged.ts, "warning", LUKAS)
    slack_server.react(slack_server.post_as_person(OMAR, "ROI blank").ts, "rotating_light", LUKAS)
    slack_server.post_as_person(OMAR, "Broken: ad_spend")
    slack_server.post_as_person(OMAR, "data issue: new_customers")
    assert make_worker(synced).drain().complete
    assert [i.title for i in incidents(service)] == ["CAC blank", "ad_spend"]


def test_every_page_of_the_channel_is_read(workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = reporting(workspace, jira_server, slack_server)
    slack_server.page_size = 2
    for number in range(5):
        slack_server.post_as_person(SOFIA, f"data issue: number {number} looks wrong")
        slack_server.post_as_person(OMAR, f"just chatting {number}")

    assert make_worker(synced).drain().complete

    assert [i.title for i in incidents(service)] == [f"number {n} looks wrong" for n in range(5)], \
        "oldest first, as they were reported"
    pages = [{**e.query, **(e.body or {})} for e in slack_server.calls("conversations.history")]
    assert len(pages) == 5 and [page.get("cursor") for page in pages][1:] == ["2", "4", "6", "8"]


def test_after_a_gap_prefix_reports_are_caught_up_and_old_messages_take_no_new_reactions(
        workspace, service, jira_server, slack_server, tokens, make_worker, clock):
    synced = reporting(workspace, jira_server, slack_server)
    worker = make_worker(synced)
    assert worker.drain().complete  # the channel read once: nothing in it
    clock.advance(timedelta(hours=1))
    old = slack_server.post_as_person(SOFIA, "the ROI dashboard looks odd")  # nobody flags it yet
    missed = slack_server.post_as_person(OMAR, "data issue: ad_spend is empty")
    gone_for = timedelta(days=2)  # this laptop was off meanwhile
    clock.advance(gone_for)
    worker.timer.advance(gone_for.total_seconds() + 3600)

    assert worker.drain().complete
    assert [i.title for i in incidents(service)] == ["ad_spend is empty"]
    assert len(answers(slack_server, missed.ts)) == 1

    slack_server.react(old.ts, "rotating_light", LUKAS)  # two days on: outside the day reactions are looked for
    worker.timer.advance(REPORTS_EVERY_SECONDS)
    assert worker.drain().complete
    assert [i.title for i in incidents(service)] == ["ad_spend is empty"] and answers(slack_server, old.ts) == []


def test_a_claim_slack_refuses_still_takes_the_report_and_says_so(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = reporting(workspace, jira_server, slack_server)
    said = slack_server.post_as_person(SOFIA, "data issue: CAC is zero")
    slack_server.fail("refuse", match="reactions.add", error="too_many_reactions")

    assert make_worker(synced).drain().complete

    assert [i.title for i in incidents(service)] == ["CAC is zero"] and len(answers(slack_server, said.ts)) == 1
    assert SyncState(service.db).get(REPORTS_PROBLEM) == (
        "reports are taken without claiming them (Slack said too_many_reactions while reacting to a report)")
