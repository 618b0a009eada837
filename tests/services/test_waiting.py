"""Honest waiting: the median office time from a sent request to a peer's yes, over the last
30 days, and nothing at all while there are too few requests to say it honestly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import FakeClock
from bot.runtime import Runtime
from bot.services import waiting
from tests.services import given


async def found_after(rt: Runtime, clock: FakeClock, number: int, wait: timedelta) -> None:
    """Citizen `number` sends a request now; a new peer says yes after `wait`."""
    citizen = await given.citizen(rt, 5000 + number)
    request = await given.request(rt, citizen)
    clock.advance(wait)
    await given.yes(rt, request, await given.free_peer(rt, 6000 + number, f"Peer {number}"))


async def test_no_estimate_until_five_requests_found_a_peer(rt: Runtime, clock: FakeClock) -> None:
    for number, minutes in enumerate((10, 50, 20, 40), start=1):
        await found_after(rt, clock, number, timedelta(minutes=minutes))
    assert await waiting.typical_wait(rt) is None
    await found_after(rt, clock, 5, timedelta(minutes=30))
    assert await waiting.typical_wait(rt) == timedelta(minutes=30)


async def test_evenings_and_weekends_do_not_count_and_old_requests_drop_out(
    rt: Runtime, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 6, 14, 50, tzinfo=UTC))  # Friday 15:50 in Copenhagen
    # Each found on Monday at 09:10: twenty minutes of office time, not three days.
    for number in range(1, 6):
        citizen = await given.citizen(rt, 5000 + number)
        request = await given.request(rt, citizen)
        clock.set(datetime(2026, 3, 9, 8, 10, tzinfo=UTC))
        await given.yes(rt, request, await given.free_peer(rt, 6000 + number, f"Peer {number}"))
        clock.set(datetime(2026, 3, 6, 14, 50, tzinfo=UTC))
    clock.set(datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
    assert await waiting.typical_wait(rt) == timedelta(minutes=20)
    clock.advance(waiting.HISTORY)
    assert await waiting.typical_wait(rt) is None
