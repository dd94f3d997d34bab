"""The lineage around an asset, read for the console's Lineage tab and `oncall lineage`: the
workspace's assets (oncall.toml's with dbt's merged in), the open incidents on each, and the last
freshness result dbt gave for each source."""

from __future__ import annotations

from oncall.domain.lineage import LineageView, OpenIncident, lineage_around
from oncall.domain.status import ACTIVE
from oncall.store.db import Database
from oncall.store.lineage import LineageRepository
from oncall.workspace.config import Config


def open_incidents_by_asset(database: Database) -> dict[str, list[OpenIncident]]:
    """Every open incident (never a drill), by asset, most severe first."""
    marks = ", ".join("?" for _ in ACTIVE)
    rows = database.conn.execute(
        f"SELECT asset, id, severity, status, title FROM incidents WHERE is_drill = 0 AND status IN ({marks}) "
        "ORDER BY severity_rank, id", [s.value for s in ACTIVE]).fetchall()
    found: dict[str, list[OpenIncident]] = {}
    for asset, number, severity, status, title in rows:
        found.setdefault(asset, []).append(OpenIncident(f"INC-{number}", severity, status, title))
    return found


def lineage_view(database: Database, config: Config, asset_id: str) -> LineageView:
    """KeyError for an asset the workspace does not know."""
    freshness = {asset: node.freshness for asset, node in LineageRepository(database).nodes() if node.freshness}
    return lineage_around(asset_id, list(config.assets), open_incidents_by_asset(database), freshness)
