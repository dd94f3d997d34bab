"""The console takes the day's backup by itself, in the background, once."""

from __future__ import annotations

from oncall.store.backup import list_backups

from tui_support import SIZE, wait_for


async def test_the_console_backs_the_database_up_once_a_day(demo_app):
    app = demo_app(poll=False)
    async with app.run_test(size=SIZE) as pilot:
        path = app.session.database.path
        backing_up = lambda: any(w.group == "backup" and w.is_running for w in app.workers)  # noqa: E731
        await wait_for(pilot, lambda: len(list_backups(path)) == 1 and not backing_up())
        app.take_daily_backup()  # the hourly check, on the same day: nothing more
        await wait_for(pilot, lambda: not backing_up())
        [backup] = list_backups(path)
        assert backup.incidents == 15

