"""The one error handler: log ids and the code path only, tell the person in their language."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application

from bot.errors import NotAllowed, UserInputError
from handlers import keyboards
from handlers.base import Context, begin

log = logging.getLogger("peerbot.errors")


async def on_error(update: object, context: Context) -> None:
    """Logs the failure without personal data and apologises to the person."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if error is not None and not isinstance(error, NotAllowed | UserInputError):
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error("update %s failed with %s\n%s", update_id, type(error).__name__, frames)
    if not isinstance(update, Update) or update.effective_message is None:
        return
    if isinstance(error, Forbidden):
        return
    try:
        turn = await begin(update, context)
        if isinstance(error, UserInputError):
            text = turn.t._(error.message)
        elif isinstance(error, NotAllowed):
            text = turn.t._("That is not something you can do here.")
        else:
            text = turn.t._(
                "Sorry, something went wrong on our side. Please try again in a moment. "
                "If you need help now, press the button below."
            )
        await update.effective_message.reply_text(
            text, reply_markup=keyboards.only_help_now(turn.t)
        )
    except TelegramError as exc:
        log.warning("could not tell update %s about the error: %s", update_id, type(exc).__name__)


def register(application: Application) -> None:
    application.add_error_handler(on_error)
