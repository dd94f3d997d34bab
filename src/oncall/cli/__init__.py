"""The command line: `oncall` opens the console; subcommands mirror it for scripting.

Exit codes: 0 done, 1 the action was refused (a lifecycle rule, a sync that did not finish),
2 bad input (unknown severity, a broken config file, no such incident), 3 the database was busy
(another process writing for longer than the busy timeout: nothing changed, try again), 70 a fault
in oncall itself (one line says where the details were written; never a traceback).
The console (Textual) is imported only when it is opened, so scripts start fast.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Sequence

from oncall.cli import (action_cmds, alert_cmds, comms_cmds, db_cmds, drill_cmds, incident_cmds, intake_cmds, metrics_cmds,
                        people_cmds, postmortem_cmds, role_cmds, runbook_cmds, runbook_work_cmds, statuspage_cmds,
                        sync_cmds, workspace_cmds)
from oncall.cli.context import EXIT_BAD_INPUT, EXIT_BUSY, CommandError
from oncall.cli.crash import report_crash
from oncall.cli.database_errors import say_database_error
from oncall.store.db import DatabaseBusy
from oncall.store.problems import DatabaseProblem

COMMAND_MODULES = (incident_cmds, role_cmds, workspace_cmds, sync_cmds, db_cmds, people_cmds, runbook_cmds,
                   runbook_work_cmds, comms_cmds, postmortem_cmds, action_cmds, drill_cmds, metrics_cmds,
                   intake_cmds, alert_cmds, statuspage_cmds)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oncall",
        description="Run a data incident from first alarm to post-mortem. With no command, opens the console.",
    )
    parser.add_argument(
        "--workspace", "-w", metavar="PATH",
        help="the workspace folder (default: $ONCALL_WORKSPACE, else the bundled demo)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    add_workspace_option(commands)
    return parser


def add_workspace_option(commands: argparse._SubParsersAction) -> None:
    """Let `--workspace` come after the command too (`oncall list --workspace PATH`)."""
    for sub in commands.choices.values():
        sub.add_argument("--workspace", "-w", metavar="PATH", default=argparse.SUPPRESS,
                         help="the workspace folder (default: $ONCALL_WORKSPACE, else the demo)")
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                add_workspace_option(action)


def main(argv: Sequence[str] | None = None) -> int:
    args = None
    try:
        args = build_parser().parse_args(argv)
        handler = getattr(args, "handler", None)
        if handler is None:
            from oncall.cli.console import open_console

            return open_console(args)
        return handler(args)
    except CommandError as error:
        print(f"oncall: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `oncall list | head`: the reader has what it wanted. Say nothing more, and do not
        # fail at exit flushing stdout again (the recipe from Python's signal docs).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except DatabaseProblem as problem:  # damaged, empty, newer, a full or read-only disk: plain words
        print(f"oncall: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except sqlite3.DatabaseError as error:
        if isinstance(error, sqlite3.OperationalError) and ("locked" in str(error) or "busy" in str(error)):
            print(f"oncall: {error if isinstance(error, DatabaseBusy) else DatabaseBusy(None)}", file=sys.stderr)
            return EXIT_BUSY
        said = say_database_error(error, args)  # a damaged page met while reading: plain words, exit 2
        return said if said is not None else report_crash(error)
    except Exception as error:  # the last resort: one line and a file with the details, never a traceback
        return report_crash(error)
