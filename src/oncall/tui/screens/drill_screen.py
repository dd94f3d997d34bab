"""The drill screen (`D`): the running drill's simulated channel — its situation and the injects
that have arrived, as a channel would show them — with the facilitator's keys: pause and resume
(the scenario's clock stands still), end it now. With no drill running: the scenarios to start,
and the last run's scorecard.
"""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Markdown, Static

from oncall.tui.screens.picker import PickScreen
from oncall.tui.screens.saving import attempt
from oncall.tui.widgets.footer import KeyFooter
from oncall.tui.widgets.status_line import StatusLine


class DrillScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="drill.back"),
        Binding("enter", "open_incident", "Open the drill incident", id="drill.open"),
        Binding("p", "pause", "Pause / resume", id="drill.pause"),
        Binding("E", "end", "End now", id="drill.end"),
        Binding("n", "start", "Start a drill", id="drill.start"),
    ]
    DEFAULT_CSS = """
    DrillScreen #drill-title { height: auto; background: $panel; padding: 0 1; text-style: bold; }
    DrillScreen #drill-title.-running { background: $accent 40%; }
    DrillScreen #drill-body { height: 1fr; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="drill-title", markup=False)
        with VerticalScroll(id="drill-body"):
            yield Static("", id="drill-channel", markup=False)
            yield Markdown("", id="drill-card")
        yield StatusLine(id="status-line")
        yield KeyFooter()

    @property
    def service(self):
        return self.app.session.drill_service

    def on_mount(self) -> None:
        self.show()
        self.app.refresh_status_line(self)

    def on_data_changed(self, message) -> None:
        self.show()

    def on_screen_resume(self) -> None:
        self.show()

    def show(self) -> None:
        run = self.service.running()
        title = self.query_one("#drill-title", Static)
        channel = self.query_one("#drill-channel", Static)
        card = self.query_one("#drill-card", Markdown)
        title.set_class(run is not None, "-running")
        if run is not None:
            now = self.app.session.clock.now()
            minutes = int(run.elapsed(now).total_seconds() // 60)
            state = "PAUSED" if run.paused else "running"
            title.update(f"DRILL {run.id}: {run.title}  ·  {state}  ·  {minutes} min into the scenario  ·  "
                         f"{run.speed:g}× speed  ·  INC-{run.incident_id}")
            lines = []
            for event in self.service.channel(run):
                # A scenario's lines are wrapped in its file: join them into paragraphs, the screen wraps.
                text = re.sub(r"(?<!\n)\n(?!\n)", " ", event.text)
                lines.append(f"{event.at:%H:%M:%S}  {text}")
            channel.update("\n\n".join(lines) or "Nothing has arrived yet.")
            card.update("")
            return
        history = self.service.history()
        library = self.service.library()
        names = ", ".join(sorted(library.scenarios)) or "none (add YAML files to the workspace's drills/ folder)"
        title.update(f"No drill is running  ·  n starts one  ·  drills: {names}")
        channel.update("\n".join(str(problem) for problem in library.problems))
        last = next((r for r in history if r.scorecard and r.scorecard.get("results") is not None), None)
        if last is not None:
            card.update(self.service.report(last.id))
        else:
            card.update("_No drill has been run in this workspace yet._")

    def action_open_incident(self) -> None:
        from oncall.tui.screens.incident import IncidentScreen

        run = self.service.running() or next(iter(self.service.history()), None)
        if run is not None and run.incident_id is not None:
            self.app.push_screen(IncidentScreen(run.incident_id))

    def action_pause(self) -> None:
        run = self.service.running()
        if run is None:
            self.notify("No drill is running", severity="warning")
            return
        done = attempt(lambda _: self.service.resume() if run.paused else self.service.pause(), None)
        self.notify(done.problem or ("Drill resumed" if run.paused else "Drill paused: its clock stands still"),
                    severity="warning" if done.problem else "information", markup=False)
        self.app.tick_drill()
        self.show()

    def action_end(self) -> None:
        if self.service.running() is None:
            self.notify("No drill is running", severity="warning")
            return
        self.app.push_screen(PickScreen("End the drill now and score it?", [("end", "Yes, end it now")],
                                        note_hint=None, save=lambda _: self.service.end()),
                             lambda chosen: chosen and self._ended())

    def _ended(self) -> None:
        self.notify("Drill ended: its scorecard is below", markup=False)
        self.app.tick_drill()
        self.show()

    def action_start(self) -> None:
        if self.service.running() is not None:
            self.notify("A drill is running: end it first (E)", severity="warning")
            return
        library = self.service.library()
        choices = [(s.name, f"{s.title}  ({s.severity.value}, {len(s.injects)} injects)")
                   for s in sorted(library.scenarios.values(), key=lambda s: s.name)]
        self.app.push_screen(
            PickScreen("Start which drill?", choices, note_hint="Speed (blank: real time; 10 plays it 10× faster)",
                       empty_text="No drills: add YAML files to the workspace's drills/ folder.",
                       save=lambda chosen: self.service.start(chosen[0], _speed(chosen[1]))),
            lambda chosen: chosen and self._started())

    def _started(self) -> None:
        self.notify("Drill started: the DRILL banner stays until it ends", markup=False)
        self.app.tick_drill()
        self.show()


def _speed(text: str) -> float | None:
    from oncall.domain.rules import RuleViolation

    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise RuleViolation(f"speed {text!r} is not a number") from None
