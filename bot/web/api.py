"""The web chat over HTTP: the page, its files and its small JSON API (see docs/web-chat.md).

Thin, like a handler: read the request, check the secret and the limits, call `WebChats`,
answer. Every answer carries a strict Content-Security-Policy (nothing but this server's own
files; framing only by the configured sites), and the client's address is used for the limits
in memory only: it is never logged or stored.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from typing import Any

from aiohttp import web
from babel.numbers import format_decimal

from bot.config import WebChatSettings
from bot.errors import PeerbotError
from bot.http.server import LimitedServer, Listener
from bot.i18n import LANGUAGES, Translator
from bot.runtime import Runtime
from bot.storage.web_chat import Session, WebMessage
from bot.web import page
from bot.web.chats import WebChats
from bot.web.limits import Window

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096  # as Telegram's
MAX_BODY = 64 * 1024
BODY_WITHIN = 10.0  # seconds to send a body once the request's head arrived
LONG_POLL = 25.0
MAX_CONNECTIONS = 2048  # each open page holds one long poll
# Path under the base -> (file in bot/web/static, type). The service worker is served from the
# base itself, so that its scope covers the page.
STATIC = {
    "static/chat.js": ("chat.js", "text/javascript"),
    "static/chat.css": ("chat.css", "text/css"),
    "sw.js": ("sw.js", "text/javascript"),
}
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10))  # keep tab and newline


class Refused(PeerbotError):
    """A request the web chat answers with an error the person can read."""

    def __init__(self, status: int, text: str, *, retry_after: timedelta | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.retry_after = retry_after


@dataclass
class Limits:
    messages: Window  # per conversation: what the person writes and presses
    requests: Window  # per address: every call
    conversations: Window  # per address: new conversations

    @classmethod
    def from_settings(cls, settings: WebChatSettings) -> Limits:
        return cls(
            messages=Window(settings.messages_per_minute, timedelta(minutes=1)),
            requests=Window(settings.requests_per_minute, timedelta(minutes=1)),
            conversations=Window(settings.new_conversations_per_hour, timedelta(hours=1)),
        )


class WebChatApp:
    """Routes one request; `handle` is what the HTTP server calls."""

    def __init__(self, chats: WebChats) -> None:
        self.chats = chats
        self.rt = chats.rt
        self.settings = self.rt.config.web_chat
        self.base = self.settings.path
        self.limits = Limits.from_settings(self.settings)
        self.security = _security_headers(self.settings)
        folder = resources.files("bot.web").joinpath("static")
        self.files = {
            path: folder.joinpath(name).read_bytes() for path, (name, _) in STATIC.items()
        }
        self.routes: dict[tuple[str, str], Callable[[web.BaseRequest], Awaitable[Any]]] = {
            ("POST", "/api/session"): self.new_session,
            ("GET", "/api/messages"): self.messages,
            ("POST", "/api/send"): self.send,
            ("POST", "/api/press"): self.press,
            ("POST", "/api/language"): self.language,
            ("POST", "/api/push"): self.subscribe,
            ("DELETE", "/api/push"): self.unsubscribe,
            ("POST", "/api/forget"): self.forget,
        }

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        try:
            response = await self._route(request)
        except Refused as refused:
            response = web.json_response({"error": refused.text}, status=refused.status)
            if refused.retry_after is not None:
                seconds = max(1, int(refused.retry_after.total_seconds() + 0.999))
                response.headers["Retry-After"] = str(seconds)
        except Exception as exc:
            log.error("web chat: a request failed (%s)", type(exc).__name__)
            t = self._translator(request, None)
            response = web.json_response(
                {"error": t._("Something went wrong on our side. Please try again in a moment.")},
                status=500,
            )
        response.headers.update(self.security)
        return response

    async def _route(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if path != self.base and not path.startswith(self.base + "/"):
            return web.Response(status=404, text="not found\n")
        rest = path[len(self.base) :]
        self._count_address(request)
        if rest in ("", "/") and request.method in ("GET", "HEAD"):
            return self.page(request)
        if rest.lstrip("/") in STATIC and request.method in ("GET", "HEAD"):
            name = rest.lstrip("/")
            return web.Response(
                body=self.files[name],
                content_type=STATIC[name][1],
                headers={"Cache-Control": "no-cache"},
            )
        if rest.startswith("/api/file/") and request.method == "GET":
            return await self.file(request, rest.removeprefix("/api/file/"))
        route = self.routes.get((request.method, rest))
        if route is None:
            return web.Response(status=404, text="not found\n")
        answer = await route(request)
        if isinstance(answer, web.StreamResponse):
            answer.headers["Cache-Control"] = "no-store"
            return answer
        status = 204 if answer is None else 202 if request.method == "POST" else 200
        if answer is None:
            response = web.Response(status=204)
        else:
            response = web.json_response(answer, status=status)
        response.headers["Cache-Control"] = "no-store"
        return response

    # -- the page ------------------------------------------------------------------------------

    def page(self, request: web.BaseRequest) -> web.Response:
        language = request.query.get("lang")
        if language not in LANGUAGES:
            language = _accepted_language(request.headers.get("Accept-Language", ""))
        t = self.rt.translator(language)
        return web.Response(
            text=page.render(t, base=self.base),
            content_type="text/html",
            headers={"Cache-Control": "no-store"},
        )

    # -- the API -------------------------------------------------------------------------------

    async def new_session(self, request: web.BaseRequest) -> web.Response:
        body = await self._json(request, None)
        language = body.get("language")
        t = self.rt.translator(language if language in LANGUAGES else None)
        wait = self.limits.conversations.allow(self._address(request), self.rt.now())
        if wait is not None:
            raise Refused(
                429,
                t._("Too many new conversations from your network. Please try again later."),
                retry_after=wait,
            )
        secret, _ = await self.chats.open(language if isinstance(language, str) else "")
        return web.json_response({"secret": secret}, status=201)

    async def messages(self, request: web.BaseRequest) -> dict[str, Any]:
        session = await self._session(request)
        after = _digits(request.query.get("after", "0")) or 0
        wait = LONG_POLL if request.query.get("wait") == "1" else 0
        transcript = await self.chats.since(session, after, wait=wait)
        push = self.chats.push
        return {
            "seq": transcript.seq,
            "messages": [self._message(message) for message in transcript.messages],
            "oldest": transcript.oldest,
            "toasts": transcript.toasts,
            "language": session.language,
            "push": {
                "key": push.public_key if push is not None else None,
                "subscribed": session.push is not None,
            },
        }

    async def send(self, request: web.BaseRequest) -> dict[str, Any]:
        session = await self._session(request)
        t = self.rt.translator(session.language)
        text = (await self._json(request, session)).get("text")
        if not isinstance(text, str):
            raise Refused(400, t._("Only text can be sent here."))
        # A lone surrogate (possible in JSON) cannot be stored as UTF-8: it becomes "?".
        text = text.encode("utf-8", "replace").decode("utf-8")
        text = text.replace("\r\n", "\n").translate(_CONTROL)
        if not text.strip():
            raise Refused(400, t._("Please write a message first."))
        if len(text) > TEXT_LIMIT:
            raise Refused(
                413,
                t._(
                    "That message is too long: at most {limit} characters fit in one message.",
                    limit=format_decimal(TEXT_LIMIT, locale=t.locale),
                ),
            )
        self._count_message(session, t)
        try:
            message_id = await self.chats.write(session, text)
        except LookupError as exc:
            raise self._gone(t) from exc
        return {"id": message_id}

    async def press(self, request: web.BaseRequest) -> None:
        session = await self._session(request)
        t = self.rt.translator(session.language)
        body = await self._json(request, session)
        message_id, data = body.get("message_id"), body.get("data")
        if _number(message_id) is None or not isinstance(data, str) or len(data) > 64:
            raise Refused(400, t._("That button is no longer valid."))
        self._count_message(session, t)
        if not await self.chats.press(session, message_id, data):
            raise Refused(400, t._("That button is no longer valid."))

    async def language(self, request: web.BaseRequest) -> None:
        session = await self._session(request)
        language = (await self._json(request, session)).get("language")
        if language not in LANGUAGES:
            t = self.rt.translator(session.language)
            raise Refused(400, t._("That language is not available."))
        await self.chats.set_language(session, language)

    async def subscribe(self, request: web.BaseRequest) -> None:
        from bot.web.push import BadSubscription, PushSubscription

        session = await self._session(request)
        t = self.rt.translator(session.language)
        if self.chats.push is None:
            raise Refused(404, t._("Notifications are not available here."))
        body = await self._json(request, session)
        try:
            subscription = PushSubscription.from_json(
                body.get("subscription"), allow_http=self.chats.push_allow_http
            )
        except BadSubscription as exc:
            raise Refused(400, t._("This browser's notifications could not be set up.")) from exc
        await self.chats.subscribe(session, subscription.to_json())

    async def unsubscribe(self, request: web.BaseRequest) -> None:
        session = await self._session(request)
        await self.chats.subscribe(session, None)

    async def forget(self, request: web.BaseRequest) -> None:
        session = await self._session(request)
        await self.chats.forget(session)

    async def file(self, request: web.BaseRequest, number: str) -> web.Response:
        session = await self._session(request)
        message_id = _digits(number)
        found = await self.chats.file(session, message_id) if message_id is not None else None
        if found is None:
            return web.Response(status=404, text="not found\n")
        name, body = found
        return web.Response(
            body=body,
            content_type="application/octet-stream",
            headers={
                "Content-Disposition": f'attachment; filename="{_safe_filename(name)}"',
                "Cache-Control": "no-store",
            },
        )

    # -- helpers -------------------------------------------------------------------------------

    def _message(self, message: WebMessage) -> dict[str, Any]:
        markup = message.markup or {}
        return {
            "id": message.message_id,
            "seq": message.seq,
            "from": "bot" if message.from_bot else "me",
            "text": message.text,
            "entities": message.entities,
            "buttons": _buttons(markup),
            "keyboard": _keyboard(markup),
            "file": (
                {"name": message.file_name, "url": f"{self.base}/api/file/{message.message_id}"}
                if message.file_name
                else None
            ),
            "date": message.sent_at.isoformat(),
            "deleted": message.deleted,
        }

    async def _session(self, request: web.BaseRequest) -> Session:
        header = request.headers.get("Authorization", "")
        secret = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        session = await self.chats.find(secret) if secret else None
        if session is None:
            raise self._gone(self._translator(request, None))
        return session

    def _gone(self, t: Translator) -> Refused:
        return Refused(
            401,
            t._(
                "This conversation is no longer on this device. You are welcome to start a new one."
            ),
        )

    async def _json(self, request: web.BaseRequest, session: Session | None) -> dict[str, Any]:
        t = self._translator(request, session)
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise Refused(413, t._("That is more than a message can hold."))
        # `read(n)` answers with what has arrived so far: a body the network delivers in
        # pieces is read piece by piece, to its end or just past the limit.
        # A deadline too: a body that drips in would hold its connection (and one of the
        # server's few) for as long as the sender likes.
        raw = b""
        try:
            async with asyncio.timeout(BODY_WITHIN):
                while len(raw) <= MAX_BODY:
                    piece = await request.content.read(MAX_BODY + 1 - len(raw))
                    if not piece:
                        break
                    raw += piece
        except TimeoutError:
            raise Refused(
                408, t._("Your message took too long to arrive. Please try again.")
            ) from None
        if len(raw) > MAX_BODY:
            raise Refused(413, t._("That is more than a message can hold."))
        try:
            body = json.loads(raw or b"{}")
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than any message
            body = None
        if not isinstance(body, dict):
            raise Refused(400, t._("Only text can be sent here."))
        return body

    def _count_address(self, request: web.BaseRequest) -> None:
        wait = self.limits.requests.allow(self._address(request), self.rt.now())
        if wait is not None:
            t = self._translator(request, None)
            raise Refused(
                429,
                t._("Too many requests from your network. Please wait a moment and try again."),
                retry_after=wait,
            )

    def _count_message(self, session: Session, t: Translator) -> None:
        wait = self.limits.messages.allow(session.chat_id, self.rt.now())
        if wait is not None:
            seconds = max(1, int(wait.total_seconds() + 0.999))
            raise Refused(
                429,
                t.ngettext(
                    "You are writing faster than the chat can take. "
                    "Please wait {n} second and try again.",
                    "You are writing faster than the chat can take. "
                    "Please wait {n} seconds and try again.",
                    seconds,
                ),
                retry_after=wait,
            )

    def _address(self, request: web.BaseRequest) -> str:
        """The client's address, for the limits only; behind the proxy, the hop it added."""
        if self.settings.behind_proxy:
            forwarded = request.headers.get("X-Forwarded-For", "")
            hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
            if hops:
                return hops[-1]
        return request.remote or "?"

    def _translator(self, request: web.BaseRequest, session: Session | None) -> Translator:
        if session is not None:
            return self.rt.translator(session.language)
        return self.rt.translator(_accepted_language(request.headers.get("Accept-Language", "")))


def _buttons(markup: dict[str, Any]) -> list[list[dict[str, str]]]:
    rows = []
    for row in markup.get("inline_keyboard", []):
        shown = []
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                continue
            if isinstance(button.get("callback_data"), str):
                shown.append({"text": button["text"], "data": button["callback_data"]})
            elif isinstance(button.get("url"), str):
                shown.append({"text": button["text"], "url": button["url"]})
        if shown:
            rows.append(shown)
    return rows


def _keyboard(markup: dict[str, Any]) -> list[list[str]] | None:
    if markup.get("remove_keyboard"):
        return []
    keyboard = markup.get("keyboard")
    if not isinstance(keyboard, list):
        return None
    return [
        [b["text"] if isinstance(b, dict) else str(b) for b in row]
        for row in keyboard
        if isinstance(row, list)
    ]


def _number(value: object) -> int | None:
    """A count or id from the page (a JSON number, or digits in a path or query): a whole
    number SQLite can hold, else None. A larger one, a digit such as "²" or a boolean would
    fail in the database or mean something else."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value < 2**63 else None


def _digits(text: str) -> int | None:
    return _number(int(text)) if text.isascii() and text.isdigit() else None


def _accepted_language(header: str) -> str | None:
    """The first of our languages in the browser's Accept-Language, by its order."""
    for part in header.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return None


def _safe_filename(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "._-") or "file"


def _security_headers(settings: WebChatSettings) -> dict[str, str]:
    ancestors = " ".join(settings.embed_origins) or "'none'"
    headers = {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; worker-src 'self'; manifest-src 'self'; base-uri 'none'; "
            f"form-action 'none'; frame-ancestors {ancestors}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if not settings.embed_origins:
        headers["X-Frame-Options"] = "DENY"
    return headers


async def start_web_chat(rt: Runtime, listen: str) -> Listener:
    """Serve the web chat on host:port (behind the organisation's TLS proxy)."""
    if rt.web is None:
        raise PeerbotError("the web chat was not started with the bot")
    host, _, port = listen.rpartition(":")
    app = WebChatApp(rt.web)
    listener = Listener(
        LimitedServer(app.handle, name="web_chat", max_connections=MAX_CONNECTIONS),
        host.strip("[]") or "127.0.0.1",
        int(port),
    )
    await listener.start()
    log.info("web chat on %s%s", listen, rt.config.web_chat.path)
    return listener
