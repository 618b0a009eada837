"""The sandbox's web server: the page, its state as JSON, actions, and live changes as events.

Standard library only, one short request per connection, except ``/api/events``: a stream of
server-sent events that sends the whole state after every change (and a comment line every
15 seconds so a dead connection is noticed).

    GET  /                            the page (one file, no outside resources)
    GET  /api/state                   the state as JSON
    GET  /api/events                  text/event-stream of "state" events
    POST /api/phones/<id>/send        {"text": "..."}
    POST /api/phones/<id>/press       {"message_id": 3, "data": "citizen:ask"}
    POST /api/phones/<id>/language    {"language": "en"}
    POST /api/phones/<id>/block       {"blocked": true}
    POST /api/phones                  {"role": "citizen" | "peer"}
    POST /api/clock/forward           {"minutes": 60}
    POST /api/reset                   {}

A POST must carry ``Content-Type: application/json``, which a foreign web page cannot send
without the browser asking first (and it gets no permission), and on loopback the ``Host``
header must name loopback, so a site the person visits cannot drive the sandbox.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from http import HTTPStatus
from importlib import resources
from typing import Any

from bot.loopback_server import LoopbackServer
from bot.sandbox.control import ActionError, Sandbox

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
HEAD_TIMEOUT = 10.0
PING_SECONDS = 15.0
COALESCE_SECONDS = 0.03
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
_PHONE_ACTION = re.compile(r"^/api/phones/(\d{1,12})/(send|press|language|block)$")


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def page() -> bytes:
    """The page as shipped inside the package."""
    return resources.files("bot.sandbox").joinpath("page.html").read_bytes()


class SandboxServer(LoopbackServer):
    def __init__(self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8080) -> None:
        super().__init__(host, port)
        self.sandbox = sandbox
        self._page = page()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(_read_request(reader), HEAD_TIMEOUT)
            self._check_host(request)
            if request.method == "GET" and request.path == "/api/events":
                await self._events(writer)
                return
            status, content_type, body = await self._answer(request)
        except _BadRequest as exc:
            status, content_type, body = _json(exc.status, {"error": str(exc)})
        except (TimeoutError, asyncio.IncompleteReadError):
            return
        except Exception:
            log.exception("sandbox request failed")
            status, content_type, body = _json(500, {"error": "the sandbox failed; see its log"})
        writer.write(_head(status, content_type, len(body)) + body)
        await writer.drain()

    def _check_host(self, request: _Request) -> None:
        if self.host not in LOOPBACK:
            return
        host = request.headers.get("host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name not in LOOPBACK:
            raise _BadRequest(421, "this sandbox answers only on loopback addresses")

    async def _answer(self, request: _Request) -> tuple[int, str, bytes]:
        if request.method == "GET":
            if request.path in ("/", "/index.html"):
                return 200, "text/html; charset=utf-8", self._page
            if request.path == "/api/state":
                return self._call(lambda: self.sandbox.state())
            if request.path == "/favicon.ico":
                return 204, "text/plain", b""
            raise _BadRequest(404, "not found")
        if request.method != "POST":
            raise _BadRequest(405, "use GET or POST")
        data = _json_body(request)
        return await self._post(request.path, data)

    async def _post(self, path: str, data: dict[str, Any]) -> tuple[int, str, bytes]:
        sandbox = self.sandbox
        try:
            if match := _PHONE_ACTION.match(path):
                phone_id, action = int(match[1]), match[2]
                if action == "send":
                    await sandbox.send_text(phone_id, data.get("text"))
                elif action == "press":
                    await sandbox.press(phone_id, data.get("message_id"), data.get("data"))
                elif action == "language":
                    await sandbox.set_language(phone_id, data.get("language"))
                else:
                    await sandbox.set_blocked(phone_id, data.get("blocked"))
                return _json(200, {"ok": True})
            if path == "/api/phones":
                return _json(200, {"ok": True, "id": await sandbox.add(data.get("role"))})
            if path == "/api/clock/forward":
                now = await sandbox.fast_forward(data.get("minutes"))
                return _json(200, {"ok": True, "now": now.isoformat()})
            if path == "/api/reset":
                await sandbox.reset()
                return _json(200, {"ok": True})
        except ActionError as exc:
            return _json(exc.status, {"error": str(exc)})
        raise _BadRequest(404, "not found")

    @staticmethod
    def _call(make: Any) -> tuple[int, str, bytes]:
        try:
            return _json(200, make())
        except ActionError as exc:
            return _json(exc.status, {"error": str(exc)})

    async def _events(self, writer: asyncio.StreamWriter) -> None:
        """Send the state now and after every change, until the page goes away."""
        writer.write(
            b"HTTP/1.1 200 OK\r\n"
            b"Content-Type: text/event-stream; charset=utf-8\r\n"
            b"Cache-Control: no-store\r\n"
            b"Connection: close\r\n"
            b"X-Accel-Buffering: no\r\n"
            b"\r\n"
            b"retry: 1000\n\n"
        )
        await writer.drain()
        seen = -1
        while True:
            if self.sandbox.version > seen:
                # A button press makes several changes in a row; send the picture once.
                await asyncio.sleep(COALESCE_SECONDS)
                seen = self.sandbox.version
                try:
                    state = json.dumps(self.sandbox.state(), ensure_ascii=False)
                except ActionError:
                    state = None
                if state is not None:
                    writer.write(f"event: state\ndata: {state}\n\n".encode())
                    await writer.drain()
            if not await self.sandbox.wait_for_change(seen, PING_SECONDS):
                writer.write(b": ping\n\n")
                await writer.drain()


async def _read_request(reader: asyncio.StreamReader) -> _Request:
    line = await reader.readline()
    try:
        method, target, _version = line.decode("latin-1").split()
    except ValueError:
        raise _BadRequest(400, "malformed request line") from None
    headers: dict[str, str] = {}
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        if len(headers) > 100:
            raise _BadRequest(431, "too many headers")
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError:
        raise _BadRequest(400, "bad Content-Length") from None
    if not 0 <= length <= MAX_BODY:
        raise _BadRequest(413, "request body too large")
    body = await reader.readexactly(length) if length else b""
    return _Request(method.upper(), target.split("?", 1)[0], headers, body)


def _json_body(request: _Request) -> dict[str, Any]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise _BadRequest(415, "send JSON (Content-Type: application/json)")
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise _BadRequest(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise _BadRequest(400, "the body must be a JSON object")
    return data


def _json(status: int, value: Any) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(value, ensure_ascii=False).encode()


def _head(status: int, content_type: str, length: int) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    lines = [
        f"HTTP/1.1 {status} {reason}",
        f"Content-Type: {content_type}",
        f"Content-Length: {length}",
        "Cache-Control: no-store",
        "X-Content-Type-Options: nosniff",
        "Referrer-Policy: no-referrer",
        f"Content-Security-Policy: {CSP}",
        "Connection: close",
        "",
        "",
    ]
    return "\r\n".join(lines).encode("latin-1")
