"""Peers: answering offers, availability, their contacts, ending a contact, raising a concern."""

from __future__ import annotations

import logging
from datetime import datetime, time

from telegram import ForceReply, InlineKeyboardMarkup, Update
from telegram.ext import Application, BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.config.lines import talk_lines
from bot.domain import Contact
from bot.errors import UserInputError
from bot.runtime import RUNTIME_KEY, Runtime
from bot.services import contacts as contact_service
from bot.services import handover, matching, peer_care, peers, relay
from bot.services.crisis import escalation
from bot.services.matching import AcceptOutcome
from bot.services.relay import Side
from handlers import keyboards
from handlers.base import Context, Turn, begin
from handlers.keyboards import action_and_id, button, callback_parts

log = logging.getLogger(__name__)
# Before the dialogues (group 0), after urgent help (registered first in the same group).
UNDERTAKING_GROUP = -1


async def offer_button(update: Update, context: Context) -> None:
    """Accepts or declines an offer; only the peer it was offered to can."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    parsed = action_and_id(query.data, {"acc", "dec"})
    if parsed is None:
        await query.answer(turn.t._("That button is no longer valid."))
        return
    action, item_id = parsed
    if action == "dec":
        declined = await matching.decline(turn.rt, item_id, turn.person.telegram_id)
        if not declined:
            log.info("refused decline of offer %s (update %s)", item_id, update.update_id)
            await query.answer(turn.t._("That button is no longer valid."))
            return
        await query.answer()
        await query.edit_message_text(
            turn.t._("Thank you for answering. The request goes on to another peer.")
        )
        return
    if turn.person.telegram_id in turn.rt.undertaking_due:
        await query.answer(
            turn.t._("Please accept the updated confidentiality undertaking first."),
            show_alert=True,
        )
        return
    result = await matching.accept(turn.rt, item_id, turn.person.telegram_id)
    if result.outcome is AcceptOutcome.NOT_YOURS:
        log.info("refused accept of offer %s (update %s)", item_id, update.update_id)
        await query.answer(turn.t._("That button is no longer valid."))
        return
    await query.answer()
    if result.outcome is AcceptOutcome.TAKEN or result.contact is None:
        await query.edit_message_text(
            turn.t._(
                "Thank you! This request has already found a peer or is no longer open, "
                "so there is nothing more to do."
            )
        )
        return
    await query.edit_message_text(
        turn.t._(
            "You are now in contact with {name}. Write here and I will pass your messages on; "
            "neither of you sees the other's Telegram name or number. /end ends the contact.",
            name=result.contact.citizen_name,
        ),
        reply_markup=contact_buttons(turn, result.contact),
    )


def contact_buttons(turn: Turn, contact: Contact) -> InlineKeyboardMarkup:
    rows = [
        [button(turn.t._("Write to {name}", name=contact.citizen_name), f"focus:{contact.id}")],
        [button(turn.t._("Plan a check-in"), f"cis:contact:{contact.id}")],
        [
            button(turn.t._("I'm worried"), f"worry:{contact.id}"),
            button(turn.t._("End contact"), f"end:ask:{contact.id}"),
        ],
    ]
    if turn.rt.config.communities:  # the organisation's list of communities (handlers/communities)
        rows.insert(2, [button(turn.t._("Share a community"), f"com:pick:{contact.id}")])
    return InlineKeyboardMarkup(rows)


async def _peer_profile(turn: Turn):
    profile = await peers.profile_of(turn.rt, turn.person.user)
    if profile is None:
        await turn.context.bot.send_message(turn.chat_id, turn.t._("This command is for peers."))
    return profile


async def available_command(update: Update, context: Context) -> None:
    """Marks the peer as available for new contacts."""
    turn = await begin(update, context)
    profile = await _peer_profile(turn)
    if profile is None:
        return
    await peers.set_away(turn.rt, profile, False)
    await context.bot.send_message(
        turn.chat_id, turn.t._("You are available for new contacts again. Welcome back.")
    )
    await matching.match_waiting(turn.rt)


async def away_command(update: Update, context: Context) -> None:
    """Marks the peer as away, optionally until a date (/away 2026-12-24)."""
    turn = await begin(update, context)
    profile = await _peer_profile(turn)
    if profile is None:
        return
    until = None
    if context.args:
        try:
            day = datetime.strptime(context.args[0], "%Y-%m-%d").date()
        except ValueError:
            await context.bot.send_message(
                turn.chat_id, turn.t._("Please write the date like this: /away 2026-12-24")
            )
            return
        until = datetime.combine(day, time(0, 0), tzinfo=turn.rt.config.timezone)
    await peers.set_away(turn.rt, profile, True, until)
    text = (
        turn.t._("You are away until {date}. Take good care of yourself.", date=turn.t.date(until))
        if until
        else turn.t._(
            "You are away and will get no new offers until you write /available. "
            "Take good care of yourself."
        )
    )
    await context.bot.send_message(turn.chat_id, text)


async def mycontacts_command(update: Update, context: Context) -> None:
    """Lists the peer's active contacts by pseudonym, each with its actions."""
    turn = await begin(update, context)
    profile = await _peer_profile(turn)
    if profile is None:
        return
    contacts = await contact_service.of_peer(turn.rt, profile.user_id)
    if not contacts:
        await context.bot.send_message(turn.chat_id, turn.t._("You have no active contacts."))
        return
    for contact in contacts:
        marker = " ✓" if contact.id == profile.focus_contact_id else ""
        await context.bot.send_message(
            turn.chat_id,
            turn.t._("Contact: {name}", name=contact.citizen_name) + marker,
            reply_markup=contact_buttons(turn, contact),
        )


async def _my_contacts(turn: Turn) -> list[Contact]:
    user = turn.person.user
    return await contact_service.mine(turn.rt, user.id) if user is not None else []


async def end_command(update: Update, context: Context) -> None:
    """Asks which contact to end (if several) and for confirmation."""
    turn = await begin(update, context)
    contacts = await _my_contacts(turn)
    if not contacts:
        await context.bot.send_message(turn.chat_id, turn.t._("You have no active contact."))
        return
    rows = [
        [button(turn.t._("End contact with {name}", name=_other_name(turn, c)), f"end:ask:{c.id}")]
        for c in contacts
    ]
    await context.bot.send_message(
        turn.chat_id,
        turn.t._("Which contact do you want to end?"),
        reply_markup=InlineKeyboardMarkup(rows),
    )


def _other_name(turn: Turn, contact: Contact) -> str:
    user = turn.person.user
    me = Side.CITIZEN if user and contact.citizen_id == user.id else Side.PEER
    return relay.other_name(turn.t, contact, me)


async def end_button(update: Update, context: Context) -> None:
    """Confirms and ends a contact the presser is part of."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    _, action, raw_id = callback_parts(query.data)
    contact = next((c for c in await _my_contacts(turn) if str(c.id) == raw_id), None)
    if contact is None or action not in {"ask", "yes", "no"}:
        log.info("refused end button (update %s)", update.update_id)
        await query.answer(turn.t._("That button is no longer valid."))
        return
    await query.answer()
    name = _other_name(turn, contact)
    side = "citizen" if turn.person.user and contact.citizen_id == turn.person.user.id else "peer"
    if action == "ask":
        rows = [
            [
                button(turn.t._("Yes, end it"), f"end:yes:{contact.id}"),
                button(turn.t._("No"), f"end:no:{contact.id}"),
            ]
        ]
        if side == "peer" and contact.kind == "peer":
            rows.append([button(turn.t._("End and report"), f"rep:ask:{contact.id}")])
        await query.edit_message_text(
            turn.t._("Do you want to end your contact with {name}?", name=name),
            reply_markup=InlineKeyboardMarkup(rows),
        )
        return
    if action == "no":
        await query.edit_message_text(turn.t._("Good, the contact continues."))
        return
    assert turn.person.user is not None
    await contact_service.end_own(turn.rt, contact.id, turn.person.user.id)
    markup = (
        keyboards.only_help_now(turn.t)
        if side == "citizen"
        else None
        if contact.kind != "peer"
        else InlineKeyboardMarkup(
            [[button(turn.t._("Leave a note for their next peer"), f"handover:{contact.id}")]]
        )
    )
    ended = turn.t._("The contact with {name} has ended. Thank you.", name=name)
    if side == "citizen":  # someone to talk to, not emergency numbers: nobody asked for help
        ended += "\n\n" + talk_lines(turn.t, turn.rt.config)
    await query.edit_message_text(ended, reply_markup=markup)


async def worry_button(update: Update, context: Context) -> None:
    """Raises a concern about one of the peer's own contacts, then invites an optional note."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    raw_id = query.data.removeprefix("worry:")
    user = turn.person.user
    contact = (
        await contact_service.own_as_peer(turn.rt, int(raw_id), user.id)
        if user is not None and raw_id.isdigit()
        else None
    )
    if contact is None:
        log.info("refused worry button (update %s)", update.update_id)
        await query.answer(turn.t._("That button is no longer valid."))
        return
    escalation_id = await escalation.raise_escalation(
        turn.rt,
        reason=escalation.Reason.PEER_CONCERN,
        citizen_id=contact.citizen_id,
        request_id=contact.request_id,
        contact_id=contact.id,
        source_key=f"update:{update.update_id}",
    )
    await query.answer()
    prompt = await context.bot.send_message(
        turn.chat_id,
        turn.t._(
            "Thank you for saying so. Our coordinators have been told (concern #{number}). "
            "If you want to add a short note for them, reply to this message.",
            number=escalation_id or "-",
        ),
        reply_markup=ForceReply(selective=True),
    )
    if escalation_id is not None and user is not None:
        await escalation.concern_prompt_sent(turn.rt, escalation_id, user.id, prompt.message_id)


async def concern_note(turn: Turn, text: str, replied_id: int) -> bool:
    """A reply to the concern prompt adds the note; True if it was one."""
    user = turn.person.user
    if user is None:
        return False
    found = await escalation.prompted_concern(turn.rt, user.id, replied_id)
    if found is None:
        return False
    await escalation.add_note(turn.rt, found.id, user.id, text)
    await turn.context.bot.send_message(
        turn.chat_id, turn.t._("Your note has been passed on to the coordinators.")
    )
    return True


async def care_button(update: Update, context: Context) -> None:
    """Asks the coordinators for a debrief, or takes a break, after a heavy moment."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None
    _, action, raw_id = callback_parts(query.data)
    user = turn.person.user
    if user is None or not raw_id.isdigit() or action not in {"debrief", "away"}:
        await query.answer(turn.t._("That button is no longer valid."))
        return
    if action == "debrief":
        done = await peer_care.ask_debrief(turn.rt, int(raw_id), user.id)
        text = turn.t._(
            "A coordinator has been asked to get in touch with you. Thank you for "
            "looking after yourself."
        )
    else:
        done = await peer_care.take_break(turn.rt, user.id)
        text = turn.t._(
            "You are away and will get no new offers until you write /available. "
            "Take good care of yourself."
        )
    if not done:
        await query.answer(turn.t._("That button is no longer valid."))
        return
    await query.answer()
    await query.edit_message_text(text)


async def guide_command(update: Update, context: Context) -> None:
    """Shows the short guide for peers (the organisation may replace it)."""
    turn = await begin(update, context)
    if await _peer_profile(turn) is None:
        return
    await context.bot.send_message(
        turn.chat_id, peer_care.guide_text(turn.t, turn.rt.config.guide_text)
    )


def _handover_refusal(turn: Turn, refusal: handover.Refusal) -> str:
    t = turn.t
    if refusal is handover.Refusal.ALREADY:
        return t._("You have already left a note for this contact. Nothing more was sent.")
    if refusal is handover.Refusal.TOO_LATE:
        return t._(
            "A note can be left only within {days} days after a contact ends. Nothing was sent.",
            days=handover.NOTE_WINDOW.days,
        )
    return t._("That button is no longer valid.")


async def handover_button(update: Update, context: Context) -> None:
    """Asks the peer for the note, as a reply that carries the contact's number."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None and query.data is not None
    raw_id = query.data.removeprefix("handover:")
    user = turn.person.user
    if not raw_id.isdigit() or user is None:
        await query.answer(turn.t._("That button is no longer valid."))
        return
    refusal = await handover.may_propose(turn.rt, user, int(raw_id))
    if refusal is not None:
        log.info("refused handover button (update %s)", update.update_id)
        await query.answer(_handover_refusal(turn, refusal))
        return
    await query.answer()
    prompt = await context.bot.send_message(
        turn.chat_id,
        turn.t._(
            "Write a short note for the citizen's next peer as a reply to this message (at "
            "most 300 characters): what helped, what to be careful with. The citizen reads "
            "it first and decides. (H#{number})",
            number=raw_id,
        ),
        reply_markup=ForceReply(selective=True),
    )
    await handover.prompt_sent(turn.rt, user, int(raw_id), prompt.message_id)


async def handover_note(turn: Turn, text: str, replied_id: int) -> bool:
    """A reply to the handover prompt proposes the note; True if it was one."""
    user = turn.person.user
    if user is None:
        return False
    contact_id = await handover.prompted_contact(turn.rt, user, replied_id)
    if contact_id is None:
        return False
    try:
        refusal = await handover.propose(turn.rt, user, contact_id, text)
    except UserInputError as exc:
        await turn.context.bot.send_message(turn.chat_id, turn.t._(exc.message))
        return True
    await turn.context.bot.send_message(
        turn.chat_id,
        turn.t._("Thank you. The citizen has been asked whether to keep it.")
        if refusal is None
        else _handover_refusal(turn, refusal),
    )
    return True


class UndertakingDue(BaseHandler[Update, Context, None]):
    """Matches the first update of a peer who must accept a new undertaking version (checked
    in memory, no query); the update then goes on to its usual handler in group 0."""

    def __init__(self, rt: Runtime) -> None:
        super().__init__(ask_undertaking_again)
        self.rt = rt
        self.asked: set[int] = set()

    def check_update(self, update: object) -> bool:
        if not isinstance(update, Update) or update.effective_user is None:
            return False
        chat = update.effective_chat
        data = update.callback_query.data if update.callback_query else None
        user_id = update.effective_user.id
        return (
            chat is not None
            and chat.type == "private"
            and user_id in self.rt.undertaking_due
            and user_id not in self.asked
            and not (data or "").startswith(("und:", "onb:", "urgent:"))
        )

    async def handle_update(self, update, application, check_result, context):  # type: ignore[no-untyped-def]
        assert update.effective_user is not None
        self.asked.add(update.effective_user.id)
        return await super().handle_update(update, application, check_result, context)


async def ask_undertaking_again(update: Update, context: Context) -> None:
    """Shows the new undertaking version once; until it is accepted no new offers arrive."""
    turn = await begin(update, context)
    profile = await peers.profile_of(turn.rt, turn.person.user)
    if profile is None or peers.has_current_undertaking(turn.rt, profile):
        turn.rt.undertaking_due.discard(turn.person.telegram_id)
        return
    if profile.undertaking_asked_version == turn.rt.config.undertaking_version:
        return  # sent unprompted through the outbox already (peers.ask_undertaking)
    notice = peers.undertaking_update_notice(turn.t, turn.rt.config)
    await context.bot.send_message(turn.chat_id, notice.text, reply_markup=notice.keyboard())


async def undertaking_button(update: Update, context: Context) -> None:
    """Records the peer's acceptance of the current undertaking; offers may follow."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None
    profile = await peers.profile_of(turn.rt, turn.person.user)
    if (
        profile is None
        or query.data != "und:yes"
        or peers.has_current_undertaking(turn.rt, profile)
    ):
        await query.answer(turn.t._("That button is no longer valid."))
        return
    await peers.accept_undertaking(turn.rt, profile)
    await query.answer()
    await query.edit_message_text(
        turn.t._("Thank you. Your acceptance is recorded, and offers can reach you again.")
    )
    await matching.match_waiting(turn.rt)


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(
        UndertakingDue(application.bot_data[RUNTIME_KEY]), group=UNDERTAKING_GROUP
    )
    application.add_handler(CallbackQueryHandler(undertaking_button, pattern=r"^und:"))
    application.add_handler(CallbackQueryHandler(offer_button, pattern=r"^offer:"))
    application.add_handler(CommandHandler("available", available_command, private))
    application.add_handler(CommandHandler("away", away_command, private))
    application.add_handler(CommandHandler("mycontacts", mycontacts_command, private))
    application.add_handler(CommandHandler("end", end_command, private))
    application.add_handler(CallbackQueryHandler(end_button, pattern=r"^end:"))
    application.add_handler(CallbackQueryHandler(worry_button, pattern=r"^worry:"))
    application.add_handler(CallbackQueryHandler(care_button, pattern=r"^care:"))
    application.add_handler(CallbackQueryHandler(handover_button, pattern=r"^handover:"))
    application.add_handler(CommandHandler("guide", guide_command, private))
