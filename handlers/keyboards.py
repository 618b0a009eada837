"""Inline keyboards and the one codec of their callback data.

Callback data is short and opaque: ``area:action[:id...]``, never personal. Whoever pressed a
button, its data is untrusted input: `well_formed` is checked once for every press before any
handler runs (handlers/chats.py), so a number in the data is always plain ASCII digits that fit
SQLite's signed 64-bit INTEGER; `parse_id` is how a handler reads an id.
"""

from __future__ import annotations

from collections.abc import Collection

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.delivery.notices import help_now_label
from bot.i18n import LANGUAGES, Translator

LANGUAGE_NAMES = {"da": "Dansk", "en": "English"}


# Ids are SQLite INTEGERs (signed 64 bit); Telegram's callback_data is at most 64 bytes.
MAX_ID = 2**63 - 1
MAX_DATA_BYTES = 64


def parse_id(raw: str) -> int | None:
    """An id (or page number) from untrusted text: ASCII digits only, within SQLite's range;
    else None.

    ``str.isdigit`` alone accepts Arabic-Indic, full-width and superscript digits, and ``int``
    accepts numbers no database row can have."""
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    number = int(raw)
    return number if number <= MAX_ID else None


def well_formed(data: str | None) -> bool:
    """Whether button data can be handed to a handler: ASCII (the bot makes no other), within
    Telegram's 64 bytes, and every number in it fits SQLite's INTEGER."""
    if not data or not data.isascii() or len(data) > MAX_DATA_BYTES:
        return False
    return all(int(part) <= MAX_ID for part in data.split(":") if part.isdigit())


def callback_parts(data: str | None, count: int = 3) -> list[str]:
    """Split ``area:action:id`` into exactly `count` parts, missing ones empty (untrusted data)."""
    parts = (data or "").split(":")
    return [*parts, *([""] * count)][:count]


def action_and_id(data: str | None, actions: Collection[str]) -> tuple[str, int] | None:
    """``area:action:id`` from untrusted data: the action, if it is one of `actions`, and the id;
    None for anything else (forged or malformed)."""
    _, action, raw_id = callback_parts(data)
    item_id = parse_id(raw_id)
    if item_id is None or action not in actions:
        return None
    return action, item_id


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
