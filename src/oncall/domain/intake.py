"""A signal: one reading from an alerting system or a dbt run about one check, and the key that
makes a storm of them one triage item.

Every source is read into the same shape (`intake/alerts.py`, `intake/dbt.py`), so deduplication,
recovery and the timeline are worked out once (`service/intake.py`).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from oncall.domain.detection import UNKNOWN_ASSET, DetectionSource
from oncall.domain.incident import TITLE_MAX, Block, OneLine
from oncall.domain.severity import Severity
from oncall.domain.text import clean_line

KEY_MAX = 500  # characters: an Alertmanager fingerprint is 16, a dbt unique_id rarely 200
__all__ = ["KEY_MAX", "UNKNOWN_ASSET", "LineageNode", "Signal"]


class Signal(BaseModel):
    """One check's state as its system reported it. `firing` False is the recovery: the alert
    resolved, the dbt test passes again."""

    model_config = ConfigDict(frozen=True)

    origin: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")  # alertmanager, grafana, alert, dbt
    key: OneLine = Field(min_length=1, max_length=KEY_MAX)  # unique within its origin
    title: str = Field(min_length=1)
    asset: OneLine = ""  # an asset id when known; "" for the IC to choose
    severity: Severity = Severity.SEV3
    firing: bool = True
    started_at: datetime | None = None  # when the problem began (the data went bad), if known
    observed_at: datetime | None = None  # when its system saw this state (a dbt run's time, an alert's endsAt)
    link: OneLine = ""  # where to look: Alertmanager's generatorURL, Grafana's panel, a dbt docs page
    details: Block = ""  # the description or message, for the timeline
    source: DetectionSource = DetectionSource.ALERT  # ALERT, or DBT for dbt runs

    @field_validator("title", mode="before")
    @classmethod
    def _short_title(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        value = " ".join(clean_line(value).split())
        return value[: TITLE_MAX - 1] + "…" if len(value) > TITLE_MAX else value

    @property
    def intake_key(self) -> str:
        """The key deduplication uses: `alertmanager:3f2a…`, `dbt:test.cac.not_null_…`."""
        return f"{self.origin}:{self.key}"


class LineageNode(BaseModel):
    """One node of a dbt project as its manifest describes it, for the workspace's lineage: a
    source, a model, a seed or snapshot, or an exposure (a dashboard). `parents` are dbt unique
    ids; `service/intake.py` maps nodes onto the workspace's assets (oncall.toml wins)."""

    model_config = ConfigDict(frozen=True)

    unique_id: str = Field(min_length=1)  # model.cac_pilot.stg_ad_spend
    resource_type: str  # source, model, seed, snapshot, exposure
    name: OneLine = Field(min_length=1)  # stg_ad_spend; a source: "<source_name>.<table>" is in unique_id
    relation: OneLine = ""  # the table it builds or reads (alias / identifier), "" for an exposure
    owner: OneLine = ""  # an exposure's owner (email or name); a model's meta.owner if set
    description: Block = ""
    parents: tuple[str, ...] = ()  # unique ids it reads from
    freshness: OneLine = ""  # a source's last freshness result: pass, warn, error, runtime error
    freshness_at: datetime | None = None  # when that result was taken (max_loaded_at's check time)
    max_loaded_at: datetime | None = None  # the newest row the source had then
