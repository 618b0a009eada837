"""A person in the web chat, driven over real HTTP against the bot's own web chat listener.

Like `FakeUser` for Telegram, a `WebCitizen` does what the page does (start, write, press a
button, read what changed) and keeps the transcript as the page would show it. Misuse by a
test (pressing a button that is not there) raises ``AssertionError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.helpers.harness import Harness


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class WebCitizen:
    h: Harness
    session: aiohttp.ClientSession
    secret: str | None = None
    seq: int = 0
    transcript: dict[int, dict[str, Any]] = field(default_factory=dict)
    toasts: list[str] = field(default_factory=list)
    language: str = "da"  # the browser's language (Accept-Language)

    @property
    def base(self) -> str:
        assert self.h.web is not None, "the web chat is not on"
        return f"http://127.0.0.1:{self.h.web.port}{self.h.config.web_chat.path}"

    async def chat_id(self) -> int:
        """The chat id the bot knows this conversation by."""
        assert self.secret is not None and self.h.rt.web is not None
        session = await self.h.rt.web.find(self.secret)
        assert session is not None
        return session.chat_id

    async def call(self, method: str, path: str, body: Any = None, **query: str) -> Answer:
        headers = {"Accept-Language": self.language}
        if self.secret:
            headers["Authorization"] = f"Bearer {self.secret}"
        kwargs: dict[str, Any] = {"headers": headers, "params": query}
        if body is not None:
            kwargs["json"] = body
        async with self.session.request(method, self.base + path, **kwargs) as response:
            text = await response.text()
            try:
                parsed = await response.json(content_type=None) if text else {}
            except ValueError:
                parsed = {"raw": text}
            return Answer(response.status, parsed, dict(response.headers))

    async def start(self, language: str = "da", *, first: str | None = "/start") -> None:
        """What the start button does: a new conversation, then /start."""
        self.language = language
        answer = await self.call("POST", "/api/session", {"language": language})
        assert answer.status == 201, answer
        self.secret = answer.body["secret"]
        self.seq = 0
        self.transcript.clear()
        if first is not None:
            await self.write(first)

    async def write(self, text: str) -> Answer:
        answer = await self.call("POST", "/api/send", {"text": text})
        await self.h.settle()
        await self.read()
        return answer

    async def press(self, label: str) -> Answer:
        """Press the newest button whose text contains `label`."""
        for message in sorted(self.transcript.values(), key=lambda m: -m["id"]):
            for row in message["buttons"]:
                for button in row:
                    if label in button["text"] and "data" in button:
                        answer = await self.call(
                            "POST",
                            "/api/press",
                            {"message_id": message["id"], "data": button["data"]},
                        )
                        await self.h.settle()
                        await self.read()
                        return answer
        raise AssertionError(f"no button {label!r} in the web chat: {self.buttons}")

    async def read(self) -> Answer:
        answer = await self.call("GET", "/api/messages", after=str(self.seq))
        if answer.status == 200:
            for message in answer.body["messages"]:
                if message["deleted"]:
                    self.transcript.pop(message["id"], None)
                else:
                    self.transcript[message["id"]] = message
            oldest = answer.body["oldest"]
            for number in [n for n in self.transcript if oldest is None or n < oldest]:
                del self.transcript[number]  # erased (/delete): gone from the page at once
            self.seq = answer.body["seq"]
            self.toasts += answer.body["toasts"]
        return answer

    async def reload(self) -> None:
        """The page is loaded again: the whole transcript comes from the server."""
        self.seq = 0
        self.transcript.clear()
        await self.read()

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [self.transcript[k] for k in sorted(self.transcript)]

    @property
    def texts(self) -> list[str]:
        """The bot's messages, oldest first."""
        return [m["text"] for m in self.messages if m["from"] == "bot"]

    @property
    def buttons(self) -> list[str]:
        return [b["text"] for m in self.messages for row in m["buttons"] for b in row]

    @property
    def keyboard(self) -> list[list[str]] | None:
        """The quick replies the page shows: from the newest message that set them."""
        for message in reversed(self.messages):
            if message["keyboard"] is not None:
                return message["keyboard"]
        return None
