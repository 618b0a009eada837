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

from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import BaseRequest, HTTPXRequest

from bot import metrics
from bot.alarm import AlarmDispatcher
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.delivery import OutboxDispatcher
from bot.footprint import RecordingBot
from bot.i18n import LANGUAGES
from bot.polling import InboxPoller
from bot.runtime import RUNTIME_KEY, Runtime
from bot.scheduling import schedule_sweeper
from bot.services import backups, escalation, group_chats, health, menus, unreachable
from bot.services import peers as peer_service
from bot.services import roles as role_service
from bot.services.triage import CrisisDetector
from bot.services.urgent import urgent_update_check
from bot.storage import Database, inbox, recent_messages
from bot.storage import checkins as checkin_store
from bot.storage import peers as peer_store
from bot.storage import requests as request_store
from bot.storage.backups import back_up
from bot.storage.group_commit import GroupWriter
from bot.storage.migrations import pending
from bot.storage.outbox import OutboxMessage
from bot.update_processor import ChatOrderedProcessor
from conversations.checkin_schedule import NAME as CHECKIN_SCHEDULE
from conversations.checkin_schedule import build_checkin_conversation
from conversations.intake import NAME as INTAKE
from conversations.intake import build_intake_conversation
from conversations.peer_onboarding import NAME as PEER_ONBOARDING
from conversations.peer_onboarding import build_peer_onboarding_conversation
from conversations.persistence import StepPersistence
from handlers import (
    chats,
    checkins,
    citizen,
    common,
    communities,
    coordinator,
    coordinator_tools,
    crisis,
    errors,
    forget,
    names,
    peer,
    privacy,
    protection,
    relay,
    roles,
    statistics,
    urgent,
    wellbeing,
)
from handlers import menus as chat_menus
from handlers.base import MEMORY_UNRECORDED, UNRECORDED_LIMIT

log = logging.getLogger(__name__)

OVERALL_RATE = 29
SANDBOX_TOKEN = "123456:SANDBOX-TOKEN-not-for-telegram"


def build_application(
    config: Config,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    clock: Clock | None = None,
    rate_limiter: bool = True,
) -> Application:
    """Assemble the bot; nothing is opened or sent until `start_bot`."""
    # Built here rather than by the builder so that every sent message id is noted (/forget).
    bot = RecordingBot(
        token=config.token or SANDBOX_TOKEN,
        base_url=config.api_base_url,
        request=request or HTTPXRequest(connection_pool_size=256),
        get_updates_request=updates_request or request or HTTPXRequest(connection_pool_size=1),
        # Just under Telegram's 30 a second, so jitter between its clock and ours never costs
        # a 429; the outbox retries one anyway, honouring retry_after.
        rate_limiter=(
            AIORateLimiter(overall_max_rate=OVERALL_RATE, max_retries=0) if rate_limiter else None
        ),
    )
    builder = ApplicationBuilder().bot(bot).updater(None).concurrent_updates(ChatOrderedProcessor())
    rt = Runtime(config=config, clock=clock or SystemClock())
    application = builder.persistence(_persistence(rt)).build()
    application.bot_data[RUNTIME_KEY] = rt
    _register_handlers(application)
    return application


def _register_handlers(application: Application) -> None:
    """Order matters: urgent help and crisis words first (their own group), dialogues, features,
    catch-alls last.

    Relayed conversation messages come right after the dialogues: they are by far the most
    frequent update, and PTB tries handlers one by one. That handler takes only new messages
    that are not commands, so the command and button handlers after it see every update they
    saw before; a handler of plain messages must go before it (tests/test_app.py checks this).
    """
    for module in (errors, chats, urgent, crisis):
        module.register(application)
    application.add_handler(build_intake_conversation())
    application.add_handler(build_peer_onboarding_conversation())
    application.add_handler(build_checkin_conversation())
    relay.register_conversation_messages(application)
    for module in (
        citizen,
        names,
        peer,
        checkins,
        wellbeing,
        coordinator,
        coordinator_tools,
        protection,
        roles,
        statistics,
        privacy,
        forget,
        communities,
        relay,
        common,
    ):
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
    copy = None
    if version and pending(version):
        copy = backups.migration_copy_path(rt.config.database, version)
        await back_up(db, copy, rt.config.backup_key)
        log.info("backup taken before migrating from schema version %d", version)
    await db.migrate()
    if copy is not None:
        rt.db = db
        await backups.note_migration_copy(rt, copy)  # it ages like a backup from now on
    return db


def get_runtime(application: Application) -> Runtime:
    return application.bot_data[RUNTIME_KEY]


async def start_bot(application: Application) -> InboxPoller:
    """Open storage, start PTB and the dispatcher, and re-queue what a crash left unfinished."""
    rt = get_runtime(application)
    rt.db = await open_with_backup(rt)
    rt.detector = CrisisDetector.load(rt.config.triage_extra_dirs)
    await role_service.load(rt)
    await peer_service.load_undertaking_due(rt)
    await application.initialize()
    rt.writer = GroupWriter(rt.db)
    rt.dispatcher = OutboxDispatcher(application.bot, rt.db, rt.clock)

    async def undeliverable(message: OutboxMessage) -> None:
        await escalation.after_undeliverable(rt, message)

    rt.dispatcher.on_undeliverable = undeliverable

    async def blocked(chat_id: int) -> None:
        await unreachable.peer_unreachable(rt, chat_id)

    rt.dispatcher.on_unreachable = blocked

    async def chat_migrated(old_chat_id: int, new_chat_id: int) -> None:
        await group_chats.group_migrated(rt, old_chat_id, new_chat_id)

    rt.dispatcher.on_chat_migrated = chat_migrated
    rt.alarms = AlarmDispatcher(rt.config, rt.db, rt.clock)
    await peer_service.ask_undertaking(rt)  # a new version: peers are asked, not left waiting
    poller = InboxPoller(application, rt.db, rt.clock)
    poller.is_urgent = urgent_update_check(rt)
    rt.extras["poller"] = poller
    processor = application.update_processor
    assert isinstance(processor, ChatOrderedProcessor)
    poller.mark_urgent = processor.urgent.add
    writer = rt.writer

    async def finished(update: Update) -> None:
        inbox.finish_later(writer, update.update_id, rt.now())
        message = update.message
        if message is not None and message.chat.type == "private":
            noted(message.chat.id, message.message_id, from_bot=False)
        metrics.UPDATES.inc()

    def noted(chat_id: int, message_id: int, *, from_bot: bool) -> None:
        """Stored for people the bot knows; in memory too, for those who have not agreed yet
        (written when they do, see conversations.intake.consent_given)."""
        recent_messages.record_later(writer, chat_id, message_id, rt.now(), from_bot=from_bot)
        if chat_id > 0:
            memory = application.user_data[chat_id].setdefault(MEMORY_UNRECORDED, [])
            memory[:] = [*memory[-(UNRECORDED_LIMIT - 1) :], (message_id, from_bot)]

    def sent(chat_id: int, message_id: int) -> None:
        noted(chat_id, message_id, from_bot=True)

    processor.on_finished = finished
    bot = application.bot
    if isinstance(bot, RecordingBot):
        bot.on_sent(sent)
        bot.on_contact(lambda: health.contact_made(rt))
    await health.note_started(rt)
    await application.start()
    schedule_sweeper(application)
    rt.extras["dispatcher_task"] = asyncio.create_task(rt.dispatcher.run(), name="outbox")
    rt.extras["alarm_task"] = asyncio.create_task(rt.alarms.run(), name="alarms")
    await poller.recover()
    await _register_commands(application, rt)
    await health.note_telegram_ok(rt)  # a separate `peerbot health` sees the bot is in touch
    rt.extras["menus_task"] = chat_menus.start_sync(application)
    return poller


async def stop_bot(application: Application) -> None:
    """Finish what is in flight, then close everything in reverse order."""
    rt = get_runtime(application)
    if isinstance(application.bot, RecordingBot):
        application.bot.on_sent(None)
        application.bot.on_contact(None)
    if rt.dispatcher is not None:
        rt.dispatcher.stop()
    if rt.alarms is not None:
        rt.alarms.stop()
    menus_task = rt.extras.pop("menus_task", None)
    if menus_task is not None:
        menus_task.cancel()
        with suppress(asyncio.CancelledError):
            await menus_task
    alarm_task = rt.extras.pop("alarm_task", None)
    if alarm_task is not None:
        # A mail server that hangs must not hold up shutdown: what was not sent stays pending.
        alarm_task.cancel()
        with suppress(asyncio.CancelledError):
            await alarm_task
        rt.alarms = None
    task = rt.extras.pop("dispatcher_task", None)
    if task is not None:
        with suppress(asyncio.CancelledError):
            await task
    dropped: list[int] = []
    if application.running:
        dropped = _drop_queued(application)
        await application.stop()
    await application.shutdown()
    if rt.writer is not None:
        await rt.writer.flush()
    if rt.db is not None:
        await inbox.not_tried(rt.db, dropped)
        await rt.db.close()
        rt.db = None


def _drop_queued(application: Application) -> list[int]:
    """Updates not yet started stay in the inbox and run after the next start-up, so shutdown
    waits only for those already being handled, not for a whole backlog; returns their ids."""
    queue = application.update_queue
    dropped = []
    while not queue.empty():
        update = queue.get_nowait()
        if isinstance(update, Update):
            dropped.append(update.update_id)
        queue.task_done()
    return dropped


@asynccontextmanager
async def running(application: Application) -> AsyncIterator[InboxPoller]:
    poller = await start_bot(application)
    try:
        yield poller
    finally:
        await stop_bot(application)


async def _register_commands(application: Application, rt: Runtime) -> None:
    """Publish the citizens' command menu in every language (the default scope gets the default
    language); peers and staff get theirs per chat (handlers/menus.py)."""
    try:
        for language in (None, *LANGUAGES):
            t = rt.translator(language)
            await application.bot.set_my_commands(
                [
                    BotCommand(name, t._(description))
                    for name, description in menus.COMMANDS[menus.Menu.CITIZEN]
                ],
                scope=BotCommandScopeDefault(),
                language_code=language,
            )
    except TelegramError as exc:
        log.warning("could not register the command menu: %s", type(exc).__name__)
