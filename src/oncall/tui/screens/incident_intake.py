"""The incident screen's intake work: the Lineage tab (7), choosing the affected asset (a), and
the IC's decision on a triage item (s: declare it or dismiss it; its reporter is told). Mixed into
`IncidentScreen`, which owns the incident."""

from __future__ import annotations

from oncall.domain.detection import UNKNOWN_ASSET
from oncall.tui.screens.picker import PickScreen
from oncall.tui.tabs.lineage_tab import LineageTab


class IntakeActions:
    """For `IncidentScreen` (which provides session, incident, incident_id, _saved, notify, app)."""

    def _show_lineage(self) -> None:
        from oncall.service.lineage import lineage_view

        tab = self.query_one(LineageTab)
        incident = self.session.service.get(self.incident_id)
        if incident.asset == UNKNOWN_ASSET:
            tab.show(None, "No asset is chosen yet: press a to choose the one that looks wrong.")
            return
        try:
            view = lineage_view(self.session.database, self.session.config, incident.asset)
        except KeyError:
            tab.show(None, f"{incident.asset} is not among the workspace's assets (oncall.toml, or a dbt "
                           "manifest read by `oncall ingest dbt`): no lineage is known.")
            return
        tab.show(view)

    def action_choose_asset(self) -> None:
        assert self.incident is not None
        config = self.session.config
        service = self.session.service
        choices = [(a.id, f"{a.name}  ({a.id}, {a.kind.value})") for a in config.assets if a.id != self.incident.asset]
        self.app.push_screen(
            PickScreen(f"The asset {self.incident.ref} is about (now {self.incident.asset})", choices, None,
                       "No assets are listed: add [[assets]] to oncall.toml, or ingest a dbt manifest.",
                       save=lambda chosen: service.set_asset(self.incident_id, chosen[0])),
            lambda chosen: chosen and self._saved(f"now on {chosen[0]}"),
        )

    def _decide_triage(self) -> None:
        """`s` on a triage item: declare it (severity, asset) or dismiss it (why)."""
        from oncall.tui.screens.triage import TriageScreen

        assert self.incident is not None
        intake = self.session.intake_service
        self.app.push_screen(
            TriageScreen(self.incident, self.session.config,
                         declare=lambda severity, asset: intake.declare_item(self.incident_id, severity, asset),
                         dismiss=lambda reason: intake.dismiss_item(self.incident_id, reason)),
            lambda outcome: outcome and self._saved(f"{outcome}"
                                                    + ("; the reporter is told" if self.incident.reported_by else "")),
        )

    def on_lineage_tab_chosen(self, message: LineageTab.Chosen) -> None:
        """Open the incident on that asset; with several, choose which."""
        numbers = [int(ref.removeprefix("INC-")) for ref in message.value.split(",")]
        others = [n for n in numbers if n != self.incident_id]
        if len(others) == 1:
            self._open_other(others[0])
        elif others:
            service = self.session.service
            choices = [(str(n), f"INC-{n}  {service.get(n).severity.value}  {service.get(n).title}") for n in others]
            self.app.push_screen(PickScreen("Open which incident on this asset?", choices, None),
                                 lambda chosen: chosen and self._open_other(int(chosen[0])))

    def _open_other(self, number: int) -> None:
        from oncall.tui.screens.incident import IncidentScreen

        self.app.push_screen(IncidentScreen(number))
