"""A citizen who writes outside a contact gets a kind answer that fits where they are.

Text and media alike, through the real Application; never "I can't use that message here".
"""

from collections.abc import Callable

import pytest

from bot.fakebot import FakeUser
from tests.handlers.test_crisis import (
    SITUATIONS,
    Setup,
    after_the_contact_ended,
    at_consent,
    at_the_age_question,
    barred,
    newcomer,
    waiting,
)
from tests.helpers.flows import coordinator, press
from tests.helpers.harness import Harness

SENDS: dict[str, Callable[[FakeUser], object]] = {
    "text": lambda citizen: citizen.send_text("hello? is anyone there"),
    "photo with a caption": lambda citizen: citizen.send_photo(caption="look at this"),
    "sticker": lambda citizen: citizen.send_sticker(),
    "voice": lambda citizen: citizen.send_voice(),
}


def buttons(citizen: FakeUser) -> list[str]:
    markup = (citizen.last_message or {}).get("reply_markup") or {}
    return [button["text"] for row in markup.get("inline_keyboard", []) for button in row]


async def consented_without_request(h: Harness) -> FakeUser:
    citizen = await at_consent(h)
    await press(h, citizen, "I agree", "Cancel")
    assert "cancelled" in citizen.texts[-1]
    return citizen


ANSWERS: dict[str, tuple[Setup, str, list[str]]] = {
    "newcomer": (
        newcomer,
        "I am a bot, so your message has not gone to anyone.",
        ["Talk to a peer", "I need help now"],
    ),
    "agreed, nothing asked yet": (
        consented_without_request,
        "I am a bot, so your message has not gone to anyone.",
        ["Talk to a peer", "I need help now"],
    ),
    "waiting for a peer": (
        waiting,
        "Your request is waiting for a peer. When a peer says yes, I will tell you here",
        ["I need help now"],
    ),
    "after the contact ended": (
        after_the_contact_ended,
        "If you would like to talk with a peer again, press the button below.",
        ["Talk to a peer", "I need help now"],
    ),
    "barred": (
        barred,
        "Right now we cannot put you in contact with a peer through this service.",
        ["I need help now"],
    ),
}


@pytest.mark.parametrize("send", list(SENDS))
@pytest.mark.parametrize("situation", list(ANSWERS))
async def test_a_message_outside_a_contact_gets_a_kind_answer_for_the_situation(
    harness: Harness, situation: str, send: str
) -> None:
    h = harness
    await coordinator(h)
    setup, expected, expected_buttons = ANSWERS[situation]
    citizen = await setup(h)
    before = len(citizen.texts)
    SENDS[send](citizen)
    await h.settle()
    (answer,) = citizen.texts[before:]
    assert expected in answer
    assert buttons(citizen) == expected_buttons
    if situation == "barred":
        assert "112" in answer  # the neutral answer carries the emergency lines
    assert await h.rt.storage.fetchall("SELECT 1 FROM escalations WHERE reason = 'signal'") == []


async def test_at_the_age_question_it_comes_again_with_its_buttons(harness: Harness) -> None:
    h = harness
    citizen = await at_the_age_question(h)
    before = len(citizen.texts)
    citizen.send_sticker()
    await h.settle()
    (answer,) = citizen.texts[before:]
    assert answer.startswith("Thank you. Here you answer with the buttons")
    assert "how old are you?" in answer and "Nothing is stored yet." in answer
    assert buttons(citizen) == ["Under 18", "18 or over", "I need help now"]
    await press(h, citizen, "18 or over")
    citizen.send_text("and now?")
    await h.settle()
    assert "please read what we keep" in citizen.texts[-2]  # the next step's reminder
    assert await h.rt.storage.fetchone("SELECT 1 FROM users WHERE telegram_id = 1001") is None


async def test_at_consent_the_privacy_text_and_its_buttons_come_again(harness: Harness) -> None:
    h = harness
    citizen = await at_consent(h)
    before = len(citizen.texts)
    citizen.send_text("what happens now?")
    await h.settle()
    first, second = citizen.texts[before:]
    assert "please read what we keep and choose with the buttons" in first
    assert "here is what we keep about you" in second
    assert buttons(citizen) == ["I agree", "No thanks", "I need help now"]
    await press(h, citizen, "I agree")
    assert "What would you like to talk about?" in citizen.texts[-1]  # the age was kept


@pytest.mark.parametrize("send", list(SENDS))
@pytest.mark.parametrize(
    ("situation", "question"),
    [
        ("intake, topic step", "What would you like to talk about?"),
        ("intake, times step", "When suits you best?"),
        ("intake, confirm step", "Please check your request:"),
    ],
)
async def test_in_intake_the_step_comes_again_with_its_buttons(
    harness: Harness, situation: str, question: str, send: str
) -> None:
    h = harness
    citizen = await SITUATIONS[situation](h)
    before = len(citizen.texts)
    SENDS[send](citizen)
    await h.settle()
    (answer,) = citizen.texts[before:]
    assert answer.startswith("Thank you. Here you answer with the buttons")
    assert question in answer
    assert "Cancel" in buttons(citizen) and "I need help now" in buttons(citizen)


async def test_a_draft_left_outside_the_dialogue_is_offered_to_continue(harness: Harness) -> None:
    """The dialogue's memory lost (as after a crash before it was written), the draft is not."""
    h = harness
    citizen = await SITUATIONS["intake, times step"](h)
    assert h.app is not None
    intake = next(x for x in h.app.handlers[0] if getattr(x, "name", None) == "intake")
    intake._conversations.clear()  # type: ignore[attr-defined]
    citizen.send_text("hello?")
    await h.settle()
    assert "You are in the middle of asking for a peer" in citizen.texts[-1]
    await press(h, citizen, "Continue")
    assert "When suits you best?" in citizen.texts[-1]


async def test_in_danish(harness: Harness) -> None:
    h = harness
    citizen = h.user(1001, language="da")
    citizen.send_text("/start")
    await h.settle()
    await press(h, citizen, "Tal med en peer", "18 år eller derover", "Jeg accepterer")
    citizen.send_text("hej")
    await h.settle()
    assert citizen.texts[-1].startswith("Tak. Her svarer du med knapperne")
    await press(h, citizen, "Annuller")
    citizen.send_text("hej igen")
    await h.settle()
    assert "Jeg er en bot, så din besked er ikke sendt videre til nogen" in citizen.texts[-1]
