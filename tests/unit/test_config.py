"""oncall.toml mistakes: each is reported with the file, the line and the key, and one broken
entry never stops the rest of the workspace from loading.

In each broken file below, the line a message must point at ends with `# <- here`.
"""

from __future__ import annotations

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


def test_unknown_top_level_key(tmp_path: Path) -> None:
    text = GOOD + '\n[slak]  # <- here\nchannel = "#data"\n'
    config, message = the_problem(tmp_path, text, "slak")
    assert "unknown key" in message and "slack" in message  # lists the known ones
    assert len(config.people) == 2


def test_unknown_key_inside_an_entry_points_at_that_key(tmp_path: Path) -> None:
    text = GOOD.replace('name = "Ben Ode"', 'name = "Ben Ode"\nshoe_size = 44  # <- here')
    config, message = the_problem(tmp_path, text, "people[1].shoe_size")
    assert "unknown key" in message
    assert [p.id for p in config.people] == ["ana"]  # the broken entry is left out, the other loads


def test_wrong_type_says_what_was_given(tmp_path: Path) -> None:
    text = GOOD.replace("start = 2026-01-05T09:00:00Z", 'start = 2026-01-05T09:00:00Z\nshift_days = "seven"  # <- here')
    config, message = the_problem(tmp_path, text, "rotation.shift_days")
    assert "integer" in message and "'seven'" in message
    assert len(config.people) == 2 and len(config.assets) == 2


def test_wrong_enum_value_in_an_asset(tmp_path: Path) -> None:
    text = GOOD.replace('kind = "dashboard"', 'kind = "dashbord"  # <- here')
    config, message = the_problem(tmp_path, text, "assets[1].kind")
    assert "'dashbord'" in message and "'dashboard'" in message
    assert [a.id for a in config.assets] == ["orders"]


def test_missing_required_value_points_at_its_entry(tmp_path: Path) -> None:
    text = GOOD.replace('[[people]]\nid = "ben"\nname = "Ben Ode"', '[[people]]  # <- here\nid = "ben"')
    config, message = the_problem(tmp_path, text, "people[1].name")
    assert "required value is missing" in message
    assert [p.id for p in config.people] == ["ana"]


def test_a_broken_person_does_not_stop_the_others(tmp_path: Path) -> None:
    text = GOOD.replace('name = "Ben Ode"', 'name = "Ben Ode"\nroles = ["sme", "boss"]  # <- here')
    config, message = the_problem(tmp_path, text, "people[1].roles.1")
    assert "'boss'" in message
    assert [p.id for p in config.people] == ["ana"]
    assert [a.id for a in config.assets] == ["orders", "sales-dashboard"]


def test_duplicate_id_points_at_the_second_one(tmp_path: Path) -> None:
    text = GOOD + '\n[[assets]]\nid = "orders"  # <- here\nname = "orders again"\nkind = "table"\n'
    _, message = the_problem(tmp_path, text, "assets")
    assert "'orders' appears twice" in message


def test_rotation_naming_someone_not_on_the_roster(tmp_path: Path) -> None:
    text = GOOD.replace('people = ["ana", "ben"]', 'people = ["ana", "zoe"]  # <- here')
    config, message = the_problem(tmp_path, text, "rotation.people")
    assert "'zoe' is not on the roster" in message and "ana, ben" in message
    assert config.rotation is not None


def test_unknown_upstream_asset(tmp_path: Path) -> None:
    text = GOOD.replace('upstream = ["orders"]', 'upstream = ["orders", "ordres"]  # <- here')
    _, message = the_problem(tmp_path, text, "assets.sales-dashboard.upstream")
    assert "'ordres' is not a known asset id" in message


def test_asset_owner_not_on_the_roster(tmp_path: Path) -> None:
    text = GOOD.replace('owner = "ana"', 'owner = "anna"  # <- here')
    _, message = the_problem(tmp_path, text, "assets.orders.owner")
    assert "'anna' is not on the roster" in message


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
