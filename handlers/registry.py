"""What the application answers to, read from its registered handlers.

The coordinators' group uses it to let through coordinators' work only, and the tests use it
to press every button and send every command the bot knows, including those added later.
"""

from __future__ import annotations

from collections.abc import Iterator

from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
)


def every_handler(application: Application) -> Iterator[BaseHandler]:
    """Every handler in every group, those inside dialogues included, in the order PTB tries."""
    for group in sorted(application.handlers):
        for handler in application.handlers[group]:
            yield from _flatten(handler)


def _flatten(handler: BaseHandler) -> Iterator[BaseHandler]:
    if isinstance(handler, ConversationHandler):
        nested = [*handler.entry_points, *handler.fallbacks]
        for state_handlers in handler.states.values():
            nested += state_handlers
        for inner in nested:
            yield from _flatten(inner)
    else:
        yield handler


def commands(application: Application) -> set[str]:
    return {
        command
        for handler in every_handler(application)
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }


def button_prefixes(application: Application) -> set[str]:
    """The fixed start of every button pattern: ``esc:``, ``urgent:now``, ``peer:approve:``."""
    return {
        prefix for handler in every_handler(application) for prefix in button_prefixes_of(handler)
    }


def button_prefixes_of(handler: BaseHandler) -> set[str]:
    if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
        pattern = getattr(handler.pattern, "pattern", handler.pattern)
        if isinstance(pattern, str):
            return {pattern.removeprefix("^").removesuffix("$")}
    return set()
