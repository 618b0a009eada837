"""Where the bot works: private chats, and the coordinators' group for coordinators' work only.

Registered first (its own group, before urgent help), so that nothing else sees an update from
a chat the bot must not work in:

- every button press: its data is checked once (`keyboards.well_formed`); a malformed one is
  answered "no longer valid" and goes no further;
- the coordinators' group (the configured id, followed through a migration to a supergroup):
  only handlers marked `coordinator_action` run; /help lists them; nothing for citizens or
  peers (no /status, /roles, urgent help or reply keyboards) is shown to the group;
- any other group, supergroup or channel: the bot says once, without personal data, that it
  works in private chats, and leaves.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, BaseHandler, TypeHandler

from bot.i18n import Translator
from bot.services import group_chats
from handlers import keyboards, registry
from handlers.base import Context, begin, is_coordinator_action, runtime
from handlers.common import coordinator_help_lines

log = logging.getLogger(__name__)

GROUP = -2
COORDINATOR_HANDLERS = "peerbot.coordinator_handlers"
TOLD = "peerbot.groups_told"
GONE = {ChatMemberStatus.LEFT, ChatMemberStatus.BANNED}


async def guard(update: Update, context: Context) -> None:
    """Lets an update through only where the bot works; answers or leaves everywhere else."""
    chat = update.effective_chat
    rt = runtime(context)
    group = chat is not None and chat.type != ChatType.PRIVATE
    if group:
        assert chat is not None
        message = update.message  # a new message: a pressed button's message is old news
        if message is not None and message.migrate_to_chat_id is not None:
            await group_chats.group_migrated(rt, chat.id, message.migrate_to_chat_id)
            raise ApplicationHandlerStop
        if message is not None and message.migrate_from_chat_id is not None:
            await group_chats.group_migrated(rt, message.migrate_from_chat_id, chat.id)
            raise ApplicationHandlerStop
        if not rt.roles.is_coordinator_group(chat.id):
            await _leave(update, context, chat.id)
            raise ApplicationHandlerStop
    query = update.callback_query
    if query is not None and not keyboards.well_formed(query.data):
        log.info("refused malformed button data (update %s)", update.update_id)
        turn = await begin(update, context)
        await query.answer(turn.t._("That button is no longer valid."))
        raise ApplicationHandlerStop
    if group and not _coordinators_work(context.application, update):
        await _not_here(update, context)
        raise ApplicationHandlerStop


def _coordinators_work(application: Application, update: Update) -> bool:
    found: list[BaseHandler] | None = application.bot_data.get(COORDINATOR_HANDLERS)
    if found is None:
        found = [
            handler
            for handler in registry.every_handler(application)
            if is_coordinator_action(handler.callback)
        ]
        application.bot_data[COORDINATOR_HANDLERS] = found
    return any(handler.check_update(update) not in (None, False) for handler in found)


def _group_translator(context: Context) -> Translator:
    """A group is shared: it hears the configured default language."""
    return runtime(context).translator(None)


async def _not_here(update: Update, context: Context) -> None:
    """In the coordinators' group: buttons and commands that are not coordinators' work."""
    t = _group_translator(context)
    message = update.message
    if update.callback_query is not None:
        presser = (await begin(update, context)).t  # the answer shows only to who pressed
        await update.callback_query.answer(presser._("That button is no longer valid."))
    elif message is not None and message.text and message.text.startswith("/"):
        command = message.text.split()[0].lstrip("/").split("@")[0].lower()
        if command == "help":
            lines = [t._("In this group I do coordinators' work:"), *coordinator_help_lines(t)]
        else:
            lines = [
                t._(
                    "In this group I only do coordinators' work (/help lists it). Everything "
                    "else works in a private chat with me."
                )
            ]
        await context.bot.send_message(message.chat.id, "\n".join(lines))


async def _leave(update: Update, context: Context, chat_id: int) -> None:
    """Says once that the bot works in private chats, then leaves the group or channel."""
    change = update.my_chat_member
    if change is not None and change.new_chat_member.status in GONE:
        return  # the bot was removed or left: nothing to say
    told: set[int] = context.bot_data.setdefault(TOLD, set())
    if change is not None:
        told.discard(chat_id)  # added (again): this is a new visit, say it once more
    t = _group_translator(context)
    text = t._(
        "I only work in private chats. Write to me directly: @{bot}",
        bot=context.bot.username,
    )
    if update.callback_query is not None:
        await update.callback_query.answer(text)
    if chat_id not in told:
        told.add(chat_id)
        try:
            await context.bot.send_message(chat_id, text)
        except TelegramError as exc:
            log.info("could not say goodbye to a group: %s", type(exc).__name__)
    try:
        await context.bot.leave_chat(chat_id)
    except TelegramError as exc:
        log.info("could not leave a group: %s", type(exc).__name__)
    else:
        log.info("left a group or channel the bot does not work in (update %s)", update.update_id)


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, guard), group=GROUP)
