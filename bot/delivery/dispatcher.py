"""The outbox dispatcher: sends what must arrive, urgent first, and never gives up silently.

One message at a time, so no long queue forms inside the rate limiter and an urgent row written
now is the next one sent. Network errors and time-outs back off exponentially; 429 waits exactly
``retry_after``; 403 (blocked) and 400 "chat not found" mark the recipient unreachable instead
of retrying forever; a group that became a supergroup is followed. A row is marked sent only
after Telegram accepted it. A row with a `repeat_note` (urgent alerts) counts each try before
it is made: sent again after a try whose answer was lost (a crash, a time-out), its text says
it may repeat an earlier one. `on_undeliverable` hears of every row given up (so an escalation
that reached nobody can raise the alarm).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter
from telegram.warnings import PTBUserWarning

from bot import metrics
from bot.clock import Clock
from bot.delivery.worker import Worker
from bot.storage import Database
from bot.storage import outbox as outbox_store
from bot.storage import users as user_store
from bot.storage.database import urgent_work
from bot.storage.outbox import OutboxMessage, Priority

log = logging.getLogger(__name__)

# Outbox rows store the Bot API method name and its JSON parameters, so they are sent with
# `Bot.do_api_request`; PTB's hint to use the typed method instead does not apply.
warnings.filterwarnings("ignore", message="Please use 'Bot.", category=PTBUserWarning)

MAX_BACKOFF = timedelta(minutes=5)


class OutboxDispatcher(Worker):
    name = "outbox dispatcher"

    def __init__(
        self,
        bot: Bot,
        db: Database,
        clock: Clock,
        *,
        on_undeliverable: Callable[[OutboxMessage], Awaitable[None]] | None = None,
        on_unreachable: Callable[[int], Awaitable[object]] | None = None,
        on_chat_migrated: Callable[[int, int], Awaitable[object]] | None = None,
    ) -> None:
        super().__init__()
        self.bot = bot
        self.db = db
        self.clock = clock
        self._drain_lock = asyncio.Lock()
        self.on_undeliverable = on_undeliverable
        # Hears of a person found to have blocked the bot, before they are marked (so that a
        # peer's contacts are seen to once, see `bot.services.unreachable`).
        self.on_unreachable = on_unreachable
        self.on_chat_migrated = on_chat_migrated

    async def drain(self) -> int:
        """Send everything that is due now; returns how many rows were handled."""
        handled = 0
        async with self._drain_lock:
            while batch := await self._due(limit=20):
                for message in batch:
                    if message.priority is Priority.URGENT:
                        with urgent_work():
                            await self._send(message)
                    else:
                        await self._send(message)
                    handled += 1
                    if self._stopping.is_set():
                        return handled
                    if message.priority > 0 and await self._urgent_waiting():
                        break
        return handled

    async def _due(self, limit: int) -> list[OutboxMessage]:
        """Looking is urgent work: it is how an urgent row just committed is found."""
        with urgent_work():
            return await outbox_store.due(self.db, self.clock.now(), limit=limit)

    async def _urgent_waiting(self) -> bool:
        due = await self._due(limit=1)
        return bool(due) and due[0].priority is Priority.URGENT

    async def _send(self, message: OutboxMessage) -> None:
        now = self.clock.now()
        params = dict(message.params)
        if message.repeat_note is not None:
            await outbox_store.mark_tried(self.db, message.id)
            if message.may_repeat() and isinstance(params.get("text"), str):
                params["text"] = f"{params['text']}\n\n{message.repeat_note}"
        try:
            result = await self.bot.do_api_request(
                message.method, api_kwargs=params, return_type=None
            )
        except RetryAfter as exc:
            metrics.TELEGRAM_ERRORS.labels(kind="retry_after").inc()
            wait = exc.retry_after
            delay = wait if isinstance(wait, timedelta) else timedelta(seconds=float(wait))
            await outbox_store.postpone(self.db, message.id, now + delay)
        except Forbidden:
            metrics.TELEGRAM_ERRORS.labels(kind="forbidden").inc()
            await outbox_store.give_up(self.db, message.id, "unreachable")
            if self.on_unreachable is not None:
                await self.on_unreachable(message.chat_id)
            await user_store.mark_unreachable(self.db, message.chat_id, now)
            log.info("outbox %d: recipient unreachable (blocked the bot)", message.id)
            await self._undeliverable(message)
        except ChatMigrated as exc:
            await outbox_store.move_chat(self.db, message.chat_id, exc.new_chat_id)
            log.info("outbox %d: group chat migrated; following it", message.id)
            if self.on_chat_migrated is not None:
                await self.on_chat_migrated(message.chat_id, exc.new_chat_id)
        except BadRequest as exc:
            metrics.TELEGRAM_ERRORS.labels(kind="bad_request").inc()
            if "chat not found" in exc.message.lower():
                await outbox_store.give_up(self.db, message.id, "unreachable")
                await user_store.mark_unreachable(self.db, message.chat_id, now)
                log.warning("outbox %d: chat not found; recipient unreachable", message.id)
            else:
                await outbox_store.give_up(self.db, message.id, "failed")
                log.error(
                    "outbox %d (%s) refused by Telegram: %s",
                    message.id,
                    message.method,
                    type(exc).__name__,
                )
            await self._undeliverable(message)
        except NetworkError as exc:
            metrics.TELEGRAM_ERRORS.labels(kind="network").inc()
            delay = min(timedelta(seconds=2 ** min(message.attempts, 10)), MAX_BACKOFF)
            await outbox_store.postpone(self.db, message.id, now + delay)
            log.warning("outbox %d: %s, retry in %s", message.id, type(exc).__name__, delay)
        else:
            message_id = result.get("message_id") if isinstance(result, dict) else None
            await outbox_store.mark_sent(self.db, message.id, message_id, self.clock.now())

    async def _undeliverable(self, message: OutboxMessage) -> None:
        if self.on_undeliverable is not None:
            try:
                await self.on_undeliverable(message)
            except Exception:
                log.exception("outbox %d: follow-up of an undeliverable message failed", message.id)
