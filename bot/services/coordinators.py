"""Who the coordinators are for a message: configured users and those added through the bot
(`bot.services.roles`), the group, the backups."""

from __future__ import annotations

from collections.abc import Callable

from bot.delivery import notices
from bot.i18n import Translator
from bot.runtime import Runtime
from bot.services.office_hours import is_open
from bot.staff import Actor
from bot.storage import Transaction
from bot.storage import audit as audit_store
from bot.storage import outbox as outbox_store
from bot.storage import users as user_store
from bot.storage.audit import AuditEntry
from bot.storage.outbox import Priority


def coordinator_chats(rt: Runtime, *, backups: bool = False) -> list[int]:
    chats = rt.roles.primary_coordinators()
    if (group := rt.roles.coordinator_group) is not None:
        chats.append(group)
    if backups:
        chats = [c for c in rt.config.backup_coordinator_ids if c not in chats]
    return chats


async def on_duty_chats(rt: Runtime, tx: Transaction) -> list[int]:
    """Who gets an alert: the configured coordinators on duty, or all of them when nobody said
    they are (nobody must be left without a human); the coordinator group always."""
    configured = rt.roles.primary_coordinators()
    on_duty = [c for c in await user_store.on_duty(tx) if c in configured]
    chats = on_duty or configured
    if (group := rt.roles.coordinator_group) is not None:
        chats.append(group)
    return chats


async def coordinator_translator(rt: Runtime, tx: Transaction, chat_id: int) -> Translator:
    user = await user_store.by_telegram_id(tx, chat_id)
    return rt.translator(user.language if user else None)


async def tell_coordinators(
    rt: Runtime,
    tx: Transaction,
    notice: Callable[[Translator], notices.Notice],
    *,
    purpose: str,
    ref_id: int | None = None,
    priority: Priority = Priority.NORMAL,
) -> None:
    """Queue a notice for every coordinator chat, each in its reader's language."""
    for chat_id in coordinator_chats(rt):
        t = await coordinator_translator(rt, tx, chat_id)
        await notices.send(
            tx, chat_id, notice(t), purpose=purpose, now=rt.now(), priority=priority, ref_id=ref_id
        )


async def reachable_chats(rt: Runtime, tx: Transaction) -> list[int]:
    """Who can be expected to see an alert now: the coordinators on duty (on call outside office
    hours), or in office hours everyone configured, and the group; minus those Telegram refused
    to reach (blocked the bot, never started it, chat not found). Empty means nobody."""
    configured = rt.roles.primary_coordinators()
    on_call = [c for c in await user_store.on_duty(tx) if c in configured]
    config = rt.config
    if on_call:
        chats = on_call
    elif is_open(config.office_hours, rt.now(), config.timezone):
        chats = configured
    else:
        return []  # outside office hours with nobody on call
    if (group := rt.roles.coordinator_group) is not None:
        chats = [*chats, group]
    refused = await outbox_store.unreachable_chats(tx, chats)
    reachable = []
    for chat_id in chats:
        user = await user_store.by_telegram_id(tx, chat_id) if chat_id > 0 else None
        # A person's own row is the freshest word (unblocking clears it); else the outbox's.
        blocked = user.unreachable if user is not None else chat_id in refused
        if not blocked:
            reachable.append(chat_id)
    return reachable


async def audit_trail(rt: Runtime, actor: Actor) -> list[AuditEntry]:
    """The latest coordinator actions, newest first, for coordinators only."""
    rt.roles.require_coordinator(actor)
    return await audit_store.latest(rt.storage)


async def set_on_duty(rt: Runtime, actor: Actor, on: bool) -> None:
    """Put the acting coordinator on or off duty (alerts go to those on duty, or to all)."""
    rt.roles.require_coordinator(actor)
    await user_store.set_on_duty(rt.storage, actor.telegram_id, on)
