"""Fire drills: start a scenario, let its injects arrive on the scenario's clock, pause, resume,
end, and score the response. The console and the command line both play drills through here.

Starting a drill opens a drill incident in triage on the scenario's asset (flagged: never counted,
never sent to a real person or channel); the participants run it with the normal console. Any
console (or `oncall drill run --watch`) ticks the drill; each inject is claimed in the database
first, so several consoles on one workspace deliver it once. The drill ends when its incident is
resolved, or when a facilitator ends it; then it is scored against the scenario's targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from oncall.domain.clock import Clock
from oncall.domain.incident import DetectionSource, EventKind, TimelineEvent
from oncall.domain.rules import RuleViolation
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.store.db import Database
from oncall.store.drill_runs import DrillRun, DrillRunRepository
from oncall.store.timeline import TimelineRepository
from oncall.workspace.config import Config

DRILLS_FOLDER = "drills"
MAX_SPEED = 3600.0


@dataclass(frozen=True)
class Delivered:
    """An inject that just arrived, for the console to show."""

    index: int
    persona: str  # the persona's name
    kind: str
    text: str


class DrillService:
    def __init__(self, database: Database, config: Config, clock: Clock, actor: str, root: Path,
                 runbooks: Callable[[], Any] | None = None) -> None:
        """`runbooks`: the workspace's runbook library, where the caller keeps one already (the
        console's session); else it is read from `runbooks/` when the drills are."""
        self.db = database
        self._runbooks = runbooks
        self.config = config
        self.clock = clock
        self.actor = actor
        self.root = root
        self.runs = DrillRunRepository(database)
        self.timeline = TimelineRepository(database)
        self._scenarios: dict[int, object] = {}  # run id -> its scenario, read once (ticks come every second)

    # -- scenarios ---------------------------------------------------------------------------

    def library(self):
        """The workspace's drills, checked against its assets and its runbooks (a step a condition
        waits for must exist, or the drill could never finish its script)."""
        from oncall.workspace.drills import load_drills, runbook_steps
        from oncall.workspace.runbooks import load_library

        library = self._runbooks() if self._runbooks is not None else \
            load_library(self.root / "runbooks", {s.name for s in self.config.sources})
        runbooks = runbook_steps(library)
        return load_drills(self.root / DRILLS_FOLDER, {asset.id for asset in self.config.assets} or None,
                           runbooks=runbooks or None)

    def scenario(self, name: str):
        library = self.library()
        found = library.scenarios.get(name)
        if found is None:
            broken = [p for p in library.problems if p.file.stem == name]
            if broken:
                raise RuleViolation(f"drill {name!r} cannot run: {broken[0]}")
            known = ", ".join(sorted(library.scenarios)) or "none (add YAML files to the workspace's drills/ folder)"
            raise LookupError(f"no drill named {name!r}; drills: {known}")
        return found

    # -- running -----------------------------------------------------------------------------

    def running(self) -> DrillRun | None:
        return self.runs.running()

    def start(self, name: str, speed: float | None = None) -> DrillRun:
        from oncall.service.incidents import Declaration, IncidentService

        scenario = self.scenario(name)
        speed = float(speed if speed is not None else self.config.drills.speed)
        if not 0 < speed <= MAX_SPEED:
            raise RuleViolation(f"--speed {speed:g}: a drill runs at more than 0 and at most {MAX_SPEED:g} times real time")
        now = self.clock.now()
        with self.db.write():
            current = self.runs.running()
            if current is not None:
                raise RuleViolation(f"drill {current.id} ({current.title}) is still running: end it first "
                                    f"(oncall drill end {current.id})")
            run_id = self.runs.start(scenario.name, scenario.title, speed, self.actor, now)
            incidents = IncidentService(self.db, self.config, self.clock, self.actor)
            incident = incidents.declare(Declaration(
                title=scenario.title, severity=Severity.SEV3, asset=scenario.asset,
                source=DetectionSource.DRILL, status=Status.TRIAGE, name_ic=False))  # naming the IC is part of it
            assert incident.id is not None
            self.runs.set_incident(run_id, incident.id)
            self._note(incident.id, f"Drill started ({scenario.name}, {speed:g}× speed). {scenario.situation}".strip(),
                       {"drill": run_id, "situation": True})
        self.tick()
        return self.runs.get(run_id)

    def tick(self) -> list[Delivered]:
        """Deliver the running drill's injects that are due (once, whichever console ticks first)
        and end it when its incident is resolved. Returns what this call delivered."""
        from oncall.domain.drills import due_injects
        from oncall.store.incidents import IncidentRepository

        now = self.clock.now()
        delivered: list[Delivered] = []
        with self.db.write():  # read and act in one transaction: a pause or end meanwhile is seen
            run = self.runs.running()
            if run is None or run.incident_id is None:
                return []
            scenario = self._scenario_of(run)
            status = IncidentRepository(self.db).get(run.incident_id).status
            if status in (Status.RESOLVED, Status.CLOSED, Status.DISMISSED):
                self._end(run, scenario, early=False, how=status.value)
                return []
            if run.paused or scenario is None:
                return []
            incident, facts = self._facts(run)
            seen = self.runs.injects(run.id)
            done = frozenset(i for i, (state, _, _) in seen.items() if state == "delivered")
            skipped = frozenset(i for i, (state, _, _) in seen.items() if state == "skipped")
            send, skip = due_injects(scenario, run.elapsed(now), done, skipped, facts)
            for inject in skip:
                self.runs.claim(run.id, inject.index, "skipped", now)
            for inject in send:
                if not self.runs.claim(run.id, inject.index, "delivered", now):
                    continue  # another console delivered it
                persona = scenario.personas.get(inject.persona)
                name = persona.name if persona else inject.persona
                event = self._note(run.incident_id, f"[{inject.kind}] {name}: {inject.text}",
                                   {"drill": run.id, "inject": inject.index, "persona": inject.persona,
                                    "kind": inject.kind})
                self.runs.set_event(run.id, inject.index, event.id or 0)
                delivered.append(Delivered(inject.index, name, inject.kind, inject.text))
        return delivered

    def pause(self) -> DrillRun:
        with self.db.write():
            run = self._running()
            if run.paused:
                raise RuleViolation(f"drill {run.id} is already paused")
            self.runs.set_pauses(run.id, (*run.pauses, (self.clock.now(), None)))
            self._note_run(run, "Drill paused: the scenario's clock stands still")
        return self.runs.get(run.id)

    def resume(self) -> DrillRun:
        with self.db.write():
            run = self._running()
            if not run.paused:
                raise RuleViolation(f"drill {run.id} is not paused")
            start, _ = run.pauses[-1]
            self.runs.set_pauses(run.id, (*run.pauses[:-1], (start, self.clock.now())))
            self._note_run(run, "Drill resumed")
        return self.runs.get(run.id)

    def end(self) -> DrillRun:
        """End the running drill now (a facilitator ending it early) and score it."""
        with self.db.write():
            run = self._running()
            self._end(run, self._scenario_of(run), early=True)
        return self.runs.get(run.id)

    # -- results -----------------------------------------------------------------------------

    def history(self) -> list[DrillRun]:
        return self.runs.history()

    def report(self, run_id: int) -> str:
        from oncall.domain.drills import Scorecard, scorecard_markdown

        run = self.runs.get(run_id)
        if run.scorecard is None:
            raise RuleViolation(f"drill {run_id} is still running: its scorecard comes when it ends")
        if run.scorecard.get("missing"):
            raise RuleViolation(f"drill {run_id} has no scorecard: its scenario file ({run.scenario}) was gone or "
                                "broken when it ended")
        return scorecard_markdown(Scorecard.from_json(run.scorecard), self._name)

    def channel(self, run: DrillRun) -> list[TimelineEvent]:
        """The drill's simulated channel: its situation and the injects delivered, oldest first."""
        if run.incident_id is None:
            return []
        return [event for event in self.timeline.for_incident(run.incident_id)
                if event.kind is EventKind.NOTE and (event.data or {}).get("drill") == run.id]

    # -- helpers -----------------------------------------------------------------------------

    def _running(self) -> DrillRun:
        run = self.runs.running()
        if run is None:
            raise RuleViolation("no drill is running (start one: oncall drill run NAME)")
        return run

    def _scenario_of(self, run: DrillRun):
        if run.id not in self._scenarios:
            try:
                self._scenarios[run.id] = self.scenario(run.scenario)
            except (LookupError, RuleViolation):  # its file was removed or broken while it ran
                return None
        return self._scenarios[run.id]

    def _facts(self, run: DrillRun):
        """The incident and what happened on it, with every time on the scenario's clock."""
        from oncall.domain.drills import facts_from
        from oncall.store.incidents import IncidentRepository

        assert run.incident_id is not None
        incident = IncidentRepository(self.db).get(run.incident_id)
        # Every time on the scenario's clock before anything is measured, so a cadence, a target
        # and a pause all mean scenario minutes, at any speed.
        at = run.scenario_time
        moved = {field: at(value) for field in ("detected_at", "declared_at", "resolved_at", "closed_at",
                                                 "updated_at", "started_at")
                 if (value := getattr(incident, field)) is not None}
        events = [event.model_copy(update={"at": at(event.at)}) for event in self.timeline.for_incident(run.incident_id)]
        facts = facts_from(incident.model_copy(update=moved), events, run.started_at, self.config.comms)
        return incident, facts

    def _end(self, run: DrillRun, scenario, early: bool, how: str = "") -> None:
        from oncall.domain.drills import score

        now = self.clock.now()
        if scenario is None:
            card: dict = {"scenario": run.scenario, "title": run.title, "missing": True}
        else:
            _, facts = self._facts(run)
            card = score(scenario, facts, run.scenario_time(now)).to_json()
        self.runs.end(run.id, self.actor, now, early, card)
        self._note_run(run, "Drill ended early by the facilitator" if early else f"Drill ended: the incident is {how}")

    def _note_run(self, run: DrillRun, text: str) -> None:
        if run.incident_id is not None:
            self._note(run.incident_id, text, {"drill": run.id, "control": True})

    def _note(self, incident_id: int, text: str, data: dict[str, Any]) -> TimelineEvent:
        return self.timeline.append(TimelineEvent(incident_id=incident_id, at=self.clock.now(), actor=self.actor,
                                                  kind=EventKind.NOTE, text=text, data=data))

    def _name(self, person_id: str) -> str:
        return self.config.name_of(person_id)
