"""Lineage around one asset, as the IC reads it: what it reads from (where the cause may be, with
each source's last freshness result) and who reads it (whom to tell), each asset marked with the
open incidents on it."""

from __future__ import annotations

from dataclasses import dataclass, field

from oncall.domain.asset import Asset, readers_of

DEPTH = 6  # levels each way: enough for source → staging → mart → dashboard chains


@dataclass(frozen=True)
class OpenIncident:
    ref: str
    severity: str
    status: str
    title: str = ""

    def said(self) -> str:
        return f"{self.ref} {self.severity} {self.status}"


@dataclass(frozen=True)
class Branch:
    asset: Asset
    incidents: tuple[OpenIncident, ...] = ()
    freshness: str = ""  # a source's last freshness result from dbt: pass, warn, error, runtime error
    children: tuple["Branch", ...] = ()
    repeated: bool = False  # seen higher up already (a diamond or a cycle): not walked again

    def label(self) -> str:
        asset = self.asset
        parts = [f"{asset.name} ({asset.id}, {asset.kind.value})" if asset.name != asset.id
                 else f"{asset.id} ({asset.kind.value})"]
        if asset.owner:
            parts.append(f"owner {asset.owner}")
        if self.freshness:
            parts.append(f"freshness {self.freshness}")
        parts.extend(f"● {incident.said()}" for incident in self.incidents)
        if self.repeated:
            parts.append("(see above)")
        return " · ".join(parts)

    def as_dict(self) -> dict:
        return {"asset": self.asset.id, "name": self.asset.name, "kind": self.asset.kind.value,
                "owner": self.asset.owner, "freshness": self.freshness,
                "incidents": [i.__dict__ for i in self.incidents], "repeated": self.repeated,
                "children": [child.as_dict() for child in self.children]}


@dataclass(frozen=True)
class LineageView:
    centre: Branch
    upstream: tuple[Branch, ...] = ()
    downstream: tuple[Branch, ...] = ()
    owners_downstream: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict:
        return {"asset": self.centre.as_dict() | {"children": []},
                "upstream": [b.as_dict() for b in self.upstream],
                "downstream": [b.as_dict() for b in self.downstream],
                "owners_downstream": list(self.owners_downstream)}

    def lines(self) -> list[str]:
        """As text: the asset, then upstream and downstream as indented trees."""
        out = [self.centre.label(), "", "Upstream (what it reads: check here for the cause)"]
        out += _tree(self.upstream) or ["  nothing upstream is known"]
        out += ["", "Downstream (who reads it: whom to tell)"]
        out += _tree(self.downstream) or ["  nothing downstream is known"]
        if self.owners_downstream:
            out += ["", "Owners downstream: " + ", ".join(self.owners_downstream)]
        return out


def _tree(branches: tuple[Branch, ...], depth: int = 1) -> list[str]:
    lines = []
    for branch in branches:
        lines.append("  " * depth + branch.label())
        lines += _tree(branch.children, depth + 1)
    return lines


def lineage_around(asset_id: str, assets: list[Asset], incidents: dict[str, list[OpenIncident]],
                   freshness: dict[str, str]) -> LineageView:
    """KeyError for an asset that is not among `assets`."""
    by_id = {asset.id: asset for asset in assets}
    centre = by_id[asset_id]

    def branch(asset: Asset, children: tuple[Branch, ...] = (), repeated: bool = False) -> Branch:
        return Branch(asset, tuple(incidents.get(asset.id, ())), freshness.get(asset.id, ""), children, repeated)

    def walk(asset: Asset, step, seen: set[str], depth: int) -> tuple[Branch, ...]:
        found = []
        for following in step(asset):
            if following.id in seen or depth >= DEPTH:
                found.append(branch(following, repeated=following.id in seen))
                continue
            found.append(branch(following, walk(following, step, seen | {following.id}, depth + 1)))
        return tuple(found)

    def parents(asset: Asset) -> list[Asset]:
        return [by_id[parent] for parent in asset.upstream if parent in by_id]

    reading = readers_of(assets)  # one pass, not one per step

    def readers(asset: Asset) -> list[Asset]:
        return reading.get(asset.id, [])

    upstream = walk(centre, parents, {centre.id}, 1)
    downstream = walk(centre, readers, {centre.id}, 1)
    owners: dict[str, None] = {}

    def collect(branches: tuple[Branch, ...]) -> None:
        for b in branches:
            if b.asset.owner:
                owners[b.asset.owner] = None
            collect(b.children)

    collect(downstream)
    return LineageView(branch(centre), upstream, downstream, tuple(owners))
