"""Make the README's screenshots: the demo workspace at a fixed moment, 140×40, and the queue
and the incident screen in a classic 80×24 terminal too.

Run: `make screenshots` (writes screenshots/*.svg). The same scenes as tests/snapshots, so what the
README shows is what the tests pin down.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from textual.widgets import DataTable

from oncall.demo.install import copy_demo_config
from oncall.domain.incident import EventKind
from oncall.store.outbox import OutboxStore
from oncall.tui.demo_app import build_demo_app

HERE = Path(__file__).parent
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
SIZE = (140, 40)


# The sync scene: Jira and Slack configured, but no tokens in the environment yet, and one
# update Jira refused earlier. Nothing leaves this machine (no token, nothing is sent).
SYNC_SECTIONS = """
[jira]
server = "https://acme.atlassian.net"
project = "DATA"
email = "oncall-bot@acme.example"

[slack]
channel = "#data-incidents"
"""


def prepare_sync_scene(root: Path) -> None:
    copy_demo_config(root)
    config = root / "oncall.toml"
    config.write_text(config.read_text("utf-8") + SYNC_SECTIONS, "utf-8")
    for name in ("ONCALL_JIRA_TOKEN", "ONCALL_SLACK_TOKEN"):
        os.environ.pop(name, None)


def refuse_one_update(app) -> None:
    store = OutboxStore(app.session.service.db)
    note = next(e for e in store.open_entries(("jira",)) if e.kind is EventKind.NOTE)
    store.mark_failed(note.outbox_id, "jira", NOW.timestamp(), "Jira answered HTTP 400 while commenting on DATA-12: "
                      "the comment is longer than 32767 characters", uncertain=False)


async def shoot(name: str, keys: list[str], size: tuple[int, int], scratch: Path) -> Path:
    if name == "sync":
        prepare_sync_scene(scratch / name)
    app = build_demo_app(scratch / name, NOW)
    if name == "sync":
        refuse_one_update(app)
    if name == "metrics":  # as `make run` shows it: the demo's year of history behind the live incidents
        from oncall.demo.history import seed_history

        seed_history(app.session.database, app.session.config, NOW)
    if name.startswith("drill"):  # toasts come and go with real time: not part of the picture
        app.notify = lambda *args, **kwargs: None
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for key in keys:
            if key.startswith("+") and key.endswith("s"):  # "+7s": seven seconds pass; the drill ticks
                app.session.clock.advance(timedelta(seconds=int(key[1:-1])))
                app.tick_drill()
                await pilot.pause()
                continue
            await pilot.press(key)
        # The incident's timeline is read in a worker (the sync's worker runs until the end).
        reading = [w for w in app.workers if w.group == "incident-timeline"]
        if reading:  # (an empty list would mean every worker)
            await app.workers.wait_for_complete(reading)
        await pilot.pause()
        if name == "sync":  # its rows are read off the UI thread
            for _ in range(200):
                if app.screen.query_one(DataTable).row_count:
                    break
                await pilot.pause()
        path = HERE / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"oncall — {name.replace('-', ' ')}"), "utf-8")
    return path


NARROW = (80, 24)
SCENES = {
    "queue": ([], SIZE),
    "queue-search": (["slash", *"cac"], SIZE),
    "incident": (["enter"], SIZE),
    "incident-timeline": (["enter", "2"], SIZE),
    "incident-roles": (["enter", "3"], SIZE),
    "incident-raci": (["enter", "4"], SIZE),
    "people": (["P"], SIZE),
    "incident-runbooks": (["enter", "5"], SIZE),
    "runbook": (["enter", "5", "enter", "d"], SIZE),
    "composer": (["enter", "u", *"reloading the CRM export"], SIZE),
    "postmortem": (["/", *"CRM export", "enter", "enter", "6"], SIZE),
    "postmortem-editor": (["/", *"Google Ads", "enter", "enter", "6", "enter",
                           *"Tom forgot to check the currency field. "], SIZE),
    "declare": (["d", *"Signups flat since 06:00"], SIZE),
    "metrics": (["M"], SIZE),
    "drill": (["D", "n", *"cac", "tab", *"60", "enter", "+21s"], SIZE),
    "drill-scorecard": (["D", "n", *"cac", "tab", *"60", "enter", "+9s", "E", "enter"], SIZE),
    "sync": (["S"], SIZE),
    "report": (["r", *"EMEA spend is zero since 09:00"], SIZE),
    "triage": (["r", *"EMEA spend is zero on the ROI dashboard", "ctrl+s", "enter", "s"], SIZE),
    "incident-lineage": (["enter", "7"], SIZE),
    "queue-80x24": ([], NARROW),
    "incident-80x24": (["enter"], NARROW),
}


async def main() -> None:
    os.environ.setdefault("ONCALL_USER", "maya")
    with tempfile.TemporaryDirectory() as scratch:
        for name, (keys, size) in SCENES.items():
            print(await shoot(name, keys, size, Path(scratch)))


if __name__ == "__main__":
    asyncio.run(main())
