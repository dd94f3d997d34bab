"""What every command needs: the workspace, its database and the service, opened the same way."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from typing import Any, Iterator

from typing import TYPE_CHECKING

from oncall.domain.clock import Clock, SystemClock
from oncall.workspace.paths import workspace_root

if TYPE_CHECKING:  # pydantic models load only when a command needs them: `oncall` starts fast
    from oncall.service.incidents import IncidentService
    from oncall.workspace.loader import Workspace

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2
EXIT_BUSY = 3  # the database was busy (another process writing): nothing changed, try again


class CommandError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def clock() -> Clock:
    return SystemClock()


def resolve_workspace(args: argparse.Namespace, *, seed_demo: bool = True) -> Workspace:
    """The workspace the command names; the demo (created and, with `seed_demo`, its database
    seeded on first use) when none is named.

    Problems in the config are printed as warnings: the command still runs on what loaded.
    """
    from oncall.workspace.config import ConfigError
    from oncall.workspace.loader import load_workspace
    from oncall.workspace.paths import DatabaseUnknown

    root = workspace_root(getattr(args, "workspace", None))
    if root is None and seed_demo:
        from oncall.demo.install import ensure_demo_workspace

        workspace = ensure_demo_workspace(clock().now())
    else:
        if root is None:  # the demo's files only: its database may be the very thing to mend
            from oncall.demo.install import copy_demo_config, demo_root

            root = demo_root()
            copy_demo_config(root)
        if not root.is_dir():
            raise CommandError(f"{root}: no such workspace folder (create one with `oncall init {root}`)")
        try:
            workspace = load_workspace(root, strict=True)
        except (ConfigError, DatabaseUnknown) as error:
            raise CommandError(str(error)) from None
    for problem in workspace.problems:
        print(f"oncall: warning: {problem}", file=sys.stderr)
    return workspace


@contextmanager
def open_service(args: argparse.Namespace) -> Iterator[IncidentService]:
    from oncall.service.incidents import IncidentService

    workspace = resolve_workspace(args)
    database = workspace.open_database()
    try:
        yield IncidentService(database, workspace.config, clock(), workspace.actor(), root=workspace.root)
    finally:
        database.close()


def print_json(document: Any) -> None:
    json.dump(document, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")
