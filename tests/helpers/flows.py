"""Whole user journeys, driven through the bot as people would, shared by the tests."""

from bot.fakebot import FakeUser
from tests.helpers.harness import COORDINATOR, Harness

# Topic, language and times: the intake steps with buttons (with chat as the only contact form,
# the default, nobody is asked how they would like to be in contact).
INTAKE_ANSWERS = ("Anxiety", "Dansk", "Evenings")
# The age band asked before consent (and as the first step for someone who consented before).
ADULT, MINOR = "18 or over", "Under 18"


async def make_peer(
    h: Harness, user_id: int, name: str, *, capacity: int = 2, language: str = "en"
) -> FakeUser:
    """Invite, onboard and approve a peer through the bot itself."""
    coordinator = h.user(COORDINATOR, "Coco", language=language)
    coordinator.send_text("/invite")
    await h.settle()
    link = coordinator.texts[-1].split()[-1]
    payload = link.split("start=")[1]
    peer = h.user(user_id, name, language=language)
    peer.send_text(f"/start {payload}")
    await h.settle()
    peer.send_text(name)
    await h.settle()
    for label in (
        "Anxiety",
        "Done",
        "Dansk",
        "English",
        "Done",
        str(capacity),
        "Weekdays, daytime",
        "Evenings",
        "Weekends",
        "Done",
        "I accept",
    ):
        peer.press_button(label)
        await h.settle()
    coordinator.press_button("Approve")
    await h.settle()
    assert "approved" in peer.texts[-1]
    return peer


async def ask_for_peer(h: Harness, citizen: FakeUser, *, note: str | None = None) -> None:
    citizen.send_text("/start")
    await h.settle()
    citizen.press_button("Talk to a peer")
    await h.settle()
    citizen.press_button(ADULT)
    await h.settle()
    citizen.press_button("I agree")
    await h.settle()
    await press(h, citizen, *INTAKE_ANSWERS)
    if note is None:
        citizen.press_button("Skip")
    else:
        citizen.send_text(note)
    await h.settle()
    citizen.press_button("Send request")
    await h.settle()


async def coordinator(h: Harness, user_id: int = COORDINATOR, name: str = "Coco") -> FakeUser:
    """A coordinator who has started the bot, with English as their Telegram language."""
    user = h.user(user_id, name, "en")
    user.send_text("/start")
    await h.settle()
    return user


async def in_contact(h: Harness) -> tuple[FakeUser, FakeUser]:
    peer = await make_peer(h, 2001, "Maja")
    citizen = h.user(1001, "Ada", language="en")
    await ask_for_peer(h, citizen)
    peer.press_button("Accept")
    await h.settle()
    return peer, citizen


async def press(h: Harness, user: FakeUser, *labels: str) -> None:
    for label in labels:
        user.press_button(label)
        await h.settle()


async def offering_phone_calls(h: Harness) -> None:
    """The organisation offers phone calls (``[contact_forms]``), so peers may plan calls."""
    from dataclasses import replace

    h.config = replace(h.config, contact_forms=("chat", "phone"))
    await h.restart()
