"""The in-process face of the fake Bot API: a PTB ``BaseRequest`` over a ``FakeTelegram``.

Pass ``FakeRequest(fake)`` as ``request`` and ``get_updates_request`` of a ``telegram.Bot`` or
an ``ApplicationBuilder``. Parameters travel as PTB would put them on the wire (every value a
string, uploads as file parts), so the spec's coercion is exercised as over HTTP. The HTTP
status equals Telegram's ``error_code``, so PTB raises its real ``Forbidden``, ``BadRequest``,
``RetryAfter``, ``Conflict`` and ``NetworkError``; an injected time-out raises ``TimedOut``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlsplit

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from bot.fakebot.core import FakeTelegram
from bot.fakebot.errors import InjectedTimeout
from bot.fakebot.spec import UploadedFile

_UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}


class FakeRequest(BaseRequest):
    """Sends PTB's requests to a ``FakeTelegram`` without a network."""

    def __init__(self, fake: FakeTelegram, *, read_timeout: float = 5.0) -> None:
        self.fake = fake
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open: there is no connection."""

    async def shutdown(self) -> None:
        """Nothing to close: there is no connection."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one request from the fake; the Bot API method is the URL's last segment."""
        *_, token_part, api_method = unquote(urlsplit(url).path).split("/")
        if token_part.removeprefix("bot") != self.fake.token:
            return 401, json.dumps(_UNAUTHORIZED).encode()
        params: dict[str, Any] = {}
        if request_data is not None:
            params.update(request_data.json_parameters)
            if request_data.contains_files:
                params.update(_uploads(request_data))
        try:
            return await self.fake.call_wire(api_method, params)
        except InjectedTimeout as exc:
            raise TimedOut("Timed out (injected by the fake Bot API)") from exc


def _uploads(request_data: RequestData) -> dict[str, UploadedFile]:
    """The uploaded files by part name; the fake keeps names and sizes, not contents."""
    files: dict[str, UploadedFile] = {}
    for part, (file_name, content, mime_type) in request_data.multipart_data.items():
        size = len(content) if isinstance(content, bytes) else None
        files[part] = UploadedFile(file_name or part, mime_type, size)
    return files
