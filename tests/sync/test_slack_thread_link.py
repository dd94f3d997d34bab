"""The Jira issue links to the incident's Slack thread, and a teammate's laptop finds the thread
through that link however long before their issue it was posted."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from oncall.cli import main
from oncall.store.remote_ids import RemoteIds
from oncall.sync.thread_link import REFUSED_STATE, global_id
from sync_support import configure
from test_end_to_end import DECLARATION

TEAMMATE_LABEL = "oncall-beef0001-inc-3"


def remote_link_posts(jira_server):
    return [e for e in jira_server.exchanges if e.method == "POST" and e.path.endswith("/remotelink")]


def test_the_issue_links_to_its_slack_thread_once(synced, service, jira_server, slack_server, make_worker, specs):
    incident = service.declare(DECLARATION)
    assert make_worker(synced).drain().complete

    [issue] = jira_server.issues.values()
    [parent] = slack_server.parents_in()
    label = RemoteIds(service.db).label_for(incident.id)
    [link] = issue.remote_links
    assert link["globalId"] == global_id(label)
    assert link["object"]["url"] == slack_server.permalink(parent.ts)
    assert link["object"]["title"] == "Slack thread"  # the same on every laptop, whose numbers differ
    assert link["object"]["summary"] == DECLARATION.title

    # Another pass, and even a laptop that forgot it linked (a restored backup), add no second link.
    service.add_note(incident.id, "row counts checked")
    assert make_worker(synced).drain().complete
    assert len(remote_link_posts(jira_server)) == 1
    RemoteIds(service.db).update_incident(incident.id, jira_thread_link="")
    assert make_worker(synced).drain().complete
    posts = remote_link_posts(jira_server)
    assert len(posts) == 2 and posts[-1].status == 200  # Jira updated the link with that global id
    assert len(issue.remote_links) == 1


@pytest.mark.parametrize("days_before", [3, 45])
def test_a_teammates_thread_posted_days_before_their_issue_is_reused(days_before, workspace, service, clock,
                                                                     jira_server, slack_server, tokens,
                                                                     make_worker, specs):
    # Their laptop reached Slack, then Jira only days later; then it linked the two.
    theirs = slack_server.post_as_teammate(TEAMMATE_LABEL, "*SEV-2* · *investigating* · INC-3: their incident")
    clock.advance(timedelta(days=days_before))
    issue = jira_server.add_issue("[SEV-2] Their incident", ["data-incident", "sev-2", TEAMMATE_LABEL],
                                  status="In Progress")
    jira_server.add_remote_link(issue.key, global_id(TEAMMATE_LABEL), slack_server.permalink(theirs.ts))

    worker = make_worker(configure(workspace, jira_server, slack_server))
    assert worker.drain().complete
    service.add_note(1, "we can help: the ads export is back")
    assert worker.drain().complete

    assert [m.ts for m in slack_server.parents_in()] == [theirs.ts]  # no second incident message
    assert [r.text.split(": ", 1)[1] for r in slack_server.replies_to(theirs.ts)] == [
        "we can help: the ads export is back"]
    assert not slack_server.calls("conversations.history")  # the link was enough: no scan of the channel
    assert len(issue.remote_links) == 1 and not remote_link_posts(jira_server)


def test_without_a_link_a_thread_days_older_than_the_issue_is_found_in_the_channel(workspace, service, clock,
                                                                                   jira_server, slack_server, tokens,
                                                                                   make_worker, specs):
    # An issue from before links existed: the channel is scanned, well before the issue's creation.
    theirs = slack_server.post_as_teammate(TEAMMATE_LABEL, "*SEV-2* their incident")
    clock.advance(timedelta(days=3))
    issue = jira_server.add_issue("[SEV-2] Their incident", ["data-incident", "sev-2", TEAMMATE_LABEL],
                                  status="In Progress")
    worker = make_worker(configure(workspace, jira_server, slack_server))
    assert worker.drain().complete
    service.add_note(1, "we can help")
    assert worker.drain().complete

    assert [m.ts for m in slack_server.parents_in()] == [theirs.ts]
    assert slack_server.calls("conversations.history")
    # Now that this laptop knows both ends, it links them for everyone else.
    [link] = issue.remote_links
    assert (link["globalId"], link["object"]["url"]) == (global_id(TEAMMATE_LABEL), slack_server.permalink(theirs.ts))


def test_a_jira_that_refuses_links_still_syncs_everything_and_doctor_says_why(synced, service, jira_server,
                                                                              slack_server, make_worker, timer,
                                                                              capsys, specs):
    jira_server.may_link = False
    incident = service.declare(DECLARATION)
    service.add_note(incident.id, "the ads export is empty")
    worker = make_worker(synced)
    report = worker.drain()

    assert report.complete, report.lines()
    [issue] = jira_server.issues.values()
    [parent] = slack_server.parents_in()
    assert [c["body"].split(")")[0] for c in issue.comments] == ["*Update* (maya"]
    assert len(slack_server.replies_to(parent.ts)) == 1
    assert issue.remote_links == []
    refusal = RemoteIds(service.db).state(REFUSED_STATE)
    assert "Link Issues permission in project DATA" in refusal
    assert "jira" not in worker.blocked  # a refused link is not refused credentials

    # Not asked again on every pass, but again an hour later (someone may have granted it).
    service.add_note(incident.id, "backfill running")
    assert worker.drain().complete
    assert len(remote_link_posts(jira_server)) == 1
    jira_server.may_link = True
    timer.advance(3601)
    assert worker.drain().complete
    assert len(issue.remote_links) == 1 and RemoteIds(service.db).state(REFUSED_STATE) == ""

    jira_server.may_link = False
    assert main(["doctor", "--workspace", str(synced.root)]) == 0  # a warning: the sync works without links
    out = capsys.readouterr().out
    assert "WARN  Jira links to Slack threads: the account lacks the Link Issues permission in project DATA" in out


def test_one_sync_links_every_issue_even_past_one_passs_share(synced, service, jira_server, slack_server,
                                                               make_worker):
    from oncall.sync.thread_link import LINKS_PER_PASS

    for n in range(LINKS_PER_PASS + 3):
        service.declare(dataclasses.replace(DECLARATION, title=f"incident {n}"))
    assert make_worker(synced).drain().complete
    assert all(len(issue.remote_links) == 1 for issue in jira_server.issues.values())
    assert len(jira_server.issues) == LINKS_PER_PASS + 3


def test_an_issue_that_cannot_be_linked_never_holds_the_others_back(synced, service, jira_server, slack_server,
                                                                      make_worker, timer):
    for n in range(3):
        service.declare(dataclasses.replace(DECLARATION, title=f"incident {n}"))
    jira_server.fail("503", match="/remotelink", times=1000)  # Jira has a bad spell while linking
    worker = make_worker(synced)
    assert worker.drain().complete
    assert [len(i.remote_links) for i in jira_server.issues.values()] == [0, 0, 0]
    asked = len(remote_link_posts(jira_server))
    for _ in range(3):
        worker.run_pass()
    assert len(remote_link_posts(jira_server)) == asked  # it waits, rather than asking on every pass

    jira_server.faults.clear()  # Jira is back, but someone deleted the first incident's issue meanwhile
    del jira_server.issues[RemoteIds(service.db).incident(1).jira_key]
    timer.advance(61)
    assert worker.drain().complete
    assert [len(i.remote_links) for i in jira_server.issues.values()] == [1, 1]
    assert RemoteIds(service.db).incident(1).jira_thread_link.startswith("not linked: Jira answered HTTP 404")
    timer.advance(61)
    posts = len(remote_link_posts(jira_server))
    assert worker.drain().complete and len(remote_link_posts(jira_server)) == posts  # not asked about again


def test_a_rate_limit_while_linking_is_not_waited_out(synced, service, jira_server, slack_server, make_worker,
                                                      timer):
    service.declare(DECLARATION)
    jira_server.fail("429", match="/remotelink", retry_after=300)
    worker = make_worker(synced)
    assert worker.drain().complete
    assert max(timer.sleeps, default=0) < 300  # the pass moved on; the link waits for a later one
    timer.advance(301)
    assert worker.drain().complete
    [issue] = jira_server.issues.values()
    assert len(issue.remote_links) == 1


def test_a_teammates_link_to_another_channel_stays_theirs(workspace, service, clock, jira_server, slack_server,
                                                          tokens, make_worker):
    slack_server.add_channel("C0OTHER", "their-incidents")
    issue = jira_server.add_issue("[SEV-2] Their incident", ["data-incident", "sev-2", TEAMMATE_LABEL],
                                  status="In Progress")
    theirs = slack_server.permalink("1732701600.000001", "C0OTHER")
    jira_server.add_remote_link(issue.key, global_id(TEAMMATE_LABEL), theirs)
    worker = make_worker(configure(workspace, jira_server, slack_server))
    assert worker.drain().complete
    service.add_note(1, "we can help")
    assert worker.drain().complete

    [ours] = slack_server.parents_in()  # our bot is not in their channel: we post in ours
    assert slack_server.replies_to(ours.ts)
    [link] = issue.remote_links
    assert link["object"]["url"] == theirs  # and their issue still points at their thread
