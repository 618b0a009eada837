"""Volunteer peers without Telegram: a single-use invitation, a checked profile, approval by a
coordinator, and what pausing and removing a peer does to their offers and contacts.

Who acts: coordinators' view of the peers refuses anyone else.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.errors import NotAllowed, UserInputError
from bot.runtime import Runtime
from bot.services import matching, peers
from bot.storage import contacts as contact_store
from bot.storage import peers as peer_store
from bot.storage import users as user_store
from bot.storage.contacts import OfferStatus
from bot.storage.peers import PeerStatus
from bot.storage.requests import RequestStatus
from tests.helpers.harness import COORDINATOR
from tests.services import given
from tests.services.given import CITIZEN, PEER, World

NEXT_PEER, NEWCOMER = 6002, 6003


async def test_an_invitation_works_once_and_not_after_it_expires(
    rt: Runtime, clock: FakeClock
) -> None:
    code = await peers.create_invite(rt)
    assert code.startswith(peers.INVITE_PREFIX)
    assert await peers.redeem(rt, code, NEWCOMER, "da") is not None
    assert await peers.redeem(rt, code, 6004, "da") is None
    assert await rt.storage.fetchone("SELECT 1 FROM users WHERE telegram_id = 6004") is None

    late = await peers.create_invite(rt)
    clock.advance(timedelta(hours=rt.config.invite_valid_hours))
    assert await peers.redeem(rt, late, 6005, "da") is None


async def test_a_peer_who_opens_another_invitation_keeps_their_profile_and_approval(
    rt: Runtime,
) -> None:
    approved = await given.peer(rt, PEER, topics=("anxiety",), capacity=3)
    code = await peers.create_invite(rt)

    again = await peers.redeem(rt, code, PEER, "da")

    profile = await peers.profile_of(rt, again)
    assert profile is not None and profile.status is PeerStatus.APPROVED
    assert (profile.topics, profile.capacity) == (frozenset({"anxiety"}), 3)
    assert profile.undertaking_version == approved.undertaking_version is not None
    assert await peers.redeem(rt, code, NEWCOMER, "da") is not None  # still unused


async def test_the_profile_is_checked_as_it_is_filled_in(rt: Runtime) -> None:
    user = await peers.redeem(rt, await peers.create_invite(rt), NEWCOMER, "da")
    profile = await peers.profile_of(rt, user)
    assert profile is not None and profile.status is PeerStatus.ONBOARDING
    with pytest.raises(UserInputError):
        await peers.set_name(rt, profile, "x" * 33)
    with pytest.raises(UserInputError):
        await peers.set_capacity(rt, profile, peers.MAX_CAPACITY + 1)
    profile = await peers.toggle(rt, profile, peers.Step.TOPICS, "anxiety")
    profile = await peers.toggle(rt, profile, peers.Step.TOPICS, "low_mood")
    profile = await peers.toggle(rt, profile, peers.Step.TOPICS, "anxiety")
    assert profile.topics == frozenset({"low_mood"})


async def test_a_finished_profile_waits_for_approval_and_coordinators_are_told(
    rt: Runtime,
) -> None:
    pending = await given.peer(rt, NEWCOMER, approve=False)
    assert pending.status is PeerStatus.PENDING
    assert [chat for chat, _ in await given.sent(rt, "peer-pending")] == [COORDINATOR]
    assert await peers.approve(rt, pending.user_id, COORDINATOR) is not None
    assert await peers.approve(rt, pending.user_id, COORDINATOR) is None  # once
    assert [chat for chat, _ in await given.sent(rt, "peer-approved")] == [NEWCOMER]


async def test_an_approved_peer_editing_the_profile_is_not_asked_the_undertaking_again(
    rt: Runtime,
) -> None:
    profile = await given.peer(rt, PEER)
    assert await peers.advance(rt, profile, peers.Step.AVAILABILITY) is None
    newer = replace(rt.config, undertaking_version=rt.config.undertaking_version + 1)
    rt.config = newer
    assert await peers.advance(rt, profile, peers.Step.AVAILABILITY) is peers.Step.UNDERTAKING


async def test_pausing_passes_a_pending_offer_on_and_resuming_brings_offers_back(
    rt: Runtime,
) -> None:
    paused = await given.peer(rt, PEER)
    other = await given.peer(rt, NEXT_PEER, name="Falk")
    waiting = await given.request(rt, CITIZEN)
    first = await matching.offer_next(rt, waiting.id)

    assert await peers.pause(rt, paused.user_id, COORDINATOR) is not None
    assert await peers.pause(rt, paused.user_id, COORDINATOR) is None

    withdrawn = await contact_store.offer(rt.storage, first or 0)
    assert withdrawn is not None and withdrawn.status is OfferStatus.WITHDRAWN
    pending = await contact_store.pending_offer(rt.storage, waiting.id)
    assert pending is not None and pending.peer_id == other.user_id
    assert await peers.resume(rt, paused.user_id, COORDINATOR) is not None
    profile = await peer_store.profile(rt.storage, paused.user_id)
    assert profile is not None and profile.status is PeerStatus.APPROVED


async def test_removing_a_peer_ends_their_contacts_and_hands_the_requests_on(
    rt: Runtime,
) -> None:
    contact = await given.in_contact(rt, CITIZEN, PEER)
    other = await given.peer(rt, NEXT_PEER, name="Falk")

    assert await peers.revoke(rt, contact.peer_id, COORDINATOR) is not None

    ended = await contact_store.contact(rt.storage, contact.id)
    assert ended is not None and not ended.active
    assert contact.request_id is not None
    assert (await given.fresh(rt, contact.request_id)).status is RequestStatus.WAITING
    pending = await contact_store.pending_offer(rt.storage, contact.request_id)
    assert pending is not None and pending.peer_id == other.user_id
    assert [chat for chat, _ in await given.sent(rt, "contact-moved")] == [CITIZEN]
    assert (
        await peers.profile_of(rt, await user_store.by_telegram_id(rt.storage, PEER)) is None
    )  # removed


async def test_a_new_undertaking_is_sent_once_per_peer_and_version(rt: Runtime) -> None:
    await given.peer(rt, PEER)
    rt.config = replace(rt.config, undertaking_version=rt.config.undertaking_version + 1)
    assert await peers.ask_undertaking(rt) == 1
    assert await peers.ask_undertaking(rt) == 0  # a restart sends nothing twice
    assert [chat for chat, _ in await given.sent(rt, "undertaking")] == [PEER]
    # Nobody has accepted it: nobody can be matched, and the coordinators hear so once.
    assert [chat for chat, _ in await given.sent(rt, "undertaking-nobody")] == [COORDINATOR]
    waiting = await given.request(rt, CITIZEN)
    assert await matching.offer_next(rt, waiting.id) is None


async def test_peer_profiles_are_shown_to_coordinators_only(world: World) -> None:
    rt = world.rt
    for user in (world.peer, world.citizen):
        with pytest.raises(NotAllowed):
            await peers.roster(rt, world.in_private(user))
        with pytest.raises(NotAllowed):
            await peers.profile_for_staff(rt, world.in_private(user), world.other_peer.id)
    assert {p.user_id for p in await peers.roster(rt, world.coordinator)} == {
        world.peer.id,
        world.other_peer.id,
    }
    profile = await peers.profile_for_staff(rt, world.coordinator, world.other_peer.id)
    assert profile is not None and profile.user_id == world.other_peer.id
