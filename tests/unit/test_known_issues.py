"""The known-issues list: what is listed (declared, open, never a drill), what shows as affected
downstream, the order, the empty state, and hostile text said safely in Slack, HTML and a terminal."""

from __future__ import annotations

import random
import re
import time
from datetime import datetime, timedelta

import pytest

from oncall.domain.asset import Asset, AssetKind, all_downstream, downstream_of, readers_of
from oncall.domain.incident import DetectionSource, EventKind, Incident, TimelineEvent
from oncall.domain.known_issues import KnownIssues, known_issues
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.incidents import Declaration
from oncall.service.known_issues import (SLACK_TEXT_MAX, TITLE_MAX, known_issues_html, known_issues_json,
                                         known_issues_now, known_issues_slack, known_issues_text)
from oncall.store.timeline import TimelineRepository

from tests.conftest import NOW

S1, S2, S3 = Severity.SEV1, Severity.SEV2, Severity.SEV3
# The demo's lineage, in short: two ad APIs → stg-ad-spend → cac-pipeline → fct-weekly-cac →
# cac-dashboard and marketing-roi-dashboard (which also reads stg-ad-spend); crm → stg-new-customers.


def incident(number: int, severity: Severity = S2, status: Status = Status.INVESTIGATING,
             asset: str = "stg-ad-spend", ago: timedelta = timedelta(hours=1), **more) -> Incident:
    declared = None if status is Status.TRIAGE else NOW - ago
    return Incident(id=number, title=more.pop("title", f"problem {number}"), severity=severity, status=status,
                    asset=asset, detected_at=NOW - ago - timedelta(minutes=5), declared_at=declared,
                    updated_at=NOW, **more)


def listed(incidents, workspace, next_updates=None, workarounds=None) -> KnownIssues:
    return known_issues(incidents, workspace.config.assets, next_updates or {}, workarounds or {}, NOW)


def test_a_declared_incident_is_a_row_with_what_analysts_ask(workspace):
    due = NOW + timedelta(minutes=30)
    issues = listed([incident(7, S1, Status.IDENTIFIED, "cac-dashboard", timedelta(minutes=48),
                              eta="within the hour")],
                    workspace, {7: due}, {7: "  Use last week's CAC figure.  "})
    (row,) = issues.incidents
    assert (row.asset_id, row.asset_name, row.ref, row.severity, row.status) == (
        "cac-dashboard", "Weekly CAC dashboard", "INC-7", S1, Status.IDENTIFIED)
    assert row.since == NOW - timedelta(minutes=48), "since it was declared"
    assert row.next_update == due and row.workaround == "Use last week's CAC figure."
    assert row.eta == "within the hour" and row.direct and row.affected_by == ()
    assert issues.affected == (), "nothing reads from the dashboard"


def test_since_is_when_detected_when_it_was_never_declared(workspace):
    pulled = incident(3).model_copy(update={"declared_at": None})
    (row,) = listed([pulled], workspace).incidents
    assert row.since == pulled.detected_at


def test_assets_downstream_show_as_affected_by_the_incident_upstream(workspace):
    spend = incident(1, S2, asset="stg-ad-spend", ago=timedelta(hours=3))
    dashboard = incident(2, S1, asset="cac-dashboard", ago=timedelta(hours=1))
    issues = listed([spend, dashboard], workspace)
    affected = {row.asset_id: row for row in issues.affected}
    assert set(affected) == {"cac-pipeline", "fct-weekly-cac", "marketing-roi-dashboard"}, \
        "the dashboard has its own row; what is not downstream is not listed"
    pipeline = affected["cac-pipeline"]
    assert (pipeline.ref, pipeline.severity, pipeline.since, pipeline.direct) == ("INC-1", S2, spend.declared_at, False)
    assert [c.ref for c in pipeline.affected_by] == ["INC-1"]
    own = next(row for row in issues.incidents if row.asset_id == "cac-dashboard")
    assert [c.ref for c in own.affected_by] == ["INC-1"], "its own row names the incident upstream too"
    assert [c.asset_name for c in own.affected_by] == ["stg_ad_spend (warehouse table)"]


def test_affected_assets_come_nearest_their_cause_first(workspace):
    issues = listed([incident(1, S2, asset="stg-ad-spend")], workspace)
    assert [row.asset_id for row in issues.rows] == [
        "stg-ad-spend", "cac-pipeline", "marketing-roi-dashboard", "fct-weekly-cac", "cac-dashboard"]


def test_an_asset_downstream_of_two_incidents_names_both_the_most_severe_first(workspace):
    older = incident(1, S3, asset="google-ads-api", ago=timedelta(days=2))
    worse = incident(2, S1, asset="meta-ads-api", ago=timedelta(minutes=10))
    row = next(r for r in listed([older, worse], workspace).affected if r.asset_id == "stg-ad-spend")
    assert [c.ref for c in row.affected_by] == ["INC-2", "INC-1"]
    assert (row.ref, row.severity) == ("INC-2", S1), "the most severe speaks for the row"
    assert row.since == older.declared_at, "affected since the first of them"


def test_drills_are_never_listed_nor_counted_and_triage_is_counted_only(workspace):
    drill = incident(1, S1, asset="cac-dashboard", is_drill=True, source=DetectionSource.DRILL)
    triage = incident(2, S1, Status.TRIAGE, asset="crm-signups")
    drill_triage = incident(3, S1, Status.TRIAGE, asset="crm-signups", is_drill=True)
    over = [incident(n, S1, status, asset="cac-pipeline")
            for n, status in ((4, Status.RESOLVED), (5, Status.CLOSED), (6, Status.DISMISSED))]
    issues = listed([drill, triage, drill_triage, *over], workspace)
    assert issues.rows == () and issues.empty
    assert issues.in_triage == 1, "a report not yet confirmed is counted, never named"
    assert "1 possible issue is being checked" in known_issues_text(issues)


def test_most_severe_first_then_oldest(workspace):
    issues = listed([incident(1, S3, asset="crm-signups", ago=timedelta(days=3)),
                     incident(2, S2, asset="cac-dashboard", ago=timedelta(hours=1)),
                     incident(3, S2, asset="marketing-roi-dashboard", ago=timedelta(hours=5)),
                     incident(4, S1, asset="meta-ads-api", ago=timedelta(minutes=5))], workspace)
    assert [row.ref for row in issues.incidents] == ["INC-4", "INC-3", "INC-2", "INC-1"]
    order = [(row.severity.rank, row.since) for row in issues.rows]
    assert order == sorted(order)


def test_the_empty_state_says_when_it_was_checked(workspace, clock):
    issues = listed([], workspace)
    assert issues.empty and issues.checked_at == NOW
    assert known_issues_text(issues) == "No known data issues. Last checked 27 Nov 2026 10:00 UTC.\n"
    slack = known_issues_slack(issues, clock)
    assert "No known data issues. Last checked <!date^" in slack and "|27 Nov 2026 10:00 UTC>" in slack
    page = known_issues_html(issues)
    assert "No known data issues. Last checked" in page and "2026-11-27 10:00 UTC" in page


def test_the_list_is_the_same_whenever_it_was_checked(workspace):
    first = listed([incident(1)], workspace)
    later = known_issues([incident(1)], workspace.config.assets, {}, {}, NOW + timedelta(minutes=5))
    assert later.same_as(first) and not later.same_as(None)
    assert not listed([incident(1, S1)], workspace).same_as(first)


def test_times_read_as_since_and_next_update(workspace):
    issues = listed([incident(1, S1, ago=timedelta(minutes=48))], workspace,
                    {1: NOW + timedelta(minutes=30)}, {})
    text = known_issues_text(issues)
    assert "since 09:12 UTC (48 min ago) · next update due 10:30 UTC (in 30 min)" in text
    overdue = listed([incident(1, S1, ago=timedelta(days=3))], workspace, {1: NOW - timedelta(hours=2)}, {})
    assert "since 24 Nov 10:00 UTC (3 d ago) · next update due 08:00 UTC (overdue by 2 h)" in known_issues_text(overdue)
    berlin = known_issues_text(issues, "Europe/Berlin")
    assert "since 10:12 CET (48 min ago)" in berlin


def scanned_downstream(asset_id: str, assets: list[Asset]) -> list[str]:
    """The walk done the slow, obvious way (every asset scanned at each step), to check against."""
    found: dict[str, None] = {}
    frontier = [asset_id]
    while frontier:
        following = []
        for current in frontier:
            for reader in downstream_of(current, assets):
                if reader.id != asset_id and reader.id not in found:
                    found[reader.id] = None
                    following.append(reader.id)
        frontier = following
    return list(found)


def test_the_indexed_lineage_walk_gives_the_obvious_walks_answer():
    rng = random.Random(7)
    assets = [Asset(id=f"a{n}", name=f"A{n}", kind=AssetKind.MODEL,
                    upstream=[f"a{rng.randrange(60)}" for _ in range(rng.randrange(3))]) for n in range(60)]
    reading = readers_of(assets)
    for n in range(60):  # cycles and self-links included: the random links go both ways
        expected = scanned_downstream(f"a{n}", assets)
        assert [a.id for a in all_downstream(f"a{n}", assets, reading)] == expected
        assert [a.id for a in all_downstream(f"a{n}", assets)] == expected


def test_a_dbt_sized_lineage_is_walked_quickly():
    # 5,000 models, each reading two earlier ones: all_downstream takes seconds a walk here.
    rng = random.Random(1)
    assets = [Asset(id=f"m{n}", name=f"m{n}", kind=AssetKind.MODEL,
                    upstream=[f"m{rng.randrange(n)}" for _ in range(2)] if n else []) for n in range(5000)]
    incidents = [incident(n + 1, S2, asset=f"m{n}") for n in range(10)]
    started = time.perf_counter()
    issues = known_issues(incidents, assets, {}, {}, NOW)
    assert time.perf_counter() - started < 2.0
    assert len(issues.affected) > 1000


# -- hostile text ---------------------------------------------------------------------------------

HOSTILE = "<script>alert(1)</script> @channel <!here> & ```code``` *bold* ~x~ \u202eevil"


@pytest.fixture
def hostile(workspace) -> KnownIssues:
    return listed([incident(1, S1, asset="stg-ad-spend", title=HOSTILE, eta="<@U123> @everyone")], workspace,
                  {1: NOW + timedelta(minutes=30)}, {1: "Use <https://evil.example|this> & \x1b[31mred\x1b[0m\x07 now"})


def test_slack_text_cannot_ping_link_or_open_a_code_block(hostile, clock):
    text = known_issues_slack(hostile, clock)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script" not in text
    assert "<!here>" not in text and "&lt;!here&gt;" in text
    assert "<@U123>" not in text and "<https://evil" not in text
    assert re.search(r"(?<!\u200b)@(channel|here|everyone)\b", text.replace("<!date", "")) is None, \
        "broadcast words are broken so they notify nobody"
    assert " &amp; " in text and "```" not in text, "no code fence can swallow the rest of the message"
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "[31m" not in text, "an ANSI sequence goes whole"
    # Every `<` left is one of ours: a Slack date.
    assert all(piece.startswith("!date^") for piece in text.split("<")[1:])


def test_the_page_escapes_every_piece_of_text(hostile):
    page = known_issues_html(hostile)
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;https://evil.example|this&gt; &amp; red now" in page
    assert "\x1b" not in page and "\x07" not in page and "\u202e" not in page
    assert "<a " not in page and " src=" not in page and "<link" not in page and "url(" not in page


def test_the_terminal_text_has_no_control_characters(hostile):
    text = known_issues_text(hostile)
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", text)
    assert "workaround: Use <https://evil.example|this> & red now" in text


def test_long_titles_are_cut_and_cjk_kept(workspace, clock):
    long_title = "CAC " + "very " * 35 + "wrong"  # 184 characters: a title may have up to 200
    cjk = "週次CACダッシュボードの数値が340%上昇"
    issues = listed([incident(1, S1, title=long_title), incident(2, S2, asset="crm-signups", title=cjk)], workspace)
    for said in (known_issues_text(issues), known_issues_slack(issues, clock), known_issues_html(issues)):
        assert cjk in said
        assert long_title not in said and "CAC very very" in said and "…" in said
    cut = next(line for line in known_issues_text(issues).splitlines() if "INC-1 " in line)
    assert len(cut.strip()) <= len("INC-1 ") + TITLE_MAX


def test_a_huge_list_is_cut_to_fit_one_slack_message(workspace, clock):
    many = [incident(n, S2, asset="cac-dashboard", ago=timedelta(minutes=n), title="x" * 190) for n in range(1, 61)]
    text = known_issues_slack(listed(many, workspace), clock)
    assert len(text) <= SLACK_TEXT_MAX
    shown = text.count("INC-")
    assert 0 < shown < 60 and f"…and {60 - shown} more not shown here" in text
    assert "INC-60:" in text and "INC-1:" not in text, "the oldest of equal severity first"


def test_json_has_every_row(workspace):
    issues = listed([incident(1, S2, asset="stg-ad-spend")], workspace, {1: NOW + timedelta(hours=2)}, {1: "wait"})
    document = known_issues_json(issues)
    assert document["checked_at"] == "2026-11-27T10:00:00Z" and document["in_triage"] == 0
    (row,) = document["incidents"]
    assert row["incident"]["ref"] == "INC-1" and row["next_update"] == "2026-11-27T12:00:00Z"
    assert row["workaround"] == "wait"
    assert {r["asset"]["id"] for r in document["affected"]} == {"cac-pipeline", "fct-weekly-cac", "cac-dashboard",
                                                                "marketing-roi-dashboard"}
    assert all(r["affected_by"][0]["ref"] == "INC-1" for r in document["affected"])


# -- read from the database -----------------------------------------------------------------------


def _update(service, incident_id: int, audience: str, data: dict) -> None:
    """An update as it is recorded, with what was typed (the shape `service/comms.py` is to record)."""
    TimelineRepository(service.db).append(TimelineEvent(
        incident_id=incident_id, at=service.clock.now(), actor="maya", kind=EventKind.UPDATE_SENT,
        text=f"{audience} update sent", data={"template": f"{audience}-update.md.j2", "audience": audience, **data}))


def test_read_from_the_database_with_the_cadence_and_the_latest_workaround(service, workspace, clock):
    first = service.declare(Declaration(title="CAC wrong", severity=S1, asset="cac-dashboard"))
    service.declare(Declaration(title="Brazil blank", severity=S3, asset="crm-signups", status=Status.TRIAGE))
    service.declare(Declaration(title="Drill", severity=S1, asset="cac-dashboard", source=DetectionSource.DRILL))
    _update(service, first.id, "technical", {"fields": {"workaround": "Use last week's figure"}})
    _update(service, first.id, "technical", {"fields": {"doing": "backfilling"}})  # says nothing of it
    _update(service, first.id, "reporter", {"fields": {"workaround": "only for Sofia"}})
    _update(service, first.id, "stakeholders", {"text": "no fields recorded"})
    issues = known_issues_now(service.db, workspace.config, clock)
    (row,) = issues.rows
    assert (row.ref, row.workaround) == (first.ref, "Use last week's figure")
    assert row.next_update == NOW, "a SEV-1 owes its first update at once"
    assert issues.in_triage == 1
    _update(service, first.id, "stakeholders", {"workaround": ""})
    assert known_issues_now(service.db, workspace.config, clock).rows[0].workaround == "", "said to be over"


def test_without_any_recorded_workaround_none_is_shown(service, workspace, clock):
    from oncall.service.comms import CommsService

    declared = service.declare(Declaration(title="CAC wrong", severity=S2, asset="cac-dashboard"))
    CommsService(service.db, workspace.config, clock, "maya").send(declared.id, "technical-update.md.j2", "technical",
                                                                   "Workaround: use the CSV", "*Workaround:* use the CSV")
    (row,) = known_issues_now(service.db, workspace.config, clock).rows
    assert row.workaround == "", "the rendered text is not parsed for it"
    assert row.next_update == NOW + timedelta(hours=2)
