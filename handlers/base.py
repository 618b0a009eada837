"""What every handler starts with: who is acting, in which language, with which runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.i18n import Translator
from bot.runtime import RUNTIME_KEY, Runtime
from bot.services.people import Person, identify

Context = ContextTypes.DEFAULT_TYPE
MEMORY_LANGUAGE = "language"
# The last (message id, from the bot) pairs of a chat, in memory: before consent nothing is
# stored, so these wait here until the person agrees; then `/forget` can delete them too.
MEMORY_UNRECORDED = "unrecorded"
UNRECORDED_LIMIT = 30


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
    def user_data(self) -> dict[str, Any]:
        return self.context.user_data if self.context.user_data is not None else {}


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
    return Turn(rt, person, Translator(person.language, rt.config.timezone), update, context)
