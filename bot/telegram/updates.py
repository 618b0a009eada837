"""An update's life, in one place: fetch, inbox, dispatch, mark done.

    getUpdates (or the webhook) --store--> inbox table, committed
        --> the offset moves past it (Telegram may now forget it)
        --> ChatOrder: concurrent across chats, in arrival order within one chat;
            urgent updates do not wait for a free slot among ordinary ones
        --> Application.process_update (PTB's public API: the handlers run)
        --> finish: the inbox row is done (group commit), the incoming message id is noted
            for /forget, the update is counted

PTB's own Updater confirms updates before handlers run, and its update processor can only be
extended through its ``@final`` method, so both are left out (``updater(None)``; PTB's update
queue is unused). A crash loses nothing: rows still in the inbox are processed again at
start-up (`UpdatePath.recover`); a clean stop leaves updates it never started in the inbox, with
their try given back.

Its collaborators are passed in: the application (parse, handlers, the Bot API), the database,
the clock, the group-commit writer, the note of message ids and the urgent check.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot import metrics
from bot.clock import Clock
from bot.storage import Database, inbox
from bot.storage.database import urgent_work
from bot.storage.group_commit import GroupWriter

if TYPE_CHECKING:
    from bot.telegram.sent import MessageLog

log = logging.getLogger(__name__)

READ_MARGIN = 10  # seconds beyond the long-poll timeout before a read counts as timed out
MAX_TRIES = 5  # start-ups that may find an update unfinished before it is set aside
KNOWN_KEEP = 50_000  # update ids remembered in memory against repeats
SLOTS = 256  # ordinary updates handled at the same time (urgent ones do not count)

T = TypeVar("T")
UrgentCheck = Callable[[dict[str, Any]], bool]
Handle = Callable[[Update], Awaitable[None]]


def never_urgent(raw: dict[str, Any]) -> bool:
    return False


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


class ChatOrder:
    """Runs updates concurrently across chats but strictly in arrival order within one chat.

    Each chat with work has one task that takes its updates in turn, so one slow chat never
    holds up another. Ordinary updates share `slots`; an urgent one, once its chat's earlier
    updates are done, starts at once instead of waiting for a slot. After `stop()` nothing new
    starts: updates still waiting are handed back (they stay in the inbox).
    """

    def __init__(self, handle: Handle, slots: int = SLOTS) -> None:
        self._handle = handle
        self._slots = asyncio.Semaphore(slots)
        self._chats: dict[int, deque[tuple[Update, bool]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._pending = 0  # submitted, neither handled nor handed back yet
        self._idle = asyncio.Event()
        self._idle.set()
        self._closing = False
        self._not_started: list[int] = []

    @property
    def pending(self) -> int:
        return self._pending

    def submit(self, update: Update, *, urgent: bool = False) -> None:
        """Queue an update behind its chat's earlier ones; returns at once."""
        if self._closing:
            self._not_started.append(update.update_id)
            return
        self._pending += 1
        self._idle.clear()
        key = chat_key(update)
        waiting = self._chats.get(key)
        if waiting is not None:
            waiting.append((update, urgent))
            return
        self._chats[key] = deque([(update, urgent)])
        task = asyncio.create_task(self._run_chat(key), name="updates:chat")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_chat(self, key: int) -> None:
        waiting = self._chats[key]
        try:
            while waiting:
                update, urgent = waiting[0]
                if urgent:
                    with urgent_work():  # its database turns come first too
                        await self._start(update)
                else:
                    async with self._slots:
                        await self._start(update)
                waiting.popleft()
                self._one_less()
        finally:
            for update, _ in waiting:  # only when cancelled: their rows stay in the inbox
                self._not_started.append(update.update_id)
                self._one_less()
            del self._chats[key]

    async def _start(self, update: Update) -> None:
        if self._closing:
            self._not_started.append(update.update_id)
            return
        try:
            await self._handle(update)
        except Exception as exc:  # the row stays in the inbox and is tried at the next start
            log.error("update %d failed (%s)", update.update_id, type(exc).__name__)

    def _one_less(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            self._idle.set()

    async def wait_idle(self) -> None:
        """Return once no update is being handled or waiting (used by shutdown and tests)."""
        await self._idle.wait()

    async def stop(self) -> list[int]:
        """Start nothing more, wait for what is being handled; returns the ids never started."""
        self._closing = True
        await self.wait_idle()
        not_started, self._not_started = self._not_started, []
        return not_started


class UpdatePath:
    """Takes each update from Telegram to done; see the module docstring for the stations."""

    def __init__(
        self,
        application: Application,
        db: Database,
        clock: Clock,
        *,
        writer: GroupWriter | None = None,
        messages: MessageLog | None = None,
        is_urgent: UrgentCheck = never_urgent,
        slots: int = SLOTS,
    ) -> None:
        self.application = application
        self.db = db
        self.clock = clock
        self.writer = writer
        self.messages = messages
        self.is_urgent = is_urgent
        self.order = ChatOrder(self._process, slots)
        self.offset: int | None = None
        self.known = RecentIds()
        self._storing = asyncio.Lock()
        self._stopping = asyncio.Event()

    # -- fetch ---------------------------------------------------------------------------------

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
        """Poll until `stop_polling()`; trouble with Telegram or the disk backs off instead of
        ending the bot."""
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

    def stop_polling(self) -> None:
        self._stopping.set()

    # -- inbox ---------------------------------------------------------------------------------

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
        """Commit new raw updates to the inbox, then hand them on, urgent first; returns how
        many were new.

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
                await self.accept(update, stored=True, urgent=update.update_id in urgent)
            if highest is not None and (self.offset is None or highest >= self.offset):
                self.offset = highest + 1
            return len(good)

    async def take_stored(self, raw: dict[str, Any]) -> None:
        """An update another door (the web chat) committed to the inbox itself, with a negative
        id: handled like one from Telegram (urgent first, in order within its chat) while the
        polling offset stays where it is."""
        update_id = raw["update_id"]
        self.known.add_all([update_id])
        try:
            update = self._parse(raw)
        except Exception as exc:
            await self._set_aside(update_id, raw, inbox.error_name(exc), 0)
            return
        await self.accept(update, stored=True, urgent=self._urgent(raw))

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

    # -- dispatch and done ---------------------------------------------------------------------

    async def accept(self, update: Update, *, stored: bool, urgent: bool = False) -> None:
        """Hand an update to the handlers (storing it first unless it is stored already)."""
        if not stored:
            await inbox.add_updates(self.db, [update.to_dict()], self.clock.now())
        self.order.submit(update, urgent=urgent)

    async def _process(self, update: Update) -> None:
        """Run the handlers through PTB's public entry point, then mark the update done.

        PTB hands a handler's error to the error handler itself; an error that escapes
        `process_update` goes there too, and the update stays in the inbox (tried again at the
        next start-up), as it did when PTB's own update processor ran it.
        """
        try:
            await self.application.process_update(update)
        except Exception as exc:
            await self.application.process_error(update=update, error=exc)
            raise
        await self.finish(update)

    async def finish(self, update: Update) -> None:
        """The update is done: its inbox row goes in the next group commit, the id of an
        incoming private message is noted for /forget, and it is counted."""
        if self.writer is not None:
            inbox.finish_later(self.writer, update.update_id, self.clock.now())
        message = update.message
        if self.messages is not None and message is not None and message.chat.type == "private":
            self.messages.noted(message.chat.id, message.message_id, from_bot=False)
        metrics.UPDATES.inc()

    async def wait_idle(self) -> None:
        """Return once every update handed on so far was handled (or handed back at a stop)."""
        await self.order.wait_idle()

    async def stop(self) -> list[int]:
        """Stop polling and starting updates; wait for those being handled; returns the ids of
        those never started (they stay in the inbox)."""
        self.stop_polling()
        return await self.order.stop()


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


def chat_key(update: Update) -> int:
    """The chat whose order an update keeps: its chat, else its sender, else one shared key."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return 0


def _chat(item: Any) -> int | None:
    raw = item[0] if isinstance(item, tuple) else item
    return inbox.chat_of(raw) if isinstance(raw, dict) else None


def _kind(exc: TelegramError) -> str:
    """The same kinds as the outbox counts (bot.delivery.dispatcher), and "conflict" for a
    second poller."""
    if isinstance(exc, RetryAfter):
        return "retry_after"
    if isinstance(exc, Conflict | InvalidToken):
        return "conflict"
    return "network" if isinstance(exc, NetworkError) else "bad_request"


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
