"""Keystroke → painted, measured the way a person feels it: the real console in a pseudo-terminal.

The console runs as a normal process on a pty (160×50, xterm-256color); its output is fed to a
terminal emulator (pyte), so we read the screen a person would see, not the byte stream (Textual
repaints only the cells that changed). For each character we write it to the terminal and time
until the screen shows the queue's summary naming the new search text (painted in the same frame
as the filtered rows), and until it shows the exact count (computed beforehand from the database).
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pyte



class Terminal:
    def __init__(self, args: list[str], env: dict, columns: int = 160, lines: int = 50) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.process = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, close_fds=True, start_new_session=True,
            env={**env, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(lines)},
        )
        os.close(slave)
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.Stream(self.screen)
        self.shown_at = 0.0
        self.pending: list[tuple[float, str]] = []

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def wait_for(self, text: str, timeout: float = 10.0) -> float:
        """Read output until the screen shows `text`; return the moment that output arrived."""
        deadline = time.monotonic() + timeout
        while not self.shows(text):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{text!r} did not show; screen:\n" + "\n".join(self.screen.display))
            if self._read(remaining):
                self._feed_all()
        return self.shown_at

    def key_then_times(self, key: bytes, texts: list[str], quiet: float = 0.1) -> list[float]:
        """Press `key`; return, for each text, how long after the press the screen first showed it.

        Output is timestamped as it arrives and only parsed once the console is quiet, so the
        emulator's own (slow, pure-Python) parsing never delays the clock.
        """
        self.write(key)
        pressed = time.perf_counter()
        while self._read(quiet):
            pass
        found: dict[str, float] = {}
        for arrived, chunk in self.pending:
            self.stream.feed(chunk)
            for text in texts:
                if text not in found and self.shows(text):
                    found[text] = arrived - pressed
        self.pending.clear()
        missing = [t for t in texts if t not in found]
        if missing:
            self.shown_at = time.perf_counter()
            for text in missing:  # a late frame: wait for it the slow way
                found[text] = self.wait_for(text) - pressed
        return [found[t] for t in texts]

    def shows(self, text: str) -> bool:
        return any(text in line for line in self.screen.display)

    def _read(self, timeout: float) -> bool:
        if not select.select([self.master], [], [], timeout)[0]:
            return False
        try:
            chunk = os.read(self.master, 1 << 16)
        except OSError:
            chunk = b""
        if not chunk:
            raise RuntimeError("the console exited")
        self.pending.append((time.perf_counter(), chunk.decode("utf-8", "replace")))
        return True

    def _feed_all(self) -> None:
        for arrived, chunk in self.pending:
            self.stream.feed(chunk)
            self.shown_at = arrived
        self.pending.clear()

    def drain(self, quiet: float = 0.3) -> None:
        """Read until the console has been quiet for `quiet` seconds."""
        while self._read(quiet):
            pass
        self._feed_all()

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self.master)


def measure(workspace: Path, queries: tuple[str, ...], env: dict, person: str = "") -> tuple[list[float], list[float]]:
    """Per key: (time until the filtered rows are painted, time until the exact count is shown).

    With `person`, the console runs as that person (`ONCALL_USER`) with the queue's "mine" filter
    on (`m`): only incidents where they hold a role, searched."""
    from oncall.store.queue import QueueFilter, QueueReader
    from oncall.workspace.loader import load_workspace

    database = load_workspace(workspace).open_database()
    reader = QueueReader(database)
    if person:
        env = {**env, "ONCALL_USER": person}
    terminal = Terminal([sys.executable, "-m", "oncall", "--workspace", str(workspace)], env)
    timings: list[float] = []
    counted: list[float] = []
    try:
        total = reader.count(QueueFilter())
        terminal.wait_for(f"{total:,} shown", timeout=30)
        terminal.drain()
        if person:
            total = reader.count(QueueFilter(person=person))
            terminal.write(b"m")
            terminal.wait_for(f"mine ({person})  ·  {total:,} shown")
            terminal.drain()
        for query in queries:
            terminal.write(b"/")
            terminal.wait_for("Search title")
            terminal.drain()
            typed = ""
            for char in query:
                typed += char
                if char == " ":  # the filter is the same words: nothing new to paint
                    terminal.write(b" ")
                    terminal.drain(0.1)
                    continue
                expected = reader.count(QueueFilter(text=typed, person=person))
                # The rows and the summary naming the new search text are painted in one frame;
                # the exact count can follow in a later frame.
                painted = f"“{typed.strip()}”"
                count_shown = f"“{typed.strip()}”  ·  {expected:,} shown"
                rows_painted, count_painted = terminal.key_then_times(char.encode(), [painted, count_shown])
                timings.append(rows_painted)
                counted.append(count_painted)
            terminal.write(b"\x1b")  # esc clears the search text
            terminal.wait_for(f"{total:,} shown")
            terminal.write(b"\x1b")  # and leaves the search box
            terminal.drain()
    finally:
        terminal.close()
        database.close()
    return timings, counted
