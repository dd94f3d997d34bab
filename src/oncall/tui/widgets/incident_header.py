"""The top of the incident screen, the same on every tab: how bad, where it stands, who leads.

Two lines that never grow: severity, id, status and title on the first; the IC, the asset and
how long ago it was declared on the second. A drill says so on both. Whatever does not fit is
cut with an ellipsis, so the tabs below never move.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from oncall.domain.clock import humanize_age
from oncall.domain.countdown import next_update_text
from oncall.domain.incident import Incident
from oncall.workspace.config import Config

SEVERITY_STYLE = {"SEV-1": "bold white on red", "SEV-2": "bold black on dark_orange", "SEV-3": "bold black on steel_blue1"}
DRILL_STYLE = "bold white on magenta"


class IncidentHeader(Static):
    _shown = ""

    def show(self, incident: Incident, config: Config, now: datetime, update_due: datetime | None = None) -> None:
        top = Text(no_wrap=True, overflow="ellipsis", end="")
        if incident.is_drill:
            top.append(" DRILL ", DRILL_STYLE)
            top.append(" ")
        top.append(f" {incident.severity.value} ", SEVERITY_STYLE[incident.severity.value])
        top.append("  ")
        top.append(incident.ref, "bold")
        top.append("  ")
        top.append(incident.status.value.upper(), "bold reverse" if incident.status.is_active else "bold")
        top.append("  ")
        top.append(incident.title, "bold")

        person = config.person(incident.ic) if incident.ic else None
        declared = incident.declared_at
        due = next_update_text(update_due, now)
        # Most needed first: a narrow terminal cuts the end of the line (the asset: on the Overview).
        second = Text(no_wrap=True, overflow="ellipsis", end="")
        if incident.is_drill:
            second.append("drill: not counted in metrics, nothing sent to stakeholders", "bold magenta")
            second.append("  ·  ")
        second.append(f"IC {person.name} ({person.id})" if person else f"IC {incident.ic or 'nobody'}")
        second.append("  ·  ")
        if due:  # the stakeholder update owed (`domain/cadence.py`)
            second.append(f"update {due} (u)", "bold reverse red" if due.startswith("overdue") else "bold")
            second.append("  ·  ")
        opened = "reported" if incident.source.value == "user_report" else f"opened by {incident.source.value}"
        second.append(f"declared {humanize_age(now - declared)} ago" if declared
                      else f"{opened} {humanize_age(now - incident.detected_at)} ago, not declared")
        second.append(f"  ·  asset {incident.asset}")
        text = Text("\n", no_wrap=True, overflow="ellipsis").join([top, second])
        if text.markup != self._shown:  # an outside change to the timeline leaves it as it is
            self._shown = text.markup
            self.update(text, layout=False)  # always two lines
