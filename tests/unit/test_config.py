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
]


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
