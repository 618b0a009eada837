"""/forget: only message ids younger than 48 hours (with a margin) are offered for deletion,
in batches Telegram accepts, and only for people the bot knows."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.runtime import Runtime
from bot.services import forget
from bot.storage import recent_messages
from tests.services import given
from tests.services.given import CITIZEN


async def test_only_young_messages_are_deletable_in_batches_of_100(
    rt: Runtime, clock: FakeClock
) -> None:
    await given.citizen(rt, CITIZEN, "da")
    recent_messages.record_later(rt.later, CITIZEN, 1, clock.now(), from_bot=False)
    clock.advance(timedelta(minutes=20))
    for message_id in range(2, 252):
        recent_messages.record_later(rt.later, CITIZEN, message_id, clock.now(), from_bot=True)

    batches = await forget.deletable(rt, CITIZEN)
    assert [len(b) for b in batches] == [100, 100, 51] and batches[0][0] == 1

    # 48 hours after the first: inside the margin, so only the later ones are offered.
    clock.advance(recent_messages.KEEP - forget.MARGIN - timedelta(minutes=10))
    batches = await forget.deletable(rt, CITIZEN)
    assert batches[0][0] == 2 and sum(len(b) for b in batches) == 250


async def test_deleted_messages_are_forgotten(rt: Runtime) -> None:
    await given.citizen(rt, CITIZEN, "da")
    for message_id in (10, 11, 12):
        recent_messages.record_later(rt.later, CITIZEN, message_id, rt.now(), from_bot=False)
    assert await forget.deletable(rt, CITIZEN) == [[10, 11, 12]]
    await forget.forgotten(rt, CITIZEN, [10, 12])
    assert await forget.deletable(rt, CITIZEN) == [[11]]


async def test_a_stranger_leaves_no_trace(rt: Runtime) -> None:
    recent_messages.record_later(rt.later, 4242, 1, rt.now(), from_bot=False)
    assert await forget.deletable(rt, 4242) == []
