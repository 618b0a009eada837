"""The bot speaks as peer support: the welcome leads with who the peers are, emergency numbers
appear only where someone asks for help or writes words of crisis, elsewhere "someone to talk
to" (lines that are not crisis lines), and the help-now answer says who was told, what happens
next and what the service cannot do, with 112 once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.fakebot import FakeUser
from tests.helpers.flows import ask_for_peer, coordinator, in_contact, press
from tests.helpers.harness import Harness

WELCOME_PEERS = {
    ("volunteers", "en"): "a volunteer who has had a hard time themselves",
    ("employed", "en"): "someone employed by Peer-støtte Test who has had a hard time",
    ("mixed", "en"): "a volunteer or an employee who has had a hard time",
    ("volunteers", "da"): "en frivillig, der selv har haft det svært",
    ("employed", "da"): "en medarbejder hos Peer-støtte Test, der selv har haft det svært",
    ("mixed", "da"): "en frivillig eller en ansat, der selv har haft det svært",
}


def emergency_numbers(h: Harness) -> list[str]:
    return [line.phone for line in h.config.emergency if line.phone]


def shows_emergency_numbers(h: Harness, text: str) -> bool:
    return any(number in text for number in emergency_numbers(h))


def shows_talk_lines(h: Harness, text: str) -> bool:
    return all(line.phone in text for line in h.config.talk_lines if line.phone)


def buttons(user: FakeUser) -> list[str]:
    rows = (user.last_message or {}).get("reply_markup", {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


@pytest.mark.parametrize(("peers_are", "language"), sorted(WELCOME_PEERS))
async def test_welcome_leads_with_who_the_peers_are_and_keeps_urgent_help_to_one_line(
    harness: Harness, peers_are: str, language: str
) -> None:
    h = harness
    h.config = replace(h.config, peers_are=peers_are)
    await h.restart()
    citizen = h.user(1001, language=language)
    citizen.send_text("/start")
    await h.settle()
    welcome = citizen.texts[-1]
    paragraphs = welcome.split("\n\n")
    assert WELCOME_PEERS[(peers_are, language)] in paragraphs[1]  # right after the greeting
    assert ("crisis to write" if language == "en" else "krise for at skrive") in paragraphs[2]
    assert "uddannet frivillig" not in welcome and "trained volunteer" not in welcome
    if peers_are != "volunteers":
        assert "frivillig," not in welcome and "a volunteer who" not in welcome
    # Urgent help: one line and the button, no numbers as the headline.
    assert not shows_emergency_numbers(h, welcome)
    urgent = [line for line in welcome.splitlines() if "help now" in line or "hjælp nu" in line]
    assert len(urgent) == 1 and urgent[0] == paragraphs[-1]
    assert any("help now" in label or "hjælp nu" in label for label in buttons(citizen))


async def test_unanswered_request_offers_someone_to_talk_to_not_emergency_numbers(
    harness: Harness,
) -> None:
    h = harness
    h.config = replace(h.config, organisation_phone="+45 70 00 00 00")
    await h.restart()
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen)  # no peer exists: nobody will say yes
    await h.tick(timedelta(hours=h.config.total_wait_hours, minutes=1))
    notice = next(t for t in reversed(citizen.texts) if "no peer has been able" in t)
    assert not shows_emergency_numbers(h, notice)
    await press(h, citizen, "Someone to talk to")
    lines = citizen.texts[-1]
    assert shows_talk_lines(h, lines) and not shows_emergency_numbers(h, lines)
    # The organisation's own phone comes first, and urgent help stays one tap away.
    assert lines.splitlines()[1] == "☎ +45 70 00 00 00 · Peer-støtte Test"
    assert "I need help now" in buttons(citizen)


async def test_after_a_contact_ends_someone_to_talk_to_and_no_emergency_numbers(
    harness: Harness,
) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    peer.send_text("/end")
    await h.settle()
    await press(h, peer, "End contact with", "Yes, end it")
    ended = next(t for t in reversed(citizen.texts) if "has ended your conversation" in t)
    assert shows_talk_lines(h, ended) and not shows_emergency_numbers(h, ended)


async def test_emergency_numbers_where_someone_asks_for_help_or_writes_crisis_words(
    harness: Harness,
) -> None:
    h = harness
    await coordinator(h)
    citizen = h.user(1001, language="en")
    citizen.send_text("/help_now")
    await h.settle()
    answer = citizen.texts[-1]
    assert shows_emergency_numbers(h, answer) and not shows_talk_lines(h, answer)
    # Safe messaging: who was told, what happens next, what we cannot do, 112 once.
    assert "I have told our coordinators, and one of them will write to you here" in answer
    assert "We don't know who you are or where you are" in answer
    assert answer.count("112") == 1
    other = h.user(1002, language="en")
    other.send_text("i want to kill myself")
    await h.settle()
    crisis = other.texts[-1]
    assert shows_emergency_numbers(h, crisis) and crisis.count("112") == 1
    assert "checked automatically" in crisis and "cannot send help out to you" in crisis


async def test_help_now_when_nobody_is_reachable_says_so_and_shows_the_numbers(
    harness: Harness,
) -> None:
    h = harness
    h.config = replace(h.config, coordinator_ids=(), backup_coordinator_ids=())
    h.config = replace(h.config, coordinator_group_id=None)
    await h.restart()
    citizen = h.user(1001, language="da")
    citizen.send_text("/help_now")
    await h.settle()
    answer = citizen.texts[-1]
    assert "Din besked venter på" in answer and "gemt til dem" not in answer
    assert shows_emergency_numbers(h, answer) and answer.count("112") == 1
    assert "Vi ved ikke, hvem du er, eller hvor du er" in answer


async def test_a_citizen_who_ends_the_contact_is_offered_someone_to_talk_to(
    harness: Harness,
) -> None:
    h = harness
    _peer, citizen = await in_contact(h)
    citizen.send_text("/end")
    await h.settle()
    await press(h, citizen, "End contact with", "Yes, end it")
    ended = next(t for t in reversed(citizen.texts) if "has ended. Thank you." in t)
    assert shows_talk_lines(h, ended) and not shows_emergency_numbers(h, ended)
