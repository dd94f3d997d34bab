"""The Overview tab: what broke, who leads, what is known, and the latest lines of the timeline.

The facts lay themselves out for the width they get: beside the key times on a wide terminal,
one field a line on a narrow one (80 columns), so no field is squeezed into a column of
fragments. Below them, the newest timeline entries fill whatever height is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from oncall.domain.asset import Asset, downstream_of
from oncall.domain.clock import humanize_age
from oncall.domain.incident import Incident
from oncall.domain.status import allowed_transitions
from oncall.tui.tabs.base import IncidentTab
from oncall.tui.widgets.timeline import TimelineLine, TimelineView
from oncall.workspace.config import Config

# How many of the newest events the Overview keeps (it shows as many as fit).
LATEST = 40
# Content width from which the key times sit beside the facts rather than under them.
WIDE = 110


class OverviewTab(IncidentTab, VerticalScroll):
    TAB_KEY = "1"
    TAB_NAME = "Overview"
    BINDINGS = [
        Binding("i", "screen.impact", "Impact", id="incident.impact"),
        Binding("e", "screen.eta", "ETA", id="incident.eta"),
        Binding("a", "screen.assign_ic", "Hand off", id="incident.ic",
                tooltip="Hand the Incident Commander role to someone else (key: a)"),
    ]

    def __init__(self) -> None:
        super().__init__(id="overview")
        self._facts_key: object = None
        self._title = ""

    def compose(self) -> ComposeResult:
        yield Static(id="facts")
        yield Static("Latest on the timeline", id="latest-title", markup=False)
        yield LatestEvents(placeholder="Reading the timeline…", id="latest")

    @property
    def latest(self) -> "LatestEvents":
        return self.query_one(LatestEvents)

    def show_incident(self, incident: Incident, config: Config, now: datetime) -> None:
        facts = Facts(incident, config, now)
        if facts.key != self._facts_key:  # a new note leaves the facts as they are: no new layout
            self._facts_key = facts.key
            self.query_one("#facts", Static).update(facts)

    def show_events(self, events: Sequence[TimelineLine], total: int | None = None) -> None:
        """The incident's newest events, oldest first (the Overview keeps the last few), and how
        many there are in all once that is known."""
        self.latest.show(events[-LATEST:])
        title = "Latest on the timeline" + (f"  ·  2: all {total:,} events" if total and total > LATEST else "")
        if title != self._title:
            self._title = title
            self.query_one("#latest-title", Static).update(title, layout=False)  # one line, always


class LatestEvents(TimelineView, can_focus=False):
    """The tail of the timeline, newest at the bottom; scrolled by nobody, it always shows the end."""


class Facts:
    """The incident's fields as a Rich renderable that picks its layout from the width it gets."""

    def __init__(self, incident: Incident, config: Config, now: datetime) -> None:
        self.incident = incident
        self.config = config
        self.now = now
        self.rows = self._rows()
        self.times = self._times()
        # What the reader sees: equal keys, equal pictures.
        self.key = (tuple((label, value.markup) for label, value in self.rows), tuple(self.times))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rows, times = self.rows, self.times
        if options.max_width >= WIDE:
            grid = Table.grid(padding=(0, 2))
            grid.add_column(style="dim", no_wrap=True)
            grid.add_column(ratio=1)
            grid.add_column(style="dim", no_wrap=True)
            grid.add_column(no_wrap=True)
            for index, (label, value) in enumerate(rows):
                time_label, time_text = times[index] if index < len(times) else ("", "")
                grid.add_row(label, value, time_label, time_text)
            yield grid
            return
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(ratio=1)
        for label, value in rows:
            grid.add_row(label, value)
        # The times that are set, side by side as far as they fit, each kept whole.
        value_width = options.max_width - max(len(label) for label, _ in rows) - 2
        grid.add_row("when", _pack([Text.assemble((label, "dim"), " ", text) for label, text in times if text != "—"],
                                   value_width))
        yield grid

    def _rows(self) -> list[tuple[str, Text]]:
        incident, config = self.incident, self.config
        asset = config.asset(incident.asset)
        person = config.person(incident.ic) if incident.ic else None
        upstream, downstream = _lineage(asset, config.assets)
        next_statuses = ", ".join(s.value for s in allowed_transitions(incident.status))
        return [
            ("asset", Text(_asset_text(asset, incident.asset))),
            ("check upstream", Text(upstream)),
            ("tell downstream", Text(downstream)),
            ("detected by", Text(incident.source.value.replace("_", " "))),
            ("IC", Text(f"{person.name} ({person.id})" if person else (incident.ic or "nobody"))),
            ("impact", Text(incident.impact) if incident.impact else Text("— not written yet (i)", "dim")),
            ("ETA", Text(incident.eta) if incident.eta else Text("— none given (e)", "dim")),
            ("next", Text(f"{next_statuses} (s)") if next_statuses else Text("final", "dim")),
        ]

    def _times(self) -> list[tuple[str, str]]:
        incident = self.incident
        moments = [("started", incident.started_at), ("detected", incident.detected_at),
                   ("declared", incident.declared_at), ("resolved", incident.resolved_at),
                   ("closed", incident.closed_at)]
        return [(label, self._moment(moment)) for label, moment in moments]

    def _moment(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        if moment.date() == self.now.date():
            shown = f"{moment:%H:%M}"
        elif moment.year == self.now.year:
            shown = f"{moment:%b %d %H:%M}"
        else:
            shown = f"{moment:%Y-%m-%d %H:%M}"
        return f"{shown} ({humanize_age(self.now - moment)} ago)"


def _pack(items: list[Text], width: int, gap: int = 3) -> Text:
    """Items on as few lines as fit in `width`, never split across lines."""
    packed = Text()
    used = 0
    for item in items:
        size = item.cell_len
        if used and used + gap + size > width:
            packed.append("\n")
            used = 0
        elif used:
            packed.append(" " * gap)
            used += gap
        packed.append_text(item)
        used += size
    return packed


def _asset_text(asset: Asset | None, asset_id: str) -> str:
    if asset is None:
        return f"{asset_id} (not in this workspace's assets)"
    owner = f", owner {asset.owner}" if asset.owner else ""
    return f"{asset.name} ({asset.kind.value}, {asset.criticality.value}{owner})"


def _lineage(asset: Asset | None, assets: list[Asset]) -> tuple[str, str]:
    if asset is None:
        return "unknown", "unknown"
    upstream = ", ".join(asset.upstream) or "none"
    downstream = ", ".join(a.id for a in downstream_of(asset.id, assets)) or "none"
    return upstream, downstream
