"""Evidence gathering: run a runbook step's command or read-only query, bounded in time and cancellable."""

from oncall.evidence.runner import DEFAULT_TIMEOUT, EvidenceResult, describe, resolve_timeout, run_evidence

__all__ = ["DEFAULT_TIMEOUT", "EvidenceResult", "describe", "resolve_timeout", "run_evidence"]
