"""Timers only wake the sweeper; what is due lives in the database (see DESIGN, "Timers").

The sweeper looks at due rows (offers past their time, waiting requests, unacknowledged
escalations, peers back from away) and acts on each in its own transaction, so a restart simply
finds them again. Tests move the fake clock and call `sweep` directly.

Each step of a sweep runs on its own: one that fails (a full disk during the backup, a bad row
in retention) is logged by name and error type only, counted in
``peerbot_sweep_step_failures{step}``, and tried again at the next sweep, while the steps after
it still run. Escalation follow-ups go first: nobody's urgent request waits for the rest.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

from telegram import Bot
from telegram.error import NetworkError, TelegramError
from telegram.ext import Application, ContextTypes

from bot import metrics
from bot.runtime import RUNTIME_KEY, Runtime
from bot.services import (
    backups,
    checkins,
    communities,
    health,
    matching,
    peer_care,
    privacy,
    wellbeing,
)
from bot.services.crisis import escalation
from bot.storage import checkins as checkin_store
from bot.storage import inbox, recent_messages
from bot.storage import peers as peer_store

log = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 15
PROBE_AFTER = timedelta(minutes=1)
TIMER_WINDOW = timedelta(hours=24)
TIMER_REFILL_SECONDS = 3600


Step = Callable[[Runtime], Awaitable[object]]

# In order; each name is the metric's label. The functions are looked up when the step runs.
SWEEP_STEPS: tuple[tuple[str, Step], ...] = (
    ("escalation_follow_up", lambda rt: escalation.follow_up(rt)),
    ("return_from_away", lambda rt: peer_store.return_from_away(rt.storage, rt.now())),
    ("checkins", lambda rt: checkins.sweep(rt)),
    ("wellbeing_follow_ups", lambda rt: wellbeing.offer_follow_ups(rt)),
    ("peer_care", lambda rt: peer_care.follow_ups(rt)),
    ("community_follow_ups", lambda rt: communities.follow_ups(rt)),
    ("expire_offers", lambda rt: matching.expire_offers(rt)),
    ("match_waiting", lambda rt: matching.match_waiting(rt)),
    ("raise_unanswered", lambda rt: matching.raise_unanswered(rt)),
    ("retention", lambda rt: privacy.apply_retention(rt)),
    ("prune_recent_messages", lambda rt: recent_messages.prune(rt.storage, rt.now())),
    ("prune_inbox", lambda rt: inbox.prune_seen(rt.storage, rt.now())),
    ("forget_idle_web_chats", lambda rt: _forget_idle_web_chats(rt)),
    ("backup", lambda rt: backups.daily_backup(rt)),
    ("telegram_stamp", lambda rt: health.note_telegram_ok(rt)),
    ("gauges", lambda rt: health.refresh_gauges(rt)),
)


async def _forget_idle_web_chats(rt: Runtime) -> None:
    if rt.web is not None:
        await rt.web.forget_idle()


async def sweep(rt: Runtime) -> dict[str, Exception]:
    """Do everything that has become due; returns the steps that failed, with their errors."""
    failed: dict[str, Exception] = {}
    for name, step in SWEEP_STEPS:
        try:
            await step(rt)
        except Exception as exc:
            failed[name] = exc
            metrics.SWEEP_STEP_FAILURES.labels(step=name).inc()
            log.error(
                "sweep step %s failed (%s at %s); the next sweep tries it again",
                name,
                type(exc).__name__,
                _where(exc),
            )
    return failed


def _where(exc: BaseException) -> str:
    """File and line where an error was raised: enough to find it, and no data from it."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}"


async def _sweep_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = context.application.bot_data[RUNTIME_KEY]
    await keep_in_touch(context.bot, rt)
    await sweep(rt)


async def keep_in_touch(bot: Bot, rt: Runtime) -> None:
    """Ask Telegram something cheap when no call succeeded for a minute.

    A webhook bot makes no call while nobody writes, so without this the health check could
    not tell a quiet evening from a broken connection. Polling never gets here (getUpdates
    answers at least every 25 s).
    """
    last = health.last_contact(rt)
    if last is not None and rt.now() - last < PROBE_AFTER:
        return
    try:
        await bot.get_webhook_info()
    except TelegramError as exc:
        metrics.TELEGRAM_ERRORS.labels(
            kind="network" if isinstance(exc, NetworkError) else "bad_request"
        ).inc()
        log.warning("Telegram did not answer the health probe (%s)", type(exc).__name__)


async def _checkins_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await checkins.sweep(context.application.bot_data[RUNTIME_KEY])
    except Exception:
        log.exception("check-in sweep failed; the next one will try again")


async def load_timers(application: Application) -> int:
    """Put a timer on the job queue for each check-in due in the next window (not all of them:
    100,000 jobs would cost seconds and memory); the hourly refill moves the window on."""
    rt: Runtime = application.bot_data[RUNTIME_KEY]
    now = rt.now()
    lead = timedelta(minutes=rt.config.reminder_minutes)
    due = await checkin_store.pending_between(rt.storage, now - lead, now + TIMER_WINDOW + lead)
    for checkin_id, due_at in due:
        add_timers(application, checkin_id, due_at)
    return len(due)


def add_timers(application: Application, checkin_id: int, due_at: datetime) -> None:
    """Wake the check-in sweep at the reminder time and the due time (names are stable)."""
    rt: Runtime = application.bot_data[RUNTIME_KEY]
    job_queue = application.job_queue
    assert job_queue is not None
    now = rt.now()
    lead = timedelta(minutes=rt.config.reminder_minutes)
    if due_at > now + TIMER_WINDOW + lead:
        return
    for moment, suffix in ((due_at - lead, "reminder"), (due_at, "due")):
        if moment <= now:
            continue
        name = f"checkin:{checkin_id}:{suffix}"
        job_queue.run_once(
            _checkins_job,
            when=moment,
            name=name,
            job_kwargs={"id": name, "replace_existing": True, "misfire_grace_time": None},
        )


async def _refill_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await load_timers(context.application)


def schedule_sweeper(application: Application) -> None:
    """The periodic sweep, and the check-in timers (anything overdue is swept at once)."""
    assert application.job_queue is not None
    forever = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
    application.job_queue.run_repeating(
        _sweep_job, interval=SWEEP_INTERVAL_SECONDS, first=0.1, name="sweeper", job_kwargs=forever
    )
    application.job_queue.run_repeating(
        _refill_job, interval=TIMER_REFILL_SECONDS, first=0.1, name="timers", job_kwargs=forever
    )
