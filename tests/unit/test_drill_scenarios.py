"""Drill scenario files: the three shipped ones load cleanly against the demo workspace, a broken
file is reported with its file, line and field (and the others still load), and hostile YAML is a
problem, never a crash or a hang."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from oncall.demo.install import bundled_demo
from oncall.domain.drills import Condition, Persona, parse_condition, parse_duration
from oncall.domain.severity import Severity
from oncall.workspace.drills import DrillProblem, load_drills, parse_scenario, runbook_steps
from oncall.workspace.runbooks import load_library

GOOD = """\
title: "Ad spend stale before the review"
asset: stg-ad-spend
severity: SEV-2
situation: |
  Monday 09:40. A freshness alert fired.
personas:
  sofia: {name: "Sofia Castro", role: "Marketing analyst"}
  grace:
    name: "Grace Lin"
    role: "Head of data"
  alerts: dbt Cloud
injects:
  - at: 0m
    from: alerts
    kind: alert
    text: "stg_ad_spend is 26 hours old"
  - at: 5m
    from: sofia
    kind: message
    text: "Is the spend right?"
  - at: 20m
    from: grace
    kind: leader
    text: "Any ETA? The CEO is asking."
    unless: update_sent
  - at: 25m
    from: alerts
    kind: fix
    text: "The load re-ran."
    after: step "Confirm fresh rows arrived"
targets:
  declare_within: 10m
  severity: SEV-2
  roles_within: 15m
  first_update_within: 15m
  updates_on_cadence: true
  runbook: stale-warehouse-table
  resolve_within: 1h30m
"""

ASSETS = {"stg-ad-spend", "cac-dashboard"}
RUNBOOKS = {"stale-warehouse-table": ("Measure how stale the table is", "Confirm fresh rows arrived")}


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, "utf-8")
    return path


def test_a_good_scenario_reads_whole(tmp_path: Path) -> None:
    scenario, problems = parse_scenario(write(tmp_path, "ad-spend.yaml", GOOD), known_assets=ASSETS,
                                        runbooks=RUNBOOKS)
    assert problems == []
    assert scenario is not None
    assert (scenario.name, scenario.asset, scenario.severity) == ("ad-spend", "stg-ad-spend", Severity.SEV2)
    assert scenario.situation == "Monday 09:40. A freshness alert fired."
    assert scenario.personas["alerts"] == Persona("alerts", "dbt Cloud")  # a name alone is a persona
    assert scenario.personas["grace"].role == "Head of data"
    assert [i.index for i in scenario.injects] == [0, 1, 2, 3]
    assert [i.at for i in scenario.injects] == [timedelta(0), timedelta(minutes=5), timedelta(minutes=20),
                                                timedelta(minutes=25)]
    assert scenario.injects[2].unless == Condition("update_sent")
    assert scenario.injects[3].after == Condition("step", "Confirm fresh rows arrived")
    assert scenario.injects[1].line == 17
    targets = scenario.targets
    assert targets.declare_within == timedelta(minutes=10) and targets.resolve_within == timedelta(minutes=90)
    assert targets.updates_on_cadence is True and targets.runbook == "stale-warehouse-table"
    assert targets.severity is Severity.SEV2


def test_the_expected_severity_is_a_target_even_when_targets_do_not_repeat_it(tmp_path: Path) -> None:
    text = GOOD.replace("  severity: SEV-2\n", "")
    scenario, problems = parse_scenario(write(tmp_path, "x.yaml", text))
    assert problems == [] and scenario.targets.severity is Severity.SEV2
    no_targets = text[:text.index("targets:")]
    scenario, problems = parse_scenario(write(tmp_path, "y.yaml", no_targets))
    assert problems == [] and scenario.targets.severity is Severity.SEV2 and scenario.targets.runbook is None


# (what is replaced, by what, the field named, the line's marker in the broken text, words of the message)
BROKEN = [
    ("unknown key", "severity: SEV-2\nsituation", "severity: SEV-2\ncolour: red\nsituation", "colour",
     "colour: red", "unknown key 'colour'"),
    ("misspelt key", "situation: |", "situaton: |", "situaton", "situaton:", "did you mean 'situation'"),
    ("a misspelt list of injects", "injects:", "injcts:", "injcts", "injcts:", "did you mean 'injects'"),
    ("a misspelt inject key", "    from: sofia", "    frm: sofia", "injects[1].frm", "frm: sofia",
     "did you mean 'from'"),
    ("a key twice", "asset: stg-ad-spend\n", "asset: stg-ad-spend\nasset: cac-dashboard\n", "asset",
     "asset: cac-dashboard", "given twice (also on line 2)"),
    ("no title", 'title: "Ad spend stale before the review"\n', "", "title", "asset:", "no title given"),
    ("empty title", 'title: "Ad spend stale before the review"', "title:", "title", "title:", "title is empty"),
    ("unknown asset", "asset: stg-ad-spend", "asset: stg-ad-spnd", "asset", "asset:", "did you mean 'stg-ad-spend'"),
    ("unknown severity", "severity: SEV-2\nsituation", "severity: SEV-4\nsituation", "severity", "severity: SEV-4",
     "unknown severity 'SEV-4'"),
    ("targets disagree on severity", "  severity: SEV-2\n  roles", "  severity: SEV-1\n  roles", "targets.severity",
     "  severity: SEV-1", "differs from the scenario's severity SEV-2"),
    ("bad duration", "  - at: 5m", "  - at: 5 minutes", "injects[1].at", "5 minutes", "'5 minutes' is not a duration"),
    ("a duration with no unit", "  - at: 20m", "  - at: 20", "injects[2].at", "  - at: 20", "write it as 30s"),
    ("a duration longer than a drill", "resolve_within: 1h30m", "resolve_within: 48h", "targets.resolve_within",
     "48h", "longer than a drill"),
    ("unknown persona", "    from: sofia", "    from: sophia", "injects[1].from", "from: sophia",
     "unknown persona 'sophia' (did you mean 'sofia'?)"),
    ("no from", "    from: sofia\n", "", "injects[1].from", "  - at: 5m", "no from given"),
    ("unknown kind", "    kind: message", "    kind: email", "injects[1].kind", "kind: email", "unknown kind 'email'"),
    ("unknown condition", "unless: update_sent", "unless: updated", "injects[2].unless", "unless: updated",
     "unknown condition 'updated'"),
    ("a step with no title", 'after: step "Confirm fresh rows arrived"', 'after: step ""', "injects[3].after",
     "after: step", "unknown condition"),
    ("a step no runbook has", 'after: step "Confirm fresh rows arrived"', 'after: step "Confirm fresh rows"',
     "injects[3].after", "after: step", "no runbook has a step titled 'Confirm fresh rows'"),
    ("an inject with no text", '    text: "Is the spend right?"\n', "", "injects[1].text", "  - at: 5m",
     "no text given"),
    ("an inject with empty text", '    text: "Is the spend right?"', '    text: ""', "injects[1].text",
     '    text: ""', "text is empty"),
    ("unknown inject key", "    kind: alert\n", "    kind: alert\n    channel: slack\n", "injects[0].channel",
     "channel: slack", "unknown key 'channel'"),
    ("an inject that is not a mapping", '  - at: 0m\n    from: alerts\n    kind: alert\n    text: "stg_ad_spend is 26 hours old"\n',
     "  - just words\n", "injects[0]", "just words", "an inject is key: value lines"),
    ("injects not a list", GOOD[GOOD.index("injects:"):GOOD.index("targets:")], "injects: soon\n", "injects",
     "injects: soon", "injects must be a list"),
    ("no injects", GOOD[GOOD.index("injects:"):GOOD.index("targets:")], "injects: []\n", "injects",
     "injects: []", "empty"),
    ("a persona with no name", '  sofia: {name: "Sofia Castro", role: "Marketing analyst"}',
     '  sofia: {role: "Marketing analyst"}', "personas.sofia.name", "  sofia:", "no name given"),
    ("a persona key unknown", '  sofia: {name: "Sofia Castro", role: "Marketing analyst"}',
     '  sofia: {name: "Sofia Castro", team: "Marketing"}', "personas.sofia.team", "  sofia:", "unknown key 'team'"),
    ("unknown target", "  declare_within: 10m", "  declare_in: 10m", "targets.declare_in", "declare_in",
     "did you mean 'declare_within'"),
    ("updates_on_cadence not a yes or no", "updates_on_cadence: true", "updates_on_cadence: sometimes",
     "targets.updates_on_cadence", "updates_on_cadence", "must be true or false"),
    ("unknown runbook", "  runbook: stale-warehouse-table", "  runbook: stale-table", "targets.runbook",
     "runbook: stale-table", "unknown runbook 'stale-table'"),
    ("targets not a mapping", GOOD[GOOD.index("targets:"):], "targets: fast\n", "targets", "targets: fast",
     "targets are key: value lines"),
    ("not valid YAML", "  - at: 5m\n    from: sofia", "  - at: 5m\n   from: sofia", "", "   from: sofia",
     "not valid YAML"),
]


@pytest.mark.parametrize(("old", "new", "field", "marker", "words"), [case[1:] for case in BROKEN],
                         ids=[case[0] for case in BROKEN])
def test_a_broken_scenario_names_the_line_and_field(tmp_path: Path, old: str, new: str, field: str, marker: str,
                                                    words: str) -> None:
    assert old in GOOD, "the case must change the good scenario"
    text = GOOD.replace(old, new, 1)
    path = write(tmp_path, "broken.yaml", text)
    scenario, problems = parse_scenario(path, known_assets=ASSETS, runbooks=RUNBOOKS)
    assert scenario is None
    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    line = next(n for n, content in enumerate(text.splitlines(), start=1) if marker in content)
    assert (problem.file, problem.line, problem.field) == (path, line, field)
    assert words in problem.message


def test_a_problem_reads_as_file_line_field_message(tmp_path: Path) -> None:
    problem = DrillProblem(tmp_path / "x.yaml", 12, "injects[1].at", "'5 minutes' is not a duration")
    assert str(problem) == f"{tmp_path / 'x.yaml'}:12: injects[1].at: '5 minutes' is not a duration"
    assert str(DrillProblem(tmp_path / "x.yaml", None, "", "it is too big")) == f"{tmp_path / 'x.yaml'}: it is too big"


def test_every_problem_in_a_file_is_reported_by_line(tmp_path: Path) -> None:
    text = GOOD.replace("severity: SEV-2\nsituation", "severity: SEV-9\nsituation").replace("kind: message", "kind: sms")
    _, problems = parse_scenario(write(tmp_path, "two.yaml", text))
    assert [p.field for p in problems] == ["severity", "injects[1].kind"]
    assert problems[0].line < problems[1].line


def test_one_broken_file_does_not_stop_the_others(tmp_path: Path) -> None:
    folder = tmp_path / "drills"
    write(folder, "good.yaml", GOOD)
    write(folder, "also-good.yml", GOOD.replace("Ad spend stale", "Another drill"))
    bad = write(folder, "bad.yaml", GOOD.replace("kind: message", "kind: sms"))
    write(folder, "README.md", "# not a scenario\n")
    library = load_drills(folder, ASSETS)
    assert sorted(library.scenarios) == ["also-good", "good"]
    assert library.get("also-good").title == "Another drill before the review"
    assert [(p.file, p.field) for p in library.problems] == [(bad, "injects[1].kind")]
    assert library.broken == [bad]


def test_without_known_assets_or_runbooks_those_are_not_checked(tmp_path: Path) -> None:
    text = GOOD.replace("asset: stg-ad-spend", "asset: anything").replace("runbook: stale-warehouse-table", "runbook: x")
    scenario, problems = parse_scenario(write(tmp_path, "loose.yaml", text))
    assert problems == [] and scenario.asset == "anything" and scenario.targets.runbook == "x"


def test_a_missing_folder_is_an_empty_library(tmp_path: Path) -> None:
    library = load_drills(tmp_path / "no-such-folder", ASSETS)
    assert library.scenarios == {} and library.problems == []


def test_two_files_with_one_name_keep_the_first(tmp_path: Path) -> None:
    folder = tmp_path / "drills"
    write(folder, "drill.yaml", GOOD)
    second = write(folder, "drill.yml", GOOD.replace("Ad spend stale", "Second"))
    library = load_drills(folder)
    assert library.get("drill").title.startswith("Ad spend stale")
    assert [(p.file, p.message) for p in library.problems] == [(second, "drill.yaml has the same name (drill); "
                                                                         "rename one of them")]


def test_a_file_name_that_cannot_be_typed_is_a_problem(tmp_path: Path) -> None:
    _, problems = parse_scenario(write(tmp_path, "My Drill.yaml", GOOD))
    assert len(problems) == 1 and "file name 'My Drill.yaml'" in problems[0].message


def test_text_from_a_scenario_cannot_reach_the_terminal_as_escapes(tmp_path: Path) -> None:
    text = GOOD.replace('"Is the spend right?"', '"Is the spend \\e[2J right?"')
    scenario, problems = parse_scenario(write(tmp_path, "esc.yaml", text))
    assert problems == []
    assert "\x1b" not in scenario.injects[1].text and "right?" in scenario.injects[1].text


def test_text_is_kept_as_written_not_read_as_a_number(tmp_path: Path) -> None:
    scenario, problems = parse_scenario(write(tmp_path, "t.yaml", GOOD.replace('text: "Is the spend right?"', "text: 11:00")))
    assert problems == [] and scenario.injects[1].text == "11:00"


# -- hostile files --------------------------------------------------------------------------------


HOSTILE = [
    ("aliases", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n", 2, "aliases (*name) are not allowed"),
    ("deep nesting", "title: " + "[" * 5000 + "]" * 5000 + "\n", 1, "nested more than 20 levels deep"),
    ("deep block nesting", "".join("  " * n + f"k{n}:\n" for n in range(60)) + "  " * 60 + "v\n", 20,
     "nested more than 20 levels deep"),
    ("a Python object tag", "title: !!python/object/apply:os.system [echo hi]\n", 1, "title must be text"),
    ("several documents", GOOD + "---\n" + GOOD, 39, "expected a single document"),
    ("a top-level list", "- one\n- two\n", 1, "a scenario is key: value lines"),
    ("a control character", "title: \x07bell\n", 1, "a character YAML does not allow (U+0007)"),
    ("an empty file", "\n\n", 1, "the file is empty"),
]


@pytest.mark.parametrize(("text", "line", "words"), [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_hostile_yaml_is_a_problem_not_a_crash(tmp_path: Path, text: str, line: int, words: str) -> None:
    scenario, problems = parse_scenario(write(tmp_path, "hostile.yaml", text))
    assert scenario is None
    assert any(words in p.message for p in problems), [str(p) for p in problems]
    assert problems[0].line == line


def test_a_two_megabyte_file_is_not_read(tmp_path: Path) -> None:
    path = write(tmp_path, "huge.yaml", GOOD + "# " + "x" * 2_000_000 + "\n")
    scenario, problems = parse_scenario(path)
    assert scenario is None
    assert len(problems) == 1 and problems[0].line is None and "a scenario is at most 256,000" in problems[0].message


def test_bytes_that_are_not_utf8_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(GOOD.replace("Monday", "Montag M\xfcnchen").encode("latin-1"))
    _, problems = parse_scenario(path)
    assert len(problems) == 1 and problems[0].line == 5 and "not UTF-8" in problems[0].message


def test_a_hostile_file_among_good_ones_leaves_them_loaded(tmp_path: Path) -> None:
    folder = tmp_path / "drills"
    write(folder, "good.yaml", GOOD)
    write(folder, "bomb.yaml", HOSTILE[0][1])
    write(folder, "huge.yaml", "# " + "x" * 2_000_000)
    library = load_drills(folder)
    assert list(library.scenarios) == ["good"]
    assert sorted(p.file.name for p in library.problems) == ["bomb.yaml", "huge.yaml"]


# -- durations and conditions ------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("30s", timedelta(seconds=30)), ("5m", timedelta(minutes=5)), ("1h30m", timedelta(minutes=90)),
    ("90m", timedelta(minutes=90)), ("1h 30m", timedelta(minutes=90)), ("0m", timedelta(0)),
    ("2h", timedelta(hours=2)), ("1m30s", timedelta(seconds=90)), (" 5M ", timedelta(minutes=5)),
])
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "5 minutes", "m", "30m1h", "-5m", "1.5h", "25h", "9999999h", "1d"])
def test_a_duration_that_is_not_one_names_the_text(text: str) -> None:
    with pytest.raises(ValueError, match="duration|longer than a drill") as error:
        parse_duration(text)
    assert repr(text.strip()[:40])[1:-1] in str(error.value) or text.strip() == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("update_sent", Condition("update_sent")), ("declared", Condition("declared")),
    ("roles_assigned", Condition("roles_assigned")), ("runbook_attached", Condition("runbook_attached")),
    ("resolved", Condition("resolved")), ('step "Reload the missing window"', Condition("step", "Reload the missing window")),
    ("step 'Reload it'", Condition("step", "Reload it")),
])
def test_conditions(text: str, expected: Condition) -> None:
    assert parse_condition(text) == expected
    assert parse_condition(str(expected)) == expected  # a condition reads back as written


@pytest.mark.parametrize("text", ["step", "step Reload", "sent", 'step ""', "Resolved"])
def test_an_unknown_condition_says_what_is_allowed(text: str) -> None:
    with pytest.raises(ValueError, match="update_sent, declared"):
        parse_condition(text)


# -- the shipped scenarios ----------------------------------------------------------------------------


@pytest.fixture
def shipped(workspace):
    demo = bundled_demo()
    assets = {asset.id for asset in workspace.config.assets}
    library = load_drills(demo / "drills", assets, runbook_steps(load_library(demo / "runbooks")))
    return library


def test_the_three_shipped_scenarios_load_against_the_demo_workspace(shipped) -> None:
    assert shipped.problems == []
    assert sorted(shipped.scenarios) == ["api-rename-sev3", "cac-sev2", "finance-stale-sev1"]
    severities = {name: s.severity for name, s in shipped.scenarios.items()}
    assert severities == {"cac-sev2": Severity.SEV2, "finance-stale-sev1": Severity.SEV1,
                          "api-rename-sev3": Severity.SEV3}
    for scenario in shipped.scenarios.values():
        assert 5 <= len(scenario.injects) <= 8, scenario.name
        assert scenario.targets.severity is scenario.severity
        assert scenario.targets.runbook and scenario.targets.declare_within and scenario.targets.resolve_within
        fixes = [i for i in scenario.injects if i.kind == "fix"]
        assert len(fixes) == 1 and fixes[0].after is not None and fixes[0].after.kind == "step", scenario.name


def test_the_cac_drill_is_the_one_of_the_source_document(shipped) -> None:
    cac = shipped.get("cac-sev2")
    assert cac.asset == "cac-dashboard" and cac.severity is Severity.SEV2
    first = min(cac.injects, key=lambda i: i.at)
    assert first.text == ("Can someone from the data team confirm if this number is correct? We need to know "
                          "before the 11 AM review.")
    leader = next(i for i in cac.injects if i.kind == "leader")
    assert leader.unless == Condition("update_sent")
    fix = next(i for i in cac.injects if i.kind == "fix")
    assert fix.after == Condition("step", "Reload the missing window")
    assert cac.targets.runbook == "pipeline-succeeded-no-data"


def test_the_finance_drill_says_which_asset_stands_in_for_a_finance_table(shipped) -> None:
    finance = shipped.get("finance-stale-sev1")
    assert finance.asset == "stg-ad-spend"
    assert "stands in for a finance table" in finance.situation
