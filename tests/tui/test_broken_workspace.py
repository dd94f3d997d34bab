"""A broken config entry never stops the console: it starts, and says what is wrong and where."""

from __future__ import annotations

from oncall.tui.app import OncallApp
from oncall.tui.widgets.queue_table import QueueTable
from tui_support import SIZE


async def test_console_starts_and_names_the_broken_entry(demo_app, tmp_path):
    demo_app()  # lays out the demo workspace and its database at tmp_path/workspace
    workspace = tmp_path / "workspace"
    config = workspace / "oncall.toml"
    text = config.read_text().replace('kind = "dashboard"\nowner = "sofia"\ncriticality = "critical"',
                                      'kind = "dashbord"\nowner = "sofia"\ncriticality = "critical"')
    config.write_text(text.replace('# database = "state/oncall.db"', 'database = "oncall.db"'))
    app = OncallApp(workspace, poll=False)  # opened by path, as `oncall --workspace` does
    notified: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kwargs: (notified.append(message), notify(message, **kwargs))[1]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.query_one(QueueTable).total == 15, "the queue still shows every incident"
        assert any("oncall.toml:" in m and "assets[7].kind" in m and "dashbord" in m for m in notified), notified
        # The other assets still loaded: the declare form offers them.
        assert app.session.config.asset("cac-pipeline") is not None
        assert app.session.config.asset("cac-dashboard") is None
