"""Opening the console: the one place the command line imports Textual.

Only what the first paint needs is read before the app starts (the database path, via a
tomllib glance); the validated config loads right after the queue is on screen.
"""

from __future__ import annotations

import argparse

import sys

from oncall.cli.context import EXIT_BAD_INPUT, clock
from oncall.workspace.paths import DatabaseUnknown, glance, workspace_root


def open_console(args: argparse.Namespace) -> int:
    root = workspace_root(getattr(args, "workspace", None))
    if root is None:
        from oncall.demo.install import ensure_demo_root

        root = ensure_demo_root(clock().now())
    try:
        glance(root)  # the database the commands would use, or none: never a different one
    except DatabaseUnknown as error:
        print(f"oncall: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from oncall.tui.app import OncallApp

    # A config with broken entries still opens the console, which shows what is wrong.
    app = OncallApp(root, clock=clock())
    app.run()
    return app.return_code or 0
