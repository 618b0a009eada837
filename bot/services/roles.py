"""Who is staff: coordinators and administrators from configuration and from the database.

Every update asks "is this person a coordinator?", so the answer comes from memory: the
database roles are loaded once at start-up (`load`) and the set changes only through `add` and
`remove`, right after their transaction commits. Configured ids always count and cannot be
removed through the bot; administrators manage the database roles, and the last administrator
cannot be removed.
"""

from __future__ import annotations

from enum import StrEnum

from bot.delivery import notices
from bot.runtime import Runtime
from bot.services.crisis import escalation
from bot.staff import StaffRoles
from bot.storage import audit as audit_store
from bot.storage import chat_migrations
from bot.storage import roles as role_store
from bot.storage import users as user_store
from bot.storage.roles import StaffRole
from bot.storage.users import Role


class Change(StrEnum):
    ADDED = "added"
    ALREADY = "already"
    REMOVED = "removed"
    NOT_FOUND = "not_found"
    CONFIGURED = "configured"  # set in the configuration file: not removable here
    LAST_ADMINISTRATOR = "last_administrator"
    NOT_ALLOWED = "not_allowed"


AUDIT = {
    (StaffRole.COORDINATOR, True): "add_coordinator",
    (StaffRole.COORDINATOR, False): "remove_coordinator",
    (StaffRole.ADMINISTRATOR, True): "add_administrator",
    (StaffRole.ADMINISTRATOR, False): "remove_administrator",
}


async def load(rt: Runtime) -> None:
    """Fill the in-memory sets from the database (at start-up)."""
    roles = StaffRoles.from_config(rt.config)
    for entry in await role_store.all_entries(rt.storage):
        roles.ids(entry.role).add(entry.telegram_id)
    roles.group_moves = await chat_migrations.moves(rt.storage)
    rt.roles = roles


async def add(rt: Runtime, actor: int, telegram_id: int, role: StaffRole) -> Change:
    """An administrator gives `telegram_id` a role; recorded in the audit trail."""
    if not rt.roles.is_administrator(actor):
        return Change.NOT_ALLOWED
    if telegram_id in rt.roles.configured(role):
        return Change.ALREADY
    now = rt.now()
    async with rt.storage.transaction() as tx:
        if not await role_store.add(tx, telegram_id, role, actor, now):
            return Change.ALREADY
        await audit_store.record(tx, actor, AUDIT[role, True], str(telegram_id), now)
        user = await user_store.by_telegram_id(tx, telegram_id)
        if role is StaffRole.COORDINATOR and user is not None and user.role is Role.CITIZEN:
            await user_store.set_role(tx, user.id, Role.COORDINATOR, None)
        t = rt.translator(user.language if user else None)
        text = (
            t._(
                "You have been made a coordinator. Urgent requests and reports now reach you "
                "here; /help shows your commands."
            )
            if role is StaffRole.COORDINATOR
            else t._(
                "You have been made an administrator: you can add and remove coordinators and "
                "administrators. /roles shows who has which role."
            )
        )
        await notices.send(tx, telegram_id, notices.Notice(text), purpose="role", now=now)
    rt.roles.ids(role).add(telegram_id)
    rt.wake_delivery()
    return Change.ADDED


async def remove(rt: Runtime, actor: int, telegram_id: int, role: StaffRole) -> Change:
    """An administrator takes a role away; configured ids and the last administrator stay."""
    if not rt.roles.is_administrator(actor):
        return Change.NOT_ALLOWED
    if telegram_id in rt.roles.configured(role):
        return Change.CONFIGURED
    if telegram_id not in rt.roles.ids(role):
        return Change.NOT_FOUND
    if role is StaffRole.ADMINISTRATOR and rt.roles.administrator_count() <= 1:
        return Change.LAST_ADMINISTRATOR
    now = rt.now()
    # Counted out before the transaction, so the hand-back alerts reach only the others; put
    # back if the transaction does not commit.
    rt.roles.ids(role).discard(telegram_id)
    removed = False
    try:
        async with rt.storage.transaction() as tx:
            if role is StaffRole.ADMINISTRATOR:
                others = await role_store.administrators(tx) - {telegram_id}
                if not others | rt.roles.config_administrators:
                    return Change.LAST_ADMINISTRATOR
            if not await role_store.remove(tx, telegram_id, role):
                return Change.NOT_FOUND
            await audit_store.record(tx, actor, AUDIT[role, False], str(telegram_id), now)
            if role is StaffRole.COORDINATOR:
                await role_store.demote_user(tx, telegram_id)
                if not rt.roles.is_coordinator(telegram_id):
                    await escalation.hand_back_in(tx, rt, telegram_id)
        removed = True
    finally:
        if not removed:
            rt.roles.ids(role).add(telegram_id)
    rt.wake_delivery()
    return Change.REMOVED
