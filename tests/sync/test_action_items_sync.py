"""Action items and post-mortems reach Jira and Slack: each item is an issue of its own linked to
the incident's issue (never two after a lost answer), moved along its workflow and reassigned as
the item changes here; a status or an assignee changed in Jira comes back to the item and is not
sent back; a link the project refuses leaves the issue and a note; a completed post-mortem is
posted on the incident's issue and announced in its Slack thread; drills reach no Slack.
Against the local servers, with the real `jira` and `slack-sdk` clients."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from oncall.domain.action_items import ActionStatus, Priority
from oncall.domain.incident import DetectionSource, EventKind, TimelineEvent
from oncall.domain.postmortem import PostmortemStatus, Section
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.incidents import Declaration
from oncall.service.postmortems import PostmortemService
from oncall.store.action_items import ActionItemRepository
from oncall.store.remote_ids import RemoteIds
from oncall.sync import messages
from oncall.sync.deliver import ACTION_LINK_REFUSED_STATE
from oncall.sync.worker import SyncReport
from oncall.workspace.loader import load_workspace
from oncall.workspace.sync_config import JiraConfig
from sync_fakes import contract
from sync_fakes.jira_server import FakeJira
from sync_support import clock_seconds, configure

MAYA, TOM, PRIYA = "557058:maya-okafor", "557058:tom-brandt", "557058:priya-raman"
DUE = date(2026, 12, 15)
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)  # the frozen clock's (tests/conftest.py)
INCIDENT = Declaration(title="Weekly CAC is zero", severity=Severity.SEV2, asset="cac-dashboard", ic="maya")
ACTION_TRANSITIONS = '\n[jira.action_transitions]\ndone = "Done"\n"wont-do" = "Won\'t Do"\nopen = "Reopen"\n'


def with_items(workspace, jira_server, slack_server, *, transitions: bool = True, jira_keys: str = "",
               deployment: str = "cloud"):
    """Maya, Tom and Priya have Jira accounts (Lukas has none); items' statuses map to the fake
    workflow's Done, Won't Do and Reopen; `jira_keys`: more lines for the [jira] table."""
    path = workspace.config_path
    text = path.read_text("utf-8")
    for person, account in (("maya", MAYA), ("tom", TOM), ("priya", PRIYA)):
        text = text.replace(f'\nid = "{person}"\n', f'\nid = "{person}"\njira_account = "{account}"\n')
    path.write_text(text, "utf-8")
    jira_server.users = {MAYA: "Maya Okafor", TOM: "Tom Brandt", PRIYA: "Priya Raman"}
    synced = configure(workspace, jira_server, slack_server, deployment=deployment,
                       extra=ACTION_TRANSITIONS if transitions else "")
    if not jira_keys:
        return synced
    text = synced.config_path.read_text("utf-8")  # keys of [jira] itself: before its sub-tables
    synced.config_path.write_text(text.replace("[jira.transitions]\n", f"{jira_keys}\n[jira.transitions]\n", 1),
                                  "utf-8")
    loaded = load_workspace(synced.root, strict=True)
    assert loaded.problems == []
    return loaded


def postmortems(synced, service, actor: str = "maya") -> PostmortemService:
    return PostmortemService(service.db, synced.config, service.clock, actor)


def write_every_section(pm: PostmortemService, incident_id: int) -> None:
    """What the people writing it would do: no section left with a `_To be written_` prompt."""
    postmortem = pm.get(incident_id)
    assert postmortem is not None
    for section, saved in postmortem.sections.items():
        if section is not Section.ACTION_ITEMS:
            pm.save_section(incident_id, section, f"What we learned for {section.title}.", saved.revision)


def item_key(service, item_id: int) -> str:
    key = ActionItemRepository(service.db).get(item_id).jira_key
    assert key
    return key


def comments(jira_server, key: str) -> list[str]:
    return [c["body"] for c in jira_server.issues[key].comments]


def thread(slack_server) -> list[str]:
    [parent] = slack_server.parents_in()
    return [reply.text for reply in slack_server.replies_to(parent.ts)]


def writes(jira_server) -> list[tuple[str, str]]:
    return [(e.method, e.path) for e in jira_server.exchanges if e.method in ("POST", "PUT")]


def pull_now(worker):
    worker._last_pull = float("-inf")
    return worker.drain()


# -- from here to Jira and Slack ----------------------------------------------------------------


def test_an_added_item_is_one_issue_linked_to_the_incidents_and_a_reply_in_the_thread(
        workspace, service, jira_server, slack_server, tokens, make_worker, specs):
    synced = with_items(workspace, jira_server, slack_server)
    incident = service.declare(INCIDENT)
    item = postmortems(synced, service).add_action(incident.id, "Add a row-count check on the CRM export",
                                                   owner="tom", due=DUE, priority=Priority.HIGH)
    worker = make_worker(synced)
    report = worker.drain()

    assert report.complete, report.lines()
    key = item_key(service, item.id)
    issue = jira_server.issues[key]
    label = messages.action_label(RemoteIds(service.db).label_for(incident.id), item.id)
    assert issue.fields["summary"] == "Add a row-count check on the CRM export"
    assert issue.fields["issuetype"] == {"name": "Task"}
    assert set(issue.fields["labels"]) == {"data-incident-action", label}
    assert issue.fields["priority"] == {"name": "High"} and issue.fields["duedate"] == "2026-12-15"
    assert "Action item A-1 of INC-1 ([DATA-1|" in issue.fields["description"]
    assert "*Owner:* Tom Brandt" in issue.fields["description"]
    assert jira_server.assignee(key) == TOM
    assert jira_server.links_of(key) == [("Relates", "DATA-1", key)]
    [told] = [c for c in comments(jira_server, "DATA-1") if "action item A-1" in c]
    assert told.startswith(f"*Action item* (maya): action item A-1 added: Add a row-count check on the CRM export "
                           f"({key})")
    # The IC is Informed of action items (RACI: track action items); the owner is mentioned.
    assert thread(slack_server) == ["*Action item* (maya): action item A-1 added: Add a row-count check on the CRM "
                                    "export (owner <@U07TOMB02>, due 2026-12-15)\nFor: <@U07MAYA01>"]

    before = writes(jira_server)
    assert make_worker(synced).drain().complete  # a new process has nothing to send
    assert writes(jira_server) == before


@pytest.mark.parametrize("fault", ["drop", "slow", "503"])
def test_an_items_issue_whose_answer_was_lost_is_found_not_created_twice(
        fault, workspace, service, jira_server, slack_server, tokens, make_worker, timer):
    synced = with_items(workspace, jira_server, slack_server)
    incident = service.declare(INCIDENT)
    worker = make_worker(synced)
    assert worker.drain().complete
    item = postmortems(synced, service).add_action(incident.id, "Alert on an empty export", owner="tom", due=DUE)
    jira_server.fail(fault, match="POST /rest/api/2/issue", delay=0.8)  # the item's create: made, answer lost
    jira_server.fail("drop", match="POST /rest/api/2/issueLink")  # and the link's, too
    jira_server.search_lag = 1  # Jira's search does not list the new issue at once

    report = worker.drain()

    assert report.complete, report.lines()
    made = jira_server.with_label("data-incident-action")
    assert len(made) == 1, [i.key for i in made]  # a 503 made nothing: made on a later try, once
    key = item_key(service, item.id)
    assert made[0].key == key
    assert jira_server.links_of(key) == [("Relates", "DATA-1", key)]
    assert sum("action item A-1 added" in c for c in comments(jira_server, "DATA-1")) == 1
    look_ups = [e for e in jira_server.calls("/search") if "-action-" in e.query.get("jql", "")]
    assert len(look_ups) == 2  # looked; gave Jira's search time to catch up; looked again
    assert any(25 <= seconds <= 30 for seconds in timer.sleeps)


def test_done_and_wont_do_move_the_items_issue_and_are_told(workspace, service, jira_server, slack_server, tokens,
                                                            make_worker, specs):
    synced = with_items(workspace, jira_server, slack_server)
    incident = service.declare(INCIDENT)
    pm = postmortems(synced, service)
    first = pm.add_action(incident.id, "Add a row-count check", owner="tom", due=DUE)
    second = pm.add_action(incident.id, "Rewrite the export in Rust", owner="priya", due=DUE)
    worker = make_worker(synced)
    assert worker.drain().complete

    pm.finish_action(first.id)
    pm.wont_do(second.id, "the vendor is replacing the export")
    assert worker.drain().complete

    done, wont = item_key(service, first.id), item_key(service, second.id)
    assert jira_server.issues[done].fields["status"]["name"] == "Done"
    assert jira_server.issues[wont].fields["status"]["name"] == "Won't Do"
    assert comments(jira_server, wont)[-1].startswith(
        "*Action item* (maya): action item A-2 won't do: the vendor is replacing the export")
    incident_comments = comments(jira_server, "DATA-1")
    assert any(c.startswith(f"*Action item* (maya): action item A-1 done ({done})") for c in incident_comments)
    assert any(c.startswith(f"*Action item* (maya): action item A-2 won't do: the vendor is replacing the export "
                            f"({wont})") for c in incident_comments)
    replies = thread(slack_server)
    assert replies[-2:] == ["*Action item* (maya): action item A-1 done\nFor: <@U07MAYA01>",
                            "*Action item* (maya): action item A-2 won't do: the vendor is replacing the export\n"
                            "For: <@U07MAYA01>"]

    # Reopened: the issue is reopened and says so; the incident's issue and the thread are not told.
    pm.reopen_action(first.id)
    assert worker.drain().complete
    assert jira_server.issues[done].fields["status"]["name"] == "Open"
    assert "action item A-1 open" in comments(jira_server, done)[-1]
    assert comments(jira_server, "DATA-1") == incident_comments
    assert len(thread(slack_server)) == len(replies)


def test_without_action_transitions_a_done_item_is_a_comment_and_is_not_reopened_by_the_pull(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = with_items(workspace, jira_server, slack_server, transitions=False)
    incident = service.declare(INCIDENT)
    pm = postmortems(synced, service)
    item = pm.add_action(incident.id, "Add a row-count check", owner="tom", due=DUE)
    worker = make_worker(synced)
    assert worker.drain().complete
    pm.finish_action(item.id)
    assert pull_now(worker).complete
    key = item_key(service, item.id)
    assert jira_server.issues[key].fields["status"]["name"] == "Open"  # nothing to move it with
    assert "action item A-1 done" in comments(jira_server, key)[-1]
    assert pull_now(worker).complete
    assert ActionItemRepository(service.db).get(item.id).status is ActionStatus.DONE


def test_a_status_our_own_transition_led_to_is_not_taken_for_a_change_made_in_jira(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    # This team's "won't do" transition ends in a status the pull reads as done ("Won't Do" is not
    # among its wont_do_statuses): the item stays won't do here.
    synced = with_items(workspace, jira_server, slack_server, jira_keys='wont_do_statuses = ["Declined"]')
    incident = service.declare(INCIDENT)
    pm = postmortems(synced, service)
    item = pm.add_action(incident.id, "Rewrite the export", owner="tom", due=DUE)
    worker = make_worker(synced)
    assert worker.drain().complete
    pm.wont_do(item.id, "the vendor is replacing it")
    assert worker.drain().complete
    assert jira_server.issues[item_key(service, item.id)].fields["status"]["name"] == "Won't Do"

    assert pull_now(worker).complete
    assert ActionItemRepository(service.db).get(item.id).status is ActionStatus.WONT_DO
    assert not [e for e in service.events(incident.id) if e.actor == "jira"]


def test_an_owner_change_reassigns_the_issue_and_updates_its_fields(workspace, service, jira_server, slack_server,
                                                                    tokens, make_worker):
    synced = with_items(workspace, jira_server, slack_server)
    incident = service.declare(INCIDENT)
    pm = postmortems(synced, service)
    item = pm.add_action(incident.id, "Add a row-count check", owner="tom", due=DUE)
    worker = make_worker(synced)
    assert worker.drain().complete
    told = (comments(jira_server, "DATA-1"), thread(slack_server))

    pm.change_action(item.id, owner="priya", due=date(2026, 12, 20), priority=Priority.LOW)
    assert worker.drain().complete

    key = item_key(service, item.id)
    assert jira_server.assignee(key) == PRIYA
    assert jira_server.issues[key].fields["duedate"] == "2026-12-20"
    assert jira_server.issues[key].fields["priority"] == {"name": "Low"}
    assert (comments(jira_server, "DATA-1"), thread(slack_server)) == told  # a change is the item's own business


# -- from Jira back here ------------------------------------------------------------------------


@pytest.mark.parametrize("deployment", ["cloud", "server"])
def test_a_status_and_an_assignee_changed_in_jira_come_back_and_are_not_sent_back(
        deployment, workspace, service, slack_server, tokens, make_worker, clock):
    with FakeJira(deployment="Cloud" if deployment == "cloud" else "Server", now=clock_seconds(clock)) as jira_server:
        synced = with_items(workspace, jira_server, slack_server, deployment=deployment)
        incident = service.declare(INCIDENT)
        pm = postmortems(synced, service)
        item = pm.add_action(incident.id, "Add a row-count check", owner="tom", due=DUE)
        worker = make_worker(synced)
        assert worker.drain().complete
        key = item_key(service, item.id)
        replies = len(thread(slack_server))

        jira_server.set_status(key, "Done")  # someone finishes it in Jira and hands the issue on
        jira_server.set_assignee(key, PRIYA)
        before = writes(jira_server)
        report = pull_now(worker)

        assert report.complete, report.lines()
        assert report.pulled is not None and report.pulled.updated == 1
        now = ActionItemRepository(service.db).get(item.id)
        assert (now.status, now.owner) == (ActionStatus.DONE, "priya")
        from_jira = [e for e in service.events(incident.id) if e.kind is EventKind.ACTION_ITEM and e.actor == "jira"]
        assert [(e.data["action"], e.data["source"]) for e in from_jira] == [("done", "jira"), ("changed", "jira")]
        assert writes(jira_server) == before, "nothing is sent back to Jira"
        assert thread(slack_server)[replies:] == ["*Action item* (jira): action item A-1 done"]

        # Won't do in Jira: with the status as the reason. Then reopened there.
        jira_server.set_status(key, "Won't Do")
        assert pull_now(worker).complete
        now = ActionItemRepository(service.db).get(item.id)
        assert now.status is ActionStatus.WONT_DO and now.reason == f"set to \"Won't Do\" in Jira {key}"
        jira_server.set_status(key, "Open")
        assert pull_now(worker).complete
        assert ActionItemRepository(service.db).get(item.id).status is ActionStatus.OPEN
        assert writes(jira_server) == before
        assert contract.jira_problems(jira_server.exchanges) == []


def test_an_assignee_jira_gave_by_itself_is_not_an_owner_change(workspace, service, jira_server, slack_server,
                                                                tokens, make_worker):
    synced = with_items(workspace, jira_server, slack_server)
    incident = service.declare(INCIDENT)
    item = postmortems(synced, service).add_action(incident.id, "Document the export", owner="lukas", due=DUE)
    worker = make_worker(synced)
    assert worker.drain().complete  # lukas has no Jira account: the assignee is left to Jira
    key = item_key(service, item.id)
    assert jira_server.assignee(key) is None

    jira_server.set_assignee(key, MAYA)  # as a project's default assignee would be
    assert pull_now(worker).complete
    assert ActionItemRepository(service.db).get(item.id).owner == "lukas"

    jira_server.set_assignee(key, PRIYA)  # now a person hands it on
    assert pull_now(worker).complete
    assert ActionItemRepository(service.db).get(item.id).owner == "priya"
    jira_server.set_assignee(key, None)  # unassigned in Jira: the owner here stays
    assert pull_now(worker).complete
    assert ActionItemRepository(service.db).get(item.id).owner == "priya"


def test_a_local_change_on_its_way_out_wins_over_jira(workspace, service, jira_server, slack_server, tokens,
                                                      make_worker):
    synced = with_items(workspace, jira_server, slack_server)
    incident = service.declare(INCIDENT)
    pm = postmortems(synced, service)
    item = pm.add_action(incident.id, "Add a row-count check", owner="tom", due=DUE)
    worker = make_worker(synced)
    assert worker.drain().complete
    key = item_key(service, item.id)

    jira_server.set_status(key, "Won't Do")  # someone declines it in Jira...
    pm.finish_action(item.id)  # ...while it is done here, not yet sent
    worker._last_pull = float("-inf")
    worker.run_pass()  # the pull comes first: the local change is still going out
    assert ActionItemRepository(service.db).get(item.id).status is ActionStatus.DONE
    assert jira_server.issues[key].fields["status"]["name"] == "Done"  # and it brought Jira in line
    assert pull_now(worker).complete
    assert ActionItemRepository(service.db).get(item.id).status is ActionStatus.DONE
    assert not [e for e in service.events(incident.id) if e.actor == "jira"]


def test_an_item_issue_of_a_lost_create_is_linked_by_the_pull(workspace, service, jira_server, slack_server, tokens,
                                                              make_worker):
    synced = with_items(workspace, jira_server, slack_server)
    incident = service.declare(INCIDENT)
    worker = make_worker(synced)
    assert worker.drain().complete
    item = postmortems(synced, service).add_action(incident.id, "Alert on an empty export", owner="tom", due=DUE)
    jira_server.fail("drop", match="POST /rest/api/2/issue")
    worker.run_pass()  # created in Jira, the answer lost: the entry waits to look it up
    [issue] = jira_server.with_label("data-incident-action")
    assert ActionItemRepository(service.db).get(item.id).jira_key is None

    worker._last_pull = float("-inf")
    report = SyncReport()
    worker._maybe_pull(report)  # the pull finds it by its label before the retry does
    assert report.pulled is not None and report.pulled.skipped == []
    assert item_key(service, item.id) == issue.key
    assert pull_now(worker).complete
    assert [i.key for i in jira_server.with_label("data-incident-action")] == [issue.key]
    assert jira_server.links_of(issue.key) == [("Relates", "DATA-1", issue.key)]


# -- what Jira may refuse -----------------------------------------------------------------------


@pytest.mark.parametrize("refusal", [404, 403, "link type"])
def test_a_link_the_project_refuses_leaves_the_issue_a_note_and_the_item_synced(
        refusal, workspace, service, jira_server, slack_server, tokens, make_worker, specs):
    if refusal == "link type":
        synced = with_items(workspace, jira_server, slack_server, jira_keys='action_link_type = "Causes"')
        assert synced.config.jira.action_link_type == "Causes"  # a link type this project does not have
    else:
        synced = with_items(workspace, jira_server, slack_server)
        jira_server.refuse_links = refusal
    incident = service.declare(INCIDENT)
    pm = postmortems(synced, service)
    item = pm.add_action(incident.id, "Add a row-count check", owner="tom", due=DUE)
    worker = make_worker(synced)

    report = worker.drain()

    assert report.complete and not report.targets["jira"].problem, report.lines()
    key = item_key(service, item.id)
    assert jira_server.links_of(key) == []
    assert jira_server.assignee(key) == TOM
    assert any(f"({key})" in c for c in comments(jira_server, "DATA-1"))
    [note] = [row[0] for row in service.db.conn.execute(
        "SELECT d.last_error FROM sync_delivery d JOIN outbox o ON o.id = d.outbox_id JOIN timeline t "
        "ON t.id = o.event_id WHERE d.target = 'jira' AND t.kind = 'action_item'")]
    assert note.startswith(f"Jira refused to link {key} to DATA-1 (HTTP ") and "the item's issue is kept" in note
    assert RemoteIds(service.db).state(ACTION_LINK_REFUSED_STATE) == note
    from oncall.sync.status import sync_status

    said = sync_status(service.db, synced.config)
    assert "action items are not linked to their incident's issue: Jira refused to link" in said.text + said.detail

    pm.finish_action(item.id)  # the item goes on being synced
    assert worker.drain().complete
    assert jira_server.issues[key].fields["status"]["name"] == "Done"
    assert len(jira_server.with_label("data-incident-action")) == 1


# -- post-mortems and root causes ---------------------------------------------------------------


def test_a_completed_post_mortem_is_posted_on_the_issue_and_announced_in_the_thread(
        workspace, service, jira_server, slack_server, tokens, make_worker, specs):
    synced = with_items(workspace, jira_server, slack_server)
    incident = service.declare(INCIDENT)
    service.change_status(incident.id, Status.RESOLVED)
    pm = postmortems(synced, service)
    pm.draft(incident.id)
    write_every_section(pm, incident.id)
    pm.set_root_cause(incident.id, "upstream-schema-change")
    pm.set_status(incident.id, PostmortemStatus.IN_REVIEW)
    worker = make_worker(synced)
    assert worker.drain().complete
    replies = thread(slack_server)
    assert not [r for r in replies if "ost-mortem" in r or "root cause" in r], "drafts and causes are Jira's"
    drafted = [c for c in comments(jira_server, "DATA-1") if c.startswith("*Post-mortem*")]
    assert [c.split("\n")[0] for c in drafted] == ["*Post-mortem* (maya): post-mortem drafted from the timeline",
                                                   "*Post-mortem* (maya): post-mortem draft → in review"]
    assert any(c.startswith("*Root cause* (maya): root cause: upstream-schema-change")
               for c in comments(jira_server, "DATA-1"))

    pm.set_status(incident.id, PostmortemStatus.COMPLETE)
    assert worker.drain().complete

    posted = comments(jira_server, "DATA-1")[-1]
    assert posted.startswith("*Post-mortem* (maya): post-mortem in review → complete\n{noformat}")
    [completed] = [e for e in service.events(incident.id) if e.data.get("to") == "complete"]
    assert completed.data["document"].startswith("#")
    assert completed.data["document"] in posted  # the whole document, as exported when it was completed
    assert thread(slack_server)[len(replies):] == [
        f"*Post-mortem* (maya): Post-mortem complete: the document is on <{jira_server.url}/browse/DATA-1|DATA-1>"]


def test_a_post_mortem_too_long_for_a_jira_comment_is_cut_and_says_where_the_whole_is():
    document = "# Post-mortem\n" + "the export was empty. " * 3000  # 66,000 characters
    event = TimelineEvent(id=9, incident_id=4, at=NOW, actor="maya", kind=EventKind.POSTMORTEM,
                          text="post-mortem in review → complete",
                          data={"action": "status", "from": "in-review", "to": "complete", "document": document,
                                "informed": ["grace"]})
    comment = messages.jira_comment(event, "oncall-ab12-inc-4")
    assert len(comment) < 32_767  # Jira's limit for a comment
    assert "… cut for Jira (the whole post-mortem is in oncall (`oncall postmortem export 4`)){noformat}" in comment
    assert comment.startswith("*Post-mortem* (maya): post-mortem in review → complete\n*Informed:* grace\n{noformat}")
    assert comment.endswith("{noformat}\n\n_oncall: oncall-ab12-inc-4-ev-9_")


# -- drills -------------------------------------------------------------------------------------


def test_a_drills_items_and_post_mortem_reach_jira_labelled_and_never_slack(
        workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = with_items(workspace, jira_server, slack_server)
    drill = service.declare(Declaration(title="Drill: stale finance table", severity=Severity.SEV2,
                                        asset="cac-dashboard", source=DetectionSource.DRILL, ic="maya"))
    service.change_status(drill.id, Status.RESOLVED)
    pm = postmortems(synced, service)
    item = pm.add_action(drill.id, "Practise the backfill", owner="tom", due=DUE)
    pm.draft(drill.id)
    write_every_section(pm, drill.id)
    pm.set_status(drill.id, PostmortemStatus.IN_REVIEW)
    pm.set_status(drill.id, PostmortemStatus.COMPLETE)

    assert make_worker(synced).drain().complete

    assert slack_server.parents_in() == [] and not slack_server.calls("chat.postMessage")
    key = item_key(service, item.id)
    assert "drill" in jira_server.issues[key].fields["labels"]
    assert jira_server.assignee(key) is None  # assigning notifies the person; drills tell nobody
    assert "*This is a drill.*" in jira_server.issues[key].fields["description"]


# -- which steps each event needs (pure) --------------------------------------------------------


def item_event(action: str, **data) -> TimelineEvent:
    return TimelineEvent(id=3, incident_id=1, at=NOW, actor="maya", kind=EventKind.ACTION_ITEM,
                         text=f"action item A-1 {action}",
                         data={"action": action, "item": 1, "title": "t", "owner": "tom", "due": None,
                               "priority": "medium", "status": "open", "reason": "", **data})


def test_which_steps_action_items_post_mortems_and_root_causes_need():
    jira = JiraConfig(server="https://x", project="DATA", action_transitions={"done": "Done"})
    assert messages.jira_steps(item_event("added"), jira, "acc") == ["item_link", "item_assignee", "comment"]
    assert messages.jira_steps(item_event("added"), jira) == ["item_link", "comment"]
    assert messages.jira_steps(item_event("done"), jira) == ["item_transition", "item_comment", "comment"]
    assert messages.jira_steps(item_event("wont-do"), jira) == ["item_comment", "comment"]  # no transition mapped
    assert messages.jira_steps(item_event("open"), jira) == ["item_comment"]
    assert messages.jira_steps(item_event("changed"), jira, "acc") == ["item_fields", "item_assignee"]
    for action in ("added", "done", "wont-do", "open", "changed"):
        assert messages.jira_steps(item_event(action, source="jira"), jira, "acc") == []
    assert [messages.slack_steps(item_event(a)) for a in ("added", "done", "wont-do", "open", "changed")] == \
        [["reply"], ["reply"], ["reply"], [], []]
    assert messages.slack_steps(item_event("done", source="jira")) == ["reply"]
    postmortem = TimelineEvent(id=4, incident_id=1, at=NOW, actor="maya", kind=EventKind.POSTMORTEM,
                               text="post-mortem drafted", data={"action": "drafted"})
    assert (messages.jira_steps(postmortem, jira), messages.slack_steps(postmortem)) == (["comment"], [])
    done = postmortem.model_copy(update={"data": {"action": "status", "from": "in-review", "to": "complete"}})
    assert (messages.jira_steps(done, jira), messages.slack_steps(done)) == (["comment"], ["reply"])
    cause = postmortem.model_copy(update={"kind": EventKind.ROOT_CAUSE, "data": {"cause": "x"}})
    assert (messages.jira_steps(cause, jira), messages.slack_steps(cause)) == (["comment"], [])
