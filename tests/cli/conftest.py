"""Run the command line in-process, with the clock frozen and output captured."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from oncall.cli import context, main
from oncall.domain.clock import FrozenClock
from oncall.workspace.loader import Workspace


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)  # one document, nothing else on stdout


Run = Callable[..., Result]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, clock: FrozenClock) -> Run:
    """`cli("list", "--json")`: exit code, stdout and stderr of one `oncall` command."""
    monkeypatch.setattr(context, "clock", lambda: clock)

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:  # argparse rejects bad input this way
            code = exit_.code if isinstance(exit_.code, int) else 2
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def oncall(cli: Run, workspace: Workspace) -> Run:
    """`cli` on the test workspace (the demo's config, no incidents yet)."""
    return lambda *args: cli("--workspace", workspace.root, *args)
