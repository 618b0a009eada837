"""The health report without Telegram: each problem named when, and only when, its limit has
passed; a bot that has just started is not called unhealthy."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import FakeClock
from bot.runtime import Runtime
from bot.services import health
from bot.services.crisis import escalation
from tests.services import given
from tests.services.test_checkins import plan, utc

TELEGRAM = "no recent successful contact with Telegram"
OUTBOX = "messages have waited more than 10 minutes to be sent"
URGENT = "an urgent request has waited long for a coordinator"


async def telegram_answered(rt: Runtime) -> None:
    health.contact_made(rt)
    await health.note_telegram_ok(rt)


async def test_a_fresh_start_is_healthy_for_two_minutes_without_telegram(
    rt: Runtime, clock: FakeClock
) -> None:
    report = await health.report(rt)
    assert report.problems == [TELEGRAM]
    await health.note_started(rt)
    assert (await health.report(rt)).healthy
    clock.advance(health.START_GRACE)
    assert (await health.report(rt)).problems == [TELEGRAM]
    await telegram_answered(rt)
    report = await health.report(rt)
    assert report.healthy and report.telegram_last_ok_seconds == 0
    clock.advance(health.TELEGRAM_STALE + timedelta(seconds=1))
    assert (await health.report(rt)).problems == [TELEGRAM]


async def test_an_unacknowledged_alert_and_an_unsent_message_are_problems_after_their_limits(
    rt: Runtime, clock: FakeClock
) -> None:
    user = await given.citizen(rt)
    await escalation.raise_escalation(
        rt, reason=escalation.Reason.BUTTON, citizen_id=user.id, source_key="u:1"
    )
    clock.advance(timedelta(minutes=10))
    await telegram_answered(rt)
    report = await health.report(rt)
    assert report.healthy
    assert (report.escalations_open, report.outbox_pending) == (1, 1)
    assert report.escalation_oldest_seconds == 600
    clock.advance(timedelta(minutes=5, seconds=1))  # three waits of 5 minutes
    await telegram_answered(rt)
    assert (await health.report(rt)).problems == [OUTBOX, URGENT]
    await escalation.acknowledge(rt, 1, 9001, "Ida")
    assert (await health.report(rt)).problems == [OUTBOX]


async def test_an_overdue_check_in_is_a_problem(rt: Runtime, clock: FakeClock) -> None:

    contact = await given.pair(rt)
    await plan(rt, contact, datetime(2026, 3, 3, 10, 0))
    clock.set(utc(2026, 3, 3, 9, 4, 59))
    await telegram_answered(rt)
    report = await health.report(rt)
    assert report.checkins_pending == 1 and report.checkins_overdue == 0
    clock.advance(timedelta(seconds=1))
    await telegram_answered(rt)
    assert "check-ins are overdue" in (await health.report(rt)).problems
