"""The e-mail alarm beyond Telegram: what is decided, and what the e-mail says.

The decision (`queue`) is written in the same transaction as the escalation stage that causes
it, so it survives any crash; `bot.alarm.AlarmDispatcher` sends it. The e-mail carries no
personal data: the urgent number, the kind of reason, its age and "open the bot", short enough
for an e-mail-to-SMS gateway. It is written in the configured default language.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot import metrics
from bot.i18n import N_, Translator
from bot.runtime import Runtime
from bot.storage import Transaction
from bot.storage import alarms as alarm_store
from bot.storage.alarms import Alarm, Stage
from bot.storage.escalations import Escalation

log = logging.getLogger(__name__)

# One person pressing "I need help now" again and again must not flood an SMS gateway: while an
# alarm of the same stage for the same citizen is this recent, coordinators are already called
# to the bot, where they see every open escalation.
CITIZEN_ALARM_WINDOW = timedelta(minutes=30)

# The kind of reason, in a few words (an SMS has 160 characters).
REASON_WORDS = {
    "button": N_("help button"),
    "signal": N_("crisis words"),
    "peer_concern": N_("peer's concern"),
    "unanswered": N_("no peer answered"),
}


async def queue(rt: Runtime, tx: Transaction, escalation: Escalation, stage: Stage) -> bool:
    """Decide the alarm for this escalation and stage, once; nothing when none is configured."""
    if not rt.config.alarm.enabled:
        log.warning("escalation %d: no e-mail alarm configured (%s)", escalation.id, stage.value)
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
        reason=escalation.reason,
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


def age_words(t: Translator, age: timedelta) -> str:
    minutes = max(0, int(age.total_seconds() // 60))
    if minutes < 120:
        return t.ngettext("{n} minute", "{n} minutes", minutes)
    hours = minutes // 60
    return t.ngettext("{n} hour", "{n} hours", hours)


def compose(t: Translator, alarm: Alarm, now: datetime, organisation: str) -> tuple[str, str]:
    """(subject, body) of one alarm, its age counted at the moment of sending."""
    reason = t._(REASON_WORDS.get(alarm.reason, N_("urgent")))
    age = age_words(t, now - alarm.raised_at)
    subject = t._("Alarm: urgent #{number}", number=alarm.escalation_id)
    if alarm.stage is Stage.UNREACHABLE:
        body = t._(
            "{organisation}: urgent #{number} ({reason}), raised {age} ago. No coordinator can "
            "be reached on Telegram. Open the bot.",
            organisation=organisation,
            number=alarm.escalation_id,
            reason=reason,
            age=age,
        )
    else:
        body = t._(
            "{organisation}: urgent #{number} ({reason}) has waited {age} and nobody has "
            "acknowledged it. Open the bot.",
            organisation=organisation,
            number=alarm.escalation_id,
            reason=reason,
            age=age,
        )
    return subject, body


def compose_test(t: Translator, organisation: str) -> tuple[str, str]:
    """The e-mail `peerbot test-alarm` sends."""
    return (
        t._("Test alarm"),
        t._(
            "{organisation}: this is a test of the alarm. When an urgent request cannot reach a "
            "coordinator, a message like this says so. Open the bot.",
            organisation=organisation,
        ),
    )
