"""What the citizen is told about who else learns what they write, before they agree, and that
each sentence is what the bot does: the automatic check alerts coordinators without the peer
and without the words, peers can talk to coordinators and report, and the service cannot send
help to someone it cannot identify (it stores no name, number or place)."""

from __future__ import annotations

import pytest

from bot.fakebot import FakeUser
from tests.helpers.flows import ADULT, coordinator, in_contact, press
from tests.helpers.harness import Harness

CRISIS = "honestly i want to kill myself"

# The four things said before consent (handlers.texts.confidentiality).
CLAIMS = (
    "checked automatically for words that can mean danger to life",
    "our coordinators are told at once, without your peer doing anything",
    "They are told what kind of words, not what you wrote.",
    "Peers talk hard conversations through with a coordinator (supervision)",
    "can tell a coordinator when they are worried about you",
    "A peer can report a person who is abusive or crosses boundaries",
    "We don't know who you are or where you are, so we cannot send help out to you.",
)


def buttons(user: FakeUser) -> list[str]:
    message = user.last_message or {}
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


async def everything_stored(h: Harness) -> str:
    """Every value in every table, as one text, to search for what must not be kept."""
    tables = await h.rt.storage.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    values: list[str] = []
    for (table,) in tables:
        for row in await h.rt.storage.fetchall(f'SELECT * FROM "{table}"'):
            values.extend(str(value) for value in tuple(row))
    return "\n".join(values)


async def test_who_else_learns_what_you_write_is_said_before_consent(harness: Harness) -> None:
    h = harness
    citizen = h.user(1001, language="en")
    citizen.send_text("/start")
    await h.settle()
    await press(h, citizen, "Talk to a peer", ADULT)
    notice = citizen.texts[-1]
    assert "I agree" in buttons(citizen)  # the notice is the consent question itself
    for claim in CLAIMS:
        assert claim in notice, claim
    # Nothing is stored before the answer, and no step of the request has been asked yet.
    assert await h.rt.storage.fetchall("SELECT 1 FROM requests") == []
    assert not any(text.startswith("Step ") for text in citizen.texts)
    # The untrue promise is gone from everything the citizen reads, to the end of intake.
    await press(h, citizen, "I agree", "Anxiety", "Dansk", "Evenings", "Skip")
    assert not any("between you and the peer" in text for text in citizen.texts)


async def test_crisis_words_alert_coordinators_without_the_peer_and_without_the_words(
    harness: Harness,
) -> None:
    h = harness
    coco = await coordinator(h)
    peer, citizen = await in_contact(h)
    peer_before, coco_before = len(peer.texts), len(coco.texts)
    citizen.send_text(CRISIS)
    await h.settle()
    # Coordinators were told at once, and the peer pressed nothing for it.
    alerts = [t for t in coco.texts[coco_before:] if t.startswith("Urgent #")]
    assert len(alerts) == 1
    assert any(t.endswith("\n" + CRISIS) for t in peer.texts[peer_before:])  # as always
    assert any("A note about" in t for t in peer.texts[peer_before:])
    # Told what kind of words, not the words: not in any coordinator's chat, not stored anywhere.
    assert "wrote about thoughts of suicide or self-harm" in alerts[0]
    assert not any(CRISIS in t for t in coco.texts)
    assert CRISIS not in await everything_stored(h)
    (reason,) = await h.rt.storage.fetchone("SELECT reason FROM escalations")
    assert reason == "signal"
    # The citizen hears the same, plainly.
    answer = citizen.texts[-1]
    assert "checked automatically" in answer
    assert "our coordinators have been told (what kind of words, not what you wrote)" in answer
    assert "Maja got your message as always" in answer
    assert "cannot send help out to you" in answer


async def test_peers_talk_it_through_and_tell_a_coordinator_when_worried(
    harness: Harness,
) -> None:
    h = harness
    coco = await coordinator(h)
    peer, citizen = await in_contact(h)
    citizen.send_text(CRISIS)
    await h.settle()
    await press(h, peer, "Ask for a debrief")  # supervision: talking it through
    assert "would like a debrief" in coco.texts[-1]
    before = len(coco.texts)
    await press(h, peer, "I'm worried")
    assert any("their peer is worried about them" in t for t in coco.texts[before:])


async def test_the_service_cannot_identify_the_citizen(harness: Harness) -> None:
    """ "We don't know who you are or where you are": nothing kept names or places them."""
    h = harness
    _peer, citizen = await in_contact(h)
    citizen.send_text("/help_now")
    await h.settle()
    stored = await everything_stored(h)
    # The fake Telegram user is called "Ada" with a username; the bot keeps a made-up name.
    assert "Ada" not in stored
    columns = {
        row[1].lower()
        for (table,) in await h.rt.storage.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
        for row in await h.rt.storage.fetchall(f'PRAGMA table_info("{table}")')
    }
    assert not columns & {"phone", "phone_number", "address", "location", "latitude", "cpr"}


@pytest.mark.parametrize("language", ["da", "en"])
async def test_privacy_says_it_too_for_someone_who_agreed_before(
    harness: Harness, language: str
) -> None:
    h = harness
    citizen = h.user(1001, language=language)
    citizen.send_text("/privacy")
    await h.settle()
    notice = citizen.texts[-1]
    assert len(notice) <= 4096
    expected = CLAIMS if language == "en" else ("tjekket automatisk", "supervision", "melde det")
    for claim in expected:
        assert claim in notice, claim
