"""Drive the real Application against the fake Bot API, in process, with a fake clock.

`settle()` runs the production paths (getUpdates -> inbox -> handlers -> outbox dispatcher)
until nothing moves; no sleeping, no polling on wall-clock time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.app import build_application, get_runtime, start_bot, stop_bot
from bot.clock import FakeClock
from bot.config import Config, parse_config
from bot.fakebot import FakeRequest, FakeTelegram, FakeUser
from bot.http.server import Listener
from bot.runtime import Runtime
from bot.scheduling import sweep
from bot.telegram.updates import UpdatePath
from bot.web.api import start_web_chat

COORDINATOR = 9001
BACKUP_COORDINATOR = 9002


@asynccontextmanager
async def started(config: Config, fake: FakeTelegram, clock: FakeClock) -> AsyncIterator[Harness]:
    """A started harness, stopped afterwards (for fixtures in any event-loop scope)."""
    h = Harness(config, fake, clock)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


def make_config(tmp_path: Path, toml: dict[str, Any] | None = None, **overrides: Any) -> Config:
    """The test configuration; `toml` adds tables as the file would (read by the real loader),
    `overrides` replace parsed fields."""
    data: dict[str, Any] = {
        "telegram": {"token": "123456:TEST-TOKEN"},
        "storage": {"database": str(tmp_path / "bot.sqlite3")},
        "organisation": {"name": "Peer-støtte Test", "privacy_contact": "dpo@example.dk"},
        "coordinators": {"user_ids": [COORDINATOR], "backup_user_ids": [BACKUP_COORDINATOR]},
    }
    config = parse_config(data | (toml or {}), {}, base_dir=tmp_path)
    return replace(config, **overrides)


@dataclass
class Harness:
    config: Config
    fake: FakeTelegram
    clock: FakeClock
    app: Application | None = None
    poller: UpdatePath | None = None
    users: dict[int, FakeUser] = field(default_factory=dict)
    web: Listener | None = None  # the web chat, when the configuration turns it on

    @property
    def rt(self) -> Runtime:
        assert self.app is not None
        return get_runtime(self.app)

    async def start(self) -> None:
        request = FakeRequest(self.fake)
        self.app = build_application(
            self.config,
            request=request,
            updates_request=FakeRequest(self.fake),
            clock=self.clock,
        )
        self.poller = await start_bot(self.app)
        if self.config.web_chat.enabled:
            self.web = await start_web_chat(self.rt, "127.0.0.1:0")
        await self.settle()

    async def stop(self) -> None:
        if self.web is not None:
            await self.web.stop()
            self.web = None
        if self.app is not None:
            await stop_bot(self.app)
            self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def settle(self, rounds: int = 50) -> None:
        """Deliver every pending update and outbox row until nothing changes."""
        assert self.app is not None and self.poller is not None
        for _ in range(rounds):
            received = await self.poller.poll_once(wait=0)
            await self.poller.wait_idle()
            await self.rt.later.flush()
            sent = await self.rt.dispatcher.drain() if self.rt.dispatcher else 0
            if not received and not sent:
                return
        raise AssertionError("the bot did not settle")

    async def tick(self, delta: timedelta = timedelta()) -> None:
        """Move the clock, run the sweeper as its timer would, and settle; a step that failed
        raises here."""
        self.clock.advance(delta)
        failed = await sweep(self.rt)
        if failed:  # the sweep only logs a failing step; a test must not miss it
            raise next(iter(failed.values()))
        await self.settle()

    def user(self, user_id: int, first_name: str = "Test", language: str | None = "da") -> FakeUser:
        if user_id not in self.users:
            self.users[user_id] = self.fake.user(user_id, first_name, language_code=language)
        return self.users[user_id]
