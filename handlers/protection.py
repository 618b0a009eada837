"""Protecting peers: end a contact and report the citizen; coordinators bar or dismiss.

Peer side: *End and report* (under *End contact*) -> a reason -> the contact ends (the
citizen sees the ordinary ending) -> an optional note as a reply. Coordinator side: the
report arrives with *Bar 1 week / 1 month / 3 months* and *Dismiss*; `/reports` lists them.
"""

from __future__ import annotations

import logging

from telegram import ForceReply, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.domain import Report, ReportStatus
from bot.services import contacts as contact_service
from bot.services import reports
from handlers.base import Context, Turn, begin, coordinator_action
from handlers.keyboards import action_and_id, button, callback_parts
from handlers.staff import coordinator_turn

log = logging.getLogger(__name__)
RECENT_DAYS = 30


async def report_button(update: Update, context: Context) -> None:
    """Asks for the reason, then ends the peer's own contact and files the report."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None
    _, action, raw_id = callback_parts(query.data)
    user = turn.person.user
    contact = (
        await contact_service.own_as_peer(turn.rt, int(raw_id), user.id, kind="peer")
        if user is not None and raw_id.isdigit()
        else None
    )
    if user is None or contact is None or action not in {"ask", "no", *reports.REASONS}:
        log.info("refused report button (update %s)", update.update_id)
        await query.answer(turn.t._("That button is no longer valid."))
        return
    t = turn.t
    if action == "ask":
        await query.answer()
        rows = [
            [button(reports.reason_label(t, code), f"rep:{code}:{contact.id}")]
            for code in reports.REASONS
        ]
        rows.append([button(t._("Back, keep the contact"), f"rep:no:{contact.id}")])
        await query.edit_message_text(
            t._(
                "What happened with {name}? The contact ends, and our coordinators see your "
                "report. {name} is only told that the conversation has ended.",
                name=contact.citizen_name,
            ),
            reply_markup=InlineKeyboardMarkup(rows),
        )
        return
    if action == "no":
        await query.answer()
        await query.edit_message_text(t._("Good, the contact continues."))
        return
    report_id = await reports.end_and_report(turn.rt, user, contact.id, action)
    if report_id is None:
        await query.answer(t._("That button is no longer valid."))
        return
    await query.answer()
    await query.edit_message_text(
        t._(
            "The contact with {name} has ended and our coordinators have your report. "
            "Thank you for telling us; you did the right thing.",
            name=contact.citizen_name,
        )
    )
    prompt = await context.bot.send_message(
        turn.chat_id,
        t._(
            "If you want to add a short note for the coordinators (at most 500 characters), "
            "reply to this message. Keep it to what happened: the citizen can see the report "
            "if they ask for a copy of their data. (R#{number})",
            number=report_id,
        ),
        reply_markup=ForceReply(selective=True),
    )
    await reports.note_prompt_sent(turn.rt, report_id, user, prompt.message_id)


async def report_note(turn: Turn, text: str, replied_id: int) -> bool:
    """A reply to the report prompt adds the note; True if the reply was to that prompt."""
    user = turn.person.user
    if user is None:
        return False
    report_id = await reports.prompted_report(turn.rt, user, replied_id)
    if report_id is None:
        return False
    added = await reports.add_note(turn.rt, report_id, user, text)
    await turn.context.bot.send_message(
        turn.chat_id,
        turn.t._("Your note has been passed on to the coordinators.")
        if added
        else turn.t._("That button is no longer valid."),
    )
    return True


@coordinator_action
async def reports_command(update: Update, context: Context) -> None:
    """Lists open reports (each with its decision buttons) and those of the last 30 days."""
    turn = await coordinator_turn(update, context)
    if turn is None:
        return
    t = turn.t
    found = await reports.recent(turn.rt, turn.actor, RECENT_DAYS)
    if not found:
        await context.bot.send_message(turn.chat_id, t._("No reports in the last 30 days."))
        return
    decided = []
    for report in found:
        if report.status is ReportStatus.OPEN:
            await context.bot.send_message(
                turn.chat_id,
                reports.report_summary(t, report),
                reply_markup=InlineKeyboardMarkup(
                    [
                        [button(label, data) for label, data in row]
                        for row in reports.decision_buttons(t, report.id)
                    ]
                ),
            )
        else:
            decided.append(f"#{report.id} · {_outcome(turn, report)}")
    if decided:
        await context.bot.send_message(
            turn.chat_id, "\n".join([t._("Decided in the last 30 days:"), *decided])
        )


def _outcome(turn: Turn, report: Report) -> str:
    t = turn.t
    who = t._(
        "{citizen} reported by {peer}: {reason}",
        citizen=report.citizen_name or "-",
        peer=report.peer_name or "-",
        reason=reports.reason_label(t, report.reason),
    )
    return who + " · " + reports.decision_text(t, report)


@coordinator_action
async def bar_button(update: Update, context: Context) -> None:
    """Bars the reported citizen for the chosen period, or dismisses the report."""
    turn = await coordinator_turn(update, context)
    if turn is None:
        return
    query = update.callback_query
    assert query is not None
    parsed = action_and_id(query.data, {"no", *reports.BAR_PERIODS})
    if parsed is None:
        await query.answer(turn.t._("That button is no longer valid."))
        return
    action, item_id = parsed
    pressed = (query.message.chat.id, query.message.message_id) if query.message else None
    decision = await reports.decide(turn.rt, item_id, action, turn.person.telegram_id, pressed)
    report = decision.report
    if report is None:
        await query.answer(turn.t._("That button is no longer valid."))
        return
    if not decision.decided_now:
        await query.answer(turn.t._("This report has already been decided."))
    else:
        await query.answer()
    text = reports.report_summary(turn.t, report) + "\n" + reports.decision_text(turn.t, report)
    message = query.message
    if not (message is not None and getattr(message, "text", None) == text):
        await query.edit_message_text(text)


def register(application: Application) -> None:
    application.add_handler(CallbackQueryHandler(report_button, pattern=r"^rep:"))
    application.add_handler(CommandHandler("reports", reports_command))
    application.add_handler(CallbackQueryHandler(bar_button, pattern=r"^bar:"))
