"""report, triage, asset, ingest dbt, lineage: what reaches oncall before anyone declares, and the
IC's decision on it."""

from __future__ import annotations

import argparse
import sys

from oncall.cli import arguments, incident_cmds
from oncall.cli.arguments import DASHED_TEXT, incident_id, take_dashed_values
from oncall.cli.context import CommandError, clock, print_json, resolve_workspace
from oncall.domain.detection import UNKNOWN_ASSET
from oncall.domain.rules import RuleViolation


SHOWN_OPENED = 10  # items named after an ingest; the rest are counted (`--json` lists every id)


def register(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser("report", help="report data that looks wrong: opens a triage item and "
                                                "acknowledges the reporter")
    report.add_argument("text", nargs="+", help="what looks wrong, in the reporter's words")
    report.add_argument("--from", dest="reporter", required=True,
                        help="who reports it: a roster id, a Slack user id (U04ABCDEF) or an email address")
    report.add_argument("--asset", default="", help="the asset that looks wrong (default: the IC chooses)")
    report.add_argument("--json", action="store_true")
    report.set_defaults(handler=cmd_report)
    take_dashed_values(report, DASHED_TEXT)

    triage = commands.add_parser("triage", help="declare a triage item an incident, or dismiss it")
    actions = triage.add_subparsers(dest="triage_action", metavar="ACTION", required=True)
    declare = actions.add_parser("declare", help="make a triage item an incident (its reporter is told)")
    declare.add_argument("id", type=incident_id)
    declare.add_argument("--severity", required=True, type=arguments.severity, help="SEV-1, SEV-2 or SEV-3")
    declare.add_argument("--asset", default="", help="the affected asset (needed when the item has none)")
    declare.add_argument("--identified", action="store_true", help="the cause is known already")
    declare.add_argument("--json", action="store_true")
    declare.set_defaults(handler=cmd_triage_declare)
    dismiss = actions.add_parser("dismiss", help="not an incident: end the item (its reporter is told why)")
    dismiss.add_argument("id", type=incident_id)
    dismiss.add_argument("--reason", required=True, help="why it is not an incident (the reporter reads it)")
    dismiss.add_argument("--json", action="store_true")
    dismiss.set_defaults(handler=cmd_triage_dismiss)
    take_dashed_values(dismiss, DASHED_TEXT)

    asset = commands.add_parser("asset", help="choose or correct an incident's affected asset")
    asset.add_argument("id", type=incident_id)
    asset.add_argument("asset", help="an asset id (oncall.toml's, or one dbt's lineage gave)")
    asset.add_argument("--json", action="store_true")
    asset.set_defaults(handler=cmd_asset)

    ingest = commands.add_parser("ingest", help="read results from outside tools")
    tools = ingest.add_subparsers(dest="ingest_tool", metavar="TOOL", required=True)
    dbt = tools.add_parser("dbt", help="read dbt's run_results.json, sources.json and manifest.json: failures "
                                      "open or update triage items, passes record recoveries, the manifest "
                                      "gives lineage")
    dbt.add_argument("--target-dir", dest="target_dir", required=True,
                     help="dbt's target folder (where run_results.json is written)")
    dbt.add_argument("--warnings", action="store_true", help="make warnings SEV-3 items too")
    dbt.add_argument("--json", action="store_true")
    dbt.set_defaults(handler=cmd_ingest_dbt)

    lineage = commands.add_parser("lineage", help="what an asset reads from and who reads it, with open incidents")
    lineage.add_argument("asset", help="an asset id, or INC-N for that incident's asset")
    lineage.add_argument("--json", action="store_true")
    lineage.set_defaults(handler=cmd_lineage)


def _intake(args: argparse.Namespace):
    from oncall.service.intake import IntakeService

    workspace = resolve_workspace(args)
    database = workspace.open_database()
    return database, IntakeService(database, workspace.config, clock(), workspace.actor(), root=workspace.root)


def _get(service, number: int):
    return incident_cmds._get(service.incident_service, number)


def _known_asset(service, asset: str, hint: str = "") -> None:
    """An asset the workspace does not list is bad input (exit 2), as in `oncall declare`."""
    if asset and service.config.assets and not service.config.asset(asset):
        known = ", ".join(a.id for a in service.config.assets)
        raise CommandError(f"unknown asset {asset!r}; known assets: {known}{hint}")


def cmd_report(args: argparse.Namespace) -> int:
    from oncall.domain.reporter import parse_reporter

    from oncall.domain.text import clean_block, clean_line

    if not clean_block(" ".join(args.text)).strip():
        raise CommandError("say what looks wrong: the report's text is empty")
    if not clean_line(args.reporter).strip():
        raise CommandError("--from: say who reports it (a roster id, a Slack user id or an email address)")
    database, service = _intake(args)
    try:
        try:
            parse_reporter(args.reporter, lambda person: service.config.person(person) is not None)
        except RuleViolation as problem:
            raise CommandError(f"--from: {str(problem).removeprefix('reported-by: ')}") from None
        _known_asset(service, args.asset, " (or leave --asset out)")
        reported = incident_cmds._act(lambda: service.report(args.reporter, " ".join(args.text), args.asset))
        incident = reported.incident
        incident_cmds._report(args, incident, f"opened {incident.ref} for triage: {incident.title} (on {incident.asset}); "
                             f"{args.reporter} is acknowledged")
    finally:
        database.close()
    return 0


def cmd_triage_declare(args: argparse.Namespace) -> int:
    from oncall.domain.status import Status

    database, service = _intake(args)
    try:
        _get(service, args.id)
        _known_asset(service, args.asset)
        status = Status.IDENTIFIED if args.identified else Status.INVESTIGATING
        incident = incident_cmds._act(lambda: service.declare_item(args.id, args.severity, args.asset, status))
        incident_cmds._report(args, incident, f"{incident.ref} is declared {incident.severity.value}, {incident.status.value}"
                             + (f"; {incident.reported_by} is told" if incident.reported_by else ""))
    finally:
        database.close()
    return 0


def cmd_triage_dismiss(args: argparse.Namespace) -> int:
    from oncall.domain.text import clean_line

    if not clean_line(args.reason).strip():
        raise CommandError("--reason: say why it is not an incident (the reporter reads it)")
    database, service = _intake(args)
    try:
        _get(service, args.id)
        incident = incident_cmds._act(lambda: service.dismiss_item(args.id, args.reason))
        incident_cmds._report(args, incident, f"{incident.ref} is dismissed" + (f"; {incident.reported_by} is told why"
                                                                 if incident.reported_by else ""))
    finally:
        database.close()
    return 0


def cmd_asset(args: argparse.Namespace) -> int:
    database, service = _intake(args)
    try:
        _get(service, args.id)
        _known_asset(service, args.asset)
        incident = incident_cmds._act(lambda: service.incident_service.set_asset(args.id, args.asset))
        incident_cmds._report(args, incident, f"{incident.ref} is on {incident.asset}")
    finally:
        database.close()
    return 0


def cmd_ingest_dbt(args: argparse.Namespace) -> int:
    from pathlib import Path

    from oncall.intake.dbt import ArtifactError, read_dbt

    target = Path(args.target_dir).expanduser()
    if target.exists() and not target.is_dir():
        raise CommandError(f"--target-dir {target}: a file, not a folder (dbt writes its artifacts to target/)")
    if not target.is_dir():
        raise CommandError(f"--target-dir {target}: no such folder (dbt writes its artifacts to target/)")
    try:
        run = read_dbt(target, warnings=args.warnings)
    except ArtifactError as problem:
        raise CommandError(f"{target}: {problem}; nothing was ingested") from None
    database, service = _intake(args)
    try:
        nodes = service.absorb_lineage(run.nodes) if run.nodes else 0
        absorbed = service.absorb(run.signals)
    finally:
        database.close()
    for note in run.notes:
        print(f"oncall: note: {note}", file=sys.stderr)
    if args.json:
        print_json({**absorbed.as_dict(), "signals": len(run.signals), "lineage_nodes": nodes,
                    "dbt_version": run.dbt_version, "opened_ids": list(absorbed.opened),
                    "notes": list(run.notes)})
        return 0
    said = [f"{len(absorbed.opened)} opened", f"{len(absorbed.updated)} updated",
            f"{len(absorbed.recovered)} recovered", f"{absorbed.unchanged} unchanged"]
    print(f"dbt {run.dbt_version or '(version unknown)'}: {len(run.signals)} results read; " + ", ".join(said)
          + (f"; lineage of {nodes} nodes" if run.nodes else ""))
    for incident_id in absorbed.opened[:SHOWN_OPENED]:
        print(f"  opened INC-{incident_id}")
    if len(absorbed.opened) > SHOWN_OPENED:
        print(f"  … and {len(absorbed.opened) - SHOWN_OPENED} more (oncall list --status triage)")
    return 0


def cmd_lineage(args: argparse.Namespace) -> int:
    from oncall.service.lineage import lineage_view

    database, service = _intake(args)
    try:
        asset_id = args.asset.strip()
        if asset_id.upper().startswith("INC-") and asset_id[4:].isdigit():
            incident = _get(service, int(asset_id[4:]))
            if incident.asset == UNKNOWN_ASSET:
                raise CommandError(f"{incident.ref} has no asset yet: choose one with "
                                   f"`oncall asset {incident.id} ASSET`")
            asset_id = incident.asset
        try:
            view = lineage_view(database, service.config, asset_id)
        except KeyError:
            known = ", ".join(a.id for a in service.config.assets) or "none yet"
            raise CommandError(f"unknown asset {asset_id!r}; known assets: {known}") from None
    finally:
        database.close()
    if args.json:
        print_json(view.as_dict())
    else:
        for line in view.lines():
            print(line)
    return 0
