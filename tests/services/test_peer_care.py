"""Care for volunteers without Telegram: a heavy moment is named and a debrief offered, the next
day brings one "how are you?", several in a week bring a suggested break, and a debrief request
reaches the coordinators once."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.runtime import Runtime
from bot.services import matching, peer_care
from bot.storage import peers as peer_store
from bot.storage.contacts import Contact
from tests.helpers.harness import COORDINATOR
from tests.services import given

BREAK = "You have had several heavy moments this week. A break is a good idea"


async def heavy(rt: Runtime, contact: Contact, kind: str = "button") -> list[tuple[int, str]]:
    before = await given.mark(rt)
    async with rt.storage.transaction() as tx:
        await peer_care.heavy_moment(
            tx, rt, contact.peer_id, kind, citizen_name=contact.citizen_name
        )
    return await given.since(rt, before)


async def last_event(rt: Runtime) -> int:
    (event_id,) = await rt.storage.fetchone("SELECT MAX(id) FROM peer_events")
    return int(event_id)


async def test_a_button_press_is_named_and_a_debrief_offered(rt: Runtime) -> None:
    contact = await given.pair(rt)
    sent = await heavy(rt, contact)
    assert [chat for chat, _ in sent] == [contact.peer_chat]
    assert sent[0][1].startswith(f"{contact.citizen_name} asked for urgent help with the button.")
    assert sent[0][1].endswith("a coordinator can talk it through with you.")


async def test_crisis_words_are_not_retold_only_the_debrief_is_offered(rt: Runtime) -> None:
    contact = await given.pair(rt)
    ((_, text),) = await heavy(rt, contact, "signal")
    assert text.startswith("That was a heavy moment.")


async def test_the_third_heavy_moment_in_a_week_suggests_a_break(
    rt: Runtime, clock: FakeClock
) -> None:
    contact = await given.pair(rt)
    await heavy(rt, contact)
    clock.advance(timedelta(days=7, minutes=1))  # the first falls out of the week
    assert not any(BREAK in text for _, text in await heavy(rt, contact))
    assert not any(BREAK in text for _, text in await heavy(rt, contact))
    assert await peer_care.heavy_this_week(rt, contact.peer_id) == 2
    third = await heavy(rt, contact)
    assert [text.startswith(BREAK) for _, text in third] == [False, True]


async def test_the_day_after_one_how_are_you_is_sent(rt: Runtime, clock: FakeClock) -> None:
    contact = await given.pair(rt)
    await heavy(rt, contact)
    before = await given.mark(rt)
    clock.advance(peer_care.FOLLOW_UP_AFTER - timedelta(minutes=1))
    assert await peer_care.follow_ups(rt) == 0
    clock.advance(timedelta(minutes=1))
    assert await peer_care.follow_ups(rt) == 1
    assert await peer_care.follow_ups(rt) == 0
    sent = await given.since(rt, before)
    assert [chat for chat, _ in sent] == [contact.peer_chat]
    assert sent[0][1].startswith("How are you after yesterday?")


async def test_a_debrief_request_reaches_coordinators_once_and_only_from_the_peer_it_concerns(
    rt: Runtime,
) -> None:
    await given.coordinators_in_english(rt)
    contact = await given.pair(rt)
    other = await given.free_peer(rt, 6002, "Bo")
    await heavy(rt, contact)
    event_id = await last_event(rt)
    before = await given.mark(rt)
    assert not await peer_care.ask_debrief(rt, event_id, other.id)
    assert await peer_care.ask_debrief(rt, event_id, contact.peer_id)
    assert await peer_care.ask_debrief(rt, event_id, contact.peer_id)  # a second press: fine
    sent = await given.since(rt, before)
    assert [chat for chat, _ in sent] == [COORDINATOR]
    assert sent[0][1].startswith("Sol, a peer, would like a debrief after a heavy moment.")


async def test_a_break_stops_new_offers(rt: Runtime) -> None:
    contact = await given.pair(rt)
    assert await peer_care.take_break(rt, contact.peer_id)
    profile = await peer_store.profile(rt.storage, contact.peer_id)
    assert profile is not None and profile.away
    citizen = await given.citizen(rt, 5002)
    request = await given.request(rt, citizen)
    assert await matching.offer_next(rt, request.id) is None
