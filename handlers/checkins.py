"""Check-ins: the list of upcoming ones (cancel, reschedule) and the citizen's answers."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.services import checkins
from handlers.base import Context, begin
from handlers.keyboards import button, callback_parts, parse_id

log = logging.getLogger(__name__)


async def checkins_command(update: Update, context: Context) -> None:
    """Lists upcoming check-ins: a citizen's own, or all of a peer's contacts'."""
    turn = await begin(update, context)
    user = turn.person.user
    upcoming, contacts = await checkins.upcoming(turn.rt, user.id) if user else ([], [])
    if not upcoming:
        await context.bot.send_message(
            turn.chat_id, turn.t._("Nothing planned. /checkin plans a check-in.")
        )
        return
    names = {
        c.id: (c.citizen_name if c.peer_id == user.id else c.peer_name)  # type: ignore[union-attr]
        for c in contacts
    }
    for item in upcoming:
        assert item.due_at is not None
        text = turn.t._(
            "{kind} with {name}: {time}",
            kind=turn.t._(checkins.KIND_LABELS[item.kind]),
            name=names.get(item.contact_id, "-"),
            time=turn.t.weekday_datetime(item.due_at),
        )
        markup = InlineKeyboardMarkup(
            [
                [
                    button(turn.t._("Cancel"), f"cic:{item.id}"),
                    button(turn.t._("Reschedule"), f"cis:resched:{item.id}"),
                ]
            ]
        )
        await context.bot.send_message(turn.chat_id, text, reply_markup=markup)


async def cancel_button(update: Update, context: Context) -> None:
    """Cancels a check-in on one of the presser's own contacts."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None
    _, raw_id, _ = callback_parts(query.data)
    checkin_id, user = parse_id(raw_id), turn.person.user
    cancelled = (
        checkin_id is not None
        and user is not None
        and await checkins.cancel(turn.rt, checkin_id, user.id)
    )
    if not cancelled:
        log.info("refused check-in cancel (update %s)", update.update_id)
        await query.answer(turn.t._("That button is no longer valid."))
        return
    await query.answer()
    await query.edit_message_text(turn.t._("Cancelled."))


async def answer_button(update: Update, context: Context) -> None:
    """Stores the citizen's answer to their own check-in."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None
    _, raw_id, value = callback_parts(query.data)
    checkin_id, user = parse_id(raw_id), turn.person.user
    stored = (
        checkin_id is not None
        and user is not None
        and await checkins.answer(turn.rt, checkin_id, user.id, value)
    )
    if not stored:
        log.info("refused check-in answer (update %s)", update.update_id)
        await query.answer(turn.t._("That button is no longer valid."))
        return
    await query.answer()
    replies = {
        "better": turn.t._("Good to hear. Thank you for answering."),
        "same": turn.t._("Thank you for answering. Your peer is here if you want to write."),
        "worse": turn.t._(
            "I'm sorry it is hard right now. I have told your peer. If you need "
            "help now, press the button below."
        ),
        "talk": turn.t._(
            "I have told your peer that you would like to talk. They will write "
            "as soon as they can."
        ),
    }
    await query.edit_message_text(
        replies[value],
        reply_markup=InlineKeyboardMarkup([[button(turn.t._("I need help now"), "urgent:now")]]),
    )


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("checkins", checkins_command, private))
    application.add_handler(CallbackQueryHandler(cancel_button, pattern=r"^cic:"))
    application.add_handler(CallbackQueryHandler(answer_button, pattern=r"^ci:"))
