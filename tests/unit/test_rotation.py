"""Who is on call: shifts that change hands at a local time in the team's zone (through
daylight-saving changes), overrides for swaps and holidays, the secondary, and rotations written
before any of that, which must mean what they always meant. Every moment is given explicitly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from oncall.domain.people import Person, Rotation

TEAM = ["ana", "ben", "cem"]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def berlin(**changes) -> Rotation:
    """Weekly shifts, Mondays at 09:00 Berlin time; Ana's first shift began Monday 5 January 2026."""
    values = {"start": date(2026, 1, 5), "timezone": "Europe/Berlin", "handover": "09:00",
              "handover_day": "monday", "people": TEAM, **changes}
    return Rotation.model_validate(values)


def week_of(monday: date) -> str:
    """Whose week it is in `berlin()`: the weeks since 5 January, round the team."""
    return TEAM[((monday - date(2026, 1, 5)).days // 7) % 3]


# -- hand-overs ---------------------------------------------------------------------------------


def test_the_pager_changes_hands_at_0900_local_not_a_minute_before() -> None:
    rotation = berlin()
    # Monday 23 November 2026, winter time: 09:00 in Berlin is 08:00 UTC.
    before, at = rotation.who(utc(2026, 11, 23, 7, 59)), rotation.who(utc(2026, 11, 23, 8, 0))
    assert before.primary == week_of(date(2026, 11, 16)) == "ana"
    assert before.shift_ends == utc(2026, 11, 23, 8, 0) and before.next_person == "ben"
    assert at.primary == "ben" and at.shift_ends == utc(2026, 11, 30, 8, 0) and at.next_person == "cem"


def test_the_first_shift_runs_from_start_to_the_first_hand_over() -> None:
    rotation = berlin(start=datetime(2026, 1, 7, 14, 0))  # a Wednesday afternoon, Berlin time
    assert rotation.on_call(utc(2026, 1, 7, 12, 59)) is None
    first = rotation.who(utc(2026, 1, 7, 13, 0))
    assert first.primary == "ana" and first.shift_ends == utc(2026, 1, 12, 8, 0) and first.next_person == "ben"


def test_before_the_rotation_starts_nobody_is_on_call_and_the_first_person_is_next() -> None:
    now = berlin().who(utc(2025, 12, 31, 12, 0))
    assert (now.primary, now.secondary, now.override) == (None, None, None)
    assert now.next_person == "ana" and now.shift_ends == utc(2026, 1, 5, 8, 0)  # 09:00 CET


@pytest.mark.parametrize(("monday_before", "monday_after", "utc_hour_before", "utc_hour_after"), [
    (date(2026, 3, 23), date(2026, 3, 30), 8, 7),  # clocks go forward on Sunday 29 March
    (date(2026, 10, 19), date(2026, 10, 26), 7, 8),  # and back on Sunday 25 October
], ids=["march", "october"])
def test_a_daylight_saving_week_still_hands_over_at_0900_local(
    monday_before: date, monday_after: date, utc_hour_before: int, utc_hour_after: int
) -> None:
    rotation = berlin()
    began = datetime.combine(monday_before, datetime.min.time(), UTC).replace(hour=utc_hour_before)
    ends = datetime.combine(monday_after, datetime.min.time(), UTC).replace(hour=utc_hour_after)
    assert rotation.who(began - timedelta(minutes=1)).primary != week_of(monday_before)
    midweek = rotation.who(began + timedelta(days=3))
    assert midweek.primary == week_of(monday_before)
    assert midweek.shift_ends == ends  # 09:00 Berlin on the Monday after, in that day's offset
    assert midweek.shift_ends.astimezone(rotation.zone).strftime("%a %H:%M") == "Mon 09:00"
    assert rotation.on_call(ends - timedelta(minutes=1)) == week_of(monday_before)
    assert rotation.on_call(ends) == week_of(monday_after)


def test_daily_shifts_without_a_weekday_hand_over_at_the_local_time_every_day() -> None:
    rotation = Rotation.model_validate({"start": date(2026, 3, 27), "timezone": "Europe/Berlin", "handover": "08:30",
                                        "shift_days": 1, "people": TEAM})
    assert [rotation.on_call(utc(2026, 3, day, 7, 30)) for day in (27, 28)] == ["ana", "ben"]  # 08:30 CET
    assert rotation.who(utc(2026, 3, 29, 6, 0)).shift_ends == utc(2026, 3, 29, 6, 30)  # 08:30 CEST
    assert [rotation.on_call(utc(2026, 3, 29, 6, minute)) for minute in (29, 30)] == ["ben", "cem"]


# -- overrides ----------------------------------------------------------------------------------

# Ana's week begins Monday 7 December 2026 at 09:00 CET (08:00 UTC); Ben's on the 14th, Cem's on the 21st.
HOLIDAY = {"from": datetime(2026, 12, 8, 9, 0), "to": datetime(2026, 12, 10, 9, 0), "person": "cem",
           "reason": "Ana on holiday Tuesday and Wednesday"}


def test_an_override_in_effect_puts_its_person_on_call_and_says_so() -> None:
    rotation = berlin(overrides=[HOLIDAY])
    assert week_of(date(2026, 12, 7)) == "ana"
    now = rotation.who(utc(2026, 12, 9, 12, 0))
    assert now.primary == "cem" and now.scheduled == "ana"
    assert now.override is not None and now.override.reason == "Ana on holiday Tuesday and Wednesday"
    assert now.override.from_ == utc(2026, 12, 8, 8, 0)  # a naive time is Berlin time
    assert now.secondary == "ben"  # neither the primary nor Ana, who is away
    assert now.shift_ends == utc(2026, 12, 10, 8, 0) and now.next_person == "ana" and now.next_override is None
    assert rotation.on_call(utc(2026, 12, 9, 12, 0)) == "cem"


def test_an_override_that_is_coming_ends_the_shift_when_it_starts() -> None:
    now = berlin(overrides=[HOLIDAY]).who(utc(2026, 12, 7, 12, 0))
    assert now.primary == "ana" and now.override is None
    assert now.shift_ends == utc(2026, 12, 8, 8, 0) and now.next_person == "cem"
    assert now.next_override is not None and now.next_override.person == "cem"


def test_an_override_that_has_ended_changes_nothing() -> None:
    now = berlin(overrides=[HOLIDAY]).who(utc(2026, 12, 10, 8, 0))
    assert now.primary == "ana" and now.override is None
    assert now.shift_ends == utc(2026, 12, 14, 8, 0) and now.next_person == "ben"


def test_overlapping_overrides_the_later_listed_one_wins() -> None:
    whole_week = {"from": datetime(2026, 12, 7, 9, 0), "to": datetime(2026, 12, 14, 9, 0), "person": "ben"}
    one_day = {"from": date(2026, 12, 9), "to": date(2026, 12, 9), "person": "cem"}
    rotation = berlin(overrides=[whole_week, one_day])
    assert rotation.on_call(utc(2026, 12, 8, 12, 0)) == "ben"
    inside = rotation.who(utc(2026, 12, 9, 12, 0))
    assert inside.primary == "cem" and inside.override is not None and inside.override.person == "cem"
    assert inside.shift_ends == utc(2026, 12, 9, 23, 0) and inside.next_person == "ben"  # midnight in Berlin
    # Ben's override ends as his own week begins: the pager stays with him until Cem's week.
    after = rotation.who(utc(2026, 12, 10, 12, 0))
    assert after.primary == "ben" and after.shift_ends == utc(2026, 12, 21, 8, 0) and after.next_person == "cem"
    # Listed the other way round, the week-long override hides the day.
    assert berlin(overrides=[one_day, whole_week]).on_call(utc(2026, 12, 9, 12, 0)) == "ben"


def test_a_one_day_holiday_written_as_a_date_covers_that_whole_local_day() -> None:
    rotation = berlin(overrides=[{"from": date(2026, 12, 24), "to": date(2026, 12, 24), "person": "ana"}])
    assert week_of(date(2026, 12, 21)) == "cem"
    assert rotation.on_call(utc(2026, 12, 23, 22, 59)) == "cem"  # 23:59 on the 23rd in Berlin
    assert rotation.on_call(utc(2026, 12, 23, 23, 0)) == "ana"  # midnight: Christmas Eve begins
    assert rotation.on_call(utc(2026, 12, 24, 22, 59)) == "ana"
    assert rotation.on_call(utc(2026, 12, 24, 23, 0)) == "cem"  # Christmas Day: back to Cem
    assert rotation.who(utc(2026, 12, 24, 10, 0)).shift_ends == utc(2026, 12, 24, 23, 0)


def test_an_override_must_end_after_it_starts() -> None:
    with pytest.raises(ValidationError, match="later than from"):
        berlin(overrides=[{"from": date(2026, 12, 24), "to": date(2026, 12, 23), "person": "cem"}])


# -- the secondary ------------------------------------------------------------------------------


def test_the_secondary_is_the_next_person_in_the_rotation() -> None:
    now = berlin().who(utc(2026, 12, 8, 12, 0))
    assert (now.primary, now.secondary) == ("ana", "ben")


def test_a_named_secondary_backs_up_every_shift_but_their_own() -> None:
    rotation = berlin(secondary="cem")
    assert rotation.who(utc(2026, 12, 8, 12, 0)).secondary == "cem"  # Ana's week
    assert rotation.who(utc(2026, 12, 15, 12, 0)).secondary == "cem"  # Ben's week
    cems_week = rotation.who(utc(2026, 12, 22, 12, 0))
    assert cems_week.primary == "cem" and cems_week.secondary == "ana"  # then the next person


def test_a_rotation_of_one_has_no_secondary_and_no_change() -> None:
    now = berlin(people=["ana"]).who(utc(2026, 12, 1, 12, 0))
    assert (now.primary, now.secondary, now.next_person, now.shift_ends) == ("ana", None, None, None)


# -- rotations written before these keys --------------------------------------------------------


@pytest.mark.parametrize("start", [datetime(2026, 1, 5, 9, 0, tzinfo=UTC), datetime(2026, 1, 5, 9, 0),
                                   datetime(2026, 1, 5, 10, 0)], ids=["utc", "naive-is-utc", "another-hour"])
@pytest.mark.parametrize("shift_days", [7, 3])
def test_an_old_style_rotation_means_what_it_always_meant(start: datetime, shift_days: int) -> None:
    rotation = Rotation(start=start, shift_days=shift_days, people=TEAM)
    begin = start.replace(tzinfo=UTC)

    def old_rule(at: datetime) -> str | None:  # what `on_call` computed before time zones
        if at < begin:
            return None
        return TEAM[int((at - begin).total_seconds() / 86400 // shift_days) % 3]

    moments = [begin + timedelta(hours=hours) for hours in range(-2, 24 * 400, 7)]
    moments += [begin + timedelta(days=shift_days * n) + timedelta(seconds=s) for n in (1, 30) for s in (-1, 0)]
    assert [rotation.on_call(at) for at in moments] == [old_rule(at) for at in moments]
    # Across the Berlin daylight-saving change the hand-over stays at the same UTC hour.
    now = rotation.who(utc(2026, 3, 28, 12, 0))
    assert now.shift_ends is not None and (now.shift_ends.hour, now.shift_ends.minute) == (begin.hour, 0)
    assert rotation.timezone == "UTC" and rotation.overrides == [] and rotation.secondary is None


# -- the keys themselves ------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "value", "said"), [
    ("timezone", "Europe/Berln", "unknown time zone"),
    ("timezone", "Europe", "unknown time zone"),
    ("handover", "25:00", "HH:MM"),
    ("handover", "9h", "HH:MM"),
    ("handover_day", "funday", "weekday"),
    ("secondary", "", "at least 1 character"),
])
def test_a_bad_rotation_key_is_refused(key: str, value: str, said: str) -> None:
    with pytest.raises(ValidationError, match=said) as error:
        berlin(**{key: value})
    assert [e["loc"] for e in error.value.errors()] == [(key,)]


def test_a_hand_over_weekday_needs_whole_weeks() -> None:
    with pytest.raises(ValidationError, match="multiple of 7"):
        berlin(shift_days=10)
    assert berlin(shift_days=14, handover_day="Mon").handover_day == "monday"


def test_a_jira_account_is_one_word() -> None:
    assert Person(id="ana", name="Ana", jira_account=" 557058:f58131cb-b67d ").jira_account == "557058:f58131cb-b67d"
    assert Person(id="ana", name="Ana").jira_account == ""
    with pytest.raises(ValidationError, match="no spaces"):
        Person(id="ana", name="Ana", jira_account="ana lopez")
