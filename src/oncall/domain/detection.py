"""How an incident was found: by our own alerts or dbt runs, by a person's report, or in a drill."""

from __future__ import annotations

from enum import Enum


# An item whose asset nobody could guess (a report naming none, an alert on a name the workspace
# does not know): the IC chooses one. Here, beside the sources, because this module loads without
# pydantic (the console's start-up path imports it).
UNKNOWN_ASSET = "(unknown)"


class DetectionSource(str, Enum):
    ALERT = "alert"
    DBT = "dbt"  # a failing dbt test or model, or a stale source (`oncall ingest dbt`)
    USER_REPORT = "user_report"
    DRILL = "drill"

    @classmethod
    def parse(cls, text: str) -> "DetectionSource":
        cleaned = text.strip().lower().replace("-", "_")
        for source in cls:
            if source.value == cleaned:
                return source
        allowed = ", ".join(s.value for s in cls)
        raise ValueError(f"unknown detection source {text!r}: use one of {allowed}")
