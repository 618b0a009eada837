"""Messages to people other than the one acting, rendered in the recipient's language.

They travel through the outbox (see `bot.delivery.dispatcher`), so they are plain Bot API
parameters: a
text and inline buttons as ``(label, callback_data)`` pairs, no Telegram objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.i18n import LANGUAGES, Translator
from bot.storage import Transaction
from bot.storage import outbox as outbox_store
from bot.storage.outbox import Priority

Buttons = tuple[tuple[tuple[str, str], ...], ...]


def help_now_label(t: Translator) -> str:
    """The persistent reply-keyboard button; its text is what the urgent handler listens for."""
    return "🆘 " + t._("I need help now")


def help_now_labels() -> set[str]:
    return {help_now_label(Translator(language, UTC)) for language in LANGUAGES}


@dataclass(frozen=True)
class Notice:
    text: str
    buttons: Buttons = field(default_factory=tuple)

    def keyboard(self) -> dict[str, Any] | None:
        if not self.buttons:
            return None
        return {
            "inline_keyboard": [
                [{"text": label, "callback_data": data} for label, data in row]
                for row in self.buttons
            ]
        }

    def send_params(self, chat_id: int, *, protect: bool = False) -> dict[str, Any]:
        params: dict[str, Any] = {"chat_id": chat_id, "text": self.text}
        if keyboard := self.keyboard():
            params["reply_markup"] = keyboard
        if protect:
            params["protect_content"] = True
        return params

    def edit_params(self, chat_id: int, message_id: int) -> dict[str, Any]:
        params: dict[str, Any] = {"chat_id": chat_id, "message_id": message_id, "text": self.text}
        if self.buttons and (keyboard := self.keyboard()):
            params["reply_markup"] = keyboard
        return params


async def send(
    tx: Transaction,
    chat_id: int,
    notice: Notice,
    *,
    purpose: str,
    now: datetime,
    priority: Priority = Priority.NORMAL,
    ref_id: int | None = None,
    repeat_note: str | None = None,
) -> int:
    return await outbox_store.enqueue(
        tx,
        chat_id=chat_id,
        method="sendMessage",
        params=notice.send_params(chat_id),
        purpose=purpose,
        now=now,
        priority=priority,
        ref_id=ref_id,
        repeat_note=repeat_note,
    )


async def edit(
    tx: Transaction,
    chat_id: int,
    message_id: int,
    notice: Notice,
    *,
    purpose: str,
    now: datetime,
    priority: Priority = Priority.NORMAL,
) -> int:
    return await outbox_store.enqueue(
        tx,
        chat_id=chat_id,
        method="editMessageText",
        params=notice.edit_params(chat_id, message_id),
        purpose=purpose,
        now=now,
        priority=priority,
    )
