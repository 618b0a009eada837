"""A citizen's requests are found by their own id only, without Telegram."""

from __future__ import annotations

from bot.services import intake
from tests.services.given import World


async def test_a_request_is_the_citizens_own_or_nothing(world: World) -> None:
    rt = world.rt
    assert await intake.own_request(rt, world.waiting.id, world.citizen.id) is None
    assert await intake.own_request(rt, world.waiting.id, world.peer.id) is None
    own = await intake.own_request(rt, world.waiting.id, world.other_citizen.id)
    assert own is not None and own.id == world.waiting.id
    opened = await intake.open_request(rt, world.citizen.id)
    assert opened is not None and opened.id == world.contact.request_id
    assert await intake.open_request(rt, world.peer.id) is None
