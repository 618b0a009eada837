"""The coordinators' group becoming a supergroup: the bot follows it at once, once, and only
for that group."""

from __future__ import annotations

import pytest

from bot.runtime import Runtime
from bot.services import group_chats, roles
from tests.services import given
from tests.services.given import GROUP

SUPERGROUP, OTHER_GROUP = -1001234, -200


@pytest.fixture
async def group_rt(rt: Runtime) -> Runtime:
    return await given.configured(rt, coordinator_group_id=GROUP)


async def test_the_bot_follows_the_coordinators_group_and_remembers_it(group_rt: Runtime) -> None:
    rt = group_rt
    assert await group_chats.group_migrated(rt, GROUP, SUPERGROUP)
    assert rt.roles.coordinator_group == SUPERGROUP and rt.roles.is_coordinator_group(SUPERGROUP)
    assert await group_chats.group_migrated(rt, GROUP, SUPERGROUP)  # announced twice: no change
    assert await group_chats.configured_group_moved(rt.storage, GROUP) == SUPERGROUP
    assert await group_chats.configured_group_moved(rt.storage, SUPERGROUP) is None

    rt.roles = type(rt.roles)()
    await roles.load(rt)  # a restart with the old id still in the configuration
    assert rt.roles.coordinator_group == SUPERGROUP


async def test_another_group_moving_changes_nothing(group_rt: Runtime) -> None:
    assert not await group_chats.group_migrated(group_rt, OTHER_GROUP, SUPERGROUP)
    assert group_rt.roles.coordinator_group == GROUP
    assert await group_chats.configured_group_moved(group_rt.storage, GROUP) is None
