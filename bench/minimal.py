"""A minimal Bot API transport for the benchmark: answers every call, checks nothing.

The strict fake (`bot.fakebot`) validates each request against the Bot API specification and
keeps every chat's messages, which costs more per call than a real HTTP round trip costs the
bot's CPU. Run on this transport instead, a scenario shows the bot's own cost per message:
people's messages become updates here (`write`), `getUpdates` hands them out by offset, every
send answers with a new message id, and anything else answers `True`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from typing import Any

from telegram.request import BaseRequest, RequestData

TOKEN = "123456:minimal-transport"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Peerbot", "username": "peerbot_bench"}


class MinimalTransport(BaseRequest):
    """Pass as both `request` and `updates_request`; one instance serves both."""

    def __init__(self) -> None:
        self._updates: deque[dict[str, Any]] = deque()
        self._arrived = asyncio.Event()
        self._next_update = 1
        self._next_message = 1
        self.calls = 0

    @property
    def read_timeout(self) -> float:
        return 5.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def write(self, user_id: int, text: str, *, language_code: str = "da") -> int:
        """A person writes `text` in their private chat with the bot; returns the update id."""
        person = {"id": user_id, "is_bot": False, "first_name": "P", "language_code": language_code}
        update_id = self._next_update
        self._next_update += 1
        message = {
            "message_id": self._new_message_id(),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "P"},
            "from": person,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self._updates.append({"update_id": update_id, "message": message})
        self._arrived.set()
        return update_id

    def _new_message_id(self) -> int:
        self._next_message += 1
        return self._next_message

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        self.calls += 1
        name = url.rsplit("/", 1)[-1]
        params = request_data.json_parameters if request_data is not None else {}
        result: Any = True
        if name == "getUpdates":
            result = await self._get_updates(params)
        elif name == "getMe":
            result = BOT_USER
        elif name == "copyMessage":
            result = {"message_id": self._new_message_id()}
        elif name.startswith("send"):
            chat = int(params.get("chat_id", 0))
            result = {
                "message_id": self._new_message_id(),
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private" if chat > 0 else "group"},
                "from": BOT_USER,
            }
        return 200, json.dumps({"ok": True, "result": result}).encode()

    async def _get_updates(self, params: dict[str, str]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0))
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()
        if not self._updates:
            self._arrived.clear()
            timeout = float(params.get("timeout", 0))
            if timeout > 0:
                try:
                    await asyncio.wait_for(self._arrived.wait(), timeout)
                except TimeoutError:
                    return []
        limit = int(params.get("limit", 100))
        return [update for _, update in zip(range(limit), self._updates, strict=False)]
