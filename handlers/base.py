"""What every handler starts with: who is acting, in which language, with which runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes, filters

from bot.domain import is_web_chat
from bot.i18n import Translator
from bot.runtime import RUNTIME_KEY, Runtime
from bot.services import unreachable
from bot.services.people import Person, identify
from bot.staff import Actor

Context = ContextTypes.DEFAULT_TYPE
MEMORY_LANGUAGE = "language"
# The age band answered before consent, in memory only until "I agree" (conversations.intake).
MEMORY_AGE = "age_band"
# Set while the age question before consent waits for its answer (so a typed message gets it again).
MEMORY_ASKED_AGE = "asked_age"

# Not a service message (someone joined, a pin, ...). Service messages never carry text, so a
# text message is let through before PTB checks ~45 kinds of service message one by one: that
# check was the costliest filter on the relay path.
NOT_SERVICE = filters.TEXT | ~filters.StatusUpdate.ALL


class _ConversationMessage(filters.UpdateFilter):
    """A new private message that is neither a command nor a service message.

    The same as ``PRIVATE & UpdateType.MESSAGE & ~COMMAND & NOT_SERVICE`` in one call: PTB's
    combined filters cost a dozen calls per message on the relay's path.
    """

    __slots__ = ()

    def filter(self, update: Update) -> bool:
        message = update.message
        return (
            message is not None
            and message.chat.type == ChatType.PRIVATE
            and not filters.COMMAND.filter(message)
            and (bool(message.text) or not filters.StatusUpdate.ALL.check_update(update))
        )


CONVERSATION_MESSAGE = _ConversationMessage(name="CONVERSATION_MESSAGE")


@dataclass(frozen=True)
class Turn:
    rt: Runtime
    person: Person
    t: Translator
    update: Update
    context: Context

    @property
    def chat_id(self) -> int:
        assert self.update.effective_chat is not None
        return self.update.effective_chat.id

    @property
    def on_web(self) -> bool:
        """The person writes from the web chat, not Telegram: what the bot says about where the
        conversation is kept, and how to clear it, differs there."""
        return is_web_chat(self.chat_id)

    @property
    def actor(self) -> Actor:
        """Who acts here, as services check it (`bot.staff`)."""
        chat = self.update.effective_chat
        assert chat is not None
        return Actor(self.person.telegram_id, chat.id, chat.type == ChatType.PRIVATE)

    @property
    def user_data(self) -> dict[str, Any]:
        return self.context.user_data if self.context.user_data is not None else {}


async def call_unparsed(turn: Turn, method: str, **params: object) -> None:
    """Call the Bot API and ignore the answer instead of building PTB objects from it.

    For sends and edits whose answer nobody reads: Telegram returns the whole message again,
    and turning it (keyboard and all) into a `Message` cost more than the rest of an intake
    step. Errors are raised as usual (`BadRequest`, `Forbidden`, ...).
    """
    api_kwargs = {key: value for key, value in params.items() if value is not None}
    await turn.context.bot.do_api_request(method, api_kwargs=api_kwargs)


async def edit_pressed(
    turn: Turn, text: str, markup: InlineKeyboardMarkup | str | None = None
) -> None:
    """Replace the text (and buttons, as an object or JSON text) of the pressed message."""
    query = turn.update.callback_query
    assert query is not None and query.message is not None
    await call_unparsed(
        turn,
        "editMessageText",
        chat_id=query.message.chat.id,
        message_id=query.message.message_id,
        text=text,
        reply_markup=markup,
    )


def runtime(context: Context) -> Runtime:
    return context.application.bot_data[RUNTIME_KEY]


async def begin(update: Update, context: Context) -> Turn:
    rt = runtime(context)
    tg_user = update.effective_user
    assert tg_user is not None
    memory = context.user_data.get(MEMORY_LANGUAGE) if context.user_data is not None else None
    person = await identify(
        rt.storage,
        rt.config,
        tg_user.id,
        tg_user.language_code,
        memory_language=memory,
        now=rt.now(),
        staff=rt.roles,
    )
    if person.user is not None and person.user.unreachable:
        # Whoever writes or presses a button can be reached again (a peer gets offers again).
        await unreachable.came_back(rt, person.user.telegram_id)
    return Turn(rt, person, Translator(person.language, rt.config.timezone), update, context)


COORDINATOR_ACTION = "_peerbot_coordinator_action"
F = TypeVar("F")


def coordinator_action(callback: F) -> F:
    """Mark a handler as coordinators' work: the only kind the coordinators' group may use
    (handlers/chats.py reads the mark from the registered handlers)."""
    setattr(callback, COORDINATOR_ACTION, True)
    return callback


def is_coordinator_action(callback: object) -> bool:
    return bool(getattr(callback, COORDINATOR_ACTION, False))
