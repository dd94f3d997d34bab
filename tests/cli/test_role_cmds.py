"""`oncall assign` / `oncall unassign`, and the roles and RACI with names in `oncall show --json`."""

from __future__ import annotations


def declare(oncall) -> None:
    assert oncall("declare", "--title", "CAC doubled", "--severity", "SEV-2", "--asset", "cac-dashboard",
                  "--ic", "maya").code == 0


def test_assign_and_unassign_each_role(oncall):
    declare(oncall)
    assert oncall("assign", "1", "--role", "sme", "--person", "lukas").out.strip() == \
        "INC-1: lukas is Subject Matter Expert"
    assert oncall("assign", "1", "--role", "lead", "--person", "grace").code == 0
    handed = oncall("assign", "1", "--role", "lead", "--person", "tom", "--note", "grace is out", "--json").json()
    assert handed["roles"][2] == {"role": "lead", "title": "Eng/Team Lead",
                                  "people": [{"id": "tom", "name": "Tom Brandt"}]}
    assert oncall("assign", "1", "--role", "ic", "--person", "priya").code == 0
    assert oncall("unassign", "1", "--role", "sme", "--person", "lukas").out.strip() == \
        "INC-1: lukas is no longer Subject Matter Expert"
    shown = oncall("show", "1", "--json").json()
    assert {r["role"]: [p["id"] for p in r["people"]] for r in shown["roles"]} == \
        {"ic": ["priya"], "sme": [], "lead": ["tom"], "pm": []}
    texts = [e["text"] for e in shown["timeline"]]
    assert "Eng/Team Lead handed from grace to tom: grace is out" in texts
    assert "IC handed from maya to priya" in texts


def test_show_json_has_the_raci_with_names(oncall):
    declare(oncall)
    oncall("assign", "1", "--role", "pm", "--person", "omar")
    raci = oncall("show", "1", "--json").json()["raci"]
    assert [a["activity"] for a in raci] == ["declare", "communicate_status", "investigate", "deploy_fix",
                                            "post_mortem", "action_items"]
    declare_row = raci[0]
    assert declare_row["title"] == "Declare Incident"
    assert declare_row["roles"]["ic"] == {"involvement": "R", "people": [{"id": "maya", "name": "Maya Okafor"}]}
    assert declare_row["roles"]["pm"] == {"involvement": "I", "people": [{"id": "omar", "name": "Omar Haddad"}]}
    assert declare_row["roles"]["sme"] == {"involvement": "A", "people": []}


def test_refusals_say_why_with_the_exit_codes_of_the_readme(oncall):
    declare(oncall)
    not_on_roster = oncall("assign", "1", "--role", "sme", "--person", "nobody")
    assert not_on_roster.code == 2 and "'nobody' is not on the roster; known: maya" in not_on_roster.err
    assert oncall("assign", "1", "--role", "sme", "--person", "tom").code == 0
    twice = oncall("assign", "1", "--role", "sme", "--person", "tom")
    assert twice.code == 1 and "tom is already Subject Matter Expert" in twice.err
    second_ic = oncall("assign", "1", "--role", "ic", "--person", "maya")
    assert second_ic.code == 1 and "maya is already Incident Commander" in second_ic.err
    only_ic = oncall("unassign", "1", "--role", "ic", "--person", "maya")
    assert only_ic.code == 1 and "always has one Incident Commander" in only_ic.err
    not_held = oncall("unassign", "1", "--role", "lead", "--person", "grace")
    assert not_held.code == 1 and "grace is not Eng/Team Lead on this incident (it is held by nobody)" in not_held.err
    bad_role = oncall("assign", "1", "--role", "boss", "--person", "tom")
    assert bad_role.code == 2 and "invalid choice: 'boss'" in bad_role.err
    missing = oncall("assign", "99", "--role", "sme", "--person", "tom")
    assert missing.code == 2 and "no incident INC-99" in missing.err
    # Nothing above changed the roles.
    shown = oncall("show", "1", "--json").json()
    assert {r["role"]: [p["id"] for p in r["people"]] for r in shown["roles"]} == \
        {"ic": ["maya"], "sme": ["tom"], "lead": [], "pm": []}


def test_list_mine_is_the_consoles_m(oncall, monkeypatch):
    declare(oncall)  # maya is IC
    assert oncall("declare", "--title", "Orders late", "--severity", "SEV-3", "--asset", "cac-dashboard",
                  "--ic", "tom").code == 0
    assert oncall("assign", "2", "--role", "sme", "--person", "maya").code == 0
    assert oncall("declare", "--title", "Not hers", "--severity", "SEV-3", "--asset", "cac-dashboard",
                  "--ic", "tom").code == 0
    monkeypatch.setenv("ONCALL_USER", "maya")
    mine = oncall("list", "--mine", "--json").json()
    assert sorted(row["ref"] for row in mine["incidents"]) == ["INC-1", "INC-2"] and mine["total"] == 2
