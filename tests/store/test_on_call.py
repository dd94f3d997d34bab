"""Who becomes an incident's IC when none is named: the person on call, else the declarer;
never somebody missing from the roster."""

from __future__ import annotations

import re
from datetime import timedelta

from oncall.domain.people import Rotation
from oncall.domain.severity import Severity
from oncall.service.incidents import Declaration, IncidentService
from oncall.workspace.loader import load_workspace

DECLARATION = Declaration(title="Orders late", severity=Severity.SEV3, asset="cac-dashboard")


def with_rotation(workspace, clock, database, start_offset: timedelta, people: str) -> IncidentService:
    start = (clock.now() + start_offset).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = workspace.config_path.read_text("utf-8")
    rotation = f"[rotation]\nstart = {start}\nshift_days = 7\npeople = [{people}]\n\n"
    workspace.config_path.write_text(re.sub(r"(?m)^\[rotation\]\n(?:(?!\[).*\n)*", lambda _: rotation, text), "utf-8")
    loaded = load_workspace(workspace.root)
    assert loaded.config.asset("cac-dashboard") is not None and loaded.config.rotation is not None
    return IncidentService(database, loaded.config, clock, "maya")


def test_before_the_rotation_starts_the_declarer_is_ic(workspace, clock, database):
    service = with_rotation(workspace, clock, database, timedelta(days=3), '"priya", "tom"')
    assert service.on_call() is None
    assert service.declare(DECLARATION).ic == "maya"


def test_at_and_after_the_start_the_rotation_decides(workspace, clock, database):
    service = with_rotation(workspace, clock, database, timedelta(0), '"priya", "tom"')
    assert service.declare(DECLARATION).ic == "priya"
    clock.advance(timedelta(days=7))
    assert service.declare(DECLARATION).ic == "tom"


def test_someone_not_on_the_roster_is_never_put_on_call(workspace, clock, database):
    service = with_rotation(workspace, clock, database, timedelta(0), '"zoe", "tom"')  # zoe is on no roster
    assert service.declare(DECLARATION).ic == "tom"  # the config dropped zoe (and said so)
    direct = IncidentService(database, service.config.model_copy(update={"rotation": Rotation(
        start=clock.now(), people=["zoe"])}), clock, "maya")
    assert direct.declare(DECLARATION).ic == "maya"
