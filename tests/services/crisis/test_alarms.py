"""The e-mail alarm without Telegram: decided with the escalation stage that causes it, at once
when nobody can be reached, once per citizen and stage in half an hour, never for old cases,
never when none is configured, and cancelled by an acknowledgement."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.config import AlarmSettings
from bot.runtime import Runtime
from bot.services.crisis import alarms, escalation
from bot.services.crisis.escalation import Reason
from bot.storage import alarms as alarm_store
from bot.storage import escalations as escalation_store
from bot.storage import outbox as outbox_store
from bot.storage.alarms import Stage
from bot.storage.users import User
from tests.helpers.harness import BACKUP_COORDINATOR
from tests.services import given

ALARM = AlarmSettings(smtp_host="smtp.example.dk", from_address="bot@example.dk", to=("a@b.dk",))
FRIDAY_NIGHT = datetime(2026, 3, 6, 21, 0, tzinfo=UTC)  # 22:00 in Copenhagen: office closed


@pytest.fixture
async def asker(rt: Runtime) -> User:
    rt.config = replace(rt.config, alarm=ALARM)
    await given.coordinators_in_english(rt)
    return await given.citizen(rt)


async def raise_for(
    rt: Runtime, user: User, reason: Reason = Reason.BUTTON, key: str = "u:1"
) -> int:
    raised = await escalation.raise_escalation(
        rt, reason=reason, citizen_id=user.id, source_key=key
    )
    assert raised is not None
    return raised


async def test_when_telegram_refuses_every_alert_the_alarm_goes_out_at_once(
    rt: Runtime, asker: User
) -> None:
    number = await raise_for(rt, asker)
    assert await alarm_store.all_for(rt.storage, number) == []
    before = await given.mark(rt)
    for message in await outbox_store.due(rt.storage, rt.now()):
        await outbox_store.give_up(rt.storage, message.id, "unreachable")
        await escalation.after_undeliverable(rt, message)
    assert await alarm_store.all_for(rt.storage, number) == [("unreachable", "pending")]
    sent = await given.since(rt, before)
    assert [chat for chat, _ in sent] == [asker.telegram_id, BACKUP_COORDINATOR]
    assert sent[0][1].startswith("Right now none of our coordinators can be reached")


async def test_outside_office_hours_nobody_on_call_means_an_alarm_at_once(
    rt: Runtime, clock: FakeClock, asker: User
) -> None:
    clock.set(FRIDAY_NIGHT)
    number = await raise_for(rt, asker)
    assert await alarm_store.all_for(rt.storage, number) == [("unreachable", "pending")]


async def test_one_alarm_per_citizen_and_stage_in_half_an_hour(
    rt: Runtime, clock: FakeClock, asker: User
) -> None:
    clock.set(FRIDAY_NIGHT)
    first = await raise_for(rt, asker, Reason.SIGNAL, "u:1")
    clock.advance(alarms.CITIZEN_ALARM_WINDOW - timedelta(minutes=1))
    covered = await raise_for(rt, asker, Reason.BUTTON, "u:2")
    clock.advance(timedelta(minutes=2))
    later = await raise_for(rt, asker, Reason.SIGNAL, "u:3")
    assert await alarm_store.all_for(rt.storage, first) == [("unreachable", "pending")]
    assert await alarm_store.all_for(rt.storage, covered) == []
    assert await alarm_store.all_for(rt.storage, later) == [("unreachable", "pending")]
    other = await given.citizen(rt, 5002)
    assert await alarm_store.all_for(rt.storage, await raise_for(rt, other, key="u:4")) == [
        ("unreachable", "pending")
    ]


async def test_no_alarm_for_a_case_older_than_a_day_or_without_configuration(
    rt: Runtime, clock: FakeClock, asker: User
) -> None:
    number = await raise_for(rt, asker)
    found = await escalation_store.by_id(rt.storage, number)
    assert found is not None
    clock.advance(alarms.ALARM_MAX_AGE + timedelta(seconds=1))
    async with rt.storage.transaction() as tx:
        assert not await alarms.queue(rt, tx, found, Stage.UNACKNOWLEDGED)
    clock.advance(-alarms.ALARM_MAX_AGE)
    rt.config = replace(rt.config, alarm=AlarmSettings())
    async with rt.storage.transaction() as tx:
        assert not await alarms.queue(rt, tx, found, Stage.UNACKNOWLEDGED)
    assert await alarm_store.all_for(rt.storage, number) == []


async def test_a_case_handed_back_is_named_so_in_the_alarm(rt: Runtime, asker: User) -> None:
    number = await escalation.raise_escalation(
        rt,
        reason=Reason.UNANSWERED,
        citizen_id=asker.id,
        categories=frozenset({escalation.HANDED_BACK}),
        source_key="handed_back:1",
        citizen_answered=True,
    )
    assert number is not None
    found = await escalation_store.by_id(rt.storage, number)
    assert found is not None
    async with rt.storage.transaction() as tx:
        assert await alarms.queue(rt, tx, found, Stage.UNACKNOWLEDGED)
        assert not await alarms.queue(rt, tx, found, Stage.UNACKNOWLEDGED)  # once
    (reason,) = await rt.storage.fetchone(
        "SELECT reason FROM alarms WHERE escalation_id = ?", (number,)
    )
    assert reason == "handed_back"
