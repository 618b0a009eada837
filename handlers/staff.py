"""The gate of every coordinators' tool: who may use it here, decided by `bot.staff`.

Shared by the coordinator, statistics, wellbeing, protection and queue handlers, so that the
rule (coordinators in a private chat, anyone in the coordinators' group, a short answer without
data anywhere else) is written once.
"""

from __future__ import annotations

import logging

from telegram import Update

from bot.staff import Access
from handlers import common
from handlers.base import Context, Turn, begin

log = logging.getLogger(__name__)


async def coordinator_turn(update: Update, context: Context) -> Turn | None:
    """The turn of a coordinator, or of anyone in the coordinator group; None (and a plain
    answer) otherwise. Coordinator tools show health data and requests, so a coordinator in
    any other group gets a short answer without data, never the tool itself."""
    turn = await begin(update, context)
    chat = update.effective_chat
    access = turn.rt.roles.coordinator_access(turn.actor) if chat is not None else Access.REFUSED
    if access is Access.OTHER_CHAT:
        log.info("refused coordinator action outside private chats (update %s)", update.update_id)
        text = turn.t._(
            "Coordinator tools work only in a private chat with me or in the coordinators' group."
        )
        if update.callback_query is not None:
            await update.callback_query.answer(text)
        elif chat is not None:
            await context.bot.send_message(chat.id, text)
        return None
    if access is Access.ALLOWED:
        return turn
    log.info("refused coordinator action (update %s)", update.update_id)
    if update.callback_query is not None:
        await update.callback_query.answer(turn.t._("That button is no longer valid."))
    else:
        await common.help_command(update, context)
    return None
