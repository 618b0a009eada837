"""A small HTTP listener for operators: ``/healthz`` (JSON) and ``/metrics``.

Off unless ``health.listen`` is set (e.g. ``127.0.0.1:9108``); works in polling and webhook
mode alike. Served by aiohttp through `bot.http.server` (connection cap, timeouts, limits).
`check-config` refuses a non-loopback address unless ``health.allow_public`` is true: the
report says how many urgent requests wait, which is nobody else's business.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.http.server import LimitedServer, start_listener
from bot.metrics import REGISTRY
from bot.runtime import Runtime
from bot.services import health

log = logging.getLogger(__name__)


async def start_health_server(rt: Runtime, listen: str) -> web.BaseRunner:
    host, _, port = listen.rpartition(":")

    async def handle(request: web.BaseRequest) -> web.Response:
        if request.method not in ("GET", "HEAD"):
            return web.Response(status=405, text="method not allowed\n")
        try:
            if request.path == "/healthz":
                await health.note_telegram_ok(rt)
                result = await health.report(rt)
                await health.refresh_gauges(rt)
                return web.Response(
                    status=200 if result.healthy else 503,
                    body=json.dumps(result.as_dict()).encode(),
                    content_type="application/json",
                )
            if request.path == "/metrics":
                await health.refresh_gauges(rt)
                return web.Response(
                    body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
                )
        except Exception as exc:
            log.error("health listener failed to answer (%s)", type(exc).__name__)
            return web.Response(status=500, text="error\n")
        return web.Response(status=404, text="not found\n")

    runner = await start_listener(
        LimitedServer(handle, name="health", max_connections=32),
        host.strip("[]") or "127.0.0.1",
        int(port),
    )
    log.info("health listener on %s", listen)
    return runner
