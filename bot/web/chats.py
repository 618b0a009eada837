"""The web chat's conversations, as the bot and the browser see them.

To the bot, a web conversation is a private Telegram chat whose id no Telegram user can have
(`bot.domain.WEB_CHAT_BASE`): what the person writes or presses becomes an update in the same
inbox, stored in the same transaction as the message it carries, and goes the same way as a
Telegram update (urgent first, crisis check, handlers, services). What the bot sends to that
chat (`bot.web.transport`) is written to the transcript instead of going to Telegram. So every
text, button and rule is the same code for both doors, and a peer sees no difference.

To the browser, a conversation is a secret (kept by the browser, stored here only as a hash)
and a transcript it can ask "what changed since" (`seq`), waiting up to a long poll for news.
Nothing about the device is stored beyond the language, the last visit (to the minute) and a
push subscription the person allowed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.domain import WEB_CHAT_BASE, WEB_CHAT_END
from bot.i18n import LANGUAGES
from bot.runtime import Runtime
from bot.services import people, privacy
from bot.storage import contacts as contact_store
from bot.storage import inbox
from bot.storage import requests as request_store
from bot.storage import users as user_store
from bot.storage import web_chat as store
from bot.storage.web_chat import Session, WebMessage

if TYPE_CHECKING:
    from bot.web.push import PushSender

log = logging.getLogger(__name__)

ONLINE_FOR = timedelta(seconds=40)  # a page that polled this recently is open
PUSH_EVERY = timedelta(seconds=30)  # at most one notification per conversation this often
MAX_TOASTS = 3  # short answers kept for a page until it reads them: the newest
COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{1,64})?(?=\s|$)")


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass(frozen=True)
class Transcript:
    """What changed in a conversation after a given `seq`."""

    seq: int
    messages: list[WebMessage]
    toasts: list[str]
    # The first message still kept (None: none is). A page that shows older ones shows what
    # /delete erased, which must go from the screen too, not only at the next visit.
    oldest: int | None = None


class WebChats:
    """Conversations of the web chat: opening, writing, pressing, reading, forgetting."""

    def __init__(self, rt: Runtime, *, bot_id: int, push: PushSender | None = None) -> None:
        self.rt = rt
        self.bot_id = bot_id
        self.push = push
        self.push_allow_http = False  # only tests, whose local push service speaks plain HTTP
        self.base_path = rt.config.web_chat.path
        self._waiting: dict[int, set[asyncio.Future[None]]] = {}
        self._toasts: dict[int, list[str]] = {}
        self._polled: dict[int, datetime] = {}
        self._pushed: dict[int, datetime] = {}
        self._push_tasks: set[asyncio.Task[None]] = set()
        self._told_later: set[int] = set()  # told "reads later" since their last visit
        # Set by the application factory: drops what PTB holds in memory for a forgotten chat.
        self.drop_memory: Callable[[int], None] = lambda chat_id: None

    # -- conversations -------------------------------------------------------------------------

    async def open(self, language: str) -> tuple[str, Session]:
        """A new conversation for a device; returns the secret only the browser keeps."""
        language = language if language in LANGUAGES else self.rt.config.default_language
        secret = secrets.token_urlsafe(32)
        now = self.rt.now()
        while True:
            chat_id = WEB_CHAT_BASE + secrets.randbelow(WEB_CHAT_END - WEB_CHAT_BASE)
            async with self.rt.storage.transaction() as tx:
                if await store.create_session(tx, chat_id, hash_secret(secret), language, now):
                    session = await store.by_chat(tx, chat_id)
                    break
        assert session is not None
        return secret, session

    async def find(self, secret: str) -> Session | None:
        """The conversation a browser's secret opens (and note the visit), or None."""
        if not secret or len(secret) > 100:
            return None
        session = await store.by_secret(self.rt.storage, hash_secret(secret))
        if session is not None:
            await store.seen(self.rt.storage, session.chat_id, self.rt.now())
        return session

    async def set_language(self, session: Session, language: str) -> None:
        if language not in LANGUAGES:
            return
        await store.set_language(self.rt.storage, session.chat_id, language)
        await people.choose_language(self.rt, session.chat_id, language)

    async def forget(self, session: Session) -> None:
        """The menu's *Forget this device*: nobody can come back to this conversation, so
        everything about its person is erased as /delete does (their contact ends, the other
        side is told neutrally), then the conversation and its transcript go."""
        await self._forget_chat(session.chat_id)

    async def _forget_chat(self, chat_id: int) -> None:
        user = await user_store.by_telegram_id(self.rt.storage, chat_id)
        if user is not None:
            await privacy.erase(self.rt, user)
        async with self.rt.storage.transaction() as tx:
            await store.delete_session(tx, chat_id)
        self.drop_memory(chat_id)
        self._toasts.pop(chat_id, None)
        self._polled.pop(chat_id, None)
        self._pushed.pop(chat_id, None)
        self._told_later.discard(chat_id)
        self._wake(chat_id)

    async def forget_idle(self) -> int:
        """Devices not seen for `web_chat.forget_after_days` are forgotten, as "Forget this
        device" does, unless a contact or request of theirs is still open; returns how many."""
        days = self.rt.config.web_chat.forget_after_days
        idle = [
            chat_id
            for chat_id in await store.idle_since(
                self.rt.storage, self.rt.now() - timedelta(days=days)
            )
            if not await self._still_in_touch(chat_id)
        ]
        for chat_id in idle:
            await self._forget_chat(chat_id)
        if idle:
            log.info("forgot %d web chat device(s) not seen for %d days", len(idle), days)
        return len(idle)

    async def _still_in_touch(self, chat_id: int) -> bool:
        """A contact or request still open: the person may come back to it, so the device
        stays (their data follows the retention rules once it has ended)."""
        db = self.rt.storage
        user = await user_store.by_telegram_id(db, chat_id)
        if user is None:
            return False
        return bool(await contact_store.active_involving(db, user.id)) or (
            await request_store.open_for(db, user.id) is not None
        )

    # -- what the person does ------------------------------------------------------------------

    async def write(self, session: Session, text: str) -> int:
        """The person's message: into the transcript and, in the same transaction, into the
        inbox as an update; then handled like any update. Returns its message id."""
        now = self.rt.now()
        async with self.rt.storage.transaction() as tx:
            number = await store.next_number(tx, session.chat_id, new_message=True)
            if number is None:
                raise LookupError("the conversation is gone")
            await store.add_message(
                tx,
                session.chat_id,
                number,
                from_bot=False,
                text=text,
                entities=[],
                markup=None,
                now=now,
            )
            message = self._incoming(session, number.message_id, text, now)
            update = {"update_id": await store.new_update_id(tx), "message": message}
            await inbox.add_update(tx, update, now)
        self._wake(session.chat_id)
        await self._handle(update)
        return number.message_id

    async def press(self, session: Session, message_id: int, data: str) -> bool:
        """A button press, only on a button the bot put under that message: False otherwise
        (a forged or stale press gets a clear answer and reaches no handler)."""
        message = await store.message(self.rt.storage, session.chat_id, message_id)
        if message is None or not message.from_bot or data not in _callback_data(message.markup):
            return False
        now = self.rt.now()
        async with self.rt.storage.transaction() as tx:
            update_id = await store.new_update_id(tx)
            update = {
                "update_id": update_id,
                "callback_query": {
                    "id": f"web-{session.chat_id}-{-update_id}",
                    "from": self._user(session),
                    "chat_instance": str(session.chat_id),
                    "data": data,
                    "message": self.message_json(message),
                },
            }
            await inbox.add_update(tx, update, now)
        await self._handle(update)
        return True

    async def _handle(self, update: dict[str, Any]) -> None:
        if self.rt.updates is not None:
            await self.rt.updates.take_stored(update)
        # Without a running update path (stopping) the row waits in the inbox for the next start.

    def _user(self, session: Session) -> dict[str, Any]:
        # PTB requires a first name; the bot addresses people by pseudonym and never uses it.
        return {
            "id": session.chat_id,
            "is_bot": False,
            "first_name": "",
            "language_code": session.language,
        }

    def _chat(self, chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "type": "private", "first_name": ""}

    def _incoming(
        self, session: Session, message_id: int, text: str, now: datetime
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": epoch(now),
            "chat": self._chat(session.chat_id),
            "from": self._user(session),
            "text": text,
        }
        if command := COMMAND.match(text):  # as Telegram marks a command, for CommandHandler
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
        return message

    # -- what the bot sends (called by bot.web.transport) --------------------------------------

    def message_json(self, message: WebMessage) -> dict[str, Any]:
        """A transcript message as the Bot API would describe it."""
        result: dict[str, Any] = {
            "message_id": message.message_id,
            "date": epoch(message.sent_at),
            "chat": self._chat(message.chat_id),
        }
        if message.from_bot:
            result["from"] = {"id": self.bot_id, "is_bot": True, "first_name": "peerbot"}
        if message.file_name is not None:
            result["document"] = {
                "file_id": f"web-{message.chat_id}-{message.message_id}",
                "file_unique_id": f"web{message.message_id}",
                "file_name": message.file_name,
            }
            if message.text:
                result["caption"] = message.text
            if message.entities:
                result["caption_entities"] = message.entities
        else:
            result["text"] = message.text
            if message.entities:
                result["entities"] = message.entities
        if message.markup is not None and "inline_keyboard" in message.markup:
            result["reply_markup"] = message.markup
        return result

    async def bot_sends(
        self,
        chat_id: int,
        text: str,
        entities: list[dict[str, Any]],
        markup: dict[str, Any] | None,
        file: tuple[str, bytes] | None = None,
    ) -> WebMessage | None:
        """A message from the bot into the transcript; None when the conversation is gone
        (for the bot that is a person who blocked it)."""
        now = self.rt.now()
        async with self.rt.storage.transaction() as tx:
            number = await store.next_number(tx, chat_id, new_message=True)
            if number is None:
                return None
            await store.add_message(
                tx,
                chat_id,
                number,
                from_bot=True,
                text=text,
                entities=entities,
                markup=markup,
                now=now,
                file=file,
            )
            message = await store.message(tx, chat_id, number.message_id)
        self._wake(chat_id)
        self._maybe_push(chat_id, text)
        return message

    async def bot_edits(
        self,
        chat_id: int,
        message_id: int,
        text: str | None,
        entities: list[dict[str, Any]],
        markup: dict[str, Any] | None,
    ) -> WebMessage | None:
        """An edit. A text edit of a message that is no longer there (a /delete emptied the
        transcript just before its last answer) is shown as a new message instead."""
        async with self.rt.storage.transaction() as tx:
            number = await store.next_number(tx, chat_id, new_message=False)
            if number is None:
                return None
            changed = await store.change_message(
                tx, chat_id, message_id, number.seq, text=text, entities=entities, markup=markup
            )
            message = await store.message(tx, chat_id, message_id) if changed else None
        if message is None:
            if text is None:
                return None
            return await self.bot_sends(chat_id, text, entities, markup)
        self._wake(chat_id)
        return message

    async def bot_deletes(self, chat_id: int, message_ids: list[int]) -> bool:
        async with self.rt.storage.transaction() as tx:
            number = await store.next_number(tx, chat_id, new_message=False)
            if number is None:
                return False
            deleted = [
                await store.delete_message(tx, chat_id, message_id, number.seq)
                for message_id in message_ids
            ]
        self._wake(chat_id)
        return any(deleted)

    async def transcript_message(self, chat_id: int, message_id: int) -> WebMessage | None:
        return await store.message(self.rt.storage, chat_id, message_id)

    async def language_of(self, chat_id: int) -> str | None:
        session = await store.by_chat(self.rt.storage, chat_id)
        return session.language if session is not None else None

    async def exists(self, chat_id: int) -> bool:
        return await store.by_chat(self.rt.storage, chat_id) is not None

    def toast(self, chat_id: int, text: str) -> None:
        """A callback answer's text: shown once, briefly, like Telegram's; kept in memory."""
        toasts = self._toasts.setdefault(chat_id, [])
        toasts.append(text[:200])
        del toasts[:-MAX_TOASTS]  # a page that presses and never reads cannot grow memory
        self._wake(chat_id)

    # -- what the browser reads ----------------------------------------------------------------

    async def since(self, session: Session, seq: int, *, wait: float = 0) -> Transcript:
        """The changes after `seq`; with `wait`, hold on until there are some (a long poll)."""
        chat_id = session.chat_id
        self._polled[chat_id] = self.rt.now()
        self._told_later.discard(chat_id)
        current = await store.by_chat(self.rt.storage, chat_id)
        if current is None:
            return Transcript(seq, [], [])
        if seq > current.seq:  # a page from before a restore knows more than there is: start over
            seq = 0
        if wait > 0 and current.seq <= seq and not self._toasts.get(chat_id):
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.setdefault(chat_id, set()).add(waiter)
            try:
                await asyncio.wait_for(asyncio.shield(waiter), timeout=wait)
            except TimeoutError:
                pass
            finally:
                self._waiting.get(chat_id, set()).discard(waiter)
                if not self._waiting.get(chat_id):
                    self._waiting.pop(chat_id, None)
            self._polled[chat_id] = self.rt.now()
        messages = await store.since(self.rt.storage, chat_id, seq)
        toasts = self._toasts.pop(chat_id, [])
        # The counter as read before waiting is reached too: changes that left no row (an
        # erased transcript) must not make the page ask again and again.
        latest = max([seq, current.seq, *(message.seq for message in messages)])
        oldest = await store.oldest(self.rt.storage, chat_id)
        return Transcript(latest, messages, toasts, oldest)

    async def file(self, session: Session, message_id: int) -> tuple[str, bytes] | None:
        return await store.file_of(self.rt.storage, session.chat_id, message_id)

    def online(self, chat_id: int) -> bool:
        """The page is open: a long poll waits, or one ended moments ago."""
        if self._waiting.get(chat_id):
            return True
        polled = self._polled.get(chat_id)
        return polled is not None and self.rt.now() - polled < ONLINE_FOR

    async def reads_later(self, chat_id: int) -> bool:
        """The person will see a message only on their next visit: no page is open and no
        notification reaches them."""
        if self.online(chat_id):
            return False
        session = await store.by_chat(self.rt.storage, chat_id)
        return session is not None and (session.push is None or self.push is None)

    async def tell_reads_later(self, chat_id: int) -> bool:
        """Whether to tell the sender that this person reads later: once per absence (their
        next visit starts a new one)."""
        if chat_id in self._told_later or not await self.reads_later(chat_id):
            return False
        self._told_later.add(chat_id)
        return True

    def _wake(self, chat_id: int) -> None:
        for waiter in self._waiting.get(chat_id, ()):
            if not waiter.done():
                waiter.set_result(None)

    # -- notifications -------------------------------------------------------------------------

    async def subscribe(self, session: Session, subscription: dict[str, Any] | None) -> None:
        await store.set_push(self.rt.storage, session.chat_id, subscription)

    def _maybe_push(self, chat_id: int, text: str) -> None:
        if self.push is None or self.online(chat_id):
            return
        now = self.rt.now()
        last = self._pushed.get(chat_id)
        if last is not None and now - last < PUSH_EVERY:
            return
        self._pushed[chat_id] = now
        task = asyncio.create_task(self._push(chat_id, text), name="web:push")
        self._push_tasks.add(task)
        task.add_done_callback(self._push_tasks.discard)

    async def _push(self, chat_id: int, text: str) -> None:
        from bot.web.push import PushOutcome, PushSubscription, first_line

        assert self.push is not None
        try:
            session = await store.by_chat(self.rt.storage, chat_id)
            if session is None or session.push is None:
                return
            subscription = PushSubscription.from_json(session.push, allow_http=self.push_allow_http)
            t = self.rt.translator(session.language)
            outcome = await self.push.send(
                subscription, t._("New message"), first_line(text), self.base_path + "/"
            )
            if outcome is PushOutcome.GONE:
                await store.set_push(self.rt.storage, chat_id, None)
        except Exception as exc:  # a notification is a courtesy: the transcript has the message
            log.warning("web push failed (%s)", type(exc).__name__)

    async def notified(self) -> None:
        """Return once the notifications being sent are done (tests, and a clean stop)."""
        while self._push_tasks:
            await asyncio.gather(*list(self._push_tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._push_tasks):
            task.cancel()
        for waiters in self._waiting.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
        if self.push is not None:
            await self.push.close()


def _callback_data(markup: dict[str, Any] | None) -> set[str]:
    if not markup:
        return set()
    return {
        button["callback_data"]
        for row in markup.get("inline_keyboard", [])
        for button in row
        if isinstance(button, dict) and isinstance(button.get("callback_data"), str)
    }
