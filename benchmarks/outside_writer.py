"""Child process for bench_typing.py: another process writing to an incident, as a teammate's
command line or sync would. `python outside_writer.py WORKSPACE INCIDENT INTERVAL_MS` adds a note
every INTERVAL_MS until killed, each in its own transaction, and prints one line per note."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(workspace: str, incident: int, interval_ms: float) -> None:
    from oncall.domain.clock import SystemClock
    from oncall.service.incidents import IncidentService
    from oncall.workspace.loader import load_workspace

    loaded = load_workspace(Path(workspace))
    service = IncidentService(loaded.open_database(), loaded.config, SystemClock(), "teammate")
    n = 0
    next_at = time.monotonic()
    while True:
        service.add_note(incident, f"outside write {n}: row counts re-checked")
        print(n, flush=True)
        n += 1
        next_at += interval_ms / 1000
        time.sleep(max(next_at - time.monotonic(), 0))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
