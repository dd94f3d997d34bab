"""The top of the incident screen: what broke, how bad, who leads, and the key times."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from oncall.domain.asset import Asset, downstream_of
from oncall.domain.clock import humanize_age
from oncall.domain.incident import Incident
from oncall.domain.status import allowed_transitions
from oncall.workspace.config import Config

SEVERITY_STYLE = {"SEV-1": "bold white on red", "SEV-2": "bold black on dark_orange", "SEV-3": "bold black on steel_blue1"}


class IncidentSummary(Static):
    DEFAULT_CSS = "IncidentSummary { height: auto; padding: 0 1; }"

    def show(self, incident: Incident, config: Config, now: datetime) -> None:
        heading = Text.assemble(
            (f" {incident.severity.value} ", SEVERITY_STYLE[incident.severity.value]),
            "  ",
            (incident.ref, "bold"),
            "  ",
            (incident.status.value.upper(), "bold reverse" if incident.status.is_active else "bold"),
            "  ",
            ("DRILL  " if incident.is_drill else "", "bold magenta"),
            (incident.title, "bold"),
        )
        facts = Table.grid(padding=(0, 2))
        facts.add_column(style="dim", no_wrap=True)
        facts.add_column(ratio=1)
        facts.add_column(style="dim", no_wrap=True)
        facts.add_column(no_wrap=True)
        asset = config.asset(incident.asset)
        ic = config.person(incident.ic)
        times = [
            ("started", incident.started_at), ("detected", incident.detected_at),
            ("declared", incident.declared_at), ("resolved", incident.resolved_at), ("closed", incident.closed_at),
        ]
        rows = [
            ("asset", _asset_text(asset, incident.asset)),
            ("lineage", _lineage_text(asset, config.assets)),
            ("detected by", incident.source.value.replace("_", " ")),
            ("IC", f"{ic.name} ({ic.id})" if ic else (incident.ic or "nobody")),
            ("impact", incident.impact or "— not written yet (i)"),
            ("ETA", incident.eta or "— none given (e)"),
            ("next", ", ".join(s.value for s in allowed_transitions(incident.status)) or "final"),
        ]
        for index, (label, value) in enumerate(rows):
            time_label, moment = times[index] if index < len(times) else ("", None)
            time_text = f"{moment:%Y-%m-%d %H:%M} ({humanize_age(now - moment)} ago)" if moment else ("—" if time_label else "")
            facts.add_row(label, Text(value), time_label, time_text)
        self.update(Group(heading, Text(""), facts))


def _asset_text(asset: Asset | None, asset_id: str) -> str:
    if asset is None:
        return f"{asset_id} (not in this workspace's assets)"
    owner = f", owner {asset.owner}" if asset.owner else ""
    return f"{asset.name} ({asset.kind.value}, {asset.criticality.value}{owner})"


def _lineage_text(asset: Asset | None, assets: list[Asset]) -> str:
    if asset is None:
        return "unknown"
    upstream = ", ".join(asset.upstream) or "none"
    downstream = ", ".join(a.id for a in downstream_of(asset.id, assets)) or "none"
    return f"check upstream: {upstream} · tell downstream: {downstream}"
