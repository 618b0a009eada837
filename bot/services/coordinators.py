"""Who the coordinators are for a message: configured users and those added through the bot
(`bot.services.roles`), the group, the backups."""

from __future__ import annotations

from bot.i18n import Translator
from bot.runtime import Runtime
from bot.storage import Transaction
from bot.storage import users as user_store


def coordinator_chats(rt: Runtime, *, backups: bool = False) -> list[int]:
    chats = rt.roles.primary_coordinators()
    if rt.config.coordinator_group_id is not None:
        chats.append(rt.config.coordinator_group_id)
    if backups:
        chats = [c for c in rt.config.backup_coordinator_ids if c not in chats]
    return chats


async def on_duty_chats(rt: Runtime, tx: Transaction) -> list[int]:
    """Who gets an alert: the configured coordinators on duty, or all of them when nobody said
    they are (nobody must be left without a human); the coordinator group always."""
    configured = rt.roles.primary_coordinators()
    on_duty = [c for c in await user_store.on_duty(tx) if c in configured]
    chats = on_duty or configured
    if rt.config.coordinator_group_id is not None:
        chats.append(rt.config.coordinator_group_id)
    return chats


async def coordinator_translator(rt: Runtime, tx: Transaction, chat_id: int) -> Translator:
    user = await user_store.by_telegram_id(tx, chat_id)
    return rt.translator(user.language if user else None)
