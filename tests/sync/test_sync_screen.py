"""The sync screen, driven by keys: failed first, retry now, discard after confirming."""

from __future__ import annotations

from textual.app import App
from textual.widgets import DataTable, Static

from oncall.domain.severity import Severity
from oncall.service.incidents import Declaration
from oncall.store.outbox import OutboxStore
from oncall.sync.desk import SyncDesk
from oncall.tui.screens.sync_screen import ConfirmDiscard, SyncScreen
from sync_support import FakeTimer, configure


class Host(App):
    def __init__(self, desk: SyncDesk) -> None:
        super().__init__()
        self.desk = desk

    def on_mount(self) -> None:
        self.push_screen(SyncScreen(self.desk))


async def until(pilot, condition, tries: int = 200) -> None:
    for _ in range(tries):
        await pilot.pause()
        if condition():
            return
    raise AssertionError("the screen never got there")


async def test_retry_and_discard_from_the_keyboard(workspace, service, jira_server, monkeypatch):
    monkeypatch.setenv("ONCALL_JIRA_TOKEN", jira_server.token)
    synced = configure(workspace, jira_server, None)
    incident = service.declare(Declaration(title="Stale CAC", severity=Severity.SEV2, asset="cac-dashboard"))
    service.add_note(incident.id, "looking")
    store = OutboxStore(service.db)
    [first, second, third] = [e for e in store.open_entries(("jira",))]
    store.mark_failed(first.outbox_id, "jira", 0, "Jira answered HTTP 400: priority is required", uncertain=False)
    desk = SyncDesk(synced.database_path, synced.config, "maya", timer=FakeTimer())

    app = Host(desk)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, SyncScreen)
        await until(pilot, lambda: screen.query_one(DataTable).row_count == 3)
        summary = str(screen.query_one("#sync-summary", Static).render())
        assert "failing: Jira — Jira answered HTTP 400: priority is required" in summary
        assert screen.entries[0].state == "failed"  # failed first

        await pilot.press("r")  # retry the failed one now
        await until(pilot, lambda: all(e.state == "pending" for e in screen.entries))
        assert OutboxStore(service.db).counts("jira").failed == 0

        await pilot.press("down", "down", "d")  # discard the note, after confirming
        await until(pilot, lambda: isinstance(app.screen, ConfirmDiscard))
        await pilot.press("y")
        await until(pilot, lambda: screen.query_one(DataTable).row_count == 2)
        assert [e.event_id for e in screen.entries] == [first.event_id, second.event_id]

        await pilot.press("d", "escape")  # changing one's mind keeps it
        await until(pilot, lambda: app.screen is screen)
        assert OutboxStore(service.db).counts("jira").pending == 2
