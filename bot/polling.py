"""Our own long-polling loop: an update is stored in the inbox before Telegram is told we have it.

PTB's Updater confirms updates (the next ``getUpdates`` offset) before handlers run, so a crash
could lose an urgent message. Here the offset only moves past updates that are committed to the
inbox; the update processor deletes an inbox row once its handlers finished, and rows left by a
crash are processed again at start-up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.clock import Clock
from bot.storage import Database, inbox

log = logging.getLogger(__name__)

READ_MARGIN = 10  # seconds beyond the long-poll timeout before a read counts as timed out


class InboxPoller:
    def __init__(self, application: Application, db: Database, clock: Clock) -> None:
        self.application = application
        self.db = db
        self.clock = clock
        self.offset: int | None = None
        self.is_urgent: Callable[[dict[str, Any]], bool] = lambda raw: False
        self.mark_urgent: Callable[[int], None] = lambda update_id: None
        self.last_ok: datetime | None = None
        self._stopping = asyncio.Event()

    async def recover(self) -> int:
        """Queue every update a previous run stored but did not finish; returns how many."""
        pending = await inbox.unfinished(self.db)
        for payload in pending:
            await self.accept(Update.de_json(payload, self.application.bot), stored=True)
        last = await inbox.last_update_id(self.db)
        if last is not None:
            self.offset = last + 1
        if pending:
            log.info("recovered %d unfinished update(s) from the inbox", len(pending))
        return len(pending)

    async def store(self, raw_updates: list[dict[str, Any]]) -> None:
        """Commit raw updates to the inbox, then hand them to the application, urgent first."""
        if not raw_updates:
            return
        await inbox.add_updates(self.db, raw_updates, self.clock.now())
        urgent = {raw["update_id"] for raw in raw_updates if self.is_urgent(raw)}
        for raw in urgent_first(raw_updates, lambda raw: raw["update_id"] in urgent):
            if raw["update_id"] in urgent:
                self.mark_urgent(raw["update_id"])
            await self.accept(Update.de_json(raw, self.application.bot), stored=True)
        self.offset = raw_updates[-1]["update_id"] + 1

    async def accept(self, update: Update, *, stored: bool) -> None:
        if not stored:
            await inbox.add_updates(self.db, [update.to_dict()], self.clock.now())
        await self.application.update_queue.put(update)

    async def poll_once(self, wait: int = 0) -> int:
        """One ``getUpdates`` round trip; returns how many updates arrived.

        The raw JSON is what the inbox keeps, so it is fetched as such and parsed once.
        """
        params: dict[str, Any] = {"timeout": wait, "allowed_updates": Update.ALL_TYPES}
        if self.offset is not None:
            params["offset"] = self.offset
        raw_updates = await self.application.bot.do_api_request(
            "getUpdates", api_kwargs=params, read_timeout=wait + READ_MARGIN
        )
        self.last_ok = self.clock.now()
        if not isinstance(raw_updates, list) or not raw_updates:
            return 0
        await self.store(raw_updates)
        return len(raw_updates)

    async def run(self, wait: int = 25) -> None:
        """Poll until `stop()`; network trouble backs off instead of ending the bot."""
        backoff = 1.0
        while not self._stopping.is_set():
            try:
                await self.poll_once(wait)
                backoff = 1.0
            except RetryAfter as exc:
                await self._pause(float(_seconds(exc.retry_after)))
            except (InvalidToken, Conflict):
                raise
            except (NetworkError, TelegramError) as exc:
                log.warning(
                    "getUpdates failed (%s); retrying in %.0f s", type(exc).__name__, backoff
                )
                await self._pause(backoff)
                backoff = min(backoff * 2, 60.0)

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return

    def stop(self) -> None:
        self._stopping.set()


def urgent_first(
    raw_updates: list[dict[str, Any]], is_urgent: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """Move urgent updates to the front of a batch, never ahead of their own chat's earlier ones.

    Handlers take the database in arrival order, so an urgent update queued first is handled
    first instead of waiting behind up to a hundred ordinary ones.
    """
    seen: set[int | None] = set()
    front, rest = [], []
    for raw in raw_updates:
        chat = inbox.chat_of(raw)
        if chat not in seen and is_urgent(raw):
            front.append(raw)
        else:
            rest.append(raw)
        seen.add(chat)
    return front + rest


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
