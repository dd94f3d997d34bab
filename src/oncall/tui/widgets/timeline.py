"""An incident's timeline, newest last, as a person reads it during the response."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from oncall.domain.incident import EventKind, TimelineEvent

# The events that change the shape of the response stand out in bold.
EMPHASIZED = frozenset({EventKind.DECLARED, EventKind.STATUS_CHANGED, EventKind.SEVERITY_CHANGED,
                        EventKind.CLOSE_OVERRIDE})
KIND_LABEL = {
    EventKind.DECLARED: "declared",
    EventKind.STATUS_CHANGED: "status",
    EventKind.SEVERITY_CHANGED: "severity",
    EventKind.NOTE: "note",
    EventKind.IMPACT_CHANGED: "impact",
    EventKind.ETA_CHANGED: "ETA",
    EventKind.IC_ASSIGNED: "IC",
    EventKind.STARTED_AT_CHANGED: "started",
    EventKind.CLOSE_OVERRIDE: "override",
}


class Timeline(Static):
    DEFAULT_CSS = "Timeline { height: auto; }"

    def show(self, events: list[TimelineEvent]) -> None:
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(style="dim", no_wrap=True)
        table.add_column(no_wrap=True, width=9)
        table.add_column(no_wrap=True, width=9)
        table.add_column(ratio=1)
        for event in events:
            table.add_row(
                event.at.strftime("%b %d %H:%M"),
                Text(event.actor),
                Text(KIND_LABEL.get(event.kind, event.kind.value), style="bold" if event.kind in EMPHASIZED else ""),
                Text(event.text),
            )
        self.update(table)
