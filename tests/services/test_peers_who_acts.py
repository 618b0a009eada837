"""Coordinators' view of the peers refuses anyone else, without Telegram."""

from __future__ import annotations

import pytest

from bot.errors import NotAllowed
from bot.services import peers
from tests.services.given import World


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
