"""Lineage from dbt (`lineage_nodes`): kept whole from the last `oncall ingest dbt`, and merged into
the workspace's assets when a database is opened, so every part of oncall (declare, comms,
post-mortems, the known-issues list) sees one set of assets. oncall.toml wins: an asset it lists
keeps what it says; lineage only adds assets it does not list, and upstream links where it lists
none."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import TYPE_CHECKING, Iterable

from oncall.domain.asset import Asset, AssetKind, names_of
from oncall.domain.intake import LineageNode
from oncall.store.db import Database

if TYPE_CHECKING:
    from oncall.workspace.config import Config

_KINDS = {"source": AssetKind.SOURCE, "model": AssetKind.MODEL, "seed": AssetKind.TABLE,
          "snapshot": AssetKind.TABLE, "exposure": AssetKind.DASHBOARD}
_NOT_ID = re.compile(r"[^a-z0-9._-]+")


def asset_ids(nodes: Iterable[LineageNode], configured: list[Asset]) -> dict[str, str]:
    """unique_id → asset id. A node is the oncall.toml asset whose id, id with `-` as `_`, or table
    is its name or table; otherwise its own id: its name (a source: `source_name.table`)."""
    by_name: dict[str, str] = {}
    for asset in configured:
        for name in names_of(asset):
            by_name.setdefault(name, asset.id)
    found: dict[str, str] = {}
    taken = {a.id for a in configured}
    for node in nodes:
        names = [n.lower() for n in (node.relation, node.name) if n]
        mapped = next((by_name[n] for n in names if n in by_name), None)
        if mapped is None:
            own = node.name.lower()
            if node.resource_type == "source":
                parts = node.unique_id.split(".")
                own = f"{parts[2]}.{node.name}".lower() if len(parts) >= 4 else own
            mapped = _NOT_ID.sub("-", own).strip("-._") or "dbt-node"
            if mapped in taken and mapped not in found.values():
                mapped = f"{mapped}.{node.resource_type}"
        found[node.unique_id] = mapped
        taken.add(mapped)
    return found


class LineageRepository:
    def __init__(self, database: Database) -> None:
        self.db = database

    def replace(self, nodes: list[LineageNode], configured: list[Asset]) -> int:
        """Keep these nodes as the lineage (the last ingest's, whole)."""
        ids = asset_ids(nodes, configured)
        with self.db.write():
            self.db.conn.execute("DELETE FROM lineage_nodes")
            self.db.conn.executemany("INSERT INTO lineage_nodes (unique_id, asset_id, node) VALUES (?, ?, ?)",
                                     [(n.unique_id, ids[n.unique_id], n.model_dump_json()) for n in nodes])
        return len(nodes)

    def nodes(self) -> list[tuple[str, LineageNode]]:
        """(asset id, node), by dbt unique id."""
        rows = self.db.conn.execute("SELECT asset_id, node FROM lineage_nodes ORDER BY unique_id").fetchall()
        return [(asset_id, LineageNode.model_validate_json(text)) for asset_id, text in rows]

    def node_of(self, asset_id: str) -> LineageNode | None:
        row = self.db.conn.execute("SELECT node FROM lineage_nodes WHERE asset_id = ? LIMIT 1", (asset_id,)).fetchone()
        return LineageNode.model_validate_json(row[0]) if row else None


def merged_assets(configured: list[Asset], lineage: list[tuple[str, LineageNode]]) -> list[Asset]:
    """oncall.toml's assets, then the lineage's others; each lineage parent becomes an upstream
    link, except on an asset oncall.toml gave upstream links of its own."""
    if not lineage:
        return configured
    id_of = {node.unique_id: asset_id for asset_id, node in lineage}
    upstream: dict[str, list[str]] = {}
    for asset_id, node in lineage:
        links = upstream.setdefault(asset_id, [])
        for parent in node.parents:
            parent_id = id_of.get(parent)
            if parent_id and parent_id != asset_id and parent_id not in links:
                links.append(parent_id)
    merged = [a if a.upstream or not upstream.get(a.id) else a.model_copy(update={"upstream": upstream[a.id]})
              for a in configured]
    known = {a.id for a in configured}
    for asset_id, node in lineage:
        if asset_id in known:
            continue
        known.add(asset_id)
        merged.append(Asset(id=asset_id, name=node.name, kind=_KINDS.get(node.resource_type, AssetKind.TABLE),
                            owner=node.owner, upstream=upstream.get(asset_id, []),
                            description=node.description[:500], table=node.relation))
    return merged


def with_lineage(config: "Config", database: Database) -> "Config":
    """The config with dbt's lineage merged into its assets (unchanged when there is none, or when
    the database cannot say: an older or damaged file is for other parts to report)."""
    try:
        lineage = LineageRepository(database).nodes()
    except (sqlite3.DatabaseError, ValueError):
        return config
    configured = list(config.configured_assets)
    merged = config.model_copy(update={"assets": merged_assets(configured, lineage)})
    merged._configured_assets = configured
    return merged
