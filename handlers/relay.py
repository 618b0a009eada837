"""Conversation messages between a citizen and their peer, copied and never forwarded.

The router also takes the citizen's optional feedback sentence and answers anything that has
nowhere to go (kindly, for the citizen's situation: `handlers.outside`), so every private
message gets exactly one reply path. A citizen's crisis words come here from `handlers.crisis`
(group -1) with the detector's verdict; nothing on this path runs the detector again.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot import metrics
from bot.services import contacts as contact_service
from bot.services import relay, safety
from bot.services.relay import Route, RouteProblem, Side
from bot.services.triage import TriageResult
from bot.storage import contacts as contact_store
from bot.storage import users as user_store
from bot.storage.users import User
from handlers import keyboards, outside, peer, protection
from handlers.base import CONVERSATION_MESSAGE, Context, Turn, begin
from handlers.citizen import show_crisis_lines
from handlers.keyboards import button

log = logging.getLogger(__name__)


def _relayable(message: Message) -> bool:
    return bool(
        message.text or message.photo or message.voice or message.document or message.sticker
    )


async def private_message(update: Update, context: Context) -> None:
    """Relays a message to the other side of the sender's contact, or says why it cannot."""
    await _route_message(await begin(update, context), None)


async def flagged_message(turn: Turn, crisis: TriageResult) -> bool:
    """Crisis words from a citizen in a contact (found in group -1): relayed like any message,
    never blocked, then the escalation, the emergency lines and the peer's note. False when
    the contact ended meanwhile and nothing was done."""
    return await _route_message(turn, crisis)


async def _route_message(turn: Turn, crisis: TriageResult | None) -> bool:
    update = turn.update
    message = update.effective_message
    assert message is not None
    user = turn.person.user
    if user is None:
        if crisis is not None:
            return False
        await outside.kind_answer(turn)
        return True
    replied = message.reply_to_message
    if (
        replied is not None
        and message.text
        and replied.from_user is not None
        and replied.from_user.is_bot
        and (
            await peer.handover_note(turn, message.text, replied.message_id, replied.text or "")
            or await protection.report_note(
                turn, message.text, replied.message_id, replied.text or ""
            )
            or await peer.concern_note(turn, message.text, replied.message_id, replied.text or "")
        )
    ):
        return
    reply_to = replied.message_id if replied else None
    route = await relay.route(turn.rt, user, reply_to)
    if route.problem is RouteProblem.CHOOSE:
        await ask_whom(turn, user)
        return True
    if route.problem is RouteProblem.NO_CONTACT or route.contact is None:
        if crisis is not None:
            return False
        if message.text and (feedback_id := await contact_service.comment_pending(turn.rt, user)):
            await contact_service.add_comment(turn.rt, feedback_id, message.text)
            await message.reply_text(turn.t._("Thank you for your words. Take care."))
            return True
        await outside.kind_answer(turn)
        return True
    relayed = False
    if not _relayable(message):
        await message.reply_text(
            turn.t._(
                "This kind of message cannot be passed on. Text, photos, voice messages, "
                "files and stickers can."
            )
        )
    else:
        relayed = await _relay(turn, message, route)
    if crisis is not None and route.side is Side.CITIZEN:
        await _crisis_in_contact(turn, route, crisis, tell_peer=relayed)
    return True


async def _relay(turn: Turn, message: Message, route: Route) -> bool:
    """Pass the message on; False when it could not be (the sender has been told)."""
    contact = route.contact
    assert contact is not None
    rt = turn.rt
    header_needed = relay.needs_header(contact, route.side, rt)
    try:
        if header_needed:
            target_language = (
                contact.peer_language if route.side is Side.CITIZEN else contact.citizen_language
            )
            name = contact.citizen_name if route.side is Side.CITIZEN else contact.peer_name
            # The answer is not needed, so it is not parsed into a Message.
            await turn.context.bot.do_api_request(
                "sendMessage",
                api_kwargs={
                    "chat_id": route.target_chat,
                    "text": rt.translator(target_language)._("{name} writes:", name=name),
                },
            )
        copied = await turn.context.bot.copy_message(
            chat_id=route.target_chat,
            from_chat_id=turn.chat_id,
            message_id=message.message_id,
            protect_content=True,
            reply_parameters=(
                ReplyParameters(route.reply_to, allow_sending_without_reply=True)
                if route.reply_to
                else None
            ),
        )
    except Forbidden:
        metrics.TELEGRAM_ERRORS.labels(kind="forbidden").inc()
        await _other_side_gone(turn, route)
        return False
    except (BadRequest, TelegramError) as exc:
        metrics.TELEGRAM_ERRORS.labels(kind=type(exc).__name__.lower()).inc()
        log.warning("relay in contact %d failed: %s", contact.id, type(exc).__name__)
        await message.reply_text(
            turn.t._("Sorry, that message could not be passed on. Please try again.")
        )
        return False
    kind = (
        "text" if message.text else "bare" if message.sticker or message.video_note else "caption"
    )
    relay.delivered(rt, route, (turn.chat_id, message.message_id), copied.message_id, kind)
    return True


async def _crisis_in_contact(
    turn: Turn, route: Route, crisis: TriageResult, *, tell_peer: bool
) -> None:
    """Escalate (also when the message could not be passed on), show the lines at most once an
    hour, and tell the peer discreetly about a message they received."""
    contact = route.contact
    assert contact is not None
    await safety.signal_in_contact(
        turn.rt, contact, crisis, source_key=f"update:{turn.update.update_id}"
    )
    if await relay.should_show_crisis_lines(turn.rt, contact):
        await show_crisis_lines(turn)
    if not tell_peer:
        return
    peer_t = turn.rt.translator(contact.peer_language)
    await turn.context.bot.send_message(
        contact.peer_chat,
        # First line as a phone's notification shows it: nothing about what was written.
        peer_t._("A note about {name}'s last message.", name=contact.citizen_name)
        + "\n"
        + peer_t._(
            "It may mean they are thinking about suicide or self-harm. Our coordinators have "
            "been told. Stay kind and calm, and you do not have to carry this alone: contact a "
            "coordinator if you are unsure."
        ),
    )


async def _other_side_gone(turn: Turn, route: Route) -> None:
    contact = route.contact
    assert contact is not None
    if route.side is Side.PEER:
        citizen = await user_store.by_id(turn.rt.storage, contact.citizen_id)
        if citizen is not None:
            await contact_service.citizen_unreachable(turn.rt, citizen)
        await turn.update.effective_message.reply_text(  # type: ignore[union-attr]
            turn.t._(
                "{name} can no longer be reached here, so the contact has ended.",
                name=contact.citizen_name,
            )
        )
        return
    await user_store.mark_unreachable(turn.rt.storage, contact.peer_chat, turn.rt.now())
    await turn.update.effective_message.reply_text(  # type: ignore[union-attr]
        turn.t._(
            "Your peer cannot be reached right now. Please try again later, or press "
            "the button if you need help now."
        ),
        reply_markup=keyboards.only_help_now(turn.t),
    )


async def ask_whom(turn: Turn, peer: User) -> None:
    contacts = await contact_store.active_for_peer(turn.rt.storage, peer.id)
    rows = [[button(c.citizen_name, f"focus:{c.id}")] for c in contacts]
    await turn.context.bot.send_message(
        turn.chat_id,
        turn.t._(
            "You have several contacts. Who is your message for? Choose, then send it "
            "again, or reply to one of their messages."
        ),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def focus_button(update: Update, context: Context) -> None:
    """Sets which contact the peer's next messages go to (only their own)."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    raw = query.data.removeprefix("focus:")
    user = turn.person.user
    contact = (
        await relay.focus(turn.rt, user, int(raw)) if raw.isdigit() and user is not None else None
    )
    if contact is None:
        log.info("refused focus button for update %s", update.update_id)
        await query.answer(turn.t._("That button is no longer valid."))
        return
    await query.answer()
    await query.edit_message_text(
        turn.t._("Your messages now go to {name}.", name=contact.citizen_name)
    )


async def edited_message(update: Update, context: Context) -> None:
    """Edits cannot be mirrored on the other side; say so instead of silently ignoring them."""
    turn = await begin(update, context)
    user = turn.person.user
    if user is None or (await relay.route(turn.rt, user, None)).contact is None:
        return
    await context.bot.send_message(
        turn.chat_id,
        turn.t._("Edited messages are not passed on. Please send a new message instead."),
    )


def register_conversation_messages(application: Application) -> None:
    """Registered early (see `bot.app`): new private messages that are not commands."""
    application.add_handler(
        MessageHandler(
            CONVERSATION_MESSAGE,
            private_message,
        )
    )


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CallbackQueryHandler(focus_button, pattern=r"^focus:"))
    application.add_handler(
        MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, edited_message)
    )
