"""Inline keyboards. Callback data is short and opaque: ``area:action[:id]``, never personal."""

from __future__ import annotations

from collections.abc import Collection

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.i18n import LANGUAGES, Translator
from bot.notices import help_now_label

LANGUAGE_NAMES = {"da": "Dansk", "en": "English"}


def callback_parts(data: str | None, count: int = 3) -> list[str]:
    """Split ``area:action:id`` into exactly `count` parts, missing ones empty (untrusted data)."""
    parts = (data or "").split(":")
    return [*parts, *([""] * count)][:count]


def action_and_id(data: str | None, actions: Collection[str]) -> tuple[str, int] | None:
    """``area:action:id`` from untrusted data: the action, if it is one of `actions`, and the id;
    None for anything else (forged or malformed)."""
    _, action, raw_id = callback_parts(data)
    if not raw_id.isdigit() or action not in actions:
        return None
    return action, int(raw_id)


def button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def help_now_button(t: Translator) -> InlineKeyboardButton:
    return button(t._("I need help now"), "urgent:now")


def help_now_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    """A button that stays under the text box, so urgent help is always one tap away."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(help_now_label(t))]], resize_keyboard=True, is_persistent=True
    )


def start_menu(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [button(t._("Talk to a peer"), "citizen:ask")],
            [help_now_button(t)],
            [button(t._("About privacy"), "citizen:privacy"), button(t._("Language"), "lang:menu")],
        ]
    )


def language_menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[button(LANGUAGE_NAMES[code], f"lang:set:{code}") for code in LANGUAGES]]
    )


def only_help_now(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[help_now_button(t)]])
