"""Handover notes without Telegram: only the peer who ended the contact, once, within a week;
the citizen decides; a kept note reaches the next peer's offer.

Who acts: the note prompt is known by its message id, for the contact's own peer only.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.errors import UserInputError
from bot.runtime import Runtime
from bot.services import contacts, handover, matching, peers
from bot.services.handover import Decision, Refusal
from bot.storage.contacts import Contact
from bot.storage.peers import PeerProfile
from bot.storage.users import User
from tests.helpers.harness import COORDINATOR
from tests.services import given
from tests.services.given import CITIZEN, PEER, World

NEXT_PEER = 6002


async def ended_by_peer(rt: Runtime) -> tuple[Contact, User]:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    assert await contacts.end(rt, contact, "peer")
    return contact, await given.user(rt, PEER)


async def note_ids(rt: Runtime) -> list[int]:
    rows = await rt.storage.fetchall("SELECT id FROM handover_notes ORDER BY id")
    return [row[0] for row in rows]


async def test_the_peer_proposes_once_and_the_citizen_is_asked(rt: Runtime) -> None:
    contact, peer = await ended_by_peer(rt)

    assert await handover.propose(rt, peer, contact.id, "Likes  short\nmessages") is None
    assert await handover.propose(rt, peer, contact.id, "again") is Refusal.ALREADY

    [(chat, text)] = await given.sent(rt, "handover")
    assert chat == CITIZEN and "Likes short messages" in text
    assert len(await note_ids(rt)) == 1


async def test_only_the_contacts_own_peer_after_they_ended_it_may_leave_a_note(
    rt: Runtime,
) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    peer = await given.user(rt, PEER)
    assert await handover.may_propose(rt, peer, contact.id) is Refusal.NOT_YOURS  # active
    await contacts.end(rt, contact, "citizen")
    assert await handover.may_propose(rt, peer, contact.id) is Refusal.NOT_YOURS  # not theirs
    other = await given.peer(rt, NEXT_PEER)
    stranger = await given.user(rt, other.telegram_id)
    assert await handover.propose(rt, stranger, contact.id, "hi") is Refusal.NOT_YOURS
    assert await note_ids(rt) == []


async def test_a_note_comes_too_late_after_a_week(rt: Runtime, clock: FakeClock) -> None:
    contact, peer = await ended_by_peer(rt)
    clock.advance(handover.NOTE_WINDOW + timedelta(seconds=1))
    assert await handover.propose(rt, peer, contact.id, "note") is Refusal.TOO_LATE


async def test_a_paused_peer_leaves_no_note(rt: Runtime) -> None:
    contact, peer = await ended_by_peer(rt)
    assert await peers.pause(rt, peer.id, COORDINATOR) is not None
    assert await handover.propose(rt, peer, contact.id, "note") is Refusal.NOT_A_PEER


async def test_an_empty_or_long_note_is_refused(rt: Runtime) -> None:
    contact, peer = await ended_by_peer(rt)
    with pytest.raises(UserInputError):
        await handover.propose(rt, peer, contact.id, " \n ")
    with pytest.raises(UserInputError):
        await handover.propose(rt, peer, contact.id, "x" * (handover.NOTE_LIMIT + 1))
    assert await note_ids(rt) == []


async def test_a_kept_note_reaches_the_next_peers_offer_and_nobody_else_decides(
    rt: Runtime,
) -> None:
    contact, peer = await ended_by_peer(rt)
    await handover.propose(rt, peer, contact.id, "Prefers evenings")
    [note_id] = await note_ids(rt)
    citizen = await given.user(rt, CITIZEN)
    stranger = await given.citizen(rt, 5002, "da")

    assert await handover.decide(rt, stranger, note_id, keep=False) is Decision.STALE
    assert await handover.decide(rt, citizen, note_id, keep=True) is Decision.KEPT
    assert await handover.decide(rt, citizen, note_id, keep=True) is Decision.ALREADY_KEPT

    await peers.set_away(rt, await _profile(rt, peer), True)
    await given.peer(rt, NEXT_PEER)
    waiting = await given.request(rt, CITIZEN)
    assert await matching.offer_next(rt, waiting.id) is not None
    chat, text = (await given.sent(rt, "offer"))[-1]  # the first offer went to the first peer
    assert chat == NEXT_PEER and "Prefers evenings" in text


async def test_a_deleted_note_is_gone(rt: Runtime) -> None:
    contact, peer = await ended_by_peer(rt)
    await handover.propose(rt, peer, contact.id, "Prefers evenings")
    [note_id] = await note_ids(rt)
    assert await handover.decide(rt, await given.user(rt, CITIZEN), note_id, keep=False) is (
        Decision.DELETED
    )
    assert await note_ids(rt) == []


async def _profile(rt: Runtime, peer: User) -> PeerProfile:
    profile = await peers.profile_of(rt, peer)
    assert profile is not None
    return profile


async def test_the_handover_prompt_belongs_to_the_contacts_peer(world: World) -> None:
    rt = world.rt
    assert not await handover.prompt_sent(rt, world.other_peer, world.contact.id, 40)
    assert await handover.prompted_contact(rt, world.other_peer, 40) is None
    assert await handover.prompt_sent(rt, world.peer, world.contact.id, 40)
    assert await handover.prompted_contact(rt, world.peer, 40) == world.contact.id
    assert await handover.prompted_contact(rt, world.peer, 41) is None
    assert await handover.prompted_contact(rt, world.other_peer, 40) is None
