"""Give a person the "/" menu of their role(s) through Telegram's per-chat command scope.

Called where a role or a language changes and on /start; at start-up every peer and staff
member is brought up to date in the background. A menu Telegram refused is tried again at the
next occasion (nothing is remembered until it was accepted).
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import Application

from bot.runtime import RUNTIME_KEY, Runtime
from bot.services import menus

log = logging.getLogger(__name__)


async def sync_menu(bot: Bot, rt: Runtime, telegram_id: int) -> None:
    """Set (or reset to the default) this person's command menu if it is not what it should be."""
    menu, needed = await menus.change_needed(rt, telegram_id)
    if not needed:
        return
    scope = BotCommandScopeChat(telegram_id)
    try:
        if menu.key is None:
            await bot.delete_my_commands(scope=scope)
        else:
            t = rt.translator(menu.language)
            commands = [BotCommand(name, t._(text)) for name, text in menu.commands]
            await bot.set_my_commands(commands, scope=scope)
    except TelegramError as exc:
        log.info("could not set a command menu: %s", type(exc).__name__)
        return
    await menus.given(rt, telegram_id, menu)


async def sync_all(application: Application) -> int:
    """Bring every peer's and staff member's menu up to date; returns how many were looked at."""
    rt: Runtime = application.bot_data[RUNTIME_KEY]
    chats = await menus.chats_with_roles(rt)
    for chat_id in chats:
        await sync_menu(application.bot, rt, chat_id)
    return len(chats)


def start_sync(application: Application) -> asyncio.Task[None]:
    async def run() -> None:
        try:
            await sync_all(application)
        except Exception:
            log.exception("bringing command menus up to date failed; /start tries again")

    return asyncio.create_task(run(), name="menus")
