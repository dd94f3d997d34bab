"""The post-mortem draft written from an incident's timeline, for incidents of different shapes:
reopened, severity changed, IC handed off, no updates sent, no start time, a drill, declared from
triage, and an old timeline with odd data. Incidents and events are built directly, at fixed
times on 2026-11-27 UTC; people and assets come from the demo workspace."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from oncall.domain.detection import DetectionSource
from oncall.domain.incident import EventKind, Incident, TimelineEvent
from oncall.domain.postmortem import Section, blame_flags
from oncall.domain.roles import RoleHolders
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.postmortem.draft import RunbookSummary, draft_sections

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)  # declared
NOW = T0 + timedelta(hours=8)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def config(workspace):
    return workspace.config


class Story:
    """An incident's timeline, told event by event as the services record them."""

    def __init__(self, severity: str = "SEV-2", status: str = "investigating", ic: str = "maya",
                 source: str = "user_report") -> None:
        self.events: list[TimelineEvent] = []
        self.add(0, EventKind.DECLARED, f"{severity} declared on cac-pipeline ({source})",
                 {"severity": severity, "status": status, "asset": "cac-pipeline", "source": source})
        self.add(0, EventKind.IC_ASSIGNED, f"{ic} is Incident Commander", {"ic": ic})

    def add(self, minutes: float, kind: EventKind, text: str, data: dict | None = None, actor: str = "maya"):
        self.events.append(TimelineEvent(incident_id=42, at=at(minutes), actor=actor, kind=kind, text=text,
                                         data=data or {}))
        return self

    def status(self, minutes, old, new, reason="", actor="maya"):
        return self.add(minutes, EventKind.STATUS_CHANGED, f"{old} → {new}" + (f": {reason}" if reason else ""),
                        {"from": old, "to": new, "reason": reason}, actor)

    def severity(self, minutes, old, new, reason):
        return self.add(minutes, EventKind.SEVERITY_CHANGED, f"{old} → {new}: {reason}",
                        {"from": old, "to": new, "reason": reason})

    def update(self, minutes, audience="stakeholders", moment="update", next_update=None, actor="maya"):
        template = f"{audience}-{moment}.md.j2"
        return self.add(minutes, EventKind.UPDATE_SENT, f"{audience} update sent ({template}): CAC is wrong",
                        {"template": template, "audience": audience, "text": "CAC is wrong", "slack_text": "",
                         "next_update": next_update}, actor)


def incident(**changes) -> Incident:
    fields = dict(id=42, title="Weekly CAC doubled overnight", severity=Severity.SEV2, status=Status.RESOLVED,
                  asset="cac-pipeline", source=DetectionSource.USER_REPORT, ic="maya",
                  impact="The Monday review showed CAC at twice its value.", started_at=at(-180),
                  detected_at=at(0), declared_at=at(0), resolved_at=at(200), updated_at=at(200))
    fields.update(changes)
    return Incident(**fields)


def draft(config, the_incident, story, roles=RoleHolders(ic="maya"), **kwargs) -> dict[Section, str]:
    return draft_sections(the_incident, story.events, roles=roles, config=config, now=NOW, **kwargs)


def test_every_section_is_drafted_in_document_order(config):
    sections = draft(config, incident(), Story().status(200, "investigating", "resolved"))
    assert list(sections) == list(Section)
    assert all(text.strip() for text in sections.values())
    assert "_To be written" in sections[Section.ROOT_CAUSE]
    assert [f"{n}. Why" in sections[Section.ROOT_CAUSE] for n in range(1, 6)] == [True] * 5
    assert "(listed from the incident's action items)" in sections[Section.ACTION_ITEMS]


def test_the_summary_says_what_happened_how_long_and_how_it_was_resolved(config):
    story = (Story().status(70, "investigating", "identified", "CRM export delivered half a file")
             .status(200, "identified", "resolved", "export re-run and CAC rebuilt"))
    summary = draft(config, incident(), story)[Section.SUMMARY]
    assert summary.startswith("INC-42, “Weekly CAC doubled overnight”, was a SEV-2 (high) incident on "
                              "Weekly CAC pipeline.")
    assert ("The data was wrong for 6 h 20 min, from 2026-11-27 06:00 UTC until it was resolved at "
            "2026-11-27 12:20 UTC.") in summary
    assert "found by a user report and declared at 2026-11-27 09:00 UTC" in summary
    assert "The cause identified: CRM export delivered half a file." in summary
    assert "Resolved: export re-run and CAC rebuilt." in summary
    assert "blameless" in summary


def test_impact_names_the_asset_everything_downstream_with_owners_and_the_time_range(config):
    impact = draft(config, incident(), Story().status(200, "investigating", "resolved"))[Section.IMPACT]
    assert "Weekly CAC pipeline (`cac-pipeline`, pipeline, owned by Maya Okafor)" in impact
    assert "- Weekly CAC dashboard (`cac-dashboard`, dashboard): Sofia Castro" in impact
    assert "- Marketing ROI dashboard (`marketing-roi-dashboard`, dashboard): Sofia Castro" in impact
    assert impact.index("fct_weekly_cac") < impact.index("Weekly CAC dashboard"), "nearest first"
    assert "from 2026-11-27 06:00 UTC to 2026-11-27 12:20 UTC (6 h 20 min)" in impact
    assert "The Monday review showed CAC at twice its value." in impact


def test_detection_gives_time_to_detection_and_a_hint_for_a_user_report(config):
    detection = draft(config, incident(), Story())[Section.DETECTION]
    assert "**Time to Detection:** 3 h, from when the data went bad (2026-11-27 06:00 UTC) to when it was " \
           "declared (2026-11-27 09:00 UTC)." in detection
    assert "How could it have been found sooner?" in detection
    assert "A check on Weekly CAC pipeline" in detection and "stg_ad_spend" in detection


# -- shapes -------------------------------------------------------------------------------------------


def test_reopened_time_to_resolution_runs_to_the_last_resolution(config):
    story = (Story().status(60, "investigating", "resolved", "loader re-run")
             .status(90, "resolved", "investigating", "CAC wrong again on the Monday load", actor="tom")
             .status(200, "investigating", "resolved", "backfilled from the full export"))
    sections = draft(config, incident(resolved_at=at(200)), story)
    response = sections[Section.RESPONSE]
    assert ("**Time to Resolution:** 3 h 20 min, from the declaration (2026-11-27 09:00 UTC) to its last resolution "
            "(2026-11-27 12:20 UTC), after being reopened once.") in response
    assert "- 2026-11-27 10:30 UTC by Tom Brandt: CAC wrong again on the Monday load" in response
    assert "It was reopened once before its last resolution." in sections[Section.SUMMARY]
    assert "Resolved: backfilled from the full export." in sections[Section.SUMMARY]
    assert "It was reopened once: a fix did not hold the first time." in sections[Section.WENT_POORLY]
    assert "The fix held" not in sections[Section.WENT_WELL]


def test_a_reopened_incident_not_yet_resolved_again_has_no_time_to_resolution(config):
    story = Story().status(60, "investigating", "resolved").status(90, "resolved", "investigating", "wrong again")
    sections = draft(config, incident(status=Status.INVESTIGATING, resolved_at=None), story)
    assert "**Time to Resolution:** not resolved yet (8 h since the declaration" in sections[Section.RESPONSE]
    assert "It was reopened once and is not resolved yet." in sections[Section.SUMMARY]


def test_severity_changed_updates_are_judged_by_the_severity_at_the_time(config):
    story = (Story(severity="SEV-2")
             .update(4, moment="initial")  # SEV-2: due within 2 h of declaring
             .severity(10, "SEV-2", "SEV-1", "the exec review reads it")  # due now 30 min after the last update
             .update(50, audience="technical")  # due 09:34: late by 16 min
             .update(75, audience="technical")  # due 10:20: on time
             .status(200, "investigating", "resolved"))
    sections = draft(config, incident(severity=Severity.SEV1), story)
    response = sections[Section.RESPONSE]
    assert "- 2026-11-27 09:10 UTC: SEV-2 → SEV-1 by Maya Okafor: the exec review reads it" in response
    assert ("- 2026-11-27 09:04 UTC: stakeholders update (stakeholders-initial) by Maya Okafor, SEV-2: on time "
            "(due by 2026-11-27 11:00 UTC)") in response
    assert ("- 2026-11-27 09:50 UTC: technical update (technical-update) by Maya Okafor, SEV-1: late by 16 min "
            "(due by 2026-11-27 09:34 UTC)") in response
    assert "SEV-1: on time (due by 2026-11-27 10:20 UTC)" in response
    assert "declared as SEV-2" in sections[Section.SUMMARY]
    assert "1 of 3 updates was late (the latest by 16 min)." in sections[Section.WENT_POORLY]
    assert "The severity was raised after the declaration (SEV-2 → SEV-1" in sections[Section.WENT_POORLY]
    assert "The first update went out 4 min after the declaration." in sections[Section.WENT_WELL]


def test_a_promised_next_update_is_the_due_time_and_the_resolved_notice_is_not_judged(config):
    story = (Story(severity="SEV-1")
             .update(10, moment="initial", next_update="2026-11-27T10:00:00Z")
             .update(58)  # promised 10:00 (not 09:40, one interval on): on time
             .status(80, "investigating", "resolved")
             .update(85, moment="resolved"))
    response = draft(config, incident(severity=Severity.SEV1, resolved_at=at(80)), story)[Section.RESPONSE]
    assert "09:58 UTC: stakeholders update (stakeholders-update) by Maya Okafor, SEV-1: on time (due by " \
           "2026-11-27 10:00 UTC)" in response
    assert "10:25 UTC: stakeholders update (stakeholders-resolved) by Maya Okafor, SEV-1: after it was resolved" \
           in response


def test_ic_handed_off_is_told_with_names_and_roles_at_the_end(config):
    story = (Story(ic="maya")
             .add(15, EventKind.ROLE_ASSIGNED, "lukas is Subject Matter Expert",
                  {"role": "sme", "person": "lukas", "from": None, "note": ""})
             .add(60, EventKind.IC_ASSIGNED, "IC handed from maya to tom: end of shift",
                  {"from": "maya", "ic": "tom", "note": "end of shift"})
             .add(61, EventKind.ROLE_ASSIGNED, "grace is Eng/Team Lead", {"role": "lead", "person": "grace"},
                  actor="tom")
             .add(90, EventKind.ROLE_REMOVED, "lukas is no longer Subject Matter Expert",
                  {"role": "sme", "person": "lukas", "note": ""}, actor="tom"))
    roles = RoleHolders(ic="tom", sme=("priya",), lead="grace")
    sections = draft(config, incident(ic="tom"), story, roles=roles)
    response = sections[Section.RESPONSE]
    assert "**Incident Commander:** Maya Okafor at first; handed off once:" in response
    assert "- 2026-11-27 10:00 UTC: from Maya Okafor to Tom Brandt (by Maya Okafor): end of shift" in response
    assert "- 2026-11-27 09:15 UTC: Lukas Meyer became Subject Matter Expert (by Maya Okafor)" in response
    assert "- 2026-11-27 10:01 UTC: Grace Lin became Eng/Team Lead (by Tom Brandt)" in response
    assert "- 2026-11-27 10:30 UTC: Lukas Meyer was no longer Subject Matter Expert (by Tom Brandt)" in response
    assert ("**Roles at the end:** Incident Commander: Tom Brandt; Subject Matter Expert: Priya Raman; "
            "Eng/Team Lead: Grace Lin; TPM/PM/PO: nobody.") in response
    assert "A Subject Matter Expert (Lukas Meyer) was brought in 15 min after the declaration." \
           in sections[Section.WENT_WELL]


def test_no_updates_sent_is_said_plainly(config):
    sections = draft(config, incident(severity=Severity.SEV1), Story(severity="SEV-1"))
    assert ("**Updates sent:** No stakeholder update was sent (SEV-1 expects one every 30 min)."
            in sections[Section.RESPONSE])
    assert "- No stakeholder update was sent." in sections[Section.WENT_POORLY]
    assert "first update" not in sections[Section.WENT_WELL]


def test_a_missing_start_time_makes_time_to_detection_unknown_never_zero(config):
    sections = draft(config, incident(started_at=None), Story().status(200, "investigating", "resolved"))
    detection = sections[Section.DETECTION]
    assert "**Time to Detection:** unknown: when the data went bad was not recorded" in detection
    assert "0 min" not in detection and "under 1 min" not in detection
    assert "from a time not recorded (it was detected at 2026-11-27 09:00 UTC)" in sections[Section.IMPACT]
    assert "from a time not recorded until it was resolved at 2026-11-27 12:20 UTC" in sections[Section.SUMMARY]
    assert "When the data went bad was not recorded, so Time to Detection is unknown." in sections[Section.WENT_POORLY]


def test_a_drill_says_so_at_the_top(config):
    story = Story(source="drill")
    summary = draft(config, incident(is_drill=True, source=DetectionSource.DRILL), story)[Section.SUMMARY]
    assert summary.startswith("**This was a drill**: a rehearsal of the response, not a real incident.")
    assert "not counted in the metrics" in summary


def test_declared_from_triage_measures_detection_to_the_declaration(config):
    story = Story(status="triage", source="alert").status(25, "triage", "investigating", actor="tom")
    story.events[0] = story.events[0].model_copy(update={"actor": "sofia"})
    the_incident = incident(source=DetectionSource.ALERT, declared_at=at(25), started_at=at(-35), detected_at=at(0))
    sections = draft(config, the_incident, story)
    assert ("**Declared:** 2026-11-27 09:25 UTC by Tom Brandt, as SEV-2. It was opened for triage at "
            "2026-11-27 09:00 UTC by Sofia Castro and waited there 25 min.") in sections[Section.RESPONSE]
    assert "**Time to Detection:** 1 h, from when the data went bad" in sections[Section.DETECTION]
    assert "declared 25 min later, at 2026-11-27 09:25 UTC" in sections[Section.DETECTION]
    assert "An alert found it." in sections[Section.DETECTION]
    assert "An internal alert found it, before any user did." in sections[Section.WENT_WELL]


def test_runbook_steps_done_and_skipped_with_their_reasons(config):
    runbooks = [RunbookSummary("Stale warehouse table", done=["Check freshness", "Find the last good load"],
                               skipped=[("Re-run the loader", "no access to the scheduler"),
                                        ("Notify the vendor", "not a vendor problem")],
                               open=[])]
    sections = draft(config, incident(), Story().status(200, "investigating", "resolved"), runbooks=runbooks)
    response = sections[Section.RESPONSE]
    assert "- Stale warehouse table: 2 of 4 steps done" in response
    assert "  - skipped: Re-run the loader (why: no access to the scheduler)" in response
    assert "2 runbook steps were skipped." in sections[Section.WENT_POORLY]
    assert "2 runbook steps were done." in sections[Section.WENT_WELL]


def test_without_runbook_records_the_timeline_tells_where_each_runbook_ended(config):
    story = (Story()
             .add(20, EventKind.RUNBOOK_ATTACHED, "runbook attached: Stale warehouse table (3 steps)",
                  {"runbook": "stale-warehouse-table", "title": "Stale warehouse table", "steps": 3})
             .add(21, EventKind.RUNBOOK_STEP, "step 1 done", {"runbook": "stale-warehouse-table", "step": 1,
                                                             "title": "Check freshness", "state": "done"})
             .add(22, EventKind.RUNBOOK_STEP, "step 2 skipped", {"runbook": "stale-warehouse-table", "step": 2,
                                                                "title": "Re-run the loader", "state": "skipped",
                                                                "reason": "no access"})
             .add(23, EventKind.RUNBOOK_STEP, "note", {"runbook": "stale-warehouse-table", "step": 2,
                                                      "title": "Re-run the loader", "state": "note", "note": "x"}))
    response = draft(config, incident(), story)[Section.RESPONSE]
    assert "- Stale warehouse table: 1 of 3 steps done" in response
    assert "  - skipped: Re-run the loader (why: no access)" in response
    assert "  - not done: step 3" in response


def test_the_timeline_lists_every_event_in_order_in_utc_with_names_and_whole_text(config):
    long_note = "The loader log shows a truncated file. " * 150  # ~6,000 characters, kept whole
    story = (Story()
             .add(30, EventKind.NOTE, "first line | with a pipe\nsecond line\n\nafter a blank line", actor="lukas")
             .add(40, EventKind.NOTE, long_note.strip(), actor="priya"))
    # an old event stored before text was cleaned: its control characters never reach the document
    story.events.append(TimelineEvent.model_construct(incident_id=42, at=at(45), actor="tom", kind=EventKind.NOTE,
                                                      text="\x1b[31mred\x1b[0m alert\x07", data={}))
    timeline = draft(config, incident(), story)[Section.TIMELINE]
    lines = timeline.splitlines()
    assert lines[0] == "All times UTC."
    assert lines[2] == "- **2026-11-27 09:00** Maya Okafor: SEV-2 declared on cac-pipeline (user_report)"
    assert "- **2026-11-27 09:30** Lukas Meyer: first line | with a pipe\n  second line\n\n  after a blank line" \
           in timeline
    assert long_note.strip() in timeline
    assert "- **2026-11-27 09:45** Tom Brandt: red alert" in timeline
    assert "\x1b" not in timeline and "\x07" not in timeline
    stamps = [line.split("**")[1] for line in lines if line.startswith("- **")]
    assert len(stamps) == 5 and stamps == sorted(stamps)


def test_events_out_of_order_are_put_in_order(config):
    story = Story().add(30, EventKind.NOTE, "later").add(10, EventKind.NOTE, "earlier")
    timeline = draft(config, incident(), story)[Section.TIMELINE]
    assert timeline.index("earlier") < timeline.index("later")


def test_an_old_timeline_with_odd_data_still_drafts(config):
    odd = Story()
    odd.events = [
        TimelineEvent(incident_id=42, at=at(0).replace(tzinfo=None), actor="", kind=EventKind.DECLARED, text="",
                      data={"severity": "SEV-9", "status": 3}),
        TimelineEvent(incident_id=42, at=at(5), actor="ghost", kind=EventKind.SEVERITY_CHANGED, text="",
                      data={"from": None, "to": ["SEV-1"]}),
        TimelineEvent(incident_id=42, at=at(6), actor="ghost", kind=EventKind.STATUS_CHANGED, text="", data={}),
        TimelineEvent(incident_id=42, at=at(7), actor="ghost", kind=EventKind.IC_ASSIGNED, text="",
                      data={"from": 7, "ic": None}),
        TimelineEvent(incident_id=42, at=at(8), actor="ghost", kind=EventKind.ROLE_ASSIGNED, text="",
                      data={"role": "chef", "person": {"id": "x"}}),
        TimelineEvent(incident_id=42, at=at(9), actor="ghost", kind=EventKind.UPDATE_SENT, text="",
                      data={"next_update": "after the 14:00 load"}),
        TimelineEvent(incident_id=42, at=at(10), actor="ghost", kind=EventKind.RUNBOOK_STEP, text="",
                      data={"step": "three", "state": "done"}),
        TimelineEvent(incident_id=42, at=at(11), actor="ghost", kind=EventKind.RUNBOOK_ATTACHED, text="",
                      data={"steps": "many"}),
        TimelineEvent(incident_id=42, at=at(12), actor="ghost", kind=EventKind.TAGS_CHANGED, text="",
                      data={"to": "stale-table"}),
        TimelineEvent(incident_id=42, at=at(13), actor="ghost", kind=EventKind.CLOSE_OVERRIDE, text="", data={}),
    ]
    the_incident = incident(asset="retired-asset", started_at=None, detected_at=at(0).replace(tzinfo=None),
                            resolved_at=None, status=Status.CLOSED)
    sections = draft(config, the_incident, odd, roles=RoleHolders())
    assert list(sections) == list(Section)
    assert "retired-asset (not in oncall.toml" in sections[Section.IMPACT]
    assert "ghost" in sections[Section.TIMELINE]


def test_an_unknown_asset_and_an_empty_timeline_still_draft(config):
    story = Story()
    story.events = []
    sections = draft(config, incident(asset="somewhere", declared_at=None, status=Status.TRIAGE, resolved_at=None),
                     story, roles=RoleHolders())
    assert sections[Section.TIMELINE] == "_The timeline is empty._"
    assert "**Time to Resolution:** unknown: it was never declared." in sections[Section.RESPONSE]


def test_the_draft_itself_is_blameless(config):
    story = (Story().update(4, moment="initial").severity(10, "SEV-2", "SEV-1", "exec review")
             .add(60, EventKind.IC_ASSIGNED, "IC handed from maya to tom", {"from": "maya", "ic": "tom"})
             .status(70, "investigating", "identified", "CRM export failed to deliver a full file")
             .status(100, "identified", "resolved").status(120, "resolved", "investigating", "again")
             .status(200, "investigating", "resolved"))
    sections = draft(config, incident(), story)
    roster = [name for person in config.people for name in (person.id, person.name)]
    for section, text in sections.items():
        assert blame_flags(text, roster) == [], section


def test_updates_all_on_time_are_counted_as_going_well_and_no_cadence_is_not_judged(config):
    story = Story(severity="SEV-1").update(5, moment="initial").update(30).update(55)
    well = draft(config, incident(severity=Severity.SEV1), story)[Section.WENT_WELL]
    assert "All 3 updates the cadence asked for went out on time." in well
    story = Story(severity="SEV-3").update(5, moment="initial").update(300)
    sections = draft(config, incident(severity=Severity.SEV3), story)
    assert "SEV-3: no cadence for SEV-3" in sections[Section.RESPONSE]
    assert "went out on time" not in sections[Section.WENT_WELL]
    assert "late" not in sections[Section.WENT_POORLY]
