"""What a citizen hears when they write outside a contact: a kind answer that fits where they are.

Nothing they write here reaches anyone (crisis words aside, which `handlers.crisis` hears before
this), so the answer says so gently and offers the next step: ask for a peer, wait, ask again,
with "I need help now" always one tap away. Peers and coordinators get the plain answer.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.config.lines import emergency_lines
from bot.services import reports, situation
from bot.services.situation import Where
from handlers import keyboards, screens, texts
from handlers.base import MEMORY_AGE, MEMORY_ASKED_AGE, Turn, call_unparsed
from handlers.keyboards import button


def _ask_menu(turn: Turn, label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[button(label, "citizen:ask")], [keyboards.help_now_button(turn.t)]]
    )


async def kind_answer(turn: Turn) -> None:
    """Answers a message that has nowhere to go, for the sender's situation."""
    t = turn.t
    found = await situation.of(turn.rt, turn.person)
    markup: InlineKeyboardMarkup = keyboards.only_help_now(t)
    if found.where is Where.NEWCOMER and turn.user_data.get(MEMORY_ASKED_AGE):
        await screens.ask_age_first(turn, texts.buttons_reminder(t))
        return
    if found.where is Where.NEWCOMER and turn.user_data.get(MEMORY_AGE) is not None:
        text = t._(
            "Thank you for writing. Before I can help you ask for a peer, please read what "
            "we keep and choose with the buttons below it:"
        )
        await call_unparsed(turn, "sendMessage", chat_id=turn.chat_id, text=text)
        await screens.ask_consent(turn)
        return
    if found.where in (Where.NEWCOMER, Where.NO_REQUEST):
        text = t._(
            "Thank you for writing. I am a bot, so your message has not gone to anyone. If you "
            "would like to talk with a peer, someone who has been through hard times too, press "
            "the button below and I will help you ask. If you need someone right now, press "
            '"I need help now".'
        )
        markup = _ask_menu(turn, t._("Talk to a peer"))
    elif found.where is Where.INTAKE:
        text = t._(
            "You are in the middle of asking for a peer. Press Continue to pick up where you "
            "left off."
        )
        markup = _ask_menu(turn, t._("Continue"))
    elif found.where is Where.WAITING:
        text = t._(
            "Your request is waiting for a peer. When a peer says yes, I will tell you here, and "
            "from then on what you write reaches them. Until then, your messages here do not go "
            "to anyone. If you need someone now, press the button. You can see your request "
            "with /status."
        )
    elif found.where is Where.ENDED:
        text = t._(
            "Your conversation with your peer has ended, so what you write here does not reach "
            "anyone now. If you would like to talk with a peer again, press the button below. "
            'If you need someone right now, press "I need help now".'
        )
        markup = _ask_menu(turn, t._("Talk to a peer"))
    elif found.where is Where.BARRED:
        assert found.barred_until is not None
        text = "\n\n".join(
            [reports.barred_text(t, found.barred_until), emergency_lines(t, turn.rt.config)]
        )
    else:  # staff, or a citizen's update the relay had no use for (an edit, say)
        text = t._("I can't use that message here. Press /start to see what I can do.")
    await call_unparsed(turn, "sendMessage", chat_id=turn.chat_id, text=text, reply_markup=markup)
