"""Discretion on shared phones: the first line of a message is what a notification shows, so it
never names the topic or what the service is about, in Danish or English."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.fakebot import FakeUser
from tests.helpers.flows import ask_for_peer, coordinator, in_contact, press
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
)


def first_lines(h: Harness, user: FakeUser) -> list[str]:
    """The first line of every text the bot sent or edited in `user`'s chat."""
    return [
        call.params["text"].split("\n", 1)[0]
        for call in h.fake.calls
        if call.ok
        and call.method in ("sendMessage", "editMessageText")
        and call.params.get("chat_id") == user.id
    ]


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
        "Hej, det er tid til dit check-in."
        if language == "da"
        else ("Hi, it's time for your check-in.")
    )
    assert check_in in lines, lines
    assert len(lines) > 10
    assert revealing(lines) == []
    assert revealing(first_lines(h, peer)) == []


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
    assert any("Urgent" in text for text in h.fake.user(COORDINATOR).texts)


async def test_the_word_list_catches_a_revealing_line() -> None:
    """The check itself can fail: a line naming the topic is caught in both languages."""
    assert revealing(["Reminder about your anxiety group", "Din samtale om angst"]) == [
        "Reminder about your anxiety group",
        "Din samtale om angst",
    ]
