"""The in-memory Telegram behind both faces of the fake Bot API.

``FakeTelegram.call(method, params)`` validates a request against the specification
(``spec.py``), applies injected faults and the flood limit, performs it on the in-memory
state and answers with Telegram's envelope. ``fake.user(...)`` and ``fake.group(...)`` give
the people and group chats a test acts as; what they do becomes pending updates that the bot
receives through ``getUpdates``.

Flood limit (``flood_limit=True``): every send-like call (a method whose name starts with
``send``, ``copy``, ``forward`` or ``edit``) takes one token from a bucket that holds at most
30 tokens and refills at 30 tokens a second of real (monotonic) time, so a burst of 30 passes
and then about 30 a second. ``flood_clock`` replaces that clock (seconds as a float), so a test
can freeze or step time instead of racing the real one. A call that finds the bucket empty is
refused with 429 ``Too Many Requests: retry after N`` and ``parameters.retry_after`` = N whole
seconds (>= 1).

Faults (``inject``) apply after validation, before anything happens, and match by method
and/or ``chat_id``; each injection is used up after ``times`` matching calls. A time-out
raises ``InjectedTimeout`` from ``call``: the ``BaseRequest`` face turns it into
``telegram.error.TimedOut``, the HTTP face holds the connection for ``Fault.delay`` seconds and
then closes it without answering. ``Fault.timeout(performed=True)`` performs the call first,
like a request whose answer was lost on the way back.

All state lives in one event loop's thread; user actions may come from another thread only
through ``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from bot.fakebot.actors import FakeChat, FakeUser
from bot.fakebot.errors import ApiError, InjectedTimeout
from bot.fakebot.formatting import command_entities, format_text
from bot.fakebot.spec import BotApiSpec, UploadedFile
from bot.fakebot.spec import json_copy as _copy

__all__ = ["FakeChat", "FakeTelegram", "FakeUser", "Fault", "RecordedCall"]

FLOOD_RATE = 30.0
FLOOD_BURST = 30
_SEND_PREFIXES = ("send", "copy", "forward", "edit")
# deleteMessage(s): a bot may delete a message only within 48 hours of sending; Telegram answers
# an older one with this description (as reported for private chats), and deleteMessages takes
# at most 100 ids.
DELETE_WINDOW_SECONDS = 48 * 3600
DELETE_MESSAGES_LIMIT = 100
_CANT_DELETE_FOR_EVERYONE = "Bad Request: message can't be deleted for everyone"
_BLOCKED = "Forbidden: bot was blocked by the user"
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are"
    " exactly the same as a current content and reply markup of the message"
)
_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVoice": "voice",
    "sendSticker": "sticker",
    "sendVideo": "video",
    "sendAudio": "audio",
    "sendAnimation": "animation",
    "sendVideoNote": "video_note",
}
_FILE_DEFAULTS: dict[str, dict[str, Any]] = {
    "document": {"file_name": "file", "mime_type": "application/octet-stream"},
    "voice": {"duration": 3, "mime_type": "audio/ogg"},
    "sticker": {
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "🙂",
    },
    "video": {"width": 640, "height": 360, "duration": 5},
    "audio": {"duration": 30},
    "animation": {"width": 320, "height": 240, "duration": 2},
    "video_note": {"length": 240, "duration": 5},
}
_COPIED_CONTENT = (
    "text",
    "entities",
    "photo",
    *_FILE_DEFAULTS,
    "location",
    "contact",
    "venue",
    "dice",
)
_OTHER_POLL = "other getUpdates request; make sure that only one bot instance is running"
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_HTTPS_REQUIRED = "An HTTPS URL must be provided for webhook"
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass
class RecordedCall:
    """One request the bot made: its method, coerced params and whether Telegram took it."""

    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None = None
    description: str | None = None
    fault: str | None = None


@dataclass(frozen=True)
class Fault:
    """A failure to inject; build one with the class methods."""

    kind: str
    error_code: int = 0
    description: str = ""
    retry_seconds: int | None = None
    delay: float = 30.0
    performed: bool = False

    @classmethod
    def forbidden(cls, description: str = _BLOCKED) -> Fault:
        """403, as when the user blocked the bot."""
        return cls("error", 403, description)

    @classmethod
    def retry_after(cls, seconds: int) -> Fault:
        """429 flood control with ``parameters.retry_after``."""
        return cls("error", 429, f"Too Many Requests: retry after {seconds}", seconds)

    @classmethod
    def timeout(cls, *, delay: float = 30.0, performed: bool = False) -> Fault:
        """No answer: ``TimedOut`` in process; over HTTP the connection hangs ``delay`` s."""
        return cls("timeout", delay=delay, performed=performed)

    @classmethod
    def server_error(cls, status: int = 502) -> Fault:
        """A 5xx from Telegram's side (502 "Bad Gateway" unless told otherwise)."""
        return cls("error", status, HTTPStatus(status).phrase)

    @classmethod
    def error(cls, error_code: int, description: str) -> Fault:
        """Any other Telegram error envelope."""
        return cls("error", error_code, description)

    def to_api_error(self) -> ApiError:
        return ApiError(self.error_code, self.description, self.retry_seconds)


@dataclass
class _Injection:
    fault: Fault
    method: str | None
    chat_id: int | str | None
    remaining: int


@dataclass
class _Chat:
    info: dict[str, Any]
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_message_id: int = 1
    blocked: bool = False
    started: bool = True
    members: dict[int, FakeUser] = field(default_factory=dict)
    reply_keyboard: dict[str, Any] | None = None
    menu_button: dict[str, Any] | None = None
    # The bot left (leaveChat) this group or channel: it gets no updates and cannot send.
    left: bool = False


@dataclass
class _Query:
    user: FakeUser
    answered: bool = False


class _TokenBucket:
    """Telegram's overall flood limit: ``FLOOD_BURST`` tokens refilled at ``FLOOD_RATE``/s."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens = float(FLOOD_BURST)
        self._last = clock()

    def take(self) -> int:
        """Take a token; return 0, or the whole seconds to wait when none is left."""
        now = self._clock()
        self._tokens = min(FLOOD_BURST, self._tokens + (now - self._last) * FLOOD_RATE)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0
        return max(1, math.ceil((1 - self._tokens) / FLOOD_RATE))


class FakeTelegram:
    """A strict, in-memory Telegram for one bot; see the module docstring."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-TOKEN",
        bot_id: int = 123456,
        bot_username: str = "peerbot_test_bot",
        bot_first_name: str = "Peer Bot",
        flood_limit: bool = False,
        flood_clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
        spec: BotApiSpec | None = None,
    ) -> None:
        self.token = token
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.spec = spec or BotApiSpec.default()
        self.calls: list[RecordedCall] = []
        self._now = now or (lambda: datetime.now(UTC))
        self._bucket = _TokenBucket(flood_clock) if flood_limit else None
        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, FakeUser] = {}
        self._groups: dict[int, FakeChat] = {}
        self._migrated: dict[int, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._poll_generation = 0
        self._poll_terminated_by = ""
        self._webhook: dict[str, Any] | None = None
        self._commands: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        self._default_menu_button: dict[str, Any] = {"type": "default"}
        self._queries: dict[str, _Query] = {}
        self._next_query = 4_200_000_000_000_000_001
        self._files: dict[str, tuple[str, Any]] = {}
        self._next_file = 1
        self._injections: list[_Injection] = []
        self._listeners: list[Callable[[], None]] = []
        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "getChat": self._get_chat,
            "sendChatAction": self._send_chat_action,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "getFile": self._get_file,
            "leaveChat": self._leave_chat,
        }

    # ----- the Bot API -------------------------------------------------------------------

    async def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Answer one Bot API request with Telegram's envelope (a copy the caller may keep).

        Raises ``InjectedTimeout`` when a time-out fault matches.
        """
        return json.loads(json.dumps(await self._call(method, params)))

    async def call_wire(self, method: str, params: dict[str, Any]) -> tuple[int, bytes]:
        """Answer as the wire does: HTTP status (the error code, 200 when ok) and JSON bytes."""
        envelope = await self._call(method, params)
        status = 200 if envelope["ok"] else envelope["error_code"]
        return status, json.dumps(envelope, ensure_ascii=False).encode()

    async def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        name, coerced, fault_kind = method, params, None
        try:
            name = self.spec.canonical_method(method)
            coerced = self.spec.validate(name, params)
            fault = self._take_fault(name, coerced)
            if fault is not None:
                fault_kind = fault.kind
                if fault.kind == "timeout":
                    if fault.performed:
                        await self._perform(name, coerced)
                    self._record(name, coerced, fault.performed, fault="timeout")
                    raise InjectedTimeout(fault.delay)
                raise fault.to_api_error()
            if self._bucket is not None and name.lower().startswith(_SEND_PREFIXES):
                wait = self._bucket.take()
                if wait:
                    raise ApiError(429, f"Too Many Requests: retry after {wait}", wait)
            result = await self._perform(name, coerced)
        except ApiError as exc:
            self._record(name, coerced, False, exc, fault=fault_kind)
            return exc.envelope()
        self._record(name, coerced, True)
        if name != "getUpdates":
            self._changed()
        return {"ok": True, "result": result}

    async def _perform(self, name: str, params: dict[str, Any]) -> Any:
        """Run the handler; its result may share the fake's state, so callers serialize it."""
        handler = self._handlers.get(name)
        if handler is None:
            if name in _MEDIA_METHODS or (
                name.startswith("send") and self.spec.returns.get(name) == ("Message",)
            ):
                return self._send_other(name, params)
            return True
        result = handler(params)
        return await result if inspect.isawaitable(result) else result

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        ok: bool,
        error: ApiError | None = None,
        *,
        fault: str | None = None,
    ) -> None:
        self.calls.append(
            RecordedCall(
                method,
                params,
                ok,
                error.error_code if error else None,
                error.description if error else None,
                fault,
            )
        )

    # ----- test controls -----------------------------------------------------------------

    def inject(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls matching ``method`` and/or ``chat_id`` fail."""
        self._injections.append(
            _Injection(fault, method.lower() if method else None, chat_id, times)
        )

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` whenever what a chat shows may have changed: after every
        successful Bot API call except ``getUpdates``, and after every user action. It runs in
        the fake's thread and must not call back into the fake (the sandbox sets an event)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def clear_faults(self) -> None:
        """Forget every injected fault that has not fired yet (the network is healthy again)."""
        self._injections.clear()

    def _take_fault(self, name: str, params: dict[str, Any]) -> Fault | None:
        for injection in self._injections:
            if injection.method is not None and injection.method != name.lower():
                continue
            if injection.chat_id is not None and params.get("chat_id") != injection.chat_id:
                continue
            injection.remaining -= 1
            if injection.remaining <= 0:
                self._injections.remove(injection)
            return injection.fault
        return None

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        language_code: str | None = "da",
        username: str | None = None,
        started: bool = True,
    ) -> FakeUser:
        """Return the person with this id, creating them (and their private chat) if new.

        ``started=False`` makes a person who never opened the bot: sends to them fail with 403
        until they send something.
        """
        if user_id in self._users:
            return self._users[user_id]
        person = FakeUser(self, user_id, first_name, language_code=language_code, username=username)
        info = {"id": user_id, "type": "private", "first_name": first_name}
        if username:
            info["username"] = username
        self._chats[user_id] = _Chat(info, started=started)
        self._users[user_id] = person
        return person

    def group(self, chat_id: int, title: str) -> FakeChat:
        """Return the group with this (negative) id, creating it with the bot as a member."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        if chat_id not in self._groups:
            kind = "supergroup" if str(chat_id).startswith("-100") else "group"
            self._chats[chat_id] = _Chat({"id": chat_id, "type": kind, "title": title})
            self._groups[chat_id] = FakeChat(self, chat_id, title)
        return self._groups[chat_id]

    def channel(self, chat_id: int, title: str) -> FakeChat:
        """Return the channel with this (negative) id, creating it with the bot as a member."""
        if chat_id >= 0:
            raise ValueError("channel ids are negative")
        if chat_id not in self._groups:
            self._chats[chat_id] = _Chat({"id": chat_id, "type": "channel", "title": title})
            self._groups[chat_id] = FakeChat(self, chat_id, title)
        return self._groups[chat_id]

    def long_polls_waiting(self) -> int:
        """How many ``getUpdates`` calls are waiting for an update: a test waits for this
        instead of sleeping on the wall clock and hoping the poll has started."""
        return len(self._waiters)

    def push_raw_update(self, kind: str, payload: Any) -> dict[str, Any]:
        """Deliver an update of any shape (a malformed one too) with the next update_id, as
        Telegram would if its format changed under the bot: for tests of bad updates."""
        return self._push_update(kind, payload)

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a ``getUpdates`` offset, oldest first."""
        return _copy(self._updates)

    def unanswered_queries(self) -> list[str]:
        """Ids of callback queries the bot has not answered (every press deserves an answer)."""
        return [query_id for query_id, query in self._queries.items() if not query.answered]

    def calls_to(self, method: str) -> list[RecordedCall]:
        """The recorded calls of one method (case-insensitive)."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    @property
    def webhook(self) -> dict[str, Any] | None:
        """The webhook set by the bot (``url``, ``secret_token``, ...), or None."""
        return dict(self._webhook) if self._webhook else None

    # ----- state used by the actors --------------------------------------------------------

    def _timestamp(self) -> int:
        return int(self._now().timestamp())

    def _chat_state(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise AssertionError(f"chat {chat_id} does not exist (any more) in the fake")
        return chat

    def _is_bot_message(self, message: dict[str, Any]) -> bool:
        return message.get("from", {}).get("id") == self.bot_user["id"]

    def _push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._updates.append(update)
        self._wake()
        self._changed()
        return update

    def _wake(self) -> None:
        for loop, event in list(self._waiters):
            if loop.is_closed():
                self._waiters.discard((loop, event))
            else:
                loop.call_soon_threadsafe(event.set)

    def _store(
        self, chat: _Chat, sender: dict[str, Any] | None, content: dict[str, Any]
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": chat.next_message_id,
            "date": self._timestamp(),
            "chat": dict(chat.info),
        }
        if sender is not None:
            message["from"] = dict(sender)
        message.update(content)
        chat.messages[message["message_id"]] = message
        chat.next_message_id += 1
        return message

    def _user_message(
        self,
        person: FakeUser,
        chat_id: int,
        content: dict[str, Any],
        reply_to: int | None,
    ) -> dict[str, Any]:
        chat = self._acting_chat(person, chat_id)
        if reply_to is not None:
            original = chat.messages.get(reply_to)
            if original is None:
                raise AssertionError(f"no message {reply_to} to reply to in this chat")
            content = {**content, "reply_to_message": _without_reply(original)}
        if chat.reply_keyboard and chat.reply_keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        chat.started = True
        message = self._store(chat, person.as_dict(), content)
        self._push_update("message", _copy(message))
        return _copy(message)

    def _user_edit(self, person: FakeUser, message_id: int, text: str) -> dict[str, Any]:
        """The person edits the text of one of their own messages in their private chat."""
        chat = self._acting_chat(person, person.id)
        message = chat.messages.get(message_id)
        if message is None or message.get("from", {}).get("id") != person.id:
            raise AssertionError(f"no message {message_id} of this person to edit")
        if "text" not in message:
            raise AssertionError("only a text can be edited this way")
        message["text"] = text
        message.pop("entities", None)
        message["edit_date"] = self._timestamp()
        self._push_update("edited_message", _copy(message))
        return _copy(message)

    def _acting_chat(self, person: FakeUser, chat_id: int) -> _Chat:
        """The chat a person acts in, if they can act there at all."""
        chat = self._chat_state(chat_id)
        if chat.blocked:
            raise AssertionError("this user blocked the bot; call unblock() first")
        if chat_id < 0 and person.id not in chat.members:
            raise AssertionError("the user is not a member of this group; add_member() first")
        if chat.left:
            raise AssertionError("the bot left this group; add_bot() first")
        return chat

    def _press(
        self, person: FakeUser, chat_id: int, message_id: int, data: str, forge: bool
    ) -> str:
        chat = self._acting_chat(person, chat_id)
        message = chat.messages.get(message_id)
        if not forge:
            if message is None or not self._is_bot_message(message):
                raise AssertionError(f"no bot message {message_id} in this chat")
            if data not in _callback_data(message):
                raise AssertionError(
                    f"message {message_id} has no button with this callback_data; "
                    "pass forge=True to send it anyway"
                )
        query_id = str(self._next_query)
        self._next_query += 1
        self._queries[query_id] = _Query(person)
        shown = (
            _copy(message)
            if message is not None
            else {"chat": dict(chat.info), "message_id": message_id, "date": 0}
        )
        query = {
            "id": query_id,
            "from": person.as_dict(),
            "message": shown,
            "chat_instance": str(abs(chat_id) * 7919 + self.bot_user["id"]),
            "data": data,
        }
        self._push_update("callback_query", query)
        return query_id

    def _set_blocked(self, person: FakeUser, blocked: bool) -> None:
        chat = self._chat_state(person.id)
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        member = {"user": dict(self.bot_user), "status": "member"}
        kicked = {"user": dict(self.bot_user), "status": "kicked", "until_date": 0}
        old_member, new_member = (member, kicked) if blocked else (kicked, member)
        self._push_update(
            "my_chat_member",
            {
                "chat": dict(chat.info),
                "from": person.as_dict(),
                "date": self._timestamp(),
                "old_chat_member": old_member,
                "new_chat_member": new_member,
            },
        )

    def _bot_membership(self, chat: _Chat, by: dict[str, Any], old: str, new: str) -> None:
        """The bot's own membership of a group or channel changed: Telegram tells the bot."""
        self._push_update(
            "my_chat_member",
            {
                "chat": dict(chat.info),
                "from": by,
                "date": self._timestamp(),
                "old_chat_member": {"user": dict(self.bot_user), "status": old},
                "new_chat_member": {"user": dict(self.bot_user), "status": new},
            },
        )

    def _add_bot(self, group: FakeChat, by: FakeUser) -> None:
        chat = self._chat_state(group.chat_id)
        chat.left = False
        chat.members[by.id] = by
        self._bot_membership(chat, by.as_dict(), "left", "member")

    def _channel_post(self, channel: FakeChat, text: str) -> dict[str, Any]:
        chat = self._chat_state(channel.chat_id)
        if chat.left:
            raise AssertionError("the bot left this channel; add_bot() first")
        content: dict[str, Any] = {"text": text, "sender_chat": dict(chat.info)}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        message = self._store(chat, None, content)
        self._push_update("channel_post", _copy(message))
        return _copy(message)

    def _migrate(self, group: FakeChat, new_chat_id: int) -> FakeChat:
        old = self._chat_state(group.chat_id)
        if new_chat_id in self._chats:
            raise ValueError(f"chat {new_chat_id} already exists")
        supergroup = self.group(new_chat_id, group.title)
        self._chats[new_chat_id].members.update(old.members)
        self._push_update("message", self._store(old, None, {"migrate_to_chat_id": new_chat_id}))
        del self._chats[group.chat_id]
        del self._groups[group.chat_id]
        self._migrated[group.chat_id] = new_chat_id
        self._push_update(
            "message",
            self._store(self._chats[new_chat_id], None, {"migrate_from_chat_id": group.chat_id}),
        )
        return supergroup

    def _new_file(
        self,
        kind: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        size: int | None = None,
    ) -> Any:
        """Create a file as Telegram stores it; photos are a list of sizes."""
        number = self._next_file
        self._next_file += 1
        base = {"file_size": size if size is not None else 1000 + number}
        if kind == "photo":
            sizes = [
                {
                    **base,
                    "file_id": f"AgAC-fake-photo-{number}-{side}",
                    "file_unique_id": f"fp{number}{side}",
                    "width": side,
                    "height": side * 3 // 4,
                }
                for side in (320, 1280)
            ]
            for item in sizes:
                self._files[item["file_id"]] = ("photo", sizes)
            return _copy(sizes)
        item = {
            **_FILE_DEFAULTS[kind],
            **base,
            "file_id": f"BQAC-fake-{kind}-{number}",
            "file_unique_id": f"f{kind[:2]}{number}",
        }
        if file_name is not None:
            item["file_name"] = file_name
        if mime_type is not None:
            item["mime_type"] = mime_type
        self._files[item["file_id"]] = (kind, item)
        return _copy(item)

    # ----- chat lookup ---------------------------------------------------------------------

    def _chat(self, chat_id: int | str) -> _Chat:
        if isinstance(chat_id, str):
            username = chat_id.removeprefix("@").lower()
            for chat in self._chats.values():
                if str(chat.info.get("username", "")).lower() == username:
                    return chat
            raise ApiError(400, "Bad Request: chat not found")
        chat = self._chats.get(chat_id)
        if chat is not None:
            return chat
        if chat_id in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=self._migrated[chat_id],
            )
        raise ApiError(400, "Bad Request: chat not found")

    def _writable_chat(self, chat_id: int | str) -> _Chat:
        chat = self._chat(chat_id)
        if chat.left:
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        if chat.blocked:
            raise ApiError(403, _BLOCKED)
        if not chat.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _bot_message(self, params: dict[str, Any], missing: str) -> tuple[_Chat, dict[str, Any]]:
        if "chat_id" not in params or "message_id" not in params:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        chat = self._writable_chat(params["chat_id"])
        message = chat.messages.get(params["message_id"])
        if message is None:
            raise ApiError(400, f"Bad Request: {missing}")
        if not self._is_bot_message(message):
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat, message

    # ----- method handlers -----------------------------------------------------------------

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        self._terminate_polls(_OTHER_POLL)
        generation = self._poll_generation
        offset = params.get("offset", 0)
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        limit = min(max(params.get("limit", 100), 1), 100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(params.get("timeout", 0), 0)
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, f"Conflict: terminated by {self._poll_terminated_by}")
            remaining = deadline - loop.time()
            if self._updates or remaining <= 0:
                return self._updates[:limit]
            event = asyncio.Event()
            waiter = (loop, event)
            self._waiters.add(waiter)
            try:
                async with asyncio.timeout(remaining):
                    await event.wait()
            except TimeoutError:
                pass
            finally:
                self._waiters.discard(waiter)

    def _terminate_polls(self, by: str) -> None:
        self._poll_generation += 1
        self._poll_terminated_by = by
        self._wake()

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params["url"]
        if not url:
            return self._delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme != "https" and not (
            parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
        ):
            raise ApiError(400, f"Bad Request: bad webhook: {_HTTPS_REQUIRED}")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {
            key: params[key]
            for key in ("url", "secret_token", "allowed_updates", "max_connections", "ip_address")
            if key in params
        }
        self._terminate_polls("setWebhook request")
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = None
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        webhook = self._webhook or {}
        info: dict[str, Any] = {
            "url": webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        for key in ("allowed_updates", "max_connections", "ip_address"):
            if key in webhook:
                info[key] = webhook[key]
        return info

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[Any, ...]:
        scope = params.get("scope") or {"type": "default"}
        return (
            scope["type"],
            scope.get("chat_id"),
            scope.get("user_id"),
            params.get("language_code", ""),
        )

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = [
            {"command": item["command"], "description": item["description"]}
            for item in params["commands"]
        ]
        self._commands[self._commands_key(params)] = commands
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self._commands.get(self._commands_key(params), [])

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        text, entities = _formatted(params, "text", "entities")
        return self._bot_send(params, _text_content("text", text, entities))

    def _send_other(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._writable_chat(params["chat_id"])
        content: dict[str, Any] = {}
        kind = _MEDIA_METHODS.get(name)
        if kind is not None:
            content[kind] = self._file_for(kind, params[kind])
        elif name == "sendLocation":
            content["location"] = {"latitude": params["latitude"], "longitude": params["longitude"]}
        elif name == "sendContact":
            content["contact"] = {
                key: params[key] for key in ("phone_number", "first_name") if key in params
            }
        elif name == "sendDice":
            content["dice"] = {"emoji": params.get("emoji", "🎲"), "value": 1}
        if "caption" in params:
            caption, entities = _formatted(params, "caption", "caption_entities")
            content.update(_text_content("caption", caption, entities))
        return self._bot_send(params, content, chat=chat)

    def _file_for(self, kind: str, source: Any) -> Any:
        if isinstance(source, UploadedFile):
            return self._new_file(
                kind, file_name=source.file_name, mime_type=source.mime_type, size=source.size
            )
        known = self._files.get(source)
        if known is not None:
            if known[0] != kind:
                raise ApiError(
                    400,
                    f"Bad Request: can't use file of type {known[0].title()} as {kind.title()}",
                )
            return _copy(known[1])
        if source.startswith(("http://", "https://")):
            name = urlsplit(source).path.rsplit("/", 1)[-1] or None
            return self._new_file(kind, file_name=name if kind == "document" else None)
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _bot_send(
        self, params: dict[str, Any], content: dict[str, Any], *, chat: _Chat | None = None
    ) -> dict[str, Any]:
        chat = chat or self._writable_chat(params["chat_id"])
        content = dict(content)
        reply = self._reply_target(chat, params)
        if reply is not None:
            content["reply_to_message"] = reply
        if params.get("protect_content"):
            content["has_protected_content"] = True
        markup = params.get("reply_markup")
        if markup is not None:
            if markup.get("inline_keyboard"):
                content["reply_markup"] = markup
            elif "keyboard" in markup:
                chat.reply_keyboard = markup
            elif markup.get("remove_keyboard"):
                chat.reply_keyboard = None
        return self._store(chat, self.bot_user, content)

    def _reply_target(self, chat: _Chat, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if reply is None and "reply_to_message_id" in params:
            reply = {
                "message_id": int(params["reply_to_message_id"]),
                "allow_sending_without_reply": params.get("allow_sending_without_reply"),
            }
        if reply is None:
            return None
        source = chat if reply.get("chat_id") is None else self._chat(reply["chat_id"])
        original = source.messages.get(reply["message_id"])
        if original is None:
            allowed = reply.get("allow_sending_without_reply")
            if allowed in (True, "true", "True"):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return _without_reply(original) if source is chat else None

    def _source_content(self, params: dict[str, Any], missing: str) -> dict[str, Any]:
        original = self._chat(params["from_chat_id"]).messages.get(params["message_id"])
        if original is None:
            raise ApiError(400, f"Bad Request: {missing}")
        content = {key: _copy(original[key]) for key in _COPIED_CONTENT if key in original}
        if not content:
            raise ApiError(400, "Bad Request: message can't be copied")
        if "text" not in content:
            for key in ("caption", "caption_entities"):
                if key in original:
                    content[key] = _copy(original[key])
        return content

    def _copy_message(self, params: dict[str, Any]) -> dict[str, int]:
        content = self._source_content(params, "message to copy not found")
        if "caption" in params and "text" not in content:
            caption, entities = _formatted(params, "caption", "caption_entities")
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(_text_content("caption", caption, entities))
        return {"message_id": self._bot_send(params, content)["message_id"]}

    def _forward_message(self, params: dict[str, Any]) -> dict[str, Any]:
        content = self._source_content(params, "message to forward not found")
        original = self._chat(params["from_chat_id"]).messages[params["message_id"]]
        sender = original.get("from")
        if sender is not None:
            origin = {"type": "user", "sender_user": sender, "date": original["date"]}
        else:
            origin = {"type": "chat", "sender_chat": original["chat"], "date": original["date"]}
        content["forward_origin"] = _copy(origin)
        return self._bot_send(params, content)

    def _edit(
        self, params: dict[str, Any], changes: dict[str, Any], message: dict[str, Any]
    ) -> dict[str, Any]:
        markup = params.get("reply_markup")
        markup = markup if markup and markup.get("inline_keyboard") else None
        unchanged = all(message.get(key) == value for key, value in changes.items())
        if unchanged and message.get("reply_markup") == markup:
            raise ApiError(400, _NOT_MODIFIED)
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = self._timestamp()
        return message

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        _, message = self._bot_message(params, "message to edit not found")
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if "text" not in params:
            raise ApiError(400, "Bad Request: rich messages are not supported by the fake Bot API")
        text, entities = _formatted(params, "text", "entities")
        return self._edit(params, {"text": text, "entities": entities or None}, message)

    def _edit_message_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        _, message = self._bot_message(params, "message to edit not found")
        if "text" in message:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        caption, entities = _formatted(params, "caption", "caption_entities")
        changes = {"caption": caption or None, "caption_entities": entities or None}
        return self._edit(params, changes, message)

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        _, message = self._bot_message(params, "message to edit not found")
        return self._edit(params, {}, message)

    def _deletable(self, chat: _Chat, message: dict[str, Any]) -> None:
        """Telegram's limits on deleting: 48 hours, and in groups only the bot's own messages
        (the fake's bot is never a group administrator)."""
        if self._timestamp() - message["date"] >= DELETE_WINDOW_SECONDS:
            raise ApiError(400, _CANT_DELETE_FOR_EVERYONE)
        if chat.info["type"] != "private" and not self._is_bot_message(message):
            raise ApiError(400, "Bad Request: message can't be deleted")

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params["chat_id"])
        message = chat.messages.get(params["message_id"])
        if message is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        self._deletable(chat, message)
        del chat.messages[params["message_id"]]
        return True

    def _delete_messages(self, params: dict[str, Any]) -> bool:
        """All or nothing: unknown ids are skipped, but one message that may not be deleted
        (too old, or someone else's in a group) fails the whole call."""
        message_ids = params["message_ids"]
        if not message_ids:
            raise ApiError(400, "Bad Request: message identifiers are not specified")
        if len(message_ids) > DELETE_MESSAGES_LIMIT:
            raise ApiError(400, "Bad Request: too many message identifiers specified")
        if any(message_id <= 0 for message_id in message_ids):
            raise ApiError(400, "Bad Request: invalid message identifier specified")
        chat = self._chat(params["chat_id"])
        found = [chat.messages[m] for m in dict.fromkeys(message_ids) if m in chat.messages]
        for message in found:
            self._deletable(chat, message)
        for message in found:
            del chat.messages[message["message_id"]]
        return True

    def _leave_chat(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params["chat_id"])
        if chat.info["type"] == "private":
            raise ApiError(400, "Bad Request: chat member status can't be changed in private chats")
        if chat.left:
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        chat.left = True
        self._bot_membership(chat, dict(self.bot_user), "member", "left")
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query = self._queries.get(params["callback_query_id"])
        if query is None or query.answered:
            raise ApiError(400, _QUERY_INVALID)
        query.answered = True
        if params.get("text"):
            query.user.answered_callbacks.append(params["text"])
        return True

    def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        return {
            **chat.info,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._writable_chat(params["chat_id"])
        if params["action"] not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if "chat_id" in params:
            self._chat(params["chat_id"]).menu_button = button
        else:
            self._default_menu_button = button
        return True

    def _get_chat_menu_button(self, params: dict[str, Any]) -> dict[str, Any]:
        if "chat_id" in params:
            button = self._chat(params["chat_id"]).menu_button
            if button is not None:
                return button
        return self._default_menu_button

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        known = self._files.get(params["file_id"])
        if known is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        kind, item = known
        if kind == "photo":
            item = next(size for size in item if size["file_id"] == params["file_id"])
        return {
            "file_id": item["file_id"],
            "file_unique_id": item["file_unique_id"],
            "file_size": item["file_size"],
            "file_path": f"{kind}s/{item['file_unique_id']}",
        }


def _formatted(
    params: dict[str, Any], key: str, entities_key: str
) -> tuple[str, list[dict[str, Any]]]:
    """The text or caption of a request as Telegram stores it."""
    return format_text(params.get(key, ""), params.get("parse_mode"), params.get(entities_key))


def _text_content(key: str, text: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    content: dict[str, Any] = {key: text}
    if entities:
        content["entities" if key == "text" else "caption_entities"] = entities
    return content


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    """A replied-to message as Telegram nests it: one level deep."""
    nested = _copy(message)
    nested.pop("reply_to_message", None)
    return nested


def _callback_data(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row if "callback_data" in button]
