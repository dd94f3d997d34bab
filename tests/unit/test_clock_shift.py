"""The moved-clock pass really moves the clock, here and in the processes tests start."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

SHIFT = os.environ.get("ONCALL_TEST_CLOCK_SHIFT_DAYS")
pytestmark = pytest.mark.skipif(not SHIFT, reason="runs in the moved-clock pass (make test-moved-clock)")


def _days_ahead_of_the_disk(now: float, tmp_path: Path) -> float:
    marker = tmp_path / "now"
    marker.write_text("")  # the kernel stamps it with the real time
    return (now - marker.stat().st_mtime) / 86400


def test_this_process_sees_the_moved_clock(tmp_path):
    assert _days_ahead_of_the_disk(time.time(), tmp_path) == pytest.approx(float(SHIFT), abs=0.01)


def test_a_process_a_test_starts_sees_it_too(tmp_path):
    child = subprocess.run([sys.executable, "-c", "import time; print(time.time())"], capture_output=True,
                           text=True, check=True)
    assert _days_ahead_of_the_disk(float(child.stdout), tmp_path) == pytest.approx(float(SHIFT), abs=0.01)
