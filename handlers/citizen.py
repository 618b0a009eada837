"""Citizens: consent, privacy, the status of their request, cancelling it, feedback.

The screens shared with the intake dialogue live in `handlers.screens`."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.config.lines import emergency_lines, talk_lines
from bot.domain import Request, RequestStatus
from bot.i18n import Translator
from bot.services import contacts as contact_service
from bot.services import handover, intake, matching
from handlers import keyboards, texts
from handlers.base import MEMORY_AGE, MEMORY_ASKED_AGE, Context, Turn, begin
from handlers.keyboards import button, callback_parts
from handlers.screens import (
    show_status,
)


async def consent_refused(update: Update, context: Context) -> None:
    """Stores nothing, and says where else there is someone to talk to."""
    turn = await begin(update, context)
    turn.user_data.pop(MEMORY_AGE, None)
    turn.user_data.pop(MEMORY_ASKED_AGE, None)
    assert update.callback_query is not None
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        "\n\n".join(
            [
                turn.t._(
                    "That is completely fine. Nothing about you has been stored, only this "
                    'conversation, which "Forget this device" in the menu deletes.'
                )
                if turn.on_web
                else turn.t._("That is completely fine. Nothing about you has been stored."),
                talk_lines(turn.t, turn.rt.config),
            ]
        ),
        reply_markup=keyboards.only_help_now(turn.t),
    )


async def privacy_button(update: Update, context: Context) -> None:
    """Shows what is kept and why."""
    turn = await begin(update, context)
    assert update.callback_query is not None
    await update.callback_query.answer()
    await context.bot.send_message(
        turn.chat_id,
        texts.privacy_notice(turn.t, turn.rt, web=turn.on_web),
        reply_markup=keyboards.only_help_now(turn.t),
    )


async def status_command(update: Update, context: Context) -> None:
    """Shows the citizen's open request, or how to make one."""
    turn = await begin(update, context)
    request = None
    if turn.person.user is not None:
        request = await intake.open_request(turn.rt, turn.person.user.id)
    if request is None:
        await context.bot.send_message(
            turn.chat_id,
            turn.t._("You have no open request. Press /start to ask for a peer."),
            reply_markup=keyboards.only_help_now(turn.t),
        )
        return
    await show_status(turn, request)


async def cancel_request_button(update: Update, context: Context) -> None:
    """Asks once more, then withdraws the citizen's own waiting request."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    _, action, raw_id = callback_parts(query.data)
    request = await _own_request(turn, raw_id)
    if request is None or request.status is not RequestStatus.WAITING:
        await query.answer(turn.t._("That button is no longer valid."))
        return
    await query.answer()
    if action == "cancel":
        await query.edit_message_text(
            turn.t._("Do you want to cancel your request?"),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        button(turn.t._("Yes, cancel it"), f"req:confirm:{request.id}"),
                        button(turn.t._("No, keep it"), f"req:keep:{request.id}"),
                    ]
                ]
            ),
        )
    elif action == "confirm":
        assert turn.person.user is not None
        await matching.cancel_request(turn.rt, request.id, turn.person.user.id)
        await query.edit_message_text(
            turn.t._("Your request is cancelled. You are welcome back at any time with /start."),
            reply_markup=keyboards.only_help_now(turn.t),
        )
    else:
        await query.edit_message_text(turn.t._("Good, your request is still waiting."))


async def wait_button(update: Update, context: Context) -> None:
    """The citizen keeps waiting, or sees who else they can talk to, after nobody said yes in
    time (lines that are not crisis lines: nobody asked for urgent help here)."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None
    _, action, raw_id = callback_parts(query.data)
    request = await _own_request(turn, raw_id)
    if request is None or request.status is not RequestStatus.WAITING:
        await query.answer(turn.t._("That button is no longer valid."))
        return
    await query.answer()
    if action == "lines":
        await query.edit_message_text(
            talk_lines(turn.t, turn.rt.config), reply_markup=keyboards.only_help_now(turn.t)
        )
    else:
        await query.edit_message_text(
            turn.t._("Good. Your request stays open, and I will write as soon as a peer says yes."),
            reply_markup=keyboards.only_help_now(turn.t),
        )


async def handover_decision(update: Update, context: Context) -> None:
    """The citizen keeps or deletes a note their peer wrote for the next peer."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None
    _, action, raw_id = callback_parts(query.data)
    user = turn.person.user
    decision = (
        await handover.decide(turn.rt, user, int(raw_id), keep=action == "ok")
        if raw_id.isdigit() and user is not None and action in {"ok", "del"}
        else handover.Decision.STALE
    )
    if decision is handover.Decision.STALE:
        await query.answer(turn.t._("That button is no longer valid."))
        return
    if decision is handover.Decision.ALREADY_KEPT:
        await query.answer(turn.t._("This note is already kept."))
        return
    await query.answer()
    if decision is handover.Decision.KEPT:
        await query.edit_message_text(
            turn.t._("Kept. Your next peer will see it. You can delete it at any time:"),
            reply_markup=InlineKeyboardMarkup(
                [[button(turn.t._("Delete the note"), f"hand:del:{raw_id}")]]
            ),
        )
    else:
        await query.edit_message_text(turn.t._("The note is deleted."))


async def _own_request(turn: Turn, raw_id: str) -> Request | None:
    if not raw_id.isdigit() or turn.person.user is None:
        return None
    return await intake.own_request(turn.rt, int(raw_id), turn.person.user.id)


async def show_crisis_lines(
    turn: Turn, *, stored_without_consent: bool = False, peer_name: str | None = None
) -> None:
    """The answer to crisis words, wherever they were written (see `handlers.crisis`): what
    they wrote sounds heavy, the check was automatic and who was told, what happens next,
    what the service cannot do, then the lines. `peer_name`: their peer got the message."""
    t = turn.t
    parts = [
        t._("What you wrote sounds really heavy. Thank you for writing it here."),
        t._(
            "Messages here are checked automatically for words like these, so our coordinators "
            "have been told (what kind of words, not what you wrote). One of them will try to "
            "write to you here as soon as they can."
        ),
    ]
    if peer_name is not None:
        parts.append(
            t._(
                "{name} got your message as always, with a note that our coordinators know.",
                name=peer_name,
            )
        )
    parts += [cannot_send_help(t), emergency_lines(t, turn.rt.config)]
    if stored_without_consent:
        parts.append(
            turn.t._(
                "So that a coordinator can reach you, I have stored a made-up name for you, this "
                "chat and your language, and a note of when and why I alerted them (not what you "
                "wrote). Nothing else."
            )
        )
    await turn.context.bot.send_message(
        turn.chat_id, "\n\n".join(parts), reply_markup=keyboards.only_help_now(turn.t)
    )


def cannot_send_help(t: Translator) -> str:
    """What the service cannot do, said plainly wherever someone may be in danger."""
    return t._("We don't know who you are or where you are, so we cannot send help out to you.")


async def feedback_button(update: Update, context: Context) -> None:
    """Stores a rating for the citizen's own ended contact and invites a sentence."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    parts = query.data.split(":")
    valid = len(parts) == 3 and parts[1].isdigit() and parts[2] in {"0", "1", "2", "3", "4", "5"}
    if (
        not valid
        or turn.person.user is None
        or not await contact_service.rate(turn.rt, turn.person.user, int(parts[1]), int(parts[2]))
    ):
        await query.answer(turn.t._("That button is no longer valid."))
        return
    await query.answer()
    if parts[2] == "0":
        await query.edit_message_text(turn.t._("That's fine. Take care of yourself."))
        return
    await query.edit_message_text(
        turn.t._(
            "Thank you. If you like, write one sentence about it now; otherwise just carry "
            "on. You can ask for a peer again with /start."
        )
    )


def register(application: Application) -> None:
    application.add_handler(CallbackQueryHandler(consent_refused, pattern=r"^consent:no$"))
    application.add_handler(CallbackQueryHandler(privacy_button, pattern=r"^citizen:privacy$"))
    application.add_handler(CommandHandler("status", status_command))
    application.add_handler(CallbackQueryHandler(cancel_request_button, pattern=r"^req:"))
    application.add_handler(CallbackQueryHandler(feedback_button, pattern=r"^fb:"))
    application.add_handler(CallbackQueryHandler(wait_button, pattern=r"^wait:"))
    application.add_handler(CallbackQueryHandler(handover_decision, pattern=r"^hand:"))
