"""`oncall comms templates`, `oncall comms check` and `oncall comms render`."""

from __future__ import annotations

import json

from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.incidents import Declaration


def declare(oncall, *extra: str) -> None:
    assert oncall("declare", "--title", "Weekly CAC up 340%", "--severity", "SEV-1", "--asset", "cac-pipeline",
                  "--ic", "maya", "--impact", "CAC reads 4x too high", "--started-at", "-3h", *extra).code == 0


def test_templates_lists_each_and_where_it_comes_from(oncall, workspace):
    listed = oncall("comms", "templates")
    assert listed.code == 0
    lines = listed.out.splitlines()
    assert lines[0].split() == ["technical-initial.md.j2", "built", "in"]
    assert lines[-1] == f"10 templates: 0 from {workspace.root / 'templates'}, 10 built in"
    folder = workspace.root / "templates"
    folder.mkdir()
    (folder / "stakeholders-update.md.j2").write_text("{{ ref }}: {{ title }}\n")
    (folder / "technical-update.md.j2").write_text("{{ nope }}\n")
    listed = oncall("comms", "templates", "--json").json()
    by_name = {t["name"]: t for t in listed["templates"]}
    assert by_name["stakeholders-update.md.j2"] == {
        "name": "stakeholders-update.md.j2", "audience": "stakeholders", "moment": "update", "source": "workspace",
        "file": str(folder / "stakeholders-update.md.j2"), "broken": None}
    assert by_name["technical-update.md.j2"]["source"] == "built in"
    assert by_name["technical-update.md.j2"]["broken"] == str(folder / "technical-update.md.j2")
    assert listed["problems"][0]["line"] == 1 and "'nope' is not a field" in listed["problems"][0]["message"]
    said = oncall("comms", "templates").out
    assert f"technical-update.md.j2       built in  ({folder / 'technical-update.md.j2'} is broken" in said
    assert f"stakeholders-update.md.j2    {folder / 'stakeholders-update.md.j2'}" in said


def test_check_prints_file_line_message_and_exits_1_on_a_problem(oncall, workspace):
    none = oncall("comms", "check")
    assert none.code == 0 and "no templates folder" in none.out
    folder = workspace.root / "templates"
    folder.mkdir()
    (folder / "reporter-fixed.md.j2").write_text("Hi {{ reporter }}\n")
    clean = oncall("comms", "check")
    assert clean.code == 0 and clean.out.strip() == f"checked 1 template in {folder}: no problems"
    broken = folder / "technical-initial.md.j2"
    broken.write_text("{{ ref }}\n\n{{ title | when }\n")
    unknown = folder / "stakeholders-initial.md.j2"
    unknown.write_text("{{ title }}\n{{ eta_text }}\n")
    checked = oncall("comms", "check")
    assert checked.code == 1
    lines = checked.out.splitlines()
    assert f"{broken}:3: syntax error: unexpected '}}'" in lines
    assert any(line.startswith(f"{unknown}:2: 'eta_text' is not a field (")
               for line in lines), lines
    assert lines[-1].startswith(f"checked 3 templates in {folder}: 2 problems in 2 files")
    one = oncall("comms", "check", str(unknown))
    assert one.code == 1 and one.out.splitlines()[0].startswith(f"{unknown}:2: ")
    fine = oncall("comms", "check", str(folder / "reporter-fixed.md.j2"))
    assert fine.code == 0
    draft = workspace.root / "draft.j2"
    draft.write_text("{{ ''.__class__ }}\n")
    refused = oncall("comms", "check", str(draft))
    assert refused.code == 1 and f"{draft}:1: refused by the sandbox" in refused.out
    missing = oncall("comms", "check", str(workspace.root / "nowhere"))
    assert missing.code == 2 and "no such file or folder" in missing.err


def test_render_prints_what_would_be_sent(oncall):
    declare(oncall)
    assert oncall("assign", "1", "--role", "sme", "--person", "tom").code == 0
    text = oncall("comms", "render", "1", "--template", "technical-initial").out
    assert text.startswith(":rotating_light: *INC-1 declared: Weekly CAC up 340%*\n")
    assert "*IC:* Maya Okafor" in text and "*SMEs:* Tom Brandt" in text
    assert "*Data wrong since:* Nov 27 07:00 UTC (3 h ago)" in text
    rendered = oncall("comms", "render", "INC-1", "--template", "stakeholders-update.md.j2", "--target", "text",
                      "--set", "workaround=Use last week's number", "--set", "doing=Reloading the export",
                      "--json").json()
    assert set(rendered) == {"template", "target", "text", "source"}
    assert (rendered["template"], rendered["target"], rendered["source"]) == \
        ("stakeholders-update.md.j2", "text", "built in")
    assert "What to do meanwhile: Use last week's number" in rendered["text"]
    assert "Reloading the export" in rendered["text"]


def test_render_escapes_typed_text_for_slack_but_not_for_email(oncall):
    assert oncall("declare", "--title", "<!channel> @here <http://evil|x> & < >", "--severity", "SEV-2",
                  "--asset", "cac-dashboard").code == 0
    slack = oncall("comms", "render", "1", "--template", "technical-update", "--json").json()["text"]
    assert "*INC-1 update: &lt;!channel&gt; @\u200bhere &lt;http://evil|x&gt; &amp; &lt; &gt;*" in slack
    assert "<!channel>" not in slack and "<http://evil" not in slack
    email = oncall("comms", "render", "1", "--template", "stakeholders-initial", "--target", "text").out
    assert "Heads-up: <!channel> @here <http://evil|x> & < > (INC-1)" in email


def test_render_uses_the_workspace_template_and_warns_about_a_broken_one(oncall, workspace):
    declare(oncall)
    folder = workspace.root / "templates"
    folder.mkdir()
    (folder / "reporter-acknowledged.md.j2").write_text("Thanks, {{ reporter or 'you' }}: {{ ref }} is ours now.\n")
    (folder / "technical-update.md.j2").write_text("{{ ref }}\n{% if %}\n")
    own = oncall("comms", "render", "1", "--template", "reporter-acknowledged", "--set", "reporter=sofia")
    assert own.code == 0 and own.out == "Thanks, Sofia Castro: INC-1 is ours now.\n"
    fallback = oncall("comms", "render", "1", "--template", "technical-update")
    assert fallback.code == 0 and fallback.out.startswith("*INC-1 update: Weekly CAC up 340%*")
    assert f"oncall: warning: {folder / 'technical-update.md.j2'}:2: syntax error" in fallback.err
    assert "(the built-in template is used)" in fallback.err


def test_render_refuses_bad_input_with_exit_2(oncall):
    declare(oncall)
    unknown = oncall("comms", "render", "1", "--template", "nope")
    assert unknown.code == 2 and "unknown template 'nope'; templates: technical-initial," in unknown.err
    bad_set = oncall("comms", "render", "1", "--template", "technical-update", "--set", "colour=red")
    assert bad_set.code == 2 and "'colour' cannot be set; fields you can set: title, impact" in bad_set.err
    no_equals = oncall("comms", "render", "1", "--template", "technical-update", "--set", "doing")
    assert no_equals.code == 2 and "use FIELD=VALUE" in no_equals.err
    bad_value = oncall("comms", "render", "1", "--template", "technical-resolved", "--set", "data_loss=maybe")
    assert bad_value.code == 2 and "data_loss: 'maybe' is not yes, no or unknown" in bad_value.err
    missing = oncall("comms", "render", "99", "--template", "technical-update")
    assert missing.code == 2 and "no incident INC-99" in missing.err
    no_command = oncall("comms")
    assert no_command.code == 2


def test_the_dismissal_reason_reaches_the_reporter(oncall, service):
    service.declare(Declaration(title="Signups spiked", severity=Severity.SEV3, asset="cac-dashboard",
                                status=Status.TRIAGE))
    assert oncall("status", "1", "dismissed", "--reason", "a real Black Friday campaign").code == 0
    text = oncall("comms", "render", "1", "--template", "reporter-dismissed", "--target", "text").out
    assert "Why: a real Black Friday campaign" in text


def test_a_drill_says_so(oncall):
    declare(oncall, "--source", "drill")
    for name in ("technical-initial", "stakeholders-initial", "reporter-acknowledged"):
        out = json.loads(oncall("comms", "render", "1", "--template", name, "--json").out)["text"]
        assert "[DRILL]" in out.splitlines()[0], name


def test_declare_records_who_reported_it_and_refuses_what_is_not_a_person(oncall):
    declare(oncall, "--reported-by", "sofia")
    shown = oncall("show", "1", "--json").json()
    assert shown["incident"]["reported_by"] == "sofia"
    assert "reported by sofia" in shown["timeline"][0]["text"]
    assert "reported by           sofia" in oncall("show", "1").out
    refused = oncall("declare", "--title", "x", "--severity", "SEV-3", "--asset", "cac-pipeline",
                     "--reported-by", "not a person!")
    assert refused.code == 2
    assert "'not a person!' is not on the roster, a Slack user id (U04ABCDEF) or an email address" in refused.err
    bad_mail = oncall("declare", "--title", "x", "--severity", "SEV-3", "--asset", "cac-pipeline",
                      "--reported-by", "ana@@acme")
    assert bad_mail.code == 2 and "is not an email address" in bad_mail.err
    assert oncall("list", "--json").json()["total"] == 1, "nothing was declared by the refused ones"


def test_an_answer_to_the_reporter_needs_a_reporter(oncall):
    declare(oncall)
    refused = oncall("comms", "send", "1", "--template", "reporter-acknowledged")
    assert refused.code != 0 and "INC-1 has no reporter on record" in refused.err
    declare(oncall, "--reported-by", "ana.silva@acme.example")
    sent = oncall("comms", "send", "2", "--template", "reporter-acknowledged", "--json")
    assert sent.code == 0, sent.err
    event = oncall("show", "2", "--json").json()["timeline"][-1]
    assert event["data"]["to"] == "ana.silva@acme.example" and event["data"]["by_email"] is True


def test_the_next_update_a_message_states_is_the_one_the_countdown_keeps(oncall):
    declare(oncall)  # a SEV-1: its initial notice is owed at once
    sent = oncall("comms", "send", "1", "--template", "stakeholders-initial", "--json")
    assert sent.code == 0, sent.err
    due = oncall("comms", "due", "--within", "60", "--json").json()
    [row] = due["incidents"] if "incidents" in due else due
    event = oncall("show", "1", "--json").json()["timeline"][-1]
    stated = event["data"]["text"]
    # 10:00 now, SEV-1 every 30 minutes: the message says 10:30, and 10:30 is when the next is due.
    assert "10:30 UTC" in stated, stated
    assert str(row.get("update_due_at") or row.get("due_at")).startswith("2026-11-27T10:30")
