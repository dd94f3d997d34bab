"""`oncall action add / done / wontdo / reopen / set` and `oncall actions`: action items from the
command line, named `A-12` or `12`. The clock is frozen at 2026-11-27 10:00 UTC."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from rich.cells import cell_len


def declare(oncall, title="Weekly CAC up 340%") -> None:
    assert oncall("declare", "--title", title, "--severity", "SEV-2", "--asset", "cac-pipeline", "--ic", "maya").code == 0


def add(oncall, *args: str) -> dict:
    return oncall("action", "add", "1", *args, "--json").json()


def test_add_with_an_owner_a_due_date_and_a_priority(oncall):
    declare(oncall)
    added = oncall("action", "add", "INC-1", "--title", "Add a row-count check", "--owner", "tom", "--due", "+7d",
                   "--priority", "high")
    assert added.code == 0
    assert added.out.strip() == ("added to INC-1: A-1 open, high, due 2026-12-04, in 7 days, Tom Brandt (tom): Add a "
                                 "row-count check")
    item = add(oncall, "--title", "-5% conversion alert", "--due", "2026-12-15")  # a title may start with a dash
    assert {k: item[k] for k in ("id", "ref", "incident", "title", "owner", "owner_name", "due", "priority", "status",
                                 "overdue", "tracked", "created_by")} == {
        "id": 2, "ref": "A-2", "incident": "INC-1", "title": "-5% conversion alert", "owner": None,
        "owner_name": None, "due": "2026-12-15", "priority": "medium", "status": "open", "overdue": False,
        "tracked": False, "created_by": "tester"}
    assert add(oncall, "--title", "x", "--due", "+2w", "--priority", "L")["due"] == "2026-12-11"
    event = oncall("show", "1", "--json").json()["timeline"][-3]
    assert event["kind"] == "action_item" and event["text"] == "action item A-1 added: Add a row-count check"


def test_done_wontdo_and_reopen_take_either_form_of_the_id(oncall):
    declare(oncall)
    add(oncall, "--title", "Add a row-count check", "--owner", "tom", "--due", "2026-12-04")
    done = oncall("action", "done", "A-1")
    assert done.code == 0 and done.out.strip() == ("A-1 done, medium, due 2026-12-04, Tom Brandt (tom): Add a "
                                                   "row-count check")
    twice = oncall("action", "done", "1")
    assert twice.code == 1 and "A-1 is already done" in twice.err
    assert oncall("action", "reopen", "a-1", "--json").json()["status"] == "open"
    no_reason = oncall("action", "wontdo", "1", "--reason", " ")
    assert no_reason.code == 1 and "won't do needs a reason" in no_reason.err
    missing = oncall("action", "wontdo", "1")
    assert missing.code == 2 and "the following arguments are required: --reason" in missing.err
    wont = oncall("action", "wontdo", "A1", "--reason", "the loader is retired in Q1")
    assert wont.code == 0 and wont.out.startswith("A-1 won't do (the loader is retired in Q1), medium")
    assert oncall("action", "reopen", "1", "--json").json()["reason"] == ""


def test_set_changes_the_owner_due_date_and_priority(oncall):
    declare(oncall)
    add(oncall, "--title", "Add a row-count check")
    changed = oncall("action", "set", "A-1", "--owner", "priya", "--due", "2026-11-30", "--priority", "high")
    assert changed.code == 0
    assert changed.out.strip() == ("changed: A-1 open, high, due 2026-11-30, in 3 days, Priya Raman (priya): Add a "
                                   "row-count check")
    same = oncall("action", "set", "1", "--priority", "high")
    assert same.out.startswith("unchanged: A-1 open, high")
    cleared = oncall("action", "set", "1", "--owner", "", "--json").json()
    assert cleared["owner"] is None and cleared["tracked"] is False
    texts = [e["text"] for e in oncall("show", "1", "--json").json()["timeline"] if e["kind"] == "action_item"]
    assert texts[1:] == ["action item A-1: owner priya, due 2026-11-30, priority high", "action item A-1: owner nobody"]
    nothing = oncall("action", "set", "1")
    assert nothing.code == 2 and "say what to change: --owner H, --due DATE or --priority P" in nothing.err


@pytest.mark.parametrize(("args", "said"), [
    (("--owner", "nobody"), "'nobody' is not on the roster; known: maya, tom"),
    (("--due", "2026-13-01"), "--due: cannot read due date '2026-13-01': use YYYY-MM-DD, or +7d / +2w from today"),
    (("--due", "+99999999999999999999d"), "--due: cannot read due date '+99999999999999999999d'"),
    (("--due", "tomorrow\x1b[2J"), "--due: cannot read due date 'tomorrow'"),
    (("--due", "9" * 100), "--due: cannot read due date '" + "9" * 39 + "…'"),
    (("--priority", "urgent"), "unknown priority 'urgent': use high, medium or low"),
])
def test_bad_input_exits_2_and_adds_nothing(oncall, args, said):
    declare(oncall)
    result = oncall("action", "add", "1", "--title", "Add a check", *args)
    assert result.code == 2 and said in result.err and "\x1b" not in result.err, result.err
    assert oncall("actions", "--json").json()["action_items"] == []


@pytest.mark.parametrize(("title", "said"), [("", "--title: empty"), ("\x1b[2J\x07 \u200b", "--title: empty"),
                                             ("x" * 201, "--title: 201 characters; an action item's title is at most 200")])
def test_a_title_with_nothing_in_it_or_too_long_is_bad_input(oncall, title, said):
    declare(oncall)
    result = oncall("action", "add", "1", "--title", title)
    assert result.code == 2 and said in result.err


@pytest.mark.parametrize("command", [
    ("action", "done", "99"), ("action", "done", "99999999999999999999"), ("action", "reopen", "A-" + "9" * 40),
    ("action", "wontdo", "0", "--reason", "x"), ("action", "set", "12", "--priority", "low"),
])
def test_no_such_action_item_is_bad_input(oncall, command):
    declare(oncall)
    result = oncall(*command)
    assert result.code == 2 and "no action item A-" in result.err and "Traceback" not in result.err, result.err


@pytest.mark.parametrize("text", ["B-1", "A-", "twelve", "A-1.5", "١٢"])
def test_an_id_that_is_no_action_item_is_bad_input(oncall, text):
    result = oncall("action", "done", text)
    assert result.code == 2 and "is not an action item (use 12 or A-12)" in result.err


def test_adding_to_no_incident_is_bad_input(oncall):
    result = oncall("action", "add", "7", "--title", "x")
    assert result.code == 2 and "no incident INC-7" in result.err


def test_actions_lists_open_first_by_due_date_with_overdue_in_words(oncall, clock):
    declare(oncall)
    declare(oncall, "Spend doubled")
    add(oncall, "--title", "Later", "--owner", "tom", "--due", "2026-12-04")
    add(oncall, "--title", "Late", "--owner", "priya", "--due", "2026-11-20", "--priority", "high")
    assert oncall("action", "add", "2", "--title", "Check the \x1b[1mexport\x1b[0m 📉", "--due", "2026-11-26").code == 0
    add(oncall, "--title", "Settled", "--owner", "tom", "--due", "2026-11-01")
    oncall("action", "done", "4")
    add(oncall, "--title", "Undated", "--owner", "tom")
    listed = oncall("actions")
    assert listed.code == 0
    lines = listed.out.splitlines()
    assert lines[0].split() == ["ID", "INC", "STATUS", "PRIORITY", "DUE", "OWNER", "TITLE"]
    assert [line.split()[0] for line in lines[1:-1]] == ["A-2", "A-3", "A-1", "A-5", "A-4"]
    rows = {line.split()[0]: line for line in lines[1:-1]}
    assert "due 2026-11-20, OVERDUE by 7 days" in rows["A-2"] and "priya" in rows["A-2"]
    assert "due 2026-11-26, OVERDUE by 1 day" in rows["A-3"] and "INC-2" in rows["A-3"]
    assert rows["A-3"].endswith("Check the export 📉")
    assert "due 2026-12-04, in 7 days" in rows["A-1"]
    assert "no due date" in rows["A-5"] and "due 2026-11-01  " in rows["A-4"] and "OVERDUE" not in rows["A-4"]
    titles = ["TITLE", "Late", "Check the export 📉", "Later", "Undated", "Settled"]
    assert len({cell_len(line[:line.rindex(title)]) for line, title in zip(lines, titles)}) == 1  # columns stay put
    assert lines[-1] == "5 action items: 4 open (2 overdue), 1 done, 0 won't do"
    assert "\x1b" not in listed.out
    overdue = oncall("actions", "--overdue").out.splitlines()
    assert [line.split()[0] for line in overdue[1:-1]] == ["A-2", "A-3"]
    mine = oncall("actions", "--owner", "tom", "--json").json()
    assert [i["ref"] for i in mine["action_items"]] == ["A-1", "A-5", "A-4"] and mine["today"] == "2026-11-27"
    clock.advance(timedelta(days=8))
    assert [i["ref"] for i in oncall("actions", "--overdue", "--json").json()["action_items"]] == ["A-2", "A-3", "A-1"]
    none = oncall("actions", "--owner", "grace", "--overdue")
    assert none.code == 0 and none.out.strip() == "no overdue action items owned by grace"
    stranger = oncall("actions", "--owner", "stranger")
    assert stranger.code == 2 and "'stranger' is not on the roster" in stranger.err


def test_every_id_shows_in_full(oncall, workspace):
    declare(oncall)
    add(oncall, "--title", "Small")
    with sqlite3.connect(workspace.database_path) as conn:  # jump the sequence, as years of items would
        conn.execute("UPDATE action_items SET id = 123456788 WHERE id = 1")
    add(oncall, "--title", "Big")
    lines = oncall("actions").out.splitlines()
    assert lines[1].startswith("A-123456788  INC-1") and lines[2].startswith("A-123456789  INC-1")
    assert oncall("action", "done", "A-123456789").code == 0
    assert oncall("actions", "--json").json()["action_items"][1]["status"] == "done"


def test_no_action_items_says_so(oncall):
    assert oncall("actions").out.strip() == "no action items"
    assert oncall("actions", "--json").json() == {"today": "2026-11-27", "action_items": []}
