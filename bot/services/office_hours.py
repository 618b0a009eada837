"""Office hours and peers' availability slots, in the configured time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import OfficeHours

# Availability a peer can choose, as (weekdays, from, to) in local time.
SLOTS: dict[str, tuple[tuple[int, ...], time, time]] = {
    "weekday_day": ((0, 1, 2, 3, 4), time(8, 0), time(17, 0)),
    "evening": ((0, 1, 2, 3, 4, 5, 6), time(17, 0), time(22, 0)),
    "weekend": ((5, 6), time(9, 0), time(17, 0)),
}


def in_slot(slot: str, moment: datetime, zone: ZoneInfo) -> bool:
    if slot not in SLOTS:
        return False
    days, start, end = SLOTS[slot]
    local = moment.astimezone(zone)
    return local.weekday() in days and start <= local.time() < end


def is_open(hours: OfficeHours, moment: datetime, zone: ZoneInfo) -> bool:
    local = moment.astimezone(zone)
    return local.weekday() in hours.days and hours.start <= local.time() < hours.end


def next_opening(hours: OfficeHours, moment: datetime, zone: ZoneInfo) -> datetime:
    """The next moment office hours begin (or `moment` itself when open)."""
    if is_open(hours, moment, zone):
        return moment
    local = moment.astimezone(zone)
    for days_ahead in range(8):
        day = (local + timedelta(days=days_ahead)).date()
        opening = datetime.combine(day, hours.start, tzinfo=zone)
        if day.weekday() in hours.days and opening > local:
            return opening
    return moment


def office_time_between(
    hours: OfficeHours, start: datetime, end: datetime, zone: ZoneInfo
) -> timedelta:
    """How much of [start, end) fell within office hours: waiting is counted in working time."""
    total = timedelta()
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day = local_start.date()
    while day <= local_end.date():
        if day.weekday() in hours.days:
            opening = datetime.combine(day, hours.start, tzinfo=zone)
            closing = datetime.combine(day, hours.end, tzinfo=zone)
            lo, hi = max(opening, local_start), min(closing, local_end)
            if hi > lo:
                # In UTC: times sharing one tzinfo subtract as wall clocks, which miscounts
                # a day whose clocks change (23 or 25 hours long).
                total += hi.astimezone(UTC) - lo.astimezone(UTC)
        day += timedelta(days=1)
    return total
