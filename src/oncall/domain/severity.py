"""Severity levels from the Data Trust Framework, and what each one asks of the response."""

from __future__ import annotations

from datetime import timedelta
from enum import Enum


class Severity(str, Enum):
    SEV1 = "SEV-1"
    SEV2 = "SEV-2"
    SEV3 = "SEV-3"

    @property
    def rank(self) -> int:
        """1 is the most severe; used to sort the queue."""
        return int(self.value[-1])

    @property
    def label(self) -> str:
        return {"SEV-1": "critical", "SEV-2": "high", "SEV-3": "medium"}[self.value]

    @property
    def meaning(self) -> str:
        return SEVERITY_MEANING[self]

    @property
    def summary(self) -> str:
        """One line for pickers: `critical: key metrics, execs, customers; all hands now`."""
        return SEVERITY_SUMMARY[self]

    @property
    def update_cadence(self) -> timedelta | None:
        """How often stakeholders get an update; SEV-3 has no fixed cadence."""
        return {"SEV-1": timedelta(minutes=30), "SEV-2": timedelta(hours=2), "SEV-3": None}[self.value]

    @classmethod
    def parse(cls, text: str) -> "Severity":
        """Accept `SEV-2`, `sev2`, `2`; say what is allowed otherwise."""
        cleaned = text.strip().upper().replace("_", "-")
        if cleaned.isdigit():
            cleaned = f"SEV-{cleaned}"
        if cleaned.startswith("SEV") and not cleaned.startswith("SEV-"):
            cleaned = "SEV-" + cleaned[3:]
        for severity in cls:
            if severity.value == cleaned:
                return severity
        allowed = ", ".join(s.value for s in cls)
        raise ValueError(f"unknown severity {text!r}: use one of {allowed}")


SEVERITY_MEANING = {
    Severity.SEV1: "Critical: key business metrics, executive visibility or customer-facing data. Immediate, all-hands response.",
    Severity.SEV2: "High: important internal dashboards or operations. Response within business hours.",
    Severity.SEV3: "Medium: known workaround or limited impact. Handled as planned work.",
}

SEVERITY_SUMMARY = {
    Severity.SEV1: "critical: key metrics, executives, customer data; all hands now",
    Severity.SEV2: "high: important internal dashboards; within business hours",
    Severity.SEV3: "medium: known workaround or limited impact; planned work",
}
