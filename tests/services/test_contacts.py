"""A contact is a person's own or nothing, without Telegram."""

from __future__ import annotations

from bot.services import contacts as contact_service
from tests.services.given import World


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
