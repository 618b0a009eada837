"""The HTTP face of the fake Bot API: ``/bot<token>/<method>`` on loopback, served by aiohttp.

Start it, then give a bot process ``base_url=server.base_url`` (PTB appends the token):

    server = FakeBotApiServer(fake)
    await server.start()
    bot = telegram.Bot(fake.token, base_url=server.base_url)

aiohttp (through `bot.http.server`) speaks HTTP: keep-alive, chunked bodies, and a 400 for a
request it cannot parse. Here a request becomes a Bot API call: parameters from the query
string and from an ``application/json``, ``application/x-www-form-urlencoded`` or
``multipart/form-data`` body (a file part becomes an ``UploadedFile``: name, type, size), and
the core validates them against the spec. Answers are Telegram's envelopes with Telegram's
status codes; a body that cannot be read answers 400, a wrong token 401 ``Unauthorized``.
Each request is answered on its own, so a long poll never holds up other requests, and
`stop` ends the long polls still open. An injected time-out holds the connection for
``Fault.delay`` seconds and then closes it without an answer: a client whose read timeout is
shorter sees a read time-out (PTB: ``TimedOut``), a patient one sees the connection dropped
(PTB: ``NetworkError``).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from aiohttp import web

from bot.fakebot.core import FakeTelegram
from bot.fakebot.errors import InjectedTimeout
from bot.fakebot.spec import UploadedFile
from bot.http.server import LimitedServer, Listener

log = logging.getLogger(__name__)

MAX_BODY = 60 * 1024 * 1024  # Telegram takes uploads up to 50 MB


class _Unreadable(Exception):
    """The body cannot be read as Bot API parameters."""


def _envelope(error_code: int, description: str) -> web.Response:
    body = {"ok": False, "error_code": error_code, "description": description}
    return web.json_response(body, status=error_code)


class FakeBotApiServer(Listener):
    """Serves a ``FakeTelegram`` over HTTP on loopback; see the module docstring."""

    def __init__(self, core: FakeTelegram, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(LimitedServer(self._answer, name="fake Bot API"), host, port)
        self.core = core

    @property
    def base_url(self) -> str:
        """The value for PTB's ``base_url`` (it appends the token and the method)."""
        return f"http://{self.host}:{self.port}/bot"

    async def __aenter__(self) -> FakeBotApiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _answer(self, request: web.BaseRequest) -> web.StreamResponse:
        parts = request.path.split("/")
        if len(parts) != 3 or parts[0] or not parts[1].startswith("bot"):
            return _envelope(404, "Not Found")
        if parts[1].removeprefix("bot") != self.core.token:
            return _envelope(401, "Unauthorized")
        try:
            params: dict[str, Any] = dict(request.query)
            params.update(await _body_params(request.clone(client_max_size=MAX_BODY)))
        except _Unreadable as exc:
            return _envelope(400, f"Bad Request: {exc}")
        except web.HTTPException as exc:  # aiohttp's own refusal: 413 for a body too large
            return _envelope(exc.status, exc.reason)
        try:
            status, body = await self.core.call_wire(parts[2], params)
        except InjectedTimeout as exc:
            await asyncio.sleep(exc.delay)
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=504)  # never sent: the connection is already closed
        except Exception:
            log.exception("the fake Bot API failed to answer %s", parts[2])
            return _envelope(500, "Internal Server Error: the fake failed; see its log")
        return web.Response(status=status, body=body, content_type="application/json")


async def _body_params(request: web.BaseRequest) -> dict[str, Any]:
    """The parameters in the body, as the client sent them (the core coerces and checks)."""
    if not request.body_exists:
        return {}
    kind = request.content_type
    if kind == "application/json":
        try:
            data = await request.json()
        except ValueError:
            raise _Unreadable("can't parse JSON body") from None
        if not isinstance(data, dict):
            raise _Unreadable("JSON body must be an object")
        return data
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise _Unreadable(f"unsupported Content-Type {kind}")
    try:
        form = await request.post()
    except ValueError as exc:  # a part without a name, a broken boundary, bad encoding
        raise _Unreadable(f"can't parse the form ({exc})") from None
    params: dict[str, Any] = {}
    for name, value in form.items():
        if isinstance(value, web.FileField):
            params[name] = UploadedFile(
                value.filename, value.headers.get("Content-Type"), _size(value)
            )
        elif isinstance(value, bytes | bytearray):
            params[name] = bytes(value).decode("utf-8", "replace")
        else:
            params[name] = value
    return params


def _size(upload: web.FileField) -> int:
    """The file's size; the fake keeps its name and size, never its bytes."""
    with upload.file:
        return upload.file.seek(0, os.SEEK_END)
