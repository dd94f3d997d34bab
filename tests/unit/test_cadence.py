"""The update cadence: what is owed when, across declaring, promised times, severity changes,
resolving and reopening, in the domain's arithmetic and on a real database."""

from __future__ import annotations

from datetime import timedelta

from oncall.domain.cadence import CommsSettings, due_after_update
from oncall.domain.countdown import next_update_text
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.incidents import Declaration

SETTINGS = CommsSettings()


def declare(service, severity=Severity.SEV1, status=Status.INVESTIGATING) -> int:
    return service.declare(Declaration(title="CAC doubled", severity=severity, asset="cac-dashboard",
                                       status=status)).id


def test_a_new_sev1_or_sev2_owes_its_initial_notice_at_once_a_sev3_nothing(service, clock):
    sev1, sev2, sev3 = (declare(service, s) for s in (Severity.SEV1, Severity.SEV2, Severity.SEV3))
    assert service.cadence.get(sev1)[0] == clock.now() and service.cadence.get(sev2)[0] == clock.now()
    assert service.cadence.get(sev3)[0] is None
    triage = declare(service, Severity.SEV1, Status.TRIAGE)
    assert service.cadence.get(triage)[0] is None, "triage is not an incident yet"
    clock.advance(timedelta(minutes=5))
    service.change_status(triage, Status.INVESTIGATING)
    assert service.cadence.get(triage)[0] == clock.now(), "declaring from triage owes the notice"


def test_after_an_update_the_promise_or_one_interval_on(clock):
    now = clock.now()
    assert due_after_update(now, None, Severity.SEV1, Status.INVESTIGATING, SETTINGS) == now + timedelta(minutes=30)
    assert due_after_update(now, None, Severity.SEV2, Status.IDENTIFIED, SETTINGS) == now + timedelta(hours=2)
    promised = now + timedelta(minutes=45)
    assert due_after_update(now, promised, Severity.SEV1, Status.INVESTIGATING, SETTINGS) == promised
    assert due_after_update(now, None, Severity.SEV3, Status.INVESTIGATING, SETTINGS) is None
    assert due_after_update(now, promised, Severity.SEV1, Status.RESOLVED, SETTINGS) is None


def test_severity_changes_bring_the_due_time_forward_or_end_it(service, clock):
    incident = declare(service, Severity.SEV2)
    service.cadence.sent(incident, clock.now(), clock.now() + timedelta(hours=2))
    clock.advance(timedelta(minutes=10))
    service.change_severity(incident, Severity.SEV1, "the exec review uses it")
    assert service.cadence.get(incident)[0] == clock.now() + timedelta(minutes=20), "30 min after the last update"
    service.change_severity(incident, Severity.SEV3, "a workaround exists")
    assert service.cadence.get(incident)[0] is None
    clock.advance(timedelta(minutes=1))
    service.change_severity(incident, Severity.SEV2, "more dashboards hit")
    assert service.cadence.get(incident)[0] == clock.now(), "a cadence starts again: owed at once"


def test_resolving_ends_the_cadence_and_reopening_owes_an_update(service, clock):
    incident = declare(service)
    service.change_status(incident, Status.RESOLVED)
    assert service.cadence.get(incident)[0] is None
    clock.advance(timedelta(minutes=3))
    service.change_status(incident, Status.INVESTIGATING, "numbers wrong again")
    assert service.cadence.get(incident)[0] == clock.now()


def test_what_is_due_is_read_in_sql_most_overdue_first(service, clock):
    first = declare(service)
    clock.advance(timedelta(minutes=1))
    second = declare(service, Severity.SEV2)
    service.cadence.sent(second, clock.now(), clock.now() + timedelta(hours=2))
    clock.advance(timedelta(minutes=1))
    assert [d.incident_id for d in service.cadence.due_by(clock.now())] == [first]
    assert [d.incident_id for d in service.cadence.due_by(clock.now() + timedelta(hours=3))] == [first, second]


def test_the_countdown_reads_as_a_person_says_it(clock):
    now = clock.now()
    assert next_update_text(None, now) == ""
    assert next_update_text(now + timedelta(minutes=12, seconds=5), now) == "due in 12m"
    assert next_update_text(now + timedelta(hours=1, minutes=5), now) == "due in 1h05m"
    assert next_update_text(now + timedelta(seconds=20), now) == "due now"
    assert next_update_text(now - timedelta(minutes=5), now) == "overdue 5m"
