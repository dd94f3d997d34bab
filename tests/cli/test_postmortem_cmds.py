"""`oncall postmortem draft / show / set / status / export / history`, `oncall cause`, and what
`oncall show` says of the post-mortem, the root cause and the action items. The clock is frozen
at 2026-11-27 10:00 UTC; the person at the keyboard is `tester` unless a test says otherwise."""

from __future__ import annotations

import io
import sys
from datetime import timedelta

import pytest

from oncall.domain.postmortem import Section

NOW_SAID = "2026-11-27 10:00 UTC"


def declare(oncall, title="Weekly CAC up 340%", severity="SEV-1", *extra) -> None:
    assert oncall("declare", "--title", title, "--severity", severity, "--asset", "cac-pipeline", "--ic", "maya",
                  *extra).code == 0


def resolved(oncall, number="1", **kwargs) -> None:
    declare(oncall, **kwargs)
    for status in ("identified", "monitoring", "resolved"):
        assert oncall("status", number, status).code == 0


def drafted(oncall) -> None:
    resolved(oncall)
    assert oncall("postmortem", "draft", "1").code == 0


def stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_draft_waits_for_the_resolution_then_prints_the_document(oncall):
    declare(oncall)
    early = oncall("postmortem", "draft", "1")
    assert early.code == 1 and "INC-1 is investigating: its post-mortem is drafted once it is resolved" in early.err
    for status in ("identified", "monitoring", "resolved"):
        oncall("status", "1", status)
    first = oncall("postmortem", "draft", "INC-1")
    assert first.code == 0
    assert first.out.startswith("# Post-mortem: INC-1 — Weekly CAC up 340%\n\n**Status:** draft (by tester, "
                                f"{NOW_SAID}) · SEV-1 · cac-pipeline\n")
    assert [line for line in first.out.splitlines() if line.startswith("## ")] == [f"## {s.title}" for s in Section]
    assert "drafted INC-1's post-mortem from its timeline" in first.err
    again = oncall("postmortem", "draft", "1")
    assert again.code == 0 and again.out == first.out
    assert "INC-1 already has a post-mortem (draft): printed as it stands" in again.err
    kinds = [e["kind"] for e in oncall("show", "1", "--json").json()["timeline"]]
    assert kinds.count("postmortem") == 1


def test_show_says_the_status_who_moved_it_when_and_each_section(oncall):
    resolved(oncall)
    missing = oncall("postmortem", "show", "1")
    assert missing.code == 1 and "INC-1 has no post-mortem yet: draft it first" in missing.err
    oncall("postmortem", "draft", "1")
    shown = oncall("postmortem", "show", "1")
    lines = shown.out.splitlines()
    assert lines[0] == f"INC-1 post-mortem: draft (by tester, {NOW_SAID}); drafted {NOW_SAID}"
    assert f"## Root cause and contributing factors  [root-cause]  (revision 1, tester, {NOW_SAID})" in lines
    doc = oncall("postmortem", "show", "1", "--json").json()
    assert (doc["incident"], doc["status"], doc["status_by"], doc["status_at"]) == (
        "INC-1", "draft", "tester", "2026-11-27T10:00:00Z")
    assert [s["section"] for s in doc["sections"]] == [s.value for s in Section]
    assert doc["sections"][0]["revision"] == 1 and doc["sections"][0]["text"].startswith("INC-1, “Weekly CAC")


def test_set_replaces_a_section_from_a_file_or_stdin_and_keeps_the_old_text(oncall, monkeypatch, tmp_path):
    drafted(oncall)
    text = tmp_path / "root-cause.md"
    text.write_text("The CRM export delivered a partial file.\n\nNo row-count check caught it.\n")
    saved = oncall("postmortem", "set", "1", "Root cause and contributing factors", "--file", text)
    assert saved.code == 0, saved.err
    assert saved.out.strip() == ("INC-1 Root cause and contributing factors: saved as revision 2 (revision 1 stays "
                                 "in its history)")
    assert saved.err == ""  # nothing blames anyone
    same = oncall("postmortem", "set", "1", "root_cause", "--file", text)
    assert "unchanged (the text is the same; revision 2)" in same.out
    stdin(monkeypatch, "Customers saw CAC at 4× its value.".encode())
    assert oncall("postmortem", "set", "1", "impact").code == 0
    doc = oncall("postmortem", "show", "1", "--json").json()
    sections = {s["section"]: s for s in doc["sections"]}
    assert sections["root-cause"]["text"] == "The CRM export delivered a partial file.\n\nNo row-count check caught it."
    assert sections["impact"]["text"] == "Customers saw CAC at 4× its value."
    assert sections["impact"]["revision"] == 2 and sections["impact"]["saved_by"] == "tester"
    history = oncall("postmortem", "history", "1", "root-cause", "--json").json()["revisions"]
    assert [(r["revision"], r["kept"], r["current"]) for r in history] == [(1, "saved", False), (2, "saved", True)]
    assert history[0]["text"].strip() and history[0]["text"] != history[1]["text"]  # the draft's text, kept


def test_set_flags_a_sentence_that_blames_someone_but_still_saves(oncall, monkeypatch):
    drafted(oncall)
    text = b"\r\n\nThe load ran late.\nTom forgot to run the backfill.\nIt was human error.\n"
    stdin(monkeypatch, text)
    saved = oncall("postmortem", "set", "1", "went-poorly")
    assert saved.code == 0
    warnings = saved.err.splitlines()
    assert len(warnings) == 2
    assert warnings[0].startswith('oncall: blameless? line 4: "Tom forgot to run the backfill." — Name the system '
                                  "or decision rather than the person")
    assert warnings[1].startswith('oncall: blameless? line 5: "It was human error." — \'Human error\' is where')
    stdin(monkeypatch, text)
    json_flags = oncall("postmortem", "set", "1", "went-poorly", "--json")
    assert json_flags.code == 0  # the same text: unchanged, and still flagged
    doc = json_flags.json()
    assert doc["unchanged"] is True and [f["line"] for f in doc["blame_flags"]] == [4, 5]  # lines of the input
    assert "Tom forgot" in oncall("postmortem", "show", "1").out


def test_a_save_from_an_older_revision_is_a_conflict_and_keeps_both_texts(oncall, monkeypatch, tmp_path):
    drafted(oncall)
    monkeypatch.setenv("ONCALL_USER", "tom")
    theirs = tmp_path / "theirs.md"
    theirs.write_text("The schema changed upstream.")
    assert oncall("postmortem", "set", "1", "summary", "--file", theirs).code == 0
    monkeypatch.setenv("ONCALL_USER", "maya")
    mine = tmp_path / "mine.md"
    mine.write_text("The export was partial.")
    conflict = oncall("postmortem", "set", "1", "summary", "--file", mine, "--revision", "1")
    assert conflict.code == 1 and conflict.out == ""
    said = conflict.err
    assert (f"INC-1 Summary was saved by Tom Brandt (tom) at {NOW_SAID} (revision 2) after revision 1, which your "
            f"text was made from; your text (--file {mine}) was kept as a copy, nothing is lost") in said
    assert "To keep theirs, do nothing; to keep yours, run `oncall postmortem set 1 summary --file F --revision 2`" \
        in said
    history = oncall("postmortem", "history", "1", "summary")
    assert history.out.splitlines()[0] == "INC-1 Summary: 3 texts kept"
    assert f"revision 2 (current) · Tom Brandt (tom) · {NOW_SAID}" in history.out
    assert ("conflict: made from revision 1 after someone else saved; kept as a copy · Maya Okafor (maya) · "
            f"{NOW_SAID}\n    The export was partial.") in history.out
    kept = oncall("postmortem", "set", "1", "summary", "--file", mine, "--revision", "2")
    assert kept.code == 0 and "saved as revision 3" in kept.out
    texts = [r["text"] for r in oncall("postmortem", "history", "1", "summary", "--json").json()["revisions"]]
    assert texts[1:] == ["The schema changed upstream.", "The export was partial.", "The export was partial."]


def test_status_moves_the_post_mortem_and_says_who(oncall, tmp_path):
    drafted(oncall)
    skipped = oncall("postmortem", "status", "1", "complete")
    assert skipped.code == 1 and "cannot go from draft to complete (it is reviewed first)" in skipped.err
    moved = oncall("postmortem", "status", "1", "In Review")
    assert moved.code == 0 and moved.out.strip() == "INC-1 post-mortem: draft → in review"
    prompts = oncall("postmortem", "status", "1", "complete")
    assert prompts.code == 1 and "still hold a '_To be written_' prompt: Impact, Detection" in prompts.err
    for section in ("impact", "detection", "root-cause", "went-well", "went-poorly"):
        written = tmp_path / f"{section}.md"
        written.write_text(f"What the team wrote for {section}.")
        assert oncall("postmortem", "set", "1", section, "--file", written).code == 0
    done = oncall("postmortem", "status", "1", "complete", "--json").json()
    assert done == {"incident": "INC-1", "status": "complete", "status_by": "tester", "status_by_name": "tester",
                    "status_at": "2026-11-27T10:00:00Z"}
    late = tmp_path / "late.md"
    late.write_text("a late edit")
    refused = oncall("postmortem", "set", "1", "summary", "--file", late)
    assert refused.code == 1 and "complete: move it back to in review to edit it" in refused.err
    unknown = oncall("postmortem", "status", "1", "finished")
    assert unknown.code == 2 and "unknown post-mortem status 'finished': use one of draft, in-review, complete" \
        in unknown.err


def test_export_writes_markdown_or_html_to_stdout_or_whole_to_a_file(oncall, tmp_path):
    resolved(oncall)
    before = oncall("postmortem", "export", "1")
    assert before.code == 1 and "no post-mortem yet" in before.err
    oncall("postmortem", "draft", "1")
    markdown = oncall("postmortem", "export", "1")
    assert markdown.code == 0 and markdown.out.startswith("# Post-mortem: INC-1 — Weekly CAC up 340%\n")
    html = oncall("postmortem", "export", "1", "--format", "html")
    assert html.out.startswith("<!DOCTYPE html>") and "<h1>Post-mortem: INC-1 — Weekly CAC up 340%</h1>" in html.out
    page = tmp_path / "INC-1.html"
    page.write_text("an older export")
    wrote = oncall("postmortem", "export", "1", "--output", page)
    assert wrote.code == 0 and wrote.out.strip() == f"wrote INC-1's post-mortem (html) to {page}"
    assert page.read_text() == html.out
    text = tmp_path / "INC-1.txt"
    assert oncall("postmortem", "export", "1", "-o", text).code == 0 and text.read_text() == markdown.out
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no partial file left
    folder = oncall("postmortem", "export", "1", "--output", tmp_path)
    assert folder.code == 2 and f"--output {tmp_path}: a folder; name a file in it" in folder.err
    nowhere = oncall("postmortem", "export", "1", "--output", tmp_path / "missing" / "x.md")
    assert nowhere.code == 2 and "no such folder" in nowhere.err
    bad = oncall("postmortem", "export", "1", "--format", "pdf")
    assert bad.code == 2 and "invalid choice: 'pdf'" in bad.err


def test_cause_says_whether_it_recurs_and_how_the_earlier_items_went(oncall, clock):
    clock.set(clock.now() - timedelta(days=30))
    declare(oncall, "Spend doubled", "SEV-2")
    assert oncall("action", "add", "1", "--title", "Contract test on the export", "--owner", "tom",
                  "--due", "2026-11-01").code == 0
    assert oncall("action", "add", "1", "--title", "Alert on a new column", "--owner", "priya").code == 0
    assert oncall("action", "done", "A-2").code == 0
    first = oncall("cause", "1", "upstream-schema-change")
    assert first.code == 0
    assert first.out.splitlines() == ["INC-1 root cause: upstream-schema-change",
                                      "not recurring: no earlier incident on cac-pipeline had this cause in the 90 "
                                      "days before it"]
    clock.set(clock.now() + timedelta(days=30))
    declare(oncall, "CAC up again", "SEV-2")
    second = oncall("cause", "2", "Upstream Schema Change")
    assert second.code == 0
    assert second.out.splitlines() == [
        "INC-2 root cause: upstream-schema-change",
        "recurring: INC-1 “Spend doubled” (detected 2026-10-28 10:00 UTC) had the same cause on cac-pipeline",
        "INC-1's action items: 1 open (1 overdue), 1 done, 0 won't do",
        "  A-1 open, medium, due 2026-11-01, OVERDUE by 26 days, Tom Brandt (tom): Contract test on the export",
        "  A-2 done, medium, no due date, Priya Raman (priya): Alert on a new column"]
    shown = oncall("show", "2")
    assert "  root cause            upstream-schema-change; recurring: INC-1 (its action items: 1 open (1 overdue), " \
           "1 done, 0 won't do)" in shown.out
    assert oncall("show", "2", "--json").json()["incident"]["recurring_of"] == 1
    again = oncall("cause", "2", "upstream-schema-change", "--json")
    assert again.code == 1 and "the root cause is already upstream-schema-change" in again.err
    doc = oncall("cause", "1", "stale-table", "--json").json()
    assert doc == {"incident": "INC-1", "root_cause": "stale-table", "recurring_of": None, "earlier": None}


@pytest.mark.parametrize("tag", ["stale table!", "x" * 70, "\x1b[31m", "Ünïcode"])
def test_a_cause_that_is_not_a_failure_tag_is_bad_input(oncall, tag):
    declare(oncall)
    refused = oncall("cause", "1", tag)
    assert refused.code == 2 and "use a failure tag" in refused.err and "\x1b" not in refused.err
    assert oncall("show", "1", "--json").json()["incident"]["root_cause"] == ""


def test_show_has_the_post_mortem_the_root_cause_and_the_action_items(oncall):
    resolved(oncall)
    doc = oncall("show", "1", "--json").json()
    assert doc["postmortem"] is None and doc["action_items"] == []
    assert doc["incident"]["root_cause"] == "" and doc["incident"]["recurring_of"] is None
    plain = oncall("show", "1").out
    assert "  post-mortem           none yet\n  root cause            -\n  action items          none\n" in plain
    oncall("postmortem", "draft", "1")
    oncall("action", "add", "1", "--title", "Add a row-count check", "--owner", "tom", "--due", "+7d",
           "--priority", "high")
    oncall("cause", "1", "partial-load")
    doc = oncall("show", "1", "--json").json()
    assert doc["postmortem"] == {"status": "draft", "status_by": "tester", "status_by_name": "tester",
                                 "status_at": "2026-11-27T10:00:00Z"}
    assert [(i["ref"], i["owner"], i["due"], i["priority"], i["status"]) for i in doc["action_items"]] == [
        ("A-1", "tom", "2026-12-04", "high", "open")]
    assert doc["incident"]["root_cause"] == "partial-load"
    plain = oncall("show", "1").out
    assert (f"  post-mortem           draft (by tester, 2026-11-27T10:00:00Z)\n"
            "  root cause            partial-load\n"
            "  action items          1 open, 0 done, 0 won't do\n"
            "    A-1 open, high, due 2026-12-04, in 7 days, Tom Brandt (tom): Add a row-count check\n"
            "timeline:\n") in plain


# -- odd input --------------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "said"), [
    (b"", "empty (nothing visible in it); nothing saved"),
    (b"\n\n  \t\n", "empty (nothing visible in it)"),
    (b"\x1b[2J\x07", "empty (nothing visible in it)"),
    (b"caf\xe9 au lait", "not UTF-8 text (byte 0xe9 at offset 3)"),
    (b"PNG\x00\x00\x01", "holds NUL bytes; it looks like a binary file"),
    (b"x" * 800_005, "over 800,004 bytes"),
    ("é".encode() * 200_001, "200,001 characters; a section holds at most 200,000"),
], ids=["empty", "blank", "controls only", "not utf-8", "binary", "huge", "too long"])
def test_a_file_that_is_no_section_text_is_bad_input_said_by_name(oncall, tmp_path, monkeypatch, content, said):
    drafted(oncall)
    odd = tmp_path / "odd.md"
    odd.write_bytes(content)
    result = oncall("postmortem", "set", "1", "summary", "--file", odd)
    assert result.code == 2 and f"--file {odd}: {said}" in result.err and "Traceback" not in result.err, result.err
    stdin(monkeypatch, content)
    piped = oncall("postmortem", "set", "1", "summary")
    assert piped.code == 2 and f"stdin: {said}" in piped.err
    assert oncall("postmortem", "show", "1", "--json").json()["sections"][0]["revision"] == 1  # nothing saved


def test_a_folder_or_a_missing_file_is_bad_input(oncall, tmp_path):
    drafted(oncall)
    folder = oncall("postmortem", "set", "1", "summary", "--file", tmp_path)
    assert folder.code == 2 and f"--file {tmp_path}: a folder, not a file" in folder.err
    missing = oncall("postmortem", "set", "1", "summary", "--file", tmp_path / "nope.md")
    assert missing.code == 2 and "nope.md: no such file" in missing.err


def test_a_file_with_a_bom_and_windows_lines_is_read_as_text(oncall, tmp_path):
    drafted(oncall)
    odd = tmp_path / "windows.md"
    odd.write_bytes("\ufeffLine one\r\nLine \x1b[1mtwo\x1b[0m\r\n".encode())
    assert oncall("postmortem", "set", "1", "summary", "--file", odd).code == 0
    assert oncall("postmortem", "show", "1", "--json").json()["sections"][0]["text"] == "Line one\nLine two"


@pytest.mark.parametrize("command", [
    ("postmortem", "draft", "99999999999999999999"), ("postmortem", "show", "INC-" + "9" * 30),
    ("postmortem", "export", "0"), ("postmortem", "history", "424242", "summary"), ("cause", "9" * 20, "stale-table"),
    ("postmortem", "status", "77", "in-review"),
])
def test_no_such_incident_is_bad_input(oncall, command):
    declare(oncall)
    result = oncall(*command)
    assert result.code == 2 and "no incident INC-" in result.err and "Traceback" not in result.err


@pytest.mark.parametrize(("args", "said"), [
    (("summary", "--revision", "9" * 20), f"--revision {'9' * 20}: the summary section is at revision 1; give one "
                                          "it has had (0 to 1)"),
    (("summary", "--revision", "9" * 40), f"--revision {'9' * 19}…: the summary section is at revision 1"),
    (("summary", "--revision", "-3"), "--revision -3: the summary section is at revision 1"),
    (("summary", "--revision", "two"), "invalid int value: 'two'"),
    (("whys",), "unknown section 'whys': use one of summary, impact,"),
    (("\x1b[31mimpact",), "unknown section '\\x1b[31mimpact'"),
])
def test_a_bad_section_or_revision_is_bad_input(oncall, monkeypatch, args, said):
    drafted(oncall)
    stdin(monkeypatch, b"text")
    result = oncall("postmortem", "set", "1", *args)
    assert result.code == 2 and said in result.err and "\x1b" not in result.err, result.err


def test_the_command_line_knows_the_services_section_limit():
    from oncall.cli import postmortem_cmds
    from oncall.service.postmortems import SECTION_MAX

    assert postmortem_cmds.SECTION_MAX == SECTION_MAX
