"""Check-ins through the real Application, with the clock moved instead of waiting."""

from datetime import UTC, datetime, timedelta

from bot.fakebot import FakeUser
from bot.storage import users as user_store
from tests.helpers.flows import in_contact, offering_phone_calls, press
from tests.helpers.harness import Harness


def checkin_messages(h: Harness, user: FakeUser) -> list[str]:
    """Check-in messages sent to `user` (counted as sent: answering edits them)."""
    return [
        c.params["text"]
        for c in h.fake.calls
        if c.ok
        and c.method == "sendMessage"
        and c.params.get("chat_id") == user.id
        and "How are you doing today?" in c.params["text"]
    ]


async def plan_day_and_time(
    h: Harness,
    user: FakeUser,
    day: str,
    hour: str,
    repeat: str,
    kind: str | None = "Check-in message",
) -> None:
    user.send_text("/checkin")
    await h.settle()
    if kind:
        await press(h, user, kind)
    await press(h, user, "Choose day and time", day, hour, repeat, "Skip", "Plan it")


async def test_peer_plans_citizen_answers_worse_and_peer_is_told(harness: Harness) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Check-in message", "Tomorrow", "Only once")
    peer.send_text("ask about the job interview")
    await h.settle()
    assert "ask about the job interview" in peer.texts[-1]
    await press(h, peer, "Plan it")
    assert peer.texts[-1].startswith("Planned for Tuesday")
    peer.send_text("/checkins")
    await h.settle()
    assert "Check-in message with" in peer.texts[-1]
    await h.tick(timedelta(hours=23))
    assert checkin_messages(h, citizen) == []
    await h.tick(timedelta(hours=1))
    assert len(checkin_messages(h, citizen)) == 1
    assert "late" not in citizen.texts[-1]
    await press(h, citizen, "Worse")
    assert "things are worse" in peer.texts[-1]
    assert "I have told your peer" in citizen.texts[-1]
    await h.tick(timedelta(days=2))
    assert len(checkin_messages(h, citizen)) == 1


async def test_unanswered_check_in_tells_the_peer_gently(harness: Harness) -> None:
    h = harness
    peer, _ = await in_contact(h)
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Check-in message", "Tomorrow", "Only once", "Skip", "Plan it")
    await h.tick(timedelta(days=1))
    await h.tick(timedelta(hours=23))
    assert "has not answered" not in peer.texts[-1]
    await h.tick(timedelta(hours=1, minutes=1))
    assert "has not answered the check-in yet" in peer.texts[-1]


async def test_citizen_plans_own_check_in_and_can_cancel_it(harness: Harness) -> None:
    h = harness
    _, citizen = await in_contact(h)
    citizen.send_text("/checkin")
    await h.settle()
    assert "When?" in citizen.texts[-1]  # citizens skip the kind step
    await press(h, citizen, "In 3 days", "Only once", "Skip", "Plan it")
    citizen.send_text("/checkins")
    await h.settle()
    await press(h, citizen, "Cancel")
    assert citizen.texts[-1] == "Cancelled."
    await h.tick(timedelta(days=4))
    assert checkin_messages(h, citizen) == []


async def test_reschedule_replaces_the_old_one(harness: Harness) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Check-in message", "Tomorrow", "Only once", "Skip", "Plan it")
    peer.send_text("/checkins")
    await h.settle()
    await press(h, peer, "Reschedule", "In 3 days", "Only once", "Skip", "Plan it")
    await h.tick(timedelta(days=2))
    assert checkin_messages(h, citizen) == []
    await h.tick(timedelta(days=1, hours=1))
    assert len(checkin_messages(h, citizen)) == 1


async def test_quiet_hours_move_a_check_in_to_the_morning(harness: Harness) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    h.clock.set(datetime(2026, 3, 2, 22, 0, tzinfo=UTC))  # 23:00 in Copenhagen
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Check-in message", "Same time next week", "Only once", "Skip")
    assert "waits until morning" in peer.texts[-1]
    await press(h, peer, "Plan it")
    await h.tick(timedelta(days=7, minutes=1))
    assert checkin_messages(h, citizen) == []
    await h.tick(timedelta(hours=9))  # 08:01 local
    assert len(checkin_messages(h, citizen)) == 1
    assert "waited until morning" in citizen.texts[-1]


async def test_overdue_after_restart_fires_once_and_says_late(harness: Harness) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Check-in message", "Tomorrow", "Only once", "Skip", "Plan it")
    await h.stop()
    h.clock.advance(timedelta(days=1, hours=3))
    await h.start()
    await h.tick()
    assert len(checkin_messages(h, citizen)) == 1
    assert "comes a little late" in citizen.texts[-1]
    await h.restart()
    await h.tick(timedelta(minutes=5))
    assert len(checkin_messages(h, citizen)) == 1


async def test_call_reminders_before_the_call(harness: Harness) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    await offering_phone_calls(h)  # offered from now on: peers may plan calls
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Phone call", "Tomorrow", "Only once")
    peer.send_text("she prefers mornings")
    await h.settle()
    await press(h, peer, "Plan it")
    await h.tick(timedelta(hours=23, minutes=30))
    assert peer.texts[-1].startswith("Reminder: phone call with")
    assert "she prefers mornings" in peer.texts[-1]
    assert citizen.texts[-1].startswith("Reminder: Maja will call you")
    await h.tick(timedelta(hours=2))
    assert checkin_messages(h, citizen) == []


async def test_ending_a_contact_cancels_its_check_ins(harness: Harness) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    peer.send_text("/checkin")
    await h.settle()
    await press(
        h, peer, "Check-in message", "Tomorrow", "Every week for 4 weeks", "Skip", "Plan it"
    )
    citizen.send_text("/end")
    await h.settle()
    await press(h, citizen, "End contact with", "Yes, end it")
    await h.tick(timedelta(days=2))
    assert checkin_messages(h, citizen) == []


async def test_forged_answer_and_cancel_do_nothing(harness: Harness) -> None:
    h = harness
    peer, _ = await in_contact(h)
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Check-in message", "Tomorrow", "Only once", "Skip", "Plan it")
    await h.tick(timedelta(days=1))
    stranger = h.user(3001, language="en")
    stranger.send_text("/start")
    await h.settle()
    message = stranger.last_message["message_id"]
    for data in ("ci:1:worse", "cic:1", "cis:resched:1", "cis:contact:1"):
        stranger.press(message, data, forge=True)
        await h.settle()
    assert stranger.answered_callbacks == ["That button is no longer valid."] * 4
    row = await h.rt.storage.fetchone("SELECT status FROM checkins WHERE id = 1")
    assert row[0] == "sent"


async def _weekly_at_ten(h: Harness, start: datetime, day: str) -> list[datetime]:
    """Plan a weekly 10:00 check-in on `day`, run three weeks, return when each fired (UTC)."""
    h.clock.set(start)
    peer, citizen = await in_contact(h)
    await plan_day_and_time(h, peer, day, "10:00", "Every week for 4 weeks")
    fired = []
    for _ in range(3 * 7 * 24):
        await h.tick(timedelta(hours=1))
        if len(checkin_messages(h, citizen)) > len(fired):
            fired.append(h.clock.now())
            await press(h, citizen, "Better")
        if len(fired) == 3:
            break
    return fired


async def test_weekly_ten_oclock_survives_spring_forward(harness: Harness) -> None:
    fired = await _weekly_at_ten(harness, datetime(2026, 3, 20, 9, 0, tzinfo=UTC), "Mon 23 Mar")
    assert fired == [
        datetime(2026, 3, 23, 9, 0, tzinfo=UTC),  # 10:00 CET
        datetime(2026, 3, 30, 8, 0, tzinfo=UTC),  # 10:00 CEST
        datetime(2026, 4, 6, 8, 0, tzinfo=UTC),
    ]


async def test_weekly_ten_oclock_survives_fall_back(harness: Harness) -> None:
    fired = await _weekly_at_ten(harness, datetime(2026, 10, 16, 9, 0, tzinfo=UTC), "Mon 19 Oct")
    assert fired == [
        datetime(2026, 10, 19, 8, 0, tzinfo=UTC),  # 10:00 CEST
        datetime(2026, 10, 26, 9, 0, tzinfo=UTC),  # 10:00 CET
        datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
    ]


async def test_a_weekly_series_after_two_weeks_down_fires_once_and_says_late(
    harness: Harness,
) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    peer.send_text("/checkin")
    await h.settle()
    await press(
        h, peer, "Check-in message", "Tomorrow", "Every week for 4 weeks", "Skip", "Plan it"
    )
    await h.stop()
    h.clock.advance(timedelta(days=15, hours=1))  # weeks 1, 2 and 3 all passed while down
    await h.start()
    await h.tick()
    await h.tick(timedelta(minutes=2))
    assert len(checkin_messages(h, citizen)) == 1
    assert "comes a little late" in citizen.texts[-1]
    # The latest week was sent (planned for Tuesday 17 March); the series goes on from it.
    assert "Tuesday 17 March" in citizen.texts[-1]
    await h.tick(timedelta(days=6, hours=22, minutes=57))  # Tuesday 24 March, 09:59
    assert len(checkin_messages(h, citizen)) == 1
    await h.tick(timedelta(minutes=2))
    assert len(checkin_messages(h, citizen)) == 2
    assert "late" not in checkin_messages(h, citizen)[-1]


async def test_a_call_reminder_whose_call_has_passed_is_dropped(harness: Harness) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    await offering_phone_calls(h)  # offered from now on: peers may plan calls
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Phone call", "Tomorrow", "Only once", "Skip", "Plan it")
    peer_before, citizen_before = len(peer.texts), len(citizen.texts)
    await h.stop()
    h.clock.advance(timedelta(days=1, hours=2))  # down over the reminder and the call itself
    await h.start()
    await h.tick()
    await h.tick(timedelta(minutes=5))
    assert not any("Reminder" in text for text in peer.texts[peer_before:])
    assert not any("Reminder" in text for text in citizen.texts[citizen_before:])


async def test_danish_time_buttons_and_confirmation_write_times_the_danish_way(
    harness: Harness,
) -> None:
    """ "10.00", never "10:00", in Danish: the hour buttons are made in code, not the catalog."""
    h = harness
    h.clock.set(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))  # a Sunday
    peer, _citizen = await in_contact(h)
    assert await user_store.set_language(h.rt.storage, peer.id, "da")  # as if chosen in /language
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Check-in-besked", "Vælg dag og tidspunkt", "man. 2. mar.")
    labels = [
        b["text"] for row in peer.last_message["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert "10.00" in labels and not [label for label in labels if ":" in label]
    await press(h, peer, "10.00", "Kun én gang", "Spring over")
    assert "mandag den 2. marts kl. 10.00" in peer.texts[-1]
