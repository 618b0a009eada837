"""What every handler and job reaches through the application: config, storage, clock, delivery.

Built by `bot.app.build_application` and kept in ``application.bot_data``; handlers reach it
through `handlers.base.begin`. Services receive it directly and never see Telegram types.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.config import Config
from bot.i18n import Translator
from bot.staff import StaffRoles
from bot.storage import Database

if TYPE_CHECKING:
    from bot.delivery.dispatcher import OutboxDispatcher
    from bot.delivery.email_alarm import AlarmDispatcher
    from bot.services.crisis.triage import CrisisDetector, TriageResult
    from bot.storage.group_commit import GroupWriter
    from bot.telegram.sent import MessageLog
    from bot.telegram.updates import UpdatePath
    from bot.web.chats import WebChats

RUNTIME_KEY = "peerbot.runtime"


@dataclass
class Runtime:
    config: Config
    clock: Clock
    db: Database | None = None
    writer: GroupWriter | None = None
    dispatcher: OutboxDispatcher | None = None
    alarms: AlarmDispatcher | None = None
    detector: CrisisDetector | None = None
    # The update path (fetch, inbox, dispatch, done) and the note of message ids; bot.telegram.
    updates: UpdatePath | None = None
    messages: MessageLog | None = None
    # The web chat's conversations, when `[web_chat]` is on (bot.web).
    web: WebChats | None = None
    # Background tasks started by `bot.app.start_bot` and ended by `stop_bot`.
    outbox_task: asyncio.Task[None] | None = None
    alarm_task: asyncio.Task[None] | None = None
    menus_task: asyncio.Task[None] | None = None
    # When Telegram last answered a call (or a webhook update was accepted); services/health.py.
    telegram_last_ok: datetime | None = None
    # The crisis check's verdict per update id, kept from arrival for the handlers (safety.py).
    triage_verdicts: dict[int, TriageResult | None] = field(default_factory=dict)
    # Who wrote last in each contact, as relayed by this process (services/relay.py).
    relay_last_spoken: dict[int, tuple[str, datetime]] = field(default_factory=dict)
    # From configuration here; the database roles are added at start-up (services/roles.py).
    roles: StaffRoles = field(init=False)
    # Peers who must accept the current confidentiality undertaking (again); see peers.py.
    undertaking_due: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.roles = StaffRoles.from_config(self.config)

    @property
    def storage(self) -> Database:
        if self.db is None:
            raise RuntimeError("storage is not open yet")
        return self.db

    @property
    def later(self) -> GroupWriter:
        """The group-commit writer for bookkeeping that may trail by milliseconds."""
        if self.writer is None:
            raise RuntimeError("storage is not open yet")
        return self.writer

    def now(self) -> datetime:
        return self.clock.now()

    def translator(self, language: str | None) -> Translator:
        """Speak to someone in their stored language, else the configured default."""
        return Translator(language or self.config.default_language, self.config.timezone)

    def wake_delivery(self) -> None:
        """Tell the dispatchers that new outbox (or alarm) rows were committed."""
        if self.dispatcher is not None:
            self.dispatcher.wake()
        if self.alarms is not None:
            self.alarms.wake()
