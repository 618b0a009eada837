"""The one place where the ids of outgoing messages are noted, for `/forget`, and where every
successful Bot API call is noted as contact with Telegram, for the health check.

Handlers send through ``context.bot`` and the outbox through ``Bot.do_api_request``; both end in
the bot's `BaseRequest` (PTB's public network interface), so `RecordingRequest` wraps the
request and hands each new message's id to `MessageLog`, and `TelegramContact` next to the
network notes each answer Telegram gave. That only appends to the group-commit
writer (see `bot.storage.recent_messages`), so the hot path pays a list append and, for calls that
create a message, one parse of Telegram's small answer.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

from telegram.request import BaseRequest, RequestData

from bot.runtime import Runtime
from bot.services import health
from bot.storage import recent_messages
from bot.telegram.wrapped import Timeouts, WrappedRequest

# The last (message id, from the bot) pairs of a chat, in memory: before consent nothing is
# stored, so these wait here until the person agrees; then `/forget` can delete them too.
MEMORY_UNRECORDED = "unrecorded"
UNRECORDED_LIMIT = 30

# Methods that put a new message into a chat (their answer carries its message_id).
_NEW_MESSAGE = ("send", "copyMessage", "forwardMessage")
_NOT_A_MESSAGE = {"sendChatAction", "sendInvoice"}


class MessageLog:
    """Notes message ids in private chats, and contact with Telegram, while the bot runs.

    Ids are stored for people the bot knows; in memory too (``user_data``), for those who have
    not agreed yet (written when they do, see `conversations.intake.consent_given`).
    """

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.user_data: MutableMapping[int, dict[Any, Any]] | None = None
        self.recording = False  # from start-up (storage open) to shutdown

    def noted(self, chat_id: int, message_id: int, *, from_bot: bool) -> None:
        if not self.recording:
            return
        rt = self.rt
        recent_messages.record_later(rt.later, chat_id, message_id, rt.now(), from_bot=from_bot)
        if chat_id > 0 and self.user_data is not None:
            memory = self.user_data[chat_id].setdefault(MEMORY_UNRECORDED, [])
            memory[:] = [*memory[-(UNRECORDED_LIMIT - 1) :], (message_id, from_bot)]

    def sent(self, chat_id: int, message_id: int) -> None:
        self.noted(chat_id, message_id, from_bot=True)

    def contact(self) -> None:
        """Telegram answered a call with success (getUpdates included)."""
        if self.recording:
            health.contact_made(self.rt)


class TelegramContact(WrappedRequest):
    """Notes every call Telegram answered with success as contact with Telegram (health).

    It sits right in front of the network, below the web chat's routing
    (`bot.web.transport`), so calls the web chat answers itself never count."""

    def __init__(self, inner: BaseRequest, log: MessageLog) -> None:
        super().__init__(inner)
        self.log = log

    async def handle(
        self, url: str, method: str, request_data: RequestData | None, timeouts: Timeouts
    ) -> tuple[int, bytes]:
        status, payload = await self.pass_on(url, method, request_data, timeouts)
        if 200 <= status <= 299 and self.log.recording:
            self.log.contact()
        return status, payload


class RecordingRequest(WrappedRequest):
    """A request layer that reports ``(chat_id, message_id)`` of every message sent, in a
    Telegram chat or a web chat, to a `MessageLog`."""

    def __init__(self, inner: BaseRequest, log: MessageLog) -> None:
        super().__init__(inner)
        self.log = log

    async def handle(
        self, url: str, method: str, request_data: RequestData | None, timeouts: Timeouts
    ) -> tuple[int, bytes]:
        status, payload = await self.pass_on(url, method, request_data, timeouts)
        if 200 <= status <= 299 and self.log.recording:
            endpoint = url.rsplit("/", 1)[-1]
            if endpoint.startswith(_NEW_MESSAGE) and endpoint not in _NOT_A_MESSAGE:
                self._note_sent(request_data, payload)
        return status, payload

    def _note_sent(self, request_data: RequestData | None, payload: bytes) -> None:
        chat_id = request_data.parameters.get("chat_id") if request_data is not None else None
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            return
        try:
            result = json.loads(payload).get("result")
        except (ValueError, AttributeError):
            return  # PTB raises its own error for an answer it cannot read
        for item in result if isinstance(result, list) else [result]:
            if isinstance(item, dict) and isinstance(item.get("message_id"), int):
                self.log.sent(chat_id, item["message_id"])
