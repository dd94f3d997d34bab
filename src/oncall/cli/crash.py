"""The last resort: an error oncall did not foresee never shows a person a traceback. One line
says what happened and where the details were written, for a bug report."""

from __future__ import annotations

import os
import sys
import traceback
from datetime import datetime, timezone
from pathlib import Path

from oncall.workspace.paths import data_dir

EXIT_UNEXPECTED = 70  # EX_SOFTWARE in sysexits.h: a fault in oncall itself


def report_crash(error: BaseException, where: str = "oncall") -> int:
    """Write the traceback to a file, say so in one line on stderr, and return the exit status."""
    details = write_details(error)
    said = f"{type(error).__name__}: {error}".splitlines()[0][:200] if str(error) else type(error).__name__
    place = f"; the details are in {details}" if details else ""
    print(f"{where}: something went wrong that oncall did not expect ({said}){place}. "
          "Please report it with that file.", file=sys.stderr)
    return EXIT_UNEXPECTED


def report_console_crash(details: str) -> int:
    """The console stopped on an error of its own: Textual's report of it goes to a file, and
    one line says so (the terminal is back to normal by then)."""
    path = write_text(details)
    place = f"; the details are in {path}" if path else ""
    print(f"oncall: the console stopped on something it did not expect{place}. Please report it with that file. "
          "Everything saved before it stopped is in the database.", file=sys.stderr)
    return EXIT_UNEXPECTED


def write_details(error: BaseException) -> Path | None:
    return write_text("".join(traceback.format_exception(error)))


def write_text(text: str) -> Path | None:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    try:
        folder = data_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{stamp}-{os.getpid()}.txt"
        path.write_text(text, "utf-8", errors="backslashreplace")
        return path
    except OSError:  # no place to write: the one line on stderr still goes out
        return None
