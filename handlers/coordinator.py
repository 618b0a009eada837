"""Coordinators: escalations, the request queue, peers and invitations.

Every handler checks the configured coordinator list first; anyone else gets the ordinary help.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.domain import Contact
from bot.errors import NotAllowed
from bot.i18n import N_
from bot.services import coordinators, peers
from bot.services.crisis import escalation
from handlers.base import Context, Turn, coordinator_action
from handlers.keyboards import action_and_id, button, parse_id
from handlers.menus import sync_menu
from handlers.staff import coordinator_turn

log = logging.getLogger(__name__)


@coordinator_action
async def invite_command(update: Update, context: Context) -> None:
    """Creates a single-use, expiring invitation link for a new peer."""
    turn = await coordinator_turn(update, context)
    if turn is None:
        return
    payload = await peers.create_invite(turn.rt)
    link = f"https://t.me/{context.bot.username}?start={payload}"
    await context.bot.send_message(
        turn.chat_id,
        turn.t._(
            "Send this link to the new peer. It works once and expires in {hours} hours:\n{link}",
            hours=turn.rt.config.invite_valid_hours,
            link=link,
        ),
    )


@coordinator_action
async def approve_button(update: Update, context: Context) -> None:
    """Approves a pending peer."""
    turn = await coordinator_turn(update, context)
    if turn is None:
        return
    query = update.callback_query
    assert query is not None and query.data is not None
    user_id = parse_id(query.data.removeprefix("peer:approve:"))
    profile = (
        await peers.approve(turn.rt, user_id, turn.person.telegram_id)
        if user_id is not None
        else None
    )
    if profile is None:
        await query.answer(turn.t._("That button is no longer valid."))
        return
    await query.answer()
    await query.edit_message_text(
        turn.t._("{name} is approved as a peer.", name=profile.pseudonym or "-")
    )
    await sync_menu(context.bot, turn.rt, profile.telegram_id)


async def writing_with(turn: Turn, contact: Contact) -> None:
    """The coordinator's conversation is open: say with whom, and how it ends."""
    assert turn.update.callback_query is not None
    await turn.update.callback_query.answer()
    await turn.context.bot.send_message(
        turn.chat_id,
        turn.t._(
            "You are now writing with {name}. Your messages are passed on under the name "
            "{me}, never your own; /end ends the conversation.",
            name=contact.citizen_name,
            me=contact.peer_name,
        ),
    )


@coordinator_action
async def escalation_button(update: Update, context: Context) -> None:
    """Takes ownership of an escalation, or opens a conversation with the citizen."""
    turn = await coordinator_turn(update, context)
    if turn is None:
        return
    query = update.callback_query
    assert query is not None and query.data is not None
    parsed = action_and_id(query.data, {"ack", "talk"})
    if parsed is None:
        await query.answer(turn.t._("That button is no longer valid."))
        return
    action, item_id = parsed
    if action == "talk":
        try:
            contact = await escalation.open_conversation(
                turn.rt, item_id, turn.person.telegram_id, turn.person.language
            )
        except NotAllowed:
            await query.answer(turn.t._("Someone else is already handling this."))
            return
        if contact is None:
            await query.answer(turn.t._("That button is no longer valid."))
            return
        await writing_with(turn, contact)
        return
    assert update.effective_user is not None
    result = await escalation.acknowledge(
        turn.rt,
        item_id,
        turn.person.telegram_id,
        # After a restart the stored update has no name (bot.storage.inbox.without_names).
        update.effective_user.first_name or turn.t._("a coordinator"),
    )
    if result.escalation is None:
        await query.answer(turn.t._("That button is no longer valid."))
    elif result.won:
        await query.answer(turn.t._("It is yours. Thank you."))
    elif result.escalation.acknowledged_by == turn.person.telegram_id:
        await query.answer(turn.t._("You are already handling this one."))
    else:
        await query.answer(turn.t._("Someone else is already handling this."))


@coordinator_action
async def escalations_command(update: Update, context: Context) -> None:
    """Lists open escalations and those of the last seven days, with who acknowledged when."""
    turn = await coordinator_turn(update, context)
    if turn is None:
        return
    t = turn.t
    found = await escalation.recent(turn.rt, turn.actor)
    if not found:
        await context.bot.send_message(turn.chat_id, t._("No escalations in the last 7 days."))
        return
    lines = [t._("Escalations (open, and the last 7 days):")]
    for item in found:
        reason = escalation.why(t, item)
        if item.acknowledged and item.acknowledged_at is not None:
            state = t._("acknowledged {time}", time=t.datetime(item.acknowledged_at))
        else:
            state = t._("OPEN")
        lines.append(f"#{item.id} · {t.datetime(item.created_at)} · {reason} · {state}")
    rows = [
        [button(t._("I'm handling #{number}", number=item.id), f"esc:ack:{item.id}")]
        for item in found
        if not item.acknowledged
    ][:10]
    await context.bot.send_message(
        turn.chat_id, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows) if rows else None
    )


AUDIT_ACTIONS = {
    "approve_peer": N_("approved a peer"),
    "acknowledge": N_("took an urgent request"),
    "open_conversation": N_("opened a conversation with a citizen"),
    "offer_request": N_("offered a request to a peer"),
    "reassign_contact": N_("handed a contact to another peer"),
    "close_request": N_("closed a request"),
    "pause_peer": N_("paused a peer"),
    "resume_peer": N_("resumed a peer"),
    "remove_peer": N_("removed a peer"),
    "broadcast": N_("wrote to all peers"),
    "bar_citizen": N_("barred a reported citizen"),
    "dismiss_report": N_("dismissed a report"),
    "add_coordinator": N_("added a coordinator"),
    "remove_coordinator": N_("removed a coordinator"),
    "add_administrator": N_("added an administrator"),
    "remove_administrator": N_("removed an administrator"),
}


@coordinator_action
async def audit_command(update: Update, context: Context) -> None:
    """Shows the latest coordinator actions: who did what, when."""
    turn = await coordinator_turn(update, context)
    if turn is None:
        return
    t = turn.t
    entries = await coordinators.audit_trail(turn.rt, turn.actor)
    if not entries:
        await context.bot.send_message(turn.chat_id, t._("No coordinator actions yet."))
        return
    lines = [t._("Latest coordinator actions:")]
    for entry in entries:
        action = t._(AUDIT_ACTIONS[entry.action]) if entry.action in AUDIT_ACTIONS else entry.action
        lines.append(
            t._(
                "{time}: coordinator {actor} {action} ({target})",
                time=t.datetime(entry.created_at),
                actor=entry.actor_id,
                action=action,
                target=entry.target or "-",
            )
        )
    await context.bot.send_message(turn.chat_id, "\n".join(lines))


@coordinator_action
async def duty_command(update: Update, context: Context) -> None:
    """Marks the coordinator on or off duty; alerts go to those on duty (or all if none)."""
    turn = await coordinator_turn(update, context)
    if turn is None or update.effective_message is None:
        return
    on = (update.effective_message.text or "").startswith("/onduty")
    await coordinators.set_on_duty(turn.rt, turn.actor, on)
    text = (
        turn.t._("You are on duty: urgent alerts come to you.")
        if on
        else turn.t._("You are off duty. When nobody is on duty, every coordinator is alerted.")
    )
    await context.bot.send_message(turn.chat_id, text)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("invite", invite_command))
    application.add_handler(CommandHandler("escalations", escalations_command))
    application.add_handler(CommandHandler("audit", audit_command))
    application.add_handler(CommandHandler(["onduty", "offduty"], duty_command))
    application.add_handler(CallbackQueryHandler(approve_button, pattern=r"^peer:approve:"))
    application.add_handler(CallbackQueryHandler(escalation_button, pattern=r"^esc:"))
