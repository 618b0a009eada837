"""A contact is a person's own or nothing, without Telegram."""

from __future__ import annotations

from bot.services import contacts as contact_service
from tests.helpers.world import World


async def test_a_contact_is_found_for_its_own_peer_only(world: World) -> None:
    rt = world.rt
    assert await contact_service.own_as_peer(rt, 1, world.other_peer.id) is None
    assert await contact_service.own_as_peer(rt, 1, world.citizen.id) is None
    own = await contact_service.own_as_peer(rt, 1, world.peer.id, kind="peer")
    assert own is not None and own.id == 1
    assert await contact_service.own_as_peer(rt, 1, world.peer.id, kind="coordinator") is None


async def test_mine_is_a_citizens_contacts_or_a_peers(world: World) -> None:
    rt = world.rt
    assert [c.id for c in await contact_service.mine(rt, world.citizen.id)] == [1]
    assert [c.id for c in await contact_service.mine(rt, world.peer.id)] == [1]
    assert await contact_service.mine(rt, world.other_peer.id) == []
    assert await contact_service.mine(rt, world.other_citizen.id) == []


async def test_a_contact_is_ended_only_by_one_of_its_two_people(world: World) -> None:
    rt = world.rt
    assert not await contact_service.end_own(rt, 1, world.other_peer.id)
    assert not await contact_service.end_own(rt, 1, world.other_citizen.id)
    assert [c.id for c in await contact_service.of_peer(rt, world.peer.id)] == [1]
    assert await contact_service.end_own(rt, 1, world.citizen.id)
    assert await contact_service.of_peer(rt, world.peer.id) == []
    assert not await contact_service.end_own(rt, 1, world.peer.id)  # already ended
