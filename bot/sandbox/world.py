"""One run of the sandbox: the real bot, a fake Telegram on loopback, and the people on the phones.

The bot is the production `Application` with its own polling loop, outbox dispatcher and
sweeper; it reaches the fake over HTTP exactly as it would reach Telegram. Seeding goes through
the bot's services (an invitation redeemed, a profile filled in, a coordinator's approval), so
the peer is a real approved peer and the coordinator has the notices a real one would have.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum

from telegram.ext import Application

from bot.app import SANDBOX_TOKEN, build_application, get_runtime, start_bot, stop_bot
from bot.clock import RunningClock
from bot.config import Config
from bot.fakebot import FakeBotApiServer, FakeTelegram, FakeUser
from bot.i18n import LANGUAGES
from bot.runtime import Runtime
from bot.sandbox.config import COORDINATOR_ID, with_api
from bot.services import peers
from bot.services.office_hours import SLOTS
from bot.storage import peers as peer_store
from bot.storage.peers import PeerStatus
from bot.telegram.updates import UpdatePath
from bot.web.api import WebChatApp

log = logging.getLogger(__name__)

FIRST_CITIZEN_ID = 1001
FIRST_PEER_ID = 2001
PEER_CAPACITY = 3
CITIZEN_NAMES = ("Ada", "Bo", "Carla", "Dennis", "Eva", "Frede", "Gry", "Hassan")
PEER_NAMES = ("Maja", "Jonas", "Sara", "Ali", "Line", "Mikkel", "Nora", "Omar")
COORDINATOR_NAME = "Kim"


class Role(StrEnum):
    CITIZEN = "citizen"
    PEER = "peer"
    COORDINATOR = "coordinator"


@dataclass
class Phone:
    """A person on the page: their fake Telegram account and the part they play."""

    user: FakeUser
    role: Role


class World:
    """A fresh database, a fake Telegram and the bot, seeded; `close` ends all three."""

    def __init__(self, config: Config, clock: RunningClock, language: str) -> None:
        self.clock = clock
        self.language = language
        self.fake = FakeTelegram(
            token=SANDBOX_TOKEN,
            bot_username="peerbot_sandbox_bot",
            bot_first_name="Peer Bot",
            now=clock.now,
        )
        self.server = FakeBotApiServer(self.fake)
        self._config = config
        self.phones: list[Phone] = []
        self.commands: dict[str, list[str]] = {}
        self._app: Application | None = None
        self._poller: UpdatePath | None = None
        self._polling: asyncio.Task[None] | None = None
        self.web_chat: WebChatApp | None = None  # a citizen in the browser, beside the phones

    @property
    def rt(self) -> Runtime:
        assert self._app is not None, "the sandbox world is not open"
        return get_runtime(self._app)

    @property
    def config(self) -> Config:
        return self.rt.config

    async def open(self) -> None:
        """Start the fake Bot API and the bot, seed the three people, then poll live."""
        await self.server.start()
        config = with_api(self._config, self.fake.token, self.server.base_url)
        self._app = build_application(config, clock=self.clock)
        self._poller = await start_bot(self._app)
        assert self.rt.web is not None
        self.web_chat = WebChatApp(self.rt.web)
        for language in (None, *LANGUAGES):
            answer = await self.fake.call("getMyCommands", {"language_code": language or ""})
            self.commands[language or ""] = [item["command"] for item in answer["result"]]
        await self._seed()
        self._polling = asyncio.create_task(self._poller.run(), name="sandbox-polling")

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.stop_polling()
        if self._polling is not None:
            self._polling.cancel()
            with suppress(asyncio.CancelledError):
                await self._polling
            self._polling = None
        if self._app is not None:
            await stop_bot(self._app)
            self._app = None
        await self.server.stop()

    async def _seed(self) -> None:
        """A coordinator who has started the bot, an approved peer and a new citizen."""
        coordinator = self._person(COORDINATOR_ID, COORDINATOR_NAME, Role.COORDINATOR)
        coordinator.send_text("/help")
        await self._settle()
        await self.add(Role.PEER)
        await self._settle()
        await self.add(Role.CITIZEN)

    async def add(self, role: Role) -> Phone:
        """Another citizen (new to the bot) or another approved peer."""
        taken = {phone.user.id for phone in self.phones}
        if role is Role.PEER:
            number = next(n for n in range(len(taken) + 1) if FIRST_PEER_ID + n not in taken)
            user = self._person(FIRST_PEER_ID + number, _name(PEER_NAMES, number), role)
            await self._approve_peer(user)
            user.send_text("/help")
        elif role is Role.CITIZEN:
            number = next(n for n in range(len(taken) + 1) if FIRST_CITIZEN_ID + n not in taken)
            user = self._person(FIRST_CITIZEN_ID + number, _name(CITIZEN_NAMES, number), role)
        else:
            raise ValueError("the sandbox has one coordinator")
        return self.phones[-1]

    def _person(self, user_id: int, name: str, role: Role) -> FakeUser:
        user = self.fake.user(user_id, name, language_code=self.language)
        self.phones.append(Phone(user, role))
        return user

    async def _approve_peer(self, user: FakeUser) -> None:
        """Invitation, profile (every topic, language and time; a few contacts), the
        confidentiality undertaking and approval: a peer who gets offers.

        The profile is completed without the coordinator's "waits for approval" notice: its
        button would be stale at once, because the sandbox approves straight away.
        """
        rt = self.rt
        created = await peers.redeem(rt, await peers.create_invite(rt), user.id, self.language)
        profile = await peers.profile_of(rt, created)
        assert created is not None and profile is not None
        await peers.set_name(rt, profile, user.first_name)
        async with rt.storage.transaction() as tx:
            await peer_store.update(
                tx,
                created.id,
                clear_step=True,
                topics=frozenset(rt.config.topics),
                languages=frozenset(LANGUAGES),
                availability=frozenset(SLOTS),
                capacity=PEER_CAPACITY,
            )
            await peer_store.set_status(tx, created.id, PeerStatus.PENDING)
        await peers.accept_undertaking(rt, profile)
        await peers.approve(rt, created.id, COORDINATOR_ID)

    async def _settle(self, rounds: int = 50) -> None:
        """Before live polling starts: deliver every update and outbox row, in order."""
        assert self._app is not None and self._poller is not None and self._polling is None
        for _ in range(rounds):
            received = await self._poller.poll_once(wait=0)
            await self._poller.wait_idle()
            await self.rt.later.flush()
            sent = await self.rt.dispatcher.drain() if self.rt.dispatcher else 0
            if not received and not sent:
                return
        log.warning("the sandbox did not settle while seeding")

    def phone(self, user_id: int) -> Phone | None:
        return next((phone for phone in self.phones if phone.user.id == user_id), None)


def _name(names: tuple[str, ...], number: int) -> str:
    return names[number] if number < len(names) else f"{names[number % len(names)]} {number + 1}"
