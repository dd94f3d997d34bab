"""A database file that cannot be used is said in plain words (exit 2), never as a traceback, by
every command (`cli.main` asks `say_database_error`).

The store raises a `DatabaseProblem` where it can tell (opening the file, a write on a full or
read-only disk); a damaged page met later, in the middle of a read, arrives as a bare
`sqlite3.DatabaseError` and is explained here, naming the workspace's database file.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from oncall.cli.context import EXIT_BAD_INPUT
from oncall.store.problems import explain

def say_database_error(error: sqlite3.DatabaseError, args: argparse.Namespace | None) -> int | None:
    """Print the plain words for a database error and return the exit status, or None if the
    error is not about the database file (a fault of oncall's own, said by the last resort)."""
    problem = explain(error, database_of(args) if args is not None else None)
    if problem is None:
        return None
    print(f"oncall: {problem}", file=sys.stderr)
    return EXIT_BAD_INPUT


def database_of(args: argparse.Namespace) -> Path | None:
    """The database the command's workspace uses (the demo's when none is named), if known."""
    from oncall.workspace.paths import glance, workspace_root

    try:
        root = workspace_root(getattr(args, "workspace", None))
        if root is None:
            from oncall.demo.install import demo_root

            root = demo_root()
        return glance(root).database_path
    except Exception:  # the message is still plain without the path
        return None
