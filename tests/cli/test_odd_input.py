"""What real people paste and type on the command line: huge numbers, control characters, wide
characters, text without letters, bytes that are not UTF-8, and values that start with a dash."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

from oncall.store.queue import ID_BITS


@pytest.fixture
def team(cli, tmp_path) -> Path:
    root = tmp_path / "team"
    cli("init", root)
    return root


def declare(cli, root, title, asset="orders", *extra):
    result = cli("--workspace", root, "declare", "--title", title, "--severity", "3", "--asset", asset, *extra,
                 "--json")
    return result.json()


@pytest.mark.parametrize("number", ["0", str(ID_BITS + 1), str(2**63 - 1), str(2**63), "9" * 19, "9" * 40,
                                    "INC-" + "9" * 30])
def test_an_id_past_any_the_store_holds_is_no_incident(cli, team, number):
    declare(cli, team, "orders late")
    for command in (("show", number), ("note", number, "x"), ("status", number, "identified")):
        result = cli("--workspace", team, *command)
        assert result.code == 2 and "no incident INC-" in result.err and "Traceback" not in result.err, result.err


@pytest.mark.parametrize("text", ["9999999999999999999", str(2**63), "INC-" + "9" * 25, str(ID_BITS + 1)])
def test_searching_a_huge_number_finds_nothing(cli, team, text):
    declare(cli, team, "orders late")
    found = cli("--workspace", team, "list", "--search", text, "--json").json()
    assert found == {"total": 0, "incidents": []}


def test_ids_past_100000_show_in_full_and_columns_stay_put(cli, team):
    declare(cli, team, "orders late")
    with sqlite3.connect(_database(team)) as conn:  # jump the id sequence, as a big history would
        conn.execute("UPDATE incidents SET id = 99999 WHERE id = 1")
    declare(cli, team, "orders later")  # INC-100000
    declare(cli, team, "orders latest")  # INC-100001
    lines = cli("--workspace", team, "list").out.splitlines()
    assert any(line.startswith("INC-100001 ") for line in lines) and any(line.startswith("INC-99999 ") for line in lines)
    rows = [line for line in lines if line.startswith("INC-")]
    assert len({line.index("SEV-") for line in rows}) == 1


def test_control_characters_never_reach_the_terminal_and_lines_keep_their_layout(cli, team):
    made = declare(cli, team, "\x1b[2Jorders \x07late\x1b[31m", "orders", "--impact", "\x1b]0;pwned\x07the CFO deck")
    cli("--workspace", team, "note", made["id"], "\x1b[1mrow counts\x1b[0m:\n  monday 0\n  tuesday 12\x00")
    listed = cli("--workspace", team, "list").out
    shown = cli("--workspace", team, "show", made["id"]).out
    for out in (listed, shown):
        assert not any(ch in out for ch in "\x1b\x07\x00"), repr(out)
    assert "orders late" in listed and "the CFO deck" in shown
    lines = shown.splitlines()
    note = next(n for n, line in enumerate(lines) if line.endswith("row counts:"))
    column = lines[note].index("row counts:")
    assert lines[note + 1] == " " * column + "  monday 0" and lines[note + 2] == " " * column + "  tuesday 12"


@pytest.mark.parametrize("title", ["日本語のタイトルです", "CAC 📉 dropped 40% 🔥", "Café résumé", "Z\u0351\u0360algo text"])
def test_wide_characters_keep_the_columns_in_place(cli, team, title):
    declare(cli, team, "plain title")
    declare(cli, team, title, "データ")
    rows = [line for line in cli("--workspace", team, "list").out.splitlines() if line.startswith("INC-")]
    # Measured in terminal cells, the title starts at the same column on every row.
    starts = {cell_len(line[:line.index(t)]) for line, t in zip(rows, (title, "plain title"))}
    assert len(starts) == 1, rows


@pytest.mark.parametrize(("search", "found"), [
    ("タイトル", ["日本語のタイトルです"]),
    ("%", ["CAC down 40%"]),
    ("🔥", ["fire 🔥 in the loader"]),
    ("#", []),
    ("!!!", []),
])
def test_a_search_finds_what_it_names_or_nothing(cli, team, search, found):
    for title in ("日本語のタイトルです", "CAC down 40%", "fire 🔥 in the loader", "orders late"):
        declare(cli, team, title)
    doc = cli("--workspace", team, "list", "--search", search, "--json").json()
    assert sorted(row["title"] for row in doc["incidents"]) == found and doc["total"] == len(found)
    said = cli("--workspace", team, "list", "--search", search).out.splitlines()[-1]
    assert said == f"{len(found)} of {len(found)} (matching “{search}”)"


def test_bytes_that_are_not_utf8_are_saved_as_text(cli, team):
    made = declare(cli, team, "orders late")
    latin1 = b"caf\xe9 ;12,5 \xb0C".decode("utf-8", "surrogateescape")  # `$(tail -1 latin1.csv)`
    assert cli("--workspace", team, "note", made["id"], latin1).code == 0
    events = cli("--workspace", team, "show", made["id"], "--json").json()["timeline"]
    assert events[-1]["text"] == "café ;12,5 °C"


@pytest.mark.parametrize(("when", "hours"), [("-2H", 2), ("-2h", 2), ("-1w", 168), ("-90m", 1.5)])
def test_relative_times_pass_as_values(cli, team, clock, when, hours):
    made = declare(cli, team, "orders late", "orders", "--started-at", when)
    started = made["started_at"]
    from datetime import datetime, timedelta

    assert datetime.fromisoformat(started) == clock.now() - timedelta(hours=hours)


@pytest.mark.parametrize("text", ["-5%", "-5% since Monday", "-x", "--- dashes", "-"])
def test_a_note_may_start_with_a_dash(cli, team, text):
    made = declare(cli, team, "orders late")
    args = ("--workspace", team, "note", made["id"], *(("--", text) if text.startswith("--") else (text,)))
    result = cli(*args)
    assert result.code == 0, result.err
    assert cli("--workspace", team, "show", made["id"], "--json").json()["timeline"][-1]["text"] == text


def test_the_ic_hand_off_and_the_open_filter(cli, tmp_path):
    root = tmp_path / "demo"
    cli("demo", "generate", "--workspace", root, "--incidents", 0)
    made = cli("--workspace", root, "declare", "--title", "orders late", "--severity", "2", "--asset",
               "cac-dashboard", "--ic", "maya", "--json").json()
    handed = cli("--workspace", root, "ic", made["id"], "priya", "--note", "-going home; the export is the lead")
    assert handed.code == 0 and "priya is Incident Commander" in handed.out
    last = cli("--workspace", root, "show", made["id"], "--json").json()["timeline"][-1]
    assert last["text"] == "IC handed from maya to priya: -going home; the export is the lead"
    unknown = cli("--workspace", root, "ic", made["id"], "zoe")
    assert unknown.code == 2 and "'zoe' is not on the roster" in unknown.err
    cli("--workspace", root, "status", made["id"], "resolved", "--reason", "fixed")
    other = cli("--workspace", root, "declare", "--title", "still open", "--severity", "3", "--asset",
                "cac-dashboard", "--json").json()
    opened = cli("--workspace", root, "list", "--status", "open", "--json").json()
    assert [row["id"] for row in opened["incidents"]] == [other["id"]]


def test_init_on_a_file_says_so(cli, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("mine")
    result = cli("init", path)
    assert result.code == 2 and "is a file, not a folder" in result.err and path.read_text() == "mine"


def test_a_reader_that_stops_early_is_not_a_failure(cli, tmp_path):
    root = tmp_path / "demo"
    cli("demo", "generate", "--workspace", root, "--incidents", 3000)
    listing = subprocess.Popen([sys.executable, "-m", "oncall", "--workspace", str(root), "list", "--limit", "3000"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert listing.stdout.readline().startswith(b"ID")
    listing.stdout.close()  # `| head -1`
    assert listing.wait(timeout=60) == 0
    assert listing.stderr.read() == b""


def test_an_unforeseen_fault_is_one_line_and_a_file(cli, team, monkeypatch, isolated_environment):
    from oncall.cli import incident_cmds

    def broken(args):
        raise KeyError("a bug of ours")

    monkeypatch.setattr(incident_cmds, "cmd_list", broken)  # the parser is built per call: it takes this one
    result = cli("--workspace", team, "list")
    assert result.code == 70
    [line] = result.err.splitlines()
    assert "KeyError" in line and "Traceback" not in line
    [report] = (isolated_environment / "logs").glob("crash-*.txt")
    assert str(report) in line and "Traceback" in report.read_text() and "a bug of ours" in report.read_text()


def _database(root: Path) -> str:
    from oncall.workspace.loader import load_workspace

    return str(load_workspace(root, strict=True).database_path)


@pytest.mark.parametrize("text", ["\u202eevil", "\u200b", "\u00ad\u200d", "\ufeff"])
def test_invisible_format_characters_are_removed_and_nothing_invisible_is_saved(cli, team, text):
    made = declare(cli, team, "orders late")
    result = cli("--workspace", team, "note", made["id"], text)
    saved = cli("--workspace", team, "show", made["id"], "--json").json()["timeline"][-1]["text"]
    if text == "\u202eevil":
        assert result.code == 0 and saved == "evil"
    else:
        assert result.code != 0 and "empty" in result.err


@pytest.mark.parametrize("option", ["--title", "--impact"])
def test_declare_and_search_take_text_that_starts_with_a_dash(cli, team, option):
    args = ["--title", "orders late", "--impact", "none"]
    args[args.index(option) + 1] = "-5% revenue"
    made = cli("--workspace", team, "declare", *args, "--severity", "3", "--asset", "orders", "--json").json()
    assert "-5% revenue" in (made["title"], made["impact"])
    assert cli("--workspace", team, "list", "--search", "-5%").code == 0


def test_a_database_in_the_home_folder_and_a_config_with_a_byte_order_mark(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    root = tmp_path / "team"
    cli("init", root)
    config = root / "oncall.toml"
    text = config.read_text("utf-8").replace("[workspace]", '[workspace]\ndatabase = "~/oncall-team.db"', 1)
    config.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))  # saved by Windows Notepad
    assert declare(cli, root, "orders late")["id"] == 1
    assert (tmp_path / "home" / "oncall-team.db").exists() and not (root / "~").exists()


def test_an_ic_is_never_blank_and_a_declarer_off_the_roster_does_not_become_ic(cli, tmp_path, monkeypatch):
    root = tmp_path / "demo"
    cli("demo", "generate", "--workspace", root, "--incidents", 0)
    monkeypatch.setenv("ONCALL_USER", "zed")  # not on the demo's roster
    made = cli("--workspace", root, "declare", "--title", "orders late", "--severity", "3", "--asset",
               "cac-dashboard", "--json").json()
    assert made["ic"] in {"maya", "tom", "priya", None} and made["ic"] != "zed"
    blank = cli("--workspace", root, "ic", made["id"], "  ")
    assert blank.code != 0 and "Traceback" not in blank.err
