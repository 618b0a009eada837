"""The name a citizen's peer sees: /name, and "Choose another name" at the last step of a request.

Callback data: ``name:ask`` (show the choice), ``name:set:<name>`` (a suggestion),
``name:keep``. A name can also be typed while the choice is open (15 minutes, in memory): that
message is taken in the urgent group, after "I need help now" and crisis words, so crisis words
typed as a name are answered as crisis words and never stored as a name.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.errors import UserInputError
from bot.i18n import Translator
from bot.runtime import RUNTIME_KEY, Runtime
from bot.services import intake, names
from bot.services.intake import Step
from bot.services.names import NameChoice, NameStatus
from conversations import intake as intake_dialogue
from handlers import keyboards
from handlers.base import Context, Turn, begin, edit_pressed
from handlers.keyboards import button
from handlers.urgent import GROUP

OPEN_FOR = timedelta(minutes=15)
AWAITING_KEY = "names.awaiting"


class _Awaiting:
    """Chats whose name choice is open, until when (memory only: a restart closes them)."""

    def __init__(self) -> None:
        self.until: dict[int, datetime] = {}

    def open(self, chat_id: int, now: datetime) -> None:
        self.until[chat_id] = now + OPEN_FOR

    def close(self, chat_id: int) -> None:
        self.until.pop(chat_id, None)

    def is_open(self, chat_id: int, now: datetime) -> bool:
        until = self.until.get(chat_id)
        if until is not None and until <= now:
            self.close(chat_id)
            return False
        return until is not None


class _TypedName(filters.UpdateFilter):
    """A private text (not a command) from a chat whose name choice is open."""

    __slots__ = ("_awaiting", "_rt")

    def __init__(self, rt: Runtime, awaiting: _Awaiting) -> None:
        super().__init__(name="TYPED_NAME")
        self._rt = rt
        self._awaiting = awaiting

    def filter(self, update: Update) -> bool:
        message = update.message
        return (
            message is not None
            and bool(message.text)
            and message.chat.type == ChatType.PRIVATE
            and not filters.COMMAND.filter(message)
            and self._awaiting.is_open(message.chat.id, self._rt.now())
        )


def _awaiting(context: Context) -> _Awaiting:
    return context.application.bot_data[AWAITING_KEY]


def _choice_text(t: Translator, choice: NameChoice, *, web: bool) -> str:
    assert choice.current is not None
    if choice.status is NameStatus.IN_CONTACT:
        return t._(
            "Your peer knows you as: {name}\nThe name stays the same while you are in contact, "
            "so that your peer always knows who is writing. You can choose another with /name "
            "when the contact has ended.",
            name=choice.current,
        )
    return "\n\n".join(
        [
            names.told_name(t, choice.current, web=web),
            t._(
                "You can choose another name: press one below, or write the name you would "
                "like (at most 24 characters, no links or phone numbers)."
            ),
        ]
    )


def _encoded(name: str) -> str:
    """Button data is ASCII (see `keyboards.well_formed`) while names hold æ, ø and å: the name
    travels as hex, after a letter so that no part of the data reads as a number."""
    return "x" + name.encode().hex()


def _decoded(value: str) -> str | None:
    try:
        return bytes.fromhex(value.removeprefix("x")).decode() if value.startswith("x") else None
    except ValueError:
        return None


def _choice_markup(t: Translator, choice: NameChoice) -> InlineKeyboardMarkup:
    rows = [[button(name, f"name:set:{_encoded(name)}")] for name in choice.suggestions]
    if choice.current is not None and choice.status is NameStatus.CAN_CHOOSE:
        rows.append([button(t._("Keep {name}", name=choice.current), "name:keep")])
    rows.append([keyboards.help_now_button(t)])
    return InlineKeyboardMarkup(rows)


async def _offer_choice(turn: Turn, *, edit: bool) -> None:
    """Shows the name today and the ways to change it, or says why it cannot change now."""
    t = turn.t
    choice = await names.choice_for(turn.rt, turn.person.user)
    if choice.status is NameStatus.NO_NAME_YET:
        text = t._("You get a name when you ask for a peer with /start, and can choose it then.")
        markup = keyboards.only_help_now(t)
    elif choice.status is NameStatus.NOT_A_CITIZEN:
        text = t._(
            "Your name here is: {name}\nPeers choose their name when they join; a coordinator "
            "can change it.",
            name=choice.current,
        )
        markup = keyboards.only_help_now(t)
    else:
        text = _choice_text(t, choice, web=turn.on_web)
        markup = _choice_markup(t, choice)
    if choice.status is NameStatus.CAN_CHOOSE:
        _awaiting(turn.context).open(turn.chat_id, turn.rt.now())
    if edit:
        await edit_pressed(turn, text, markup)
    else:
        await turn.context.bot.send_message(turn.chat_id, text, reply_markup=markup)


async def name_command(update: Update, context: Context) -> None:
    """Shows the name the citizen's peer sees and offers to change it."""
    await _offer_choice(await begin(update, context), edit=False)


async def _after_choice(turn: Turn, choice: NameChoice, *, edit: bool) -> None:
    """Says which name the peer sees now, then the request's last step again if it is open."""
    _awaiting(turn.context).close(turn.chat_id)
    if choice.status is not NameStatus.CAN_CHOOSE or choice.current is None:
        await _offer_choice(turn, edit=edit)
        return
    done = names.told_name(turn.t, choice.current, web=turn.on_web)
    if edit:
        await edit_pressed(turn, done)
    else:
        await turn.context.bot.send_message(turn.chat_id, done)
    turn = await begin(turn.update, turn.context)  # the stored name, as the last step shows it
    request = await intake.draft_of(turn.rt, turn.person.user) if turn.person.user else None
    if request is not None and request.step == Step.CONFIRM:
        await intake_dialogue.show(turn, request, Step.CONFIRM, edit=False)


async def name_button(update: Update, context: Context) -> None:
    """Shows the choice, takes a suggested name, or keeps the name as it is."""
    turn = await begin(update, context)
    query = update.callback_query
    assert query is not None
    action, _, value = (query.data or "").removeprefix("name:").partition(":")
    if action == "ask":
        await query.answer()
        await _offer_choice(turn, edit=False)
        return
    if action == "keep":
        await query.answer()
        choice = await names.choice_for(turn.rt, turn.person.user)
        await _after_choice(turn, choice, edit=True)
        return
    chosen = _decoded(value) if action == "set" else None
    if chosen:
        try:
            choice = await names.choose(turn.rt, turn.person.user, chosen)
        except UserInputError:
            await query.answer(turn.t._("That button is no longer valid."))
            return
        await query.answer()
        await _after_choice(turn, choice, edit=True)
        return
    await query.answer(turn.t._("That button is no longer valid."))


async def typed_name(update: Update, context: Context) -> None:
    """Takes a typed name while the choice is open; says what to change if it cannot be used."""
    turn = await begin(update, context)
    message = update.effective_message
    assert message is not None and message.text is not None
    if (await names.choice_for(turn.rt, turn.person.user)).status is not NameStatus.CAN_CHOOSE:
        _awaiting(context).close(turn.chat_id)
        return  # a contact began meanwhile: the message goes on as any message
    try:
        choice = await names.choose(turn.rt, turn.person.user, message.text)
    except UserInputError as exc:
        await message.reply_text(turn.t._(exc.message))
        raise ApplicationHandlerStop from None
    await _after_choice(turn, choice, edit=False)
    raise ApplicationHandlerStop


def register(application: Application) -> None:
    awaiting = application.bot_data[AWAITING_KEY] = _Awaiting()
    typed = _TypedName(application.bot_data[RUNTIME_KEY], awaiting)
    # In the urgent group after "I need help now" and crisis words (registered first).
    application.add_handler(MessageHandler(typed, typed_name), group=GROUP)
    application.add_handler(CommandHandler("name", name_command, filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(name_button, pattern=r"^name:"))
