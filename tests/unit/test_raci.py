"""The RACI chart: the default is the Data Trust Framework's chart, and oncall.toml may override it."""

from __future__ import annotations

import tomllib

import pytest

from oncall.domain.people import Role
from oncall.domain.raci import (
    DEFAULT_CHART,
    Activity,
    Involvement,
    RaciChart,
    parse_raci,
    rows,
    validate,
)

# The chart as printed in data-trust-framework.txt: IC, SME, Lead, PM.
DOCUMENT = {
    "Declare Incident": "RACI",
    "Communicate Status": "RCIR",
    "Investigate Root Cause": "CRAI",
    "Deploy Fix": "CRAI",
    "Conduct Post-Mortem": "CRAR",
    "Track Action Items": "ICAR",
}
ROLE_COLUMNS = [Role.IC, Role.SME, Role.LEAD, Role.PM]

R, A, C, I = Involvement.R, Involvement.A, Involvement.C, Involvement.I  # noqa: E741


def keys(problems: list[tuple[str, str]]) -> list[str]:
    return [key for key, _ in problems]


@pytest.mark.parametrize("title", list(DOCUMENT))
def test_default_chart_equals_the_document(title: str) -> None:
    activity = next(a for a in Activity if a.title == title)
    for role, letter in zip(ROLE_COLUMNS, DOCUMENT[title]):
        assert DEFAULT_CHART.involvement(activity, role) is Involvement(letter), (title, role)


def test_activities_are_in_document_order_with_short_keys() -> None:
    assert [a.title for a in Activity] == list(DOCUMENT)
    assert [a.value for a in Activity] == ["declare", "communicate_status", "investigate", "deploy_fix",
                                           "post_mortem", "action_items"]
    assert [a for a, _ in rows(DEFAULT_CHART)] == list(Activity)
    activity, row = rows(DEFAULT_CHART)[1]
    assert activity is Activity.COMMUNICATE_STATUS
    assert list(row) == ROLE_COLUMNS and "".join(i.value for i in row.values()) == "RCIR"


def test_involvement_words() -> None:
    assert [(i.word, i.meaning) for i in Involvement] == [
        ("Responsible", "does the work"), ("Accountable", "owns the outcome"),
        ("Consulted", "provides input"), ("Informed", "kept up to date")]


def test_default_chart_passes_validation() -> None:
    assert validate(DEFAULT_CHART) == []
    assert parse_raci(None) == (DEFAULT_CHART, [])
    assert parse_raci({}) == (DEFAULT_CHART, [])


def test_chart_is_immutable_and_complete() -> None:
    with pytest.raises(TypeError):
        DEFAULT_CHART[Activity.DECLARE][Role.IC] = Involvement.C  # type: ignore[index]
    with pytest.raises(ValueError, match="declare.pm"):
        RaciChart({a: {r: R for r in Role if (a, r) != (Activity.DECLARE, Role.PM)} for a in Activity})


def test_roles_with() -> None:
    assert DEFAULT_CHART.roles_with(Activity.COMMUNICATE_STATUS, R) == [Role.IC, Role.PM]
    assert DEFAULT_CHART.roles_with(Activity.COMMUNICATE_STATUS, A) == []
    assert DEFAULT_CHART.roles_with(Activity.POST_MORTEM, R) == [Role.SME, Role.PM]
    assert DEFAULT_CHART.informed(Activity.DECLARE) == [Role.PM]
    assert DEFAULT_CHART.informed(Activity.INVESTIGATE) == [Role.PM]
    assert DEFAULT_CHART.informed(Activity.POST_MORTEM) == []


def test_good_override_applies_and_leaves_other_activities_alone() -> None:
    raw = tomllib.loads('[raci]\ncommunicate_status = { ic = "R", sme = "C", lead = "A", pm = "R" }\n'
                        'deploy_fix = { pm = "c" }\n')["raci"]
    chart, problems = parse_raci(raw)
    assert problems == []
    assert dict(chart[Activity.COMMUNICATE_STATUS]) == {Role.IC: R, Role.SME: C, Role.LEAD: A, Role.PM: R}
    # A partial entry changes only the roles it names; lowercase letters are accepted.
    assert dict(chart[Activity.DEPLOY_FIX]) == {Role.IC: C, Role.SME: R, Role.LEAD: A, Role.PM: C}
    for activity in Activity:
        if activity not in (Activity.COMMUNICATE_STATUS, Activity.DEPLOY_FIX):
            assert chart[activity] == DEFAULT_CHART[activity]
    assert DEFAULT_CHART.involvement(Activity.COMMUNICATE_STATUS, Role.LEAD) is I  # default untouched


def test_not_a_table_is_one_problem() -> None:
    chart, problems = parse_raci("ic=R")
    assert chart == DEFAULT_CHART
    assert keys(problems) == ["raci"]
    assert "declare, communicate_status" in problems[0][1]


def test_unknown_activity_is_named_and_the_rest_applies() -> None:
    chart, problems = parse_raci({"triage": {"ic": "R"}, "declare": {"sme": "R", "ic": "A"}})
    assert keys(problems) == ["raci.triage"]
    assert "unknown activity 'triage'" in problems[0][1] and "action_items" in problems[0][1]
    assert chart.involvement(Activity.DECLARE, Role.IC) is A


def test_activity_that_is_not_a_table() -> None:
    chart, problems = parse_raci({"declare": "R"})
    assert keys(problems) == ["raci.declare"] and chart == DEFAULT_CHART


def test_unknown_role_is_named_and_activity_keeps_default() -> None:
    chart, problems = parse_raci({"deploy_fix": {"ic": "R", "qa": "I"}, "action_items": {"ic": "C"}})
    assert keys(problems) == ["raci.deploy_fix.qa"]
    assert "unknown role 'qa'" in problems[0][1] and "ic, sme, lead, pm" in problems[0][1]
    assert chart[Activity.DEPLOY_FIX] == DEFAULT_CHART[Activity.DEPLOY_FIX]
    assert chart.involvement(Activity.ACTION_ITEMS, Role.IC) is C  # the rest still applies


@pytest.mark.parametrize("letter", ["X", "RA", "", 1, None])
def test_bad_letter_is_named(letter: object) -> None:
    chart, problems = parse_raci({"deploy_fix": {"ic": letter}})
    assert keys(problems) == ["raci.deploy_fix.ic"]
    assert "R, A, C, I" in problems[0][1]
    assert chart == DEFAULT_CHART


def test_two_accountable_is_named() -> None:
    chart, problems = parse_raci({"investigate": {"ic": "A"}})
    assert keys(problems) == ["raci.investigate"]
    assert "ic, lead" in problems[0][1] and "Investigate Root Cause keeps the default" in problems[0][1]
    assert chart == DEFAULT_CHART


def test_no_responsible_is_named() -> None:
    chart, problems = parse_raci({"communicate_status": {"ic": "C", "pm": "I"}, "declare": {"pm": "C"}})
    assert keys(problems) == ["raci.communicate_status"]
    assert "no Responsible" in problems[0][1]
    assert chart[Activity.COMMUNICATE_STATUS] == DEFAULT_CHART[Activity.COMMUNICATE_STATUS]
    assert chart.involvement(Activity.DECLARE, Role.PM) is C


def test_people_informed_with_several_holders() -> None:
    holders = {Role.IC: ["ana"], Role.SME: ["bo", "cy"], Role.LEAD: ["dee"], Role.PM: ["eve", "fay", "eve"]}
    assert DEFAULT_CHART.people_informed(Activity.DECLARE, holders) == ["eve", "fay"]
    assert DEFAULT_CHART.people_informed(Activity.ACTION_ITEMS, holders) == ["ana"]
    assert DEFAULT_CHART.people_informed(Activity.POST_MORTEM, holders) == []
    # Two informed roles (lead and PM): role order, no duplicates, nobody excluded, not even
    # "ana", who is also the IC (Responsible).
    chart, problems = parse_raci({"declare": {"lead": "I"}})
    assert problems == [] and chart.informed(Activity.DECLARE) == [Role.LEAD, Role.PM]
    holders[Role.PM].append("ana")
    holders[Role.LEAD].append("eve")
    assert chart.people_informed(Activity.DECLARE, holders) == ["dee", "eve", "fay", "ana"]


def test_people_informed_when_nobody_holds_the_role() -> None:
    holders = {Role.IC: ["ana"], Role.SME: ["bo"]}
    assert DEFAULT_CHART.informed(Activity.DEPLOY_FIX) == [Role.PM]
    assert DEFAULT_CHART.people_informed(Activity.DEPLOY_FIX, holders) == []
    assert DEFAULT_CHART.people_informed(Activity.DEPLOY_FIX, {Role.PM: []}) == []


def test_for_person_holding_two_roles() -> None:
    holders = {Role.IC: ["ana"], Role.SME: ["ana", "bo"], Role.LEAD: ["dee"], Role.PM: []}
    ana = DEFAULT_CHART.for_person(holders, "ana")
    assert ana == {
        Activity.DECLARE: [R, A],
        Activity.COMMUNICATE_STATUS: [R, C],
        Activity.INVESTIGATE: [R, C],
        Activity.DEPLOY_FIX: [R, C],
        Activity.POST_MORTEM: [R, C],
        Activity.ACTION_ITEMS: [C, I],
    }
    assert DEFAULT_CHART.for_person(holders, "dee")[Activity.COMMUNICATE_STATUS] == [I]
    assert DEFAULT_CHART.for_person(holders, "zed") == {}
