"""Updates run concurrently across chats but strictly in order within one chat.

PTB's default handles one update at a time, so one slow chat would hold up an urgent one. Each
update is removed from the inbox only after its handlers finished (see `bot.polling`). Urgent
updates (marked by the poller) do not wait for a free slot among ordinary ones, nor for the
database turns of ordinary work (`bot.storage.database.urgent_work`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.storage.database import urgent_work

Finished = Callable[[Update], Awaitable[None]]


class ChatOrderedProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.on_finished: Finished | None = None
        self.urgent: set[int] = set()  # update ids the poller found urgent, not yet started

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """The chat's turn comes first, in arrival order; then an urgent update starts at once,
        while an ordinary one waits for one of the slots ordinary traffic shares."""
        urgent = isinstance(update, Update) and update.update_id in self.urgent
        if isinstance(update, Update):
            self.urgent.discard(update.update_id)
        key = _chat_key(update)
        lock = self._chat_locks.setdefault(key, asyncio.Lock())
        self._in_flight += 1
        self._idle.clear()
        try:
            async with lock:
                if urgent:
                    with urgent_work():  # its database turns come first too
                        await self.do_process_update(update, coroutine)
                else:
                    await super().process_update(update, coroutine)
        finally:
            if not lock.locked() and not lock._waiters:
                self._chat_locks.pop(key, None)
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine
        if self.on_finished is not None and isinstance(update, Update):
            await self.on_finished(update)

    async def wait_idle(self) -> None:
        """Return once no update is being processed or waiting (used by shutdown and tests)."""
        await self._idle.wait()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        await self.wait_idle()


def _chat_key(update: object) -> int:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return 0
