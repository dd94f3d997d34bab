"""The post-mortem service on a real database: drafting once resolved (from incidents of different
shapes, told through the services as a response would tell them), saving sections without losing
anyone's text, the statuses and who moved them, the close rule and its override, recurrence of a
root cause, and action items to done. The clock is frozen at 2026-11-27 10:00 UTC."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from oncall.domain.action_items import ActionStatus, Priority
from oncall.domain.detection import DetectionSource
from oncall.domain.incident import EventKind
from oncall.domain.postmortem import PostmortemStatus, Section
from oncall.domain.rules import RuleViolation
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.incidents import Declaration
from oncall.service.postmortems import PostmortemService, close_blockers
from oncall.store.action_items import ActionItemNotFound
from oncall.store.incidents import IncidentNotFound

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)  # the frozen clock's (tests/conftest.py)


@pytest.fixture
def pm(database, workspace, clock) -> PostmortemService:
    return PostmortemService(database, workspace.config, clock, "maya")


def as_person(pm: PostmortemService, actor: str) -> PostmortemService:
    return PostmortemService(pm.db, pm.config, pm.clock, actor)


def declare(service, severity=Severity.SEV2, asset="cac-pipeline", source=DetectionSource.USER_REPORT, ic="maya"):
    return service.declare(Declaration(title="Weekly CAC doubled", severity=severity, asset=asset, source=source,
                                       ic=ic, impact="The Monday review showed CAC at twice its value."))


def resolve(service, incident_id: int, clock, minutes: int = 30) -> None:
    for status in (Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED):
        clock.advance(timedelta(minutes=minutes))
        service.change_status(incident_id, status)


def resolved(service, clock, **kwargs) -> int:
    incident = declare(service, **kwargs)
    resolve(service, incident.id, clock)
    return incident.id


def kinds(service, incident_id: int) -> list[str]:
    return [event.kind.value for event in service.events(incident_id)]


def write_prompts(pm: PostmortemService, incident_id: int) -> None:
    """Answer every '_To be written_' prompt the draft left, as the team would."""
    from oncall.postmortem.writing import TODO_PREFIX

    postmortem = pm.get(incident_id)
    for section, current in postmortem.sections.items():
        if TODO_PREFIX in current.text:
            written = "\n".join(line for line in current.text.splitlines() if TODO_PREFIX not in line)
            pm.save_section(incident_id, section, written + "\nWritten by the team.", current.revision)


def complete(pm: PostmortemService, incident_id: int) -> None:
    pm.draft(incident_id)
    write_prompts(pm, incident_id)
    pm.set_status(incident_id, PostmortemStatus.IN_REVIEW)
    pm.set_status(incident_id, PostmortemStatus.COMPLETE)


# -- drafting ---------------------------------------------------------------------------------


def test_a_post_mortem_is_drafted_only_once_resolved_and_only_once(service, pm, clock):
    incident = declare(service)
    with pytest.raises(RuleViolation, match="INC-1 is investigating: its post-mortem is drafted once it is resolved"):
        pm.draft(incident.id)
    assert pm.get(incident.id) is None
    resolve(service, incident.id, clock)
    drafted = pm.draft(incident.id)
    assert drafted.status is PostmortemStatus.DRAFT and drafted.status_by == "maya"
    assert drafted.status_at == clock.now() and drafted.created_at == clock.now()
    assert all(drafted.text(section).strip() for section in Section)
    assert all(saved.revision == 1 for saved in drafted.sections.values())
    clock.advance(timedelta(hours=1))
    assert pm.draft(incident.id) == drafted  # the second time: the one there is, not another draft
    assert kinds(service, incident.id).count("postmortem") == 1
    with pytest.raises(IncidentNotFound):
        pm.draft(999)


def test_a_closed_incident_can_be_drafted_too(service, pm, clock):
    incident = declare(service, severity=Severity.SEV3)
    resolve(service, incident.id, clock)
    service.change_status(incident.id, Status.CLOSED)
    assert pm.draft(incident.id).status is PostmortemStatus.DRAFT


def test_the_draft_of_a_reopened_incident_runs_to_its_last_resolution(service, pm, clock):
    incident = declare(service)
    resolve(service, incident.id, clock, minutes=20)  # resolved at 11:00
    clock.advance(timedelta(minutes=30))
    service.change_status(incident.id, Status.INVESTIGATING, "CAC wrong again on the Monday load")
    clock.advance(timedelta(minutes=50))
    service.change_status(incident.id, Status.RESOLVED, "backfilled from the full export")  # 12:20
    sections = pm.draft(incident.id).sections
    assert ("**Time to Resolution:** 2 h 20 min, from the declaration (2026-11-27 10:00 UTC) to its last resolution "
            "(2026-11-27 12:20 UTC), after being reopened once.") in sections[Section.RESPONSE].text
    assert "CAC wrong again on the Monday load" in sections[Section.RESPONSE].text
    assert "It was reopened once before its last resolution." in sections[Section.SUMMARY].text
    assert "It was reopened once: a fix did not hold the first time." in sections[Section.WENT_POORLY].text


def test_the_draft_after_a_severity_change_says_what_it_was_declared_as(service, pm, clock):
    incident = declare(service, severity=Severity.SEV2)
    clock.advance(timedelta(minutes=10))
    service.change_severity(incident.id, Severity.SEV1, "the exec review reads it")
    resolve(service, incident.id, clock)
    sections = pm.draft(incident.id).sections
    assert "- 2026-11-27 10:10 UTC: SEV-2 → SEV-1 by Maya Okafor: the exec review reads it" \
        in sections[Section.RESPONSE].text
    assert "declared as SEV-2" in sections[Section.SUMMARY].text
    assert "The severity was raised after the declaration (SEV-2 → SEV-1" in sections[Section.WENT_POORLY].text


def test_the_draft_after_an_ic_hand_off_names_both_and_the_roles_at_the_end(service, pm, clock):
    incident = declare(service, ic="maya")
    clock.advance(timedelta(minutes=60))
    service.assign_ic(incident.id, "tom", "end of shift")
    resolve(service, incident.id, clock)
    response = pm.draft(incident.id).text(Section.RESPONSE)
    assert "**Incident Commander:** Maya Okafor at first; handed off once:" in response
    assert "- 2026-11-27 11:00 UTC: from Maya Okafor to Tom Brandt (by Maya Okafor): end of shift" in response
    assert "**Roles at the end:** Incident Commander: Tom Brandt;" in response


def test_the_draft_with_no_updates_sent_says_so_plainly(service, pm, clock):
    incident_id = resolved(service, clock, severity=Severity.SEV1)
    sections = pm.draft(incident_id).sections
    assert "**Updates sent:** No stakeholder update was sent (SEV-1 expects one every 30 min)." \
        in sections[Section.RESPONSE].text
    assert "- No stakeholder update was sent." in sections[Section.WENT_POORLY].text


# -- saving sections --------------------------------------------------------------------------


def test_autosave_like_repeated_saves_each_become_a_revision(service, pm, clock):
    incident_id = resolved(service, clock)
    pm.draft(incident_id)
    revision = 1
    typed = ""
    for word in ("The", "CRM", "export", "was", "partial."):
        clock.advance(timedelta(seconds=2))
        typed = f"{typed} {word}".strip()
        saved = pm.save_section(incident_id, Section.SUMMARY, typed, revision)
        assert not saved.conflict and saved.current.revision == revision + 1
        revision = saved.current.revision
    same = pm.save_section(incident_id, Section.SUMMARY, typed, revision)  # nothing typed since: no new revision
    assert not same.conflict and same.current.revision == 6
    assert pm.get(incident_id).text(Section.SUMMARY) == "The CRM export was partial."
    history = pm.store.revisions(incident_id, Section.SUMMARY)
    assert [(number, kept) for number, _, _, _, kept in history] == [(n, "saved") for n in range(1, 7)]
    assert [text for _, text, _, _, _ in history][1:] == ["The", "The CRM", "The CRM export", "The CRM export was",
                                                          "The CRM export was partial."]
    assert service.get(incident_id).updated_at == clock.now()


def test_two_people_saving_one_section_lose_neither_text(service, pm, clock):
    incident_id = resolved(service, clock)
    pm.draft(incident_id)
    tom = as_person(pm, "tom")
    clock.advance(timedelta(minutes=1))
    mine = pm.save_section(incident_id, Section.ROOT_CAUSE, "The export job has no row-count check.", 1)
    clock.advance(timedelta(minutes=1))
    theirs = tom.save_section(incident_id, Section.ROOT_CAUSE, "The schema changed upstream without notice.", 1)
    assert not mine.conflict and theirs.conflict
    assert theirs.current == mine.current  # told whose text is there, saved when
    assert theirs.current.saved_by == "maya" and theirs.current.revision == 2
    assert pm.get(incident_id).text(Section.ROOT_CAUSE) == "The export job has no row-count check."
    kept = {(text, by, kind) for _, text, by, _, kind in pm.store.revisions(incident_id, Section.ROOT_CAUSE)}
    assert ("The schema changed upstream without notice.", "tom", "conflict") in kept
    # Tom keeps his, knowingly: a save from the revision he was shown.
    again = tom.save_section(incident_id, Section.ROOT_CAUSE, "The schema changed upstream without notice.", 2)
    assert not again.conflict and again.current.revision == 3
    texts = [text for _, text, _, _, _ in pm.store.revisions(incident_id, Section.ROOT_CAUSE)]
    assert "The export job has no row-count check." in texts  # Maya's stays in the history


def test_saving_text_cleans_it_and_refuses_a_novel(service, pm, clock):
    incident_id = resolved(service, clock)
    pm.draft(incident_id)
    saved = pm.save_section(incident_id, Section.IMPACT, "\x1b[31mCAC\x1b[0m was\x07 wrong\r\nfor a week", 1)
    assert saved.current.text == "CAC was wrong\nfor a week"
    with pytest.raises(RuleViolation, match="at most 200,000"):
        pm.save_section(incident_id, Section.IMPACT, "x" * 200_001, 2)
    with pytest.raises(RuleViolation, match="no post-mortem yet: draft it first"):
        pm.save_section(resolved(service, clock), Section.IMPACT, "text", 0)


# -- statuses ---------------------------------------------------------------------------------


def test_status_moves_record_who_and_when_and_refuse_a_skip(service, pm, clock):
    incident_id = resolved(service, clock)
    pm.draft(incident_id)
    with pytest.raises(RuleViolation, match="cannot go from draft to complete .it is reviewed first."):
        pm.set_status(incident_id, PostmortemStatus.COMPLETE)
    with pytest.raises(RuleViolation, match="already draft"):
        pm.set_status(incident_id, PostmortemStatus.DRAFT)
    clock.advance(timedelta(hours=2))
    reviewed = as_person(pm, "tom").set_status(incident_id, PostmortemStatus.IN_REVIEW)
    assert (reviewed.status, reviewed.status_by, reviewed.status_at) == (PostmortemStatus.IN_REVIEW, "tom",
                                                                         NOW + timedelta(hours=3, minutes=30))
    back = pm.set_status(incident_id, PostmortemStatus.DRAFT)
    assert back.status is PostmortemStatus.DRAFT and back.status_by == "maya"
    events = [e for e in service.events(incident_id) if e.kind is EventKind.POSTMORTEM]
    assert [e.text for e in events] == ["post-mortem drafted from the timeline", "post-mortem draft → in review",
                                        "post-mortem in review → draft"]
    assert events[1].actor == "tom" and events[1].data == {"action": "status", "from": "draft", "to": "in-review"}


def test_completing_needs_every_section_written_and_records_the_document(service, pm, clock):
    incident_id = resolved(service, clock)
    pm.draft(incident_id)
    write_prompts(pm, incident_id)
    root, well = (pm.get(incident_id).sections[s].revision for s in (Section.ROOT_CAUSE, Section.WENT_WELL))
    pm.save_section(incident_id, Section.ROOT_CAUSE, "", root)
    pm.save_section(incident_id, Section.WENT_WELL, "   ", well)
    pm.set_status(incident_id, PostmortemStatus.IN_REVIEW)
    with pytest.raises(RuleViolation, match="prompt: Root cause and contributing factors, What went well$"):
        pm.set_status(incident_id, PostmortemStatus.COMPLETE)
    pm.save_section(incident_id, Section.ROOT_CAUSE, "The CRM export has no completeness check.", root + 1)
    pm.save_section(incident_id, Section.WENT_WELL, "The runbook held.", well + 1)
    done = pm.set_status(incident_id, PostmortemStatus.COMPLETE)
    assert done.status is PostmortemStatus.COMPLETE
    event = service.events(incident_id)[-1]
    assert event.kind is EventKind.POSTMORTEM and event.data["to"] == "complete"
    assert event.data["document"].startswith("# Post-mortem: INC-1 — Weekly CAC doubled\n")
    assert "The CRM export has no completeness check." in event.data["document"]
    assert event.data["activity"] == "post_mortem"
    with pytest.raises(RuleViolation, match="complete: move it back to in review to edit it"):
        pm.save_section(incident_id, Section.SUMMARY, "late edit", 1)
    assert pm.set_status(incident_id, PostmortemStatus.IN_REVIEW).status is PostmortemStatus.IN_REVIEW


def test_the_document_in_markdown_and_html(service, pm, clock):
    incident_id = resolved(service, clock)
    pm.draft(incident_id)
    pm.save_section(incident_id, Section.SUMMARY, "<script>alert(1)</script> CAC was *wrong*", 1)
    pm.add_action(incident_id, "Add a row-count check", "tom", date(2026, 12, 4), Priority.HIGH)
    markdown = pm.document(incident_id, "md")
    assert "## Summary\n\n<script>alert(1)</script> CAC was *wrong*" in markdown
    assert "| 1 | Add a row-count check | Tom Brandt | 2026-12-04 | high | open |" in markdown
    page = pm.document(incident_id, "html")
    assert page.startswith("<!DOCTYPE html>") and "<script>" not in page and "&lt;script&gt;" in page


# -- the close rule ---------------------------------------------------------------------------


def test_a_sev1_cannot_close_until_complete_and_every_open_item_is_tracked(service, pm, clock):
    incident_id = resolved(service, clock, severity=Severity.SEV1)
    with pytest.raises(RuleViolation, match=r"\(it has no post-mortem yet\); give a reason to override"):
        service.change_status(incident_id, Status.CLOSED)
    pm.draft(incident_id)
    item = pm.add_action(incident_id, "Add a row-count check")
    settled = pm.add_action(incident_id, "Rewrite the loader")
    pm.wont_do(settled.id, "the loader is retired next quarter")  # settled: needs no owner nor date
    with pytest.raises(RuleViolation) as refused:
        service.change_status(incident_id, Status.CLOSED)
    assert ("(its post-mortem is draft, not complete; action item A-1 has no owner and no due date)"
            in str(refused.value))
    complete(pm, incident_id)
    pm.change_action(item.id, owner="tom")
    assert close_blockers(pm.db, incident_id) == ["action item A-1 has no due date"]
    pm.change_action(item.id, due=date(2026, 12, 4))
    assert close_blockers(pm.db, incident_id) == []
    closed = service.change_status(incident_id, Status.CLOSED)
    assert closed.status is Status.CLOSED and "close_override" not in kinds(service, incident_id)


def test_an_override_with_a_reason_closes_and_logs_the_blockers(service, pm, clock):
    incident_id = resolved(service, clock, severity=Severity.SEV2)
    pm.draft(incident_id)
    pm.add_action(incident_id, "Alert on row counts", owner="priya")
    closed = service.change_status(incident_id, Status.CLOSED, "the team decided in the weekly review")
    assert closed.status is Status.CLOSED
    override = [e for e in service.events(incident_id) if e.kind is EventKind.CLOSE_OVERRIDE]
    assert len(override) == 1
    assert override[0].data == {"reason": "the team decided in the weekly review",
                                "blockers": ["its post-mortem is draft, not complete",
                                             "action item A-1 has no due date"]}


def test_a_sev3_closes_freely(service, pm, clock):
    incident_id = resolved(service, clock, severity=Severity.SEV3)
    pm.add_action(incident_id, "Nice to have")
    assert service.change_status(incident_id, Status.CLOSED).status is Status.CLOSED
    assert "close_override" not in kinds(service, incident_id)


# -- root cause and recurrence ----------------------------------------------------------------


def at_days_ago(service, clock, days: float, **kwargs) -> int:
    clock.set(NOW - timedelta(days=days))
    incident_id = resolved(service, clock, **kwargs)
    clock.set(NOW)
    return incident_id


def test_the_same_cause_on_the_same_asset_within_90_days_recurs_of_the_latest(service, pm, clock):
    oldest = at_days_ago(service, clock, 80)
    latest = at_days_ago(service, clock, 30)
    pm.set_root_cause(oldest, "upstream-schema-change")
    second = pm.set_root_cause(latest, "Upstream Schema Change")  # as people type it
    assert second.root_cause == "upstream-schema-change" and second.recurring_of == oldest
    pm.add_action(latest, "Contract test on the export schema", "tom", date(2026, 11, 1))
    done = pm.add_action(latest, "Alert on a new column", "priya", date(2026, 11, 1))
    pm.finish_action(done.id)
    now = declare(service)
    marked = pm.set_root_cause(now.id, "upstream-schema-change")
    assert marked.recurring_of == latest
    earlier, items = pm.recurrence(marked)
    assert earlier.id == latest and [i.status for i in items] == [ActionStatus.OPEN, ActionStatus.DONE]
    cause, repeat = service.events(now.id)[-2:]
    assert cause.kind is EventKind.ROOT_CAUSE and repeat.kind is EventKind.ROOT_CAUSE
    assert cause.text == "root cause: upstream-schema-change"
    assert repeat.text == f"recurring: same asset and cause (upstream-schema-change) as INC-{latest}"
    assert repeat.data == {"cause": "upstream-schema-change", "recurring_of": latest, "from_recurring_of": None}
    with pytest.raises(RuleViolation, match="already upstream-schema-change"):
        pm.set_root_cause(now.id, "upstream-schema-change")


def test_an_earlier_cause_set_later_marks_the_later_incident_and_a_changed_cause_unlinks_it(service, pm, clock):
    earlier = at_days_ago(service, clock, 10)
    later = declare(service).id
    pm.set_root_cause(later, "stale-table")
    assert service.get(later).recurring_of is None
    pm.set_root_cause(earlier, "stale-table")  # the older one's cause, recorded afterwards
    assert service.get(later).recurring_of == earlier
    assert service.events(later)[-1].text == f"recurring: same asset and cause (stale-table) as INC-{earlier}"
    pm.set_root_cause(earlier, "bad-file")  # on second thoughts
    assert service.get(later).recurring_of is None
    assert service.events(later)[-1].text.startswith("no longer recurring")


def test_a_dismissed_report_never_counts_as_an_earlier_incident(service, pm, clock):
    from oncall.domain.status import Status as S

    dismissed = service.declare(Declaration(title="Spike is a campaign", severity=Severity.SEV3, asset="cac-pipeline",
                                            status=S.TRIAGE)).id
    service.change_status(dismissed, S.DISMISSED, "a real campaign")
    pm.set_root_cause(dismissed, "stale-table")
    later = declare(service).id
    assert pm.set_root_cause(later, "stale-table").recurring_of is None


@pytest.mark.parametrize(("days", "earlier"), [(90, dict()), (91, None), (10, dict(source=DetectionSource.DRILL)),
                                                (10, dict(asset="cac-dashboard"))],
                         ids=["90 days", "91 days", "a drill", "another asset"])
def test_what_does_not_recur(service, pm, clock, days, earlier):
    first = at_days_ago(service, clock, days, **(earlier or {}))
    pm.set_root_cause(first, "stale-table")
    later = declare(service)
    marked = pm.set_root_cause(later.id, "stale-table")
    assert marked.recurring_of == (first if earlier == {} else None)
    assert (pm.recurrence(marked) is None) == (earlier != {})


def test_a_drill_never_recurs_and_a_bad_cause_is_refused(service, pm, clock):
    first = at_days_ago(service, clock, 10)
    pm.set_root_cause(first, "stale-table")
    drill = declare(service, source=DetectionSource.DRILL)
    assert pm.set_root_cause(drill.id, "stale-table").recurring_of is None
    for bad in ("", "stale table!", "x" * 65, "\x1b[31m"):
        with pytest.raises(RuleViolation, match="use a failure tag"):
            pm.set_root_cause(first, bad)


# -- action items -----------------------------------------------------------------------------


def test_action_items_move_to_done_wont_do_and_back(service, pm, clock):
    incident_id = resolved(service, clock)
    item = pm.add_action(incident_id, "  Add a\trow-count check \x07", "tom", date(2026, 12, 4), Priority.HIGH)
    assert (item.ref, item.title, item.owner, item.status, item.created_by) == (
        "A-1", "Add a row-count check", "tom", ActionStatus.OPEN, "maya")
    added = service.events(incident_id)[-1]
    assert added.kind is EventKind.ACTION_ITEM and added.text == "action item A-1 added: Add a row-count check"
    assert added.data["item"] == 1 and added.data["due"] == "2026-12-04" and added.data["activity"] == "action_items"
    assert pm.finish_action(item.id).status is ActionStatus.DONE
    with pytest.raises(RuleViolation, match="A-1 is already done"):
        pm.finish_action(item.id)
    reopened = pm.reopen_action(item.id)
    assert reopened.status is ActionStatus.OPEN
    with pytest.raises(RuleViolation, match="won't do needs a reason"):
        pm.wont_do(item.id, " \x07 ")
    wont = pm.wont_do(item.id, "the loader is retired")
    assert (wont.status, wont.reason) == (ActionStatus.WONT_DO, "the loader is retired")
    assert service.events(incident_id)[-1].text == "action item A-1 won't do: the loader is retired"
    assert pm.reopen_action(item.id).reason == ""
    with pytest.raises(ActionItemNotFound, match="no action item A-99"):
        pm.finish_action(99)


def test_changing_an_item_records_only_what_changed(service, pm, clock):
    incident_id = resolved(service, clock)
    item = pm.add_action(incident_id, "Add a row-count check")
    changed = pm.change_action(item.id, owner="priya", due=date(2026, 12, 1), priority=Priority.LOW)
    assert (changed.owner, changed.due, changed.priority) == ("priya", date(2026, 12, 1), Priority.LOW)
    assert service.events(incident_id)[-1].text == "action item A-1: owner priya, due 2026-12-01, priority low"
    before = len(service.events(incident_id))
    assert pm.change_action(item.id, owner="priya", priority=Priority.LOW) == changed
    assert len(service.events(incident_id)) == before
    assert pm.change_action(item.id, owner="").owner == ""  # nobody owns it again


def test_an_owner_must_be_on_the_roster_and_a_title_is_needed(service, pm, clock):
    incident_id = resolved(service, clock)
    with pytest.raises(RuleViolation, match="'nobody' is not on the roster; known: maya, tom"):
        pm.add_action(incident_id, "Add a check", "nobody")
    with pytest.raises(RuleViolation, match="needs a title"):
        pm.add_action(incident_id, "\x1b[2J \u200b")
    with pytest.raises(RuleViolation, match="at most 200 characters"):
        pm.add_action(incident_id, "x" * 201)
    item = pm.add_action(incident_id, "Add a check")
    with pytest.raises(RuleViolation, match="not on the roster"):
        pm.change_action(item.id, owner="nobody")
    with pytest.raises(IncidentNotFound):
        pm.add_action(999, "Add a check")
    assert pm.actions_of(incident_id) == [item]


def test_the_overdue_listing_follows_the_clock(service, pm, clock):
    incident_id = resolved(service, clock)
    late = pm.add_action(incident_id, "Was due yesterday", "tom", date(2026, 11, 26))
    today = pm.add_action(incident_id, "Due today", "priya", date(2026, 11, 27))
    later = pm.add_action(incident_id, "Due next week", "tom", date(2026, 12, 4))
    undated = pm.add_action(incident_id, "No date yet", "tom")
    done = pm.add_action(incident_id, "Done already", "tom", date(2026, 11, 1))
    pm.finish_action(done.id)
    assert [i.id for i in pm.actions(overdue=True)] == [late.id]
    assert [i.id for i in pm.actions()] == [late.id, today.id, later.id, undated.id, done.id]
    assert [i.id for i in pm.actions(owner="priya")] == [today.id]
    clock.advance(timedelta(days=8))
    assert [i.id for i in pm.actions(overdue=True)] == [late.id, today.id, later.id]
    assert [i.id for i in pm.actions(owner="tom", overdue=True)] == [late.id, later.id]
