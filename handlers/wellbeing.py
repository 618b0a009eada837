"""WHO-5: the citizen's answers (buttons only), their own scores, and asking for a coordinator.

Callback data: ``wb:go:<id>``, ``wb:skip:<id>``, ``wb:a:<id>:<item>:<value>``, ``wb:talk:<id>``
for the citizen; ``wbc:talk:<id>`` for a coordinator who writes to them.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.delivery.notices import Notice
from bot.domain import User, WellbeingStatus
from bot.services import wellbeing
from handlers import keyboards
from handlers.base import Context, Turn, begin, coordinator_action
from handlers.coordinator import writing_with
from handlers.keyboards import button, parse_id
from handlers.staff import coordinator_turn

log = logging.getLogger(__name__)


def _markup(notice: Notice) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[button(label, data) for label, data in row] for row in notice.buttons]
    )


def _ints(data: str | None) -> tuple[str, list[int]] | None:
    """``wb:<action>:<numbers...>`` with every number checked (untrusted data)."""
    parts = (data or "").split(":")
    numbers = [parse_id(p) for p in parts[2:]]
    if len(parts) < 3 or any(n is None for n in numbers):
        return None
    return parts[1], [n for n in numbers if n is not None]


async def wellbeing_button(update: Update, context: Context) -> None:
    """Starts, answers, skips the questionnaire, or asks for a coordinator."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None
    parsed = _ints(query.data)
    user = turn.person.user
    handled = parsed is not None and await _act(turn, user, *parsed)
    if not handled:
        log.info("refused wellbeing button (update %s)", update.update_id)
        await query.answer(turn.t._("That button is no longer valid."))


async def _act(turn: Turn, user: User | None, action: str, numbers: list[int]) -> bool:
    query = turn.update.callback_query
    assert query is not None
    t, rt = turn.t, turn.rt
    if (
        action in {"go", "a", "skip"}
        and numbers
        and await wellbeing.closed_for(rt, user, numbers[0])
    ):
        await query.answer()
        await query.edit_message_text(
            t._(
                "These questions have closed, so there is nothing more to answer here. "
                "Thank you all the same."
            ),
            reply_markup=keyboards.only_help_now(t),
        )
        return True
    if action == "go" and len(numbers) == 1:
        item = await wellbeing.own(rt, user, numbers[0])
        if item is None or not wellbeing.open_for_answers(item):
            return False
        await query.answer()
        notice = wellbeing.question(t, item)
        await query.edit_message_text(notice.text, reply_markup=_markup(notice))
        return True
    if action == "skip" and len(numbers) == 1:
        if not await wellbeing.skip(rt, user, numbers[0]):
            return False
        await query.answer()
        await query.edit_message_text(
            t._("That is fine. I will not ask again this time."),
            reply_markup=keyboards.only_help_now(t),
        )
        return True
    if action == "a" and len(numbers) == 3:
        item = await wellbeing.answer(rt, user, *numbers)
        if item is None:
            return False
        await query.answer()
        if item.status is not WellbeingStatus.ANSWERED:
            notice = wellbeing.question(t, item)
            await query.edit_message_text(notice.text, reply_markup=_markup(notice))
            return True
        rows = []
        if wellbeing.low(item):
            rows.append([button(t._("I'd like to talk with a coordinator"), f"wb:talk:{item.id}")])
        rows.append([keyboards.help_now_button(t)])
        await query.edit_message_text(
            wellbeing.result_text(t, item), reply_markup=InlineKeyboardMarkup(rows)
        )
        return True
    if action == "talk" and len(numbers) == 1:
        if not await wellbeing.ask_for_conversation(rt, user, numbers[0]):
            return False
        await query.answer()
        await query.edit_message_text(
            t._(
                "I have told our coordinators that you would like a conversation. One of them "
                "will write to you here, usually within office hours. If you need help now, "
                "press the button below."
            ),
            reply_markup=keyboards.only_help_now(t),
        )
        return True
    return False


async def wellbeing_command(update: Update, context: Context) -> None:
    """Shows the citizen's own WHO-5 scores over time."""
    turn = await begin(update, context)
    items = await wellbeing.history(turn.rt, turn.person.user)
    await context.bot.send_message(turn.chat_id, wellbeing.history_text(turn.t, items))


@coordinator_action
async def coordinator_talk_button(update: Update, context: Context) -> None:
    """Opens a coordinator's conversation with a citizen who asked for one."""
    turn = await coordinator_turn(update, context)
    if turn is None:
        return
    query = update.callback_query
    assert query is not None
    parsed = _ints(query.data)
    if parsed is None or parsed[0] != "talk" or len(parsed[1]) != 1:
        await query.answer(turn.t._("That button is no longer valid."))
        return
    result = await wellbeing.take_conversation(
        turn.rt, parsed[1][0], turn.person.telegram_id, turn.person.language
    )
    contact = result.contact
    if result.taken_by_other:
        await query.answer(turn.t._("Another coordinator has already taken this."))
        return
    if contact is None:
        await query.answer(turn.t._("That button is no longer valid."))
        return
    await writing_with(turn, contact)


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("wellbeing", wellbeing_command, private))
    application.add_handler(CallbackQueryHandler(wellbeing_button, pattern=r"^wb:"))
    application.add_handler(CallbackQueryHandler(coordinator_talk_button, pattern=r"^wbc:"))
