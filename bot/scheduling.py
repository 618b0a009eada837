"""Timers only wake the sweeper; what is due lives in the database (see DESIGN, "Timers").

The sweeper looks at due rows (offers past their time, waiting requests, unacknowledged
escalations, peers back from away) and acts on each in its own transaction, so a restart simply
finds them again. Tests move the fake clock and call `sweep` directly.
"""

from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes

from bot.runtime import RUNTIME_KEY, Runtime
from bot.services import escalation, matching, privacy
from bot.storage import peers as peer_store

log = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 15


async def sweep(rt: Runtime) -> None:
    """Do everything that has become due."""
    await peer_store.return_from_away(rt.storage, rt.now())
    await escalation.follow_up(rt)
    await matching.expire_offers(rt)
    await matching.match_waiting(rt)
    await matching.raise_unanswered(rt)
    await privacy.apply_retention(rt)


async def _sweep_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await sweep(context.application.bot_data[RUNTIME_KEY])
    except Exception:
        log.exception("sweep failed; the next one will try again")


def schedule_sweeper(application: Application) -> None:
    assert application.job_queue is not None
    application.job_queue.run_repeating(
        _sweep_job,
        interval=SWEEP_INTERVAL_SECONDS,
        first=1,
        name="sweeper",
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )
