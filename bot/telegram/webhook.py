"""The webhook: Telegram POSTs each update here, and hears 200 only once it is in the inbox.

Served by aiohttp through `bot.http.server` (connection cap, first-request deadline, header
limits). Every request that is not a well-formed update on the configured path with the right
secret gets a 4xx and no traceback, and is counted in ``peerbot_webhook_rejected{reason}``:

    404 path, 405 method, 403 secret (compared in constant time, any bytes),
    413 too_large, 408 slow_body, 400 not_json / not_object / no_update_id / malformed.

A well-formed object whose content PTB cannot read still gets 200: it is set aside (see
`bot.telegram.updates.UpdatePath.store`), since Telegram would otherwise send it again and again.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.http.server import LimitedServer
from bot.storage.inbox import is_sql_int
from bot.telegram.updates import UpdatePath

log = logging.getLogger(__name__)

MAX_BODY = 1024**2  # bytes, aiohttp's client_max_size; Telegram's updates are far smaller
BODY_WITHIN = 10.0  # seconds to send the body once the head arrived
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookReceiver:
    """Checks a request and commits its update to the inbox before answering."""

    def __init__(
        self,
        updates: UpdatePath,
        *,
        path: str,
        secret: str,
        on_update: Callable[[], None] = lambda: None,
    ) -> None:
        self.updates = updates
        self.path = path or "/"
        self.secret = secret.encode()
        self.on_update = on_update
        self.server = LimitedServer(self.handle, name="webhook", count_rejections=True)

    def _refuse(self, status: int, reason: str) -> web.Response:
        self.server.rejected(reason)
        log.warning("webhook request refused: %s", reason)
        return web.Response(status=status)

    async def handle(self, request: web.BaseRequest) -> web.Response:
        if request.path != self.path:
            return self._refuse(404, "path")
        if request.method != "POST":
            return self._refuse(405, "method")
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self.secret):
            return self._refuse(403, "secret")
        if (request.content_length or 0) > MAX_BODY:
            return self._refuse(413, "too_large")
        try:
            async with asyncio.timeout(BODY_WITHIN):
                body = await request.read()  # refuses more than client_max_size
        except TimeoutError:
            return self._refuse(408, "slow_body")
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(413, "too_large")
        update = _parse(body)
        if update is _NOT_JSON:
            return self._refuse(400, "not_json")
        if not isinstance(update, dict):
            return self._refuse(400, "not_object")
        if not is_sql_int(update.get("update_id")) or update["update_id"] < 0:
            return self._refuse(400, "no_update_id")
        try:
            await self.updates.store([update])
        except Exception as exc:  # not stored, so not acknowledged: Telegram sends it again
            log.error("webhook update could not be stored (%s)", type(exc).__name__)
            return web.Response(status=500)
        self.on_update()
        return web.Response(status=200)


_NOT_JSON = object()


def _parse(body: bytes) -> Any:
    """The parsed body, or `_NOT_JSON` (nesting too deep for Python's parser included)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return _NOT_JSON
