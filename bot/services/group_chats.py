"""Group chats: the bot works in private chats and in the coordinators' group, nowhere else.

Telegram turns a group into a supergroup with a new id (the old one answers `ChatMigrated`).
When the coordinators' group moves, the bot follows it at once (alerts, buttons, coordinator
tools) and tells the operator to put the new id in the configuration; `peerbot check-config`
says the same until they do.
"""

from __future__ import annotations

import logging

from bot.runtime import Runtime
from bot.staff import StaffRoles
from bot.storage import Database, chat_migrations

log = logging.getLogger(__name__)


async def group_migrated(rt: Runtime, old_chat_id: int, new_chat_id: int) -> bool:
    """Follow a group that became a supergroup; True if it is the coordinators' group."""
    if rt.roles.group_moves.get(old_chat_id) == new_chat_id:
        return True  # known: both chats announce a migration, and the outbox meets it too
    if not rt.roles.is_coordinator_group(old_chat_id):
        return False
    rt.roles.group_moves[old_chat_id] = new_chat_id
    if not await chat_migrations.record(rt.storage, old_chat_id, new_chat_id, rt.now()):
        return True
    log.warning(
        "the coordinators' group became a supergroup with a new id; the bot follows it. "
        "Update coordinators.group_chat_id in the configuration (peerbot check-config shows "
        "the new id)"
    )
    return True


async def configured_group_moved(db: Database, configured: int | None) -> int | None:
    """The id the coordinators' group has now if it differs from the configured one, else None."""
    found = StaffRoles(config_group=configured, group_moves=await chat_migrations.moves(db))
    now = found.coordinator_group
    return now if now != configured else None
