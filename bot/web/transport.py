"""Bot API calls addressed to a web chat never reach Telegram: they change its transcript.

Handlers, services and the outbox all end in the bot's `BaseRequest` (PTB's public network
interface, as `bot.telegram.sent` uses it too); `WebRouting` sits in front of the real one and
answers calls for web chats itself, with the answer Telegram would give: a Message for a sent
or edited message, True for a deletion or a callback answer, 403 "blocked" for a conversation
that was forgotten, 400 for a method the web chat does not have. Everything else passes on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.request import BaseRequest, RequestData

from bot.domain import is_web_chat
from bot.telegram.wrapped import Timeouts, WrappedRequest
from bot.web.chats import WebChats

log = logging.getLogger(__name__)

# What the web chat has no use for, answered True as Telegram would: menus are on the page.
_ACCEPTED = {"sendChatAction", "setMyCommands", "deleteMyCommands", "setChatMenuButton"}
_BLOCKED = (403, "Forbidden: bot was blocked by the user")


class WebRouting(WrappedRequest):
    """A request layer that keeps web chats' calls for `WebChats` and passes on the rest."""

    def __init__(self, inner: BaseRequest, chats: Callable[[], WebChats | None]) -> None:
        super().__init__(inner)
        self.chats = chats
        # Set by the application factory: a Bot API call made through the bot (for a web
        # chat's message copied to Telegram, which is sent again as text).
        self.resend: Callable[[str, dict[str, Any]], Awaitable[Any]] | None = None

    async def handle(
        self, url: str, method: str, request_data: RequestData | None, timeouts: Timeouts
    ) -> tuple[int, bytes]:
        chats = self.chats()
        if request_data is not None:
            endpoint = url.rsplit("/", 1)[-1]
            params = request_data.parameters
            if _for_web(endpoint, params):
                if chats is None:  # the web chat is off (or stopping): nobody can read it now
                    return _error(*_BLOCKED)
                return await _answer(chats, endpoint, params, request_data)
            if (
                chats is not None
                and endpoint == "copyMessage"
                and is_web_chat(params.get("from_chat_id"))
            ):
                return await self._copy_as_text(chats, params)
        return await self.pass_on(url, method, request_data, timeouts)

    async def _copy_as_text(self, chats: WebChats, params: dict[str, Any]) -> tuple[int, bytes]:
        """A web chat's message copied to Telegram (a message too long for the name line, a
        report): sent again as its text, which is all a web message has."""
        message = await chats.transcript_message(
            int(params["from_chat_id"]), int(params["message_id"])
        )
        if message is None or self.resend is None:
            return _error(400, "Bad Request: message to copy not found")
        copied = {k: v for k, v in params.items() if k not in ("from_chat_id", "message_id")}
        caption = copied.pop("caption", None)
        copied.pop("caption_entities", None)
        copied["text"] = f"{caption}\n{message.text}" if caption else message.text
        sent = await self.resend("sendMessage", copied)
        return _ok({"message_id": sent["message_id"]})


def _for_web(endpoint: str, params: dict[str, Any]) -> bool:
    if is_web_chat(params.get("chat_id")):
        return True
    if endpoint == "answerCallbackQuery":
        return str(params.get("callback_query_id", "")).startswith("web-")
    scope = _as_dict(params.get("scope"))
    return scope is not None and is_web_chat(scope.get("chat_id"))


async def _answer(
    chats: WebChats, endpoint: str, params: dict[str, Any], request_data: RequestData
) -> tuple[int, bytes]:
    chat_id = params.get("chat_id")
    if endpoint == "answerCallbackQuery":
        chat_id = int(str(params["callback_query_id"]).split("-")[1])
        if params.get("text"):
            chats.toast(chat_id, str(params["text"]))
        return _ok(True)
    if endpoint in _ACCEPTED:
        return _ok(True)
    assert isinstance(chat_id, int)
    markup = _as_dict(params.get("reply_markup"))
    if endpoint == "sendMessage":
        sent = await chats.bot_sends(
            chat_id, str(params.get("text", "")), _entities(params, "entities"), markup
        )
    elif endpoint == "sendDocument":
        sent = await chats.bot_sends(
            chat_id,
            str(params.get("caption", "")),
            _entities(params, "caption_entities"),
            markup,
            file=_document(request_data),
        )
    elif endpoint == "copyMessage":
        sent = await chats.bot_sends(chat_id, *await _copy_note(chats, chat_id, params), markup)
    elif endpoint in ("editMessageText", "editMessageCaption", "editMessageReplyMarkup"):
        # A caption is the text of a web message (a file's, or a picture's named in words),
        # so editing it (a peer's /delete withdrawing an old picture) edits that text.
        caption = endpoint == "editMessageCaption"
        text = params.get("caption" if caption else "text")
        text = None if endpoint == "editMessageReplyMarkup" else str(text or "")
        entities = _entities(params, "caption_entities" if caption else "entities")
        sent = await chats.bot_edits(chat_id, int(params["message_id"]), text, entities, markup)
        if sent is None and await chats.exists(chat_id):
            return _error(400, "Bad Request: message to edit not found")
    elif endpoint in ("deleteMessage", "deleteMessages"):
        ids = params.get("message_ids") or [params.get("message_id")]
        if not await chats.exists(chat_id):
            return _error(*_BLOCKED)
        if not await chats.bot_deletes(chat_id, [int(i) for i in ids if isinstance(i, int)]):
            return _error(400, "Bad Request: message to delete not found")
        return _ok(True)
    elif endpoint == "getChat":
        if not await chats.exists(chat_id):
            return _error(400, "Bad Request: chat not found")
        # The fields Telegram always gives (PTB requires them to read a ChatFullInfo).
        return _ok(
            {
                "id": chat_id,
                "type": "private",
                "first_name": "",
                "accent_color_id": 0,
                "max_reaction_count": 0,
            }
        )
    else:
        log.warning("the web chat has no %s; refused", endpoint)
        return _error(400, f"Bad Request: {endpoint} is not available in the web chat")
    if sent is None:
        return _error(*_BLOCKED)
    return _ok(chats.message_json(sent))


async def _copy_note(
    chats: WebChats, chat_id: int, params: dict[str, Any]
) -> tuple[str, list[dict[str, Any]]]:
    """A picture, voice message or file copied from Telegram: the web chat shows text only, so
    the person sees its caption (the sender's name) and a line saying what came."""
    t = chats.rt.translator(await chats.language_of(chat_id))
    caption = str(params.get("caption") or "")
    note = t._(
        "(Something was sent here that the web chat cannot show: a picture, a voice "
        "message or a file. Ask for it in words if you like.)"
    )
    text = f"{caption}\n{note}" if caption else note
    return text, _entities(params, "caption_entities")


def _document(request_data: RequestData) -> tuple[str, bytes] | None:
    for name, part in request_data.multipart_data.items():
        filename, content = part[0], part[1]
        if isinstance(content, bytes):
            return (filename or name), content
    return None


def _entities(params: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = params.get(key)
    if isinstance(value, str):
        value = json.loads(value)
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _as_dict(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def _ok(result: Any) -> tuple[int, bytes]:
    return 200, json.dumps({"ok": True, "result": result}).encode()


def _error(status: int, description: str) -> tuple[int, bytes]:
    return status, json.dumps(
        {"ok": False, "error_code": status, "description": description}
    ).encode()
