"""The sandbox's web server: the page, its state as JSON, actions, and live changes as events.

Served by aiohttp through `bot.http.server` (keep-alive, limits, a 400 for a request it cannot
parse). ``/api/events`` is a stream of server-sent events that sends the whole state after
every change (and a comment line every 15 seconds so a dead connection is noticed); stopping
the server ends it.

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
    /chat/...                         the web chat (bot.web.api), shown in an iframe on the page

A POST must carry ``Content-Type: application/json``, which a foreign web page cannot send
without the browser asking first (and it gets no permission), and on loopback the ``Host``
header must name loopback, so a site the person visits cannot drive the sandbox.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from importlib import resources
from typing import Any

from aiohttp import web

from bot.http.server import LimitedServer, Listener
from bot.sandbox.control import ActionError, Sandbox

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
PING_SECONDS = 15.0
COALESCE_SECONDS = 0.03
WEB_CHAT = "/chat"
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:; frame-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": CSP,
}
_PHONE_ACTION = re.compile(r"^/api/phones/(\d{1,12})/(send|press|language|block)$")


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def page() -> bytes:
    """The page as shipped inside the package."""
    return resources.files("bot.sandbox").joinpath("page.html").read_bytes()


class SandboxServer(Listener):
    def __init__(self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8080) -> None:
        super().__init__(LimitedServer(self._handle, name="sandbox"), host, port)
        self.sandbox = sandbox
        self._page = page()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        try:
            self._check_host(request)
            if request.path == WEB_CHAT or request.path.startswith(WEB_CHAT + "/"):
                return await self.sandbox.web_chat(request)
            if request.method == "GET" and request.path == "/api/events":
                return await self._events(request)
            return await self._answer(request)
        except _BadRequest as exc:
            return _json(exc.status, {"error": str(exc)})
        except ActionError as exc:
            return _json(exc.status, {"error": str(exc)})
        except Exception:
            log.exception("sandbox request failed")
            return _json(500, {"error": "the sandbox failed; see its log"})

    def _check_host(self, request: web.BaseRequest) -> None:
        if self.host not in LOOPBACK:
            return
        host = request.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name not in LOOPBACK:
            raise _BadRequest(421, "this sandbox answers only on loopback addresses")

    async def _answer(self, request: web.BaseRequest) -> web.Response:
        if request.method == "GET":
            if request.path in ("/", "/index.html"):
                return _response(200, "text/html", self._page)
            if request.path == "/api/state":
                return self._call(lambda: self.sandbox.state())
            if request.path == "/favicon.ico":
                return _response(204, "text/plain", b"")
            raise _BadRequest(404, "not found")
        if request.method != "POST":
            raise _BadRequest(405, "use GET or POST")
        return await self._post(request.path, await _json_body(request))

    async def _post(self, path: str, data: dict[str, Any]) -> web.Response:
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
    def _call(make: Any) -> web.Response:
        try:
            return _json(200, make())
        except ActionError as exc:
            return _json(exc.status, {"error": str(exc)})

    async def _events(self, request: web.BaseRequest) -> web.StreamResponse:
        """Send the state now and after every change, until the page goes away."""
        response = web.StreamResponse(headers={**HEADERS, "X-Accel-Buffering": "no"})
        response.content_type = "text/event-stream"
        response.charset = "utf-8"
        try:
            await response.prepare(request)
            await response.write(b"retry: 1000\n\n")
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
                        await response.write(f"event: state\ndata: {state}\n\n".encode())
                if not await self.sandbox.wait_for_change(seen, PING_SECONDS):
                    await response.write(b": ping\n\n")
        except ConnectionError:  # the page went away
            return response


async def _json_body(request: web.BaseRequest) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise _BadRequest(415, "send JSON (Content-Type: application/json)")
    try:
        raw = await request.clone(client_max_size=MAX_BODY).read()
    except web.HTTPRequestEntityTooLarge:
        raise _BadRequest(413, "request body too large") from None
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise _BadRequest(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise _BadRequest(400, "the body must be a JSON object")
    return data


def _response(status: int, content_type: str, body: bytes) -> web.Response:
    response = web.Response(status=status, body=body, headers=HEADERS)
    response.content_type = content_type
    if content_type.startswith("text/html"):
        response.charset = "utf-8"
    return response


def _json(status: int, value: Any) -> web.Response:
    return _response(status, "application/json", json.dumps(value, ensure_ascii=False).encode())
