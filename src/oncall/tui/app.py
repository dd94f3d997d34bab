"""The oncall console: opens the workspace, shows the queue, and keeps every screen current."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.screen import Screen

from oncall.domain.clock import Clock, SystemClock
from oncall.store.db import Database, open_database
from oncall.tui.messages import DataChanged, WorkspaceLoaded
from oncall.tui.screens.queue import QueueScreen
from oncall.tui.session import Session
from oncall.tui.widgets.status_line import StatusLine
from oncall.workspace.paths import glance

if TYPE_CHECKING:
    from oncall.workspace.loader import Workspace

# How often to look for changes made by other processes; PRAGMA data_version is nearly free.
POLL_SECONDS = 0.5


class OncallApp(App):
    CSS_PATH = "styles/app.tcss"
    TITLE = "oncall"

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
        self._poll = poll

    def on_mount(self) -> None:
        self.push_screen(QueueScreen())
        self.call_after_refresh(self.finish_loading)
        if self._poll:
            self.set_interval(POLL_SECONDS, self.check_for_changes)

    def finish_loading(self) -> None:
        """After the queue is painted: validate the workspace and say what is wrong with it."""
        workspace = self.session.workspace
        self.sub_title = workspace.config.workspace.name
        for problem in workspace.problems:
            self.notify(str(problem), title="Workspace problem", severity="warning", timeout=30)
        for screen in self.screen_stack:
            screen.post_message(WorkspaceLoaded())
        # Everything built while starting lives as long as the console: keep it out of the
        # garbage collector's full passes, which otherwise stall a keystroke now and then.
        gc.freeze()

    def check_for_changes(self) -> None:
        if self.session.changed_elsewhere():
            for screen in self.screen_stack:
                screen.post_message(DataChanged())
        self.refresh_status_line()

    def refresh_status_line(self, screen: Screen | None = None) -> None:
        text, state = self.session.status_line()
        for line in (screen or self.screen).query(StatusLine):
            line.show(text, state)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every key shown in the footer is also a command in the palette (ctrl+p)."""
        yield from super().get_system_commands(screen)
        seen = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not binding.description or binding.action in seen or not active.enabled:
                continue
            seen.add(binding.action)
            node = active.node
            yield SystemCommand(
                binding.description,
                binding.tooltip or f"{binding.description} (key: {binding.key_display or binding.key})",
                lambda action=binding.action, node=node: self.run_action(action, node),
            )

    def on_unmount(self) -> None:
        self.session.database.close()
