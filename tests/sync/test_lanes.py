"""Many incidents at once: the lanes keep each incident's updates in order, one at a time, and
never have more requests in flight than `concurrency` says; a pass plans only what is due."""

from __future__ import annotations

import time

import pytest

from oncall.domain.severity import Severity
from oncall.service.incidents import Declaration
from oncall.store.outbox import OutboxStore
from oncall.sync.jobs import TargetPlan
from sync_support import configure

INCIDENTS, NOTES = 6, 5


def most_in_flight(exchanges) -> int:
    """The most requests the service was working on at one moment (arrived, not yet answered)."""
    moments = sorted([(e.arrived, 1) for e in exchanges] + [(e.answered, -1) for e in exchanges],
                     key=lambda moment: (moment[0], moment[1]))
    busy = most = 0
    for _, change in moments:
        busy += change
        most = max(most, busy)
    return most


@pytest.mark.parametrize("concurrency", [1, 3])
def test_many_incidents_at_once_in_order_and_never_more_in_flight_than_allowed(
        concurrency, workspace, service, jira_server, slack_server, tokens, make_worker):
    synced = configure(workspace, jira_server, slack_server, concurrency=concurrency)
    jira_server.latency = slack_server.latency = 0.01  # so requests overlap when they may
    ids = [service.declare(Declaration(title=f"Export {n} is late", severity=Severity.SEV2,
                                       asset="cac-dashboard")).id for n in range(INCIDENTS)]
    for note in range(NOTES):
        for incident_id in ids:
            service.add_note(incident_id, f"INC-{incident_id} note {note}")

    queued = service.db.conn.execute("SELECT count(*) FROM outbox").fetchone()[0]

    report = make_worker(synced).drain()

    assert report.complete, report.lines()
    assert report.targets["jira"].delivered == report.targets["slack"].delivered == queued
    expected = {f"INC-{i}": [f"INC-{i} note {n}" for n in range(NOTES)] for i in ids}
    for issue in jira_server.issues.values():
        notes = [c["body"].split(": ", 1)[1].split("\n")[0] for c in issue.comments]
        assert notes == expected[notes[0].split(" ")[0]]
    for parent in slack_server.parents_in():
        notes = [r.text.split(": ", 1)[1] for r in slack_server.replies_to(parent.ts)]
        assert notes == expected[notes[0].split(" ")[0]]

    for server in (jira_server, slack_server):
        answered = [e for e in server.exchanges if e.answered]
        assert most_in_flight(answered) <= concurrency
        if concurrency > 1:
            assert most_in_flight(answered) >= 2  # the lanes really do work side by side
    for issue in jira_server.issues.values():  # one incident: one request at a time
        assert most_in_flight([e for e in jira_server.exchanges if f"/issue/{issue.key}/comment" in e.path]) == 1


def test_a_pass_plans_what_is_due_and_stops_an_incident_at_its_first_stuck_entry(synced, service):
    declaration = Declaration(title="Late export", severity=Severity.SEV2, asset="cac-dashboard")
    flowing, failed, waiting = (service.declare(declaration).id for _ in range(3))
    for incident_id in (flowing, failed, waiting):
        service.add_note(incident_id, "first")
        service.add_note(incident_id, "second")
    store = OutboxStore(service.db)
    entries = store.open_in_order("slack", 100)
    of = {i: [e.outbox_id for e in entries if e.incident_id == i] for i in (flowing, failed, waiting)}
    store.mark_failed(of[failed][0], "slack", 1000.0, "channel_not_found", uncertain=False)
    store.mark_retry(of[waiting][0], "slack", 1000.0, 5000.0, "HTTP 503", uncertain=True)

    plan = TargetPlan.load(service.db, "slack", now=2000.0)

    assert list(plan.waiting) == [flowing]
    taken = []
    while (entry := plan.next_entry()) is not None:
        taken.append(entry.outbox_id)
        plan.again(entry.incident_id)
    assert taken == of[flowing]  # declared, first IC, the two notes: all of them, in order


def test_a_reply_keeps_the_broadcast_rule_of_its_moment(synced, service):
    incident = service.declare(Declaration(title="Late export", severity=Severity.SEV2, asset="cac-dashboard"))
    service.add_note(incident.id, "before")
    service.change_severity(incident.id, Severity.SEV1, "the board meets at nine")
    service.add_note(incident.id, "after")

    plan = TargetPlan.load(service.db, "slack", now=0.0)
    severities = []
    while (entry := plan.next_entry()) is not None:
        severities.append(plan.job(entry).severity)
        plan.again(entry.incident_id)
    # declared, first IC, "before", the escalation, "after"
    assert severities == [Severity.SEV2, Severity.SEV2, Severity.SEV2, Severity.SEV1, Severity.SEV1]


def test_an_entry_discarded_before_its_attempt_is_not_begun(synced, service):
    incident = service.declare(Declaration(title="Late export", severity=Severity.SEV2, asset="cac-dashboard"))
    service.add_note(incident.id, "never mind")
    store = OutboxStore(service.db)
    *earlier, note = store.open_in_order("jira", 10)
    store.discard(note.outbox_id, "jira", 0.0, "maya")

    assert store.begin_attempt(earlier[0], 0.0) is True
    assert store.begin_attempt(note, 0.0) is False
    assert [e.outbox_id for e in store.open_in_order("jira", 10)] == [e.outbox_id for e in earlier]
    begun = store.open_in_order("jira", 10)[0]
    assert begun.attempts == 1 and begun.uncertain  # marked before any request goes
    assert store.begin_attempt(earlier[0], 0.0) is False  # read before it was begun: another worker has it

    # A request already on its way when the person discarded: its outcome does not undo the discard.
    store.mark_retry(note.outbox_id, "jira", 0.0, 0.0, "HTTP 503", uncertain=True)
    state = service.db.conn.execute("SELECT state FROM sync_delivery WHERE outbox_id = ? AND target = 'jira'",
                                    (note.outbox_id,)).fetchone()[0]
    assert state == "discarded"


def test_an_incident_waiting_for_a_person_never_crowds_out_the_others(synced, service, jira_server, make_worker,
                                                                      monkeypatch, timer):
    from oncall.sync import jobs

    monkeypatch.setattr(jobs, "PASS_LIMIT", 5)  # fewer entries per pass than the stuck incident has
    declaration = Declaration(title="Late export", severity=Severity.SEV2, asset="cac-dashboard")
    stuck = service.declare(declaration).id
    for n in range(6):
        service.add_note(stuck, f"note {n}")
    store = OutboxStore(service.db)
    head = store.open_in_order("jira", 100)[0]
    store.mark_failed(head.outbox_id, "jira", timer.time(), "Jira answered HTTP 400", uncertain=False)
    fresh = service.declare(declaration).id
    service.add_note(fresh, "please deliver me")

    report = make_worker(synced).drain()

    assert report.targets["jira"].delivered == 3  # the fresh incident: declared, first IC, its note
    [issue] = jira_server.issues.values()
    assert "please deliver me" in issue.comments[-1]["body"]


def test_one_systems_slowness_never_holds_the_other_back(synced, service, jira_server, slack_server, make_worker):
    incident = service.declare(Declaration(title="Late export", severity=Severity.SEV2, asset="cac-dashboard")).id
    worker = make_worker(synced)
    assert worker.drain().complete  # the issue and the incident message exist
    for n in range(6):
        service.add_note(incident, f"note {n}")
    jira_server.latency, slack_server.latency = 0.005, 0.15

    assert worker.drain().complete

    sent = sorted(e.arrived for e in jira_server.exchanges if e.method == "POST" and "/comment" in e.path)
    assert len(sent) == 6
    assert max(b - a for a, b in zip(sent, sent[1:])) < 0.075  # Jira's updates did not wait on Slack's


def test_a_bug_in_one_delivery_still_records_what_the_other_lanes_sent(synced, service, jira_server, slack_server,
                                                                      make_worker, monkeypatch):
    from oncall.sync.deliver import SlackDelivery

    declaration = Declaration(title="Late export", severity=Severity.SEV2, asset="cac-dashboard")
    ids = [service.declare(declaration).id for _ in range(3)]
    worker = make_worker(synced)
    assert worker.drain().complete
    for incident_id in ids:
        for n in range(3):
            service.add_note(incident_id, f"n{n}")
    jira_server.latency = 0.05  # Jira's comments are in flight when Slack's first update fails
    real = SlackDelivery._deliver

    def buggy(self, job):
        if job.event.text == "n0":
            # Fail once Jira has taken a comment (however loaded the machine), while others are in flight.
            deadline = time.monotonic() + 10
            while not jira_server.calls("/comment") and time.monotonic() < deadline:
                time.sleep(0.001)
            raise RuntimeError("a bug in a delivery")
        return real(self, job)

    monkeypatch.setattr(SlackDelivery, "_deliver", buggy)
    with pytest.raises(RuntimeError, match="a bug in a delivery"):
        worker.run_pass()

    states = service.db.conn.execute(
        "SELECT d.state, d.uncertain FROM sync_delivery d JOIN outbox o ON o.id = d.outbox_id "
        "JOIN timeline t ON t.id = o.event_id WHERE d.target = 'jira' AND t.kind = 'note'").fetchall()
    sent = sum(len(issue.comments) for issue in jira_server.issues.values())
    assert sent and sent == sum(1 for state, _ in states if state == "done")  # every comment that went is on record
    assert not [row for row in states if row[0] == "pending" and row[1]]  # nothing left "outcome unknown"


def test_an_update_discarded_while_queued_in_a_running_pass_is_never_sent(workspace, service, jira_server, tokens,
                                                                          make_worker):
    import threading

    from oncall.sync.desk import SyncDesk

    synced = configure(workspace, jira_server, None, concurrency=1)
    declaration = Declaration(title="Late export", severity=Severity.SEV2, asset="cac-dashboard")
    ids = [service.declare(declaration).id for _ in range(3)]
    worker = make_worker(synced)
    assert worker.drain().complete
    for incident_id in ids:
        service.add_note(incident_id, f"note on INC-{incident_id}")
    last = OutboxStore(service.db).open_in_order("jira", 10)[-1]  # INC-3's note: queued behind INC-1's
    jira_server.latency = 0.3
    jira_server.received.clear()
    drain = threading.Thread(target=worker.drain)
    drain.start()
    assert jira_server.received.wait(5)  # INC-1's note is on its way; the others are marked and queued
    SyncDesk(synced.database_path, synced.config, "maya", worker=worker).discard(last)
    drain.join(10)

    comments = {key: [c["body"] for c in issue.comments] for key, issue in jira_server.issues.items()}
    assert sum(len(bodies) for bodies in comments.values()) == 2
    assert not any("note on INC-3" in body for bodies in comments.values() for body in bodies)
    state = service.db.conn.execute("SELECT state FROM sync_delivery WHERE outbox_id = ? AND target = 'jira'",
                                    (last.outbox_id,)).fetchone()[0]
    assert state == "discarded"


def test_a_second_worker_leaves_an_entry_the_first_has_on_its_way(synced, service, jira_server, make_worker, timer):
    incident = service.declare(Declaration(title="Late export", severity=Severity.SEV2, asset="cac-dashboard")).id
    console = make_worker(synced)
    assert console.drain().complete
    service.add_note(incident, "only once please")
    database = console._db()  # the console's worker marks the note attempted; its request is about to go
    plan = TargetPlan.load(database, "jira", timer.time())
    entry = plan.next_entry()
    assert OutboxStore(database).begin_attempt(entry, timer.time())

    make_worker(synced).run_pass()  # `oncall sync --watch` in another terminal, meanwhile
    console._delivery("jira", database).deliver(plan.job(entry))  # the console's request goes

    [issue] = jira_server.issues.values()
    assert sum("only once please" in c["body"] for c in issue.comments) == 1
