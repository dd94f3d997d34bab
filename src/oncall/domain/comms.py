"""Stakeholder updates: who a message is for, the moment it is sent at, the template that says
it, and the plain data a template is given (`UpdateFields`). Pure: no I/O.

Nine templates, one for each moment of each audience (`TEMPLATE_NAMES`):

    technical-initial.md.j2      technical-update.md.j2      technical-resolved.md.j2
    stakeholders-initial.md.j2   stakeholders-update.md.j2   stakeholders-resolved.md.j2
    reporter-acknowledged.md.j2  reporter-dismissed.md.j2    reporter-fixed.md.j2

Every field is plain data a sandboxed template can read and nothing more: text is always a
string (empty when not known), people are `PersonRef`, assets `AssetRef`, moments aware UTC
datetimes or None. pydantic is imported only by `fields_for`, so this module is cheap to import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import TYPE_CHECKING

from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.domain.text import clean_block, clean_line

if TYPE_CHECKING:
    from oncall.domain.incident import Incident, TimelineEvent
    from oncall.domain.roles import RoleHolders
    from oncall.workspace.config import Config


class Audience(str, Enum):
    TECHNICAL = "technical"  # the incident's Slack thread: terse facts
    STAKEHOLDERS = "stakeholders"  # business leaders, analysts, PMs: plain language
    REPORTER = "reporter"  # the person who reported a suspected issue


class Moment(str, Enum):
    INITIAL = "initial"
    UPDATE = "update"
    RESOLVED = "resolved"
    ACKNOWLEDGED = "acknowledged"  # to the reporter: thanks, we are looking
    DISMISSED = "dismissed"  # to the reporter: not an incident, and why
    FIXED = "fixed"  # to the reporter: it was real, and it is fixed
    DECLARED = "declared"  # to the reporter: it is an incident now, and who leads it


TEMPLATE_SUFFIX = ".md.j2"

MOMENTS: dict[Audience, tuple[Moment, ...]] = {
    Audience.TECHNICAL: (Moment.INITIAL, Moment.UPDATE, Moment.RESOLVED),
    Audience.STAKEHOLDERS: (Moment.INITIAL, Moment.UPDATE, Moment.RESOLVED),
    Audience.REPORTER: (Moment.ACKNOWLEDGED, Moment.DECLARED, Moment.DISMISSED, Moment.FIXED),
}

# (audience, moment) -> the template's file name; a workspace overrides one by this name.
TEMPLATE_NAMES: dict[tuple[Audience, Moment], str] = {
    (audience, moment): f"{audience.value}-{moment.value}{TEMPLATE_SUFFIX}"
    for audience, moments in MOMENTS.items() for moment in moments
}


def template_name(audience: Audience | str, moment: Moment | str) -> str:
    """The file name of the template for that audience and moment; ValueError for a pair that has none."""
    name = TEMPLATE_NAMES.get((Audience(audience), Moment(moment)))
    if name is None:
        allowed = ", ".join(m.value for m in MOMENTS[Audience(audience)])
        raise ValueError(f"no {Audience(audience).value} template for {Moment(moment).value!r}; moments: {allowed}")
    return name


def parse_template_name(text: str) -> str:
    """A template named as people type it: `technical-initial`, `technical-initial.md.j2` (any case)."""
    cleaned = text.strip().lower()
    for name in TEMPLATE_NAMES.values():
        if cleaned in (name, name.removesuffix(TEMPLATE_SUFFIX)):
            return name
    known = ", ".join(n.removesuffix(TEMPLATE_SUFFIX) for n in TEMPLATE_NAMES.values())
    raise ValueError(f"unknown template {text!r}; templates: {known}")


# -- the fields a template sees -----------------------------------------------------------------


@dataclass(frozen=True)
class PersonRef:
    """Someone on the roster (or a name the roster does not know). Prints as the name."""

    id: str
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class AssetRef:
    """An asset as a message names it: `name` is the human name from oncall.toml."""

    id: str
    name: str
    kind: str  # dashboard, table, pipeline, source, model ("" for an asset no longer in oncall.toml)
    owner: PersonRef | None = None

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class RolesRef:
    """The roles besides the Incident Commander (who is `UpdateFields.ic`)."""

    sme: tuple[PersonRef, ...] = ()
    lead: PersonRef | None = None
    pm: PersonRef | None = None


@dataclass(frozen=True)
class UpdateFields:
    """Everything a template may use. Text is "" when not known; the rest None."""

    title: str
    severity: str  # SEV-1, SEV-2, SEV-3
    severity_label: str  # critical, high, medium
    status: str  # triage, investigating, identified, monitoring, resolved, closed, dismissed
    ref: str  # INC-42
    asset: AssetRef
    downstream: tuple[AssetRef, ...]  # everything that reads from the asset, directly or further down
    affected: tuple[AssetRef, ...]  # the asset, then its downstream
    impact: str
    doing: str  # what is being done
    eta: str
    next_update: datetime | None
    next_update_text: str  # "11:30 UTC (in 30 min)", or what the person typed
    ic: PersonRef | None
    roles: RolesRef
    jira_url: str
    workaround: str
    data_loss: bool | None  # None: not known (or not said)
    backfill: str
    wrong_from: datetime | None  # from when the numbers were wrong (default: when the data went bad)
    wrong_to: datetime | None  # until when (default: when the incident was resolved)
    reason: str  # why it was dismissed
    cause: str  # what was wrong (the reporter's "fixed" note, the resolved notices)
    reporter: str  # the name of the person who reported it
    drill: bool
    now: datetime


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(UpdateFields))

# What a person may type in the composer (or `oncall comms render --set`); each overrides what
# the incident says. Free text, except data_loss (yes/no/unknown), wrong_from and wrong_to (ISO
# 8601, UTC when no offset is given) and next_update (ISO 8601, or any text such as "after the 14:00 load").
EXTRA_FIELDS: tuple[str, ...] = ("title", "impact", "eta", "doing", "workaround", "backfill", "reason", "cause",
                                 "reporter", "data_loss", "wrong_from", "wrong_to", "next_update")
_ONE_LINE = {"title", "eta", "reporter", "next_update"}


def _reporter_name(reported_by: str, config: "Config") -> str:
    """How a message greets its reporter: their name on the roster, else the address they gave.
    A bare Slack id is no name (the reply mentions them already): "" lets a template say "there"."""
    from oncall.domain.reporter import SLACK_USER_ID

    if not reported_by:
        return ""
    known = config.person(reported_by)
    if known is not None:
        return known.name
    return "" if SLACK_USER_ID.match(reported_by) else reported_by


def fields_for(incident: Incident, config: Config, roles: RoleHolders, now: datetime, *,
               jira_url: str | None = None, next_update: datetime | None = None,
               extra: Mapping[str, str] | None = None, events: Sequence[TimelineEvent] = ()) -> UpdateFields:
    """The fields for one incident: its own, the asset and everything downstream with their
    owners, the people in its roles (by name), and what the person typed (`extra`, which wins).
    With the incident's timeline (`events`), `reason` is the reason it was last dismissed with and
    `cause` the one it was last moved to `identified` with. ValueError names an unknown `extra`
    key or a value that cannot be read."""
    extra = {key: value if isinstance(value, str) else str(value) for key, value in (extra or {}).items()
             if value is not None}  # data_loss=True reads as "True"; None is not said
    unknown = sorted(set(extra) - set(EXTRA_FIELDS))
    if unknown:
        raise ValueError(f"{unknown[0]!r} cannot be set; fields you can set: {', '.join(EXTRA_FIELDS)}")
    typed = {key: (clean_line(value) if key in _ONE_LINE else clean_block(value)).strip()
             for key, value in extra.items()}

    def person(person_id: str | None) -> PersonRef | None:
        if not person_id:
            return None
        known = config.person(person_id)
        return PersonRef(person_id, known.name if known else person_id)

    def asset_ref(asset_id: str) -> AssetRef:
        known = config.asset(asset_id)
        if known is None:
            return AssetRef(asset_id, asset_id, "", None)
        return AssetRef(known.id, known.name, known.kind.value, person(known.owner))

    asset = asset_ref(incident.asset)
    from oncall.domain.asset import all_downstream

    downstream = tuple(asset_ref(asset.id) for asset in all_downstream(incident.asset, config.assets))

    next_text = _moment_text(next_update, now) if next_update else ""
    if "next_update" in typed:
        next_update, next_text = _read_next_update(typed.pop("next_update"), now)
    wrong_from = incident.started_at or incident.detected_at
    wrong_to = incident.resolved_at
    if "wrong_from" in typed:
        wrong_from = _read_moment("wrong_from", typed.pop("wrong_from"))
    if "wrong_to" in typed:
        wrong_to = _read_moment("wrong_to", typed.pop("wrong_to"))
    data_loss = _read_yes_no("data_loss", typed.pop("data_loss")) if "data_loss" in typed else None
    if "reporter" in typed:
        reporter_id = typed.pop("reporter")
        found = config.person(reporter_id)
        typed["reporter"] = found.name if found else reporter_id
    if "title" in typed and not typed["title"]:
        typed.pop("title")  # a title is never empty

    values = dict(
        title=incident.title, severity=incident.severity.value, severity_label=incident.severity.label,
        status=incident.status.value, ref=incident.ref, asset=asset, downstream=downstream,
        affected=(asset, *downstream), impact=incident.impact, doing="", eta=incident.eta,
        next_update=next_update, next_update_text=next_text, ic=person(roles.ic or incident.ic),
        roles=RolesRef(tuple(p for p in map(person, roles.sme) if p), person(roles.lead), person(roles.pm)),
        jira_url=jira_url or "", workaround="", data_loss=data_loss, backfill="", wrong_from=wrong_from,
        wrong_to=wrong_to, reason=_status_reason(events, Status.DISMISSED),
        cause=_status_reason(events, Status.IDENTIFIED), reporter=_reporter_name(incident.reported_by, config)
        if incident.reported_by else "", drill=incident.is_drill, now=now,
    )
    values.update(typed)
    return UpdateFields(**values)


def _status_reason(events: Sequence[TimelineEvent], status: Status) -> str:
    """The reason given the last time the incident moved to `status` ("" if none)."""
    for event in reversed(events):
        data = event.data or {}
        if event.kind.value == "status_changed" and data.get("to") == status.value:
            return clean_block(str(data.get("reason") or "")).strip()
    return ""


def _read_moment(key: str, text: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{key}: cannot read {text!r} as a time; use ISO 8601 (2026-11-27T09:30Z)") from None
    return (moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment).astimezone(timezone.utc)


def _read_next_update(text: str, now: datetime) -> tuple[datetime | None, str]:
    try:
        moment = _read_moment("next_update", text)
    except ValueError:
        return None, text  # "after the 14:00 load": said as typed
    return moment, _moment_text(moment, now) if moment else ""


_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def _read_yes_no(key: str, text: str) -> bool | None:
    word = text.lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    if word in ("", "unknown", "?"):
        return None
    raise ValueError(f"{key}: {text!r} is not yes, no or unknown")


# -- saying times -------------------------------------------------------------------------------


def when_text(moment: datetime | None) -> str:
    """`Nov 27 10:00 UTC`; "" for None."""
    if moment is None:
        return ""
    moment = moment.astimezone(timezone.utc)
    return f"{moment:%b} {moment.day} {moment:%H:%M} UTC"


def span_text(delta: timedelta) -> str:
    """`30 min`, `2 h`, `1 h 30 min`, `3 days`."""
    minutes = int(abs(delta).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{minutes // (24 * 60)} days"


def relative_text(moment: datetime | None, now: datetime) -> str:
    """`in 30 min`, `2 h ago`, `just now`; "" for None."""
    if moment is None:
        return ""
    delta = moment - now
    if abs(delta) < timedelta(minutes=1):
        return "just now"
    return f"in {span_text(delta)}" if delta > timedelta(0) else f"{span_text(delta)} ago"


def _moment_text(moment: datetime, now: datetime) -> str:
    """`11:30 UTC (in 30 min)`; with the date when it is not today."""
    utc, today = moment.astimezone(timezone.utc), now.astimezone(timezone.utc)
    said = f"{utc:%H:%M} UTC" if utc.date() == today.date() else when_text(utc)
    return f"{said} ({relative_text(moment, now)})"


# -- samples: every template is rendered against these when it is loaded -------------------------

SAMPLE_NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)


def full_sample(status: Status | str = Status.INVESTIGATING, *, drill: bool = False,
                now: datetime = SAMPLE_NOW) -> UpdateFields:
    """Every field filled in, as for a SEV-1 on the demo's CAC pipeline."""
    maya, tom = PersonRef("maya", "Maya Okafor"), PersonRef("tom", "Tom Brandt")
    priya = PersonRef("priya", "Priya Raman")
    asset = AssetRef("cac-pipeline", "Weekly CAC pipeline", "pipeline", maya)
    downstream = (AssetRef("fct-weekly-cac", "fct_weekly_cac (warehouse table)", "table", maya),
                  AssetRef("cac-dashboard", "Weekly CAC dashboard", "dashboard", PersonRef("sofia", "Sofia Castro")))
    next_update = now + timedelta(minutes=30)
    return UpdateFields(
        title="Weekly CAC up 340%", severity=Severity.SEV1.value, severity_label=Severity.SEV1.label,
        status=Status(status).value, ref="INC-42", asset=asset, downstream=downstream, affected=(asset, *downstream),
        impact="New customers for the week are undercounted, so CAC reads 4x too high.",
        doing="Reloading the CRM export and re-running the CAC pipeline.", eta="about 11:00 UTC",
        next_update=next_update, next_update_text=_moment_text(next_update, now), ic=maya,
        roles=RolesRef((tom, priya), PersonRef("grace", "Grace Lin"), PersonRef("omar", "Omar Haddad")),
        jira_url="https://acme.atlassian.net/browse/DATA-101",
        workaround="Use last week's CAC figure for the 11 AM review.", data_loss=False,
        backfill="Nov 24 to Nov 26 reloaded from the CRM export.", wrong_from=now - timedelta(hours=26),
        wrong_to=now - timedelta(minutes=10), reason="The spike was a real campaign launch, not a data error.",
        cause="The CRM export delivered a partial file on Monday.", reporter="Sofia Castro", drill=drill, now=now,
    )


def sparse_sample(status: Status | str = Status.TRIAGE, *, drill: bool = False,
                  now: datetime = SAMPLE_NOW) -> UpdateFields:
    """Only what every incident has: no ETA, no IC, no Jira link, no downstream, nothing typed."""
    asset = AssetRef("cac-dashboard", "cac-dashboard", "", None)
    return UpdateFields(
        title="CAC looks wrong", severity=Severity.SEV3.value, severity_label=Severity.SEV3.label,
        status=Status(status).value, ref="INC-7", asset=asset, downstream=(), affected=(asset,), impact="",
        doing="", eta="", next_update=None, next_update_text="", ic=None, roles=RolesRef(), jira_url="",
        workaround="", data_loss=None, backfill="", wrong_from=None, wrong_to=None, reason="", cause="",
        reporter="", drill=drill, now=now,
    )


def map_strings(value, convert):
    """`value` with every string in it (in fields, tuples, lists, dicts) passed through `convert`:
    how the values people typed are escaped for Slack, and never the template's own text."""
    if isinstance(value, str):
        return convert(value)
    if isinstance(value, (PersonRef, AssetRef, RolesRef, UpdateFields)):
        return replace(value, **{f.name: map_strings(getattr(value, f.name), convert) for f in fields(value)})
    if isinstance(value, tuple):
        return tuple(map_strings(item, convert) for item in value)
    if isinstance(value, list):
        return [map_strings(item, convert) for item in value]
    if isinstance(value, dict):
        return {key: map_strings(item, convert) for key, item in value.items()}
    return value

