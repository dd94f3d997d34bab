"""dbt ingest speed (issue 15): `read_dbt` on a target folder of a 5,000-node project.

Writes a synthetic but dbt-1.11-shaped `manifest.json` (5,000 nodes: models, seeds, snapshots and
their tests, with SQL, columns and 600 macros, as real manifests carry), `run_results.json` (a
result for every node: mostly passing, some failing, erroring and skipped) and `sources.json`
(300 sources, some stale, a few missing) to a temporary folder, the same bytes every time. Then
times `read_dbt` (signals and lineage), median of several runs after one warm-up; then the whole
`oncall ingest dbt` (a fresh process: reading, the lineage stored and merged, every signal absorbed
into a fresh copy of the demo workspace's database), the first time and again on the same files.
Bar: under 2 s for the whole ingest. Exits 1 when it is missed.

Run: `.venv/bin/python benchmarks/bench_dbt.py [--nodes N] [--runs N] [--keep DIR]`.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from oncall.intake.dbt import read_dbt

BAR_S = 2.0
SEED = 15  # the same project every time
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)
SCHEMA = "https://schemas.getdbt.com/dbt/{}.json"
SOURCES, EXPOSURES, MACROS, COLUMNS = 300, 100, 600, 30


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def metadata(kind: str) -> dict:
    return {"dbt_schema_version": SCHEMA.format(kind), "dbt_version": "1.11.16", "generated_at": stamp(NOW),
            "invocation_id": "00000000-0000-4000-8000-000000000015", "env": {}}


def columns(prefix: str) -> dict:
    return {f"{prefix}_col_{i}": {"name": f"{prefix}_col_{i}", "description": f"Column {i} of {prefix}.",
                                  "meta": {}, "data_type": None, "constraints": [], "quote": None,
                                  "config": {"meta": {}, "tags": []}, "tags": [], "granularity": None,
                                  "doc_blocks": []} for i in range(COLUMNS)}


def model(name: str, kind: str, parents: list[str], rng: random.Random) -> dict:
    sql = "\n".join(f"    {parent.rsplit('.', 1)[-1]}.col_{i} as c_{i}," for i, parent in enumerate(parents * 15))
    code = f"with base as (\n  select\n{sql}\n    1 as one\n  from {{{{ ref('x') }}}}\n)\nselect * from base\n"
    return {
        "database": "warehouse", "schema": "analytics", "name": name, "resource_type": kind, "package_name": "big",
        "path": f"{name}.sql", "original_file_path": f"models/{name}.sql", "unique_id": f"{kind}.big.{name}",
        "fqn": ["big", name], "alias": name, "checksum": {"name": "sha256", "checksum": f"{rng.getrandbits(128):032x}"},
        "config": {"enabled": True, "materialized": "table", "meta": {"owner": f"team{rng.randrange(20)}@acme.example"},
                   "tags": [], "group": None, "contract": {"enforced": False, "alias_types": True}},
        "tags": [], "description": f"The {name} table: one row per thing, rebuilt nightly.", "columns": columns(name),
        "meta": {"owner": f"team{rng.randrange(20)}@acme.example"}, "group": None,
        "docs": {"show": True, "node_color": None}, "patch_path": f"big://models/{name}.yml",
        "build_path": None, "unrendered_config": {"materialized": "table"}, "created_at": 1796013940.6,
        "relation_name": f'"warehouse"."analytics"."{name}"', "raw_code": code, "compiled_code": code,
        "doc_blocks": [], "language": "sql", "refs": [{"name": p.rsplit(".", 1)[-1], "package": None, "version": None}
                                                       for p in parents],
        "sources": [], "metrics": [], "functions": [],
        "depends_on": {"macros": ["macro.dbt.run_query"], "nodes": parents},
        "compiled_path": f"target/compiled/big/models/{name}.sql", "compiled": True,
        "extra_ctes_injected": True, "extra_ctes": [], "access": "protected", "constraints": [], "version": None,
        "latest_version": None, "deprecation_date": None, "primary_key": [], "time_spine": None,
    }


def test(name: str, attached: str, column: str) -> dict:
    code = f"select {column} from {attached} where {column} is null"
    return {
        "database": "warehouse", "schema": "analytics_dbt_test__audit", "name": name, "resource_type": "test",
        "package_name": "big", "path": f"{name}.sql", "original_file_path": "models/schema.yml",
        "unique_id": f"test.big.{name}.0123456789", "fqn": ["big", name], "alias": name,
        "checksum": {"name": "none", "checksum": ""},
        "config": {"enabled": True, "severity": "ERROR", "meta": {}, "tags": [], "materialized": "test",
                   "fail_calc": "count(*)", "warn_if": "!= 0", "error_if": "!= 0"},
        "tags": [], "description": "", "columns": {}, "meta": {}, "group": None, "docs": {"show": True},
        "created_at": 1796013941.2, "relation_name": None,
        "raw_code": "{{ test_not_null(**_dbt_generic_test_kwargs) }}",
        "compiled_code": code, "language": "sql", "refs": [], "sources": [], "metrics": [],
        "depends_on": {"macros": ["macro.dbt.test_not_null"], "nodes": [attached]}, "compiled": True,
        "column_name": column, "file_key_name": "models.x", "attached_node": attached,
        "test_metadata": {"name": "not_null", "kwargs": {"column_name": column}, "namespace": None},
    }


def project(nodes: int) -> tuple[dict, dict, dict]:
    """manifest, run_results, sources: about 40% models, seeds and snapshots, 60% tests."""
    rng = random.Random(SEED)
    sources = {}
    for i in range(SOURCES):
        uid = f"source.big.raw_{i // 10}.table_{i}"
        rule = {"warn_after": {"count": 12, "period": "hour"}, "error_after": {"count": 24, "period": "hour"},
                "filter": None}
        sources[uid] = {"database": "warehouse", "schema": f"raw_{i // 10}", "name": f"table_{i}",
                        "resource_type": "source", "package_name": "big", "unique_id": uid,
                        "source_name": f"raw_{i // 10}", "identifier": f"table_{i}", "loaded_at_field": "loaded_at",
                        "freshness": rule, "config": {"enabled": True, "freshness": rule, "meta": {}},
                        "description": "A raw table.", "columns": columns(f"table_{i}"), "meta": {},
                        "source_meta": {"owner": "loader@acme.example"}, "tags": []}
    built, manifest_nodes, parent_map = [], {}, {}
    lineage_count = nodes * 2 // 5
    for i in range(lineage_count):
        kind = "seed" if i % 50 == 0 else "snapshot" if i % 50 == 1 else "model"
        if kind == "seed":
            parents = []
        elif i < SOURCES or not built:
            parents = [f"source.big.raw_{i % SOURCES // 10}.table_{i % SOURCES}"]
        else:
            parents = sorted({rng.choice(built) for _ in range(3)})
        node = model(f"m_{i}", kind, parents, rng)
        manifest_nodes[node["unique_id"]] = node
        parent_map[node["unique_id"]] = parents
        built.append(node["unique_id"])
    for i in range(nodes - lineage_count):
        attached = built[i % len(built)]
        node = test(f"not_null_m_{i % len(built)}_col_{i // len(built)}", attached, f"col_{i // len(built)}")
        manifest_nodes[node["unique_id"]] = node
        parent_map[node["unique_id"]] = [attached]
    exposures = {}
    for i in range(EXPOSURES):
        uid = f"exposure.big.dashboard_{i}"
        parents = sorted({rng.choice(built) for _ in range(4)})
        exposures[uid] = {"name": f"dashboard_{i}", "resource_type": "exposure", "unique_id": uid, "type": "dashboard",
                          "owner": {"email": f"analyst{i % 7}@acme.example", "name": f"Analyst {i % 7}"},
                          "description": "A dashboard.", "depends_on": {"macros": [], "nodes": parents}}
        parent_map[uid] = parents
    macro_sql = "{% macro m() %}\n" + "select 1;\n" * 60 + "{% endmacro %}"
    macros = {f"macro.big.m{i}": {"name": f"m{i}", "macro_sql": macro_sql, "resource_type": "macro",
                                  "depends_on": {"macros": []}} for i in range(MACROS)}
    child_map: dict[str, list[str]] = {uid: [] for uid in parent_map}
    for uid, parents in parent_map.items():
        for parent in parents:
            child_map.setdefault(parent, []).append(uid)
    manifest = {"metadata": metadata("manifest/v12"), "nodes": manifest_nodes, "sources": sources, "macros": macros,
                "docs": {}, "exposures": exposures, "metrics": {}, "groups": {}, "selectors": {}, "disabled": {},
                "parent_map": parent_map, "child_map": child_map, "group_map": {}, "saved_queries": {},
                "semantic_models": {}, "unit_tests": {}, "functions": {}}
    results = []
    for uid, node in manifest_nodes.items():
        is_test = node["resource_type"] == "test"
        roll = rng.random()
        status = ("fail" if is_test else "error") if roll < 0.03 else "skipped" if roll < 0.06 else (
            "pass" if is_test else "success")
        started = NOW - timedelta(minutes=30)
        results.append({"status": status, "timing": [{"name": "execute", "started_at": stamp(started),
                                                      "completed_at": stamp(started + timedelta(seconds=2))}],
                        "thread_id": "Thread-1", "execution_time": 2.0, "adapter_response": {},
                        "message": "Got 3 results, configured to fail if != 0" if status == "fail" else None,
                        "failures": 3 if status == "fail" else 0 if is_test else None, "unique_id": uid,
                        "compiled": True, "compiled_code": node["compiled_code"], "relation_name": None,
                        "batch_results": None})
    run_results = {"metadata": metadata("run-results/v6"), "results": results, "elapsed_time": 600.0, "args": {}}
    freshness = []
    for i, uid in enumerate(sources):
        if i % 97 == 5:
            continue  # left out, as dbt does when a source's freshness query fails
        age = timedelta(hours=30 if i % 23 == 0 else 2)
        freshness.append({"unique_id": uid, "max_loaded_at": stamp(NOW - age), "snapshotted_at": stamp(NOW),
                          "max_loaded_at_time_ago_in_s": age.total_seconds(),
                          "status": "error" if i % 23 == 0 else "pass", "criteria": sources[uid]["freshness"],
                          "adapter_response": {}, "timing": [], "thread_id": "Thread-1", "execution_time": 0.1})
    sources_json = {"metadata": metadata("sources/v3"), "results": freshness, "elapsed_time": 30.0}
    return manifest, run_results, sources_json


def write_project(folder: Path, nodes: int) -> int:
    manifest, run_results, sources = project(nodes)
    total = 0
    for name, data in (("manifest.json", manifest), ("run_results.json", run_results), ("sources.json", sources)):
        text = json.dumps(data)  # as dbt writes them: one line
        (folder / name).write_text(text, encoding="utf-8")
        total += len(text)
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="write the artifacts here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oncall-bench-dbt-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        size = write_project(folder, args.nodes)
        run = read_dbt(folder)
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            read_dbt(folder)
            timings.append(time.perf_counter() - started)
        whole = ingest_times(folder, Path(scratch))
    median = statistics.median(timings)
    firing = sum(signal.firing for signal in run.signals)
    print(f"{args.nodes:,} manifest nodes ({size / 1e6:.1f} MB of artifacts): {len(run.signals):,} signals "
          f"({firing} firing), {len(run.nodes):,} lineage nodes; bar {BAR_S:.1f} s")
    print(f"  read_dbt: median {median:.2f} s, slowest {max(timings):.2f} s")
    met = all(seconds < BAR_S for seconds in whole)
    print(f"  oncall ingest dbt, whole command: first {whole[0]:.2f} s, again on the same files {whole[1]:.2f} s"
          f"{'' if met else '  MISSED'}")
    return 0 if met else 1


def ingest_times(target: Path, scratch: Path) -> list[float]:
    """The real command in its own process, twice, on a copy of the demo workspace's config."""
    import os
    import subprocess

    from oncall.demo.install import copy_demo_config

    workspace = scratch / "workspace"
    copy_demo_config(workspace)
    env = {**os.environ, "ONCALL_DATA_DIR": str(scratch / "data")}
    command = [sys.executable, "-m", "oncall", "--workspace", str(workspace)]
    subprocess.run(command + ["list"], env=env, check=True, capture_output=True)  # the database made
    times = []
    for _ in range(2):
        started = time.perf_counter()
        subprocess.run(command + ["ingest", "dbt", "--target-dir", str(target)], env=env, check=True,
                       capture_output=True)
        times.append(time.perf_counter() - started)
    return times


if __name__ == "__main__":
    sys.exit(main())
