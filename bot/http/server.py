"""HTTP listeners on aiohttp's server, hardened for the open internet.

    server = LimitedServer(handle, name="webhook")
    runner = await start_listener(server, "0.0.0.0", 8443)
    ...
    await runner.cleanup()

aiohttp parses HTTP (pipelining, keep-alive, chunked bodies, header limits); on top of it this
module adds what a bot facing the internet needs and aiohttp leaves to the caller:

- a cap on open connections: at the cap the oldest connection that is not in the middle of a
  request is closed to make room, so idle connections can never keep a real request out;
- a deadline for a new connection to send its first request (then aiohttp's keep-alive
  timeout takes over), so slow or silent clients do not pile up;
- one warning line, no traceback, for each malformed request (aiohttp answers it with 400),
  counted in ``peerbot_webhook_rejected{reason="malformed"}`` for the webhook;
- `Listener`, for servers whose requests stay open for minutes (the fake Bot API's long polls,
  the sandbox's event stream): its stop ends those requests instead of waiting for them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from bot import metrics

log = logging.getLogger(__name__)

MAX_LINE = 8190  # request line and each header line, bytes
MAX_HEADERS = 64
FIRST_REQUEST_WITHIN = 10.0  # seconds a new connection has to send a whole request head
KEEP_ALIVE = 15.0  # seconds an idle connection stays open after a request
MAX_CONNECTIONS = 256
LINGER = 1.0  # seconds a refused malformed request's connection stays open to drain

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


class _QuietRequestHandler(RequestHandler):
    """aiohttp's connection handler, logging a malformed request as one line (no traceback)."""

    def log_exception(self, *args: Any, **kwargs: Any) -> None:
        error = kwargs.get("exc_info")
        name = type(error).__name__ if isinstance(error, BaseException) else "error"
        server = self._manager
        label = server.name if isinstance(server, LimitedServer) else "http"
        log.warning("%s: a malformed request was refused (%s)", label, name)

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        server = self._manager
        response = super().handle_error(request, status, exc, message)
        if status < 500 and self.transport is not None:
            if isinstance(server, LimitedServer):
                server.rejected("malformed")
            # Closing at once, with the rest of a long request unread, would send a reset that
            # can destroy the answer before the client reads it: aiohttp leaves a connection
            # it was told to force-close open, drops what still arrives, and it is closed soon.
            self._force_close = True
            self._loop.call_later(LINGER, self._close_after_lingering)
        return response

    def _close_after_lingering(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None


class LimitedServer(web.Server):
    """aiohttp's low-level server with a connection cap and a first-request deadline."""

    def __init__(
        self,
        handler: Handler,
        *,
        name: str,
        max_connections: int = MAX_CONNECTIONS,
        count_rejections: bool = False,
    ) -> None:
        self.name = name
        self.max_connections = max_connections
        self.count_rejections = count_rejections
        self._open: dict[RequestHandler, None] = {}  # insertion order: oldest first
        self._busy: set[RequestHandler] = set()
        self._started: set[RequestHandler] = set()
        self._answering: set[asyncio.Task[Any]] = set()
        self._inner = handler
        super().__init__(
            self._handle,
            max_line_size=MAX_LINE,
            max_field_size=MAX_LINE,
            max_headers=MAX_HEADERS,
            keepalive_timeout=KEEP_ALIVE,
            access_log=None,
        )

    def __call__(self) -> RequestHandler:
        return _QuietRequestHandler(self, loop=self._loop, **self._kwargs)

    def rejected(self, reason: str) -> None:
        if self.count_rejections:
            metrics.WEBHOOK_REJECTED.labels(reason=reason).inc()

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        self._open[handler] = None
        if len(self._open) > self.max_connections:
            self._make_room(handler)
        self._loop.call_later(FIRST_REQUEST_WITHIN, self._first_request_due, handler)

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        self._forget(handler)
        super().connection_lost(handler, exc)

    def _forget(self, handler: RequestHandler) -> None:
        self._open.pop(handler, None)
        self._busy.discard(handler)
        self._started.discard(handler)

    def _make_room(self, newcomer: RequestHandler) -> None:
        """Close the oldest idle connection; if every other one is busy, the newcomer."""
        victim = next((h for h in self._open if h is not newcomer and h not in self._busy), None)
        self._close(victim or newcomer)

    def _close(self, handler: RequestHandler) -> None:
        self.rejected("connection_cap")
        self._forget(handler)
        handler.force_close()

    def _first_request_due(self, handler: RequestHandler) -> None:
        if handler in self._open and handler not in self._started:
            self.rejected("too_slow")
            self._forget(handler)
            handler.force_close()

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        protocol = request.protocol
        if isinstance(protocol, RequestHandler):
            self._busy.add(protocol)
            self._started.add(protocol)
        # aiohttp answers each request in a task of its own: cancelling it ends that request.
        task = asyncio.current_task()
        if task is not None:
            self._answering.add(task)
        try:
            return await self._inner(request)
        finally:
            if isinstance(protocol, RequestHandler):
                self._busy.discard(protocol)
            if task is not None:
                self._answering.discard(task)

    def end_requests(self) -> None:
        """End every request still being answered; their connections close without an answer."""
        for task in list(self._answering):
            task.cancel()

    @property
    def open_connections(self) -> int:
        return len(self._open)


async def start_listener(
    server: LimitedServer, host: str, port: int, *, shutdown_timeout: float = 5.0
) -> web.BaseRunner:
    """Listen on host:port (OSError when taken); `await runner.cleanup()` stops."""
    runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, backlog=1024).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


class Listener:
    """A `LimitedServer` on one address whose stop ends the requests still open.

    aiohttp's own stop waits up to its shutdown timeout for each request being answered, and a
    long poll or an event stream would hold it that long; here they end at once (the client
    sees its connection closed), which is what a test fake or a local sandbox wants.

        listener = Listener(LimitedServer(handle, name="sandbox"), "127.0.0.1", 0)
        port = await listener.start()   # port 0 picks a free port
        ...
        await listener.stop()
    """

    def __init__(self, server: LimitedServer, host: str, port: int) -> None:
        self.server = server
        self.host = host
        self.port = port
        self._runner: web.BaseRunner | None = None

    async def start(self) -> int:
        """Listen and return the bound port; raises OSError when the address is taken."""
        runner = await start_listener(self.server, self.host, self.port, shutdown_timeout=1.0)
        self.port = runner.addresses[0][1]
        self._runner = runner
        return self.port

    async def stop(self) -> None:
        """Stop listening, end the requests still open and close every connection."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        for site in list(runner.sites):
            await site.stop()  # no new connection can slip in after the next line
        self.server.end_requests()
        await runner.cleanup()
