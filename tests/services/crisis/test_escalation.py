"""Escalations without Telegram: who is alerted, when the follow-ups come and who they reach,
what an acknowledgement stops, and how repeated presses join one alert.

The clock starts on Monday 2 March 2026 at 10:00 in Copenhagen (office hours, 09-16); the
acknowledgement wait is the default 5 minutes.

Who acts: the coordinators' list refuses anyone else, and a peer's concern note prompt is
known by its message id for that peer only.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.config import AlarmSettings
from bot.errors import NotAllowed
from bot.runtime import Runtime
from bot.services.crisis import escalation
from bot.services.crisis.escalation import Reason
from bot.staff import Actor
from bot.storage import alarms as alarm_store
from bot.storage import escalations as escalation_store
from bot.storage.users import User
from tests.helpers.harness import BACKUP_COORDINATOR, COORDINATOR
from tests.services import given
from tests.services.given import GROUP, World

WAIT = timedelta(minutes=5)
ALARM = AlarmSettings(smtp_host="smtp.example.dk", from_address="bot@example.dk", to=("a@b.dk",))


@pytest.fixture
async def asker(rt: Runtime) -> User:
    rt.config = replace(rt.config, alarm=ALARM)
    await given.coordinators_in_english(rt)
    return await given.citizen(rt)


async def press(rt: Runtime, user: User, key: str = "update:1") -> int:
    raised = await escalation.raise_escalation(
        rt, reason=Reason.BUTTON, citizen_id=user.id, source_key=key
    )
    assert raised is not None
    return raised


def chats(messages: list[tuple[int, str]]) -> list[int]:
    return [chat for chat, _ in messages]


async def test_an_alert_reaches_the_coordinator_on_duty_and_not_the_backup(
    rt: Runtime, asker: User
) -> None:
    number = await press(rt, asker)
    sent = await given.since(rt, 0)
    assert chats(sent) == [COORDINATOR]
    assert sent[0][1].startswith(f"Urgent #{number}\n")
    assert 'Why: pressed "I need help now"' in sent[0][1]


async def test_follow_ups_come_one_wait_apart_each_once_backup_second_alarm_third(
    rt: Runtime, clock: FakeClock, asker: User
) -> None:
    number = await press(rt, asker)
    before = await given.mark(rt)
    clock.advance(WAIT - timedelta(seconds=1))
    assert await escalation.follow_up(rt) == 0

    clock.advance(timedelta(seconds=1))
    assert await escalation.follow_up(rt) == 1
    first = await given.since(rt, before)
    assert chats(first) == [COORDINATOR, asker.telegram_id]
    assert first[0][1].startswith(f"Still not acknowledged: urgent #{number}")
    assert first[1][1].startswith("Our team has been told, but nobody has been able to answer yet")
    assert "112" in first[1][1]
    assert await escalation.follow_up(rt) == 0  # once

    before = await given.mark(rt)
    clock.advance(WAIT)
    assert await escalation.follow_up(rt) == 1
    assert chats(await given.since(rt, before)) == [BACKUP_COORDINATOR]
    assert await alarm_store.all_for(rt.storage, number) == []

    clock.advance(WAIT)
    assert await escalation.follow_up(rt) == 1
    assert await alarm_store.all_for(rt.storage, number) == [("unacknowledged", "pending")]
    clock.advance(WAIT)
    assert await escalation.follow_up(rt) == 0


async def test_an_acknowledged_alert_gets_no_follow_up_and_the_citizen_hears_someone_saw_it(
    rt: Runtime, clock: FakeClock, asker: User
) -> None:
    number = await press(rt, asker)
    clock.advance(timedelta(minutes=1))
    before = await given.mark(rt)
    result = await escalation.acknowledge(rt, number, COORDINATOR, "Ida")
    assert result.won
    told = await given.since(rt, before)
    assert chats(told) == [asker.telegram_id]
    assert told[0][1].startswith("A person from our team has seen your message")

    before = await given.mark(rt)
    clock.advance(4 * WAIT)
    assert await escalation.follow_up(rt) == 0
    assert await given.since(rt, before) == []
    assert await alarm_store.all_for(rt.storage, number) == []
    assert not (await escalation.acknowledge(rt, number, BACKUP_COORDINATOR, "Bo")).won


async def test_an_acknowledgement_cancels_an_alarm_not_yet_sent(
    rt: Runtime, clock: FakeClock, asker: User
) -> None:
    number = await press(rt, asker)
    for _ in range(3):
        clock.advance(WAIT)
        await escalation.follow_up(rt)
    assert await alarm_store.all_for(rt.storage, number) == [("unacknowledged", "pending")]
    await escalation.acknowledge(rt, number, COORDINATOR, "Ida")
    assert await alarm_store.all_for(rt.storage, number) == [("unacknowledged", "cancelled")]


async def test_repeated_presses_join_one_alert_and_coordinators_hear_at_most_every_5_minutes(
    rt: Runtime, clock: FakeClock, asker: User
) -> None:
    number = await press(rt, asker)

    async def again(key: str) -> list[tuple[int, str]]:
        before = await given.mark(rt)
        async with rt.storage.transaction() as tx:
            joined = await escalation.join_repeat(tx, rt, asker.id, key)
        assert joined is not None and joined.id == number
        return await given.since(rt, before)

    clock.advance(timedelta(minutes=1))
    heard = await again("update:2")
    assert chats(heard) == [COORDINATOR]
    assert "(2 times in all, the last at 10:01" in heard[0][1]
    assert "Nobody has taken it yet." in heard[0][1]
    clock.advance(timedelta(minutes=1))
    assert await again("update:3") == []  # within 5 minutes of the last note
    assert await again("update:3") == []  # the same press handled twice counts once
    clock.advance(timedelta(minutes=4))
    assert "(4 times in all, the last at 10:06" in (await again("update:4"))[0][1]

    (count,) = await rt.storage.fetchone("SELECT COUNT(*) FROM escalations")
    assert count == 1
    found = await escalation_store.by_id(rt.storage, number)
    assert found is not None and found.repeat_count == 3


async def test_a_press_after_the_repeat_window_raises_a_new_alert(
    rt: Runtime, clock: FakeClock, asker: User
) -> None:
    await press(rt, asker)
    clock.advance(escalation.REPEAT_WINDOW + timedelta(seconds=1))
    async with rt.storage.transaction() as tx:
        assert await escalation.join_repeat(tx, rt, asker.id, "update:2") is None


async def test_outside_office_hours_with_nobody_on_call_the_citizen_is_told_at_once(
    rt: Runtime, clock: FakeClock, asker: User
) -> None:
    clock.set(datetime(2026, 3, 6, 20, 0, tzinfo=UTC))  # Friday 21:00 in Copenhagen
    number = await press(rt, asker)
    sent = await given.since(rt, 0)
    to_citizen = [text for chat, text in sent if chat == asker.telegram_id]
    assert len(to_citizen) == 1
    assert to_citizen[0].startswith(
        "Our office is closed right now (it opens Monday 9 March at 09:00)"
    )
    assert "112" in to_citizen[0]
    assert BACKUP_COORDINATOR in chats(sent)
    assert await alarm_store.all_for(rt.storage, number) == [("unreachable", "pending")]
    found = await escalation_store.by_id(rt.storage, number)
    assert found is not None and found.unreached


async def test_a_peers_concern_marks_a_heavy_moment_for_the_peer(rt: Runtime, asker: User) -> None:
    contact = await given.pair(rt)
    before = await given.mark(rt)
    await escalation.raise_escalation(
        rt,
        reason=Reason.PEER_CONCERN,
        citizen_id=contact.citizen_id,
        contact_id=contact.id,
        source_key="concern:1",
    )
    sent = await given.since(rt, before)
    assert chats(sent) == [COORDINATOR, contact.peer_chat]
    assert "Why: their peer is worried about them" in sent[0][1]
    assert "Peer: Sol" in sent[0][1]
    assert "a coordinator can talk it through with you" in sent[1][1]


async def _concern(world: World) -> int:
    escalation_id = await escalation.raise_escalation(
        world.rt,
        reason=escalation.Reason.PEER_CONCERN,
        citizen_id=world.citizen.id,
        request_id=world.contact.request_id,
        contact_id=world.contact.id,
        source_key="test:concern",
    )
    assert escalation_id is not None
    return escalation_id


async def test_only_coordinators_see_the_escalations(world: World) -> None:
    rt = world.rt
    escalation_id = await _concern(world)
    for actor in (world.in_private(world.peer), world.in_private(world.citizen)):
        with pytest.raises(NotAllowed):
            await escalation.recent(rt, actor)
    with pytest.raises(NotAllowed):
        await escalation.recent(rt, Actor(world.coordinator.telegram_id, -42, private=False))
    assert [e.id for e in await escalation.recent(rt, world.coordinator)] == [escalation_id]
    in_group = Actor(world.citizen.telegram_id, GROUP, private=False)
    assert [e.id for e in await escalation.recent(rt, in_group)] == [escalation_id]


async def test_a_concern_prompt_is_known_by_its_message_id_for_its_peer(world: World) -> None:
    rt = world.rt
    escalation_id = await _concern(world)
    assert not await escalation.concern_prompt_sent(rt, escalation_id, world.other_peer.id, 50)
    assert await escalation.prompted_concern(rt, world.other_peer.id, 50) is None
    assert await escalation.concern_prompt_sent(rt, escalation_id, world.peer.id, 50)
    found = await escalation.prompted_concern(rt, world.peer.id, 50)
    assert found is not None and found.id == escalation_id
    assert await escalation.prompted_concern(rt, world.peer.id, 51) is None
    assert await escalation.prompted_concern(rt, world.other_peer.id, 50) is None
    assert not await escalation.add_note(rt, escalation_id, world.other_peer.id, "not mine")
    assert not await escalation.add_note(rt, escalation_id, world.citizen.id, "not mine")
    assert await escalation.add_note(rt, escalation_id, world.peer.id, "worried")
    assert not await escalation.add_note(rt, escalation_id, world.peer.id, "twice")
    assert await escalation.prompted_concern(rt, world.peer.id, 50) is None  # noted once
    noted = await escalation_store.by_id(rt.storage, escalation_id)
    assert noted is not None and noted.note == "worried"
