"""Opening the console: the one place the command line imports Textual."""

from __future__ import annotations

import argparse

from oncall.cli.context import clock
from oncall.workspace.loader import load_workspace, workspace_root


def open_console(args: argparse.Namespace) -> int:
    root = workspace_root(getattr(args, "workspace", None))
    if root is None:
        from oncall.demo.install import ensure_demo_workspace

        workspace = ensure_demo_workspace(clock().now())
    else:
        # Not strict: a broken config still opens the console, which shows what is wrong.
        workspace = load_workspace(root)
    from oncall.tui.app import OncallApp

    OncallApp(workspace, clock=clock()).run()
    return 0
