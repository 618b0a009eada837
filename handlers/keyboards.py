"""Inline keyboards. Callback data is short and opaque: ``area:action[:id]``, never personal."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.i18n import LANGUAGES, Translator
from bot.notices import help_now_label

LANGUAGE_NAMES = {"da": "Dansk", "en": "English"}


def callback_parts(data: str | None, count: int = 3) -> list[str]:
    """Split ``area:action:id`` into exactly `count` parts, missing ones empty (untrusted data)."""
    parts = (data or "").split(":")
    return [*parts, *([""] * count)][:count]


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
