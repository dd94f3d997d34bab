"""Reading dbt artifacts (issue 15): the CAC pilot's real dbt 1.11 runs under
tests/fixtures/dbt/runs/ (made by tests/fixtures/dbt/make_fixtures.py) become the signals and the
lineage an on-call engineer would expect; odd artifacts are notes, malformed ones name the file
and the field. dbt itself is not needed."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

from oncall.domain.detection import DetectionSource
from oncall.domain.severity import Severity
from oncall.intake.dbt import ArtifactError, DbtRun, read_dbt, read_manifest, read_run_results, read_sources

RUNS = Path(__file__).parents[1] / "fixtures" / "dbt" / "runs"
SCENARIOS = ("passing", "failing", "erroring", "skipped", "stale", "source_missing")

ADS, CRM = "source.cac_pilot.ads.ad_spend", "source.cac_pilot.crm.new_customers"
STG_SPEND, STG_CUSTOMERS = "model.cac_pilot.stg_ad_spend", "model.cac_pilot.stg_new_customers"
FCT, SEED = "model.cac_pilot.fct_weekly_cac", "seed.cac_pilot.channels"
SNAPSHOT = "snapshot.cac_pilot.channels_snapshot"
DASHBOARD = "exposure.cac_pilot.cac_dashboard"
T_CEILING = "test.cac_pilot.assert_weekly_cac_under_ceiling"
T_UNIQUE = "test.cac_pilot.unique_stg_new_customers_customer_id.8168b6240b"
T_CHANNELS_WARN = "test.cac_pilot.accepted_values_stg_ad_spend_channel__google__meta__tiktok.13fad44185"
T_SOURCE_NOT_NULL = "test.cac_pilot.source_not_null_ads_ad_spend_spend_usd.7201e6a16b"
TESTS = {
    T_CEILING, T_UNIQUE, T_CHANNELS_WARN, T_SOURCE_NOT_NULL,
    "test.cac_pilot.accepted_values_stg_new_customers_channel__google__meta__tiktok__organic.ba5f98ceff",
    "test.cac_pilot.not_null_stg_new_customers_customer_id.af67ca199a",
    "test.cac_pilot.not_null_stg_ad_spend_spend_usd.e203435dfc",
    "test.cac_pilot.not_null_fct_weekly_cac_cac_usd.a6fe3f5057",
}


def firing(run: DbtRun) -> dict[str, str]:
    """Firing signals as key → asset."""
    return {signal.key: signal.asset for signal in run.signals if signal.firing}


def by_key(run: DbtRun) -> dict[str, Any]:
    return {signal.key: signal for signal in run.signals}


def copy_run(scenario: str, tmp_path: Path) -> Path:
    target = tmp_path / scenario
    shutil.copytree(RUNS / scenario, target)
    return target


def edit(path: Path, change: Callable[[dict[str, Any]], Any]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def result_of(data: dict[str, Any], unique_id: str) -> dict[str, Any]:
    return next(result for result in data["results"] if result["unique_id"] == unique_id)


# ---- the committed scenarios ----------------------------------------------------------------


def test_the_fixtures_are_real_dbt_1_11_runs_kept_small() -> None:
    for scenario in SCENARIOS:
        folder = RUNS / scenario
        assert sorted(path.name for path in folder.iterdir()) == ["manifest.json", "run_results.json", "sources.json"]
        for path in folder.iterdir():
            assert path.stat().st_size < 100_000, path
        assert read_dbt(folder).dbt_version.startswith("1.11."), scenario


def test_a_passing_run_fires_nothing_and_recovers_every_check() -> None:
    run = read_dbt(RUNS / "passing")
    assert firing(run) == {}
    assert set(by_key(run)) == TESTS | {STG_SPEND, STG_CUSTOMERS, FCT, SEED, SNAPSHOT, ADS, CRM}
    assert all(s.origin == "dbt" and s.source is DetectionSource.DBT and s.link == "" for s in run.signals)
    run_results = json.loads((RUNS / "passing" / "run_results.json").read_text())
    generated = datetime.fromisoformat(run_results["metadata"]["generated_at"])
    assert run.generated_at == generated
    assert by_key(run)[FCT].observed_at == generated
    assert run.notes == ()


def test_a_failing_test_fires_on_the_model_it_tests() -> None:
    run = read_dbt(RUNS / "failing")
    assert firing(run) == {T_CEILING: "fct_weekly_cac"}
    signal = by_key(run)[T_CEILING]
    assert signal.title == "dbt test failed: assert_weekly_cac_under_ceiling on fct_weekly_cac"
    assert signal.severity is Severity.SEV3
    assert "Got 1 result, configured to fail if != 0" in signal.details
    assert signal.started_at is None


def test_warnings_are_signals_only_when_asked() -> None:
    assert T_CHANNELS_WARN not in by_key(read_dbt(RUNS / "failing"))
    warned = read_dbt(RUNS / "failing", warnings=True)
    assert firing(warned) == {T_CEILING: "fct_weekly_cac", T_CHANNELS_WARN: "stg_ad_spend"}
    assert by_key(warned)[T_CHANNELS_WARN].severity is Severity.SEV3
    assert by_key(warned)[T_CHANNELS_WARN].title.startswith("dbt test warns: ")

    assert firing(read_dbt(RUNS / "stale")) == {ADS: "ad_spend"}
    stale = read_dbt(RUNS / "stale", warnings=True)
    assert firing(stale) == {ADS: "ad_spend", CRM: "new_customers"}
    assert by_key(stale)[CRM].severity is Severity.SEV3


def test_an_erroring_model_fires_and_what_it_skipped_gives_nothing() -> None:
    run = read_dbt(RUNS / "erroring")
    assert firing(run) == {STG_CUSTOMERS: "stg_new_customers", T_SOURCE_NOT_NULL: "ad_spend"}
    model = by_key(run)[STG_CUSTOMERS]
    assert model.severity is Severity.SEV2
    assert model.title == "dbt model failed to build: stg_new_customers"
    assert 'Referenced column "signup_date" not found' in model.details
    assert by_key(run)[T_SOURCE_NOT_NULL].title.startswith("dbt test errored: ")
    # Skipped: stg_ad_spend (after its source's test errored), fct_weekly_cac and their tests.
    skipped = {STG_SPEND, FCT, T_CEILING, T_UNIQUE, T_CHANNELS_WARN}
    assert not skipped & set(by_key(run))
    assert {SEED, SNAPSHOT} <= {key for key, signal in by_key(run).items() if not signal.firing}


def test_a_failing_test_that_skips_downstream_takes_its_meta_severity() -> None:
    run = read_dbt(RUNS / "skipped")
    assert firing(run) == {T_UNIQUE: "stg_new_customers"}
    assert by_key(run)[T_UNIQUE].severity is Severity.SEV2  # meta: {oncall_severity: SEV-2}
    assert "Got 25 results" in by_key(run)[T_UNIQUE].details
    assert FCT not in by_key(run) and T_CEILING not in by_key(run)
    assert by_key(run)[STG_SPEND].firing is False
    # Recovered, it keeps the severity its failure had.
    assert by_key(read_dbt(RUNS / "passing"))[T_UNIQUE].severity is Severity.SEV2


def test_a_stale_source_fires_from_when_its_data_stopped() -> None:
    run = read_dbt(RUNS / "stale")
    signal = by_key(run)[ADS]
    freshness = result_of(json.loads((RUNS / "stale" / "sources.json").read_text()), ADS)
    assert signal.firing and signal.severity is Severity.SEV2 and signal.asset == "ad_spend"
    assert signal.title == "dbt source stale: ads.ad_spend (last loaded 26h ago)"
    assert signal.started_at == datetime.fromisoformat(freshness["max_loaded_at"])
    assert "warn after 12 hours, error after 24 hours" in signal.details
    sources = json.loads((RUNS / "stale" / "sources.json").read_text())
    assert signal.observed_at == datetime.fromisoformat(sources["metadata"]["generated_at"])


def test_a_source_dbt_could_not_check_counts_as_failed() -> None:
    # dbt 1.11 leaves a source out of sources.json when its freshness query fails.
    run = read_dbt(RUNS / "source_missing")
    assert firing(run) == {STG_CUSTOMERS: "stg_new_customers", CRM: "new_customers"}
    signal = by_key(run)[CRM]
    assert signal.title == "dbt source freshness not checked: crm.new_customers"
    assert signal.severity is Severity.SEV2
    assert "sources.json has no result for it" in signal.details


def test_missing_from_sources_json_counts_as_failed_only_with_a_freshness_rule(tmp_path: Path) -> None:
    target = copy_run("passing", tmp_path)
    edit(target / "sources.json", lambda data: data["results"].remove(result_of(data, CRM)))
    assert firing(read_dbt(target)) == {CRM: "new_customers"}

    def no_rule(data: dict[str, Any]) -> None:
        data["sources"][CRM]["freshness"] = None
        data["sources"][CRM]["config"]["freshness"] = None

    edit(target / "manifest.json", no_rule)
    run = read_dbt(target)
    assert firing(run) == {} and CRM not in by_key(run)


def test_without_sources_json_no_freshness_is_read_or_missed(tmp_path: Path) -> None:
    target = copy_run("stale", tmp_path)
    (target / "sources.json").unlink()
    run = read_dbt(target)
    assert firing(run) == {}
    assert ADS not in by_key(run) and CRM not in by_key(run)
    assert any("sources.json not found" in note for note in run.notes)
    assert next(node for node in run.nodes if node.unique_id == ADS).freshness == ""


# ---- lineage ----------------------------------------------------------------------------------


def test_lineage_runs_from_sources_to_the_dashboard_and_leaves_tests_out() -> None:
    nodes = {node.unique_id: node for node in read_dbt(RUNS / "passing").nodes}
    assert set(nodes) == {ADS, CRM, STG_SPEND, STG_CUSTOMERS, FCT, SEED, SNAPSHOT, DASHBOARD}
    assert nodes[STG_SPEND].parents == (ADS,)
    assert nodes[STG_CUSTOMERS].parents == (CRM,)
    assert nodes[FCT].parents == (STG_SPEND, STG_CUSTOMERS, SEED)
    assert nodes[SNAPSHOT].parents == (SEED,)
    dashboard = nodes[DASHBOARD]
    assert (dashboard.resource_type, dashboard.name, dashboard.owner, dashboard.parents) == (
        "exposure", "cac_dashboard", "sofia@acme.example", (FCT,))
    assert dashboard.description.startswith("Read by the leadership team")
    assert (nodes[ADS].resource_type, nodes[ADS].name, nodes[ADS].relation, nodes[ADS].owner) == (
        "source", "ad_spend", "ad_spend", "lukas@acme.example")
    assert (nodes[FCT].relation, nodes[FCT].owner) == ("fct_weekly_cac", "maya@acme.example")
    assert [node.resource_type for node in nodes.values()].count("seed") == 1


def test_source_nodes_carry_their_last_freshness_result() -> None:
    nodes = {node.unique_id: node for node in read_dbt(RUNS / "stale").nodes}
    sources = json.loads((RUNS / "stale" / "sources.json").read_text())
    for unique_id, status in ((ADS, "error"), (CRM, "warn")):
        result = result_of(sources, unique_id)
        assert nodes[unique_id].freshness == status
        assert nodes[unique_id].freshness_at == datetime.fromisoformat(result["snapshotted_at"])
        assert nodes[unique_id].max_loaded_at == datetime.fromisoformat(result["max_loaded_at"])
    assert nodes[FCT].freshness == "" and nodes[FCT].freshness_at is None


# ---- other dbt versions -------------------------------------------------------------------------


def test_dbt_1_7_artifacts_are_read() -> None:
    """Hand-made in dbt 1.7's shapes: manifest v11 (freshness outside config, owners from a
    group and a source's meta, a dashboard on a metric), run-results v5, and a sources.json that
    still lists a runtime error."""
    run = read_dbt(RUNS / "dbt_1_7")
    assert run.notes == () and run.dbt_version == "1.7.19"
    assert firing(run) == {
        "test.cac_pilot.not_null_stg_ad_spend_spend_usd.e203435dfc": "stg_ad_spend",
        "test.cac_pilot.assert_weekly_cac_under_ceiling": "fct_weekly_cac",  # the most downstream it reads
        CRM: "new_customers",
    }
    signals = by_key(run)
    assert signals[T_CEILING].severity is Severity.SEV1  # meta.oncall_severity: sev1
    assert signals[CRM].title == "dbt source freshness check failed: crm.new_customers"
    assert "does not exist" in signals[CRM].details and "error after 1 day" in signals[CRM].details
    nodes = {node.unique_id: node for node in run.nodes}
    assert nodes[FCT].owner == "maya@acme.example"  # its group's owner
    assert nodes[ADS].owner == "lukas@acme.example"  # the source's meta
    assert nodes[CRM].relation == "crm_new_customers_export" and nodes[CRM].freshness == "runtime error"
    assert nodes[DASHBOARD].owner == "Sofia Castro"  # no email: the name
    assert nodes["exposure.cac_pilot.cac_metric_board"].parents == (FCT,)  # through the metric


@pytest.mark.parametrize(("name", "kind", "version"), [
    ("manifest.json", "manifest", 13), ("run_results.json", "run-results", 7), ("sources.json", "sources", 4)])
def test_a_newer_schema_is_read_with_a_note(tmp_path: Path, name: str, kind: str, version: int) -> None:
    target = copy_run("failing", tmp_path)
    edit(target / name, lambda data: data["metadata"].update(
        dbt_schema_version=f"https://schemas.getdbt.com/dbt/{kind}/v{version}.json"))
    run = read_dbt(target)
    assert firing(run) == firing(read_dbt(RUNS / "failing"))
    assert run.notes == (f"{name} is {kind} v{version}, newer than oncall knows "
                         f"({'v3' if kind == 'sources' else 'v5–v6' if kind == 'run-results' else 'v11–v12'}): "
                         f"read as v{6 if kind == 'run-results' else 3 if kind == 'sources' else 12}",)


def test_an_artifact_without_a_schema_version_is_read_with_a_note(tmp_path: Path) -> None:
    target = copy_run("failing", tmp_path)
    edit(target / "run_results.json", lambda data: data.pop("metadata"))
    run = read_dbt(target)
    assert firing(run) == {T_CEILING: "fct_weekly_cac"}
    assert run.notes == ("run_results.json does not say its schema version (metadata.dbt_schema_version): "
                         "read as run-results v6",)
    assert by_key(run)[T_CEILING].observed_at is not None  # from the result's own timing


# ---- tolerated oddities -----------------------------------------------------------------------


def test_an_unknown_status_is_a_note_not_an_error(tmp_path: Path) -> None:
    target = copy_run("failing", tmp_path)
    edit(target / "run_results.json", lambda data: result_of(data, STG_SPEND).update(status="exploded"))
    edit(target / "sources.json", lambda data: result_of(data, ADS).update(status="lukewarm"))
    run = read_dbt(target)
    assert STG_SPEND not in by_key(run) and ADS not in by_key(run)
    assert firing(run) == {T_CEILING: "fct_weekly_cac"}
    assert f"{STG_SPEND}: unknown status 'exploded': ignored" in run.notes
    assert f"{ADS}: unknown freshness status 'lukewarm': ignored" in run.notes


def test_many_odd_results_make_one_note(tmp_path: Path) -> None:
    target = copy_run("passing", tmp_path)
    edit(target / "run_results.json", lambda data: [r.update(status="exploded") for r in data["results"]])
    run = read_dbt(target)
    assert set(by_key(run)) == {ADS, CRM}  # sources.json's
    assert len(run.notes) == 2
    assert run.notes[0].endswith("and 10 more: unknown status 'exploded': ignored")
    assert run.notes[1] == f"{DASHBOARD}: status 'exploded', on a node that is not a check (exposure): ignored"


@pytest.mark.parametrize("command", ["generate", "compile", "show", "run-operation"])
def test_run_results_of_a_command_that_checks_nothing_are_not_read(tmp_path: Path, command: str) -> None:
    # `dbt docs generate` after `dbt build` rewrites run_results.json with every model "success":
    # read as a build, it would recover the failing ones.
    target = copy_run("source_missing", tmp_path)
    edit(target / "run_results.json", lambda data: data["args"].update(which=command))
    run = read_dbt(target)
    assert firing(run) == {CRM: "new_customers"} and set(by_key(run)) == {ADS, CRM}
    assert run.notes == (f"run_results.json was written by `dbt {command}`, which checks nothing: not read "
                         "(ingest after dbt build, run or test)",)


def test_a_partial_success_fires_like_an_error(tmp_path: Path) -> None:
    target = copy_run("passing", tmp_path)
    edit(target / "run_results.json", lambda data: result_of(data, FCT).update(status="partial success"))
    signal = by_key(read_dbt(target))[FCT]
    assert signal.firing and signal.severity is Severity.SEV2 and "Some batches failed" in signal.details


def test_odd_optional_fields_are_tolerated(tmp_path: Path) -> None:
    target = copy_run("skipped", tmp_path)

    def oddities(data: dict[str, Any]) -> None:
        test = data["nodes"][T_UNIQUE]
        test["meta"] = test["config"]["meta"] = {"oncall_severity": "urgent"}
        data["nodes"][FCT]["meta"] = data["nodes"][FCT]["config"]["meta"] = {"owner": {"team": 7}}
        data["nodes"][STG_SPEND].pop("description")
        del data["exposures"][DASHBOARD]["owner"]
        data.pop("parent_map")  # lineage from depends_on instead
        data.pop("child_map")

    edit(target / "manifest.json", oddities)
    edit(target / "run_results.json", lambda data: [r.pop(key, None) for r in data["results"]
                                                    for key in ("message", "failures", "timing", "relation_name")])
    run = read_dbt(target)
    assert firing(run) == {T_UNIQUE: "stg_new_customers"}
    assert by_key(run)[T_UNIQUE].severity is Severity.SEV3
    assert any("meta.oncall_severity 'urgent' is not a severity" in note for note in run.notes)
    nodes = {node.unique_id: node for node in run.nodes}
    assert nodes[FCT].owner == "" and nodes[DASHBOARD].owner == "" and nodes[STG_SPEND].description == ""
    assert nodes[FCT].parents == (STG_SPEND, STG_CUSTOMERS, SEED) and nodes[DASHBOARD].parents == (FCT,)


def test_a_result_the_manifest_does_not_know_is_read_from_its_id(tmp_path: Path) -> None:
    target = copy_run("failing", tmp_path)
    edit(target / "manifest.json", lambda data: data["nodes"].pop(T_CEILING))
    run = read_dbt(target)
    assert firing(run) == {T_CEILING: ""}  # a singular test's id does not say what it tests
    assert any(T_CEILING in note and "not in manifest.json" in note for note in run.notes)


def test_a_repeated_result_is_read_once_the_last_one(tmp_path: Path) -> None:
    target = copy_run("failing", tmp_path)
    edit(target / "run_results.json",
         lambda data: data["results"].append({**result_of(data, T_CEILING), "status": "pass"}))
    run = read_dbt(target)
    assert firing(run) == {} and by_key(run)[T_CEILING].firing is False
    assert any("more than one result" in note for note in run.notes)


# ---- partial target folders and the per-file readers --------------------------------------------


def test_run_results_alone_still_gives_signals(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    shutil.copy(RUNS / "erroring" / "run_results.json", target)
    run = read_dbt(target)
    # A model's asset is in its id; a test's needs the manifest.
    assert firing(run) == {STG_CUSTOMERS: "stg_new_customers", T_SOURCE_NOT_NULL: ""}
    assert run.nodes == ()
    assert any(note.startswith("manifest.json not found") for note in run.notes)


def test_a_manifest_alone_gives_lineage(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    shutil.copy(RUNS / "passing" / "manifest.json", target)
    run = read_dbt(target)
    assert run.signals == () and len(run.nodes) == 8


def test_the_per_file_readers_agree_with_the_folder_reader() -> None:
    folder = RUNS / "stale"
    whole = read_dbt(folder)
    results = read_run_results(folder / "run_results.json", manifest=folder / "manifest.json")
    sources = read_sources(folder / "sources.json", manifest=folder / "manifest.json")
    assert sorted(results.signals + sources.signals, key=lambda s: s.key) == list(whole.signals)
    assert read_manifest(folder / "manifest.json") == tuple(
        node.model_copy(update={"freshness": "", "freshness_at": None, "max_loaded_at": None}) for node in whole.nodes)


def test_a_folder_without_artifacts_is_an_error_naming_what_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError) as raised:
        read_dbt(tmp_path)
    assert str(raised.value).startswith(str(tmp_path))
    for name in ("run_results.json", "sources.json", "manifest.json"):
        assert name in str(raised.value)
    with pytest.raises(ArtifactError, match="is not a folder"):
        read_dbt(tmp_path / "nowhere")


def test_the_same_files_give_the_same_signals_in_the_same_order(tmp_path: Path) -> None:
    first, second = read_dbt(RUNS / "failing", warnings=True), read_dbt(RUNS / "failing", warnings=True)
    assert first == second
    assert [s.key for s in first.signals] == sorted(s.key for s in first.signals)
    target = copy_run("failing", tmp_path)
    edit(target / "run_results.json", lambda data: random.Random(15).shuffle(data["results"]))
    assert read_dbt(target, warnings=True).signals == first.signals


# ---- malformed artifacts ----------------------------------------------------------------------


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for step in path[:-1]:
            data = data[step]
        if value is DELETE:
            del data[path[-1]]
        else:
            data[path[-1]] = value
    return change


DELETE = object()
MALFORMED = [
    ("run_results.json", _set(["results"], DELETE), "results is missing"),
    ("run_results.json", _set(["results"], {}), "results should be a list, not an object"),
    ("run_results.json", _set(["results", 3, "unique_id"], DELETE), "results[3].unique_id is missing"),
    ("run_results.json", _set(["results", 3, "unique_id"], ""), "results[3].unique_id is empty"),
    ("run_results.json", _set(["results", 2, "status"], 1), "results[2].status should be a string, not a number"),
    ("run_results.json", _set(["results", 2, "status"], None), "results[2].status is null"),
    ("run_results.json", _set(["results", 0], "model.x"), "results[0] should be an object, not a string"),
    ("run_results.json", _set(["results", 12, "failures"], "1"), "results[12].failures should be a whole number"),
    ("run_results.json", _set(["results", 12, "message"], ["Got 1"]), "results[12].message should be a string"),
    ("run_results.json", _set(["metadata"], []), "metadata should be an object, not a list"),
    ("run_results.json", _set(["metadata", "generated_at"], "yesterday"), "metadata.generated_at is not a timestamp"),
    ("run_results.json", _set(["metadata", "dbt_schema_version"], "https://schemas.getdbt.com/dbt/manifest/v12.json"),
     "metadata.dbt_schema_version says this is a manifest artifact"),
    ("run_results.json", _set(["metadata", "dbt_schema_version"],
                              "https://schemas.getdbt.com/dbt/run-results/v4.json"),
     "metadata.dbt_schema_version is run-results v4, older than oncall reads (v5–v6"),
    ("sources.json", _set(["results", 1, "unique_id"], DELETE), "results[1].unique_id is missing"),
    ("sources.json", _set(["results", 0, "max_loaded_at"], "soon"), "results[0].max_loaded_at is not a timestamp"),
    ("sources.json", _set(["results", 0, "criteria", "warn_after", "count"], "12"),
     "results[0].criteria.warn_after.count should be a whole number, not a string"),
    ("manifest.json", _set(["nodes"], DELETE), "nodes is missing"),
    ("manifest.json", _set(["sources"], []), "sources should be an object, not a list"),
    ("manifest.json", _set(["nodes", FCT, "name"], DELETE), f'nodes["{FCT}"].name is missing'),
    ("manifest.json", _set(["nodes", FCT, "resource_type"], 3), f'nodes["{FCT}"].resource_type should be a string'),
    ("manifest.json", _set(["nodes", FCT], None), f'nodes["{FCT}"] should be an object, not null'),
    ("manifest.json", _set(["sources", ADS, "source_name"], DELETE), f'sources["{ADS}"].source_name is missing'),
    ("manifest.json", _set(["sources", ADS, "freshness", "error_after", "count"], "24"),
     f'sources["{ADS}"].freshness.error_after.count should be a whole number'),
    ("manifest.json", _set(["exposures", DASHBOARD, "owner"], "sofia"),
     f'exposures["{DASHBOARD}"].owner should be an object, not a string'),
    ("manifest.json", _set(["parent_map", FCT], STG_SPEND), f'parent_map["{FCT}"] should be a list, not a string'),
    ("manifest.json", _set(["nodes", T_CEILING, "depends_on", "nodes"], "x"),
     f'nodes["{T_CEILING}"].depends_on.nodes should be a list'),
]


@pytest.mark.parametrize(("name", "change", "expected"), MALFORMED, ids=[case[2][:60] for case in MALFORMED])
def test_a_malformed_artifact_names_the_file_and_the_field(tmp_path: Path, name: str, change: Callable,
                                                           expected: str) -> None:
    target = copy_run("failing", tmp_path)
    edit(target / name, change)
    with pytest.raises(ArtifactError) as raised:
        read_dbt(target)
    assert str(raised.value).startswith(f"{target / name}: "), str(raised.value)
    assert expected in str(raised.value)
    assert isinstance(raised.value, ValueError) and raised.value.file == str(target / name)


@pytest.mark.parametrize("name", ["run_results.json", "sources.json", "manifest.json"])
@pytest.mark.parametrize(("content", "expected"), [
    (b"this is not json", "is not valid JSON: Expecting value (line 1, column 1)"),
    (b"", "is not valid JSON: the file ends before the JSON does (truncated?)"),
    (b"[1, 2]", "should hold a JSON object, not a list"),
    (b'"results"', "should hold a JSON object, not a string"),
    (b'{"results": [\xff]}', "is not UTF-8 text (byte 13)"),
])
def test_a_file_that_is_not_an_artifact_is_an_error(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    target = copy_run("failing", tmp_path)
    (target / name).write_bytes(content)
    with pytest.raises(ArtifactError) as raised:
        read_dbt(target)
    assert str(raised.value) == f"{target / name}: {expected}"
    assert (raised.value.file, raised.value.path) == (str(target / name), "")


@pytest.mark.parametrize("name", ["run_results.json", "sources.json", "manifest.json"])
def test_a_truncated_artifact_is_an_error(tmp_path: Path, name: str) -> None:
    target = copy_run("failing", tmp_path)
    whole = (target / name).read_bytes()
    (target / name).write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ArtifactError, match=r"truncated\?"):
        read_dbt(target)


def test_reading_dbt_artifacts_does_not_import_textual() -> None:
    check = ("import sys; from pathlib import Path; import oncall.intake.dbt as dbt; "
             f"dbt.read_dbt(Path({str(RUNS / 'failing')!r})); "
             "print(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')))")
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_timestamps_are_utc_aware() -> None:
    run = read_dbt(RUNS / "stale")
    moments = [run.generated_at] + [s.observed_at for s in run.signals] + [n.freshness_at for n in run.nodes
                                                                         if n.freshness_at]
    assert all(moment is not None and moment.utcoffset() == timezone.utc.utcoffset(None) for moment in moments)


def test_a_number_too_long_to_read_is_an_artifact_error(tmp_path) -> None:
    (tmp_path / "run_results.json").write_text('{"metadata": {"x": ' + "9" * 5000 + '}, "results": []}')
    with pytest.raises(ArtifactError, match="run_results.json.*4300 digits"):
        read_dbt(tmp_path)


def test_an_artifact_that_is_not_a_file_is_refused_and_a_missing_one_noted(tmp_path) -> None:
    shutil.copy(RUNS / "passing" / "manifest.json", tmp_path / "manifest.json")
    run = read_dbt(tmp_path)
    assert any("run_results.json not found" in note for note in run.notes)
    (tmp_path / "run_results.json").mkdir()
    with pytest.raises(ArtifactError, match="run_results.json.*not a file"):
        read_dbt(tmp_path)
