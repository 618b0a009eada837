"""Staff roles from the configuration and the database: only administrators change them,
configured ids and the last administrator stay, and a restart loads what was stored."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.runtime import Runtime
from bot.services import roles
from bot.services.roles import Change
from bot.storage import audit as audit_store
from bot.storage.roles import StaffRole
from tests.helpers.harness import BACKUP_COORDINATOR, COORDINATOR
from tests.services import given
from tests.services.given import CITIZEN

ADMIN = 7001
NEWCOMER = 7002


@pytest.fixture
async def admin_rt(rt: Runtime) -> Runtime:
    """The runtime with one administrator in the configuration."""
    rt.config = replace(rt.config, administrator_ids=(ADMIN,))
    await roles.load(rt)
    return rt


async def test_configured_staff_count_from_the_start(admin_rt: Runtime) -> None:
    assert admin_rt.roles.is_coordinator(COORDINATOR)
    assert admin_rt.roles.is_coordinator(BACKUP_COORDINATOR)  # a backup may act too
    assert admin_rt.roles.primary_coordinators() == [COORDINATOR]  # but is alerted later
    assert admin_rt.roles.is_administrator(ADMIN) and not admin_rt.roles.is_coordinator(ADMIN)


async def test_only_an_administrator_adds_a_role(admin_rt: Runtime) -> None:
    rt = admin_rt
    assert await roles.add(rt, COORDINATOR, NEWCOMER, StaffRole.COORDINATOR) is (Change.NOT_ALLOWED)
    assert not rt.roles.is_coordinator(NEWCOMER)
    assert await roles.add(rt, ADMIN, NEWCOMER, StaffRole.COORDINATOR) is Change.ADDED
    assert await roles.add(rt, ADMIN, NEWCOMER, StaffRole.COORDINATOR) is Change.ALREADY
    assert await roles.add(rt, ADMIN, COORDINATOR, StaffRole.COORDINATOR) is Change.ALREADY

    assert rt.roles.is_coordinator(NEWCOMER)
    assert [chat for chat, _ in await given.sent(rt, "role")] == [NEWCOMER]
    [entry] = await audit_store.latest(rt.storage)
    assert (entry.actor_id, entry.action, entry.target) == (
        ADMIN,
        "add_coordinator",
        str(NEWCOMER),
    )


async def test_a_restart_loads_the_roles_from_the_database(admin_rt: Runtime) -> None:
    await roles.add(admin_rt, ADMIN, NEWCOMER, StaffRole.ADMINISTRATOR)
    admin_rt.roles = type(admin_rt.roles)()  # forget the memory, as a new process would
    await roles.load(admin_rt)
    assert admin_rt.roles.is_administrator(NEWCOMER) and admin_rt.roles.is_administrator(ADMIN)


async def test_configured_ids_and_the_last_administrator_cannot_be_removed(
    admin_rt: Runtime,
) -> None:
    rt = admin_rt
    assert await roles.remove(rt, ADMIN, COORDINATOR, StaffRole.COORDINATOR) is (Change.CONFIGURED)
    assert await roles.remove(rt, ADMIN, ADMIN, StaffRole.ADMINISTRATOR) is Change.CONFIGURED
    assert await roles.remove(rt, ADMIN, NEWCOMER, StaffRole.COORDINATOR) is Change.NOT_FOUND

    # The administrator in the file adds one in the database, then leaves the file.
    await roles.add(rt, ADMIN, NEWCOMER, StaffRole.ADMINISTRATOR)
    rt.config = replace(rt.config, administrator_ids=())
    await roles.load(rt)
    assert await roles.remove(rt, NEWCOMER, NEWCOMER, StaffRole.ADMINISTRATOR) is (
        Change.LAST_ADMINISTRATOR
    )
    assert rt.roles.is_administrator(NEWCOMER)
    await roles.add(rt, NEWCOMER, 7003, StaffRole.ADMINISTRATOR)
    assert await roles.remove(rt, 7003, NEWCOMER, StaffRole.ADMINISTRATOR) is Change.REMOVED
    assert not rt.roles.is_administrator(NEWCOMER)


async def test_a_removed_coordinator_is_a_citizen_again(admin_rt: Runtime) -> None:
    rt = admin_rt
    citizen = await given.citizen(rt, CITIZEN, "da")
    assert await roles.add(rt, ADMIN, CITIZEN, StaffRole.COORDINATOR) is Change.ADDED
    assert await roles.remove(rt, ADMIN, CITIZEN, StaffRole.COORDINATOR) is Change.REMOVED
    assert not rt.roles.is_coordinator(CITIZEN)
    row = await rt.storage.fetchone("SELECT role FROM users WHERE id = ?", (citizen.id,))
    assert row is not None and row[0] == "citizen"
