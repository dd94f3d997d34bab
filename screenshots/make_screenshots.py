"""Make the README's screenshots: the demo workspace at a fixed moment, 140×40.

Run: `make screenshots` (writes screenshots/*.svg). The same scenes as tests/snapshots, so what the
README shows is what the tests pin down.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from oncall.tui.demo_app import build_demo_app

HERE = Path(__file__).parent
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
SIZE = (140, 40)


async def shoot(name: str, keys: list[str], scratch: Path) -> Path:
    app = build_demo_app(scratch / name, NOW)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        path = HERE / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"oncall — {name.replace('-', ' ')}"), "utf-8")
    return path


SCENES = {
    "queue": [],
    "queue-search": ["slash", *"cac"],
    "incident": ["enter"],
    "declare": ["d", *"Signups flat since 06:00"],
}


async def main() -> None:
    os.environ.setdefault("ONCALL_USER", "maya")
    with tempfile.TemporaryDirectory() as scratch:
        for name, keys in SCENES.items():
            print(await shoot(name, keys, Path(scratch)))


if __name__ == "__main__":
    asyncio.run(main())
