"""Check-ins without Telegram: planned in Copenhagen wall time, fired exactly once, moved out of
quiet hours, honest when late, weekly across daylight saving, and answered by the citizen.

The clock starts on Monday 2 March 2026 at 10:00 in Copenhagen (UTC+1).

Who acts: only the two people of a contact plan, change, confirm, cancel or see its check-ins.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.errors import NotAllowed, UserInputError
from bot.runtime import Runtime
from bot.services import checkins
from bot.storage import checkins as checkin_store
from bot.storage.checkins import Checkin, CheckinStatus
from bot.storage.contacts import Contact
from tests.services import given
from tests.services.given import World


async def plan(
    rt: Runtime,
    contact: Contact,
    local: datetime,
    *,
    by_peer: bool = False,
    kind: str = "checkin",
    weeks: int = 0,
) -> Checkin:
    """What the planning dialogue stores, step by step, then confirms."""
    who = contact.peer_id if by_peer else contact.citizen_id
    draft = await checkins.start_draft(rt, who, contact_id=contact.id)
    draft = await checkins.plan_step(
        rt, draft, who, "confirm", kind=kind, local_time=local, repeat_weeks=weeks
    )
    return await checkins.confirm(rt, draft, who)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def test_a_check_in_fires_once_at_its_time_to_the_citizen(
    rt: Runtime, clock: FakeClock
) -> None:
    contact = await given.pair(rt)
    planned = await plan(rt, contact, datetime(2026, 3, 3, 10, 0), by_peer=True)
    assert planned.due_at == utc(2026, 3, 3, 9, 0)
    before = await given.mark(rt)

    clock.set(utc(2026, 3, 3, 8, 59))
    assert (await checkins.sweep(rt)).fired == 0
    clock.set(utc(2026, 3, 3, 9, 0))
    assert (await checkins.sweep(rt)).fired == 1
    assert (await checkins.sweep(rt)).fired == 0
    sent = await given.since(rt, before)
    assert [chat for chat, _ in sent] == [contact.citizen_chat]
    assert sent[0][1] == (
        "Hi, it's time for your check-in.\n"
        "How are you doing today? Sol asked me to check in with you."
    )


async def test_a_time_in_the_past_is_refused(rt: Runtime) -> None:
    contact = await given.pair(rt)
    with pytest.raises(UserInputError):
        await plan(rt, contact, datetime(2026, 3, 2, 9, 0))


async def test_one_planned_for_the_night_waits_for_morning_and_says_so(
    rt: Runtime, clock: FakeClock
) -> None:
    contact = await given.pair(rt)
    planned = await plan(rt, contact, datetime(2026, 3, 3, 23, 30))
    assert planned.quiet_moved
    assert planned.due_at == utc(2026, 3, 4, 7, 0)  # 08:00 in Copenhagen
    before = await given.mark(rt)
    clock.set(utc(2026, 3, 3, 22, 30))
    assert (await checkins.sweep(rt)).fired == 0
    clock.set(utc(2026, 3, 4, 7, 0))
    assert (await checkins.sweep(rt)).fired == 1
    (_, text), *_ = await given.since(rt, before)
    assert text.endswith("(It was planned for the night, so I waited until morning.)")
    assert "late" not in text


async def test_one_due_at_night_after_downtime_is_postponed_to_morning(
    rt: Runtime, clock: FakeClock
) -> None:
    contact = await given.pair(rt)
    planned = await plan(rt, contact, datetime(2026, 3, 3, 21, 0))
    clock.set(utc(2026, 3, 3, 22, 0))  # 23:00 local: the bot was down at 21:00
    result = await checkins.sweep(rt)
    assert (result.fired, result.postponed) == (0, 1)
    moved = await checkin_store.by_id(rt.storage, planned.id)
    assert moved is not None and moved.due_at == utc(2026, 3, 4, 7, 0) and moved.quiet_moved


async def test_a_late_check_in_says_when_it_was_planned(rt: Runtime, clock: FakeClock) -> None:
    contact = await given.pair(rt)
    await plan(rt, contact, datetime(2026, 3, 3, 10, 0))
    before = await given.mark(rt)
    clock.set(utc(2026, 3, 3, 9, 2))  # within two minutes: on time
    await checkins.sweep(rt)
    (_, on_time), *_ = await given.since(rt, before)
    assert "late" not in on_time

    await plan(rt, contact, datetime(2026, 3, 4, 10, 0))
    before = await given.mark(rt)
    clock.set(utc(2026, 3, 4, 9, 30))
    await checkins.sweep(rt)
    (_, late), *_ = await given.since(rt, before)
    assert "(This check-in was planned for Wednesday 4 March at 10:00" in late
    assert late.endswith("it comes a little late.)")


async def test_a_weekly_check_in_stays_at_ten_across_the_change_to_summer_time(
    rt: Runtime, clock: FakeClock
) -> None:
    contact = await given.pair(rt)
    first = await plan(rt, contact, datetime(2026, 3, 24, 10, 0), weeks=2)
    assert first.due_at == utc(2026, 3, 24, 9, 0)
    clock.set(utc(2026, 3, 24, 9, 0))
    assert (await checkins.sweep(rt)).fired == 1
    upcoming = await checkin_store.upcoming_for(rt.storage, [contact.id])
    assert [(c.local_time, c.due_at, c.repeat_weeks) for c in upcoming] == [
        (datetime(2026, 3, 31, 10, 0), utc(2026, 3, 31, 8, 0), 1)  # summer time: UTC+2
    ]


async def test_a_series_missed_for_weeks_fires_once_for_the_latest_week(
    rt: Runtime, clock: FakeClock
) -> None:
    contact = await given.pair(rt)
    await plan(rt, contact, datetime(2026, 3, 3, 10, 0), weeks=5)
    before = await given.mark(rt)
    clock.set(utc(2026, 3, 17, 12, 0))  # down over three due weeks
    assert (await checkins.sweep(rt)).fired == 1
    assert len(await given.since(rt, before)) == 1
    upcoming = await checkin_store.upcoming_for(rt.storage, [contact.id])
    assert [(c.local_time, c.repeat_weeks) for c in upcoming] == [(datetime(2026, 3, 24, 10), 2)]


async def test_worse_reaches_the_peer_and_only_the_citizen_may_answer(
    rt: Runtime, clock: FakeClock
) -> None:
    contact = await given.pair(rt)
    planned = await plan(rt, contact, datetime(2026, 3, 3, 10, 0), by_peer=True)
    clock.set(utc(2026, 3, 3, 9, 0))
    await checkins.sweep(rt)
    before = await given.mark(rt)
    assert not await checkins.answer(rt, planned.id, contact.peer_id, "worse")
    assert not await checkins.answer(rt, planned.id, contact.citizen_id, "terrible")
    assert await checkins.answer(rt, planned.id, contact.citizen_id, "worse")
    assert not await checkins.answer(rt, planned.id, contact.citizen_id, "better")  # once
    sent = await given.since(rt, before)
    assert [chat for chat, _ in sent] == [contact.peer_chat]
    assert sent[0][1].endswith(
        "answered the check-in: things are worse. Perhaps write to them soon."
    )
    stored = await checkin_store.by_id(rt.storage, planned.id)
    assert stored is not None and stored.status is CheckinStatus.ANSWERED


async def test_better_is_kept_without_bothering_the_peer(rt: Runtime, clock: FakeClock) -> None:
    contact = await given.pair(rt)
    planned = await plan(rt, contact, datetime(2026, 3, 3, 10, 0))
    clock.set(utc(2026, 3, 3, 9, 0))
    await checkins.sweep(rt)
    before = await given.mark(rt)
    assert await checkins.answer(rt, planned.id, contact.citizen_id, "better")
    assert await given.since(rt, before) == []


async def test_the_peer_hears_once_when_a_check_in_goes_unanswered_for_a_day(
    rt: Runtime, clock: FakeClock
) -> None:
    contact = await given.pair(rt)
    await plan(rt, contact, datetime(2026, 3, 3, 10, 0))
    clock.set(utc(2026, 3, 3, 9, 0))
    await checkins.sweep(rt)
    before = await given.mark(rt)
    clock.set(utc(2026, 3, 4, 8, 59))
    assert (await checkins.sweep(rt)).unanswered == 0
    clock.set(utc(2026, 3, 4, 9, 1))
    assert (await checkins.sweep(rt)).unanswered == 1
    assert (await checkins.sweep(rt)).unanswered == 0
    sent = await given.since(rt, before)
    assert [chat for chat, _ in sent] == [contact.peer_chat]
    assert "has not answered the check-in yet" in sent[0][1]


async def test_a_call_is_reminded_to_both_an_hour_before_and_sends_no_check_in(
    rt: Runtime, clock: FakeClock
) -> None:
    contact = await given.pair(rt)
    await plan(rt, contact, datetime(2026, 3, 3, 21, 0), by_peer=True, kind="call")
    before = await given.mark(rt)
    clock.set(utc(2026, 3, 3, 18, 59))  # 19:59 local, 61 minutes before
    assert (await checkins.sweep(rt)).reminded == 0
    clock.set(utc(2026, 3, 3, 19, 0))
    assert (await checkins.sweep(rt)).reminded == 1
    sent = await given.since(rt, before)
    assert [chat for chat, _ in sent] == [contact.peer_chat, contact.citizen_chat]
    assert sent[1][1] == "Reminder: Sol will call you at Tuesday 3 March at 21:00."
    clock.set(utc(2026, 3, 3, 20, 0))
    result = await checkins.sweep(rt)
    assert (result.reminded, result.fired) == (0, 1)  # fired = done, nothing sent
    assert len(await given.since(rt, before)) == 2


async def test_cancelled_check_ins_never_fire(rt: Runtime, clock: FakeClock) -> None:
    contact = await given.pair(rt)
    planned = await plan(rt, contact, datetime(2026, 3, 3, 10, 0))
    assert await checkins.cancel(rt, planned.id, contact.citizen_id)
    clock.set(utc(2026, 3, 3, 12, 0))
    assert (await checkins.sweep(rt)).fired == 0


async def _planned(world: World) -> int:
    """A pending check-in on the world's contact, planned by its peer."""
    rt, peer = world.rt, world.peer
    draft = await checkins.start_draft(rt, peer.id, contact_id=world.contact.id)
    local = (checkins.local_now(rt.now(), rt.config.timezone) + timedelta(days=2)).replace(
        hour=10, minute=0, second=0, microsecond=0, tzinfo=None
    )
    draft = await checkins.plan_step(rt, draft, peer.id, "confirm", local_time=local)
    return (await checkins.confirm(rt, draft, peer.id)).id


async def test_only_the_people_of_a_contact_may_plan_on_it(world: World) -> None:
    rt = world.rt
    with pytest.raises(NotAllowed):
        await checkins.start_draft(rt, world.other_peer.id, contact_id=world.contact.id)
    with pytest.raises(NotAllowed):
        await checkins.start_draft(rt, world.other_citizen.id, contact_id=world.contact.id)
    assert await checkins.draft_of(rt, world.peer.id) is None
    draft = await checkins.start_draft(rt, world.citizen.id, contact_id=world.contact.id)
    assert draft.contact_id == world.contact.id and draft.created_by == "citizen"


async def test_a_draft_is_changed_confirmed_or_dropped_only_by_its_owner(world: World) -> None:
    rt = world.rt
    draft = await checkins.start_draft(rt, world.peer.id, contact_id=world.contact.id)
    stranger = world.other_peer.id
    with pytest.raises(NotAllowed):
        await checkins.plan_step(rt, draft, stranger, "when", kind="call")
    with pytest.raises(NotAllowed):
        await checkins.confirm(rt, draft, stranger)
    with pytest.raises(NotAllowed):
        await checkins.discard_draft(rt, draft, stranger)
    kept = await checkin_store.by_id(rt.storage, draft.id)
    assert kept is not None and kept.kind == "checkin" and kept.status == "draft"
    await checkins.discard_draft(rt, draft, world.peer.id)
    assert await checkin_store.by_id(rt.storage, draft.id) is None


async def test_a_checkin_is_cancelled_or_rescheduled_only_by_its_people(world: World) -> None:
    rt = world.rt
    checkin_id = await _planned(world)
    assert not await checkins.cancel(rt, checkin_id, world.other_peer.id)
    assert not await checkins.cancel(rt, checkin_id, world.other_citizen.id)
    with pytest.raises(NotAllowed):
        await checkins.start_draft(rt, world.other_peer.id, replaces_id=checkin_id)
    still = await checkin_store.by_id(rt.storage, checkin_id)
    assert still is not None and still.status == "pending"
    assert await checkins.cancel(rt, checkin_id, world.citizen.id)
    cancelled = await checkin_store.by_id(rt.storage, checkin_id)
    assert cancelled is not None and cancelled.status == "cancelled"


async def test_upcoming_shows_only_the_persons_own_contacts(world: World) -> None:
    rt = world.rt
    checkin_id = await _planned(world)
    for user in (world.peer, world.citizen):
        upcoming, contacts = await checkins.upcoming(rt, user.id)
        assert [c.id for c in upcoming] == [checkin_id] and [c.id for c in contacts] == [
            world.contact.id
        ]
    for user in (world.other_peer, world.other_citizen):
        assert await checkins.upcoming(rt, user.id) == ([], [])
