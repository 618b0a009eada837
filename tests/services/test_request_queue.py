"""The coordinators' queue without Telegram: what each filter shows, and that offering,
reassigning and closing re-check the state, are audited, and tell people without the reason."""

from __future__ import annotations

from bot.runtime import Runtime
from bot.services import matching, request_queue
from bot.services.request_queue import CloseReason, Filter, OfferOutcome
from bot.storage import audit as audit_store
from bot.storage import contacts as contact_store
from bot.storage.requests import RequestStatus
from tests.helpers.harness import COORDINATOR
from tests.services import given
from tests.services.given import CITIZEN, OTHER_CITIZEN

PEER_A, PEER_B = 6001, 6002


async def shown(rt: Runtime, wanted: Filter) -> list[int]:
    return [item.request.id for item in await request_queue.items(rt, wanted)]


async def audited(rt: Runtime) -> list[tuple[int, str]]:
    """The queue's own entries in the audit trail (approving the peers is audited too)."""
    entries = await audit_store.latest(rt.storage)
    return [(e.actor_id, e.action) for e in entries if e.action != "approve_peer"]


async def test_each_filter_shows_the_requests_in_that_state(rt: Runtime) -> None:
    await given.peer(rt, PEER_A, capacity=1)
    offered = await given.request(rt, CITIZEN)
    await matching.offer_next(rt, offered.id)
    waiting = await given.request(rt, OTHER_CITIZEN)
    assert await matching.offer_next(rt, waiting.id) is None  # the only peer is full

    assert await shown(rt, Filter.OFFERED) == [offered.id]
    assert await shown(rt, Filter.WAITING) == [waiting.id]
    assert await shown(rt, Filter.ACTIVE) == []
    assert await shown(rt, Filter.ALL) == [offered.id, waiting.id]  # the oldest first
    item = await request_queue.item(rt, offered.id)
    assert item is not None and item.offered_to == "Ravn" and item.state is Filter.OFFERED


async def test_a_chosen_peer_gets_the_offer_and_the_earlier_peer_loses_it(rt: Runtime) -> None:
    a = await given.peer(rt, PEER_A)
    b = await given.peer(rt, PEER_B, name="Falk")
    waiting = await given.request(rt, CITIZEN)
    first = await matching.offer_next(rt, waiting.id)

    outcome = await request_queue.offer_to(rt, waiting.id, b.user_id, COORDINATOR)

    assert outcome is OfferOutcome.OFFERED
    pending = await contact_store.pending_offer(rt.storage, waiting.id)
    assert pending is not None and pending.peer_id == b.user_id
    taken_back = await contact_store.offer(rt.storage, first or 0)
    assert taken_back is not None and taken_back.peer_id == a.user_id
    assert taken_back.status.value == "withdrawn"
    assert await request_queue.offer_to(rt, waiting.id, b.user_id, COORDINATOR) is (
        OfferOutcome.ALREADY
    )
    assert await audited(rt) == [(COORDINATOR, "offer_request")]


async def test_an_offer_to_a_peer_who_is_not_free_or_a_request_not_waiting_changes_nothing(
    rt: Runtime,
) -> None:
    english = await given.peer(rt, PEER_A, languages=("en",))
    waiting = await given.request(rt, CITIZEN, language="da")
    assert await request_queue.offer_to(rt, waiting.id, english.user_id, COORDINATOR) is (
        OfferOutcome.PEER_BUSY
    )
    assert await matching.cancel_request(rt, waiting.id, waiting.citizen_id)
    assert await request_queue.offer_to(rt, waiting.id, english.user_id, COORDINATOR) is (
        OfferOutcome.STALE
    )
    assert await audited(rt) == []


async def test_reassign_ends_the_contact_and_offers_the_request_to_the_chosen_peer(
    rt: Runtime,
) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER_A)
    b = await given.peer(rt, PEER_B, name="Falk")

    assert await request_queue.reassign(rt, contact.id, b.user_id, COORDINATOR) is (
        OfferOutcome.OFFERED
    )

    ended = await contact_store.contact(rt.storage, contact.id)
    assert ended is not None and not ended.active and ended.ended_by == "coordinator"
    assert contact.request_id is not None
    assert (await given.fresh(rt, contact.request_id)).status is RequestStatus.WAITING
    pending = await contact_store.pending_offer(rt.storage, contact.request_id)
    assert pending is not None and pending.peer_id == b.user_id
    assert [chat for chat, _ in await given.sent(rt, "contact-moved")] == [CITIZEN]
    assert [chat for chat, _ in await given.sent(rt, "contact-ended")] == [PEER_A]
    # A second press finds the contact ended.
    assert await request_queue.reassign(rt, contact.id, b.user_id, COORDINATOR) is (
        OfferOutcome.STALE
    )


async def test_closing_tells_the_citizen_kindly_never_the_reason_and_only_once(
    rt: Runtime,
) -> None:
    await given.peer(rt, PEER_A, languages=("en",))
    waiting = await given.request(rt, CITIZEN, language="en")
    offer_id = await matching.offer_next(rt, waiting.id) or 0

    assert await request_queue.close(rt, waiting.id, CloseReason.REFERRED, COORDINATOR)
    assert not await request_queue.close(rt, waiting.id, CloseReason.REFERRED, COORDINATOR)

    closed = await given.fresh(rt, waiting.id)
    assert closed.status is RequestStatus.CLOSED
    [(chat, text)] = await given.sent(rt, "request-closed")
    assert chat == CITIZEN and "closed your request" in text and "eferred" not in text
    offer = await contact_store.offer(rt.storage, offer_id)
    assert offer is not None and offer.status.value == "withdrawn"
    reason = await rt.storage.fetchone(
        "SELECT close_reason FROM requests WHERE id = ?", (waiting.id,)
    )
    assert reason is not None and reason[0] == "referred"


async def test_closing_a_request_in_contact_ends_the_contact(rt: Runtime) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER_A)
    assert contact.request_id is not None
    assert await request_queue.close(rt, contact.request_id, CloseReason.RESOLVED, COORDINATOR)
    ended = await contact_store.contact(rt.storage, contact.id)
    assert ended is not None and not ended.active
    assert await request_queue.items(rt) == []
