"""oncall report, triage, asset and lineage: what a script or a person at the terminal sees."""

from __future__ import annotations

from pathlib import Path


def test_report_opens_a_triage_item_and_says_who_is_acknowledged(oncall) -> None:
    result = oncall("report", "--from", "sofia", "EMEA", "spend", "is", "zero")
    assert result.code == 0, result.err
    assert result.out.strip() == ("opened INC-1 for triage: EMEA spend is zero (on (unknown)); "
                                  "sofia is acknowledged")
    shown = oncall("show", "1", "--json").json()
    assert shown["incident"]["status"] == "triage" and shown["incident"]["source"] == "user_report"
    assert [e["data"].get("template") for e in shown["timeline"] if e["kind"] == "update_sent"] == [
        "reporter-acknowledged.md.j2"]


def test_report_takes_text_starting_with_a_dash_and_an_asset(oncall) -> None:
    result = oncall("report", "--from", "sofia@example.com", "--asset", "cac-dashboard", "-40% on Monday", "--json")
    assert result.code == 0, result.err
    assert result.json()["asset"] == "cac-dashboard" and result.json()["title"] == "-40% on Monday"


def test_report_refuses_bad_input_saying_what(oncall) -> None:
    nobody = oncall("report", "--from", "someone odd", "numbers")
    assert nobody.code == 2 and "--from: 'someone odd' is not on the roster" in nobody.err
    asset = oncall("report", "--from", "sofia", "--asset", "nope", "numbers")
    assert asset.code == 2 and "unknown asset 'nope'" in asset.err and "leave --asset out" in asset.err
    empty = oncall("report", "--from", "sofia", " ")
    assert empty.code == 2 and "empty" in empty.err
    nobody_at_all = oncall("report", "--from", "", "numbers")
    assert nobody_at_all.code == 2 and "--from" in nobody_at_all.err
    assert oncall("list", "--json").json()["total"] == 0  # nothing was opened


def test_triage_declare_needs_an_asset_then_declares(oncall) -> None:
    oncall("report", "--from", "sofia", "CAC doubled")
    refused = oncall("triage", "declare", "1", "--severity", "SEV-2")
    assert refused.code == 1 and "choose the affected asset" in refused.err
    declared = oncall("triage", "declare", "1", "--severity", "2", "--asset", "cac-dashboard")
    assert declared.code == 0, declared.err
    assert declared.out.strip() == "INC-1 is declared SEV-2, investigating; sofia is told"
    again = oncall("triage", "declare", "1", "--severity", "SEV-1")
    assert again.code == 1 and "not in triage" in again.err


def test_triage_dismiss_needs_a_reason_and_tells_the_reporter(oncall) -> None:
    oncall("report", "--from", "sofia", "signups doubled")
    missing = oncall("triage", "dismiss", "1")
    assert missing.code == 2 and "--reason" in missing.err
    blank = oncall("triage", "dismiss", "1", "--reason", " ")
    assert blank.code == 2 and "--reason" in blank.err
    dismissed = oncall("triage", "dismiss", "1", "--reason", "a real campaign")
    assert dismissed.code == 0 and dismissed.out.strip() == "INC-1 is dismissed; sofia is told why"
    sent = [e for e in oncall("show", "1", "--json").json()["timeline"] if e["kind"] == "update_sent"]
    assert sent[-1]["data"]["template"] == "reporter-dismissed.md.j2"
    assert "a real campaign" in sent[-1]["data"]["text"]


def test_triage_on_a_missing_incident_is_bad_input(oncall) -> None:
    result = oncall("triage", "declare", "99", "--severity", "SEV-3")
    assert result.code == 2 and "no incident INC-99" in result.err


def test_asset_chooses_and_refuses_an_unknown_one(oncall) -> None:
    oncall("report", "--from", "sofia", "CAC doubled")
    assert oncall("asset", "1", "cac-dashboard").out.strip() == "INC-1 is on cac-dashboard"
    same = oncall("asset", "1", "cac-dashboard")
    assert same.code == 1 and "already" in same.err
    unknown = oncall("asset", "1", "nope")
    assert unknown.code == 2 and "unknown asset 'nope'" in unknown.err


def test_lineage_shows_upstream_downstream_and_open_incidents(oncall) -> None:
    oncall("declare", "--title", "Spend missing", "--severity", "SEV-2", "--asset", "meta-ads-api")
    result = oncall("lineage", "stg-ad-spend")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("stg_ad_spend (warehouse table) (stg-ad-spend, table) · owner lukas")
    upstream = lines[lines.index("Upstream (what it reads: check here for the cause)") + 1:]
    assert any("meta-ads-api" in line and "● INC-1 SEV-2 investigating" in line for line in upstream)
    document = oncall("lineage", "INC-1", "--json").json()
    assert document["asset"]["asset"] == "meta-ads-api"
    assert [d["asset"] for d in document["downstream"]] == ["stg-ad-spend"]
    assert "lukas" in document["owners_downstream"]


def test_lineage_of_an_unknown_asset_is_bad_input(oncall) -> None:
    result = oncall("lineage", "nope")
    assert result.code == 2 and "unknown asset 'nope'" in result.err
    oncall("report", "--from", "sofia", "numbers odd")
    waiting = oncall("lineage", "INC-1")
    assert waiting.code == 2 and "INC-1 has no asset yet" in waiting.err and "oncall asset 1" in waiting.err


def test_a_long_one_line_report_is_kept_whole(oncall) -> None:
    text = "The weekly CAC on the exec dashboard " + "is far higher than finance's figure " * 8
    shown = oncall("report", "--from", "sofia", text, "--json").json()
    assert shown["title"].endswith("…") and len(shown["title"]) == 100
    assert shown["impact"] == text.strip()


def test_a_reporter_named_by_their_slack_id_or_address_is_the_roster_person(oncall) -> None:
    by_slack = oncall("report", "--from", "U07SOFI07", "numbers odd", "--json").json()
    by_email = oncall("report", "--from", "Sofia@Acme.example", "numbers odd", "--json").json()
    assert by_slack["reported_by"] == by_email["reported_by"] == "sofia"


def test_ingesting_again_keeps_oncall_toml_assets(oncall) -> None:
    for flags in ((), (), ("--warnings",)):
        oncall("ingest", "dbt", "--target-dir", str(RUNS / "stale"), *flags)
    triage = oncall("list", "--status", "triage", "--json").json()["incidents"]
    assert sorted(i["asset"] for i in triage) == ["stg-ad-spend", "stg-new-customers"]
    assert oncall("asset", "1", "stg_ad_spend").code == 2, "no second asset for the same table"


def test_an_older_run_changes_nothing(oncall) -> None:
    oncall("ingest", "dbt", "--target-dir", str(RUNS / "failing"))
    assert oncall("ingest", "dbt", "--target-dir", str(RUNS / "passing"), "--json").json()["recovered"] == 1
    older = oncall("ingest", "dbt", "--target-dir", str(RUNS / "failing"), "--json").json()
    assert (older["opened"], older["updated"], older["recovered"]) == (0, 0, 0)


RUNS = Path(__file__).parent.parent / "fixtures" / "dbt" / "runs"


def test_ingest_dbt_opens_once_records_the_recovery_and_keeps_the_lineage(oncall) -> None:
    first = oncall("ingest", "dbt", "--target-dir", str(RUNS / "failing"), "--json")
    assert first.code == 0, first.err
    assert first.json()["opened"] == 1 and first.json()["lineage_nodes"] > 0
    item = first.json()["opened_ids"][0]
    shown = oncall("show", str(item), "--json").json()["incident"]
    assert (shown["source"], shown["status"], shown["asset"]) == ("dbt", "triage", "fct-weekly-cac")
    again = oncall("ingest", "dbt", "--target-dir", str(RUNS / "failing"), "--json").json()
    assert (again["opened"], again["updated"], again["recovered"]) == (0, 0, 0), "the same files change nothing"
    passing = oncall("ingest", "dbt", "--target-dir", str(RUNS / "passing"), "--json").json()
    assert passing["recovered"] == 1 and passing["opened"] == 0
    timeline = oncall("show", str(item), "--json").json()["timeline"]
    assert [e["data"].get("intake") for e in timeline if e["kind"] == "intake"] == ["recovered"]
    # The manifest's exposure is a dashboard now: the lineage of the model reaches it.
    lineage = oncall("lineage", "fct-weekly-cac", "--json").json()
    assert "cac-dashboard" in [branch["asset"] for branch in lineage["downstream"]]


def test_ingest_dbt_refuses_a_broken_artifact_and_changes_nothing(oncall, tmp_path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "run_results.json").write_text('{"metadata": {}, "results": [{"status": "fail"}]}')
    result = oncall("ingest", "dbt", "--target-dir", str(target))
    assert result.code == 2 and "run_results.json" in result.err and "unique_id" in result.err
    assert "nothing was ingested" in result.err
    assert oncall("list", "--json").json()["total"] == 0
    missing = oncall("ingest", "dbt", "--target-dir", str(tmp_path / "nope"))
    assert missing.code == 2 and "no such folder" in missing.err


def test_show_tells_how_often_the_signal_repeated(oncall) -> None:
    for _ in range(3):
        assert oncall("alert", "--key", "k1", "--title", "rows late", "--asset", "cac-pipeline").code == 0
    shown = oncall("show", "1", "--json").json()
    assert shown["intake"]["repeats"] == 2 and shown["intake"]["firing"] is True
    assert "alert:k1 (firing, 2 repeats since" in oncall("show", "1").out
