"""The moved-clock pass of `make test`: every Python process of the run (pytest, its workers,
and the `oncall` processes tests start) sees a wall clock ONCALL_TEST_CLOCK_SHIFT_DAYS ahead.

This folder is put on PYTHONPATH only for that pass, so Python imports this file at start-up
(the standard `sitecustomize` hook). `time.monotonic` and `perf_counter` are left alone, as
time-machine leaves them: only the date moves, which is what a test must not depend on.
"""

import os

_DAYS = os.environ.get("ONCALL_TEST_CLOCK_SHIFT_DAYS")
if _DAYS:
    from datetime import datetime, timedelta, timezone

    import time_machine

    time_machine.travel(datetime.now(timezone.utc) + timedelta(days=float(_DAYS)), tick=True).start()
