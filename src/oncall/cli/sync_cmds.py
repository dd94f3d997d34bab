"""`oncall sync` and `oncall doctor`: drain the outbox to Jira and Slack, check the configuration."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from oncall.cli.context import EXIT_REFUSED, print_json, resolve_workspace


def register(commands: argparse._SubParsersAction) -> None:
    sync = commands.add_parser(
        "sync", help="send pending changes to Jira and Slack (exit 0 when everything is delivered)")
    sync.add_argument("--watch", action="store_true", help="keep syncing until interrupted (ctrl+c)")
    sync.add_argument("--max-wait", type=float, default=120.0, metavar="SECONDS",
                      help="how long to keep retrying before giving up on this run (default 120)")
    sync.add_argument("--json", action="store_true")
    sync.add_argument("--verbose", "-v", action="store_true", help="log every retry")
    sync.set_defaults(handler=cmd_sync)

    doctor = commands.add_parser("doctor", help="check the Jira and Slack settings against the live services")
    doctor.add_argument("--json", action="store_true")
    doctor.set_defaults(handler=cmd_doctor)


def cmd_sync(args: argparse.Namespace) -> int:
    from oncall.sync.retry import SystemTimer
    from oncall.sync.status import sync_status
    from oncall.sync.worker import SyncReport, SyncWorker

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="oncall: %(message)s")
    workspace = resolve_workspace(args)
    stop = threading.Event()
    worker = SyncWorker.for_workspace(workspace, timer=SystemTimer(stop))
    try:
        if worker.offline:
            print("offline: no [jira], [slack] or [email] in oncall.toml; everything stays local")
            return 0
        if args.watch:
            previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
            _start_daily_backups(workspace, stop)

            def show(report: SyncReport) -> None:
                if any(t.delivered or t.retrying or t.failed for t in report.targets.values()):
                    for line in report.lines():
                        print(line, flush=True)

            try:
                worker.watch(stop, on_pass=show)
            except KeyboardInterrupt:
                stop.set()
            finally:
                signal.signal(signal.SIGTERM, previous)
            return 0
        report = worker.drain(max_wait=args.max_wait)
        database = workspace.open_database()
        try:
            summary = sync_status(database, workspace.config)
        finally:
            database.close()
        if args.json:
            print_json({"complete": report.complete, "state": summary.state, "summary": summary.text,
                        "pending": report.pending, "failed": report.failed,
                        "targets": {t: vars(r) for t, r in report.targets.items()}})
        else:
            for line in report.lines():
                print(line)
            print(summary.text)
        return 0 if report.complete else EXIT_REFUSED
    finally:
        worker.close()


def _start_daily_backups(workspace, stop: threading.Event) -> None:
    """While watching, back the database up once a day (docs/data-safety.md), in a thread of its
    own so a backup never holds up sending."""
    from oncall.cli.context import clock
    from oncall.store.backup import DEFAULT_KEEP, keep_backing_up

    def said(outcome) -> None:
        if outcome.problem:
            print(f"oncall: backup: {outcome.problem}", file=sys.stderr, flush=True)

    keep = getattr(workspace.config.workspace, "backups", DEFAULT_KEEP)
    threading.Thread(target=keep_backing_up, args=(workspace.database_path, keep, lambda: clock().now(), stop, said),
                     name="daily-backup", daemon=True).start()


def cmd_doctor(args: argparse.Namespace) -> int:
    from oncall.store.remote_ids import RemoteIds
    from oncall.sync.doctor import run_doctor
    from oncall.sync.thread_link import REFUSED_STATE

    workspace = resolve_workspace(args)
    database = workspace.open_database()
    try:
        ids = RemoteIds(database)
        used, link_refusal = ids.transitions_done(), ids.state(REFUSED_STATE) or ""
    finally:
        database.close()
    checks = run_doctor(workspace.config, used_transitions=used, link_refusal=link_refusal)
    if args.json:
        print_json([{"level": c.level, "check": c.what, "detail": c.detail} for c in checks])
    else:
        for check in checks:
            print(check, file=sys.stdout)
    return EXIT_REFUSED if any(c.level == "fail" for c in checks) else 0
