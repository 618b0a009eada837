"""Contact forms the organisation offers (``[contact_forms]``): what intake asks, what the
citizen is told, what the offer says to the peer and what the peer promises, all agree.
Each configuration through the real Application."""

from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.errors import ConfigError
from bot.fakebot import FakeTelegram, FakeUser
from tests.helpers.flows import ADULT, coordinator, make_peer, press
from tests.helpers.harness import Harness, make_config

ADDRESS = "Nørregade 7, 8000 Aarhus C"


def configured(tmp_path: Path, offered: list[str]) -> dict[str, object]:
    return {
        "organisation": {
            "name": "Peer-støtte Test",
            "privacy_contact": "dpo@example.dk",
            "address": ADDRESS,
        },
        "contact_forms": {"offered": offered},
    }


async def started(
    tmp_path: Path, fake: FakeTelegram, clock: FakeClock, offered: list[str]
) -> Harness:
    h = Harness(make_config(tmp_path, configured(tmp_path, offered)), fake, clock)
    await h.start()
    await coordinator(h)
    return h


async def to_contact_step(h: Harness) -> FakeUser:
    citizen = h.user(1001, "Ada", language="en")
    citizen.send_text("/start")
    await h.settle()
    await press(h, citizen, "Talk to a peer", ADULT, "I agree", "Anxiety", "Dansk")
    return citizen


async def send(h: Harness, citizen: FakeUser, *answers: str) -> str:
    await press(h, citizen, *answers, "Evenings", "Skip", "Send request")
    return (
        citizen.texts[-1]
        if "Your request has been sent" in citizen.texts[-1]
        else next(t for t in reversed(citizen.texts) if "Your request has been sent" in t)
    )


def undertaking(h: Harness, peer: FakeUser) -> str:
    """The undertaking as the bot sent it to the peer (the message is edited once accepted)."""
    return next(
        str(call.params.get("text"))
        for call in h.fake.calls
        if call.params.get("chat_id") == peer.id
        and "Confidentiality undertaking" in str(call.params.get("text"))
    )


def offer(peer: FakeUser) -> str:
    return next(t for t in reversed(peer.texts) if "would like to talk with a peer" in t)


async def test_chat_only_by_default_skips_the_contact_step_and_promises_no_number(
    tmp_path: Path, fake: FakeTelegram, clock: FakeClock
) -> None:
    h = Harness(make_config(tmp_path), fake, clock)
    assert h.config.contact_forms == ("chat",)
    await h.start()
    try:
        await coordinator(h)
        peer = await make_peer(h, 2001, "Maja")
        citizen = await to_contact_step(h)
        assert "Step 4 of 6" in citizen.texts[-1] and "When suits you best?" in citizen.texts[-1]
        assert not any("How would you like to be in contact?" in t for t in citizen.texts)
        sent = await send(h, citizen)
        assert "not your name or number" in sent and "phone call" not in sent.lower()
        row = await h.rt.storage.fetchone("SELECT contact_form FROM requests")
        assert row["contact_form"] == "chat"
        assert "no phone numbers, social media or private meetings" in undertaking(h, peer)
        text = offer(peer)
        assert "Contact: Chat here through the bot" in text and "phone" not in text.lower()
        # Nor can the peer plan a call or a meeting the undertaking forbids.
        await press(h, peer, "Accept")
        peer.send_text("/checkin")
        await h.settle()
        kinds = [
            b["text"] for row in peer.last_message["reply_markup"]["inline_keyboard"] for b in row
        ]
        assert "Check-in message" in kinds and "Phone call" not in kinds and "Meeting" not in kinds
        # Back from the times step goes to the language step, not to a step never asked.
        other = h.user(1002, "Bo", language="en")
        other.send_text("/start")
        await h.settle()
        await press(h, other, "Talk to a peer", ADULT, "I agree", "Anxiety", "Dansk", "Back")
        assert "Which language would you like to talk in?" in other.texts[-1]
    finally:
        await h.stop()


async def test_phone_call_says_plainly_the_citizen_shares_their_number(
    tmp_path: Path, fake: FakeTelegram, clock: FakeClock
) -> None:
    h = await started(tmp_path, fake, clock, ["chat", "phone"])
    try:
        peer = await make_peer(h, 2001, "Maja")
        citizen = await to_contact_step(h)
        question = citizen.texts[-1]
        assert "Step 4 of 7" in question and "How would you like to be in contact?" in question
        assert "you give your peer your phone number yourself" in question
        assert "Then your peer knows your number." in question
        assert "Meeting" not in question
        buttons = [
            b["text"]
            for row in citizen.last_message["reply_markup"]["inline_keyboard"]
            for b in row
        ]
        assert "Phone call" in buttons and not any("Meeting" in b for b in buttons)
        sent = await send(h, citizen, "Phone call")
        assert "You chose a phone call" in sent
        assert "give them your phone number in the chat" in sent
        row = await h.rt.storage.fetchone("SELECT contact_form FROM requests")
        assert row["contact_form"] == "phone"
        promise = undertaking(h, peer)
        assert "a phone call, when the citizen asks for one and gives me their number" in promise
        assert "no social media and no private meetings" in promise
        assert "no phone numbers" not in promise
        text = offer(peer)
        assert "Contact: Phone call" in text
        assert "they will give you their number in the chat themselves" in text
    finally:
        await h.stop()


async def test_a_meeting_is_at_the_organisations_address(
    tmp_path: Path, fake: FakeTelegram, clock: FakeClock
) -> None:
    h = await started(tmp_path, fake, clock, ["meeting", "chat"])
    try:
        peer = await make_peer(h, 2001, "Maja")
        citizen = await to_contact_step(h)
        question = citizen.texts[-1]
        assert f"Meeting: at Peer-støtte Test, {ADDRESS}" in question
        assert "Phone call" not in question
        sent = await send(h, citizen, "Meeting at the organisation's address")
        assert f"It is at Peer-støtte Test, {ADDRESS}" in sent
        assert f"a meeting at Peer-støtte Test, {ADDRESS}, and nowhere else" in undertaking(h, peer)
        text = offer(peer)
        assert f"They would like to meet: only at Peer-støtte Test, {ADDRESS}." in text
    finally:
        await h.stop()


@pytest.mark.parametrize(
    ("offered", "address", "problem"),
    [
        (["chat", "meeting"], "", "set organisation.address"),
        (["phone"], ADDRESS, "must include chat"),
        (["chat", "video"], ADDRESS, "unknown ['video']"),
    ],
)
def test_contact_forms_that_cannot_be_kept_are_refused(
    tmp_path: Path, offered: list[str], address: str, problem: str
) -> None:
    toml = configured(tmp_path, offered)
    toml["organisation"]["address"] = address  # type: ignore[index]
    with pytest.raises(ConfigError) as caught:
        make_config(tmp_path, toml)
    assert any(
        p.startswith("contact_forms.offered: ") and problem in p for p in caught.value.problems
    )
