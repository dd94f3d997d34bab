"""The incident queue read from SQLite: open first, most severe first, most recently updated first;
the full-text path gives the same order as the index path; windows, filters, positions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oncall.demo.generate import generate_incidents
from oncall.domain.severity import Severity
from oncall.domain.status import Status
from oncall.service.incidents import Declaration, IncidentService
from oncall.store.queue import QueueFilter, QueueReader

SEARCH_ALL = "affected"  # every synthetic incident's impact says "<asset> affected; ..."
OPEN = frozenset({Status.TRIAGE, Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING})


@pytest.fixture
def history(database, workspace, service: IncidentService, clock) -> QueueReader:
    """400 incidents of synthetic history (mostly finished) and three open ones declared today."""
    generate_incidents(database, workspace.config, 400 - 3, clock.now() - timedelta(hours=1), seed=3)
    for severity, status in ((Severity.SEV3, Status.INVESTIGATING), (Severity.SEV1, Status.TRIAGE),
                             (Severity.SEV3, Status.TRIAGE)):
        clock.advance(timedelta(minutes=1))
        service.declare(Declaration(title="Spend looks off", severity=severity, asset="stg-ad-spend",
                                    impact="dashboards affected", status=status))
    return QueueReader(database)


def expected_order(database, where: str = "1") -> list[int]:
    """The queue order written out from the rules, in Python, not by the code under test."""
    group = {s.value: s.queue_group for s in Status}
    rows = database.conn.execute(f"SELECT id, status, severity, updated_at FROM incidents WHERE {where}").fetchall()
    rows = sorted(rows, key=lambda r: r["id"], reverse=True)
    rows = sorted(rows, key=lambda r: r["updated_at"], reverse=True)
    rows = sorted(rows, key=lambda r: (group[r["status"]], Severity(r["severity"]).rank))
    return [r["id"] for r in rows]


def ids(reader: QueueReader, flt: QueueFilter, offset: int = 0, limit: int = 10_000) -> list[int]:
    return [row.id for row in reader.window(flt, offset, limit)]


def test_open_first_most_severe_first_most_recently_updated_first(history: QueueReader, database) -> None:
    order = ids(history, QueueFilter())
    assert order == expected_order(database)
    statuses = [Status(row.status) for row in history.window(QueueFilter(), 0, 10_000)]
    assert [s.queue_group for s in statuses] == sorted(s.queue_group for s in statuses)
    assert {s.queue_group for s in statuses} == {0, 1, 2}


def test_search_gives_the_same_order_as_the_index(history: QueueReader) -> None:
    everything = ids(history, QueueFilter())
    assert ids(history, QueueFilter(text=SEARCH_ALL)) == everything
    assert history.count(QueueFilter(text=SEARCH_ALL)) == history.count(QueueFilter()) == 400


@pytest.mark.parametrize("text", ["", SEARCH_ALL])
def test_windows_page_through_the_whole_queue(history: QueueReader, text: str) -> None:
    flt = QueueFilter(text=text)
    pages = [ids(history, flt, offset, 37) for offset in range(0, 400, 37)]
    assert [i for page in pages for i in page] == ids(history, QueueFilter())
    assert all(len(page) == 37 for page in pages[:-1])


@pytest.mark.parametrize("flt", [
    QueueFilter(statuses=frozenset({Status.CLOSED})),
    QueueFilter(statuses=frozenset({Status.RESOLVED, Status.DISMISSED}), severities=frozenset({Severity.SEV1})),
    QueueFilter(severities=frozenset({Severity.SEV2, Severity.SEV3})),
], ids=["closed", "resolved-or-dismissed-sev1", "sev2-or-sev3"])
def test_filters_combined_with_text_match_filters_alone(history: QueueReader, database, flt: QueueFilter) -> None:
    statuses = ", ".join(f"'{s.value}'" for s in flt.statuses or Status)
    severities = ", ".join(f"'{s.value}'" for s in flt.severities or Severity)
    expected = expected_order(database, f"status IN ({statuses}) AND severity IN ({severities})")
    assert expected, "the filter should match some of the history"
    with_text = QueueFilter(statuses=flt.statuses, severities=flt.severities, text=SEARCH_ALL)
    assert ids(history, flt) == ids(history, with_text) == expected
    assert history.count(flt) == history.count(with_text) == len(expected)


def test_position_of_is_the_row_the_console_selects(history: QueueReader) -> None:
    for flt in (QueueFilter(), QueueFilter(text=SEARCH_ALL), QueueFilter(statuses=frozenset({Status.CLOSED}), text="aff")):
        order = ids(history, flt)
        for position in (0, 1, len(order) // 2, len(order) - 1):
            assert history.position_of(flt, order[position]) == position
    closed = QueueFilter(statuses=frozenset({Status.CLOSED}))
    resolved_one = ids(history, QueueFilter(statuses=frozenset({Status.RESOLVED})))[0]
    assert history.position_of(closed, resolved_one) is None
    assert history.position_of(QueueFilter(text=SEARCH_ALL + " zzz"), resolved_one) is None
    assert history.position_of(QueueFilter(), 99_999) is None


@pytest.fixture
def declared(service: IncidentService, clock) -> list[int]:
    """Fifty incidents; the first on the CAC dashboard, the rest elsewhere."""
    made = []
    for n in range(50):
        clock.advance(timedelta(minutes=1))
        asset = "cac-dashboard" if n == 0 else "stg-ad-spend"
        incident = service.declare(Declaration(title="Spend export gap", severity=Severity.SEV3, asset=asset))
        made.append(incident.id)
    return made


@pytest.mark.parametrize("typed", ["42", "INC-42", "inc42", " inc-42 "])
def test_typing_an_incident_number_finds_it_first(service, declared, typed: str) -> None:
    reader = QueueReader(service.db)
    flt = QueueFilter(text=typed)
    assert ids(reader, flt) == [42]
    assert reader.count(flt) == 1
    assert reader.position_of(flt, 42) == 0
    # filtered out by status: not found
    assert ids(reader, QueueFilter(text=typed, statuses=frozenset({Status.CLOSED}))) == []


def test_an_incident_number_also_matching_text_keeps_one_row(service, declared) -> None:
    reader = QueueReader(service.db)
    service.set_impact(2, "2 days missing")
    flt = QueueFilter(text="2")  # INC-2 by number and by its impact
    found = ids(reader, flt)
    assert found == [2]
    assert reader.count(flt) == len(found)
    assert [reader.position_of(flt, i) for i in found] == list(range(len(found)))


def test_a_number_and_text_matches_page_without_gaps_or_repeats(service, declared) -> None:
    reader = QueueReader(service.db)
    service.set_impact(declared[4], "gap 42 rows")  # INC-5 matches the text "42"
    flt = QueueFilter(text="42")
    whole = ids(reader, flt)
    assert whole == [42, 5] and reader.count(flt) == 2  # the number first, then the text match
    assert ids(reader, flt, 0, 1) + ids(reader, flt, 1, 1) == whole
    assert ids(reader, flt, 0, 0) == []


def test_changes_move_incidents_in_search_results(service, declared, clock) -> None:
    reader = QueueReader(service.db)
    flt = QueueFilter(text="spend")
    assert ids(reader, flt)[0] == declared[-1]  # newest update first
    clock.advance(timedelta(minutes=1))
    service.add_note(declared[10], "vendor confirmed the gap")
    assert ids(reader, flt)[0] == declared[10]
    assert ids(reader, QueueFilter())[0] == declared[10]
    service.change_severity(declared[20], Severity.SEV1, "exec dashboard")
    assert ids(reader, flt)[0] == declared[20]
    service.change_status(declared[20], Status.RESOLVED)
    assert ids(reader, flt)[0] == declared[10]
    assert ids(reader, QueueFilter(text="spend", statuses=frozenset({Status.RESOLVED}))) == [declared[20]]
    assert ids(reader, QueueFilter(text="cac")) == [declared[0]]


@pytest.mark.parametrize("typed", ['"', "*", "AND", "(", 'spend AND (', 'gap"*', "NOT spend", "spend-"])
def test_anything_typed_searches_without_error(service, declared, typed: str) -> None:
    reader = QueueReader(service.db)
    flt = QueueFilter(text=typed)
    assert len(ids(reader, flt)) == reader.count(flt)


def test_mine_is_every_incident_where_the_person_holds_any_role(history, database, service):
    from oncall.domain.people import Role

    # lukas is IC of some synthetic incidents; give him roles on three more, one of them twice.
    ids = [r[0] for r in database.conn.execute("SELECT id FROM incidents WHERE ic != 'lukas' ORDER BY id LIMIT 3")]
    service.assign_role(ids[0], Role.SME, "lukas")
    service.assign_role(ids[1], Role.LEAD, "lukas")
    service.assign_role(ids[2], Role.PM, "lukas")
    service.assign_role(ids[2], Role.SME, "lukas")
    where = f"ic = 'lukas' OR id IN ({', '.join(map(str, ids))})"
    mine = QueueFilter(person="lukas")
    assert history.count(mine) == len(expected_order(database, where))
    assert [r.id for r in history.window(mine, 0, 1000)] == expected_order(database, where)
    assert history.position_of(mine, ids[2]) == expected_order(database, where).index(ids[2])
    assert history.position_of(mine, next(i for i in expected_order(database) if i not in
                                          expected_order(database, where))) is None
    # With search text (the full-text path) and with a substring search: the same rule.
    searched = QueueFilter(person="lukas", text=SEARCH_ALL)
    assert [r.id for r in history.window(searched, 0, 1000)] == expected_order(database, where)
    assert history.count(QueueFilter(person="lukas", text="%")) == 0
    # An incident named by number that is not lukas's is not listed.
    other = next(i for i in expected_order(database) if i not in expected_order(database, where))
    assert other not in [r.id for r in history.window(QueueFilter(person="lukas", text=str(other)), 0, 10)]
    assert history.window(QueueFilter(person="lukas", text=str(ids[0])), 0, 1)[0].id == ids[0]
    assert history.count(QueueFilter(person="nobody")) == 0
