"""A citizen in the web chat goes the whole way with a peer on Telegram, through the same
services: welcome, age, consent, intake, an offer, the relay both ways, help now, the end."""

from __future__ import annotations

from bot.domain import is_web_chat
from tests.helpers.flows import INTAKE_ANSWERS, make_peer
from tests.helpers.harness import COORDINATOR, Harness
from tests.helpers.web import WebCitizen


async def web_request(web: WebCitizen) -> None:
    """The web citizen asks for a peer, as `flows.ask_for_peer` does on Telegram."""
    await web.start("en")
    for label in ("Talk to a peer", "18 or over", "I agree", *INTAKE_ANSWERS, "Skip"):
        await web.press(label)
    await web.press("Send request")


async def test_a_web_citizen_reaches_a_telegram_peer_and_they_write_to_each_other(
    harness: Harness, web: WebCitizen
) -> None:
    h = harness
    peer = await make_peer(h, 2001, "Maja")
    await web_request(web)
    assert any("Maja" in text or "peer" in text for text in web.texts)
    offer = peer.texts[-1]
    assert "Anxiety" in offer
    peer.press_button("Accept")
    await h.settle()
    await web.read()
    assert any("Maja" in text for text in web.texts[-3:])

    await web.write("Hello, it is hard to sleep lately.")
    assert "Hello, it is hard to sleep lately." in peer.texts[-1]
    peer.send_text("Thank you for writing. What keeps you awake?")
    await h.settle()
    await web.read()
    assert "What keeps you awake?" in web.texts[-1]
    assert web.texts[-1].startswith("Maja")
    chat_id = await web.chat_id()
    assert is_web_chat(chat_id)
    # The peer's view carries no trace of the web: no chat id, no word about a browser.
    assert str(chat_id) not in "".join(peer.texts)
    assert not any("web" in text.lower() for text in peer.texts)


async def test_help_now_from_the_web_reaches_the_coordinator(
    harness: Harness, web: WebCitizen
) -> None:
    h = harness
    coordinator = h.user(COORDINATOR, "Coco", "en")
    coordinator.send_text("/start")
    await h.settle()
    await web.start("en")
    await web.write("🆘 I need help now")
    assert any("urgent" in text.lower() for text in coordinator.texts)
    assert web.texts[-1]
