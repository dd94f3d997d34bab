"""`oncall who`: who is on call, who backs them up, who is next and when, on the demo's rotation
(weekly, Mondays 09:00 Europe/Berlin: Tom's week from 23 November 2026, then Priya's, with Maya
covering Priya's holiday from Monday 30 November 09:00 to Thursday 3 December 09:00).
The clock is frozen at Friday 27 November 2026, 10:00 UTC."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

Run = Callable[..., "Result"]  # the `cli` and `oncall` fixtures (tests/cli/conftest.py)


def test_who_json_now_has_what_a_script_reads(oncall: Run) -> None:
    doc = oncall("who", "--json").json()
    assert doc["at"] == "2026-11-27T10:00:00Z" and doc["rotation"] is True
    assert doc["timezone"] == "Europe/Berlin"
    assert doc["primary"] == {"id": "tom", "name": "Tom Brandt", "email": "tom@acme.example", "slack_id": "U07TOMB02"}
    assert doc["secondary"]["id"] == "priya"
    # Priya's week begins on Monday, but Maya covers its start: the pager goes to Maya.
    assert doc["next"]["id"] == "maya"
    assert doc["shift_ends"] == "2026-11-30T08:00:00Z" and doc["shift_ends_local"] == "2026-11-30T09:00:00+01:00"
    assert doc["override"] is None
    assert doc["next_override"]["person"] == "maya" and doc["next_override"]["to"] == "2026-12-03T08:00:00Z"


def test_who_at_a_moment_with_an_override_in_effect(oncall: Run) -> None:
    doc = oncall("who", "--at", "2026-12-01T10:00Z", "--json").json()
    assert doc["at"] == "2026-12-01T10:00:00Z"
    assert doc["primary"]["id"] == "maya" and doc["scheduled"]["id"] == "priya"
    assert doc["secondary"]["id"] == "tom"  # not Priya: she is on holiday
    assert doc["override"] == {
        "from": "2026-11-30T08:00:00Z", "to": "2026-12-03T08:00:00Z",
        "from_local": "2026-11-30T09:00:00+01:00", "to_local": "2026-12-03T09:00:00+01:00",
        "person": "maya", "reason": "Priya on holiday Monday to Wednesday; swapped with Maya",
    }
    assert doc["next"]["id"] == "priya" and doc["shift_ends"] == "2026-12-03T08:00:00Z"


def test_who_reads_relative_times_like_the_other_commands(oncall: Run) -> None:
    doc = oncall("who", "--at", "-1w", "--json").json()  # Friday 20 November: Maya's week
    assert doc["at"] == "2026-11-20T10:00:00Z" and doc["primary"]["id"] == "maya" and doc["next"]["id"] == "tom"


def test_who_prints_names_ids_and_times_in_the_teams_zone_and_utc(oncall: Run) -> None:
    result = oncall("who")
    assert result.code == 0 and result.err == ""
    lines = result.out.splitlines()
    assert lines[0] == "at         Fri 2026-11-27 11:00 CET (Europe/Berlin) · 2026-11-27 10:00 UTC"
    assert lines[1] == "primary    Tom Brandt (tom)"
    assert lines[2] == "secondary  Priya Raman (priya)"
    assert lines[3] == "next       Maya Okafor (maya)"
    assert lines[4] == "changes    Mon 2026-11-30 09:00 CET (Europe/Berlin) · 2026-11-30 08:00 UTC, in 2d 22h"
    assert lines[5] == ("           by override: Maya Okafor (maya) instead of Priya Raman (priya), "
                        "Mon 2026-11-30 09:00 CET to Thu 2026-12-03 09:00 CET: "
                        "Priya on holiday Monday to Wednesday; swapped with Maya")


def test_who_names_the_override_in_effect(oncall: Run) -> None:
    lines = oncall("who", "--at", "2026-12-01T10:00Z").out.splitlines()
    assert lines[1] == "primary    Maya Okafor (maya)"
    assert lines[2] == "secondary  Tom Brandt (tom)"
    assert lines[3].startswith("override   Maya Okafor (maya) instead of Priya Raman (priya), Mon 2026-11-30 09:00 CET")
    assert lines[4] == "next       Priya Raman (priya)"
    assert lines[5].startswith("changes    Thu 2026-12-03 09:00 CET (Europe/Berlin) · 2026-12-03 08:00 UTC")


def test_who_before_the_rotation_starts(oncall: Run) -> None:
    lines = oncall("who", "--at", "2025-12-29T12:00Z").out.splitlines()
    assert lines[1] == ("primary    nobody: the rotation starts Mon 2026-01-05 09:00 CET (Europe/Berlin) · "
                        "2026-01-05 08:00 UTC")
    assert lines[3] == "next       Maya Okafor (maya)"


def test_who_on_the_bundled_demo_loads_it_without_warnings(cli: Run) -> None:
    result = cli("who", "--json")
    assert result.code == 0 and result.err == ""
    assert result.json()["timezone"] == "Europe/Berlin"


@pytest.fixture
def no_rotation(tmp_path: Path) -> Path:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "oncall.toml").write_text('[[people]]\nid = "ana"\nname = "Ana Lopez"\n', "utf-8")
    return root


def test_who_without_a_rotation_says_so(cli: Run, no_rotation: Path) -> None:
    result = cli("who", "--workspace", no_rotation)
    assert result.code == 0 and result.err == ""
    assert "no on-call rotation" in result.out and "[rotation]" in result.out
    doc = cli("who", "--workspace", no_rotation, "--json").json()
    assert doc["rotation"] is False and doc["primary"] is None and doc["next"] is None


@pytest.mark.parametrize("at", ["yesterday", "25:00", "2026-13-01T10:00Z"])
def test_who_with_an_unreadable_time_exits_2_with_the_format(oncall: Run, at: str) -> None:
    result = oncall("who", "--at", at)
    assert result.code == 2 and result.out == ""
    assert "--at" in result.err and "ISO 8601" in result.err and "-2h" in result.err
