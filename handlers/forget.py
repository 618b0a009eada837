"""/forget: delete the last 48 hours of this chat, after a confirmation, and explain the rest.

Both the bot's messages and the person's own are deleted (Telegram allows a bot both in a
private chat, within 48 hours): on a shared phone the person's own words are the most telling.
Older messages can only be removed by the person, in the app; the answer says how.

In the web chat the same ids (noted for 48 hours, `bot.storage.recent_messages`) are deleted
from the transcript on our server (`bot.web.transport`); the rest of the conversation goes with
"Forget this device" in the page's menu, so the texts say that instead of Telegram's menus.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.i18n import Translator
from bot.services import forget
from handlers import keyboards
from handlers.base import Context, begin
from handlers.keyboards import button

log = logging.getLogger(__name__)


def in_the_app(t: Translator, *, web: bool = False) -> str:
    """How to clear the rest of the chat, and keep previews off the lock screen."""
    if web:
        return "\n\n".join(
            [
                t._(
                    'To delete the whole conversation: choose "Forget this device" in the menu. '
                    "It removes the conversation from this device and from our server, and "
                    "deletes everything we keep about you, as /delete does; a contact with a "
                    "peer ends."
                ),
                t._(
                    "If you turned on notifications, they show the first line of a new message "
                    "(for a message from your peer, their name), and your device may show them "
                    "on a locked screen. You can turn them off under Notifications in the menu."
                ),
            ]
        )
    return "\n\n".join(
        [
            t._(
                "To clear the rest of this chat: open the menu of this chat (⋮, or the name at "
                "the top) and choose Clear history. Choosing to stop or block the bot instead "
                "means your peer can no longer reach you here."
            ),
            t._(
                "To keep messages off your lock screen: in Telegram, open Settings → "
                "Notifications and Sounds → Private chats and turn off Message preview."
            ),
        ]
    )


def _can_delete(t: Translator, *, web: bool) -> str:
    """What /forget can delete: 48 hours back, the ids kept that long (`bot.services.forget`)."""
    if web:
        return t._(
            "I can delete the messages in this conversation from the last 48 hours, mine and "
            "yours, from this device and from our server. Older ones stay until you choose "
            '"Forget this device" in the menu.'
        )
    return t._(
        "I can delete the messages in this chat from the last 48 hours, mine and "
        "yours, on all your devices. Telegram does not let me delete older ones."
    )


async def forget_command(update: Update, context: Context) -> None:
    """Asks before deleting; someone the bot keeps nothing about has no recorded messages."""
    turn = await begin(update, context)
    t = turn.t
    if turn.person.user is None:
        nothing = (
            t._(
                "Nothing about you is stored, so I keep no list of messages here to delete "
                "one by one."
            )
            if turn.on_web
            else t._(
                "I keep no record of this chat, because nothing about you is stored, so I "
                "cannot delete messages here."
            )
        )
        await context.bot.send_message(
            turn.chat_id, nothing + "\n\n" + in_the_app(t, web=turn.on_web)
        )
        return
    await context.bot.send_message(
        turn.chat_id,
        "\n".join(
            [
                t._("Clear this conversation?") if turn.on_web else t._("Clear this chat?"),
                _can_delete(t, web=turn.on_web),
                t._(
                    "This also deletes messages whose buttons you may still need, such as a "
                    "check-in question or an offer to answer: answer those first. /help_now "
                    "always works."
                ),
                t._(
                    "Your request, your contact and what we keep about you stay as they are "
                    "(/delete erases that)."
                ),
            ]
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    button(t._("Yes, delete them"), "forget:yes"),
                    button(t._("No, keep them"), "forget:no"),
                ]
            ]
        ),
    )


async def forget_button(update: Update, context: Context) -> None:
    """Deletes the presser's own chat (the callback carries no id: it is always theirs)."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None
    if query.data not in ("forget:yes", "forget:no") or turn.person.user is None:
        await query.answer(turn.t._("That button is no longer valid."))
        return
    await query.answer()
    if query.data == "forget:no":
        await query.edit_message_text(turn.t._("Fine, nothing has been deleted."))
        return
    for batch in await forget.deletable(turn.rt, turn.chat_id):
        await _delete(context, turn.chat_id, batch)
        await forget.forgotten(turn.rt, turn.chat_id, batch)
    done = (
        turn.t._(
            "Done: the messages of the last 48 hours are deleted, from this device and from "
            "our server."
        )
        if turn.on_web
        else turn.t._("Done: the messages of the last 48 hours are deleted.")
    )
    await context.bot.send_message(
        turn.chat_id,
        done + "\n\n" + in_the_app(turn.t, web=turn.on_web),
        reply_markup=keyboards.only_help_now(turn.t),
    )


async def _delete(context: Context, chat_id: int, batch: list[int]) -> None:
    """One call for up to 100 ids; if Telegram refuses the batch (one message too old, say),
    one by one, so the others still go."""
    try:
        await context.bot.delete_messages(chat_id, batch)
        return
    except Forbidden:
        return
    except BadRequest as exc:
        log.info("deleting %d message(s) at once refused (%s)", len(batch), type(exc).__name__)
    for message_id in batch:
        try:
            await context.bot.delete_message(chat_id, message_id)
        except BadRequest:
            continue
        except Forbidden:
            return


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("forget", forget_command, private))
    application.add_handler(CallbackQueryHandler(forget_button, pattern=r"^forget:"))
