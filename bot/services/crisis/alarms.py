"""The e-mail alarm beyond Telegram: when it is decided.

The decision (`queue`) is written in the same transaction as the escalation stage that causes
it, so it survives any crash; `bot.delivery.email_alarm.AlarmDispatcher` sends it with the text of
`bot.delivery.alarm_text`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot import metrics
from bot.runtime import Runtime
from bot.storage import Transaction
from bot.storage import alarms as alarm_store
from bot.storage.alarms import Stage
from bot.storage.escalations import Escalation

log = logging.getLogger(__name__)

# One person pressing "I need help now" again and again must not flood an SMS gateway: while an
# alarm of the same stage for the same citizen is this recent, coordinators are already called
# to the bot, where they see every open escalation.
CITIZEN_ALARM_WINDOW = timedelta(minutes=30)


# An alarm is for what is happening now: escalations older than this raise none.
ALARM_MAX_AGE = timedelta(hours=24)


async def queue(rt: Runtime, tx: Transaction, escalation: Escalation, stage: Stage) -> bool:
    """Decide the alarm for this escalation and stage, once; nothing when none is configured."""
    if not rt.config.alarm.enabled:
        log.warning("escalation %d: no e-mail alarm configured (%s)", escalation.id, stage.value)
        return False
    if rt.now() - escalation.created_at > ALARM_MAX_AGE:
        # Older escalations (from before the alarm existed, or reopened long after) are for
        # /escalations, not for a burst of SMS about cases that are days old.
        log.info("escalation %d: too old for an e-mail alarm (%s)", escalation.id, stage.value)
        return False
    if escalation.citizen_id is not None and await alarm_store.recent_for_citizen(
        tx, escalation.citizen_id, stage, rt.now() - CITIZEN_ALARM_WINDOW
    ):
        log.info("escalation %d: covered by a recent alarm (%s)", escalation.id, stage.value)
        return False
    queued = await alarm_store.queue(
        tx,
        escalation_id=escalation.id,
        stage=stage,
        # A case handed back from a removed coordinator is stored as "unanswered"; the alarm
        # names it for what it is.
        reason="handed_back" if "handed_back" in escalation.categories else escalation.reason,
        raised_at=escalation.created_at,
        now=rt.now(),
    )
    if queued:
        metrics.ALARMS.labels(result="queued").inc()
        log.info("escalation %d: e-mail alarm queued (%s)", escalation.id, stage.value)
    return queued


async def cancel(tx: Transaction, escalation_id: int) -> None:
    """Someone acknowledged: an alarm not yet sent would only mislead."""
    if await alarm_store.cancel_for(tx, escalation_id):
        log.info("escalation %d: pending e-mail alarm cancelled (acknowledged)", escalation_id)
