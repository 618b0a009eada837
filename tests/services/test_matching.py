"""Matching without Telegram: who is offered a waiting request, when an offer passes on, and
that exactly one peer wins.

Who acts: a citizen withdraws only their own waiting request.
"""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.domain import RequestStatus
from bot.runtime import Runtime
from bot.services import matching, peers, unreachable
from bot.storage import contacts as contact_store
from bot.storage import requests as request_store
from bot.storage.contacts import OfferStatus
from tests.services import given
from tests.services.given import CITIZEN, OTHER_CITIZEN, World

PEER_A, PEER_B = 6001, 6002


async def offered_peer(rt: Runtime, offer_id: int | None) -> int | None:
    if offer_id is None:
        return None
    offer = await contact_store.offer(rt.storage, offer_id)
    assert offer is not None
    return offer.peer_id


async def test_the_offer_goes_to_the_free_peer_who_shares_topic_and_language(rt: Runtime) -> None:
    await given.peer(rt, PEER_A, topics=("anxiety",))
    await given.peer(rt, PEER_B, languages=("en",))
    right = await given.peer(rt, 6003, topics=("loneliness", "anxiety"), languages=("da",))
    waiting = await given.request(rt, CITIZEN, topic="loneliness", language="da")

    offer_id = await matching.offer_next(rt, waiting.id)

    assert await offered_peer(rt, offer_id) == right.user_id
    assert [chat for chat, _ in await given.sent(rt, "offer")] == [right.telegram_id]


async def test_nobody_is_offered_a_request_when_no_peer_fits(rt: Runtime) -> None:
    await given.peer(rt, PEER_A, topics=("anxiety",))
    waiting = await given.request(rt, CITIZEN, topic="loneliness")
    assert await matching.offer_next(rt, waiting.id) is None
    assert (await given.fresh(rt, waiting.id)).status is RequestStatus.WAITING


async def test_away_unreachable_and_not_yet_approved_peers_are_skipped(rt: Runtime) -> None:
    away = await given.peer(rt, PEER_A)
    await peers.set_away(rt, away, True)
    await given.peer(rt, PEER_B)
    assert await unreachable.peer_unreachable(rt, PEER_B)
    await given.peer(rt, 6003, approve=False)
    waiting = await given.request(rt, CITIZEN)
    assert await matching.offer_next(rt, waiting.id) is None

    await peers.set_away(rt, away, False)
    assert await offered_peer(rt, await matching.offer_next(rt, waiting.id)) == away.user_id


async def test_a_peer_is_offered_only_in_their_chosen_hours(rt: Runtime, clock: FakeClock) -> None:
    evening = await given.peer(rt, PEER_A, availability=("evening",))
    waiting = await given.request(rt, CITIZEN)
    assert await matching.offer_next(rt, waiting.id) is None  # 10:00 on a Monday in Denmark
    clock.advance(timedelta(hours=8))  # 18:00
    assert await offered_peer(rt, await matching.offer_next(rt, waiting.id)) == evening.user_id


async def test_pending_offers_count_against_a_peers_capacity(rt: Runtime) -> None:
    only = await given.peer(rt, PEER_A, capacity=1)
    first = await given.request(rt, CITIZEN)
    second = await given.request(rt, OTHER_CITIZEN)
    assert await offered_peer(rt, await matching.offer_next(rt, first.id)) == only.user_id
    assert await matching.offer_next(rt, second.id) is None


async def test_the_peer_with_fewest_contacts_is_asked_first(rt: Runtime) -> None:
    busy = await given.peer(rt, PEER_A, capacity=3)
    first = await given.request(rt, CITIZEN)
    offer_id = await matching.offer_next(rt, first.id)
    assert (await matching.accept(rt, offer_id or 0, PEER_A)).contact is not None
    quiet = await given.peer(rt, PEER_B, capacity=3)
    second = await given.request(rt, OTHER_CITIZEN)
    assert await offered_peer(rt, await matching.offer_next(rt, second.id)) == quiet.user_id
    assert busy.user_id != quiet.user_id


async def test_an_unanswered_offer_expires_and_passes_to_the_next_peer_never_back(
    rt: Runtime, clock: FakeClock
) -> None:
    a = await given.peer(rt, PEER_A)
    b = await given.peer(rt, PEER_B)
    waiting = await given.request(rt, CITIZEN)
    first = await matching.offer_next(rt, waiting.id)
    assert await offered_peer(rt, first) == a.user_id  # fewest contacts, then the lowest id

    clock.advance(timedelta(minutes=rt.config.offer_timeout_minutes - 1))
    assert await matching.expire_offers(rt) == 0
    clock.advance(timedelta(minutes=1))
    assert await matching.expire_offers(rt) == 1

    expired = await contact_store.offer(rt.storage, first or 0)
    assert expired is not None and expired.status is OfferStatus.EXPIRED
    second = await contact_store.pending_offer(rt.storage, waiting.id)
    assert second is not None and second.peer_id == b.user_id
    clock.advance(timedelta(minutes=rt.config.offer_timeout_minutes))
    await matching.expire_offers(rt)
    assert await contact_store.pending_offer(rt.storage, waiting.id) is None  # a was asked


async def test_one_peer_wins_and_a_late_or_foreign_accept_changes_nothing(
    rt: Runtime, clock: FakeClock
) -> None:
    await given.peer(rt, PEER_A)
    waiting = await given.request(rt, CITIZEN)
    offer_id = await matching.offer_next(rt, waiting.id) or 0

    wrong = await matching.accept(rt, offer_id, PEER_B)
    assert wrong.outcome is matching.AcceptOutcome.NOT_YOURS
    won = await matching.accept(rt, offer_id, PEER_A)
    assert won.outcome is matching.AcceptOutcome.ACCEPTED and won.contact is not None
    assert won.contact.citizen_chat == CITIZEN and won.contact.peer_chat == PEER_A
    again = await matching.accept(rt, offer_id, PEER_A)
    assert again.outcome is matching.AcceptOutcome.TAKEN
    assert (await given.fresh(rt, waiting.id)).status is RequestStatus.ACTIVE
    [(chat, text)] = await given.sent(rt, "accepted")
    assert chat == CITIZEN and "Ravn" in text  # the citizen hears the peer's name


async def test_an_offer_accepted_after_it_expired_is_taken(rt: Runtime, clock: FakeClock) -> None:
    await given.peer(rt, PEER_A)
    waiting = await given.request(rt, CITIZEN)
    offer_id = await matching.offer_next(rt, waiting.id) or 0
    clock.advance(timedelta(minutes=rt.config.offer_timeout_minutes))
    late = await matching.accept(rt, offer_id, PEER_A)
    assert late.outcome is matching.AcceptOutcome.TAKEN
    assert (await given.fresh(rt, waiting.id)).status is RequestStatus.WAITING


async def test_a_decline_passes_the_request_on_at_once(rt: Runtime) -> None:
    await given.peer(rt, PEER_A)
    b = await given.peer(rt, PEER_B)
    waiting = await given.request(rt, CITIZEN)
    offer_id = await matching.offer_next(rt, waiting.id) or 0
    assert not await matching.decline(rt, offer_id, PEER_B)  # not B's offer
    assert await matching.decline(rt, offer_id, PEER_A)
    pending = await contact_store.pending_offer(rt.storage, waiting.id)
    assert pending is not None and pending.peer_id == b.user_id


async def test_a_cancelled_request_takes_its_offer_back(rt: Runtime) -> None:
    await given.peer(rt, PEER_A)
    waiting = await given.request(rt, CITIZEN)
    offer_id = await matching.offer_next(rt, waiting.id) or 0
    assert await matching.cancel_request(rt, waiting.id, waiting.citizen_id)
    assert (await given.fresh(rt, waiting.id)).status is RequestStatus.CANCELLED
    offer = await contact_store.offer(rt.storage, offer_id)
    assert offer is not None and offer.status is not OfferStatus.PENDING
    again = await matching.cancel_request(rt, waiting.id, waiting.citizen_id)
    assert not again  # a second press changes nothing


async def test_a_request_nobody_took_in_office_time_is_raised_once(
    rt: Runtime, clock: FakeClock
) -> None:
    waiting = await given.request(rt, CITIZEN)
    clock.advance(timedelta(hours=rt.config.total_wait_hours) - timedelta(minutes=1))
    assert await matching.raise_unanswered(rt) == 0
    clock.advance(timedelta(minutes=1))
    assert await matching.raise_unanswered(rt) == 1
    assert await matching.raise_unanswered(rt) == 0
    assert (await given.fresh(rt, waiting.id)).unanswered_at is not None
    assert [chat for chat, _ in await given.sent(rt, "unanswered")] == [CITIZEN]


async def test_a_request_is_cancelled_only_by_its_citizen(world: World) -> None:
    rt = world.rt
    assert not await matching.cancel_request(rt, world.waiting.id, world.citizen.id)
    assert not await matching.cancel_request(rt, world.waiting.id, world.peer.id)
    waiting = await request_store.by_id(rt.storage, world.waiting.id)
    assert waiting is not None and waiting.status is RequestStatus.WAITING
    assert await matching.cancel_request(rt, world.waiting.id, world.other_citizen.id)
    cancelled = await request_store.by_id(rt.storage, world.waiting.id)
    assert cancelled is not None and cancelled.status is RequestStatus.CANCELLED


async def test_an_active_request_cannot_be_cancelled_this_way(world: World) -> None:
    assert not await matching.cancel_request(world.rt, world.contact.request_id, world.citizen.id)
