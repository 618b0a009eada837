"""Our own long-polling loop: an update is stored in the inbox before Telegram is told we have it.

PTB's Updater confirms updates (the next ``getUpdates`` offset) before handlers run, so a crash
could lose an urgent message. Here the offset only moves past updates that are committed to the
inbox; the update processor deletes an inbox row once its handlers finished, and rows left by a
crash are processed again at start-up.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot import metrics
from bot.clock import Clock
from bot.storage import Database, inbox

log = logging.getLogger(__name__)

READ_MARGIN = 10  # seconds beyond the long-poll timeout before a read counts as timed out
MAX_TRIES = 5  # start-ups that may find an update unfinished before it is set aside
KNOWN_KEEP = 50_000  # update ids remembered in memory against repeats

T = TypeVar("T")


class RecentIds:
    """The last `limit` update ids this bot received: a repeat is recognised without a query."""

    def __init__(self, limit: int = KNOWN_KEEP) -> None:
        self.limit = limit
        self._ids: OrderedDict[int, None] = OrderedDict()

    def __contains__(self, update_id: object) -> bool:
        return update_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add_all(self, update_ids: Iterable[int]) -> None:
        for update_id in update_ids:
            self._ids[update_id] = None
        while len(self._ids) > self.limit:
            self._ids.popitem(last=False)


class InboxPoller:
    def __init__(self, application: Application, db: Database, clock: Clock) -> None:
        self.application = application
        self.db = db
        self.clock = clock
        self.offset: int | None = None
        self.is_urgent: Callable[[dict[str, Any]], bool] = lambda raw: False
        self.mark_urgent: Callable[[int], None] = lambda update_id: None
        self.known = RecentIds()
        self._storing = asyncio.Lock()
        self._stopping = asyncio.Event()

    async def recover(self) -> int:
        """Queue every update a previous run stored but did not finish; returns how many.

        Each start-up that finds an update unfinished counts as a try; after `MAX_TRIES` (a
        crash loop on one update) or when it cannot be read, it is set aside instead, so one
        bad update never keeps the bot from starting or holds up the ones behind it.
        """
        self.known.add_all(await inbox.known_ids(self.db))
        queued = 0
        for row in await inbox.count_a_try(self.db):
            raw: Any = None
            try:
                raw = json.loads(row.payload)
                if row.tries > MAX_TRIES:
                    await self._set_aside(row.update_id, raw, "unfinished", row.tries)
                    continue
                update = self._parse(raw)
            except Exception as exc:
                await self._set_aside(row.update_id, raw, inbox.error_name(exc), row.tries)
                continue
            await self.accept(update, stored=True)
            queued += 1
        last = await inbox.last_update_id(self.db)
        if last is not None:
            self.offset = last + 1
        if queued:
            log.info("recovered %d unfinished update(s) from the inbox", queued)
        return queued

    async def store(self, raw_updates: list[Any]) -> int:
        """Commit new raw updates to the inbox, then hand them to the application, urgent first;
        returns how many were new.

        An id seen before (still in the inbox, handled, or set aside) is ignored, so Telegram
        delivering an update twice does not handle it twice. An update PTB cannot read is set
        aside; one without a usable id is counted and dropped (it cannot be stored or repeated).
        """
        async with self._storing:
            highest: int | None = None
            batch: set[int] = set()
            good: list[tuple[dict[str, Any], Update]] = []
            for raw in raw_updates:
                update_id = raw.get("update_id") if isinstance(raw, dict) else None
                if not inbox.is_sql_int(update_id) or update_id < 0:
                    metrics.UPDATES_SET_ASIDE.labels(reason="no_update_id").inc()
                    log.warning("an update without a usable update_id was dropped")
                    continue
                highest = update_id if highest is None else max(highest, update_id)
                if update_id in self.known or update_id in batch:
                    metrics.UPDATES_REPEATED.inc()
                    continue
                batch.add(update_id)
                try:
                    good.append((raw, self._parse(raw)))
                except Exception as exc:
                    await self._set_aside(update_id, raw, inbox.error_name(exc), 0)
            if good:
                await inbox.add_updates(self.db, [raw for raw, _ in good], self.clock.now())
            self.known.add_all(batch)
            urgent = {update.update_id for raw, update in good if self._urgent(raw)}
            for _, update in urgent_first(good, lambda item: item[1].update_id in urgent):
                if update.update_id in urgent:
                    self.mark_urgent(update.update_id)
                await self.accept(update, stored=True)
            if highest is not None and (self.offset is None or highest >= self.offset):
                self.offset = highest + 1
            return len(good)

    def _parse(self, raw: Any) -> Update:
        update = Update.de_json(raw, self.application.bot)
        if update is None:
            raise ValueError("empty update")
        return update

    def _urgent(self, raw: dict[str, Any]) -> bool:
        try:
            return self.is_urgent(raw)
        except Exception:  # an odd update is not urgent; its handlers still see it
            return False

    async def _set_aside(self, update_id: int, raw: Any, error: str, tries: int) -> None:
        """Keep the id, field names and error for the operator (no value), count, log the id."""
        reason = "unfinished" if error == "unfinished" else "unparseable"
        await inbox.set_aside(
            self.db, update_id, inbox.field_names(raw), error, tries, self.clock.now()
        )
        self.known.add_all([update_id])
        metrics.UPDATES_SET_ASIDE.labels(reason=reason).inc()
        log.error("update %d set aside (%s); see the inbox_set_aside table", update_id, error)

    async def accept(self, update: Update, *, stored: bool) -> None:
        if not stored:
            await inbox.add_updates(self.db, [update.to_dict()], self.clock.now())
        await self.application.update_queue.put(update)

    async def poll_once(self, wait: int = 0) -> int:
        """One ``getUpdates`` round trip; returns how many new updates arrived.

        The raw JSON is what the inbox keeps, so it is fetched as such and parsed once.
        """
        params: dict[str, Any] = {"timeout": wait, "allowed_updates": Update.ALL_TYPES}
        if self.offset is not None:
            params["offset"] = self.offset
        try:
            raw_updates = await self.application.bot.do_api_request(
                "getUpdates", api_kwargs=params, read_timeout=wait + READ_MARGIN
            )
        except TelegramError as exc:  # "Telegram is down" shows in peerbot_telegram_errors
            metrics.TELEGRAM_ERRORS.labels(kind=_kind(exc)).inc()
            raise
        if not isinstance(raw_updates, list) or not raw_updates:
            return 0
        return await self.store(raw_updates)

    async def run(self, wait: int = 25) -> None:
        """Poll until `stop()`; trouble with Telegram or the disk backs off instead of ending
        the bot."""
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
            except Exception as exc:  # e.g. the disk: nothing was confirmed, so try again
                log.error(
                    "storing updates failed (%s); retrying in %.0f s", type(exc).__name__, backoff
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


def urgent_first(items: list[T], is_urgent: Callable[[T], bool]) -> list[T]:
    """Move urgent updates to the front of a batch, never ahead of their own chat's earlier ones.

    Handlers take the database in arrival order, so an urgent update queued first is handled
    first instead of waiting behind up to a hundred ordinary ones.
    """
    seen: set[int | None] = set()
    front, rest = [], []
    for item in items:
        chat = _chat(item)
        if chat not in seen and is_urgent(item):
            front.append(item)
        else:
            rest.append(item)
        seen.add(chat)
    return front + rest


def _chat(item: Any) -> int | None:
    raw = item[0] if isinstance(item, tuple) else item
    return inbox.chat_of(raw) if isinstance(raw, dict) else None


def _kind(exc: TelegramError) -> str:
    """The same kinds as the outbox counts (bot.delivery), and "conflict" for a second poller."""
    if isinstance(exc, RetryAfter):
        return "retry_after"
    if isinstance(exc, Conflict | InvalidToken):
        return "conflict"
    return "network" if isinstance(exc, NetworkError) else "bad_request"


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
