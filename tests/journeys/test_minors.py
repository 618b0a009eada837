"""People below the minimum age: asked first, referred kindly, nothing of them kept; urgent help
works for them as for everyone."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.config import parse_config
from bot.errors import ConfigError
from tests.helpers.flows import ADULT, INTAKE_ANSWERS, MINOR, ask_for_peer, coordinator, press
from tests.helpers.harness import COORDINATOR, Harness
from tests.journeys.test_privacy import scan_for

KID = 1234567


async def snapshot(h: Harness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, except the inbox (an update waits there for milliseconds), the
    ids of handled updates (`inbox_seen`: a number and a time, no chat, nothing anyone said) and
    the bot's own bookkeeping in `meta` (when Telegram last answered, when retention last ran)."""
    await h.rt.later.flush()
    tables = [
        row[0]
        for row in await h.rt.storage.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT IN ('inbox', 'inbox_seen', 'meta')"
        )
    ]
    return {
        table: [tuple(r) for r in await h.rt.storage.fetchall(f"SELECT * FROM {table}")]
        for table in tables
    }


@pytest.mark.parametrize(
    ("language", "talk", "under", "expected"),
    [
        ("en", "Talk to a peer", MINOR, "Nothing you told me has been saved"),
        ("da", "Tal med en peer", "Under 18 år", "Intet af det, du har fortalt mig, er gemt"),
    ],
)
async def test_a_minor_is_referred_and_nothing_about_them_is_stored(
    harness: Harness, language: str, talk: str, under: str, expected: str
) -> None:
    h = harness
    before = await snapshot(h)
    kid = h.user(KID, "Kid", language=language)
    kid.send_text("/start")
    await h.settle()
    kid.press_button(talk)
    await h.settle()
    question = kid.messages[-1]
    assert "18" in question["text"] and question["reply_markup"], "asked before any story"
    # Typing is not asked for. (Not "I want to tell you everything about my life": the crisis
    # detector's wording model flags that, a known false alarm, docs/triage.md.)
    kid.send_text("Hi, I would like to tell you about my school and my friends")
    await h.settle()
    again = kid.messages[-1]  # the question once more, kindly, with its buttons
    assert again["message_id"] != question["message_id"] and again["reply_markup"]
    kid.press_button(under)
    await h.settle()
    referral = kid.message(again["message_id"])["text"]
    assert "116 111" in referral and "headspace.dk" in referral
    assert "33 10 00 09" not in referral  # not a verified number
    assert expected in referral and "112" in referral
    assert await snapshot(h) == before
    assert await scan_for(h, [KID, "about my school and my friends"]) == []
    assert not kid.answered_callbacks


async def test_someone_who_consented_before_and_says_under_18_loses_the_draft(
    harness: Harness,
) -> None:
    h = harness
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen)
    citizen.send_text("/status")
    await h.settle()
    await press(h, citizen, "Cancel my request", "Yes, cancel it")
    before = await snapshot(h)
    citizen.send_text("/start")
    await h.settle()
    await press(h, citizen, "Talk to a peer")
    assert "Step 1 of 6" in citizen.texts[-1] and "how old are you" in citizen.texts[-1]
    await press(h, citizen, ADULT, "Stress", "Back", "Back")
    assert "how old are you" in citizen.texts[-1]
    await press(h, citizen, MINOR)
    assert "116 111" in citizen.texts[-1]
    # They have a stored record from before: no claim that nothing was saved.
    assert "Nothing you told me has been saved" not in citizen.texts[-1]
    assert "/delete" in citizen.texts[-1] and "112" in citizen.texts[-1]
    after = await snapshot(h)
    assert after["requests"] == before["requests"], "the draft and its answers are gone"
    assert after["users"] == before["users"]
    citizen.press(citizen.messages[-1]["message_id"], "intake:set:stress", forge=True)
    await h.settle()  # a button of the discarded draft
    assert citizen.answered_callbacks[-1] == "That button is no longer valid."


async def test_help_now_works_for_a_minor(harness: Harness) -> None:
    h = harness
    await coordinator(h)
    kid = h.user(KID, language="en")
    kid.send_text("/start")
    await h.settle()
    await press(h, kid, "Talk to a peer", MINOR, "I need help now")
    assert "You are not alone" in kid.texts[-1] and "112" in kid.texts[-1]
    assert any("Urgent #1" in text for text in h.fake.user(COORDINATOR).texts)


async def test_the_age_band_is_kept_on_the_request_and_shown_to_the_peer(
    harness: Harness,
) -> None:
    from tests.helpers.flows import make_peer

    h = harness
    peer = await make_peer(h, 2001, "Maja")
    citizen = h.user(1001, language="en")
    citizen.send_text("/start")
    await h.settle()
    await press(h, citizen, "Talk to a peer", ADULT, "I agree")
    assert "Step 2 of 6" in citizen.texts[-1], "the age is not asked twice"
    await press(h, citizen, *INTAKE_ANSWERS, "Skip")
    assert "Age: 18 or over" in citizen.texts[-1]
    await press(h, citizen, "Send request")
    assert "Age: 18 or over" in peer.texts[-1]
    row = await h.rt.storage.fetchone("SELECT age_band FROM requests")
    assert row[0] == "18+"


async def test_bands_and_minimum_age_come_from_the_configuration(harness: Harness) -> None:
    h = harness
    h.config = replace(h.config, minimum_age=16, age_limits=(16, 18, 25))
    await h.restart()
    citizen = h.user(1001, language="en")
    citizen.send_text("/start")
    await h.settle()
    await press(h, citizen, "Talk to a peer")
    labels = [
        b["text"] for row in citizen.messages[-1]["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert labels[:4] == ["Under 16", "16-17", "18-24", "25 or over"]
    assert "aged 16 or over" in citizen.texts[-1]
    await press(h, citizen, "16-17", "I agree", *INTAKE_ANSWERS, "Skip", "Send request")
    row = await h.rt.storage.fetchone("SELECT age_band FROM requests")
    assert row[0] == "16-17"


async def test_forged_age_buttons_are_refused(harness: Harness) -> None:
    h = harness
    kid = h.user(KID, language="en")
    kid.send_text("/start")
    await h.settle()
    await press(h, kid, "Talk to a peer")
    question = kid.messages[-1]["message_id"]
    kid.press(question, "age:7", forge=True)
    await h.settle()
    assert kid.answered_callbacks[-1] == "That button is no longer valid."
    kid.press(question, "age:99999999", forge=True)
    await h.settle()
    assert kid.answered_callbacks[-1] == "That button is no longer valid."
    assert await h.rt.storage.fetchone("SELECT 1 FROM users") is None


def test_minimum_age_must_be_one_of_the_bands() -> None:
    base = {"coordinators": {"user_ids": [1]}}
    config = parse_config(base, {})
    assert (config.minimum_age, [b.code for b in config.age_bands]) == (18, ["0-17", "18+"])
    assert [s.phone for s in config.youth_services] == ["116 111", ""]
    assert all(s.verified is None for s in config.youth_services)  # nobody verified them
    with pytest.raises(ConfigError) as caught:
        parse_config({**base, "minors": {"minimum_age": 15, "age_bands": [18]}}, {})
    assert any(p.startswith("minors.minimum_age") for p in caught.value.problems)
    with pytest.raises(ConfigError):
        parse_config({**base, "minors": {"age_bands": ["eighteen"]}}, {})
    open_to_all = parse_config({**base, "minors": {"minimum_age": 0, "age_bands": [25]}}, {})
    assert not any(open_to_all.is_minor(b) for b in open_to_all.age_bands)


async def test_a_minor_who_pressed_help_now_before_is_not_told_nothing_was_saved(
    harness: Harness,
) -> None:
    h = harness
    await coordinator(h)
    kid = h.user(KID, language="en")
    kid.send_text("/help_now")  # stores a made-up name and the chat
    await h.settle()
    assert await h.rt.storage.fetchone("SELECT 1 FROM users WHERE telegram_id = ?", (KID,))
    kid.send_text("/start")
    await h.settle()
    await press(h, kid, "Talk to a peer", MINOR)
    referral = next(t for t in reversed(kid.texts) if "116 111" in t)
    assert "Nothing you told me has been saved" not in referral
    assert "What you just told me was not saved" in referral and "/delete" in referral
