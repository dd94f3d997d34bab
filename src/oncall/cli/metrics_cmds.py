"""oncall metrics: the monthly review's figures as a table, JSON (seconds) or CSV, for scripts
and spreadsheets. The service is imported inside the handler: `oncall` starts without it."""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date
from pathlib import Path

from oncall.cli import context
from oncall.cli.context import EXIT_BAD_INPUT, CommandError, print_json


TIME_ZONE_HELP = "for month boundaries (default: [metrics] time_zone in oncall.toml, else UTC)"


def register(commands: argparse._SubParsersAction) -> None:
    metrics = commands.add_parser("metrics", help="TTD, TTR, recurrence, detection and post-mortems, by month or more")
    metrics.add_argument("--from", dest="start", type=_day, metavar="DATE", help="first day (default: 12 months back)")
    metrics.add_argument("--to", dest="end", type=_day, metavar="DATE", help="last day, inclusive (default: today)")
    metrics.add_argument("--by", choices=("month", "severity", "asset", "source", "cause"), default="month")
    metrics.add_argument("--cost", action="store_true",
                         help="what incidents cost the team: hours each person held a role on them while open "
                              "(--by month, asset or cause)")
    metrics.add_argument("--format", choices=("table", "json", "csv"), default="table")
    metrics.add_argument("--time-zone", default=None, metavar="TZ", help=TIME_ZONE_HELP)
    metrics.set_defaults(handler=cmd_metrics)
    review = commands.add_parser("review", help="the monthly review as Markdown (and --html: one page with its charts)")
    review.add_argument("--month", required=True, metavar="YYYY-MM")
    review.add_argument("--html", type=Path, default=None, metavar="PATH", help="also write it as one HTML page")
    review.add_argument("--time-zone", default=None, metavar="TZ", help=TIME_ZONE_HELP)
    review.set_defaults(handler=cmd_review)


def cmd_review(args: argparse.Namespace) -> int:
    import os

    from oncall.domain.metrics import zone
    from oncall.service.incidents import IncidentService
    from oncall.service.metrics import MetricsService
    from oncall.service.postmortems import PostmortemService
    from oncall.service.review import parse_month, review_html, review_markdown

    try:
        month = parse_month(args.month)
        if args.time_zone is not None:
            zone(args.time_zone)
    except ValueError as error:
        raise CommandError(str(error), EXIT_BAD_INPUT) from None
    if args.html is not None and (args.html.is_dir() or not args.html.parent.is_dir()):
        raise CommandError(f"--html {args.html}: not a file in an existing folder", EXIT_BAD_INPUT)
    workspace = context.resolve_workspace(args)
    database = workspace.open_database()
    try:
        clock, actor = context.clock(), workspace.actor()
        metrics = MetricsService(database, workspace.config, clock)
        incidents = IncidentService(database, workspace.config, clock, actor)
        postmortems = PostmortemService(database, workspace.config, clock, actor)
        print(review_markdown(metrics, incidents, postmortems, month, args.time_zone), end="")
        if args.html is not None:
            page = review_html(metrics, incidents, postmortems, month, args.time_zone)
            partial = args.html.with_name(f".{args.html.name}.partial-{os.getpid()}")
            try:
                partial.write_text(page, "utf-8")
                partial.replace(args.html)
            except OSError as error:
                partial.unlink(missing_ok=True)
                raise CommandError(f"--html {args.html}: cannot write it ({error.strerror})", EXIT_BAD_INPUT) from None
            print(f"wrote {args.html}", file=sys.stderr)
    finally:
        database.close()
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (use YYYY-MM-DD)") from None


def cmd_metrics(args: argparse.Namespace) -> int:
    from oncall.domain.metrics import COST_GROUPINGS, zone
    from oncall.service.metrics import MetricsService

    try:
        if args.time_zone is not None:
            zone(args.time_zone)
    except ValueError as error:
        raise CommandError(str(error), EXIT_BAD_INPUT) from None
    if args.cost and args.by not in COST_GROUPINGS:
        raise CommandError(f"--cost groups by {', '.join(COST_GROUPINGS)}, not {args.by}", EXIT_BAD_INPUT)
    workspace = context.resolve_workspace(args)
    database = workspace.open_database()
    try:
        service = MetricsService(database, workspace.config, context.clock())
        try:
            if args.cost:
                report = service.cost(args.start, args.end, args.by, args.time_zone)
            else:
                report = service.report(args.start, args.end, args.by, args.time_zone)
        except ValueError as error:
            raise CommandError(str(error), EXIT_BAD_INPUT) from None
    finally:
        database.close()
    if args.cost:
        _cost_output(report, args.format)
    elif args.format == "json":
        print_json(_document(report))
    elif args.format == "csv":
        _csv(report)
    else:
        _table(report)
    return 0


def _row(bucket) -> dict:
    return {"bucket": bucket.key, "incidents": bucket.incidents, "by_severity": bucket.by_severity,
            "ttd_median_s": bucket.ttd.median_s, "ttd_p90_s": bucket.ttd.p90_s, "ttd_missing": bucket.ttd.missing,
            "ttr_median_s": bucket.ttr.median_s, "ttr_p90_s": bucket.ttr.p90_s, "ttr_missing": bucket.ttr.missing,
            "recurring": bucket.recurring, "internal": bucket.internal, "user_reported": bucket.user_reported,
            "postmortems_complete": bucket.postmortems_complete, "postmortems_due": bucket.postmortems_due,
            "overrides": bucket.overrides, "updates_owed": bucket.updates_owed,
            "updates_on_time": bucket.updates_on_time}


def _document(report) -> dict:
    return {"from": report.start.isoformat(), "to": report.end.isoformat(), "by": report.by,
            "time_zone": report.time_zone, "buckets": [_row(b) for b in report.buckets], "total": _row(report.total),
            "action_items_closed": report.action_items_closed, "action_items_overdue": report.action_items_overdue}


def _csv(report) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    columns = [c for c in _row(report.total) if c != "by_severity"]
    writer.writerow(columns)
    for bucket in (*report.buckets, report.total):
        row = _row(bucket)
        writer.writerow(["" if row[c] is None else row[c] for c in columns])


def _table(report) -> None:
    from oncall.domain.metrics import format_duration as d
    from oncall.domain.text import clean_line

    header = ("BUCKET", "INCIDENTS", "TTD MEDIAN", "TTD P90", "TTR MEDIAN", "TTR P90", "RECURRING", "INTERNAL",
              "POST-MORTEMS", "UPDATES ON TIME", "OVERRIDES")
    rows = []
    for b in (*report.buckets, report.total):
        share = b.internal_share
        rows.append((clean_line(b.key), str(b.incidents), d(b.ttd.median_s), d(b.ttd.p90_s), d(b.ttr.median_s),
                     d(b.ttr.p90_s), str(b.recurring), "—" if share is None else f"{share:.0%}",
                     f"{b.postmortems_complete}/{b.postmortems_due}", f"{b.updates_on_time}/{b.updates_owed}",
                     str(b.overrides)))
    print(f"incidents detected {report.start} to {report.end} ({report.time_zone}), by {report.by}; drills excluded")
    _print_table(header, rows)
    t = report.total
    print(f"TTD missing for {t.ttd.missing}, TTR for {t.ttr.missing} (not resolved, or no start time); "
          f"action items: {report.action_items_closed} closed, {report.action_items_overdue} overdue")


def _print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Columns padded to their widest cell, the first left-aligned, the rest right-aligned."""
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip())


def _cost_output(cost, form: str) -> None:
    """Person-hours: JSON and CSV one row per bucket, person and role (seconds); the table one row
    per person, a column per bucket (hours), and the total."""
    from oncall.domain.metrics import ROLE_ORDER, format_hours
    from oncall.domain.text import clean_line

    rows = sorted(cost.hours, key=lambda h: (cost.buckets.index(h.bucket) if h.bucket in cost.buckets else 0,
                                             h.person, ROLE_ORDER.index(h.role) if h.role in ROLE_ORDER else 9))
    if form == "json":
        print_json({"from": cost.start.isoformat(), "to": cost.end.isoformat(), "by": cost.by,
                    "time_zone": cost.time_zone,
                    "hours": [{"bucket": h.bucket, "person": h.person, "role": h.role, "seconds": h.seconds}
                              for h in rows],
                    "people": [{"person": person, "seconds": seconds} for person, seconds in cost.people()]})
        return
    if form == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["bucket", "person", "role", "seconds"])
        for h in rows:
            writer.writerow([h.bucket, h.person, h.role, round(h.seconds)])
        return
    print(f"person-hours on roles while incidents were open, detected {cost.start} to {cost.end} "
          f"({cost.time_zone}), by {cost.by}; drills excluded")
    buckets = [b for b in cost.buckets if any(h.bucket == b for h in cost.hours)]
    header = ("PERSON", *(clean_line(b)[:24] for b in buckets), "TOTAL")
    table = [(clean_line(person), *(format_hours(cost.seconds(person, b)) for b in buckets), format_hours(seconds))
             for person, seconds in cost.people()]
    table.append(("total", *(format_hours(sum(h.seconds for h in cost.hours if h.bucket == b)) for b in buckets),
                  format_hours(cost.total_seconds)))
    _print_table(header, table)
