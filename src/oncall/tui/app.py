"""The oncall console: opens the workspace, shows the queue, and keeps every screen current."""

from __future__ import annotations

import gc
from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.screen import Screen

from oncall.domain.clock import Clock, SystemClock
from oncall.store.db import Database
from oncall.tui.messages import DataChanged
from oncall.tui.screens.queue import QueueScreen
from oncall.tui.session import Session
from oncall.tui.widgets.status_line import StatusLine
from oncall.workspace.loader import Workspace

# How often to look for changes made by other processes; PRAGMA data_version is nearly free.
POLL_SECONDS = 0.5


class OncallApp(App):
    CSS_PATH = "styles/app.tcss"
    TITLE = "oncall"

    def __init__(self, workspace: Workspace, clock: Clock | None = None, database: Database | None = None,
                 poll: bool = True) -> None:
        super().__init__()
        self.clock = clock or SystemClock()
        self.session = Session(workspace, database or workspace.open_database(), self.clock)
        self.sub_title = workspace.config.workspace.name
        self._poll = poll

    def on_mount(self) -> None:
        # Everything built while starting lives as long as the console: keep it out of the
        # garbage collector's full passes, which otherwise stall a keystroke now and then.
        self.call_after_refresh(gc.freeze)
        self.push_screen(QueueScreen())
        for problem in self.session.workspace.problems:
            self.notify(str(problem), title="Workspace problem", severity="warning", timeout=30)
        if self._poll:
            self.set_interval(POLL_SECONDS, self.check_for_changes)

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
