"""Escalations: the coordinators' list refuses anyone else, and a peer's concern note prompt is
known by its message id for that peer only. Without Telegram."""

from __future__ import annotations

import pytest

from bot.errors import NotAllowed
from bot.services import escalation
from bot.staff import Actor
from bot.storage import escalations as escalation_store
from tests.services.given import GROUP, World


async def _concern(world: World) -> int:
    escalation_id = await escalation.raise_escalation(
        world.rt,
        reason=escalation.Reason.PEER_CONCERN,
        citizen_id=world.citizen.id,
        request_id=world.contact.request_id,
        contact_id=world.contact.id,
        source_key="test:concern",
    )
    assert escalation_id is not None
    return escalation_id


@pytest.mark.coordinator_group
async def test_only_coordinators_see_the_escalations(world: World) -> None:
    rt = world.rt
    escalation_id = await _concern(world)
    for actor in (world.in_private(world.peer), world.in_private(world.citizen)):
        with pytest.raises(NotAllowed):
            await escalation.recent(rt, actor)
    with pytest.raises(NotAllowed):
        await escalation.recent(rt, Actor(world.coordinator.telegram_id, -42, private=False))
    assert [e.id for e in await escalation.recent(rt, world.coordinator)] == [escalation_id]
    in_group = Actor(world.citizen.telegram_id, GROUP, private=False)
    assert [e.id for e in await escalation.recent(rt, in_group)] == [escalation_id]


async def test_a_concern_prompt_is_known_by_its_message_id_for_its_peer(world: World) -> None:
    rt = world.rt
    escalation_id = await _concern(world)
    assert not await escalation.concern_prompt_sent(rt, escalation_id, world.other_peer.id, 50)
    assert await escalation.prompted_concern(rt, world.other_peer.id, 50) is None
    assert await escalation.concern_prompt_sent(rt, escalation_id, world.peer.id, 50)
    found = await escalation.prompted_concern(rt, world.peer.id, 50)
    assert found is not None and found.id == escalation_id
    assert await escalation.prompted_concern(rt, world.peer.id, 51) is None
    assert await escalation.prompted_concern(rt, world.other_peer.id, 50) is None
    assert not await escalation.add_note(rt, escalation_id, world.other_peer.id, "not mine")
    assert not await escalation.add_note(rt, escalation_id, world.citizen.id, "not mine")
    assert await escalation.add_note(rt, escalation_id, world.peer.id, "worried")
    assert not await escalation.add_note(rt, escalation_id, world.peer.id, "twice")
    assert await escalation.prompted_concern(rt, world.peer.id, 50) is None  # noted once
    noted = await escalation_store.by_id(rt.storage, escalation_id)
    assert noted is not None and noted.note == "worried"
