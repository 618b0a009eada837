"""Urgent help, registered before every dialogue so no conversation state can swallow it."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.config.lines import emergency_lines
from bot.delivery.notices import help_now_labels
from bot.services import unreachable
from bot.services.crisis import escalation, urgent
from handlers import citizen, keyboards
from handlers.base import Context, begin, runtime

GROUP = -1


async def help_now(update: Update, context: Context) -> None:
    """Raises an escalation, then answers calmly: who was told, what happens next, what the
    service cannot do, and the emergency lines (112 once, in them)."""
    turn = await begin(update, context)
    if update.callback_query is not None:
        await update.callback_query.answer()
    outcome = await urgent.help_now(
        turn.rt,
        turn.person.telegram_id,
        turn.person.language,
        source_key=f"update:{update.update_id}",
    )
    t = turn.t
    parts = [t._("Thank you for reaching out. You are not alone with this.")]
    if outcome.nobody_reachable:
        parts.append(escalation.nobody_reachable_text(t, turn.rt))
    elif outcome.office_open:
        parts.append(
            t._(
                "I have told our coordinators, and one of them will write to you here as soon "
                "as they can."
            )
        )
    else:
        parts.append(
            t._(
                "I have told our coordinators, but our office is closed right now (it opens "
                "{when}), so an answer may take a while.",
                when=t.weekday_datetime(outcome.next_opening_at),
            )
        )
    parts += [citizen.cannot_send_help(t), emergency_lines(t, turn.rt.config)]
    if outcome.stored_without_consent:
        parts.append(
            t._(
                "So that a coordinator can reach you, I have stored a made-up name for you and "
                "this chat. Nothing else."
            )
        )
    await context.bot.send_message(
        turn.chat_id, "\n\n".join(parts), reply_markup=keyboards.help_now_keyboard(t)
    )
    raise ApplicationHandlerStop


async def membership_changed(update: Update, context: Context) -> None:
    """Notices a person blocking (or unblocking) the bot, so nothing retries forever."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    await unreachable.membership_changed(
        runtime(context), change.chat.id, blocked=change.new_chat_member.status == "kicked"
    )


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("help_now", help_now, private), group=GROUP)
    application.add_handler(
        MessageHandler(private & filters.Text(sorted(help_now_labels())), help_now), group=GROUP
    )
    application.add_handler(CallbackQueryHandler(help_now, pattern=r"^urgent:now$"), group=GROUP)
    application.add_handler(
        ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER), group=GROUP
    )
