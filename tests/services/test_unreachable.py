"""A peer who blocked the bot: told about once, skipped by matching, their citizens offered a
new peer; a peer who comes back keeps their contacts.

Telegram's word that a person blocked or unblocked the bot is acted on the same way.
"""

from __future__ import annotations

from bot.runtime import Runtime
from bot.services import matching, unreachable
from bot.services.unreachable import NewPeer
from bot.storage import contacts as contact_store
from bot.storage import users as user_store
from bot.storage.requests import RequestStatus
from tests.helpers.harness import COORDINATOR
from tests.services import given
from tests.services.given import CITIZEN, OTHER_CITIZEN, PEER, World

NEXT_PEER = 6002


async def test_the_first_time_coordinators_and_citizens_are_told_once(rt: Runtime) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)

    assert await unreachable.peer_unreachable(rt, PEER)
    assert not await unreachable.peer_unreachable(rt, PEER)

    told = [chat for chat, _ in await given.sent(rt, "peer-unreachable")]
    assert sorted(told) == sorted([CITIZEN, COORDINATOR])
    ongoing = await contact_store.contact(rt.storage, contact.id)
    assert ongoing is not None and ongoing.active and ongoing.peer_unreachable


async def test_someone_who_is_no_peer_is_not_marked(rt: Runtime) -> None:
    await given.citizen(rt, CITIZEN, "da")
    assert not await unreachable.peer_unreachable(rt, CITIZEN)
    assert not await unreachable.peer_unreachable(rt, 4242)
    assert (await given.user(rt, CITIZEN)).unreachable is False


async def test_the_citizen_asks_for_a_new_peer_and_the_request_is_offered_again(
    rt: Runtime,
) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    other = await given.peer(rt, NEXT_PEER, name="Falk")
    await unreachable.peer_unreachable(rt, PEER)
    stranger = await given.citizen(rt, OTHER_CITIZEN, "da")

    assert await unreachable.find_new_peer(rt, stranger, contact.id) is NewPeer.STALE
    assert await unreachable.find_new_peer(rt, await given.user(rt, CITIZEN), contact.id) is (
        NewPeer.REQUEUED
    )
    assert await unreachable.find_new_peer(rt, await given.user(rt, CITIZEN), contact.id) is (
        NewPeer.STALE
    )

    assert contact.request_id is not None
    assert (await given.fresh(rt, contact.request_id)).status is RequestStatus.WAITING
    pending = await contact_store.pending_offer(rt.storage, contact.request_id)
    assert pending is not None and pending.peer_id == other.user_id  # never the lost peer


async def test_a_peer_who_came_back_keeps_the_contact(rt: Runtime) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    await unreachable.peer_unreachable(rt, PEER)
    await user_store.mark_unreachable(rt.storage, PEER, None)  # they wrote to the bot again
    assert await unreachable.find_new_peer(rt, await given.user(rt, CITIZEN), contact.id) is (
        NewPeer.BACK
    )
    still = await contact_store.contact(rt.storage, contact.id)
    assert still is not None and still.active


async def test_matching_skips_an_unreachable_peer_until_they_come_back(rt: Runtime) -> None:
    lost = await given.peer(rt, PEER)
    await unreachable.peer_unreachable(rt, PEER)
    waiting = await given.request(rt, CITIZEN)
    assert await matching.offer_next(rt, waiting.id) is None
    await user_store.mark_unreachable(rt.storage, PEER, None)
    offer_id = await matching.offer_next(rt, waiting.id)
    offer = await contact_store.offer(rt.storage, offer_id or 0)
    assert offer is not None and offer.peer_id == lost.user_id


async def test_a_peer_who_blocks_is_marked_once_and_comes_back_by_unblocking(world: World) -> None:
    rt, peer = world.rt, world.peer
    await unreachable.membership_changed(rt, peer.telegram_id, blocked=True)
    assert (await given.user(rt, peer.telegram_id)).unreachable
    told = await given.sent(rt, "peer-unreachable")
    assert world.citizen.telegram_id in [chat for chat, _ in told]
    await unreachable.membership_changed(rt, peer.telegram_id, blocked=True)  # told once
    assert await given.sent(rt, "peer-unreachable") == told
    await unreachable.membership_changed(rt, peer.telegram_id, blocked=False)
    assert not (await given.user(rt, peer.telegram_id)).unreachable


async def test_someone_unknown_changes_nothing(world: World) -> None:
    await unreachable.membership_changed(world.rt, 999, blocked=True)
    assert await user_store.by_telegram_id(world.rt.storage, 999) is None
