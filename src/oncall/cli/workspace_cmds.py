"""`oncall init` (a new workspace) and `oncall demo generate` / `oncall demo remove` (the demo,
with synthetic history kept out of real queues)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from oncall.cli import context
from oncall.cli.context import EXIT_BAD_INPUT, EXIT_REFUSED, CommandError, print_json
from oncall.workspace.paths import CONFIG_NAME, workspace_root


def register(commands: argparse._SubParsersAction) -> None:
    init = commands.add_parser("init", help="create an empty workspace with a commented oncall.toml")
    init.add_argument("path")
    init.set_defaults(handler=cmd_init)

    demo = commands.add_parser("demo", help="the demo workspace")
    demo_commands = demo.add_subparsers(dest="demo_command", metavar="COMMAND", required=True)
    generate = demo_commands.add_parser(
        "generate", help="create the demo workspace at --workspace (if none is there) and add synthetic incidents"
    )
    generate.add_argument("--incidents", type=int, default=1000, help="how many synthetic incidents (default 1000)")
    generate.add_argument("--seed", type=int, default=7, help="random seed, for repeatable history")
    generate.add_argument("--force", action="store_true",
                          help="add it even to a workspace with incidents of its own (marked, removable)")
    generate.add_argument("--json", action="store_true")
    generate.set_defaults(handler=cmd_demo_generate)
    remove = demo_commands.add_parser("remove", help="remove every synthetic incident from --workspace")
    remove.add_argument("--json", action="store_true")
    remove.set_defaults(handler=cmd_demo_remove)


def cmd_init(args: argparse.Namespace) -> int:
    root = Path(args.path)
    config = root / CONFIG_NAME
    if root.exists() and not root.is_dir():
        raise CommandError(f"{root} is a file, not a folder: name a folder for the workspace; nothing was changed")
    if config.exists():
        raise CommandError(f"{config} already exists; nothing was changed")
    from oncall.workspace.template import WORKSPACE_TEMPLATE

    try:
        root.mkdir(parents=True, exist_ok=True)
        config.write_text(WORKSPACE_TEMPLATE, "utf-8")
        for folder in ("runbooks", "templates", "drills"):
            (root / folder).mkdir(exist_ok=True)
    except OSError as error:  # a file where a parent folder should be, no permission, a full disk
        raise CommandError(f"cannot create the workspace at {root}: {error.strerror or error}") from None
    print(f"created {config}; edit the roster and assets, then run `oncall --workspace {root}`")
    return 0


def cmd_demo_generate(args: argparse.Namespace) -> int:
    from oncall.demo.generate import counts, generate_incidents, is_demo, mark_demo, seeds_used
    from oncall.demo.install import copy_demo_config, demo_root

    if args.incidents < 0:
        raise CommandError("--incidents must be 0 or more")
    root = workspace_root(getattr(args, "workspace", None))
    if root is None:
        raise CommandError("say where: oncall demo generate --workspace PATH (or set ONCALL_WORKSPACE)")
    created = copy_demo_config(root)
    workspace = _load(root)
    started = time.perf_counter()
    database = workspace.open_database()
    try:
        if created or _same(root, demo_root()):
            mark_demo(database)
        own, synthetic = counts(database)
        if own and not is_demo(database) and not args.force:
            raise CommandError(
                f"{root} holds {own} incident{'s' if own != 1 else ''} of its own: synthetic history goes only into "
                f"a demo workspace. Run `oncall demo generate --workspace NEW_FOLDER` for one, or add --force to add "
                "it here anyway (marked as synthetic; `oncall demo remove` takes it out again)", EXIT_REFUSED)
        if args.seed in seeds_used(database):
            raise CommandError(
                f"synthetic history with seed {args.seed} is already in {root} ({synthetic} synthetic incidents): "
                "give another --seed to add more, or run `oncall demo remove` first", EXIT_REFUSED)
        generate_incidents(database, workspace.config, args.incidents, context.clock().now(), seed=args.seed)
        total = database.conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
    finally:
        database.close()
    seconds = time.perf_counter() - started
    if args.json:
        print_json({"workspace": str(root), "created": created, "added": args.incidents, "total": total,
                    "database": str(workspace.database_path), "seconds": round(seconds, 2)})
    else:
        made = "created the demo workspace at" if created else "used the workspace at"
        print(f"{made} {root}; added {args.incidents} synthetic incidents in {seconds:.1f}s ({total} in all)")
        print(f"database: {workspace.database_path}")
    return 0


def cmd_demo_remove(args: argparse.Namespace) -> int:
    from oncall.demo.generate import remove_synthetic

    root = workspace_root(getattr(args, "workspace", None))
    if root is None:
        raise CommandError("say where: oncall demo remove --workspace PATH (or set ONCALL_WORKSPACE)")
    workspace = _load(root)
    database = workspace.open_database()
    try:
        removed = remove_synthetic(database)
        left = database.conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
    finally:
        database.close()
    if args.json:
        print_json({"workspace": str(root), "removed": removed, "left": left})
    else:
        print(f"removed {removed} synthetic incidents from {root} ({left} left)")
    return 0


def _load(root: Path):
    from oncall.workspace.config import ConfigError
    from oncall.workspace.loader import load_workspace
    from oncall.workspace.paths import DatabaseUnknown

    try:
        return load_workspace(root, strict=True)
    except (ConfigError, DatabaseUnknown) as error:
        raise CommandError(str(error), EXIT_BAD_INPUT) from None


def _same(a: Path, b: Path) -> bool:
    return a.expanduser().resolve() == b.expanduser().resolve()
