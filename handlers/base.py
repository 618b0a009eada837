"""What every handler starts with: who is acting, in which language, with which runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes, filters

from bot.i18n import Translator
from bot.runtime import RUNTIME_KEY, Runtime
from bot.services.people import Person, identify

Context = ContextTypes.DEFAULT_TYPE
MEMORY_LANGUAGE = "language"

# Not a service message (someone joined, a pin, ...). Service messages never carry text, so a
# text message is let through before PTB checks ~45 kinds of service message one by one: that
# check was the costliest filter on the relay path.
NOT_SERVICE = filters.TEXT | ~filters.StatusUpdate.ALL


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
    )
    return Turn(rt, person, Translator(person.language, rt.config.timezone), update, context)
