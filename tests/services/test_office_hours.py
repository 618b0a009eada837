"""Office hours and availability slots in Copenhagen wall time, on both sides of daylight saving.

The default office is open Monday to Friday, 09:00-16:00. Summer time begins on Sunday
29 March 2026 and ends on Sunday 25 October 2026.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import OfficeHours
from bot.runtime import Runtime
from bot.services.office_hours import in_slot, is_open, next_opening, office_time_between

ZONE = ZoneInfo("Europe/Copenhagen")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_open_from_nine_until_four_on_weekdays_in_local_time(rt: Runtime) -> None:
    hours = rt.config.office_hours
    assert not is_open(hours, utc(2026, 3, 2, 7, 59), ZONE)  # 08:59 in winter
    assert is_open(hours, utc(2026, 3, 2, 8, 0), ZONE)
    assert is_open(hours, utc(2026, 3, 2, 14, 59), ZONE)
    assert not is_open(hours, utc(2026, 3, 2, 15, 0), ZONE)  # 16:00
    assert is_open(hours, utc(2026, 6, 1, 7, 0), ZONE)  # 09:00 in summer
    assert not is_open(hours, utc(2026, 6, 1, 14, 0), ZONE)  # 16:00 in summer
    assert not is_open(hours, utc(2026, 3, 7, 10, 0), ZONE)  # a Saturday


def test_next_opening_after_the_weekend_when_summer_time_begins(rt: Runtime) -> None:
    hours = rt.config.office_hours
    friday_evening = utc(2026, 3, 27, 17, 0)  # 18:00 winter time
    assert next_opening(hours, friday_evening, ZONE) == utc(2026, 3, 30, 7, 0)  # 09:00 summer
    assert next_opening(hours, utc(2026, 3, 30, 5, 0), ZONE) == utc(2026, 3, 30, 7, 0)
    open_now = utc(2026, 3, 30, 9, 0)
    assert next_opening(hours, open_now, ZONE) == open_now


def test_next_opening_when_summer_time_ends(rt: Runtime) -> None:
    hours = rt.config.office_hours
    saturday = utc(2026, 10, 24, 12, 0)
    assert next_opening(hours, saturday, ZONE) == utc(2026, 10, 26, 8, 0)  # 09:00 winter


def test_waiting_is_counted_in_office_time_only(rt: Runtime) -> None:
    hours = rt.config.office_hours
    # Friday 15:00 to Monday 10:00 (winter): one hour on Friday, one on Monday.
    assert office_time_between(
        hours, utc(2026, 3, 6, 14, 0), utc(2026, 3, 9, 9, 0), ZONE
    ) == timedelta(hours=2)
    # The same across the change to summer time: still two hours.
    assert office_time_between(
        hours, utc(2026, 3, 27, 14, 0), utc(2026, 3, 30, 8, 0), ZONE
    ) == timedelta(hours=2)
    # Sent and answered in the evening: no office time at all.
    assert office_time_between(
        hours, utc(2026, 3, 2, 18, 0), utc(2026, 3, 2, 20, 0), ZONE
    ) == timedelta(0)


def test_office_time_is_real_time_on_the_days_the_clocks_change() -> None:
    around_the_clock = OfficeHours(days=tuple(range(7)), start=time(0, 0), end=time(23, 59))
    # Sunday 29 March has 23 hours: from 00:00 to 23:00 local is 22 hours.
    assert office_time_between(
        around_the_clock, utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 21, 0), ZONE
    ) == timedelta(hours=22)
    # Sunday 25 October has 25 hours: from 00:00 to 23:00 local is 24 hours.
    assert office_time_between(
        around_the_clock, utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 22, 0), ZONE
    ) == timedelta(hours=24)


def test_a_peers_slots_follow_local_time() -> None:
    assert in_slot("weekday_day", utc(2026, 3, 2, 7, 0), ZONE)  # Monday 08:00
    assert not in_slot("weekday_day", utc(2026, 3, 2, 6, 59), ZONE)
    assert in_slot("evening", utc(2026, 7, 4, 19, 59), ZONE)  # Saturday 21:59 in summer
    assert not in_slot("evening", utc(2026, 7, 4, 20, 0), ZONE)  # 22:00
    assert in_slot("weekend", utc(2026, 3, 8, 8, 0), ZONE)  # Sunday 09:00
    assert not in_slot("weekend", utc(2026, 3, 9, 8, 0), ZONE)  # Monday
    assert not in_slot("night_owl", utc(2026, 3, 2, 1, 0), ZONE)  # an unknown slot
