"""What a person types: severities, statuses, detection sources, moments; and what they read back:
ages in the queue, and who is on call."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from oncall.domain.clock import FrozenClock, humanize_age, parse_moment
from oncall.domain.incident import DetectionSource
from oncall.domain.people import Rotation
from oncall.domain.severity import Severity
from oncall.domain.status import Status

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("typed", "expected"), [
    ("SEV-1", Severity.SEV1), ("sev2", Severity.SEV2), ("2", Severity.SEV2),
    (" sev_3 ", Severity.SEV3), ("Sev-1", Severity.SEV1),
])
def test_severity_accepts_what_people_type(typed: str, expected: Severity) -> None:
    assert Severity.parse(typed) is expected


@pytest.mark.parametrize("typed", ["SEV-4", "critical", "", "0", "SEV--1"])
def test_unknown_severity_names_the_input_and_the_choices(typed: str) -> None:
    with pytest.raises(ValueError) as error:
        Severity.parse(typed)
    assert repr(typed) in str(error.value)
    assert "SEV-1, SEV-2, SEV-3" in str(error.value)


def test_status_parse_and_its_error() -> None:
    assert Status.parse(" Monitoring ") is Status.MONITORING
    with pytest.raises(ValueError) as error:
        Status.parse("fixed")
    assert "'fixed'" in str(error.value)
    assert all(s.value in str(error.value) for s in Status)


def test_detection_source_parse_and_its_error() -> None:
    assert DetectionSource.parse("user-report") is DetectionSource.USER_REPORT
    assert DetectionSource.parse("ALERT") is DetectionSource.ALERT
    with pytest.raises(ValueError) as error:
        DetectionSource.parse("pager")
    assert "'pager'" in str(error.value)
    assert "alert, dbt, user_report, drill" in str(error.value)


@pytest.mark.parametrize(("typed", "expected"), [
    ("now", NOW),
    ("-45m", NOW - timedelta(minutes=45)),
    ("-2h", NOW - timedelta(hours=2)),
    ("-1d", NOW - timedelta(days=1)),
    ("09:30", datetime(2026, 11, 27, 9, 30, tzinfo=timezone.utc)),
    ("23:30", datetime(2026, 11, 26, 23, 30, tzinfo=timezone.utc)),  # later than now today: last night
    ("2026-11-27T09:30", datetime(2026, 11, 27, 9, 30, tzinfo=timezone.utc)),
    ("2026-11-27T09:30:15Z", datetime(2026, 11, 27, 9, 30, 15, tzinfo=timezone.utc)),
    ("2026-11-27T09:30+01:00", datetime(2026, 11, 27, 8, 30, tzinfo=timezone.utc)),
    ("2026-11-27T09:30:15.750Z", datetime(2026, 11, 27, 9, 30, 15, tzinfo=timezone.utc)),
])
def test_parse_moment(typed: str, expected: datetime) -> None:
    moment = parse_moment(typed, FrozenClock(NOW))
    assert moment == expected
    assert moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize("typed", ["yesterday", "-2x", "-h", "25:00", "12:75", "-99999999d", ""])
def test_unreadable_moment_says_what_would_be_read(typed: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_moment(typed, FrozenClock(NOW))
    assert "ISO 8601" in str(error.value)


@pytest.mark.parametrize(("delta", "shown"), [
    (timedelta(seconds=-5), "0s"), (timedelta(seconds=59), "59s"), (timedelta(minutes=1), "1m"),
    (timedelta(minutes=59, seconds=59), "59m"), (timedelta(hours=1), "1h"), (timedelta(hours=23), "23h"),
    (timedelta(days=1), "1d"), (timedelta(days=13), "13d"), (timedelta(days=14), "2w"),
    (timedelta(days=400), "57w"),
])
def test_humanize_age(delta: timedelta, shown: str) -> None:
    assert humanize_age(delta) == shown


def test_rotation_hands_the_pager_on_every_shift_and_wraps_around() -> None:
    rotation = Rotation(start=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), shift_days=7, people=["maya", "tom", "priya"])
    start = rotation.start
    assert rotation.on_call(start) == "maya"
    assert rotation.on_call(start + timedelta(days=6, hours=23)) == "maya"
    assert rotation.on_call(start + timedelta(days=7)) == "tom"
    assert rotation.on_call(start + timedelta(days=14)) == "priya"
    assert rotation.on_call(start + timedelta(days=21)) == "maya"
    assert Rotation(start=start).on_call(start) is None


@pytest.mark.parametrize("before", [timedelta(seconds=1), timedelta(days=1), timedelta(days=7), timedelta(days=800)])
def test_nobody_is_on_call_before_the_rotation_starts(before: timedelta) -> None:
    rotation = Rotation(start=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), shift_days=7, people=["maya", "tom", "priya"])
    assert rotation.on_call(rotation.start - before) is None
    assert rotation.on_call(rotation.start) == "maya"


def test_rotation_written_without_a_time_zone_is_read_as_utc() -> None:
    # `start = 2026-01-05T09:00:00` (no Z) or `start = 2026-01-05` in oncall.toml
    naive = Rotation(start=datetime(2026, 1, 5, 9), people=["maya", "tom"])
    assert naive.on_call(datetime(2026, 1, 12, 9, tzinfo=timezone.utc)) == "tom"
    assert naive.on_call(datetime(2026, 1, 12, 8, 59, tzinfo=timezone.utc)) == "maya"
