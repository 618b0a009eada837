"""Ending a contact and the citizen's feedback, without Telegram: who is told what, that the
request closes, and that a rating is stored once and only for the citizen's own ended contact.

Who acts: a contact is a person's own or nothing, and only its two people end it.
"""

from __future__ import annotations

from bot.runtime import Runtime
from bot.services import contacts
from bot.services import contacts as contact_service
from bot.storage import contacts as contact_store
from bot.storage.requests import RequestStatus
from tests.services import given
from tests.services.given import CITIZEN, OTHER_CITIZEN, PEER, World


async def test_when_the_peer_ends_only_the_citizen_is_told_and_offered_feedback(
    rt: Runtime,
) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)

    assert await contacts.end(rt, contact, "peer")
    assert not await contacts.end(rt, contact, "peer")  # a second press ends nothing

    assert [chat for chat, _ in await given.sent(rt, "contact-ended")] == [CITIZEN]
    assert [chat for chat, _ in await given.sent(rt, "feedback")] == [CITIZEN]
    assert contact.request_id is not None
    closed = await given.fresh(rt, contact.request_id)
    assert closed.status is RequestStatus.CLOSED


async def test_when_the_citizen_ends_the_peer_is_told(rt: Runtime) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    assert await contacts.end(rt, contact, "citizen")
    assert [chat for chat, _ in await given.sent(rt, "contact-ended")] == [PEER]
    assert [chat for chat, _ in await given.sent(rt, "feedback")] == [CITIZEN]


async def test_a_citizen_who_blocked_the_bot_is_not_asked_for_feedback(rt: Runtime) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    citizen = await given.user(rt, CITIZEN)

    assert await contacts.citizen_unreachable(rt, citizen) == 1

    ended = await contact_store.contact(rt.storage, contact.id)
    assert ended is not None and ended.ended_by == "unreachable"
    assert await given.sent(rt, "feedback") == []
    assert [chat for chat, _ in await given.sent(rt, "contact-ended")] == [PEER]


async def test_a_rating_counts_once_and_only_for_the_citizens_own_ended_contact(
    rt: Runtime,
) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    citizen = await given.user(rt, CITIZEN)
    stranger = await given.citizen(rt, OTHER_CITIZEN, "da")

    assert not await contacts.rate(rt, citizen, contact.id, 5)  # still active
    await contacts.end(rt, contact, "citizen")
    assert not await contacts.rate(rt, stranger, contact.id, 5)
    assert await contacts.rate(rt, citizen, contact.id, 4)
    assert not await contacts.rate(rt, citizen, contact.id, 1)  # rated already

    rows = await rt.storage.fetchall(
        "SELECT rating FROM feedback WHERE contact_id = ?", (contact.id,)
    )
    assert [row[0] for row in rows] == [4]


async def test_no_thanks_stores_nothing(rt: Runtime) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    citizen = await given.user(rt, CITIZEN)
    await contacts.end(rt, contact, "citizen")
    assert await contacts.rate(rt, citizen, contact.id, 0)
    assert not await contact_store.feedback_exists(rt.storage, contact.id)


async def test_a_comment_is_one_line_of_at_most_500_characters(rt: Runtime) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    citizen = await given.user(rt, CITIZEN)
    await contacts.end(rt, contact, "citizen")
    await contacts.rate(rt, citizen, contact.id, 5)
    feedback_id = await contacts.comment_pending(rt, citizen)
    assert feedback_id is not None

    await contacts.add_comment(rt, feedback_id, "  Tak\n\nfor " + "x" * 600)

    (comment,) = await rt.storage.fetchone(
        "SELECT comment FROM feedback WHERE id = ?", (feedback_id,)
    )
    assert comment.startswith("Tak for x") and len(comment) == contacts.COMMENT_LIMIT
    assert await contacts.comment_pending(rt, citizen) is None


async def test_a_contact_is_found_for_its_own_peer_only(world: World) -> None:
    rt = world.rt
    assert await contact_service.own_as_peer(rt, world.contact.id, world.other_peer.id) is None
    assert await contact_service.own_as_peer(rt, world.contact.id, world.citizen.id) is None
    own = await contact_service.own_as_peer(rt, world.contact.id, world.peer.id, kind="peer")
    assert own is not None and own.id == world.contact.id
    assert (
        await contact_service.own_as_peer(rt, world.contact.id, world.peer.id, kind="coordinator")
        is None
    )


async def test_mine_is_a_citizens_contacts_or_a_peers(world: World) -> None:
    rt = world.rt
    assert [c.id for c in await contact_service.mine(rt, world.citizen.id)] == [world.contact.id]
    assert [c.id for c in await contact_service.mine(rt, world.peer.id)] == [world.contact.id]
    assert await contact_service.mine(rt, world.other_peer.id) == []
    assert await contact_service.mine(rt, world.other_citizen.id) == []


async def test_a_contact_is_ended_only_by_one_of_its_two_people(world: World) -> None:
    rt = world.rt
    assert not await contact_service.end_own(rt, world.contact.id, world.other_peer.id)
    assert not await contact_service.end_own(rt, world.contact.id, world.other_citizen.id)
    assert [c.id for c in await contact_service.of_peer(rt, world.peer.id)] == [world.contact.id]
    assert await contact_service.end_own(rt, world.contact.id, world.citizen.id)
    assert await contact_service.of_peer(rt, world.peer.id) == []
    assert not await contact_service.end_own(rt, world.contact.id, world.peer.id)  # already ended
