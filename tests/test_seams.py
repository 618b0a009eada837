"""Where separately built features meet: a coordinator beside a peer and /status or an alert,
crisis words in a coordinator conversation, a name sent apart and /delete."""

from bot.fakebot import FakeUser
from tests.helpers.flows import coordinator, in_contact, press
from tests.helpers.harness import Harness


async def pseudonym(h: Harness, user: FakeUser) -> str:
    row = await h.rt.storage.fetchone(
        "SELECT pseudonym FROM users WHERE telegram_id = ?", (user.id,)
    )
    return row[0]


async def coordinator_beside_peer(h: Harness) -> tuple[FakeUser, FakeUser, FakeUser]:
    """Ada in contact with Maja; coordinator Coco took her alert and writes with her."""
    coco = await coordinator(h)
    maja, ada = await in_contact(h)
    ada.send_text("/help_now")
    await h.settle()
    await press(h, coco, "I'm handling it", "Write to them")
    return coco, maja, ada


async def test_status_beside_a_coordinator_names_the_peer_and_ends_the_peer_contact(
    harness: Harness,
) -> None:
    h = harness
    coco, _maja, ada = await coordinator_beside_peer(h)
    coco_name = await pseudonym(h, coco)
    ada.send_text("/status")
    await h.settle()
    status = ada.last_message
    assert "You are in contact with Maja." in status["text"]
    assert coco_name not in status["text"]
    peer_contact = await h.rt.storage.fetchone("SELECT id FROM contacts WHERE kind = 'peer'")
    rows = status["reply_markup"]["inline_keyboard"]
    assert rows[0][0]["callback_data"] == f"end:ask:{peer_contact[0]}"
