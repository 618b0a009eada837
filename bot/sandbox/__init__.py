"""Try the bot in a browser without Telegram: ``peerbot sandbox`` (or ``make run`` without a token).

The real bot runs against the built-in fake Bot API on loopback, and a page shows a citizen, a
volunteer peer and a coordinator side by side as Telegram chats. Its own database lives in a
sandbox folder and starts fresh each time; the page can move the sandbox clock forward and
reset everything.

    config.py   the operator's settings with the sandbox's own token, API, database, coordinator
    world.py    one run: fake Telegram + HTTP face + the bot, seeded with three people
    control.py  actions from the page, checked; fast-forward; reset; change notification
    view.py     the state the page draws
    server.py   the small HTTP server (page, JSON, server-sent events)
    page.html   the page: one file, no outside resources
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import webbrowser
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.config import Config
from bot.errors import PeerbotError
from bot.sandbox.control import Sandbox
from bot.sandbox.server import SandboxServer

log = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path("sandbox-data")
DEFAULT_PORT = 8080

__all__ = ["DEFAULT_DATA_DIR", "DEFAULT_PORT", "Sandbox", "SandboxServer", "serve_sandbox"]


async def serve_sandbox(
    config: Config,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    start: datetime | None = None,
    language: str | None = None,
    open_browser: bool = False,
    ready: Callable[[str], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the sandbox until SIGINT/SIGTERM (or `stop`); `ready` gets the page's address."""
    sandbox = Sandbox(config, start=start, language=language)
    server = SandboxServer(sandbox, host, port)
    try:
        await server.start()
    except OSError as exc:
        raise PeerbotError(
            f"cannot serve the sandbox on {host}:{port} ({exc.strerror}); "
            "try another port: peerbot sandbox --port 8081"
        ) from exc
    try:
        await sandbox.open()
        if stop is None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
        log.info("sandbox page at %s", server.url)
        if ready is not None:
            ready(server.url)
        if open_browser and _has_display():
            webbrowser.open(server.url)
        await stop.wait()
    finally:
        await server.stop()
        await sandbox.close()
        log.info("sandbox stopped")


def _has_display() -> bool:
    """Open a browser only where one can appear (never a text browser in this terminal)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
