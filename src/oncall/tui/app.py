"""The oncall console: opens the workspace, shows the queue, and keeps every screen current."""

from __future__ import annotations

import gc
from datetime import timedelta
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState, get_current_worker

from oncall.domain.clock import Clock, SystemClock
from oncall.store.db import Database, open_database
from oncall.tui.messages import DataChanged, WorkspaceLoaded
from oncall.tui.screens.queue import QueueScreen
from oncall.tui.session import Session
from oncall.tui.sync_link import SyncLink
from oncall.tui.tabs.base import IncidentTab
from oncall.tui.widgets.status_line import StatusLine
from oncall.workspace.paths import current_actor, glance

if TYPE_CHECKING:
    from oncall.workspace.loader import Workspace

# How often to look for changes made by other processes; PRAGMA data_version is nearly free.
POLL_SECONDS = 0.5
CONSOLE_BUSY_TIMEOUT_MS = 1_000
BACKUP_CHECK_SECONDS = 3600  # the backup itself is taken at most once a day
GC_THRESHOLDS = (10_000, 50, 1_000)
AGE_REFRESH_SECONDS = 5  # "declared 5s ago" on the screen in front must not stay 5s
COLLECT_AFTER_CLOSE_SECONDS = 0.2  # Textual lets go of a closed screen within a few frames
RUNBOOKS_AFTER_SECONDS = 1.0
WARM_UP_AFTER_SECONDS = 0.1
CSS_CLASSES_AT_ONCE = 4  # widget classes whose CSS is parsed in one go while warming up
DUE_CHECK_SECONDS = 15  # how often to look for a stakeholder update that has fallen due
DRILL_SHOW_WITHIN = timedelta(seconds=30)  # an inject older than this is not shown as news
DRILL_TICK_SECONDS = 1.0  # how often the running drill's injects are looked at (scenario time runs at its speed)


SYNC_STATE_TEXT = {
    "offline": "Offline: Jira and Slack are not configured. Everything is saved locally.",
}


class OncallApp(App):
    CSS_PATH = "styles/app.tcss"
    TITLE = "oncall"
    # Shown in the queue's footer (and named by the status line); works on every screen.
    BINDINGS = [Binding("S", "app.open_sync", "Sync", id="app.sync", show=False),
                Binding("D", "app.open_drills", "Drills", id="app.drills", show=False)]
    # Every screen gets a class for the terminal's height, so its CSS can fit 80×24 (-short).
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-medium"), (46, "-tall")]

    def __init__(self, workspace: "Workspace | Path", clock: Clock | None = None,
                 database: Database | None = None, poll: bool = True) -> None:
        """Open the console on a workspace folder (loaded after the first paint) or a loaded one."""
        super().__init__()
        self.clock = clock or SystemClock()
        if isinstance(workspace, Path):
            first_look = glance(workspace)
            self.sub_title = first_look.name
            database = database or open_database(first_look.database_path)
            self.session = Session(workspace, database, self.clock)
        else:
            self.sub_title = workspace.config.workspace.name
            database = database or workspace.open_database()
            self.session = Session(workspace.root, database, self.clock, workspace)
        # A write that finds the database held by another process gives up after a second rather
        # than freezing the screen for the command line's ten: the form keeps what was typed and
        # says so (`screens/saving.py`), and enter tries again.
        self.session.database.conn.execute(f"PRAGMA busy_timeout = {CONSOLE_BUSY_TIMEOUT_MS}")
        self._poll = poll
        self._told_due: set[tuple[int, object]] = set()  # (incident, due time) already rung for
        self._terminal: int | None = None  # the terminal's input, once running in one
        self.sync: SyncLink | None = None
        self._sync_line: tuple[str, str] = ("Reading the workspace…", "")
        self._drill_line = ""  # the DRILL banner while a drill runs ('' otherwise)
        self._drill_told: dict[int, set[int]] = {}  # drill run -> the injects shown here

    def on_mount(self) -> None:
        if not self.is_headless and sys.__stdin__ is not None and sys.__stdin__.isatty():
            self._terminal = sys.__stdin__.fileno()
        self.push_screen(QueueScreen())
        self.call_after_refresh(self.finish_loading)
        if self._poll:
            self.set_interval(POLL_SECONDS, self.check_for_changes)
        self.set_interval(AGE_REFRESH_SECONDS, self.refresh_ages)

    def refresh_ages(self) -> None:
        """Ages move on on the screen in front. One timer for the app rather than one per screen: a
        screen's own timer kept it reachable for seconds after it closed (a cancelled sleep still
        holds it), past the collection made when it closes (`pop_screen`)."""
        refresh = getattr(self.screen, "refresh_ages", None)
        if refresh is not None:
            refresh()

    def pop_screen(self):
        # A closed screen's widgets and caches sit in reference cycles that only the garbage
        # collector frees; left to pile up (GC_THRESHOLDS), one generation-1 pass met the garbage
        # of dozens of incident screens and stalled the console for 250 ms. Collected once Textual
        # has let go of the screen, it is one pass of 10-20 ms while the person takes in the screen
        # they came back to. A full pass: a screen still open under the one closing (an incident
        # under the sync screen) has aged past the young generations by the time it closes too.
        # A form's garbage is small and left to the collector. The timer is set from the app's own
        # messages, not the closing screen's, whose context a timer would keep alive.
        if not isinstance(self.screen, ModalScreen):
            self.call_later(self.set_timer, COLLECT_AFTER_CLOSE_SECONDS, self._collect_closed_screens)
        return super().pop_screen()

    def _collect_closed_screens(self) -> None:
        gc.collect()

    def finish_loading(self) -> None:
        """After the queue is painted: validate the workspace and say what is wrong with it."""
        workspace = self.session.workspace
        self.sub_title = workspace.config.workspace.name
        for problem in workspace.problems:
            self.notify(str(problem), title="Workspace problem", severity="warning", timeout=30, markup=False)
        self.take_daily_backup()
        self.set_interval(BACKUP_CHECK_SECONDS, self.take_daily_backup)
        # Once the first screen is up and the first keys are answered: parsing hundreds of runbooks
        # in a thread would otherwise slow both.
        self.set_timer(RUNBOOKS_AFTER_SECONDS, self.read_runbooks)
        self.set_timer(WARM_UP_AFTER_SECONDS, self.warm_up)
        self.check_updates_due(quietly=True)
        self.set_interval(DUE_CHECK_SECONDS, self.check_updates_due)
        self.tick_drill()
        self.set_interval(DRILL_TICK_SECONDS, self.tick_drill)
        self.sync = SyncLink(workspace, current_actor(), self.session.database.path)
        if self.sync.configured:
            self.run_sync()
            self.read_sync_state()
        else:  # nothing to read: say so at once
            self._show_sync_line((SYNC_STATE_TEXT["offline"], ""))
        for screen in self.screen_stack:
            screen.post_message(WorkspaceLoaded())
        # Everything built while starting lives as long as the console: keep it out of the
        # garbage collector's passes. And collect less often: with Python's defaults (700, 10, 10)
        # a generation-1/2 pass lands on one keystroke in twenty and stalls it 30-60 ms
        # (benchmarks/bench_console.py); with these the search p95 stays under 35 ms and memory
        # stays flat (reference counting frees nearly everything; only cycles wait longer).
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)

    def warm_up(self) -> None:
        """Import and parse what opening an incident needs while nobody waits, in steps that let a
        key pressed meanwhile through: the first open of a console paid for it (about 40 ms more
        than the others, then 15-20 ms: the services it reads through, and its widgets' CSS)."""
        import oncall.tui.screens.composer  # noqa: F401
        import oncall.tui.screens.incident  # noqa: F401
        import oncall.tui.screens.picker  # noqa: F401
        import oncall.tui.screens.runbook_viewer  # noqa: F401

        self.call_later(self._warm_up_services)

    def _warm_up_services(self) -> None:
        import rich._emoji_codes  # noqa: F401  (the first markup with text in it)

        import oncall.service.incidents  # noqa: F401
        import oncall.service.informed  # noqa: F401
        import oncall.service.postmortems  # noqa: F401
        import oncall.service.runbooks  # noqa: F401
        from textual.widget import Widget

        classes, pending = [], [Widget]
        while pending:
            for subclass in pending.pop().__subclasses__():
                if subclass not in classes:
                    classes.append(subclass)
                    pending.append(subclass)
        self.call_later(self._parse_widget_css, [cls for cls in classes if cls.__module__.startswith("oncall.")])

    def _parse_widget_css(self, classes: list[type]) -> None:
        """Parse oncall widgets' DEFAULT_CSS into the stylesheet's parse cache, which Textual
        otherwise fills when a widget class is first mounted. Only the cache: the stylesheet's
        sources, and so the order its rules are applied in, stay as mounting makes them. A few
        classes at a time, so that a key pressed meanwhile is answered between them."""
        for cls in classes[:CSS_CLASSES_AT_ONCE]:
            blank = cls.__new__(cls)  # `_get_default_css` reads only the class
            for read_from, css, tie_breaker, scope in blank._get_default_css():
                try:
                    self.stylesheet._parse_rules(css, read_from=read_from, is_default_rules=True,
                                                 tie_breaker=tie_breaker, scope=scope)
                except Exception:  # noqa: BLE001 - said when that widget is mounted, as before
                    continue
        if classes[CSS_CLASSES_AT_ONCE:]:
            self.call_later(self._parse_widget_css, classes[CSS_CLASSES_AT_ONCE:])

    @work(thread=True, exclusive=True, group="runbooks", exit_on_error=False)
    def read_runbooks(self) -> None:
        """Read the workspace's runbooks once the queue is on screen, so the first incident opened
        has its suggestions at once; a broken file is reported, and the others are used."""
        library = self.session.runbook_library()
        if library.broken:
            names = ", ".join(path.name for path, _ in library.broken[:3]) + (" …" if len(library.broken) > 3 else "")
            self.call_from_thread(self.notify, f"{len(library.broken)} runbook(s) could not be read: {names}. "
                                  "The others work; `oncall runbooks check` says what is wrong.",
                                  title="Runbooks", severity="warning", timeout=15, markup=False)

    @work(thread=True, exclusive=True, group="backup", exit_on_error=False)
    def take_daily_backup(self) -> None:
        """Today's online backup, if none was taken yet (`store/backup.py`); never blocks the screen."""
        from oncall.store.backup import maybe_backup

        outcome = maybe_backup(self.session.database.path, self.session.config.workspace.backups, self.clock.now())
        if outcome.problem:
            self.call_from_thread(self.notify, outcome.problem, title="Backup", severity="warning", timeout=30,
                                  markup=False)

    def check_for_changes(self) -> None:
        if terminal_lost(self._terminal):
            self.exit()  # the window was closed: nobody can see this console any more
            return
        if self.session.changed_elsewhere():
            for screen in self.screens_in_sight():
                screen.post_message(DataChanged())
            self.read_sync_state()  # a change is a new outbox entry: the footer says "pending"

    def check_updates_due(self, quietly: bool = False) -> None:
        """One bell and one notification when an incident's stakeholder update falls due while the
        console runs (each due time once). Those already overdue when it starts are in red in the
        queue and counted on its summary line; `quietly` takes note of them without ringing."""
        from oncall.store.cadence import CadenceRepository

        now = self.clock.now()
        for due in CadenceRepository(self.session.database).due_by(now, include_drills=False):
            key = (due.incident_id, due.update_due_at)
            if key in self._told_due:
                continue
            self._told_due.add(key)
            if quietly:
                continue
            self.bell()
            self.notify(f"{due.ref} ({due.severity}) owes a stakeholder update now: open it and press u.",
                        title="Update due", severity="warning", timeout=20, markup=False)

    def tick_drill(self) -> None:
        """Deliver the running drill's injects that are due (once across every console on the
        workspace), show every inject that arrived, whichever console or `oncall drill run
        --watch` delivered it, and keep the DRILL banner on every screen."""
        service = self.session.drill_service
        try:
            before = service.running()
            if before is not None:
                service.tick()
            run = service.running() if before is not None else None
            arrived = self._arrived_injects(service, run or before) if before is not None else []
        except Exception as error:  # noqa: BLE001 - a busy or damaged database: say it once, try again later
            if self._drill_line != "DRILL: the drill cannot be read":
                self.notify(f"The drill cannot be read now: {error}", title="DRILL", severity="error", markup=False)
                self._drill_line = "DRILL: the drill cannot be read"
            return
        for title, text in arrived:
            self.notify(text, title=title, severity="warning", timeout=20, markup=False)
        if before is not None and run is None:
            self.notify("The drill ended: D shows its scorecard.", title="DRILL", timeout=20)
        line = ""
        if run is not None:
            minutes = int(run.elapsed(self.clock.now()).total_seconds() // 60)
            state = "PAUSED" if run.paused else f"{minutes} min in"
            # What is happening first: at 80 columns the title is what gets cut.
            line = f"DRILL {run.id} · {state} · D: the drill channel · {run.title}"
        if line != self._drill_line:
            self._drill_line = line
            self.refresh_status_line()
        if arrived or (before is not None and run is None):
            for screen in self.screens_in_sight():
                screen.post_message(DataChanged())

    def _arrived_injects(self, service, run) -> list[tuple[str, str]]:
        """(title, text) of the injects of `run` this console has not shown yet and that arrived in
        the last half minute (a console opened mid-drill does not replay the earlier ones)."""
        told = self._drill_told.setdefault(run.id, set())
        fresh = {index: at for index, (state, at, _) in service.runs.injects(run.id).items()
                 if state == "delivered" and index not in told}
        if not fresh:
            return []
        told.update(fresh)
        now = self.clock.now()
        shown = []
        for event in service.channel(run):
            index = event.data.get("inject")
            if index in fresh and now - fresh[index] <= DRILL_SHOW_WITHIN:
                persona, _, text = event.text.partition(": ")
                shown.append((f"DRILL · {persona.split('] ', 1)[-1]} ({event.data.get('kind', '')})", text))
        return shown

    def _drill_commands(self) -> Iterable[SystemCommand]:
        """"Start drill: …" for each scenario, while none is running."""
        service = self.session.drill_service
        try:
            if service.running() is not None:
                return
            scenarios = sorted(service.library().scenarios.values(), key=lambda s: s.name)
        except Exception:  # noqa: BLE001 - a busy database or an unreadable folder: no drill commands now
            return
        for scenario in scenarios:
            yield SystemCommand(f"Start drill: {scenario.title}",
                                f"{scenario.name} · {scenario.severity.value} · {len(scenario.injects)} injects, real time "
                                "(D, then n, for another speed)",
                                lambda name=scenario.name: self._start_drill(name))

    def _start_drill(self, name: str) -> None:
        from oncall.tui.screens.saving import attempt

        started = attempt(lambda _: self.session.drill_service.start(name), None)
        if started.problem:
            self.notify(started.problem, title="DRILL", severity="warning", markup=False)
            return
        self.tick_drill()
        self.action_open_drills()

    def action_open_drills(self) -> None:
        from oncall.tui.screens.drill_screen import DrillScreen

        if not isinstance(self.screen, DrillScreen):
            self.push_screen(DrillScreen())

    def screens_in_sight(self) -> list[Screen]:
        """The screen in front: the others, even one showing dimmed through a form, read again when
        they come back to the front. Telling them now would make Textual repaint the whole screen
        in front (a screen below passes its dirty regions up, and under a form each cell is blended
        again: about 40 ms at 160×50), which a person typing into the form would feel."""
        return [self.screen]

    # -- sync ---------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def run_sync(self) -> None:
        """Drain the outbox to Jira and Slack until the console closes; never blocks the screen."""
        assert self.sync is not None and self.sync.worker is not None
        worker = self.sync.worker
        try:
            worker.watch(self.sync.stop, on_pass=lambda report: self._after_pass())
        finally:
            worker.close()
            self.sync.finished.set()

    def _after_pass(self) -> None:
        if not self.sync or not self.sync.stop.is_set():  # closing: the screen is going away
            self.call_from_thread(self.read_sync_state)

    @work(thread=True, exclusive=True, group="sync-state", exit_on_error=False)
    def read_sync_state(self) -> None:
        if self.sync is None or not self.sync.configured:
            return
        summary = self.sync.summary()
        if get_current_worker().is_cancelled:
            return  # a newer read replaced this one; do not let an older answer land last
        if summary.state == "offline":
            line = (SYNC_STATE_TEXT["offline"], "")
        else:
            line = (f"Sync: {summary.text}  (S: details)", summary.state)
        self.call_from_thread(self._show_sync_line, line)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "sync" and event.state is WorkerState.ERROR:
            # A bug in a delivery stops the sync for this session: say so rather than go quiet.
            error = event.worker.error
            self.notify(f"Sync stopped: {error}. Changes stay saved locally; `oncall sync` retries.", markup=False,
                        title="Sync stopped", severity="error", timeout=60)
            self._show_sync_line((f"Sync stopped: {error}", "failing"))

    def _show_sync_line(self, line: tuple[str, str]) -> None:
        self._sync_line = line
        self.refresh_status_line()

    def refresh_status_line(self, screen: Screen | None = None) -> None:
        text, state = self._sync_line
        if self._drill_line:  # the DRILL banner, on every screen, in the drill's colour
            text, state = f"{self._drill_line}  |  {text}", "drill"
        screens = [screen] if screen is not None else self.screen_stack  # (one that is still mounting too)
        for line in (line for shown in screens for line in shown.query(StatusLine)):
            line.show(text, state)

    def action_open_sync(self) -> None:
        from oncall.tui.screens.sync_screen import SyncScreen

        if self.sync is None:
            self.notify("The workspace is still loading.")
            return
        self.push_screen(SyncScreen(self.sync.desk))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every key shown in the footer is also a command in the palette (ctrl+p), and so is every
        key of the tabs not in front: choosing one brings its tab to the front first."""
        yield from super().get_system_commands(screen)
        yield from self._drill_commands()
        seen = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.action in seen or not active.enabled:
                continue
            if not binding.show and binding.id is None:
                continue  # moving the cursor, leaving the search box: not commands
            seen.add(binding.action)
            yield SystemCommand(binding.description, _help(binding),
                                lambda action=binding.action, node=active.node: self.run_action(action, node))
        for tab in screen.walk_children():
            if not isinstance(tab, IncidentTab) or tab.display:  # the tab in front: listed above
                continue
            for binding, node in tab.commands():
                if binding.action not in seen:
                    seen.add(binding.action)

                    async def run(tab=tab, action=binding.action, node=node) -> None:
                        await tab.screen.run_action(f"show_tab({tab.id!r})")
                        await self.run_action(action, node)

                    yield SystemCommand(binding.description, f"{_help(binding)} · {tab.TAB_NAME} tab", run)

    def on_unmount(self) -> None:
        if self.sync is not None:
            self.sync.close()
        self.session.close()


def _help(binding: Binding) -> str:
    return binding.tooltip or f"{binding.description} (key: {binding.key_display or binding.key})"


def terminal_lost(fd: int | None) -> bool:
    """The terminal the console runs in has gone (its window closed, its tmux killed). Textual
    does not notice: its input thread reads end-of-file forever and keeps a core busy."""
    return fd is not None and not os.isatty(fd)
