"""The one place where the ids of outgoing messages are noted, for `/forget`, and where every
successful Bot API call is noted as contact with Telegram, for the health check.

Handlers send through ``context.bot`` and the outbox through ``Bot.do_api_request``; both end
in ``Bot._do_post``, so `RecordingBot` overrides that single method and hands each new message's
id to a callback. The callback only appends to the group-commit writer (see
`bot.storage.recent_messages`), so the hot path pays a list append.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram.ext import ExtBot

# Methods that put a new message into a chat (their answer carries its message_id).
_NEW_MESSAGE = ("send", "copyMessage", "forwardMessage")
_NOT_A_MESSAGE = {"sendChatAction", "sendInvoice"}

SentCallback = Callable[[int, int], None]
ContactCallback = Callable[[], None]


class RecordingBot(ExtBot):  # type: ignore[type-arg]
    """An `ExtBot` that reports ``(chat_id, message_id)`` of every message it sends."""

    __slots__ = ("_on_contact", "_on_sent")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._on_sent: SentCallback | None = None
        self._on_contact: ContactCallback | None = None
        super().__init__(*args, **kwargs)

    def on_contact(self, callback: ContactCallback | None) -> None:
        """Called after every call Telegram answered with success (getUpdates included)."""
        with self._unfrozen():
            self._on_contact = callback

    def on_sent(self, callback: SentCallback | None) -> None:
        with self._unfrozen():
            self._on_sent = callback

    async def _do_post(self, endpoint: str, data: dict[str, Any], **kwargs: Any) -> Any:
        chat_id = data.get("chat_id")
        result = await super()._do_post(endpoint, data, **kwargs)
        if self._on_contact is not None:
            self._on_contact()
        if (
            self._on_sent is not None
            and isinstance(chat_id, int)
            and endpoint.startswith(_NEW_MESSAGE)
            and endpoint not in _NOT_A_MESSAGE
        ):
            for item in result if isinstance(result, list) else [result]:
                if isinstance(item, dict) and isinstance(item.get("message_id"), int):
                    self._on_sent(chat_id, item["message_id"])
        return result
