"""Check-in planning refuses anyone but the two people of the contact, without Telegram."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.errors import NotAllowed
from bot.services import checkins
from bot.storage import checkins as checkin_store
from tests.services.given import World


async def _planned(world: World) -> int:
    """A pending check-in on the world's contact, planned by its peer."""
    rt, peer = world.rt, world.peer
    draft = await checkins.start_draft(rt, peer.id, contact_id=world.contact.id)
    local = (checkins.local_now(rt.now(), rt.config.timezone) + timedelta(days=2)).replace(
        hour=10, minute=0, second=0, microsecond=0, tzinfo=None
    )
    draft = await checkins.plan_step(rt, draft, peer.id, "confirm", local_time=local)
    return (await checkins.confirm(rt, draft, peer.id)).id


async def test_only_the_people_of_a_contact_may_plan_on_it(world: World) -> None:
    rt = world.rt
    with pytest.raises(NotAllowed):
        await checkins.start_draft(rt, world.other_peer.id, contact_id=world.contact.id)
    with pytest.raises(NotAllowed):
        await checkins.start_draft(rt, world.other_citizen.id, contact_id=world.contact.id)
    assert await checkins.draft_of(rt, world.peer.id) is None
    draft = await checkins.start_draft(rt, world.citizen.id, contact_id=world.contact.id)
    assert draft.contact_id == world.contact.id and draft.created_by == "citizen"


async def test_a_draft_is_changed_confirmed_or_dropped_only_by_its_owner(world: World) -> None:
    rt = world.rt
    draft = await checkins.start_draft(rt, world.peer.id, contact_id=world.contact.id)
    stranger = world.other_peer.id
    with pytest.raises(NotAllowed):
        await checkins.plan_step(rt, draft, stranger, "when", kind="call")
    with pytest.raises(NotAllowed):
        await checkins.confirm(rt, draft, stranger)
    with pytest.raises(NotAllowed):
        await checkins.discard_draft(rt, draft, stranger)
    kept = await checkin_store.by_id(rt.storage, draft.id)
    assert kept is not None and kept.kind == "checkin" and kept.status == "draft"
    await checkins.discard_draft(rt, draft, world.peer.id)
    assert await checkin_store.by_id(rt.storage, draft.id) is None


async def test_a_checkin_is_cancelled_or_rescheduled_only_by_its_people(world: World) -> None:
    rt = world.rt
    checkin_id = await _planned(world)
    assert not await checkins.cancel(rt, checkin_id, world.other_peer.id)
    assert not await checkins.cancel(rt, checkin_id, world.other_citizen.id)
    with pytest.raises(NotAllowed):
        await checkins.start_draft(rt, world.other_peer.id, replaces_id=checkin_id)
    still = await checkin_store.by_id(rt.storage, checkin_id)
    assert still is not None and still.status == "pending"
    assert await checkins.cancel(rt, checkin_id, world.citizen.id)
    cancelled = await checkin_store.by_id(rt.storage, checkin_id)
    assert cancelled is not None and cancelled.status == "cancelled"


async def test_upcoming_shows_only_the_persons_own_contacts(world: World) -> None:
    rt = world.rt
    checkin_id = await _planned(world)
    for user in (world.peer, world.citizen):
        upcoming, contacts = await checkins.upcoming(rt, user.id)
        assert [c.id for c in upcoming] == [checkin_id] and [c.id for c in contacts] == [
            world.contact.id
        ]
    for user in (world.other_peer, world.other_citizen):
        assert await checkins.upcoming(rt, user.id) == ([], [])
