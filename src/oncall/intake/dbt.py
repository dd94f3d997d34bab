"""dbt artifacts from a target folder read into signals and lineage (`oncall ingest dbt`).

`read_dbt(target_dir)` reads what dbt 1.7 to 1.11 write there: `run_results.json` (the last
`dbt build`, `run` or `test`), `sources.json` (the last `dbt source freshness`) and
`manifest.json` (the project). Each is optional, but not all three: with only run_results.json
the signals come without the tests' assets and without lineage; without sources.json no
freshness is read. Nothing is written anywhere: `service/intake.py` turns the signals into triage
items and maps dbt names onto the workspace's assets.

Which result becomes which signal is in `dbt_signals.py`. In short: a failing or erroring test is
a firing SEV-3 signal; a model, seed or snapshot that fails to build, a stale source, a source
whose freshness check failed, and a source with a freshness rule that sources.json has no result
for are firing SEV-2 signals (a broken build or stale input holds up everything downstream, and
"when unsure, pick the higher one"); a node's `meta.oncall_severity` replaces the default. A
passing test, a built model and a fresh source give a signal that is not firing: the recovery.
Skipped nodes give nothing: they were not checked, so they neither fail nor recover (the node
that made them skip has its own signal). `warn` results are SEV-3 signals only with
`warnings=True`. Unknown statuses and odd optional fields are notes, never errors; a malformed
artifact is an `ArtifactError` naming the file and the JSON path. The same files always give the
same signals in the same order (by key).

docs/dbt.md has the whole story, the bench figure and how the test fixtures are made.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from oncall.domain.intake import LineageNode, Signal
from oncall.intake.dbt_files import Artifact, ArtifactError, load_artifact
from oncall.intake.dbt_lineage import Manifest
from oncall.intake.dbt_signals import SignalReader

__all__ = ["ARTIFACTS", "ArtifactError", "DbtRun", "read_dbt", "read_manifest", "read_run_results",
           "read_sources"]

RUN_RESULTS, SOURCES, MANIFEST = "run_results.json", "sources.json", "manifest.json"
ARTIFACTS = (RUN_RESULTS, SOURCES, MANIFEST)


@dataclass(frozen=True)
class DbtRun:
    """What one target folder says: signals by key, lineage nodes by unique id, and the notes on
    what was odd but readable (an unknown status, a newer schema)."""

    signals: tuple[Signal, ...]
    nodes: tuple[LineageNode, ...]
    generated_at: datetime | None  # run_results.json's, else sources.json's, else manifest.json's
    dbt_version: str  # "" when no artifact says
    notes: tuple[str, ...]

    @property
    def firing(self) -> tuple[Signal, ...]:
        return tuple(signal for signal in self.signals if signal.firing)


def read_dbt(target_dir: Path, *, warnings: bool = False) -> DbtRun:
    """Read the dbt artifacts in `target_dir` (dbt's `target/`); `warnings` makes `warn` results
    SEV-3 signals. Raises `ArtifactError` for a folder with none of the three files, or for a
    malformed one."""
    target_dir = Path(target_dir)
    if not target_dir.is_dir():
        raise ArtifactError(str(target_dir), "", "is not a folder (give dbt's target folder)")
    for name in ARTIFACTS:  # there, but not a file dbt wrote: a folder, a dangling link, a device
        path = target_dir / name
        if (path.exists() or path.is_symlink()) and not path.is_file():
            raise ArtifactError(str(path), "", "is not a file (a folder, a broken link?): nothing was read")
    present = {name: target_dir / name for name in ARTIFACTS if (target_dir / name).is_file()}
    if not present:
        raise ArtifactError(str(target_dir), "", f"has none of {', '.join(ARTIFACTS)} (run dbt build or "
                                                 "dbt source freshness first, or give dbt's target folder)")
    notes: list[str] = []
    if MANIFEST not in present:
        notes.append(f"{MANIFEST} not found: no lineage, and the models and sources tests are about are "
                     "unknown (their signals have no asset)")
    if SOURCES not in present:
        notes.append(f"{SOURCES} not found: no source freshness read (run dbt source freshness)")
    if RUN_RESULTS not in present:
        notes.append(f"{RUN_RESULTS} not found: no test or model results read (run dbt build)")
    return _read(present.get(RUN_RESULTS), present.get(SOURCES), present.get(MANIFEST), warnings, notes)


def read_run_results(path: Path, *, manifest: Path | None = None, warnings: bool = False) -> DbtRun:
    """The signals of one run_results.json (with a manifest.json for the tests' assets)."""
    return _read(Path(path), None, Path(manifest) if manifest else None, warnings, [])


def read_sources(path: Path, *, manifest: Path | None = None, warnings: bool = False) -> DbtRun:
    """The freshness signals of one sources.json (with a manifest.json, the sources with a
    freshness rule that it left out count as failed, and the lineage carries the results)."""
    return _read(None, Path(path), Path(manifest) if manifest else None, warnings, [])


def read_manifest(path: Path) -> tuple[LineageNode, ...]:
    """The lineage of one manifest.json, without freshness."""
    return _read(None, None, Path(path), False, []).nodes


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Parsing a large manifest makes millions of dicts and strings, none of them in a cycle; the
    cyclic garbage collector would walk the growing heap again and again for nothing (a third of
    the time of a 5,000-node ingest). It is paused for the read, and resumed as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read(run_results: Path | None, sources: Path | None, manifest_path: Path | None, warnings: bool,
          notes: list[str]) -> DbtRun:
    with _collector_paused():
        return _read_all(run_results, sources, manifest_path, warnings, notes)


def _read_all(run_results: Path | None, sources: Path | None, manifest_path: Path | None, warnings: bool,
              notes: list[str]) -> DbtRun:
    artifacts: list[Artifact] = []  # in the order their run time and dbt version are trusted
    manifest = None
    if manifest_path is not None:
        manifest = Manifest(load_artifact(manifest_path, "manifest", notes), notes)
    reader = SignalReader(manifest, warnings, notes)
    if run_results is not None:
        artifacts.append(load_artifact(run_results, "run-results", notes))
        reader.read_run_results(artifacts[-1])
    if sources is not None:
        artifacts.append(load_artifact(sources, "sources", notes))
        reader.read_sources(artifacts[-1])
        reader.add_unchecked_sources(artifacts[-1].generated_at, sources.name)
    reader.flush_notes()
    if manifest is not None:
        artifacts.append(manifest.artifact)
    return DbtRun(
        signals=tuple(sorted(reader.signals.values(), key=lambda signal: signal.key)),
        nodes=manifest.lineage(reader.freshness) if manifest is not None else (),
        generated_at=next((a.generated_at for a in artifacts if a.generated_at), None),
        dbt_version=next((a.dbt_version for a in artifacts if a.dbt_version), ""),
        notes=tuple(notes))
