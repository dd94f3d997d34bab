"""oncall.toml mistakes: each is reported with the file, the line and the key, and one broken
entry never stops the rest of the workspace from loading.

In each broken file below, the line a message must point at ends with `# <- here`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from oncall.workspace.config import Config, ConfigError, ConfigProblem, load_config

GOOD = '''
[workspace]
name = "Data team"

[[people]]
id = "ana"
name = "Ana Lopez"
roles = ["ic", "sme"]

[[people]]
id = "ben"
name = "Ben Ode"

[rotation]
start = 2026-01-05T09:00:00Z
people = ["ana", "ben"]

[[assets]]
id = "orders"
name = "orders table"
kind = "table"
owner = "ana"

[[assets]]
id = "sales-dashboard"
name = "Sales dashboard"
kind = "dashboard"
upstream = ["orders"]
'''


def load(tmp_path: Path, text: str) -> tuple[Config, list[ConfigProblem]]:
    path = tmp_path / "oncall.toml"
    path.write_text(text, "utf-8")
    return load_config(path)


def marked_line(text: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if line.endswith("# <- here"))


def the_problem(tmp_path: Path, text: str, key: str) -> tuple[Config, str]:
    """The one problem about `key` in `text`: it names the file, the marked line and the key.
    (Other problems may follow from it: a person left out is then "not on the roster".)"""
    config, problems = load(tmp_path, text)
    about = [p for p in problems if p.key == key]
    assert len(about) == 1, [str(p) for p in problems]
    message = str(about[0])
    assert message.startswith(f"{tmp_path / 'oncall.toml'}:{marked_line(text)}: [{key}] "), message
    return config, message


def test_the_good_file_loads_without_problems(tmp_path: Path) -> None:
    config, problems = load(tmp_path, GOOD)
    assert problems == []
    assert [p.id for p in config.people] == ["ana", "ben"]
    assert [a.id for a in config.assets] == ["orders", "sales-dashboard"]
    assert config.rotation is not None and config.rotation.people == ["ana", "ben"]


BOTH_PEOPLE, BOTH_ASSETS = ["ana", "ben"], ["orders", "sales-dashboard"]

# (what is broken, GOOD's text replaced (None: appended), by what, the key named, what the message
#  says, the people and assets that still load: a bad key is dropped, not its entry, unless the
#  entry then lacks a required value)
MISTAKES = [
    ("unknown-top-level-key", None, '[slak]  # <- here\nchannel = "#data"', "slak",
     ["unknown key", "slack"], BOTH_PEOPLE, BOTH_ASSETS),
    ("unknown-key-in-entry", 'name = "Ben Ode"', 'name = "Ben Ode"\nshoe_size = 44  # <- here', "people[1].shoe_size",
     ["unknown key"], BOTH_PEOPLE, BOTH_ASSETS),
    ("wrong-type", "people = [\"ana\", \"ben\"]", 'people = ["ana", "ben"]\nshift_days = "seven"  # <- here',
     "rotation.shift_days", ["integer", "'seven'"], BOTH_PEOPLE, BOTH_ASSETS),
    ("wrong-enum-value", 'kind = "dashboard"', 'kind = "dashbord"  # <- here', "assets[1].kind",
     ["'dashbord'", "'dashboard'"], BOTH_PEOPLE, ["orders"]),
    ("missing-required-value", '[[people]]\nid = "ben"\nname = "Ben Ode"', '[[people]]  # <- here\nid = "ben"',
     "people[1].name", ["required value is missing"], ["ana"], BOTH_ASSETS),
    ("bad-role", 'name = "Ben Ode"', 'name = "Ben Ode"\nroles = ["sme", "boss"]  # <- here', "people[1].roles.1",
     ["'boss'"], BOTH_PEOPLE, BOTH_ASSETS),
    ("duplicate-id", None, '[[assets]]\nid = "orders"  # <- here\nname = "orders again"\nkind = "table"', "assets",
     ["'orders' appears twice"], BOTH_PEOPLE, ["orders", "sales-dashboard", "orders"]),
    ("rotation-person-not-on-roster", 'people = ["ana", "ben"]', 'people = ["ana", "zoe"]  # <- here',
     "rotation.people", ["'zoe' is not on the roster", "ana, ben"], BOTH_PEOPLE, BOTH_ASSETS),
    ("unknown-upstream", 'upstream = ["orders"]', 'upstream = ["orders", "ordres"]  # <- here',
     "assets.sales-dashboard.upstream", ["'ordres' is not a known asset id"], BOTH_PEOPLE, BOTH_ASSETS),
    ("owner-not-on-roster", 'owner = "ana"', 'owner = "anna"  # <- here', "assets.orders.owner",
     ["'anna' is not on the roster"], BOTH_PEOPLE, BOTH_ASSETS),
    ("bad-timezone", 'people = ["ana", "ben"]', 'people = ["ana", "ben"]\ntimezone = "Europe/Berln"  # <- here',
     "rotation.timezone", ["unknown time zone", "IANA", "'Europe/Berln'"], BOTH_PEOPLE, BOTH_ASSETS),
    ("bad-handover", 'people = ["ana", "ben"]', 'people = ["ana", "ben"]\nhandover = "25:00"  # <- here',
     "rotation.handover", ["HH:MM", "'25:00'"], BOTH_PEOPLE, BOTH_ASSETS),
    ("bad-handover-day", 'people = ["ana", "ben"]', 'people = ["ana", "ben"]\nhandover_day = "funday"  # <- here',
     "rotation.handover_day", ["weekday", "monday", "'funday'"], BOTH_PEOPLE, BOTH_ASSETS),
    ("handover-day-without-whole-weeks", 'people = ["ana", "ben"]',
     'people = ["ana", "ben"]\nshift_days = 3\nhandover_day = "monday"  # <- here',
     "rotation.handover_day", ["multiple of 7"], BOTH_PEOPLE, BOTH_ASSETS),
    ("secondary-not-on-roster", 'people = ["ana", "ben"]', 'people = ["ana", "ben"]\nsecondary = "zoe"  # <- here',
     "rotation.secondary", ["'zoe' is not on the roster", "ana, ben"], BOTH_PEOPLE, BOTH_ASSETS),
    ("override-ends-before-it-starts", None,
     '[[rotation.overrides]]\nfrom = 2026-12-24T09:00:00\nto = 2026-12-24T09:00:00  # <- here\nperson = "ben"',
     "rotation.overrides[0].to", ["later than from", "2026-12-24T09:00:00"], BOTH_PEOPLE, BOTH_ASSETS),
    ("override-person-not-on-roster", None,
     '[[rotation.overrides]]\nfrom = 2026-12-24\nto = 2026-12-24\nperson = "zoe"  # <- here',
     "rotation.overrides[0].person", ["'zoe' is not on the roster", "left out"], BOTH_PEOPLE, BOTH_ASSETS),
    ("override-unknown-key", None,
     '[[rotation.overrides]]\nfrom = 2026-12-24\nuntil = 2026-12-24  # <- here\nperson = "ben"',
     "rotation.overrides[0].until", ["unknown key"], BOTH_PEOPLE, BOTH_ASSETS),
    ("jira-account-with-a-space", 'name = "Ben Ode"', 'name = "Ben Ode"\njira_account = "ben ode"  # <- here',
     "people[1].jira_account", ["no spaces", "'ben ode'"], BOTH_PEOPLE, BOTH_ASSETS),
    ("override-ends-in-year-9999", None,
     '[[rotation.overrides]]\nfrom = 2026-01-01\nto = 9999-12-31  # <- here\nperson = "ben"',
     "rotation.overrides[0].to", ["between the years 1970 and 2999", "9999-12-31"], BOTH_PEOPLE, BOTH_ASSETS),
    ("shift-days-beyond-ten-years", 'people = ["ana", "ben"]', 'people = ["ana", "ben"]\nshift_days = 100000000  # <- here',
     "rotation.shift_days", ["less than or equal to 3650"], BOTH_PEOPLE, BOTH_ASSETS),
    ("raci-two-accountable", None, '[raci]\ndeploy_fix = { ic = "R", sme = "A", lead = "A" }  # <- here',
     "raci.deploy_fix", ["2 Accountable roles", "keeps the default"], BOTH_PEOPLE, BOTH_ASSETS),
    ("raci-unknown-activity", None, '[raci]\nfix_it = { ic = "R" }  # <- here',
     "raci.fix_it", ["unknown activity 'fix_it'", "deploy_fix"], BOTH_PEOPLE, BOTH_ASSETS),
    ("raci-bad-letter", None, '[raci]\ninvestigate = { ic = "X" }  # <- here',
     "raci.investigate.ic", ["'X'"], BOTH_PEOPLE, BOTH_ASSETS),
]


def test_a_raci_override_changes_only_what_it_names(tmp_path: Path) -> None:
    from oncall.domain.people import Role
    from oncall.domain.raci import DEFAULT_CHART, Activity, Involvement

    config, problems = load(tmp_path, GOOD + '\n[raci]\ncommunicate_status = { lead = "A" }\n')
    assert problems == []
    assert config.raci[Activity.COMMUNICATE_STATUS][Role.LEAD] is Involvement.A
    assert config.raci[Activity.DEPLOY_FIX] == DEFAULT_CHART[Activity.DEPLOY_FIX]
    assert load(tmp_path, GOOD)[0].raci == DEFAULT_CHART


@pytest.mark.parametrize(("old", "new", "key", "said", "people", "assets"), [m[1:] for m in MISTAKES],
                         ids=[m[0] for m in MISTAKES])
def test_a_mistake_is_named_and_the_rest_still_loads(
    tmp_path: Path, old: str | None, new: str, key: str, said: list[str], people: list[str], assets: list[str]
) -> None:
    text = GOOD + "\n" + new + "\n" if old is None else GOOD.replace(old, new)
    assert text != GOOD
    config, message = the_problem(tmp_path, text, key)
    assert all(fragment in message for fragment in said), message
    assert [p.id for p in config.people] == people
    assert [a.id for a in config.assets] == assets


def test_a_table_where_entries_are_expected(tmp_path: Path) -> None:
    text = '[people]  # <- here\nid = "ana"\nname = "Ana"\n\n[[assets]]\nid = "orders"\nname = "orders"\nkind = "table"\n'
    config, message = the_problem(tmp_path, text, "people")
    assert "expected [[people]] entries" in message
    assert [a.id for a in config.assets] == ["orders"]


@pytest.mark.parametrize("broken", ['name = "unterminated', "[[people]\n", "key = = 1", 'a = 1\na = 2'])
def test_broken_toml_syntax_names_the_file_and_line(tmp_path: Path, broken: str) -> None:
    text = GOOD + "\n" + broken + "\n"
    with pytest.raises(ConfigError) as error:
        load(tmp_path, text)
    problem = error.value.problem
    assert problem.file == tmp_path / "oncall.toml"
    assert problem.line is not None and problem.line > GOOD.count("\n")
    assert f"oncall.toml:{problem.line}:" in str(error.value)
    assert "not valid TOML" in str(error.value)


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="oncall init"):
        load_config(tmp_path / "oncall.toml")


# -- the rotation's time zone, hand-over and overrides (issue 8) ---------------------------------

ROTATION = GOOD.replace("start = 2026-01-05T09:00:00Z", '''start = 2026-01-05
timezone = "Europe/Berlin"
handover = "09:00"
handover_day = "monday"
secondary = "ana"''') + '''
[[rotation.overrides]]
from = 2026-12-24
to = 2026-12-26
person = "ana"
reason = "Ben away over Christmas"

[[rotation.overrides]]
from = 2026-12-31T18:00:00+00:00
to = 2027-01-01T09:00:00
person = "ben"
'''


def test_the_new_rotation_keys_load_and_naive_times_are_the_teams_local_time(tmp_path: Path) -> None:
    config, problems = load(tmp_path, ROTATION)
    assert problems == []
    rotation = config.rotation
    assert rotation is not None and rotation.timezone == "Europe/Berlin" and rotation.secondary == "ana"
    assert rotation.handover is not None and rotation.handover.strftime("%H:%M") == "09:00"
    assert rotation.handover_day == "monday"
    assert rotation.start == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # a date: that day at 09:00 in Berlin
    christmas, new_year = rotation.overrides
    assert (christmas.from_, christmas.to) == (datetime(2026, 12, 23, 23, 0, tzinfo=UTC),
                                               datetime(2026, 12, 26, 23, 0, tzinfo=UTC))  # to a date: its end
    assert (new_year.from_, new_year.to) == (datetime(2026, 12, 31, 18, 0, tzinfo=UTC),
                                             datetime(2027, 1, 1, 8, 0, tzinfo=UTC))
    assert christmas.reason == "Ben away over Christmas" and new_year.reason == ""


def test_a_bad_override_is_left_out_and_the_rest_of_the_rotation_loads(tmp_path: Path) -> None:
    text = ROTATION.replace('person = "ana"\nreason', 'person = "zoe"\nreason').replace(
        "to = 2027-01-01T09:00:00", "to = 2026-12-31T18:00:00Z")
    config, problems = load(tmp_path, text)
    assert sorted(p.key for p in problems) == ["rotation.overrides[0].person", "rotation.overrides[1].to"]
    assert config.rotation is not None and config.rotation.overrides == []
    assert config.rotation.people == ["ana", "ben"] and config.rotation.timezone == "Europe/Berlin"


def test_a_bad_rotation_key_is_dropped_and_the_rotation_still_works(tmp_path: Path) -> None:
    text = ROTATION.replace('timezone = "Europe/Berlin"', 'timezone = "Berlin"')
    config, problems = load(tmp_path, text)
    assert [p.key for p in problems] == ["rotation.timezone"]
    rotation = config.rotation
    assert rotation is not None and rotation.timezone == "UTC" and len(rotation.overrides) == 2
    assert rotation.on_call(datetime(2026, 1, 12, 9, 0, tzinfo=UTC)) == "ben"  # Monday 09:00, now UTC


def test_a_secondary_not_on_the_roster_gives_way_to_the_next_person(tmp_path: Path) -> None:
    config, _ = load(tmp_path, ROTATION.replace('secondary = "ana"', 'secondary = "zoe"'))
    assert config.rotation is not None and config.rotation.secondary is None
    assert config.rotation.who(datetime(2026, 1, 6, 12, 0, tzinfo=UTC)).secondary == "ben"


def test_a_rotation_without_the_new_keys_is_unchanged(tmp_path: Path) -> None:
    config, _ = load(tmp_path, GOOD)
    rotation = config.rotation
    assert rotation is not None and rotation.timezone == "UTC" and rotation.handover is None
    assert rotation.handover_day is None and rotation.secondary is None and rotation.overrides == []
    assert rotation.on_call(datetime(2026, 1, 12, 8, 59, tzinfo=UTC)) == "ana"
    assert rotation.on_call(datetime(2026, 1, 12, 9, 0, tzinfo=UTC)) == "ben"



def test_roster_text_never_carries_control_characters(tmp_path: Path) -> None:
    config, problems = load(tmp_path, GOOD.replace('name = "Ben Ode"', 'name = "Ben\\u001b[31m Ode\\u0007"'))
    assert problems == []
    assert config.person("ben").name == "Ben Ode"
