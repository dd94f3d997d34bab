"""Export → import gives back the same incidents, timelines, unsent outbox and remote ids (so the
new laptop's sync never makes a second Jira issue); import goes only into an empty database and
is all or nothing."""

from __future__ import annotations

import io
import json

import pytest
from damage import fill

from oncall.domain.status import Status
from oncall.store.db import open_database
from oncall.store.outbox import OutboxStore
from oncall.store.queue import QueueFilter, QueueReader
from oncall.store.remote_ids import RemoteIds
from oncall.store.transfer import ImportRefused, export_document, import_document

TABLES = ("incidents", "timeline", "remote_incidents", "remote_events", "sync_state")


def dump(database, table: str) -> list[tuple]:
    return [tuple(row) for row in database.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2")]


def exported(database, clock, targets=("jira", "slack")) -> dict:
    out = io.StringIO()
    export_document(database, out, clock.now(), targets)
    return json.loads(out.getvalue())  # one JSON document


@pytest.fixture
def history(service, clock):
    fill(service, real=4, synthetic=30)
    service.change_status(1, Status.IDENTIFIED, "the export was partial")
    service.add_note(2, 'odd text: "quotes", ünïcödé, a\ttab and 🚨')
    store, ids = OutboxStore(service.db), RemoteIds(service.db)
    for entry in store.open_in_order("jira", 3):
        store.mark_done(entry.outbox_id, "jira", clock.now().timestamp(), steps=[(entry.event_id, "jira", "comment", "10001")])
    head = store.head("slack", 1)
    store.begin_attempt(head, clock.now().timestamp())  # a Slack post that may have gone out: uncertain
    ids.update_incident(1, jira_key="DATA-7", slack_channel="C1", slack_ts="1.2")
    return service.db


def test_export_then_import_gives_back_the_same_history(history, clock, tmp_path) -> None:
    document = exported(history, clock)
    assert document["format"] == "oncall-export" and len(document["incidents"]) == 34
    assert sum(len(i["timeline"]) for i in document["incidents"]) == len(dump(history, "timeline"))
    target = open_database(tmp_path / "new-laptop.db")
    try:
        counts = import_document(target, json.loads(json.dumps(document)))
        assert counts.incidents == 34 and counts.outbox == len(document["outbox"])
        for table in TABLES:
            assert dump(target, table) == dump(history, table), table
        # The unsent outbox, with each target's delivery state (the uncertain Slack attempt too).
        assert [e.outbox_id for e in OutboxStore(target).open_in_order("slack", 100)] == \
               [e.outbox_id for e in OutboxStore(history).open_in_order("slack", 100)]
        assert OutboxStore(target).head("slack", 1).uncertain
        assert RemoteIds(target).origin() == RemoteIds(history).origin()
        # Search works on the imported queue, in the same order.
        flt = QueueFilter(text="orders")
        assert QueueReader(target).window(flt, 0, 50) == QueueReader(history).window(flt, 0, 50)
        again = exported(target, clock)
        assert {k: v for k, v in again.items() if k != "outbox"} == {k: v for k, v in document.items() if k != "outbox"}
    finally:
        target.close()


def test_sent_entries_are_left_out_of_the_export(history, clock) -> None:
    jira_only = exported(history, clock, targets=("jira",))
    both = exported(history, clock)
    assert len(jira_only["outbox"]) == len(both["outbox"]) - 3  # three reached Jira; Slack has none
    assert all(set(entry["deliveries"]) <= {"jira", "slack"} for entry in both["outbox"])


def test_import_goes_only_into_an_empty_database(history, clock) -> None:
    document = exported(history, clock)
    before = dump(history, "timeline")
    with pytest.raises(ImportRefused) as refused:
        import_document(history, document)
    assert "already holds incidents" in str(refused.value)
    assert dump(history, "timeline") == before


@pytest.mark.parametrize("document, said", [
    ({"hello": 1}, "not an oncall export"),
    ({"format": "oncall-export", "version": 99}, "version 99"),
    ({"format": "oncall-export", "version": 1, "incidents": [{"id": 1, "title": "x"}]}, "does not fit"),
    ({"format": "oncall-export", "version": 1, "incidents": [5]}, "is int, not an object"),
    ({"format": "oncall-export", "version": 1, "incidents": "a"}, "is str, not an object"),
    ({"format": "oncall-export", "version": 1, "incidents": [{}]}, "has none of its fields"),
    ({"format": "oncall-export", "version": 1, "incidents": [{"id": 1, "title": {"x": 1}}]}, "holds dict"),
])
def test_a_bad_document_imports_nothing(tmp_path, document, said) -> None:
    target = open_database(tmp_path / "empty.db")
    try:
        with pytest.raises(ImportRefused) as refused:
            import_document(target, document)
        assert said in str(refused.value)
        assert target.conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 0
        assert not target.conn.in_transaction
    finally:
        target.close()
