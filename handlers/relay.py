"""Conversation messages between a citizen and their peer (or a coordinator), copied and never
forwarded, one bubble each with the sender's name on its first line.

When the bot cannot be sure whom a message is for (several people on the other side, or a
reply to a message of a contact that has ended), it asks with named buttons; the question is a
reply to the sender's own message, so one press sends that message without the bot storing it.
The router also takes the citizen's optional feedback sentence and answers anything that has
nowhere to go (kindly, for the citizen's situation: `handlers.outside`), so every private
message gets exactly one reply path. A citizen's crisis words come here from `handlers.crisis`
(group -1) with the detector's verdict; nothing on this path runs the detector again, except a
"Send it to ..." press, which checks the message it sends (it arrived in another update).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot import metrics
from bot.domain import Contact, User
from bot.services import contacts as contact_service
from bot.services import relay, unreachable
from bot.services.crisis import safety
from bot.services.crisis.triage import TriageResult
from bot.services.relay import Replied, Route, RouteProblem, Side
from handlers import keyboards, outside, peer, protection
from handlers.base import CONVERSATION_MESSAGE, Context, Turn, begin
from handlers.citizen import show_crisis_lines
from handlers.keyboards import action_and_id, button

log = logging.getLogger(__name__)

# Media that Telegram lets carry a caption; stickers and video notes take none.
CAPTIONED = ("photo", "voice", "document")


def _relayable(message: Message) -> bool:
    return bool(
        message.text or message.photo or message.voice or message.document or message.sticker
    )


def _replied(message: Message) -> Replied | None:
    """What routing needs to know about the message this one answers."""
    replied = message.reply_to_message
    if replied is None:
        return None
    from_sender = (
        replied.from_user is not None
        and message.from_user is not None
        and replied.from_user.id == message.from_user.id
    )
    relayed_copy = bool(replied.has_protected_content) and bool(
        replied.from_user and replied.from_user.is_bot
    )
    return Replied(replied.message_id, replied.date, from_sender or relayed_copy)


async def private_message(update: Update, context: Context) -> None:
    """Relays a message to the other side of the sender's contact, or says why it cannot."""
    await _route_message(await begin(update, context), None)


async def flagged_message(turn: Turn, crisis: TriageResult) -> bool:
    """Crisis words from a citizen in a contact (found in group -1): relayed like any message,
    never blocked, then the escalation, the emergency lines and the peer's note. False when
    no contact of theirs is concerned any more and nothing was done."""
    return await _route_message(turn, crisis)


async def _route_message(turn: Turn, crisis: TriageResult | None) -> bool:
    message = turn.update.effective_message
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
            await peer.handover_note(turn, message.text, replied.message_id)
            or await protection.report_note(turn, message.text, replied.message_id)
            or await peer.concern_note(turn, message.text, replied.message_id)
        )
    ):
        return True
    route = await relay.route(turn.rt, user, _replied(message))
    if route.problem is RouteProblem.NO_CONTACT:
        if crisis is not None:
            return False
        if message.text and (feedback_id := await contact_service.comment_pending(turn.rt, user)):
            await contact_service.add_comment(turn.rt, feedback_id, message.text)
            await message.reply_text(turn.t._("Thank you for your words. Take care."))
            return True
        await outside.kind_answer(turn)
        return True
    if not _relayable(message):
        await message.reply_text(
            turn.t._(
                "This kind of message cannot be passed on. Text, photos, voice messages, "
                "files and stickers can."
            )
        )
        return await _crisis_held(turn, user, message, route, crisis)
    if route.problem is RouteProblem.CHOOSE:
        await ask_whom(turn, user, message, route.choices)
        return await _crisis_held(turn, user, message, route, crisis)
    if route.problem is RouteProblem.ENDED:
        await _tell_ended(turn, user, message, route)
        return await _crisis_held(turn, user, message, route, crisis)
    relayed = await _relay(turn, message, route)
    if relayed and route.contact is not None and await relay.reads_later(turn.rt, route):
        await message.reply_text(
            turn.t._(
                "{name} may not see this right away: they will read it the next time they "
                "are here.",
                name=relay.other_name(turn.t, route.contact, Side.PEER),
            )
        )
    if crisis is not None and route.side is Side.CITIZEN and route.contact is not None:
        await _crisis_in_contact(turn, route.contact, message, crisis, tell_peer=relayed)
    return True


async def _crisis_held(
    turn: Turn, user: User, message: Message, route: Route, crisis: TriageResult | None
) -> bool:
    """A citizen's words are acted on even when they were not passed on (yet): help must not
    wait for a press. False when no contact of theirs is concerned (the caller escalates)."""
    if crisis is None:
        return True
    mine = [c for c in route.choices if c.citizen_id == user.id]
    # A reply to an ended contact concerns the citizen's current contacts, not the ended one.
    if (
        route.contact is not None
        and route.contact.citizen_id == user.id
        and route.problem is not RouteProblem.ENDED
    ):
        mine.insert(0, route.contact)
    if not mine:
        return False
    await _crisis_in_contact(turn, mine[0], message, crisis, tell_peer=False)
    return True


async def _relay(turn: Turn, message: Message, route: Route) -> bool:
    """Send one message across; True when it arrived."""
    contact = route.contact
    assert contact is not None
    rt = turn.rt
    if route.side is Side.CITIZEN and contact.peer_unreachable:
        await _peer_gone(turn, contact)
        return False
    target_t = rt.translator(
        contact.peer_language if route.side is Side.CITIZEN else contact.citizen_language
    )
    name = relay.display_name(target_t, contact, route.side)
    bubble = relay.compose(
        name,
        text=message.text,
        entities=[e.to_dict() for e in message.entities],
        caption=message.caption,
        caption_entities=[e.to_dict() for e in message.caption_entities],
        takes_caption=any(getattr(message, kind) for kind in CAPTIONED),
    )
    common_params: dict[str, Any] = {"chat_id": route.target_chat, "protect_content": True}
    if route.reply_to:
        common_params["reply_parameters"] = {
            "message_id": route.reply_to,
            "allow_sending_without_reply": True,
        }
    bot = turn.context.bot
    name_copy: int | None = None
    try:
        if bubble.name_apart:
            named = await bot.do_api_request(
                "sendMessage",
                api_kwargs={
                    "chat_id": route.target_chat,
                    "text": name,
                    "entities": [relay.name_entity(name)],
                    "protect_content": True,
                },
                return_type=None,
            )
            assert isinstance(named, dict)
            name_copy = named["message_id"]
        params = dict(common_params)
        if bubble.method == "sendMessage":
            params.update(text=bubble.text, entities=list(bubble.entities))
        else:
            params.update(from_chat_id=message.chat_id, message_id=message.message_id)
            if bubble.text is not None:
                params.update(caption=bubble.text, caption_entities=list(bubble.entities))
        # The answer is not parsed into a Message: only its id is needed.
        sent = await bot.do_api_request(bubble.method, api_kwargs=params, return_type=None)
    except Forbidden:
        metrics.TELEGRAM_ERRORS.labels(kind="forbidden").inc()
        await _other_side_gone(turn, route)
        return False
    except (BadRequest, TelegramError) as exc:
        metrics.TELEGRAM_ERRORS.labels(kind=type(exc).__name__.lower()).inc()
        log.warning("relay in contact %d failed: %s", contact.id, type(exc).__name__)
        if name_copy is not None:
            await _take_back(turn, route.target_chat, name_copy)
        await turn.context.bot.send_message(
            turn.chat_id,
            turn.t._("Sorry, that message could not be passed on. Please try again."),
        )
        return False
    assert isinstance(sent, dict)
    kind = (
        "text" if message.text else "bare" if message.sticker or message.video_note else "caption"
    )
    relay.delivered(
        rt,
        route,
        (message.chat_id, message.message_id),
        sent["message_id"],
        kind,
        name_copy=name_copy,
    )
    return True


async def _take_back(turn: Turn, chat_id: int, message_id: int) -> None:
    """A name sent apart whose message did not follow would stand alone: delete it (the other
    side may hear it nonetheless; nothing else is lost if Telegram refuses)."""
    try:
        await turn.context.bot.delete_message(chat_id, message_id)
    except TelegramError as exc:
        log.info("an orphaned name message stays: %s", type(exc).__name__)


async def _crisis_in_contact(
    turn: Turn, contact: Contact, message: Message, crisis: TriageResult, *, tell_peer: bool
) -> None:
    """Escalate (also when the message was not passed on), show the lines at most once an hour,
    and tell the peer discreetly about a message they received. Keyed by the citizen's internal
    number and the message (never a Telegram id), so a held message sent later counts once.
    A coordinator who received the words has the alert; only a peer gets the note."""
    tell_peer = tell_peer and contact.kind == "peer"
    source_key = f"relay:{contact.citizen_id}:{message.message_id}"
    raised = await safety.signal_in_contact(
        turn.rt,
        contact,
        crisis,
        source_key=source_key,
        peer_saw_words=tell_peer,
    )
    if await relay.should_show_crisis_lines(turn.rt, contact):
        await show_crisis_lines(
            turn, peer_name=contact.peer_name if tell_peer and contact.kind == "peer" else None
        )
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
    if raised is None:  # raised before the peer had the words (held for a choice)
        await safety.peer_received_later(turn.rt, contact, source_key)


async def _other_side_gone(turn: Turn, route: Route) -> None:
    contact = route.contact
    assert contact is not None
    if route.side is Side.PEER:
        await unreachable.citizen_gone(turn.rt, contact.citizen_id)
        await turn.context.bot.send_message(
            turn.chat_id,
            turn.t._(
                "{name} can no longer be reached here, so the contact has ended.",
                name=contact.citizen_name,
            ),
        )
        return
    if await unreachable.peer_unreachable(turn.rt, contact.peer_chat):
        return  # the citizen's notice, with its offer of a new peer, is on its way
    await unreachable.mark_blocked(turn.rt, contact.peer_chat)
    await _peer_gone(turn, contact)


async def _peer_gone(turn: Turn, contact: Contact) -> None:
    """The citizen's peer cannot be reached: say so kindly and offer a new peer."""
    name = relay.other_name(turn.t, contact, Side.CITIZEN)
    rows = []
    if contact.kind == "peer":
        rows.append([button(turn.t._("Find me a new peer"), f"relay:new:{contact.id}")])
        text = turn.t._(
            "{name} cannot be reached here right now, so your message was not passed on. It is "
            "not about you. Our coordinators know. If you like, we can find you a new peer.",
            name=name,
        )
    else:
        text = turn.t._(
            "{name} cannot be reached here right now, so your message was not passed on. If "
            "you need help now, press the button.",
            name=name,
        )
    rows.append([keyboards.help_now_button(turn.t)])
    await turn.context.bot.send_message(turn.chat_id, text, reply_markup=InlineKeyboardMarkup(rows))


async def _tell_ended(turn: Turn, user: User, message: Message, route: Route) -> None:
    """A reply to an ended contact's message reaches nobody; offer the one current contact."""
    t = turn.t
    if route.contact is not None:
        me = relay.side_of(route.contact, user) or Side.CITIZEN
        text = t._(
            "Your contact with {name} has ended, so this reply was not passed on to anyone.",
            name=relay.other_name(t, route.contact, me),
        )
    else:
        text = t._(
            "This is a reply to a message from a conversation that has ended, so it was not "
            "passed on to anyone."
        )
    markup = None
    if len(route.choices) == 1:
        current = route.choices[0]
        me = relay.side_of(current, user) or Side.CITIZEN
        name = relay.other_name(t, current, me)
        text += "\n" + t._("Do you want to send it to {name} instead?", name=name)
        markup = InlineKeyboardMarkup(
            [[button(t._("Send it to {name}", name=name), f"relay:to:{current.id}")]]
        )
    await turn.context.bot.send_message(
        turn.chat_id,
        text,
        reply_markup=markup,
        reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True),
    )


async def ask_whom(turn: Turn, user: User, message: Message, choices: tuple[Contact, ...]) -> None:
    """Several people on the other side: ask with their names; one press sends the message."""
    t = turn.t
    rows = []
    for contact in choices:
        me = relay.side_of(contact, user) or Side.PEER
        rows.append([button(relay.other_name(t, contact, me), f"relay:to:{contact.id}")])
    await turn.context.bot.send_message(
        turn.chat_id,
        t._(
            "Who is this message for? Press a name to send it. Tip: reply to someone's "
            "message, and your answer goes to them."
        ),
        reply_markup=InlineKeyboardMarkup(rows),
        reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True),
    )


async def relay_button(update: Update, context: Context) -> None:
    """Sends the message a "whom is this for" question answers, or finds a new peer."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None
    parsed = action_and_id(query.data, {"to", "new"})
    user = turn.person.user
    if parsed is None or user is None:
        log.info("refused relay button for update %s", update.update_id)
        await query.answer(turn.t._("That button is no longer valid."))
        return
    action, contact_id = parsed
    if action == "new":
        await _new_peer(turn, user, contact_id)
        return
    await _send_chosen(turn, user, contact_id)


async def _send_chosen(turn: Turn, user: User, contact_id: int) -> None:
    query = turn.update.callback_query
    assert query is not None
    t = turn.t
    asked = query.message if isinstance(query.message, Message) else None
    original = asked.reply_to_message if asked is not None else None
    picked = await relay.chosen(turn.rt, user, contact_id)
    if (
        picked is None
        or asked is None
        or original is None
        or original.from_user is None
        or original.from_user.id != turn.person.telegram_id
        or turn.rt.now() - asked.date > relay.SEND_WINDOW
    ):
        log.info("refused relay choice for update %s", turn.update.update_id)
        await query.answer(
            t._("That button is no longer valid. Please send your message again.")
            if picked is not None and original is not None
            else t._("That button is no longer valid.")
        )
        return
    contact, side = picked
    name = relay.other_name(t, contact, side)
    if await relay.already_sent(turn.rt, turn.chat_id, original.message_id):
        await query.answer(t._("That message has already been sent."))
        return
    await query.answer()
    if not _relayable(original):
        return
    relayed = await _relay(turn, original, relay.to(contact, side))
    if relayed:
        # Written at once, so that a second press of this button finds it sent.
        await turn.rt.later.flush()
        await query.edit_message_text(t._("Sent to {name}.", name=name))
    crisis = safety.check(turn.rt, original.text or original.caption)
    if crisis is not None and side is Side.CITIZEN:
        await _crisis_in_contact(turn, contact, original, crisis, tell_peer=relayed)


async def _new_peer(turn: Turn, user: User, contact_id: int) -> None:
    query = turn.update.callback_query
    assert query is not None
    outcome = await unreachable.find_new_peer(turn.rt, user, contact_id)
    if outcome is unreachable.NewPeer.STALE:
        await query.answer(turn.t._("That button is no longer valid."))
        return
    await query.answer()
    if outcome is unreachable.NewPeer.BACK:
        text = turn.t._("Your peer can be reached again, so your contact goes on.")
    else:
        text = turn.t._(
            "Your request is open again and we are finding another peer for you; I will tell "
            "you as soon as one says yes."
        )
    await query.edit_message_text(text)


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
    if user is None or (await relay.route(turn.rt, user, None)).problem is RouteProblem.NO_CONTACT:
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
    application.add_handler(CallbackQueryHandler(relay_button, pattern=r"^relay:"))
    application.add_handler(CallbackQueryHandler(focus_button, pattern=r"^focus:"))
    application.add_handler(
        MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, edited_message)
    )
