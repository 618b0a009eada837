"""Data rights for everyone stored: /privacy, /mydata and /delete."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.config.lines import talk_lines
from bot.services import privacy
from handlers import keyboards, texts
from handlers.base import Context, begin
from handlers.keyboards import button


async def privacy_command(update: Update, context: Context) -> None:
    """Shows the full privacy notice in the person's language."""
    turn = await begin(update, context)
    await context.bot.send_message(
        turn.chat_id,
        texts.privacy_notice(turn.t, turn.rt, web=turn.on_web),
        reply_markup=keyboards.only_help_now(turn.t),
    )


async def mydata_command(update: Update, context: Context) -> None:
    """Sends everything stored about the person as a JSON file, with a short summary."""
    turn = await begin(update, context)
    user = turn.person.user
    if user is None:
        await context.bot.send_message(turn.chat_id, texts.nothing_stored(turn.t, web=turn.on_web))
        return
    copy = await privacy.copy_of_data(turn.rt, user)
    summary = "\n".join(
        [
            turn.t._("This is everything we keep about you, as a file you can save or move."),
            turn.t._("The name you use here: {name}", name=user.pseudonym or "-"),
            turn.t.ngettext("{n} request", "{n} requests", copy.requests),
            turn.t.ngettext("{n} contact", "{n} contacts", copy.contacts),
            turn.t.ngettext("{n} feedback answer", "{n} feedback answers", copy.feedback),
            turn.t.ngettext("{n} urgent alert", "{n} urgent alerts", copy.escalations),
        ]
    )
    await context.bot.send_document(
        turn.chat_id,
        copy.document,
        filename="mydata.json",
        caption=summary[:1024],
        protect_content=False,
    )


async def delete_command(update: Update, context: Context) -> None:
    """Asks for confirmation before erasing everything about the person."""
    turn = await begin(update, context)
    if turn.person.user is None:
        await context.bot.send_message(turn.chat_id, texts.nothing_stored(turn.t, web=turn.on_web))
        return
    await context.bot.send_message(
        turn.chat_id,
        turn.t._(
            "Do you want us to delete everything we keep about you? Any contact you have ends, "
            "and this cannot be undone. You are always welcome back."
        ),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    button(turn.t._("Yes, delete everything"), "del:yes"),
                    button(turn.t._("No, keep it"), "del:no"),
                ]
            ]
        ),
    )


async def delete_button(update: Update, context: Context) -> None:
    """Erases the presser's own data (the callback carries no id: it is always the presser)."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None
    if query.data not in ("del:yes", "del:no"):
        await query.answer(turn.t._("That button is no longer valid."))
        return
    await query.answer()
    user = turn.person.user
    if query.data != "del:yes" or user is None:
        await query.edit_message_text(turn.t._("Nothing has been deleted."))
        return
    erasure = await privacy.erase(turn.rt, user)
    if context.user_data is not None:
        context.user_data.clear()  # what memory held about them (a language, message ids) too
    await query.edit_message_text(
        "\n\n".join([*privacy.what_remains(turn.t, erasure), talk_lines(turn.t, turn.rt.config)])
    )


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("privacy", privacy_command, private))
    application.add_handler(CommandHandler("mydata", mydata_command, private))
    application.add_handler(CommandHandler("delete", delete_command, private))
    application.add_handler(CallbackQueryHandler(delete_button, pattern=r"^del:"))
