"""Keeping local data safe: `oncall backup`, `backups`, `restore`, `db check`, `db rescue`,
`export` and `import` (docs/data-safety.md).

These commands work on a database that cannot be opened normally (damaged, empty, from a newer
oncall): they find its file without opening it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from oncall.cli import context
from oncall.cli.context import EXIT_BAD_INPUT, EXIT_REFUSED, CommandError, print_json

DAMAGED = EXIT_BAD_INPUT  # a damaged database is said like bad input: exit 2


def register(commands: argparse._SubParsersAction) -> None:
    backup = commands.add_parser("backup", help="back the database up now (an online copy, checked)")
    backup.add_argument("--to", metavar="PATH", type=Path,
                        help="a new file, or a folder to put it in (default: the backups folder beside the database)")
    backup.add_argument("--json", action="store_true")
    backup.set_defaults(handler=cmd_backup)

    backups = commands.add_parser("backups", help="list the backups: when, how big, how many incidents")
    backups.add_argument("--json", action="store_true")
    backups.set_defaults(handler=cmd_backups)

    restore = commands.add_parser(
        "restore", help="put a backup back (checked first; the replaced file is kept; not while oncall runs)")
    restore.add_argument("path", type=Path, help="the backup file (`oncall backups` lists them)")
    restore.add_argument("--json", action="store_true")
    restore.set_defaults(handler=cmd_restore)

    db = commands.add_parser("db", help="check the database, or rescue what can be read from a damaged one")
    db_commands = db.add_subparsers(dest="db_command", metavar="COMMAND", required=True)
    check = db_commands.add_parser("check", help="SQLite's integrity check and oncall's own invariants")
    check.add_argument("--file", type=Path, metavar="PATH", help="check this file instead (a backup, a rescued copy)")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=cmd_db_check)
    rescue = db_commands.add_parser("rescue", help="copy what can be read from a damaged database into a new file")
    rescue.add_argument("--from", dest="source", type=Path, metavar="PATH",
                        help="the damaged file (default: the workspace's database)")
    rescue.add_argument("--to", type=Path, metavar="PATH", help="the new file (default: beside the damaged one)")
    rescue.add_argument("--json", action="store_true")
    rescue.set_defaults(handler=cmd_db_rescue)

    export = commands.add_parser(
        "export", help="every incident, its timeline and the unsent outbox as one JSON document")
    export.add_argument("--to", type=Path, metavar="PATH", help="write it to this file (default: standard output)")
    export.add_argument("--json", action="store_true",
                        help="the document is JSON either way; with --to, the summary is printed as JSON too")
    export.set_defaults(handler=cmd_export)

    imports = commands.add_parser("import", help="read an export into an empty database")
    imports.add_argument("path", help="the export file, or - for standard input")
    imports.add_argument("--json", action="store_true")
    imports.set_defaults(handler=cmd_import)



# -- handlers ---------------------------------------------------------------------------------


def cmd_backup(args: argparse.Namespace) -> int:
    from oncall.store.backup import human_size, take_backup

    workspace = _workspace(args)
    started = time.perf_counter()
    info = take_backup(workspace.database_path, context.clock().now(), to=args.to, keep=_keep(workspace))
    seconds = time.perf_counter() - started
    if args.json:
        print_json({"database": str(workspace.database_path), "backup": str(info.path), "taken_at": info.taken_at,
                    "size": info.size, "incidents": info.incidents, "seconds": round(seconds, 2)})
    else:
        print(f"backed up {workspace.database_path} to {info.path} "
              f"({info.incidents} incidents, {human_size(info.size)}, {seconds:.1f} s)")
    return 0


def cmd_backups(args: argparse.Namespace) -> int:
    from oncall.domain.clock import humanize_age
    from oncall.store.backup import backups_folder, human_size, list_backups

    workspace = _workspace(args)
    database = workspace.database_path
    found = list_backups(database)
    if args.json:
        print_json({"database": str(database), "folder": str(backups_folder(database)), "keep": _keep(workspace),
                    "backups": [{"path": str(b.path), "taken_at": b.taken_at, "size": b.size,
                                 "incidents": b.incidents, "problem": b.problem} for b in found]})
        return 0
    if not found:
        print(f"no backups of {database} yet: the console and `oncall sync --watch` take one a day, "
              "`oncall backup` takes one now")
        return 0
    now = context.clock().now()
    print(f"backups of {database} (the newest {_keep(workspace)} are kept: [workspace] backups in oncall.toml)")
    print(f"{'TAKEN (UTC)':<16} {'AGE':>5}  {'SIZE':>9}  {'INCIDENTS':>9}  FILE")
    for info in found:
        count = str(info.incidents) if info.incidents is not None else "unreadable"
        age = humanize_age(now - info.taken_at) if info.taken_at <= now else "-"
        print(f"{info.taken_at:%Y-%m-%d %H:%M} {age:>5}  {human_size(info.size):>9}  {count:>9}  {info.path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from oncall.store.restore import DatabaseInUse, restore_backup

    workspace = _workspace(args)
    try:
        report = restore_backup(workspace.database_path, args.path, context.clock().now())
    except DatabaseInUse as refused:
        raise CommandError(str(refused), EXIT_REFUSED) from None
    if args.json:
        print_json({"database": str(report.database), "restored_from": str(report.restored_from),
                    "incidents": report.incidents, "kept_aside": str(report.kept_aside) if report.kept_aside else None,
                    "newer_events": report.newer_events, "newer_unsent": report.newer_unsent})
    else:
        for line in report.lines():
            print(line)
    return 0


def cmd_db_check(args: argparse.Namespace) -> int:
    from oncall.store.health import check_database

    path = args.file or _workspace(args).database_path
    if not path.exists():
        raise CommandError(f"{path}: no such file; nothing to check")
    report = check_database(path)
    if args.json:
        print_json({"database": str(path), "ok": report.ok, "schema_version": report.schema_version,
                    "incidents": report.incidents, "events": report.events, "outbox": report.outbox,
                    "findings": [{"check": f.check, "ok": f.ok, "detail": f.detail} for f in report.findings]})
    else:
        print(report.summary())
        for finding in report.findings:
            print(f"  {finding}")
        if not report.ok:
            print(f"what to do: restore a backup (`oncall backups`, `oncall restore PATH`), or copy what can be "
                  f"read into a new file with `oncall db rescue`", file=sys.stderr)
    return 0 if report.ok else DAMAGED


def cmd_db_rescue(args: argparse.Namespace) -> int:
    from oncall.store.rescue import rescue_database

    workspace = _workspace(args)
    source = args.source or workspace.database_path
    stamp = context.clock().now().strftime("%Y%m%dT%H%M%SZ")
    target = args.to or source.with_name(f"{source.stem}-rescued-{stamp}.db")
    if target.exists():
        raise CommandError(f"{target} already exists; name a new file with --to")
    if not source.exists():
        raise CommandError(f"{source}: no such file; nothing to rescue")
    from oncall.store.outbox import configured_targets

    targets = configured_targets(workspace.config)
    report = rescue_database(source, target, targets)
    if args.json:
        print_json({"source": str(source), "rescued": str(target), "complete": report.complete,
                    "tables": {name: {"saved": t.saved, "unreadable": t.unreadable, "orphans": t.orphans,
                                      "lost": t.whole_table_lost} for name, t in report.tables.items()},
                    "lost_unsent": [{"outbox_id": e.outbox_id, "incident_id": e.incident_id,
                                     "event_id": e.event_id, "what": e.what} for e in report.lost_unsent],
                    "pending_saved": report.pending_saved})
    else:
        for line in report.lines():
            print(line)
        print(f"next: `oncall db check --file {target}`, then `oncall restore {target}` to use it")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from oncall.store.db import open_database
    from oncall.store.transfer import export_document

    workspace = _workspace(args)
    from oncall.store.outbox import configured_targets

    targets = configured_targets(workspace.config)
    database = open_database(workspace.database_path)
    try:
        if args.to is None:
            export_document(database, sys.stdout, context.clock().now(), targets)
            return 0
        partial = args.to.with_name(f".{args.to.name}.partial-{os.getpid()}")
        try:
            with open(partial, "w", encoding="utf-8") as out:
                counts = export_document(database, out, context.clock().now(), targets)
            os.replace(partial, args.to)
        except OSError as error:
            raise CommandError(f"cannot write {args.to} ({error.strerror or error}); nothing was exported") from None
        finally:
            if partial.exists():
                partial.unlink()
    finally:
        database.close()
    if args.json:
        print_json({"file": str(args.to), "incidents": counts.incidents, "events": counts.events,
                    "outbox": counts.outbox})
    else:
        print(f"exported {counts.describe()} to {args.to}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from oncall.store.db import open_database
    from oncall.store.transfer import ImportRefused, import_document

    name = "standard input" if args.path == "-" else args.path
    try:
        if args.path == "-":
            document = json.load(sys.stdin)
        else:
            with open(args.path, encoding="utf-8") as file:
                document = json.load(file)
    except OSError as error:
        raise CommandError(f"{name}: cannot read it ({error.strerror or error})") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise CommandError(f"{name}: not JSON ({error}); nothing was imported") from None
    workspace = _workspace(args)
    database = open_database(workspace.database_path)
    try:
        counts = import_document(database, document)
    except ImportRefused as refused:
        raise CommandError(f"{name}: {refused}", EXIT_REFUSED) from None
    finally:
        database.close()
    if args.json:
        print_json({"database": str(workspace.database_path), "incidents": counts.incidents,
                    "events": counts.events, "outbox": counts.outbox})
    else:
        print(f"imported {counts.describe()} into {workspace.database_path}")
    return 0


# -- helpers ----------------------------------------------------------------------------------


def _workspace(args: argparse.Namespace):
    """The workspace, found without opening its database (which may be the damaged thing)."""
    return context.resolve_workspace(args, seed_demo=False)


def _keep(workspace) -> int:
    from oncall.store.backup import DEFAULT_KEEP

    return getattr(workspace.config.workspace, "backups", DEFAULT_KEEP)
