"""The sandbox as the page drives it: actions on the phones, the clock, adding people, reset.

Every action is checked here (the page is input like any other) and runs under one lock, so a
reset never races a button press. A change anywhere (the bot sent or edited something, a person
acted, the clock moved) raises `version` and wakes whoever waits in `changed`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.clock import RunningClock
from bot.config import Config
from bot.i18n import LANGUAGES
from bot.runner import InstanceLock
from bot.sandbox.config import demo_start
from bot.sandbox.view import snapshot
from bot.sandbox.world import Phone, Role, World
from bot.scheduling import sweep

log = logging.getLogger(__name__)

MAX_PHONES = 8
MAX_TEXT = 4096
MAX_FORWARD = timedelta(days=14)


class ActionError(Exception):
    """An action the sandbox refuses; the message is shown on the page."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class Sandbox:
    def __init__(
        self,
        config: Config,
        *,
        start: datetime | None = None,
        language: str | None = None,
    ) -> None:
        self.config = config
        self.data_dir = config.database.parent
        self.language = language or config.default_language
        self._start = start
        self._lock = asyncio.Lock()
        self._instance = InstanceLock(config.database)
        self._world: World | None = None
        self._generation = 0
        self._run = secrets.token_hex(4)  # a page left open across a restart starts over
        self.version = 0
        self._waiters: set[asyncio.Event] = set()

    @property
    def world(self) -> World:
        if self._world is None:
            raise ActionError("the sandbox is starting, try again in a moment", 503)
        return self._world

    async def open(self) -> None:
        """Take the data folder (one sandbox per folder) and start a fresh world."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._instance.acquire()
        try:
            await self._new_world()
        except BaseException:
            self._instance.release()
            raise

    async def close(self) -> None:
        async with self._lock:
            await self._end_world()
        self._instance.release()
        self._changed()

    async def reset(self) -> None:
        """Forget everything: a new database, new phones, the clock back at its start."""
        async with self._lock:
            await self._end_world()
            await self._new_world()
        self._changed()

    async def _new_world(self) -> None:
        self._remove_database()
        start = self._start or demo_start(self.config, datetime.now(UTC))
        world = World(self.config, RunningClock(start.astimezone(UTC)), self.language)
        world.fake.add_listener(self._changed)
        try:
            await world.open()
        except BaseException:
            await world.close()
            raise
        self._world = world
        self._generation += 1
        log.info("sandbox ready with a fresh database")

    async def _end_world(self) -> None:
        world, self._world = self._world, None
        if world is not None:
            await world.close()

    def _remove_database(self) -> None:
        database = self.config.database
        for suffix in ("", "-wal", "-shm", "-journal"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
        for leftover in database.parent.glob(database.name + ".before-migration-from-v*"):
            leftover.unlink()

    async def web_chat(self, request: web.BaseRequest) -> web.StreamResponse:
        """The web chat of the current world (a reset gives the page a fresh conversation)."""
        app = self.world.web_chat
        if app is None:
            raise ActionError("the sandbox is starting, try again in a moment", 503)
        return await app.handle(request)

    # ----- what the page sees ------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return snapshot(
            self.world,
            generation=f"{self._run}-{self._generation}",
            version=self.version,
            data_dir=str(self.data_dir),
        )

    def _changed(self) -> None:
        self.version += 1
        for event in self._waiters:
            event.set()

    async def wait_for_change(self, seen: int, within: float) -> bool:
        """Wait until `version` passes `seen`; False when `within` seconds went by first."""
        if self.version > seen:
            return True
        event = asyncio.Event()
        self._waiters.add(event)
        try:
            async with asyncio.timeout(within):
                while self.version <= seen:
                    event.clear()
                    await event.wait()
            return True
        except TimeoutError:
            return False
        finally:
            self._waiters.discard(event)

    # ----- actions -----------------------------------------------------------------------

    def _phone(self, phone_id: int) -> Phone:
        phone = self.world.phone(phone_id)
        if phone is None:
            raise ActionError("no such phone", 404)
        return phone

    def _acting(self, phone_id: int) -> Phone:
        phone = self._phone(phone_id)
        if phone.user.blocked:
            raise ActionError("this person has blocked the bot; unblock it first", 409)
        return phone

    async def send_text(self, phone_id: int, text: object) -> None:
        if not isinstance(text, str) or not text.strip():
            raise ActionError("write something first")
        if len(text) > MAX_TEXT:
            raise ActionError(f"a message has at most {MAX_TEXT} characters")
        async with self._lock:
            self._acting(phone_id).user.send_text(text)

    async def press(self, phone_id: int, message_id: object, data: object) -> None:
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise ActionError("a button needs message_id (a number) and data (text)")
        async with self._lock:
            user = self._acting(phone_id).user
            message = user.message(message_id)
            rows = (message or {}).get("reply_markup", {}).get("inline_keyboard", [])
            if not any(button.get("callback_data") == data for row in rows for button in row):
                raise ActionError("that button is no longer there", 409)
            user.press(message_id, data)

    async def set_language(self, phone_id: int, language: object) -> None:
        if language not in LANGUAGES:
            raise ActionError(f"language must be one of {', '.join(LANGUAGES)}")
        async with self._lock:
            self._phone(phone_id).user.language_code = str(language)
        self._changed()

    async def set_blocked(self, phone_id: int, blocked: object) -> None:
        if not isinstance(blocked, bool):
            raise ActionError("blocked must be true or false")
        async with self._lock:
            user = self._phone(phone_id).user
            if blocked:
                user.block()
            else:
                user.unblock()

    async def add(self, role: object) -> int:
        if role not in (Role.CITIZEN.value, Role.PEER.value):
            raise ActionError("only citizens and peers can be added")
        async with self._lock:
            if len(self.world.phones) >= MAX_PHONES:
                raise ActionError(f"the sandbox has room for {MAX_PHONES} phones", 409)
            phone = await self.world.add(Role(role))
        self._changed()
        return phone.user.id

    async def fast_forward(self, minutes: object) -> datetime:
        """Move the clock on and run the sweeper at once, as its timer would at that time."""
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
            raise ActionError("minutes must be a whole number above zero")
        delta = timedelta(minutes=minutes)
        if delta > MAX_FORWARD:
            raise ActionError("at most 14 days at a time")
        async with self._lock:
            world = self.world
            now = world.clock.advance(delta)
            await sweep(world.rt)
            world.rt.wake_delivery()
        self._changed()
        return now
