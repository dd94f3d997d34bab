"""Intake: signals from alerts and dbt, and people's reports, become triage items.

One key, one item: an alert's fingerprint, a dbt node, a Slack message. What the next signal on a
key does depends on the item the key made last:

- none yet, and firing: a triage item opens on the asset named (or `(unknown)`, for the IC);
- firing again while the item is open, or finished while its check never recovered: a repeat,
  counted on the item and written on its timeline at most once a quarter hour — a storm of 10,000
  alerts on 50 keys is 50 items;
- resolved (a dbt test passing again, an alert's `resolved`): the recovery is recorded on the item,
  which stays as the IC left it (resolving an incident is a person's decision);
- firing after a recovery, on a finished item: a new item;
- the same state at the same outside time as already heard (a dbt run ingested twice): nothing.

A report (`oncall report`, the console's form, a message in #data-incidents) opens a triage item
from `user_report` and answers its reporter at once; declaring or dismissing the item answers them
again (`tell_reporter`, called by `IncidentService.change_status`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from oncall.domain.asset import names_of
from oncall.domain.clock import Clock, to_text
from oncall.domain.detection import DetectionSource
from oncall.domain.incident import EventKind, Incident, TimelineEvent
from oncall.domain.intake import UNKNOWN_ASSET, LineageNode, Signal
from oncall.domain.rules import RuleViolation
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.domain.text import clean_block, clean_line
from oncall.store.db import Database
from oncall.store.intake import IntakeItem, IntakeRepository
from oncall.store.lineage import LineageRepository, with_lineage
from oncall.workspace.config import Config

if TYPE_CHECKING:
    from oncall.service.incidents import IncidentService

REPEAT_NOTE_EVERY = timedelta(minutes=15)
FINISHED = (Status.RESOLVED, Status.CLOSED, Status.DISMISSED)
REPORT_TITLE_MAX = 100  # characters of the report's first line that make its title
INTAKE_ACTOR = "oncall"


@dataclass(frozen=True)
class Absorbed:
    """What a batch of signals did."""

    opened: tuple[int, ...] = ()  # incident ids of new triage items
    updated: tuple[int, ...] = ()  # items a repeat or a firing again was recorded on
    recovered: tuple[int, ...] = ()  # items whose check recovered (resolved, passing)
    unchanged: int = 0  # signals that changed nothing (old news)

    def __add__(self, other: "Absorbed") -> "Absorbed":
        return Absorbed(_union(self.opened, other.opened), _union(self.updated, other.updated),
                        _union(self.recovered, other.recovered), self.unchanged + other.unchanged)

    def as_dict(self) -> dict[str, int]:
        return {"opened": len(self.opened), "updated": len(self.updated), "recovered": len(self.recovered),
                "unchanged": self.unchanged}


@dataclass(frozen=True)
class Reported:
    incident: Incident
    created: bool  # False: this message had made an item already


@dataclass
class _Tally:
    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)
    unchanged: int = 0

    def result(self) -> Absorbed:
        return Absorbed(_union(self.opened), _union(self.updated), _union(self.recovered), self.unchanged)


class IntakeService:
    def __init__(self, database: Database, config: Config, clock: Clock, actor: str = INTAKE_ACTOR,
                 root: Path | None = None) -> None:
        from oncall.service.incidents import IncidentService

        self.db = database
        self.config = config
        self.clock = clock
        self.actor = actor
        self.root = root
        self.items = IntakeRepository(database)
        self.incident_service: "IncidentService" = IncidentService(database, config, clock, actor, root=root)

    # -- signals -----------------------------------------------------------------------------

    def absorb(self, signals: Iterable[Signal]) -> Absorbed:
        """Take a batch of signals in one write transaction, in the order given."""
        tally = _Tally()
        with self.db.write():
            for signal in signals:
                self._absorb_one(signal, tally)
        return tally.result()

    def _absorb_one(self, signal: Signal, tally: _Tally) -> None:
        now = self.clock.now()
        item = self.items.latest(signal.intake_key)
        if item is None or (Status(item.status) in FINISHED and not item.firing):
            if not signal.firing:
                tally.unchanged += 1  # a recovery of something never seen (or already recovered)
                return
            tally.opened.append(self._open(signal, now).id or 0)
            return
        # Stored to the second, so compared to the second: a dbt run's 04:55:03.57 is heard already
        # when 04:55:03 is on record.
        heard_at = signal.observed_at.replace(microsecond=0) if signal.observed_at else None
        if heard_at and item.last_observed and (heard_at < item.last_observed or (
                heard_at == item.last_observed and signal.firing == item.firing)):
            tally.unchanged += 1  # heard already (the same run ingested again), or older than what was heard
            return
        observed = heard_at or item.last_observed
        if signal.firing == item.firing:
            if not signal.firing:
                tally.unchanged += 1  # resolved again: nothing new
                self.items.save(replace(item, last_seen=now, last_observed=observed))
                return
            repeats = item.repeats + 1
            noted = item.repeat_noted
            if noted is None or now - noted >= REPEAT_NOTE_EVERY:
                since = f" since {to_text(noted)}" if noted else ""
                times = "once more" if repeats == 1 else f"{repeats} times in all"
                self.note(item.incident_id, f"{_origin_name(signal)} fired again ({times}{since}): {signal.title}",
                           {"intake": "repeat", "key": signal.intake_key, "repeats": repeats})
                noted = now
            self.items.save(replace(item, last_seen=now, last_observed=observed, repeats=repeats, repeat_noted=noted))
            tally.updated.append(item.incident_id)
            return
        if signal.firing:
            self.note(item.incident_id, f"{_origin_name(signal)} is firing again: {signal.title}"
                       + (f"\n{signal.details}" if signal.details else ""),
                       {"intake": "firing", "key": signal.intake_key, **_when(signal)})
            tally.updated.append(item.incident_id)
        else:
            self.note(item.incident_id, f"{_origin_name(signal)} recovered: {signal.title}"
                       + (f"\n{signal.details}" if signal.details else ""),
                       {"intake": "recovered", "key": signal.intake_key, **_when(signal)})
            tally.recovered.append(item.incident_id)
        self.items.save(replace(item, firing=signal.firing, last_seen=now, last_observed=observed, repeats=0,
                                 repeat_noted=None))

    def _open(self, signal: Signal, now: datetime) -> Incident:
        from oncall.service.incidents import Declaration

        started = signal.started_at if signal.started_at and signal.started_at <= now else None
        incident = self.incident_service.declare(Declaration(
            title=signal.title, severity=signal.severity, asset=self.asset_for(signal.asset),
            source=signal.source if signal.source is not DetectionSource.USER_REPORT else DetectionSource.ALERT,
            impact=signal.details, started_at=started, status=Status.TRIAGE))
        assert incident.id is not None
        self.items.add(IntakeItem(signal.intake_key, incident.id, signal.origin, True, now, now, signal.observed_at, 0,
                                  None, signal.link))
        if signal.link:
            self.note(incident.id, f"{_origin_name(signal)}: {signal.link}",
                       {"intake": "opened", "key": signal.intake_key, "link": signal.link, **_when(signal)})
        return incident

    def asset_for(self, name: str) -> str:
        """The workspace asset a name from outside is: an asset id, its table, or its id with `_`
        for `-` (dbt names its models `stg_ad_spend`); otherwise `(unknown)` for the IC."""
        name = clean_line(name).strip()
        if not name:
            return UNKNOWN_ASSET
        if not self.config.assets:
            return name
        lowered = name.lower()
        return next((asset.id for asset in self.config.assets if lowered in names_of(asset)), UNKNOWN_ASSET)

    # -- lineage -----------------------------------------------------------------------------

    def absorb_lineage(self, nodes: Sequence[LineageNode]) -> int:
        """Keep a dbt manifest's lineage (replacing the last), and merge it into this service's
        assets, so signals read with it find their assets."""
        count = LineageRepository(self.db).replace(list(nodes), list(self.config.configured_assets))
        self.config = with_lineage(self.config, self.db)
        self.incident_service.config = self.config
        return count

    # -- reports -----------------------------------------------------------------------------

    def report(self, reporter: str, text: str, asset: str = "", *, link: str = "", key: str = "",
               slack_thread: tuple[str, str] | None = None) -> Reported:
        """A person's report of data that looks wrong: a triage item from `user_report`, its
        reporter answered at once. `key` (a Slack message's) makes one item however often it comes."""
        from oncall.service.incidents import Declaration

        text = clean_block(text).strip()
        if not text:
            raise RuleViolation("say what looks wrong (the report is empty)")
        if not clean_line(reporter).strip():
            raise RuleViolation("say who reports it (--from: a roster id, a Slack user id or an email address)")
        reporter = self.roster_id(reporter)
        asset_id = self._report_asset(asset, text)
        now = self.clock.now()
        with self.db.write():
            if key:
                existing = self.items.latest(key)
                if existing is not None:
                    return Reported(self.incident_service.get(existing.incident_id), False)
            first_line = " ".join(text.splitlines()[0].split())
            title = first_line if len(first_line) <= REPORT_TITLE_MAX else first_line[:REPORT_TITLE_MAX - 1] + "…"
            incident = self.incident_service.declare(Declaration(
                title=title, severity=Severity.SEV3, asset=asset_id, source=DetectionSource.USER_REPORT,
                impact=text if text != title else "", status=Status.TRIAGE, reported_by=reporter))
            assert incident.id is not None
            channel, ts = slack_thread or ("", "")
            self.items.add(IntakeItem(key or f"report:{incident.id}", incident.id, "report", True, now, now, None, 0,
                                      None, clean_line(link).strip(), channel, ts))
            if link:
                self.note(incident.id, f"reported in Slack: {clean_line(link).strip()}",
                           {"intake": "report", "link": clean_line(link).strip()})
            tell_reporter(self.incident_service, incident, "acknowledged")
        return Reported(self.incident_service.get(incident.id), True)

    # -- the IC's decision -------------------------------------------------------------------

    def declare_item(self, incident_id: int, severity: Severity, asset: str = "",
                     status: Status = Status.INVESTIGATING) -> Incident:
        """Make a triage item an incident: its asset chosen (needed when nobody could guess it),
        its severity set, its status moved on. Its reporter is told (`tell_reporter`)."""
        service = self.incident_service
        with self.db.write():
            incident = service.get(incident_id)
            if incident.status is not Status.TRIAGE:
                raise RuleViolation(f"{incident.ref} is {incident.status.value}, not in triage: nothing to declare")
            if status not in (Status.INVESTIGATING, Status.IDENTIFIED):
                raise RuleViolation(f"a triage item is declared as investigating or identified, not {status.value}")
            asset = clean_line(asset).strip()
            if asset and asset != incident.asset:
                service.set_asset(incident_id, asset)
            if severity is not incident.severity:
                service.change_severity(incident_id, severity, "set when declared from triage")
            return service.change_status(incident_id, status)

    def dismiss_item(self, incident_id: int, reason: str) -> Incident:
        """Not an incident: the item ends as dismissed, and its reporter is told why."""
        incident = self.incident_service.get(incident_id)
        if incident.status is not Status.TRIAGE:
            raise RuleViolation(f"{incident.ref} is {incident.status.value}, not in triage: only a triage item "
                                "is dismissed")
        return self.incident_service.change_status(incident_id, Status.DISMISSED, reason)

    def roster_id(self, reporter: str) -> str:
        """A reporter as the roster knows them: `U07SOFI07` or `sofia@acme.example` is `sofia` when
        that is her Slack id or address, so messages greet her by name; anyone else as given."""
        value = clean_line(reporter).strip()
        lowered = value.casefold()
        for person in self.config.people:
            if value == person.id or (person.slack_id and value == person.slack_id) or (
                    person.email and lowered == person.email.casefold()):
                return person.id
        return value

    def _report_asset(self, asset: str, text: str) -> str:
        """The asset named; else the one the text names (one clear match); else `(unknown)`."""
        from oncall.intake.slack_reports import guess_asset

        asset = clean_line(asset).strip()
        if not asset:
            return guess_asset(text, self.config.assets) or UNKNOWN_ASSET
        if self.config.assets and not self.config.asset(asset):
            known = ", ".join(a.id for a in self.config.assets)
            raise RuleViolation(f"unknown asset {asset!r}; known assets: {known} (or leave it out for the IC to choose)")
        return asset

    # -- helpers -----------------------------------------------------------------------------

    def note(self, incident_id: int, text: str, data: dict) -> TimelineEvent:
        """An intake line on the item's timeline (a repeat, a recovery, where it came from)."""
        service = self.incident_service
        return service._record(service._touch(service.incidents.get(incident_id)), EventKind.INTAKE, text, data)


REPORTER_NOTES = {"acknowledged": "reporter-acknowledged", "declared": "reporter-declared",
                  "dismissed": "reporter-dismissed"}


def tell_reporter(service: "IncidentService", incident: Incident, moment: str, reason: str = "") -> None:
    """Answer the person who reported an item: thanks on arrival, then whether it became an
    incident or was dismissed (with why). Sent like any update (`CommsService.send`): the sync
    takes it to their Slack thread or their email. Nothing for an item nobody reported."""
    from oncall.service.comms import CommsService, render_update

    if not incident.reported_by or incident.id is None:
        return
    name = REPORTER_NOTES[moment]
    slack_text, text = render_update(service, service.root, incident.id, f"{name}.md.j2",
                                     extra={"reason": reason} if reason else None)
    comms = CommsService(service.db, service.config, service.clock, service.actor)
    comms.send(incident.id, f"{name}.md.j2", "reporter", text, slack_text)


def _origin_name(signal: Signal) -> str:
    return {"alertmanager": "Alertmanager alert", "grafana": "Grafana alert", "dbt": "dbt",
            "alert": "alert"}.get(signal.origin, signal.origin)


def _when(signal: Signal) -> dict:
    return {"observed_at": to_text(signal.observed_at)} if signal.observed_at else {}


def _union(*groups: Sequence[int]) -> tuple[int, ...]:
    seen: dict[int, None] = {}
    for group in groups:
        for value in group:
            seen[value] = None
    return tuple(seen)
