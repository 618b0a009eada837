"""Who the coordinators are for a message: configured users, the group, the backups."""

from __future__ import annotations

from bot.i18n import Translator
from bot.runtime import Runtime
from bot.storage import Transaction
from bot.storage import users as user_store


def coordinator_chats(rt: Runtime, *, backups: bool = False) -> list[int]:
    chats = list(rt.config.coordinator_ids)
    if rt.config.coordinator_group_id is not None:
        chats.append(rt.config.coordinator_group_id)
    if backups:
        chats = [c for c in rt.config.backup_coordinator_ids if c not in chats]
    return chats


async def coordinator_translator(rt: Runtime, tx: Transaction, chat_id: int) -> Translator:
    user = await user_store.by_telegram_id(tx, chat_id)
    language = user.language if user and user.language else rt.config.default_language
    return Translator(language, rt.config.timezone)
