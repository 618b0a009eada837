"""Screens a citizen sees both from a command and from a dialogue step: the privacy summary
and consent, the age question, the status of their request, office hours, a bar.

Rendering only (no handlers are registered here), so that `conversations/` can show them without
importing the handlers of an audience.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram import InlineKeyboardMarkup

from bot.config import labels
from bot.config.lines import emergency_lines
from bot.domain import Request, RequestStatus
from bot.services import contacts as contact_service
from bot.services import privacy, reports, waiting
from bot.services.office_hours import is_open, next_opening
from handlers import keyboards, texts
from handlers.base import MEMORY_ASKED_AGE, Turn, call_unparsed
from handlers.keyboards import button


def privacy_summary(turn: Turn) -> str:
    """What is kept, before consent; in the web chat, where the conversation itself is kept on
    our server and there is no Telegram name, its own bullets."""
    t, config = turn.t, turn.rt.config
    return "\n\n".join(
        [
            t._("Before we start, here is what we keep about you:"),
            t._(
                "• Your request (topic, wishes and any words you write for the peer), the name "
                "you use here, your language and when things happened. What you tell us about "
                "how you feel is health data, and we treat it as such."
            ),
            *(_web_bullets(turn) if turn.on_web else _telegram_bullets(turn)),
            t._(
                "• Everything is deleted {days} days after your request or contact has ended. "
                "You can see it with /mydata and delete it with /delete at any time.",
                days=config.retention_days,
            )
            if not turn.on_web
            else t._(
                "• Everything else is deleted {days} days after your request or contact has "
                "ended. You can see it with /mydata and delete it with /delete at any time.",
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


def _telegram_bullets(turn: Turn) -> list[str]:
    t = turn.t
    return [
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
    ]


def _web_bullets(turn: Turn) -> list[str]:
    t = turn.t
    return [
        t._(
            "• The web chat asks for no name, e-mail address or phone number, and we do not "
            "store your IP address or which browser you use. The name you use here, made up "
            "by us or chosen by you, is stored, and your peer and our coordinators see it."
        ),
        t._(
            "• We keep this conversation (your messages and the ones you get here) on our "
            "server, so that you can come back to it on this device. It is deleted when you use "
            '/delete or "Forget this device" in the menu, or when you have not been here for '
            "{days} days and have no request or contact open. Only the peer you talk with and "
            "our coordinators see your request.",
            days=turn.rt.config.web_chat.forget_after_days,
        ),
        t._(
            "• Your browser keeps a key that lets you come back on this device, so anyone "
            'using this device can read the conversation: on a shared device, choose "Forget '
            'this device" in the menu when you are done.'
        ),
        "• " + privacy.peers_work_in_telegram(t),
    ]


async def ask_age_first(turn: Turn, preface: str | None = None) -> None:
    """Before consent, nothing is stored: the answer stays in memory until "I agree"."""
    t, config = turn.t, turn.rt.config
    rows = [[button(labels.age_band(t, band), f"age:{band.low}")] for band in config.age_bands]
    rows.append([keyboards.help_now_button(t)])
    question = texts.age_question(t, config, before_consent=True, web=turn.on_web)
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
        contact = await contact_service.serving(turn.rt, request)
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


async def tell_barred(turn: Turn, until: datetime) -> None:
    """The neutral answer to a barred citizen who asks for a peer, with the emergency lines."""
    await turn.context.bot.send_message(
        turn.chat_id,
        "\n\n".join([reports.barred_text(turn.t, until), emergency_lines(turn.t, turn.rt.config)]),
        reply_markup=keyboards.only_help_now(turn.t),
    )
