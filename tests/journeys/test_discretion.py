"""Discretion on shared phones: the first line of a message is what a notification shows, so it
never names the topic or what the service is about, in Danish or English. Messages that arrive
unprompted (the outbox: notices, check-ins, reminders) are checked further, over the first
OPENING characters an expanded notification shows; the emergency lines come after that."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.fakebot import FakeUser
from tests.helpers.flows import ask_for_peer, coordinator, in_contact, offering_phone_calls, press
from tests.helpers.harness import COORDINATOR, Harness

# Words that must never stand in a notification's first line (substrings, any case).
REVEALING = (
    "crisis",
    "suicid",
    "self-harm",
    "anxiety",
    "depress",
    "psychiatr",
    "mental",
    "therap",
    "angst",
    "selvmord",
    "selvskade",
    "krise",
    "psykisk",
    "psykiatri",
    "depression",
    "terapi",
    "livslinie",
)

# What an expanded notification (iOS, Android) shows of a message that arrives unprompted.
OPENING = 150


def first_lines(h: Harness, user: FakeUser) -> list[str]:
    """The first line of every text the bot sent or edited in `user`'s chat."""
    return [
        call.params["text"].split("\n", 1)[0]
        for call in h.fake.calls
        if call.ok
        and call.method in ("sendMessage", "editMessageText")
        and call.params.get("chat_id") == user.id
    ]


async def unprompted_openings(h: Harness, user: FakeUser) -> list[str]:
    """The first OPENING characters of every message that reached `user` unprompted: what the
    outbox delivered (notices about other people's actions, check-ins, reminders), as the chat
    shows it now."""
    rows = await h.rt.storage.fetchall(
        "SELECT message_id FROM outbox WHERE chat_id = ? AND status = 'sent'"
        " AND method = 'sendMessage'",
        (user.id,),
    )
    return [user.message(row[0])["text"][:OPENING] for row in rows if row[0] is not None]


def revealing(lines: list[str]) -> list[str]:
    return [line for line in lines if any(word in line.lower() for word in REVEALING)]


async def speak(h: Harness, user: FakeUser, language: str) -> None:
    """Switch the person to `language` (their messages from now on come in it)."""
    user.send_text("/language")
    await h.settle()
    await press(h, user, "Dansk" if language == "da" else "English")


@pytest.mark.parametrize("language", ["en", "da"])
async def test_contact_check_ins_and_endings_start_discreetly(
    harness: Harness, language: str
) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    await offering_phone_calls(h)  # offered from now on: peers may plan calls
    await speak(h, citizen, language)
    citizen.send_text("I have been thinking about suicide lately")  # crisis words: peer note
    await h.settle()
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Check-in message", "Tomorrow", "Only once", "Skip", "Plan it")
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Phone call", "In 3 days", "Only once", "Skip", "Plan it")
    await h.tick(timedelta(days=1))
    await h.tick(timedelta(days=2))
    peer.send_text("/end")
    await h.settle()
    await press(h, peer, "End contact with", "Yes, end it", "Leave a note for their next")
    peer.send_text("Walks helped.", reply_to=peer.last_message["message_id"])
    await h.settle()
    lines = first_lines(h, citizen)
    check_in = (
        "Hej, det er tid til din check-in."
        if language == "da"
        else ("Hi, it's time for your check-in.")
    )
    assert check_in in lines, lines
    assert len(lines) > 10
    assert revealing(lines) == []
    assert revealing(first_lines(h, peer)) == []
    openings = await unprompted_openings(h, citizen)
    assert len(openings) > 5
    assert revealing(openings) == [], openings
    assert revealing(await unprompted_openings(h, peer)) == []


@pytest.mark.parametrize("language", ["en", "da"])
async def test_waiting_urgent_and_erasure_notices_start_discreetly(
    harness: Harness, language: str
) -> None:
    h = harness
    coco = await coordinator(h)
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen, note="I feel anxious and low")  # nobody can take it
    await speak(h, citizen, language)
    await h.tick(timedelta(hours=5))  # raised as unanswered; the citizen is told
    citizen.send_text("/help_now")
    await h.settle()
    await h.tick(timedelta(minutes=6))  # nobody acknowledged: the citizen is told honestly
    coco.press_button("I'm handling it")
    await h.settle()
    coco.press_button("Write to them")
    await h.settle()
    lines = first_lines(h, citizen)
    assert len(lines) > 8
    assert revealing(lines) == [], lines
    openings = await unprompted_openings(h, citizen)
    assert any("112" in text for text in citizen.texts)  # the numbers are still there
    assert len(openings) >= 3
    assert revealing(openings) == [], openings
    assert any("Urgent" in text for text in h.fake.user(COORDINATOR).texts)


@pytest.mark.parametrize("language", ["en", "da"])
async def test_nobody_reachable_and_bar_notices_open_discreetly(
    harness: Harness, language: str
) -> None:
    """Notices that carry the emergency lines arrive unprompted: the lines come later than
    what an expanded notification shows, and 112 stays in the message."""
    from tests.journeys.test_protection import ask_again, end_and_report

    h = harness
    coco = await coordinator(h)
    peer, citizen = await in_contact(h)
    await speak(h, citizen, language)
    h.clock.set(datetime(2026, 3, 7, 20, 0, tzinfo=UTC))  # Saturday evening, nobody on call
    citizen.send_text("I want to end my life, I have the pills ready")
    await h.settle()
    await end_and_report(h, peer)
    peer.send_text("/away")
    await h.settle()
    await speak(h, citizen, "en")
    await ask_again(h, citizen)
    await speak(h, citizen, language)
    coco.press_button("Bar 1 month")
    await h.settle()
    purposes = [
        row[0]
        for row in await h.rt.storage.fetchall(
            "SELECT purpose FROM outbox WHERE chat_id = ? AND status = 'sent'", (citizen.id,)
        )
    ]
    assert "escalation-unreached" in purposes and "request-withdrawn" in purposes
    openings = await unprompted_openings(h, citizen)
    assert revealing(openings) == [], openings
    with_numbers = [t for t in citizen.texts if "☎ 112" in t]
    assert len(with_numbers) >= 2
    assert all(t.index("☎") >= OPENING for t in with_numbers if t[:OPENING] in openings)


async def test_the_word_list_catches_a_revealing_line() -> None:
    """The check itself can fail: a line naming the topic is caught in both languages."""
    assert revealing(["Reminder about your anxiety group", "Din samtale om angst"]) == [
        "Reminder about your anxiety group",
        "Din samtale om angst",
    ]
