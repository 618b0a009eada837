"""A small HTTP listener on loopback for operators: ``/healthz`` (JSON) and ``/metrics``.

Off unless ``health.listen`` is set (e.g. ``127.0.0.1:9108``); works in polling and webhook
mode alike. Standard library only; every answer closes the connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import suppress

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.metrics import REGISTRY
from bot.runtime import Runtime
from bot.services import health

log = logging.getLogger(__name__)


async def start_health_server(rt: Runtime, listen: str) -> asyncio.Server:
    host, _, port = listen.rpartition(":")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n", 1)[0]
            parts = request_line.decode("latin-1").split()
            path = parts[1] if len(parts) > 1 else ""
            if path == "/healthz":
                result = await health.report(rt)
                await health.refresh_gauges(rt)
                status = 200 if result.healthy else 503
                body, kind = json.dumps(result.as_dict()).encode(), "application/json"
            elif path == "/metrics":
                await health.refresh_gauges(rt)
                status, body, kind = 200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST
            else:
                status, body, kind = 404, b"not found\n", "text/plain"
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            status, body, kind = 400, b"bad request\n", "text/plain"
        except Exception:
            log.exception("health listener failed to answer")
            status, body, kind = 500, b"error\n", "text/plain"
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        with suppress(ConnectionError):
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, host or "127.0.0.1", int(port))
    log.info("health listener on %s", listen)
    return server
