"""Data assets (dashboards, tables, pipelines, source APIs) and the lineage between them."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field


class AssetKind(str, Enum):
    DASHBOARD = "dashboard"
    TABLE = "table"
    PIPELINE = "pipeline"
    SOURCE = "source"
    MODEL = "model"


class Criticality(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"


class Asset(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str = Field(min_length=1)
    kind: AssetKind
    owner: str = ""
    criticality: Criticality = Criticality.MEDIUM
    upstream: list[str] = Field(default_factory=list)
    description: str = ""
    # The table's name in its data source, for runbook evidence (`:table`, `{table}`); empty means
    # the id with `-` replaced by `_` (stg-ad-spend: stg_ad_spend).
    table: str = ""


def names_of(asset: Asset) -> tuple[str, ...]:
    """How tools outside oncall name an asset, lowercased: its id, its id with `_` for `-` (dbt
    names its models `stg_ad_spend`), and its table."""
    return tuple(name.lower() for name in (asset.id, asset.id.replace("-", "_"), asset.table) if name)


def downstream_of(asset_id: str, assets: list[Asset]) -> list[Asset]:
    """Assets that read from `asset_id`: the people to tell when it breaks."""
    return [asset for asset in assets if asset_id in asset.upstream]


def readers_of(assets: list[Asset]) -> dict[str, list[Asset]]:
    """Asset id → the assets that read it, indexed once for any number of walks."""
    reading: dict[str, list[Asset]] = {}
    for asset in assets:
        for parent in dict.fromkeys(asset.upstream):
            reading.setdefault(parent, []).append(asset)
    return reading


def all_downstream(asset_id: str, assets: list[Asset],
                   reading: dict[str, list[Asset]] | None = None) -> list[Asset]:
    """Every asset that reads from `asset_id`, directly or further down, nearest first, each once
    (a lineage cycle ends the walk): everyone who used data that went wrong. `reading` is
    `readers_of(assets)`, given when walking many times over the same assets (dbt-sized lineage)."""
    reading = readers_of(assets) if reading is None else reading
    found: dict[str, Asset] = {}
    frontier = [asset_id]
    while frontier:
        following = []
        for current in frontier:
            for reader in reading.get(current, ()):
                if reader.id != asset_id and reader.id not in found:
                    found[reader.id] = reader
                    following.append(reader.id)
        frontier = following
    return list(found.values())
