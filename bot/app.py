"""The application factory: the one place where configuration, storage, delivery and handlers meet.

    app = build_application(config)                       # production
    app = build_application(config, request=FakeRequest(fake), clock=FakeClock())  # tests

`start_bot` / `stop_bot` (or `async with running(app)`) open storage, start PTB, recover the
inbox and start the outbox dispatcher; `bot.runner` adds polling or the webhook on top. An
update's way in is `bot.telegram.updates.UpdatePath`, built here with its collaborators.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import partial
from typing import Any

from telegram import BotCommand, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import BaseRequest, HTTPXRequest

from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.delivery.dispatcher import OutboxDispatcher
from bot.delivery.email_alarm import AlarmDispatcher
from bot.i18n import LANGUAGES
from bot.runtime import RUNTIME_KEY, Runtime
from bot.scheduling import schedule_sweeper
from bot.services import backups, group_chats, health, menus, unreachable
from bot.services import peers as peer_service
from bot.services import roles as role_service
from bot.services.crisis import escalation
from bot.services.crisis.triage import CrisisDetector
from bot.services.crisis.urgent import urgent_update_check
from bot.storage import Database, inbox
from bot.storage import checkins as checkin_store
from bot.storage import peers as peer_store
from bot.storage import requests as request_store
from bot.storage.backups import back_up
from bot.storage.group_commit import GroupWriter
from bot.storage.migrations import pending
from bot.telegram.persistence import StepPersistence
from bot.telegram.sent import MessageLog, RecordingRequest, TelegramContact
from bot.telegram.updates import UpdatePath
from bot.web.chats import WebChats
from bot.web.transport import WebRouting
from conversations.checkin_schedule import NAME as CHECKIN_SCHEDULE
from conversations.checkin_schedule import build_checkin_conversation
from conversations.intake import NAME as INTAKE
from conversations.intake import build_intake_conversation
from conversations.peer_onboarding import NAME as PEER_ONBOARDING
from conversations.peer_onboarding import build_peer_onboarding_conversation
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
    rt = Runtime(config=config, clock=clock or SystemClock())
    # Every request goes through `RecordingRequest`, so every sent message id is noted (/forget);
    # calls for a web chat are answered by its transcript (bot.web); only what reaches Telegram
    # counts as contact with it (`TelegramContact`, for the health check).
    rt.messages = MessageLog(rt)
    sending = TelegramContact(request or HTTPXRequest(connection_pool_size=256), rt.messages)
    polling = TelegramContact(
        updates_request or request or HTTPXRequest(connection_pool_size=1), rt.messages
    )
    routing = WebRouting(sending, lambda: rt.web)
    builder = (
        ApplicationBuilder()
        .token(config.token or SANDBOX_TOKEN)
        .base_url(config.api_base_url)
        .request(RecordingRequest(routing, rt.messages))
        .get_updates_request(polling)
        # No Updater and no PTB update queue: `UpdatePath` fetches, keeps the inbox and calls
        # `Application.process_update` itself, concurrently across chats, in order within one.
        .updater(None)
        .concurrent_updates(False)
        .persistence(_persistence(rt))
    )
    if rate_limiter:
        # Just under Telegram's 30 a second, so jitter between its clock and ours never costs
        # a 429; the outbox retries one anyway, honouring retry_after.
        builder = builder.rate_limiter(AIORateLimiter(overall_max_rate=OVERALL_RATE, max_retries=0))
    application = builder.build()
    rt.messages.user_data = application.user_data
    routing.resend = partial(_call, application)
    application.bot_data[RUNTIME_KEY] = rt
    _register_handlers(application)
    return application


async def _call(application: Application, method: str, params: dict[str, Any]) -> Any:
    return await application.bot.do_api_request(method, api_kwargs=params, return_type=None)


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
    application.add_handler(build_peer_onboarding_conversation(relay.private_message))
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


async def start_bot(application: Application) -> UpdatePath:
    """Open storage, start PTB and the dispatchers, and re-queue what a crash left unfinished."""
    rt = get_runtime(application)
    rt.db = await open_with_backup(rt)
    rt.detector = CrisisDetector.load(rt.config.triage_extra_dirs)
    await role_service.load(rt)
    await peer_service.load_undertaking_due(rt)
    await application.initialize()
    rt.writer = GroupWriter(rt.db)
    rt.dispatcher = OutboxDispatcher(
        application.bot,
        rt.db,
        rt.clock,
        on_undeliverable=partial(escalation.after_undeliverable, rt),
        on_unreachable=partial(unreachable.peer_unreachable, rt),
        on_chat_migrated=partial(group_chats.group_migrated, rt),
    )
    rt.alarms = AlarmDispatcher(rt.config, rt.db, rt.clock)
    await peer_service.ask_undertaking(rt)  # a new version: peers are asked, not left waiting
    rt.updates = UpdatePath(
        application,
        rt.db,
        rt.clock,
        writer=rt.writer,
        messages=rt.messages,
        is_urgent=urgent_update_check(rt),
    )
    if rt.messages is not None:
        rt.messages.recording = True
    await health.note_started(rt)
    await application.start()
    schedule_sweeper(application)
    rt.outbox_task = asyncio.create_task(rt.dispatcher.run(), name="outbox")
    rt.alarm_task = asyncio.create_task(rt.alarms.run(), name="alarms")
    if rt.config.web_chat.enabled:
        rt.web = _web_chats(rt, application)
    await rt.updates.recover()
    await _register_commands(application, rt)
    await health.note_telegram_ok(rt)  # a separate `peerbot health` sees the bot is in touch
    rt.menus_task = chat_menus.start_sync(application)
    return rt.updates


async def stop_bot(application: Application) -> None:
    """Finish what is in flight, then close everything in reverse order.

    Updates not yet started stay in the inbox and run after the next start-up, so shutdown
    waits only for those already being handled, not for a whole backlog.
    """
    rt = get_runtime(application)
    not_started: list[int] = []
    if rt.updates is not None:
        not_started = await rt.updates.stop()
        rt.updates = None
    if rt.messages is not None:
        rt.messages.recording = False
    if rt.dispatcher is not None:
        rt.dispatcher.stop()
    if rt.alarms is not None:
        rt.alarms.stop()
    menus_task, rt.menus_task = rt.menus_task, None
    if menus_task is not None:
        menus_task.cancel()
        with suppress(asyncio.CancelledError):
            await menus_task
    alarm_task, rt.alarm_task = rt.alarm_task, None
    if alarm_task is not None:
        # A mail server that hangs must not hold up shutdown: what was not sent stays pending.
        alarm_task.cancel()
        with suppress(asyncio.CancelledError):
            await alarm_task
        rt.alarms = None
    task, rt.outbox_task = rt.outbox_task, None
    if task is not None:
        with suppress(asyncio.CancelledError):
            await task
    web, rt.web = rt.web, None  # after the updates and the outbox: they may still write to it
    if web is not None:
        await web.close()
    if application.running:
        await application.stop()
    await application.shutdown()
    if rt.writer is not None:
        await rt.writer.flush()
    if rt.db is not None:
        await inbox.not_tried(rt.db, not_started)
        await rt.db.close()
        rt.db = None


def _web_chats(rt: Runtime, application: Application) -> WebChats:
    settings = rt.config.web_chat
    push = None
    if settings.vapid_private_key_file is not None:
        from bot.web.push import PushSender  # only where notifications are configured

        push = PushSender(settings.vapid_private_key_file, settings.vapid_subject)
    chats = WebChats(rt, bot_id=application.bot.id, push=push)
    chats.drop_memory = partial(_drop_memory, application)
    return chats


def _drop_memory(application: Application, chat_id: int) -> None:
    """A forgotten web chat: what PTB held in memory for it goes too."""
    application.drop_user_data(chat_id)
    application.drop_chat_data(chat_id)


@asynccontextmanager
async def running(application: Application) -> AsyncIterator[UpdatePath]:
    updates = await start_bot(application)
    try:
        yield updates
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
