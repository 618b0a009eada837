"""Who an alert reaches: those on duty, else everyone configured; the group always; nobody
outside office hours unless someone is on call; never a chat Telegram refused.

Who acts: coordinators' own tools (the audit trail, being on duty) refuse anyone else;
`bot.staff` decides who counts.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.delivery import notices
from bot.errors import NotAllowed
from bot.runtime import Runtime
from bot.services import coordinators
from bot.staff import Access, Actor
from bot.storage import users as user_store
from bot.storage.users import Role
from tests.helpers.harness import BACKUP_COORDINATOR, COORDINATOR
from tests.services import given
from tests.services.given import GROUP, World

SECOND = 9101


@pytest.fixture
async def staffed(rt: Runtime) -> Runtime:
    await given.configured(rt, coordinator_ids=(COORDINATOR, SECOND), coordinator_group_id=GROUP)
    for chat in (COORDINATOR, SECOND):  # their rows, as their first message would store them
        async with rt.storage.transaction() as tx:
            await user_store.ensure(tx, chat, Role.COORDINATOR, rt.now(), language="da")
    return rt


async def reachable(rt: Runtime) -> list[int]:
    async with rt.storage.transaction() as tx:
        return await coordinators.reachable_chats(rt, tx)


async def test_everyone_configured_and_the_group_in_office_hours(staffed: Runtime) -> None:
    assert coordinators.coordinator_chats(staffed) == [COORDINATOR, SECOND, GROUP]
    assert coordinators.coordinator_chats(staffed, backups=True) == [BACKUP_COORDINATOR]
    assert await reachable(staffed) == [COORDINATOR, SECOND, GROUP]


async def test_those_on_duty_take_the_alerts(staffed: Runtime) -> None:
    await user_store.set_on_duty(staffed.storage, SECOND, True)
    async with staffed.storage.transaction() as tx:
        assert await coordinators.on_duty_chats(staffed, tx) == [SECOND, GROUP]
    assert await reachable(staffed) == [SECOND, GROUP]


async def test_nobody_is_reachable_at_night_unless_someone_is_on_call(
    staffed: Runtime, clock: FakeClock
) -> None:
    clock.advance(timedelta(hours=12))  # 22:00 in Denmark
    assert await reachable(staffed) == []
    await user_store.set_on_duty(staffed.storage, COORDINATOR, True)
    assert await reachable(staffed) == [COORDINATOR, GROUP]


async def test_a_coordinator_who_blocked_the_bot_is_not_counted(staffed: Runtime) -> None:
    await user_store.mark_unreachable(staffed.storage, SECOND, staffed.now())
    assert await reachable(staffed) == [COORDINATOR, GROUP]


async def test_each_coordinator_is_told_in_their_own_language(staffed: Runtime) -> None:
    await user_store.set_language(staffed.storage, SECOND, "en")
    async with staffed.storage.transaction() as tx:
        await coordinators.tell_coordinators(
            staffed, tx, lambda t: notices.Notice(t.language), purpose="test"
        )
    rows = await staffed.storage.fetchall(
        "SELECT chat_id, params FROM outbox WHERE purpose = 'test' ORDER BY id"
    )
    texts = {row[0]: row[1] for row in rows}
    assert set(texts) == {COORDINATOR, SECOND, GROUP}
    assert '"da"' in texts[COORDINATOR] and '"en"' in texts[SECOND]


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
