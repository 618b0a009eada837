"""What the e-mail alarm says: short enough for an SMS gateway, with no personal data.

The urgent number, the kind of reason, its age and "open the bot", in the configured default
language; `bot.delivery.email_alarm.AlarmDispatcher` sends it and `peerbot test-alarm` sends
its test.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.i18n import N_, Translator
from bot.storage.alarms import Alarm, Stage

# The kind of reason, in a few words (an SMS has 160 characters).
REASON_WORDS = {
    "button": N_("help button"),
    "signal": N_("crisis words"),
    "peer_concern": N_("peer's concern"),
    "unanswered": N_("no peer answered"),
    "handed_back": N_("coordinator removed"),
}


def age_words(t: Translator, age: timedelta) -> str:
    minutes = max(0, int(age.total_seconds() // 60))
    if minutes < 120:
        return t.ngettext("{n} minute", "{n} minutes", minutes)
    hours = minutes // 60
    if hours <= 48:
        return t.ngettext("{n} hour", "{n} hours", hours)
    return t.ngettext("{n} day", "{n} days", hours // 24)


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
