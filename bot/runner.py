"""Run the bot as a long-lived process: long polling or a webhook, until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import fcntl
import gc
import logging
import resource
import signal
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from aiohttp import web
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot.app import build_application, get_runtime, start_bot, stop_bot
from bot.config import Config
from bot.errors import PeerbotError
from bot.http.health import start_health_server
from bot.http.server import Listener, start_listener
from bot.services import health
from bot.telegram.updates import UpdatePath
from bot.telegram.webhook import WebhookReceiver
from bot.web.api import start_web_chat

log = logging.getLogger(__name__)


class AlreadyRunning(PeerbotError):
    """Another `peerbot run` holds this database: jobs and the outbox would fire twice."""


class InstanceLock:
    """An exclusive lock file next to the database, released when the process ends."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.close()
            raise AlreadyRunning(
                f"another peerbot is already running on {self.path.with_suffix('')}"
            ) from exc
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


class CannotStart(PeerbotError):
    """Telegram could not be reached, or refused the token, while the bot was starting."""


@contextmanager
def _starting() -> Iterator[None]:
    """Turn Telegram's start-up failures into one line for the person at the terminal.

    TimedOut is a NetworkError, so it is covered too; errors later in the run are handled
    (retried, logged) where they happen.
    """
    try:
        yield
    except InvalidToken as exc:
        raise CannotStart("Telegram refused the token (check PEERBOT_TOKEN)") from exc
    except NetworkError as exc:
        raise CannotStart(f"cannot reach Telegram: {exc}") from exc


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def serve(
    config: Config,
    *,
    webhook_url: str | None = None,
    listen: str = "127.0.0.1",
    port: int = 8443,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until a signal (or `stop`) arrives; the lock keeps a second instance off the database."""
    if webhook_url and not config.webhook_secret:
        raise PeerbotError("webhook mode needs a secret: set PEERBOT_WEBHOOK_SECRET")
    lock = InstanceLock(config.database)
    lock.acquire()
    raise_open_file_limit()
    application = build_application(config)
    health_server: web.BaseRunner | None = None
    web_chat: Listener | None = None
    if stop is None:
        stop = asyncio.Event()
        _stop_on_signals(stop)
    clean = False
    try:
        with _starting():
            poller = await start_bot(application)
        if config.health_listen:
            health_server = await start_health_server(
                get_runtime(application), config.health_listen
            )
        if config.web_chat.listen:
            web_chat = await start_web_chat(get_runtime(application), config.web_chat.listen)
        # Objects made during start-up live for the whole run: keep them out of the garbage
        # collector's full passes, which otherwise show up as latency spikes.
        gc.collect()
        gc.freeze()
        if webhook_url:
            await _serve_webhook(application, poller, config, webhook_url, listen, port, stop)
        else:
            await _serve_polling(application, poller, stop)
        clean = True
    finally:
        if web_chat is not None:
            await web_chat.stop()  # open pages reconnect after the restart
        if health_server is not None:
            await health_server.cleanup()
        await stop_bot(application)
        lock.release()
        if clean:
            log.info("stopped cleanly")


async def _serve_polling(application: Application, poller: UpdatePath, stop: asyncio.Event) -> None:
    with _starting():
        await application.bot.delete_webhook()
        me = await application.bot.get_me()
    log.info("polling as bot %s", me.id)
    task = asyncio.create_task(poller.run(), name="polling")
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    poller.stop_polling()
    stopper.cancel()
    if task in done:
        task.result()
        return
    # A long poll may be waiting; cancelling it is safe because nothing is confirmed to
    # Telegram until the next getUpdates, and the inbox write is one transaction.
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task


async def _serve_webhook(
    application: Application,
    poller: UpdatePath,
    config: Config,
    url: str,
    listen: str,
    port: int,
    stop: asyncio.Event,
) -> None:
    """Answer Telegram 200 only once the update is in the inbox (`bot.telegram.webhook`)."""
    secret = config.webhook_secret
    if not secret:  # checked in serve() before connecting; kept for direct callers
        raise PeerbotError("webhook mode needs a secret: set PEERBOT_WEBHOOK_SECRET")
    rt = get_runtime(application)
    receiver = WebhookReceiver(
        poller,
        path=urlsplit(url).path,
        secret=secret,
        on_update=lambda: health.contact_made(rt),
    )
    runner = await start_listener(receiver.server, listen, port)
    try:
        with _starting():
            await application.bot.set_webhook(url, secret_token=secret)
        log.info("webhook listening on %s:%d", listen, port)
        await stop.wait()
    finally:
        await runner.cleanup()


def raise_open_file_limit() -> int:
    """Lift the soft limit on open files to the hard one (systemd's LimitNOFILE), so that many
    connections cannot starve the database and Telegram of file descriptors; returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        with suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    return soft
