"""One rule decides which database a workspace uses, and the console and the commands both
follow it: whatever is wrong in oncall.toml, they open the same file, or both refuse and say why."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.demo.install import copy_demo_config
from oncall.tui.app import OncallApp
from oncall.workspace.paths import default_database_path

CONFIGURED = "state/team.db"

# (what is wrong, the [workspace] table written, lines added at the end, which database: "configured",
#  "default", or what the refusal says)
CASES = [
    ("nothing", f'[workspace]\nname = "Data team"\ndatabase = "{CONFIGURED}"\n', "", "configured"),
    ("an unknown key beside database", f'[workspace]\nname = "Data team"\ntimezone = "Europe/Berlin"\n'
     f'database = "{CONFIGURED}"\n', "", "configured"),
    ("a bad entry elsewhere", f'[workspace]\ndatabase = "{CONFIGURED}"\n', '[[people]]\nid = "zed"\nshoe = 44\n',
     "configured"),
    ("database as a table key", f'workspace.database = "{CONFIGURED}"\n', "", "configured"),
    ("no database set", '[workspace]\nname = "Data team"\n', "", "default"),
    ("an empty database", '[workspace]\ndatabase = ""\n', "", "default"),
    ("a syntax error, database set", f'[workspace]\ndatabase = "{CONFIGURED}"\n', "[[people]\n",
     "not valid TOML"),
    ("a syntax error, no database mentioned", '[workspace]\nname = "Data team"\n', "[[people]\n", "default"),
    ("a syntax error in the database line", '[workspace]\ndatabase = "state/team.db\n', "", "not valid TOML"),
    ("database not text", "[workspace]\ndatabase = 5\n", "", "database must be a file name in quotes (got 5)"),
    ("database a folder", '[workspace]\ndatabase = "state"\n', "", "is a folder"),
    ("workspace not a table", 'workspace = "Data team"\n', "", "[workspace] must be a table"),
]


def write(root: Path, workspace_table: str, tail: str) -> None:
    copy_demo_config(root)
    config = root / "oncall.toml"
    text = config.read_text("utf-8")
    body = text[text.index("[[people]]"):]  # the demo's roster, assets and rotation, without its [workspace]
    config.write_text(workspace_table + "\n" + body + "\n" + tail, "utf-8")
    (root / "state").mkdir(exist_ok=True)


@pytest.mark.parametrize(("table", "tail", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_console_and_the_commands_open_the_same_database_or_both_refuse(cli, tmp_path, table, tail, expected):
    root = tmp_path / "team"
    write(root, table, tail)
    console = cli("--workspace", root) if expected not in ("configured", "default") else None
    if console is not None:
        assert console.code == 2 and expected in console.err and str(root / "oncall.toml") in console.err
        listed = cli("--workspace", root, "list")
        assert listed.code == 2 and str(root / "oncall.toml") in listed.err
        assert not (root / CONFIGURED).exists() and not default_database_path(root).exists()  # nothing opened
        return
    wanted = (root / CONFIGURED).resolve() if expected == "configured" else default_database_path(root)
    app = OncallApp(root, poll=False)
    try:
        assert app.session.database.path == wanted
    finally:
        app.session.database.close()
    if "[[people]\n" not in tail:  # a file that is not TOML at all: the commands refuse it (the console shows why)
        declared = cli("--workspace", root, "declare", "--title", "orders late", "--severity", "3",
                       "--asset", "cac-dashboard", "--json")
        assert declared.code == 0, declared.err
        assert [p for p in (root / CONFIGURED, default_database_path(root)) if p.exists()] == [wanted]


def test_an_unknown_workspace_key_keeps_the_name_too(cli, tmp_path):
    root = tmp_path / "team"
    write(root, '[workspace]\nname = "Data team"\ntimezone = "Europe/Berlin"\n', "")
    from oncall.workspace.loader import load_workspace

    workspace = load_workspace(root, strict=True)
    assert workspace.config.workspace.name == "Data team"
    assert [str(p).split(": ", 1)[1] for p in workspace.problems] == ["[workspace.timezone] unknown key"]


@pytest.mark.parametrize("what", ["no such folder", "a folder without oncall.toml"])
def test_a_workspace_that_is_not_there_is_refused_by_both(cli, tmp_path, what):
    root = tmp_path / "team"
    if what != "no such folder":
        root.mkdir()
    for args in (("--workspace", root), ("--workspace", root, "list")):
        result = cli(*args)
        assert result.code == 2 and "oncall init" in result.err, result.err
    assert not list(tmp_path.rglob("*.db"))
