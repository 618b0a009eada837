"""The application factory: the one place where configuration, storage, delivery and handlers meet.

    app = build_application(config)                       # production
    app = build_application(config, request=FakeRequest(fake), clock=FakeClock())  # tests

`start_bot` / `stop_bot` (or `async with running(app)`) open storage, start PTB, recover the
inbox and start the outbox dispatcher; `bot.runner` adds polling or the webhook on top.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from telegram import BotCommand, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import BaseRequest

from bot import metrics
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.delivery import OutboxDispatcher
from bot.i18n import LANGUAGES, N_
from bot.polling import InboxPoller
from bot.runtime import RUNTIME_KEY, Runtime
from bot.scheduling import schedule_sweeper
from bot.services.triage import CrisisDetector
from bot.services.urgent import urgent_update_check
from bot.storage import Database, inbox
from bot.storage import checkins as checkin_store
from bot.storage import peers as peer_store
from bot.storage import requests as request_store
from bot.storage.backups import back_up
from bot.storage.group_commit import GroupWriter
from bot.storage.migrations import pending
from bot.update_processor import ChatOrderedProcessor
from conversations.checkin_schedule import NAME as CHECKIN_SCHEDULE
from conversations.checkin_schedule import build_checkin_conversation
from conversations.intake import NAME as INTAKE
from conversations.intake import build_intake_conversation
from conversations.peer_onboarding import NAME as PEER_ONBOARDING
from conversations.peer_onboarding import build_peer_onboarding_conversation
from conversations.persistence import StepPersistence
from handlers import (
    checkins,
    citizen,
    common,
    coordinator,
    errors,
    peer,
    privacy,
    relay,
    urgent,
)

log = logging.getLogger(__name__)

OVERALL_RATE = 29
SANDBOX_TOKEN = "123456:SANDBOX-TOKEN-not-for-telegram"

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Talk to a peer or get help")),
    ("help_now", N_("I need help now")),
    ("status", N_("See your request")),
    ("checkins", N_("Planned check-ins")),
    ("help", N_("What I can do")),
    ("language", N_("Choose language")),
    ("privacy", N_("What we keep and why")),
    ("mydata", N_("Get a copy of your data")),
    ("delete", N_("Delete your data")),
)


def build_application(
    config: Config,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    clock: Clock | None = None,
    rate_limiter: bool = True,
) -> Application:
    """Assemble the bot; nothing is opened or sent until `start_bot`."""
    builder = (
        ApplicationBuilder()
        .token(config.token or SANDBOX_TOKEN)
        .base_url(config.api_base_url)
        .updater(None)
        .concurrent_updates(ChatOrderedProcessor())
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(updates_request or request)
    if rate_limiter:
        # Just under Telegram's 30 a second, so jitter between its clock and ours never costs
        # a 429; the outbox retries one anyway, honouring retry_after.
        builder = builder.rate_limiter(AIORateLimiter(overall_max_rate=OVERALL_RATE, max_retries=0))
    rt = Runtime(config=config, clock=clock or SystemClock())
    application = builder.persistence(_persistence(rt)).build()
    application.bot_data[RUNTIME_KEY] = rt
    _register_handlers(application)
    return application


def _register_handlers(application: Application) -> None:
    """Order matters: urgent help first (its own group), dialogues, features, catch-alls last.

    Relayed conversation messages come right after the dialogues: they are by far the most
    frequent update, and PTB tries handlers one by one. That handler takes only new messages
    that are not commands, so the command and button handlers after it see every update they
    saw before; a handler of plain messages must go before it (tests/test_app.py checks this).
    """
    for module in (errors, urgent):
        module.register(application)
    application.add_handler(build_intake_conversation())
    application.add_handler(build_peer_onboarding_conversation())
    application.add_handler(build_checkin_conversation())
    relay.register_conversation_messages(application)
    for module in (citizen, peer, checkins, coordinator, privacy, relay, common):
        module.register(application)


def _persistence(runtime: Runtime) -> StepPersistence:
    persistence = StepPersistence(lambda: runtime.storage)
    persistence.register(INTAKE, request_store.drafts)
    persistence.register(PEER_ONBOARDING, peer_store.onboarding)
    persistence.register(CHECKIN_SCHEDULE, checkin_store.drafts)
    return persistence


async def open_with_backup(rt: Runtime) -> Database:
    """Open the database; before migrating an existing one, copy it beside itself."""
    db = await Database.open(rt.config.database, migrate=False)
    version = await db.schema_version()
    if version and pending(version):
        name = f"{rt.config.database.name}.before-migration-from-v{version}"
        await back_up(db, rt.config.database.with_name(name), rt.config.backup_key)
        log.info("backup taken before migrating from schema version %d", version)
    await db.migrate()
    return db


def get_runtime(application: Application) -> Runtime:
    return application.bot_data[RUNTIME_KEY]


async def start_bot(application: Application) -> InboxPoller:
    """Open storage, start PTB and the dispatcher, and re-queue what a crash left unfinished."""
    rt = get_runtime(application)
    rt.db = await open_with_backup(rt)
    rt.detector = CrisisDetector.load(rt.config.triage_extra_dirs)
    await application.initialize()
    rt.writer = GroupWriter(rt.db)
    rt.dispatcher = OutboxDispatcher(application.bot, rt.db, rt.clock)
    poller = InboxPoller(application, rt.db, rt.clock)
    poller.is_urgent = urgent_update_check(rt)
    rt.extras["poller"] = poller
    processor = application.update_processor
    assert isinstance(processor, ChatOrderedProcessor)
    writer = rt.writer

    async def finished(update: object) -> None:
        inbox.finish_later(writer, update.update_id)  # type: ignore[attr-defined]
        metrics.UPDATES.inc()

    processor.on_finished = finished
    await application.start()
    schedule_sweeper(application)
    rt.extras["dispatcher_task"] = asyncio.create_task(rt.dispatcher.run(), name="outbox")
    await poller.recover()
    await _register_commands(application, rt)
    return poller


async def stop_bot(application: Application) -> None:
    """Finish what is in flight, then close everything in reverse order."""
    rt = get_runtime(application)
    if rt.dispatcher is not None:
        rt.dispatcher.stop()
    task = rt.extras.pop("dispatcher_task", None)
    if task is not None:
        with suppress(asyncio.CancelledError):
            await task
    if application.running:
        _drop_queued(application)
        await application.stop()
    await application.shutdown()
    if rt.writer is not None:
        await rt.writer.flush()
    if rt.db is not None:
        await rt.db.close()
        rt.db = None


def _drop_queued(application: Application) -> None:
    """Updates not yet started stay in the inbox and run after the next start-up, so shutdown
    waits only for those already being handled, not for a whole backlog."""
    queue = application.update_queue
    while not queue.empty():
        queue.get_nowait()
        queue.task_done()


@asynccontextmanager
async def running(application: Application) -> AsyncIterator[InboxPoller]:
    poller = await start_bot(application)
    try:
        yield poller
    finally:
        await stop_bot(application)


async def _register_commands(application: Application, rt: Runtime) -> None:
    """Publish the command menu in every language (the default scope gets the default language)."""
    try:
        for language in (None, *LANGUAGES):
            t = rt.translator(language)
            await application.bot.set_my_commands(
                [BotCommand(name, t._(description)) for name, description in COMMANDS],
                scope=BotCommandScopeDefault(),
                language_code=language,
            )
    except TelegramError as exc:
        log.warning("could not register the command menu: %s", type(exc).__name__)
