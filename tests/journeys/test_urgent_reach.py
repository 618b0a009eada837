"""Urgent requests reach the right people once: repeated presses join one alert, the peer hears
once what happened, the citizen hears when a person has it, and its owner is told it is theirs."""

from contextlib import suppress
from datetime import timedelta

import pytest

from bot.fakebot.core import Fault
from bot.storage import escalations as escalation_store
from bot.storage import inbox
from bot.storage import outbox as outbox_store
from tests.helpers.flows import coordinator, in_contact
from tests.helpers.harness import COORDINATOR, Harness

SEEN = "A person from our team has seen your message and will write to you here."
EMERGENCY = "Thank you for reaching out. You are not alone with this."


async def all_escalations(h: Harness) -> list[escalation_store.Escalation]:
    return await escalation_store.recent(h.rt.storage, h.clock.now() - timedelta(days=30))


async def test_the_owner_pressing_again_is_told_it_is_theirs(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    other = await coordinator(h, 9002, "Bo")
    h.user(1001, language="en").send_text("/help_now")
    await h.settle()
    coco.press_button("I'm handling it")
    await h.settle()
    assert coco.answered_callbacks[-1] == "It is yours. Thank you."
    coco.press(coco.messages[-1]["message_id"], "esc:ack:1", forge=True)  # a double tap
    await h.settle()
    assert coco.answered_callbacks[-1] == "You are already handling this one."
    other.press(other.messages[-1]["message_id"], "esc:ack:1", forge=True)
    await h.settle()
    assert other.answered_callbacks[-1] == "Someone else is already handling this."


async def test_thirty_presses_raise_one_alert_and_coordinators_see_how_often(
    harness: Harness,
) -> None:
    h = harness
    coco = await coordinator(h)
    peer, citizen = await in_contact(h)
    peer_before = len(peer.texts)
    coco_before = len(coco.texts)
    for _ in range(30):
        citizen.send_text("/help_now")
        await h.settle()
        h.clock.advance(timedelta(seconds=20))  # ten minutes in all
    assert len(await all_escalations(h)) == 1
    # The citizen gets the emergency answer every time.
    assert sum(text.startswith(EMERGENCY) for text in citizen.texts) == 30
    told = coco.texts[coco_before:]
    assert sum(text.startswith("Urgent #1\n") for text in told) == 1
    repeats = [text for text in told if 'pressed "I need help now" again' in text]
    # The first repeat at once, then at most one note per five minutes, each with the count.
    assert len(repeats) == 2
    assert "(2 times in all" in repeats[0] and "Nobody has taken it yet." in repeats[0]
    assert "(17 times in all" in repeats[1]
    # Still unacknowledged later, the repeated alert says how often in all, and when last.
    await h.tick(timedelta(minutes=10))
    again = [text for text in coco.texts if text.startswith("Still not acknowledged")]
    assert "Pressed 30 times, the last at 10:09" in again[-1]
    # The peer hears once, and what happened.
    heard = peer.texts[peer_before:]
    assert len(heard) == 1
    assert "asked for urgent help" in heard[0] and "coordinator takes it from here" in heard[0]


async def test_five_presses_tell_the_peer_once_and_suggest_no_break(harness: Harness) -> None:
    h = harness
    await coordinator(h)
    peer, citizen = await in_contact(h)
    before = len(peer.texts)
    for _ in range(5):
        citizen.send_text("/help_now")
        await h.settle()
    assert len(peer.texts) - before == 1
    assert not any("A break is a good idea" in text for text in peer.texts)


async def test_presses_after_the_owner_took_it_go_to_the_owner(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    other = await coordinator(h, 9002, "Bo")
    citizen = h.user(1001, language="en")
    citizen.send_text("/help_now")
    await h.settle()
    coco.press_button("I'm handling it")
    await h.settle()
    other_before = len(other.texts)
    citizen.send_text("/help_now")
    await h.settle()
    assert 'pressed "I need help now" again' in coco.texts[-1]
    assert "Nobody has taken it yet." not in coco.texts[-1]
    assert len(other.texts) == other_before
    # Half an hour after it was raised, a press is a new request.
    h.clock.advance(timedelta(minutes=31))
    citizen.send_text("/help_now")
    await h.settle()
    assert len(await all_escalations(h)) == 2


async def test_taking_an_alert_tells_the_citizen_at_once(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    citizen = h.user(1001, language="en")
    citizen.send_text("/help_now")
    await h.settle()
    assert not any(text.startswith(SEEN) for text in citizen.texts)
    coco.press_button("I'm handling it")
    await h.settle()
    assert citizen.texts[-1].startswith(SEEN)
    assert "minutes" not in citizen.texts[-1] and "soon" not in citizen.texts[-1]
    row = await h.rt.storage.fetchone(
        "SELECT status, priority FROM outbox WHERE purpose = 'escalation-seen'"
    )
    assert (row["status"], row["priority"]) == ("sent", 0)  # through the outbox, urgent
    # A second press of the button by its owner tells the citizen nothing more.
    coco.press(coco.messages[-1]["message_id"], "esc:ack:1", forge=True)  # a double tap
    await h.settle()
    assert sum(text.startswith(SEEN) for text in citizen.texts) == 1


REPEAT = "This may repeat an earlier alert."


async def test_an_alert_whose_answer_was_lost_is_sent_again_saying_it_may_repeat(
    harness: Harness,
) -> None:
    """Telegram accepted the alert but the answer never came back (a time-out)."""
    h = harness
    coco = await coordinator(h)
    h.fake.inject(Fault.timeout(performed=True), method="sendMessage", chat_id=COORDINATOR)
    h.user(1001, language="en").send_text("/help_now")
    await h.settle()
    await h.tick(timedelta(seconds=5))  # the back-off
    alerts = [text for text in coco.texts if text.startswith("Urgent #1\n")]
    assert len(alerts) == 2  # at least once: the one that was accepted, and the retry
    assert REPEAT not in alerts[0] and alerts[1].endswith("\n\n" + REPEAT)


class Crash(Exception):
    """The process dies right after Telegram accepted a message."""


async def test_an_alert_sent_again_after_a_crash_says_it_may_repeat(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    coco = await coordinator(h)
    h.user(1001, language="en").send_text("/help_now")
    real = outbox_store.mark_sent

    async def crash(db: object, message_id: int, *args: object) -> None:
        row = await h.rt.storage.fetchone("SELECT purpose FROM outbox WHERE id = ?", (message_id,))
        if row["purpose"] == "escalation":
            monkeypatch.setattr(outbox_store, "mark_sent", real)  # one crash only
            raise Crash
        await real(db, message_id, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(outbox_store, "mark_sent", crash)
    # Whichever drain meets it (the test's or the dispatcher's task), the row stays pending.
    with suppress(Crash):
        await h.settle()
    await h.restart()
    alerts = [text for text in coco.texts if text.startswith("Urgent #1\n")]
    assert len(alerts) == 2
    assert REPEAT not in alerts[0] and alerts[1].endswith("\n\n" + REPEAT)
    # Other messages carry no such line: the citizen's answer is not an alert.
    assert not any(REPEAT in text for text in h.user(1001).texts)


async def test_a_repeated_press_handled_again_after_a_crash_counts_once(harness: Harness) -> None:
    """The inbox runs an update again when the bot died before noting it done."""
    h = harness
    coco = await coordinator(h)
    citizen = h.user(1001, language="en")
    citizen.send_text("/help_now")
    await h.settle()
    citizen.send_text("/help_now")
    again = h.fake.pending_updates()[-1]
    await h.settle()
    notes = sum('pressed "I need help now" again' in text for text in coco.texts)
    await inbox.add_updates(h.rt.storage, [again], h.clock.now())  # as if never finished
    await h.restart()
    (alert,) = await all_escalations(h)
    assert alert.repeat_count == 1
    assert sum('pressed "I need help now" again' in text for text in coco.texts) == notes == 1
