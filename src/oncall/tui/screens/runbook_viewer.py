"""One runbook on one incident, step by step: the steps with their state on the left, the step in
front rendered as Markdown on the right, with its evidence and what the last run found.

Keys: ↑/↓ move between steps · `d` done · `s` skip (with why) · `u` back to do · `o` a note ·
`g` gather the step's evidence (shows exactly what will run and asks first; `esc` cancels while it
runs) · `h` share the last evidence to Jira · `esc` back to the incident. Every change is a timeline
event; leaving and coming back (or another terminal) resumes where the incident is.
"""

from __future__ import annotations

import threading

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Markdown, OptionList, Static

from oncall.tui.thread_work import releasing
from oncall.tui.widgets.plain_option import Option
from oncall.tui.messages import DataChanged
from oncall.tui.screens.modals import TextScreen
from oncall.tui.screens.saving import attempt
from oncall.tui.widgets.footer import KeyFooter
from oncall.tui.widgets.status_line import StatusLine

MARKS = {"done": "✓", "skipped": "↷", "todo": "·"}


class ConfirmEvidence(ModalScreen[bool]):
    """Exactly what will run, and a yes or no."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="evidence.cancel"),
                Binding("y", "run", "Run", id="evidence.run")]

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    # The whole of what runs stays reachable on an 80×24 screen: it scrolls, the buttons stay.
    DEFAULT_CSS = """
    ConfirmEvidence .modal-form { max-height: 95%; }
    ConfirmEvidence #evidence-scroll { height: auto; max-height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-form"):
            yield Static("Gather this evidence? It runs exactly this (↑/↓ to read it all):", classes="modal-title")
            with VerticalScroll(id="evidence-scroll"):
                yield Static(self.what, id="evidence-what", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Run (y)", variant="primary", id="run")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#evidence-scroll").focus()  # ↑/↓ and page keys read it; y runs, esc cancels

    @on(Button.Pressed, "#run")
    def action_run(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class StepList(OptionList):
    pass


class RunbookScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Incident", id="runbook.back"),
        Binding("d", "mark('done')", "Done", id="runbook.done"),
        Binding("s", "skip", "Skip", id="runbook.skip"),
        Binding("u", "mark('todo')", "To do", id="runbook.todo"),
        Binding("o", "note", "Note", id="runbook.note"),
        Binding("g", "gather", "Gather evidence", id="runbook.gather"),
        Binding("h", "share", "Share to Jira", id="runbook.share"),
    ]
    DEFAULT_CSS = """
    RunbookScreen #runbook-title { height: 2; padding: 0 1; background: $panel; }
    RunbookScreen StepList { width: 38%; min-width: 26; height: 1fr; }
    RunbookScreen #step-pane { width: 1fr; height: 1fr; padding: 0 1; }
    RunbookScreen #step-evidence, RunbookScreen #step-found { margin-top: 1; }
    """

    def __init__(self, incident_id: int, runbook_id: str) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.runbook_id = runbook_id
        self.runbook = None
        self.attached = None
        self._cancel: threading.Event | None = None
        self._shown_step: int | None = None

    @property
    def session(self):
        return self.app.session

    def compose(self) -> ComposeResult:
        yield Static(id="runbook-title", markup=False)
        with Horizontal():
            yield StepList(id="steps")
            with VerticalScroll(id="step-pane"):
                yield Markdown(id="step-body")
                yield Static(id="step-evidence", markup=False)
                yield Static(id="step-found", markup=False)
        yield StatusLine(id="status-line")
        yield KeyFooter()

    def on_screen_resume(self) -> None:
        self._load(resume=self.attached is None)
        self.app.refresh_status_line(self)

    def on_data_changed(self, message: DataChanged) -> None:
        self._load()

    # -- reading -------------------------------------------------------------------------------

    def _load(self, resume: bool = False) -> None:
        library = self.session.runbook_library()
        runbook = library.get(self.runbook_id)
        attached = next((a for a in self.session.runbook_service.attached(self.incident_id)
                         if a.runbook_id == self.runbook_id), None)
        if runbook is None or attached is None:
            why = "is no longer in the workspace's runbooks" if runbook is None else "is not attached any more"
            self.notify(f"{self.runbook_id} {why}", severity="error", markup=False)
            self.app.pop_screen()
            return
        self.runbook, self.attached = runbook, attached
        done, skipped, settled = attached.tally(runbook.steps)
        state = "finished" if settled else f"{done} done, {skipped} skipped of {len(runbook.steps)}"
        self.query_one("#runbook-title", Static).update(
            f"INC-{self.incident_id}  ·  {runbook.title}  ·  {state}\n"
            f"attached by {attached.attached_by}  ·  {runbook.path.name}")
        steps = self.query_one(StepList)
        current = steps.highlighted
        steps.clear_options()
        steps.add_options([Option(f"{MARKS[attached.state_for(s)]} {s.number}. {s.title}", id=str(s.number))
                           for s in runbook.steps])
        if resume or current is None:
            current = next((i for i, s in enumerate(runbook.steps) if attached.state_for(s) == "todo"), 0)
        steps.highlighted = min(current, len(runbook.steps) - 1)
        steps.focus()
        self._show_step(force=True)

    @property
    def step(self):
        steps = self.query_one(StepList)
        index = steps.highlighted or 0
        return self.runbook.steps[index] if self.runbook and self.runbook.steps else None

    @on(OptionList.OptionHighlighted)
    def _moved(self) -> None:
        self._show_step()

    def _show_step(self, force: bool = False) -> None:
        step = self.step
        if step is None or (step.number == self._shown_step and not force):
            return
        self._shown_step = step.number
        progress = self.attached.progress_for(step) if self.attached else None
        heading = f"## {step.number}. {step.title}\n\n"
        if progress:
            heading += f"*{progress.state} by {progress.by}, {progress.at:%b %d %H:%M} UTC*"
            heading += f" *(why: {progress.reason})*\n\n" if progress.reason else "\n\n"
        self.query_one("#step-body", Markdown).update(heading + step.body)
        evidence = self.query_one("#step-evidence", Static)
        found = self.query_one("#step-found", Static)
        if step.evidence is None:
            evidence.update("No evidence to gather for this step.")
            found.update("")
            return
        evidence.update("Evidence (g to gather):\n" + self._describe(step))
        gathered = self.session.runbook_service.evidence(self.incident_id, self.runbook_id, step.number)
        if self._cancel is not None:
            found.update("Running… (esc cancels)")
        elif gathered:
            last = gathered[-1]
            found.update(f"Last gathered {last.at:%b %d %H:%M} by {last.actor}: {last.text}\n\n"
                         f"{last.data.get('output', '')}")
        else:
            found.update("Not gathered yet.")

    def _describe(self, step) -> str:
        from oncall.evidence.runner import describe

        try:
            return describe(step.evidence, self._values(), self._sources(), self.session.root)
        except Exception as error:  # a source missing from oncall.toml, …: said, not raised
            return f"cannot run: {error}"

    def _values(self) -> dict[str, str]:
        from oncall.service.runbooks import evidence_values

        return evidence_values(self.session.service, self.incident_id)

    def _sources(self) -> dict:
        return {source.name: source for source in self.session.config.sources}

    # -- acting --------------------------------------------------------------------------------

    def on_unmount(self) -> None:
        if self._cancel is not None:  # the console is closing (or the viewer went): stop what runs
            self._cancel.set()

    def action_back(self) -> None:
        if self._cancel is not None:
            self._cancel.set()  # esc while evidence runs cancels it
            self.notify("Cancelling…")
            return
        self.app.pop_screen()

    def action_mark(self, state: str) -> None:
        step = self.step
        if step is None:
            return
        saved = attempt(lambda _: self.session.runbook_service.set_step(self.incident_id, self.runbook, step.number,
                                                                         state), None)
        if saved.problem:
            self.notify(saved.problem, severity="warning", markup=False)
            return
        self._after_change(advance=state != "todo")

    def action_skip(self) -> None:
        step = self.step
        if step is None:
            return
        service = self.session.runbook_service
        self.app.push_screen(
            TextScreen(f"Skip step {step.number}: why?", placeholder="e.g. the scheduler is down; infra is on it",
                       save=lambda reason: service.set_step(self.incident_id, self.runbook, step.number, "skipped",
                                                            reason)),
            lambda reason: reason and self._after_change(advance=True))

    def action_note(self) -> None:
        step = self.step
        if step is None:
            return
        service = self.session.runbook_service
        self.app.push_screen(
            TextScreen(f"A note on step {step.number}", placeholder="What did you find?",
                       save=lambda text: service.note(self.incident_id, self.runbook, step.number, text)),
            lambda text: text and self._after_change(advance=False))

    def action_gather(self) -> None:
        step = self.step
        if step is None or self._cancel is not None:
            return
        if step.evidence is None:
            self.notify("This step has no evidence to gather.", markup=False)
            return
        what = self._describe(step)
        self.app.push_screen(ConfirmEvidence(what), lambda yes: yes and self._start(step))

    def _start(self, step) -> None:
        self._cancel = threading.Event()
        self.query_one("#step-found", Static).update("Running… (esc cancels)")
        self._run(step, self._values(), self._sources(), self._cancel)

    @work(thread=True, exclusive=True, group="evidence", exit_on_error=False)
    @releasing
    def _run(self, step, values, sources, cancel: threading.Event) -> None:
        from oncall.evidence.runner import run_evidence

        result = run_evidence(step.evidence, values, sources, self.session.root, cancel=cancel)
        self.app.call_from_thread(self._finished, step, result)

    def _finished(self, step, result) -> None:
        self._cancel = None
        saved = attempt(lambda _: self.session.runbook_service.record_evidence(self.incident_id, self.runbook,
                                                                              step.number, result), None)
        if saved.problem:
            self.notify(f"Evidence not saved: {saved.problem}", severity="error", markup=False)
        else:
            self.notify(f"Evidence for step {step.number}: {saved.result.text.split(': ', 1)[-1]}", markup=False)
        self._after_change(advance=False)

    def on_worker_state_changed(self, event) -> None:
        if event.worker.group == "evidence" and event.state.name == "ERROR":
            event.stop()
            self._cancel = None
            self.notify(f"Could not gather the evidence: {event.worker.error}", severity="error", markup=False)
            self._after_change(advance=False)

    def action_share(self) -> None:
        step = self.step
        if step is None:
            return
        gathered = self.session.runbook_service.evidence(self.incident_id, self.runbook_id, step.number)
        if not gathered:
            self.notify("Gather this step's evidence first (g).", markup=False)
            return
        saved = attempt(lambda _: self.session.runbook_service.share_evidence(self.incident_id, gathered[-1].id), None)
        if saved.problem:
            self.notify(saved.problem, severity="warning", markup=False)
            return
        self.notify("Shared: it goes to Jira as a comment", markup=False)
        self.app.read_sync_state()

    def _after_change(self, advance: bool) -> None:
        self._load()
        if advance and self.runbook is not None and self.attached is not None:
            steps = self.query_one(StepList)
            following = next((i for i, s in enumerate(self.runbook.steps)
                              if i > (steps.highlighted or 0) and self.attached.state_for(s) == "todo"), None)
            if following is not None:
                steps.highlighted = following
        self.app.read_sync_state()
