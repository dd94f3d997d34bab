"""postmortem draft / show / set / status / export / history, and cause: the blameless post-mortem
of a resolved incident and its root cause, from the command line.

The service (and with it pydantic) is imported inside the handlers: `oncall` starts without them.
The helpers at the bottom (opening the post-mortem service, mapping its refusals to exit codes,
naming people) are shared with `action_cmds.py`."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, TypeVar

from oncall.cli.arguments import incident_id, parser_type
from oncall.cli.context import EXIT_REFUSED, CommandError, open_service, print_json
from oncall.cli.output import block
from oncall.domain.clock import to_text
from oncall.domain.postmortem import PostmortemStatus, Section, blame_flags
from oncall.domain.rules import RuleViolation
from oncall.domain.text import clean_block, clean_line

if TYPE_CHECKING:  # pydantic-backed: imported when a command runs, not when `oncall` starts
    from oncall.domain.incident import Incident
    from oncall.service.postmortems import PostmortemService
    from oncall.store.postmortems import Postmortem, SectionText

T = TypeVar("T")

section = parser_type(Section.parse, "section")
postmortem_status = parser_type(PostmortemStatus.parse, "status")

STDIN = "-"
SECTION_MAX = 200_000  # characters, as `service.postmortems.SECTION_MAX` (not imported: it loads pydantic)
READ_LIMIT = 4 * SECTION_MAX + 4  # bytes: the most a section's worth of UTF-8 can take (and a BOM)


def register(commands: argparse._SubParsersAction) -> None:
    postmortem = commands.add_parser("postmortem", help="the blameless post-mortem of a resolved incident")
    sub = postmortem.add_subparsers(dest="postmortem_command", metavar="COMMAND", required=True)

    draft = sub.add_parser("draft", help="draft the post-mortem from the timeline (once resolved) and print it")
    draft.add_argument("id", type=incident_id)
    draft.set_defaults(handler=cmd_draft)

    show = sub.add_parser("show", help="the post-mortem's status, who moved it and when, and its sections")
    show.add_argument("id", type=incident_id)
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)

    edit = sub.add_parser("set", help="replace a section's text with a file's (or stdin's); the old text stays "
                                      "in its history")
    edit.add_argument("id", type=incident_id)
    edit.add_argument("section", type=section, metavar="SECTION",
                      help=f"a slug or a title: {', '.join(s.value for s in Section)}")
    edit.add_argument("--file", "-f", default=STDIN, metavar="F", help="the Markdown text (default: stdin; - too)")
    edit.add_argument("--revision", type=int, default=None, metavar="N",
                      help="the revision the text was made from: if someone saved the section since, the save is "
                           "a conflict and the text is kept as a copy (default: the current one, so it overwrites)")
    edit.add_argument("--json", action="store_true")
    edit.set_defaults(handler=cmd_set)

    status = sub.add_parser("status", help="move the post-mortem: draft → in-review → complete (and back to review)")
    status.add_argument("id", type=incident_id)
    status.add_argument("status", type=postmortem_status, metavar="STATUS", help="draft, in-review or complete")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_status)

    export = sub.add_parser("export", help="the post-mortem as one Markdown document or one HTML page")
    export.add_argument("id", type=incident_id)
    export.add_argument("--format", choices=["md", "html"], default=None,
                        help="md or html (default: html for an --output ending .html, else md)")
    export.add_argument("--output", "-o", type=Path, default=None, metavar="PATH",
                        help="write it to this file, whole or not at all (default: stdout)")
    export.set_defaults(handler=cmd_export)

    history = sub.add_parser("history", help="every text a section was saved with, and every one that lost a race")
    history.add_argument("id", type=incident_id)
    history.add_argument("section", type=section, metavar="SECTION")
    history.add_argument("--json", action="store_true")
    history.set_defaults(handler=cmd_history)

    cause = commands.add_parser("cause", help="record an incident's root-cause category (a failure tag); says "
                                              "whether it repeats an earlier incident")
    cause.add_argument("id", type=incident_id)
    cause.add_argument("tag", metavar="TAG", help="a failure tag, as runbooks use: upstream-schema-change, …")
    cause.add_argument("--json", action="store_true")
    cause.set_defaults(handler=cmd_cause)


# -- handlers ---------------------------------------------------------------------------------


def cmd_draft(args: argparse.Namespace) -> int:
    with open_postmortems(args) as service:
        incident = incident_of(service, args.id)
        existed = service.store.get(args.id) is not None
        postmortem = act(lambda: service.draft(args.id))
        document = service.document(args.id, "md")
    sys.stdout.write(document)
    if existed:
        print(f"oncall: note: {incident.ref} already has a post-mortem ({postmortem.status.label}): printed as it "
              "stands", file=sys.stderr)
    else:
        print(f"oncall: note: drafted {incident.ref}'s post-mortem from its timeline; change a section with "
              f"`oncall postmortem set {args.id} SECTION --file F`", file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with open_postmortems(args) as service:
        incident = incident_of(service, args.id)
        postmortem = existing(service, incident)
        config = service.config
    if args.json:
        print_json({"incident": incident.ref, **status_json(postmortem, config),
                    "created_at": to_text(postmortem.created_at),
                    "sections": [section_json(postmortem.sections[s]) for s in Section]})
        return 0
    print(f"{incident.ref} post-mortem: {postmortem.status.label} "
          f"(by {person(postmortem.status_by, config)}, {when(postmortem.status_at)}); "
          f"drafted {when(postmortem.created_at)}")
    for part in Section:
        saved = postmortem.sections[part]
        print(f"\n## {part.title}  [{part.value}]  {_saved_note(saved, config)}")
        print(clean_block(saved.text).strip() or "(empty)")
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    text, source, lead = read_text(args.file)
    with open_postmortems(args) as service:
        incident = incident_of(service, args.id)
        before = existing(service, incident).sections[args.section]
        base = before.revision if args.revision is None else args.revision
        if not 0 <= base <= before.revision:
            raise CommandError(f"--revision {_number(args.revision)}: the {args.section.value} section is at "
                               f"revision {before.revision}; give one it has had (0 to {before.revision})")
        saved = act(lambda: service.save_section(args.id, args.section, text, base))
        config = service.config
    names = [name for p in config.people for name in (p.name, p.id)]
    flags = blame_flags(clean_block(text), names)
    for flag in flags:
        sentence = " ".join(clean_line(flag.sentence).split())
        sentence = sentence if len(sentence) <= 200 else sentence[:199] + "…"
        print(f"oncall: blameless? line {flag.line + lead}: \"{sentence}\" — {flag.suggestion}", file=sys.stderr)
    current = saved.current
    if saved.conflict:
        what = f"{incident.ref} {args.section.title}"
        raise CommandError(
            f"{what} was saved by {person(current.saved_by, config)} at {when(current.saved_at)} (revision "
            f"{current.revision}) after revision {base}, which your text was made from; your text ({source}) "
            f"was kept as a copy, nothing is lost (`oncall postmortem history {args.id} {args.section.value}`). "
            f"To keep theirs, do nothing; to keep yours, run `oncall postmortem set {args.id} {args.section.value} "
            f"--file F --revision {current.revision}`", EXIT_REFUSED)
    unchanged = current.revision == before.revision
    if args.json:
        print_json({"incident": incident.ref, "section": args.section.value, **section_json(current),
                    "unchanged": unchanged, "blame_flags": [
                        {"line": f.line + lead, "sentence": f.sentence, "because": f.because, "suggestion": f.suggestion}
                        for f in flags]})
    elif unchanged:
        print(f"{incident.ref} {args.section.title}: unchanged (the text is the same; revision {current.revision})")
    else:
        print(f"{incident.ref} {args.section.title}: saved as revision {current.revision}"
              + (f" (revision {before.revision} stays in its history)" if before.revision else ""))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    with open_postmortems(args) as service:
        incident = incident_of(service, args.id)
        before = existing(service, incident).status
        postmortem = act(lambda: service.set_status(args.id, args.status))
        config = service.config
    if args.json:
        print_json({"incident": incident.ref, **status_json(postmortem, config)})
    else:
        print(f"{incident.ref} post-mortem: {before.label} → {postmortem.status.label}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    form = args.format or ("html" if args.output and args.output.suffix.lower() in (".html", ".htm") else "md")
    with open_postmortems(args) as service:
        incident = incident_of(service, args.id)
        existing(service, incident)
        document = act(lambda: service.document(args.id, form))
    if args.output is None:
        sys.stdout.write(document)
        return 0
    write_whole(args.output, document)
    print(clean_line(f"wrote {incident.ref}'s post-mortem ({form}) to {args.output}"))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    with open_postmortems(args) as service:
        incident = incident_of(service, args.id)
        postmortem = existing(service, incident)
        revisions = service.store.revisions(args.id, args.section)
        config = service.config
    current = postmortem.sections[args.section].revision
    rows = [{"revision": revision, "kept": kept, "saved_by": by, "saved_by_name": config.name_of(by),
             "saved_at": to_text(at), "current": kept in ("saved", "autosave") and revision == current, "text": text}
            for revision, text, by, at, kept in revisions]
    if args.json:
        print_json({"incident": incident.ref, "section": args.section.value, "revisions": rows})
        return 0
    print(f"{incident.ref} {args.section.title}: {len(rows)} text{'s' if len(rows) != 1 else ''} kept")
    for row, (_, text, by, at, _) in zip(rows, revisions):
        if row["kept"] == "conflict":
            what = f"conflict: made from revision {row['revision']} after someone else saved; kept as a copy"
        else:
            what = f"revision {row['revision']}" + (" (current)" if row["current"] else "")
        print(f"\n{what} · {person(by, config)} · {when(at)}")
        print("    " + block(text.strip() or "(empty)", 4))
    return 0


def cmd_cause(args: argparse.Namespace) -> int:
    from oncall.service.postmortems import CAUSE, RECURRENCE_DAYS

    tag = clean_line(args.tag).strip().lower().replace(" ", "-")
    if not CAUSE.match(tag):
        shown = tag if len(tag) <= 40 else tag[:39] + "…"
        raise CommandError(f"root cause {shown!r}: use a failure tag, lowercase letters, digits, '-' and '_' "
                           "(for example upstream-schema-change)")
    with open_postmortems(args) as service:
        incident_of(service, args.id)
        incident = act(lambda: service.set_root_cause(args.id, tag))
        found = service.recurrence(incident)
        config, today = service.config, service.clock.now().date()
    from oncall.cli.action_cmds import counts, item_json, item_line

    earlier, items = found if found else (None, [])
    if args.json:
        print_json({"incident": incident.ref, "root_cause": incident.root_cause,
                    "recurring_of": earlier.ref if earlier else None,
                    "earlier": None if earlier is None else {
                        "ref": earlier.ref, "title": earlier.title, "status": earlier.status.value,
                        "detected_at": to_text(earlier.detected_at),
                        "action_items": [item_json(item, config, today) for item in items]}})
        return 0
    print(f"{incident.ref} root cause: {incident.root_cause}")
    if earlier is None:
        print(clean_line(f"not recurring: no earlier incident on {incident.asset} had this cause in the "
                         f"{RECURRENCE_DAYS} days before it"))
        return 0
    print(clean_line(f"recurring: {earlier.ref} “{earlier.title}” (detected {when(earlier.detected_at)}) had the "
                     f"same cause on {incident.asset}"))
    print(f"{earlier.ref}'s action items: {counts(items, today)}")
    for item in items:
        print("  " + item_line(item, config, today))
    return 0


# -- shared with action_cmds ------------------------------------------------------------------


@contextmanager
def open_postmortems(args: argparse.Namespace) -> Iterator[PostmortemService]:
    """The post-mortem service on the workspace's database, opened as every command opens it."""
    from oncall.service.postmortems import PostmortemService

    with open_service(args) as incidents:
        yield PostmortemService(incidents.db, incidents.config, incidents.clock, incidents.actor)


def act(action: Callable[[], T]) -> T:
    """A rule's refusal exits 1; an incident or action item that does not exist is bad input (2)."""
    from oncall.store.action_items import ActionItemNotFound
    from oncall.store.incidents import IncidentNotFound

    try:
        return action()
    except RuleViolation as error:
        raise CommandError(str(error), EXIT_REFUSED) from None
    except (IncidentNotFound, ActionItemNotFound) as error:
        raise CommandError(str(error)) from None


def incident_of(service: PostmortemService, number: int) -> Incident:
    from oncall.cli.arguments import check_incident_id

    return act(lambda: service.incidents.get(check_incident_id(number)))


def existing(service: PostmortemService, incident: Incident) -> Postmortem:
    postmortem = service.store.get(incident.id or 0)
    if postmortem is None:
        raise CommandError(f"{incident.ref} has no post-mortem yet: draft it first (`oncall postmortem draft "
                           f"{incident.id}`, once it is resolved)", EXIT_REFUSED)
    return postmortem


def person(person_id: str, config) -> str:
    """`Maya Okafor (maya)` for someone on the roster, the id as it is otherwise."""
    if not person_id:
        return "nobody"
    found = config.person(person_id)
    return clean_line(f"{found.name} ({person_id})" if found else person_id)


def when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "never"


def status_json(postmortem: Postmortem, config) -> dict[str, Any]:
    """What `oncall show --json` says of a post-mortem: where it stands, who moved it there, when."""
    return {"status": postmortem.status.value, "status_by": postmortem.status_by,
            "status_by_name": config.name_of(postmortem.status_by), "status_at": to_text(postmortem.status_at)}


def section_json(saved: SectionText) -> dict[str, Any]:
    return {"section": saved.section.value, "title": saved.section.title, "text": saved.text,
            "revision": saved.revision, "saved_by": saved.saved_by or None,
            "saved_at": to_text(saved.saved_at) if saved.saved_at else None}


def _saved_note(saved: SectionText, config) -> str:
    if not saved.revision:
        return "(never saved)"
    return f"(revision {saved.revision}, {person(saved.saved_by, config)}, {when(saved.saved_at)})"


def _number(value: int) -> str:
    said = str(value)
    return said if len(said) <= 20 else said[:19] + "…"


# -- files ------------------------------------------------------------------------------------


def read_text(name: str) -> tuple[str, str, int]:
    """A section's text from a file, or stdin for `-`, what to call it in messages, and how many
    blank lines were left off its start (so a line number points into the file). Anything that is
    not readable UTF-8 text with something visible in it is bad input, said by name."""
    if name == STDIN:
        said = "stdin"
        if sys.stdin is None:
            raise CommandError("no text on stdin: give --file F")
        try:
            if sys.stdin.isatty():
                print("oncall: reading the section from stdin (end with Ctrl-D)", file=sys.stderr)
            stream = getattr(sys.stdin, "buffer", None)
            data = stream.read(READ_LIMIT + 1) if stream is not None else sys.stdin.read(READ_LIMIT + 1)
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot read stdin ({error}): give --file F") from None
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
    else:
        path = Path(name).expanduser()
        said = f"--file {clean_line(str(path))}"
        try:
            with open(path, "rb") as stream:
                data = stream.read(READ_LIMIT + 1)
        except FileNotFoundError:
            raise CommandError(f"{said}: no such file") from None
        except IsADirectoryError:
            raise CommandError(f"{said}: a folder, not a file") from None
        except OSError as error:
            raise CommandError(f"{said}: cannot read it ({error.strerror or error})") from None
    if len(data) > READ_LIMIT:
        raise CommandError(f"{said}: over {READ_LIMIT:,} bytes; a section is read by people, not a log dump "
                           f"(at most {SECTION_MAX:,} characters)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CommandError(f"{said}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}): save "
                           "it as UTF-8 (iconv -f WINDOWS-1252 -t UTF-8) and try again") from None
    if "\x00" in text:
        raise CommandError(f"{said}: holds NUL bytes; it looks like a binary file, not Markdown text")
    body = text.lstrip("\r\n")
    lead = text[:len(text) - len(body)].replace("\r\n", "\n").replace("\r", "\n").count("\n")
    text = body.rstrip()  # blank lines around the text, and a file's last newline, are not the section's
    cleaned = clean_block(text)
    if not cleaned.strip():
        raise CommandError(f"{said}: empty (nothing visible in it); nothing saved, the section keeps its text")
    if len(cleaned) > SECTION_MAX:
        raise CommandError(f"{said}: {len(cleaned):,} characters; a section holds at most {SECTION_MAX:,}")
    return text, said, lead


def write_whole(path: Path, text: str) -> None:
    """Write `text` to `path` through a file beside it, renamed over it: a reader never sees half."""
    path = path.expanduser()
    said = clean_line(str(path))
    if path.is_dir():
        raise CommandError(f"--output {said}: a folder; name a file in it")
    if not path.parent.is_dir():
        raise CommandError(f"--output {said}: no such folder {clean_line(str(path.parent))}")
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        with open(partial, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(partial, path)
    except OSError as error:
        raise CommandError(f"--output {said}: cannot write it ({error.strerror or error}); nothing was "
                           "written") from None
    finally:
        if partial.exists():
            partial.unlink()
