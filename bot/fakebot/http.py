"""The HTTP face of the fake Bot API: ``/bot<token>/<method>`` on loopback, standard library only.

Start it, then give a bot process ``base_url=server.base_url`` (PTB appends the token):

    server = FakeBotApiServer(fake)
    await server.start()
    bot = telegram.Bot(fake.token, base_url=server.base_url)

HTTP/1.1 with keep-alive (PTB's httpx client reuses connections); bodies by Content-Length or
chunked, as ``application/json``, ``application/x-www-form-urlencoded`` or
``multipart/form-data``; query-string parameters are merged in. Each connection is its own
task, so a long poll never holds up other requests. A wrong token answers 401
``Unauthorized``. An injected time-out holds the connection for ``Fault.delay`` seconds and then
closes it without an answer: a client whose read timeout is shorter sees a read time-out
(PTB: ``TimedOut``), a patient one sees the connection dropped (PTB: ``NetworkError``).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from email.message import Message
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote

from bot.fakebot.core import FakeTelegram
from bot.fakebot.errors import InjectedTimeout
from bot.fakebot.spec import UploadedFile
from bot.loopback_server import LoopbackServer

MAX_BODY = 60 * 1024 * 1024


class _Malformed(Exception):
    """The bytes are not an HTTP request we can answer."""


@dataclass
class _Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


def _envelope(error_code: int, description: str) -> tuple[int, bytes]:
    body = {"ok": False, "error_code": error_code, "description": description}
    return error_code, json.dumps(body).encode()


class FakeBotApiServer(LoopbackServer):
    """Serves a ``FakeTelegram`` over HTTP on loopback; see the module docstring."""

    def __init__(self, core: FakeTelegram, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
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

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                request = await _read_request(reader)
            except _Malformed as exc:
                status, body = _envelope(400, f"Bad Request: {exc}")
                writer.write(_response(status, body, keep_alive=False))
                await writer.drain()
                break
            if request is None:
                break
            try:
                status, body = await self._answer(request)
            except InjectedTimeout as exc:
                await asyncio.sleep(exc.delay)
                break
            writer.write(_response(status, body, keep_alive=request.keep_alive))
            await writer.drain()
            if not request.keep_alive:
                break

    async def _answer(self, request: _Request) -> tuple[int, bytes]:
        path, _, query = request.target.partition("?")
        parts = unquote(path).split("/")
        if len(parts) != 3 or parts[0] or not parts[1].startswith("bot"):
            return _envelope(404, "Not Found")
        if parts[1].removeprefix("bot") != self.core.token:
            return _envelope(401, "Unauthorized")
        params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        try:
            params.update(_parse_body(request.headers.get("content-type", ""), request.body))
        except _Malformed as exc:
            return _envelope(400, f"Bad Request: {exc}")
        return await self.core.call_wire(parts[2], params)


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    """Read one request; None when the client closed the connection between requests."""
    line = await reader.readline()
    if not line.strip():
        return None
    try:
        method, target, version = line.decode("latin-1").split()
    except ValueError:
        raise _Malformed("malformed request line") from None
    headers: dict[str, str] = {}
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    else:
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            raise _Malformed("bad Content-Length") from None
        if not 0 <= length <= MAX_BODY:
            raise _Malformed("request body too large")
        body = await reader.readexactly(length)
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
    return _Request(method.upper(), target, headers, body, keep_alive)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.readline()
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError:
            raise _Malformed("bad chunk size") from None
        if size == 0:
            while (await reader.readline()).strip():
                pass
            return bytes(body)
        if len(body) + size > MAX_BODY:
            raise _Malformed("request body too large")
        body += await reader.readexactly(size)
        await reader.readexactly(2)


def _header_params(value: str, header: str) -> Message:
    """Parse a header with parameters (``; name="x"``) the way the email package does."""
    message = Message()
    message[header] = value
    return message


def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    header = _header_params(content_type, "content-type")
    kind = header.get_content_type()
    if kind == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            raise _Malformed("can't parse JSON body") from None
        if not isinstance(data, dict):
            raise _Malformed("JSON body must be an object")
        return data
    if kind == "multipart/form-data":
        boundary = header.get_param("boundary")
        if not isinstance(boundary, str) or not boundary:
            raise _Malformed("multipart body without boundary")
        return _parse_multipart(body, boundary.encode("latin-1"))
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _parse_multipart(body: bytes, boundary: bytes) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for section in body.split(b"--" + boundary)[1:]:
        if section.startswith(b"--"):
            break
        head, _, content = section.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition = _header_params(headers.get("content-disposition", ""), "content-disposition")
        name = disposition.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise _Malformed("multipart part without a name")
        file_name = disposition.get_param("filename", header="content-disposition")
        if isinstance(file_name, str):
            fields[name] = UploadedFile(file_name, headers.get("content-type"), len(content))
        else:
            fields[name] = content.decode("utf-8")
    return fields


def _response(status: int, body: bytes, *, keep_alive: bool) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body
