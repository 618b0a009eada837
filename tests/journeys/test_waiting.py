"""Honest waiting: figures from recent history, never a promise, and plain words when nobody
has said yes."""

from datetime import timedelta

from bot.storage import contacts as contact_store
from bot.storage import requests as request_store
from bot.storage import users as user_store
from bot.storage.requests import RequestStatus
from bot.storage.users import Role
from tests.helpers.flows import ask_for_peer, coordinator, press
from tests.helpers.harness import Harness


async def seed_history(h: Harness, found_after: timedelta, count: int = 5) -> None:
    """`count` earlier requests that found a peer `found_after` after being sent."""
    now = h.clock.now()
    async with h.rt.storage.transaction() as tx:
        peer = await user_store.ensure(tx, 5000, Role.PEER, now, pseudonym="Old")
        for n in range(count):
            sent = now - timedelta(days=7) + timedelta(minutes=n)
            citizen = await user_store.ensure(tx, 6000 + n, Role.CITIZEN, sent)
            request_id = await request_store.create_draft(tx, citizen.id, "topic", sent)
            await request_store.submit(tx, request_id, sent)
            await request_store.set_status(
                tx, request_id, RequestStatus.CLOSED, now, expected=(RequestStatus.WAITING,)
            )
            await contact_store.create_contact(
                tx, request_id, citizen.id, peer.id, sent + found_after
            )


async def test_too_little_history_says_so(harness: Harness) -> None:
    citizen = harness.user(1001, language="en")
    await ask_for_peer(harness, citizen)
    assert "too few requests lately" in citizen.texts[-2]  # the WHO-5 offer comes last


async def test_the_typical_wait_is_told_roughly(harness: Harness) -> None:
    h = harness
    await seed_history(h, timedelta(hours=2, minutes=10))  # Mondays 10:00: all office time
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen)
    assert "within about 2 hours of office time" in citizen.texts[-2]  # then the WHO-5 offer
    citizen.send_text("/status")
    await h.settle()
    assert "within about 2 hours of office time" in citizen.texts[-1]


async def test_nobody_yet_is_said_plainly_with_three_choices(harness: Harness) -> None:
    h = harness
    await coordinator(h)
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen)
    await h.tick(timedelta(hours=4, minutes=1))
    assert "no peer has been able to say yes" in citizen.texts[-1]
    await press(h, citizen, "Keep waiting")
    assert "stays open" in citizen.texts[-1]
    stranger = h.user(3001, language="en")
    stranger.send_text("/start")
    await h.settle()
    stranger.press(stranger.last_message["message_id"], "wait:keep:1", forge=True)
    await h.settle()
    assert stranger.answered_callbacks[-1] == "That button is no longer valid."
