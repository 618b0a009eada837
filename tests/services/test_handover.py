"""The handover note prompt is known by its message id, for the contact's own peer only,
without Telegram."""

from __future__ import annotations

from bot.services import handover
from tests.services.given import World


async def test_the_handover_prompt_belongs_to_the_contacts_peer(world: World) -> None:
    rt = world.rt
    assert not await handover.prompt_sent(rt, world.other_peer, world.contact.id, 40)
    assert await handover.prompted_contact(rt, world.other_peer, 40) is None
    assert await handover.prompt_sent(rt, world.peer, world.contact.id, 40)
    assert await handover.prompted_contact(rt, world.peer, 40) == world.contact.id
    assert await handover.prompted_contact(rt, world.peer, 41) is None
    assert await handover.prompted_contact(rt, world.other_peer, 40) is None
