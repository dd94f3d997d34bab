"""The known-issues list: every asset with a known data issue right now, for analysts to check
before they trust a number (the pinned Slack message, `oncall statuspage` and its HTML page).

Pure: incidents, assets and what the database knows (the next update due, the latest workaround)
go in; rows come out, most severe first, then oldest.

What is listed, and why:
- an incident that is declared and not finished (investigating, identified, monitoring): one row
  on its asset, with its severity, status, since when (declared, else detected), the next update
  due and the workaround its latest update gave;
- every asset downstream of such an incident (lineage walked as `asset.all_downstream` does)
  that has no incident of its own: an *affected* row, naming the incident(s) upstream. An asset
  with its own incident keeps its own row, which also names any incident upstream of it;
- triage items are not listed, only counted: a report or an alert nobody has confirmed yet is
  often dismissed (a campaign spike, a flaky check), and a list that cries wolf stops being read.
  The count says early that something is being looked at, without naming an asset;
- drills never: not listed, not counted. Resolved, closed and dismissed incidents are over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from oncall.domain.asset import Asset, all_downstream, readers_of
from oncall.domain.incident import Incident
from oncall.domain.severity import Severity
from oncall.domain.status import Status

# Declared and still being worked on: what analysts must know about.
LISTED = frozenset({Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING})


@dataclass(frozen=True)
class Cause:
    """An open incident upstream of an asset: why that asset's data may be wrong too."""

    incident_id: int
    ref: str
    severity: Severity
    status: Status
    asset_id: str
    asset_name: str
    title: str


@dataclass(frozen=True)
class KnownIssue:
    """One row. `direct`: the incident is on this asset. Otherwise the asset reads (directly or
    further down) from the asset of an open incident, and the incident fields are those of the
    most severe, then oldest, of `affected_by`."""

    asset_id: str
    asset_name: str
    incident_id: int
    ref: str
    title: str
    severity: Severity
    status: Status
    since: datetime  # declared, else detected; an affected row: the earliest of its causes
    next_update: datetime | None  # the stakeholder update the cadence owes next (None: none owed)
    workaround: str  # from the latest update that said one; "" when none is known
    eta: str = ""
    impact: str = ""
    direct: bool = True
    affected_by: tuple[Cause, ...] = ()  # incidents upstream of this asset (an affected row: at least one)


@dataclass(frozen=True)
class KnownIssues:
    rows: tuple[KnownIssue, ...]
    checked_at: datetime
    in_triage: int = 0  # items not yet confirmed as incidents (drills not counted)

    @property
    def incidents(self) -> tuple[KnownIssue, ...]:
        """The rows of assets with an incident of their own, in order."""
        return tuple(row for row in self.rows if row.direct)

    @property
    def affected(self) -> tuple[KnownIssue, ...]:
        """The rows of assets downstream of an open incident, in order."""
        return tuple(row for row in self.rows if not row.direct)

    @property
    def empty(self) -> bool:
        return not self.rows

    def same_as(self, other: "KnownIssues | None") -> bool:
        """Whether the list says the same as `other`, whenever each was checked: the sync edits the
        pinned message only when this is False (an edit that changes nothing is rate limit spent)."""
        return other is not None and self.rows == other.rows and self.in_triage == other.in_triage


def is_listed(incident: Incident) -> bool:
    return not incident.is_drill and incident.status in LISTED


def known_issues(incidents: Iterable[Incident], assets: list[Asset], next_updates: Mapping[int, datetime | None],
                 workarounds: Mapping[int, str], now: datetime) -> KnownIssues:
    """The list as of `now`. `incidents` may hold any: the finished, triage items and drills are
    sorted out here. `next_updates` and `workarounds` are by incident id (missing: none)."""
    listed: list[Incident] = []
    in_triage = 0
    for incident in incidents:
        if incident.is_drill or incident.id is None:
            continue
        if incident.status is Status.TRIAGE:
            in_triage += 1
        elif incident.status in LISTED:
            listed.append(incident)
    listed.sort(key=_urgency)
    names = {asset.id: asset.name for asset in assets}

    def name(asset_id: str) -> str:
        return names.get(asset_id) or asset_id

    causes: dict[str, list[Cause]] = {}
    causes_of: dict[int, Cause] = {}
    reading = readers_of(assets)  # indexed once: the list walks once per open incident on every sync pass
    for incident in listed:  # most urgent first: each asset's causes come out in that order
        assert incident.id is not None
        cause = causes_of[incident.id] = Cause(incident.id, incident.ref, incident.severity, incident.status,
                                               incident.asset, name(incident.asset), incident.title)
        for reader in all_downstream(incident.asset, assets, reading):
            causes.setdefault(reader.id, []).append(cause)

    rows: list[KnownIssue] = []
    with_incident = {incident.asset for incident in listed}
    for incident in listed:
        assert incident.id is not None
        upstream = tuple(c for c in causes.get(incident.asset, ()) if c.asset_id != incident.asset)
        rows.append(KnownIssue(
            asset_id=incident.asset, asset_name=name(incident.asset), incident_id=incident.id, ref=incident.ref,
            title=incident.title, severity=incident.severity, status=incident.status, since=_since(incident),
            next_update=next_updates.get(incident.id), workaround=(workarounds.get(incident.id) or "").strip(),
            eta=incident.eta, impact=incident.impact, affected_by=upstream))
    by_id = {incident.id: incident for incident in listed}
    for asset_id, found in causes.items():
        if asset_id in with_incident:
            continue
        first = by_id[found[0].incident_id]  # the most urgent cause speaks for the row
        assert first.id is not None
        rows.append(KnownIssue(
            asset_id=asset_id, asset_name=name(asset_id), incident_id=first.id, ref=first.ref, title=first.title,
            severity=first.severity, status=first.status,
            since=min(_since(by_id[c.incident_id]) for c in found),
            next_update=next_updates.get(first.id), workaround=(workarounds.get(first.id) or "").strip(),
            eta=first.eta, direct=False, affected_by=tuple(found)))
    # Stable: among equals, incidents by urgency, then affected assets nearest their cause first.
    rows.sort(key=lambda row: (row.severity.rank, row.since, not row.direct))
    return KnownIssues(tuple(rows), now, in_triage)


def _since(incident: Incident) -> datetime:
    return incident.declared_at or incident.detected_at


def _urgency(incident: Incident) -> tuple:
    return incident.severity.rank, _since(incident), incident.id or 0
