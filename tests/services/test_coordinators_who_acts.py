"""Coordinators' own tools (the audit trail, being on duty) refuse anyone else, without
Telegram; `bot.staff` decides who counts."""

from __future__ import annotations

import pytest

from bot.errors import NotAllowed
from bot.services import coordinators
from bot.staff import Access, Actor
from bot.storage import users as user_store
from tests.helpers.harness import BACKUP_COORDINATOR, COORDINATOR
from tests.services.given import GROUP, World


@pytest.mark.coordinator_group
def test_who_may_use_coordinators_tools_where(world: World) -> None:
    roles = world.rt.roles
    assert roles.coordinator_access(Actor(COORDINATOR, COORDINATOR, True)) is Access.ALLOWED
    assert roles.coordinator_access(Actor(BACKUP_COORDINATOR, 1, True)) is Access.ALLOWED
    assert roles.coordinator_access(Actor(COORDINATOR, GROUP, False)) is Access.ALLOWED
    assert roles.coordinator_access(Actor(COORDINATOR, -42, False)) is Access.OTHER_CHAT
    assert (
        roles.coordinator_access(Actor(world.citizen.telegram_id, GROUP, False)) is Access.ALLOWED
    )
    assert roles.coordinator_access(world.in_private(world.citizen)) is Access.REFUSED
    assert roles.coordinator_access(Actor(world.citizen.telegram_id, -42, False)) is Access.REFUSED


async def test_the_audit_trail_and_duty_are_for_coordinators_only(world: World) -> None:
    rt = world.rt
    citizen = world.in_private(world.citizen)
    with pytest.raises(NotAllowed):
        await coordinators.audit_trail(rt, citizen)
    with pytest.raises(NotAllowed):
        await coordinators.set_on_duty(rt, citizen, True)
    # The coordinator approved both peers of the world, the newest first.
    trail = await coordinators.audit_trail(rt, world.coordinator)
    assert [(e.actor_id, e.action, e.target) for e in trail] == [
        (COORDINATOR, "approve_peer", f"peer:{world.other_peer.id}"),
        (COORDINATOR, "approve_peer", f"peer:{world.peer.id}"),
    ]
    async with rt.storage.transaction() as tx:
        await user_store.ensure(tx, COORDINATOR, user_store.Role.COORDINATOR, rt.now())
    assert await user_store.on_duty(rt.storage) == []
    await coordinators.set_on_duty(rt, world.coordinator, True)
    assert await user_store.on_duty(rt.storage) == [COORDINATOR]
