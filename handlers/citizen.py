"""Citizens: consent, privacy, the status of their request, cancelling it, feedback."""

from __future__ import annotations

from datetime import timedelta

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import labels
from bot.emergency import emergency_lines, talk_lines
from bot.i18n import Translator
from bot.services import contacts as contact_service
from bot.services import handover, matching, waiting
from bot.services.office_hours import is_open, next_opening
from bot.storage import contacts as contact_store
from bot.storage import requests as request_store
from bot.storage.requests import Request, RequestStatus
from handlers import keyboards, texts
from handlers.base import MEMORY_AGE, MEMORY_ASKED_AGE, Context, Turn, begin, call_unparsed
from handlers.keyboards import button, callback_parts


def privacy_summary(turn: Turn) -> str:
    t, config = turn.t, turn.rt.config
    return "\n\n".join(
        [
            t._("Before we start, here is what we keep about you:"),
            t._(
                "• Your request (topic, wishes and any words you write for the peer), the name "
                "you use here, your language and when things happened. What you tell us about "
                "how you feel is health data, and we treat it as such."
            ),
            t._(
                "• Telegram shows us your Telegram name; we do not store it. The name you use "
                "here, made up by us or chosen by you, is stored, and your peer and our "
                "coordinators see it. We never see your phone number."
            ),
            t._(
                "• Your messages with the peer are passed on, not kept. Only the peer you talk "
                "with and our coordinators see your request."
            ),
            t._(
                "• This chat is an ordinary Telegram chat: Telegram keeps it on its servers, and "
                "it is not end-to-end encrypted."
            ),
            t._(
                "• Everything is deleted {days} days after your request or contact has ended. "
                "You can see it with /mydata and delete it with /delete at any time.",
                days=config.retention_days,
            ),
            "\n".join(texts.confidentiality(t)),
            *(
                []
                if config.legal_basis == "public_task"
                else [t._("• You can withdraw your consent at any time with /delete.")]
            ),
            t._("Responsible: {organisation}", organisation=config.organisation_name),
            *(
                [
                    t._(
                        "{organisation} does this as part of its public task under Danish law, "
                        "so we inform you rather than ask you.",
                        organisation=config.organisation_name,
                    )
                ]
                if config.legal_basis == "public_task"
                else []
            ),
        ]
    )


async def ask_age_first(turn: Turn, preface: str | None = None) -> None:
    """Before consent, nothing is stored: the answer stays in memory until "I agree"."""
    t, config = turn.t, turn.rt.config
    rows = [[button(labels.age_band(t, band), f"age:{band.low}")] for band in config.age_bands]
    rows.append([keyboards.help_now_button(t)])
    question = texts.age_question(t, config, before_consent=True)
    turn.user_data[MEMORY_ASKED_AGE] = True
    await call_unparsed(
        turn,
        "sendMessage",
        chat_id=turn.chat_id,
        text=f"{preface}\n\n{question}" if preface else question,
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def ask_consent(turn: Turn) -> None:
    markup = InlineKeyboardMarkup(
        [
            [
                button(
                    turn.t._("Continue")
                    if turn.rt.config.legal_basis == "public_task"
                    else turn.t._("I agree"),
                    "consent:yes",
                )
            ],
            [button(turn.t._("No thanks"), "consent:no")],
            [keyboards.help_now_button(turn.t)],
        ]
    )
    await call_unparsed(
        turn, "sendMessage", chat_id=turn.chat_id, text=privacy_summary(turn), reply_markup=markup
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
                turn.t._("That is completely fine. Nothing about you has been stored."),
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
        texts.privacy_notice(turn.t, turn.rt),
        reply_markup=keyboards.only_help_now(turn.t),
    )


def status_text(turn: Turn, request: Request, peer_name: str | None, wait: timedelta | None) -> str:
    t = turn.t
    if request.status is RequestStatus.ACTIVE:
        state = t._("You are in contact with {peer}. Just write here.", peer=peer_name or "-")
        state += "\n" + t._("When you want to stop, /end or the button below ends the contact.")
    elif request.status is RequestStatus.WAITING:
        state = (
            t._(
                "Waiting for a peer since {time}.",
                time=t.datetime(request.submitted_at or request.created_at),
            )
            + "\n"
            + texts.expected_wait(t, wait)
        )
    else:
        state = t._("Not sent yet: you were in the middle of filling it in.")
    return "\n".join(
        [
            t._("Your request"),
            t._("Topic: {topic}", topic=labels.topic(t, request.topic)),
            t._("Contact: {form}", form=labels.contact_form(t, request.contact_form)),
            state,
        ]
    )


async def show_status(turn: Turn, request: Request) -> None:
    peer_name = None
    rows = []
    if request.status is RequestStatus.ACTIVE and turn.person.user is not None:
        # The peer contact serving this request, also while a coordinator talks with them.
        contact = await contact_store.active_for_request(turn.rt.storage, request.id)
        peer_name = contact.peer_name if contact else None
        if contact is not None:
            rows.append([button(turn.t._("End the contact"), f"end:ask:{contact.id}")])
    if request.status is RequestStatus.WAITING:
        rows.append([button(turn.t._("Cancel my request"), f"req:cancel:{request.id}")])
    if request.status is RequestStatus.DRAFT:
        rows.append([button(turn.t._("Continue"), "citizen:ask")])
    rows.append([keyboards.help_now_button(turn.t)])
    await turn.context.bot.send_message(
        turn.chat_id,
        status_text(turn, request, peer_name, await waiting.typical_wait(turn.rt)),
        reply_markup=InlineKeyboardMarkup(rows),
    )
    if request.status is RequestStatus.WAITING:
        await tell_if_outside_office_hours(turn)


async def status_command(update: Update, context: Context) -> None:
    """Shows the citizen's open request, or how to make one."""
    turn = await begin(update, context)
    request = None
    if turn.person.user is not None:
        request = await request_store.open_for(turn.rt.storage, turn.person.user.id)
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
        await matching.cancel_request(turn.rt, request)
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
    request = await request_store.by_id(turn.rt.storage, int(raw_id))
    if request is None or request.citizen_id != turn.person.user.id:
        return None
    return request


async def tell_if_outside_office_hours(turn: Turn) -> None:
    config, now = turn.rt.config, turn.rt.now()
    if is_open(config.office_hours, now, config.timezone):
        return
    opening = next_opening(config.office_hours, now, config.timezone)
    await turn.context.bot.send_message(
        turn.chat_id,
        turn.t._(
            "Our office is closed right now; it opens again {when}. Peers may still answer, "
            "but it can take longer.",
            when=turn.t.weekday_datetime(opening),
        ),
    )


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
