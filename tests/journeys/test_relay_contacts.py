"""What happens around a contact, through the real Application: the one handover note for the
next peer, and a peer who blocked the bot."""

from datetime import timedelta

from bot.fakebot import FakeUser, Fault
from tests.helpers.flows import ask_for_peer, coordinator, in_contact, make_peer, press
from tests.helpers.harness import Harness


async def peer_ends(h: Harness, peer: FakeUser) -> dict:
    """The peer ends their contact; returns the message with "Leave a note" on it."""
    peer.send_text("/end")
    await h.settle()
    await press(h, peer, "End contact with", "Yes, end it")
    return peer.last_message


def button_data(message: dict, label: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return next(b["callback_data"] for row in rows for b in row if label in b["text"])


async def test_one_handover_note_per_ended_contact_and_a_replay_delivers_nothing(
    harness: Harness,
) -> None:
    h = harness
    maja, ada = await in_contact(h)
    ended = await peer_ends(h, maja)
    leave = button_data(ended, "Leave a note")
    await press(h, maja, "Leave a note for their next")
    prompt = maja.last_message
    maja.send_text("Walks helped.", reply_to=prompt["message_id"])
    await h.settle()
    assert sum("Walks helped." in t for t in ada.texts) == 1
    seen = len(ada.texts)

    maja.send_text("And one more thing.", reply_to=prompt["message_id"])  # a replayed reply
    await h.settle()
    assert maja.texts[-1] == (
        "You have already left a note for this contact. Nothing more was sent."
    )
    maja.press(ended["message_id"], leave)  # the button again
    await h.settle()
    assert maja.answered_callbacks[-1] == (
        "You have already left a note for this contact. Nothing more was sent."
    )
    assert len(ada.texts) == seen

    await press(h, ada, "Yes, keep it")
    ada.press(ada.last_message["message_id"], "hand:ok:1", forge=True)  # replayed "keep"
    await h.settle()
    assert ada.answered_callbacks[-1] == "This note is already kept."
    rows = await h.rt.storage.fetchall("SELECT note, status FROM handover_notes")
    assert [tuple(r) for r in rows] == [("Walks helped.", "kept")]


async def test_a_handover_note_only_within_seven_days_and_only_from_a_current_peer(
    harness: Harness,
) -> None:
    h = harness
    coco = await coordinator(h)
    maja, ada = await in_contact(h)
    ended = await peer_ends(h, maja)
    leave = button_data(ended, "Leave a note")
    await press(h, maja, "Leave a note for their next")
    prompt = maja.last_message
    h.clock.advance(timedelta(days=7, minutes=1))
    maja.send_text("Too late?", reply_to=prompt["message_id"])
    await h.settle()
    assert maja.texts[-1].startswith("A note can be left only within 7 days")
    assert not any("Too late?" in t for t in ada.texts)

    # A second contact, ended at once; then the coordinators remove Maja as a peer.
    bo = h.user(1002, "Bo", language="en")
    await ask_for_peer(h, bo)
    await press(h, maja, "Accept")
    ended = await peer_ends(h, maja)
    leave = button_data(ended, "Leave a note")
    await press(h, maja, "Leave a note for their next")
    prompt = maja.last_message
    coco.send_text("/peers")
    await h.settle()
    await press(h, coco, "Maja", "Remove…", "Yes, remove")
    maja.send_text("From a removed peer.", reply_to=prompt["message_id"])
    await h.settle()
    assert maja.texts[-1] == "That button is no longer valid."
    maja.press(ended["message_id"], leave)
    await h.settle()
    assert maja.answered_callbacks[-1] == "That button is no longer valid."
    assert not any("removed peer" in t for t in bo.texts)
    assert await h.rt.storage.fetchone("SELECT 1 FROM handover_notes") is None


async def test_a_peer_found_blocked_on_send_is_marked_and_everyone_concerned_is_told(
    harness: Harness,
) -> None:
    h = harness
    coco = await coordinator(h)
    maja, ada = await in_contact(h)
    maja_id = maja.id
    h.fake.inject(Fault.forbidden(), method="sendMessage", chat_id=maja_id)
    ada.send_text("are you there?")
    await h.settle()
    assert not any("are you there?" in t for t in maja.texts)
    told = ada.last_message
    assert told["text"].startswith("Maja cannot be reached here right now")
    assert "It is not about you" in told["text"]
    assert "Find me a new peer" in str(told["reply_markup"])
    assert "Peer Maja cannot be reached any more" in coco.texts[-1]
    assert "Open #1" in str(coco.last_message["reply_markup"])
    row = await h.rt.storage.fetchone(
        "SELECT unreachable_at FROM users WHERE telegram_id = ?", (maja_id,)
    )
    assert row[0] is not None
    contact = await h.rt.storage.fetchone("SELECT status FROM contacts")
    assert contact[0] == "active"  # coordinators or the citizen decide

    # Told once: the next message is not tried again, and coordinators hear nothing new.
    coco_seen, calls = len(coco.texts), len(h.fake.calls_to("sendMessage"))
    ada.send_text("hello?")
    await h.settle()
    assert "Maja cannot be reached here right now" in ada.texts[-1]
    assert len(coco.texts) == coco_seen
    assert not [c for c in h.fake.calls_to("sendMessage")[calls:] if c.params["chat_id"] == maja_id]

    # A new citizen's request is not offered to Maja (free by capacity) while she cannot be
    # reached.
    maja_seen = len(maja.texts)
    bo = h.user(1002, "Bo", language="en")
    await ask_for_peer(h, bo)
    await h.tick(timedelta(minutes=1))
    assert not any("would like to talk" in t for t in maja.texts[maja_seen:])

    # Ada asks for a new peer herself: the contact ends and her request is open again.
    await press(h, ada, "Find me a new peer")
    assert ada.texts[-1].startswith("Your request is open again")
    rows = await h.rt.storage.fetchall("SELECT status, ended_by FROM contacts ORDER BY id")
    assert tuple(rows[0]) == ("ended", "peer_unreachable")
    status = await h.rt.storage.fetchone("SELECT status FROM requests WHERE id = 1")
    assert status[0] == "waiting"
    ada.press(told["message_id"], button_data(told, "Find me a new peer"))  # replayed
    await h.settle()
    assert ada.answered_callbacks[-1] == "That button is no longer valid."


async def test_a_peer_who_blocks_and_comes_back_gets_offers_again(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    maja, ada = await in_contact(h)
    maja.block()
    await h.settle()
    assert "Peer Maja cannot be reached any more" in coco.texts[-1]
    assert "Maja cannot be reached here right now" in ada.texts[-1]
    maja.unblock()
    await h.settle()
    await press(h, ada, "Find me a new peer")
    assert ada.texts[-1] == "Your peer can be reached again, so your contact goes on."
    ada.send_text("welcome back")
    await h.settle()
    assert maja.texts[-1].endswith("\nwelcome back")

    # Found out on send, then back by writing to the bot: offers reach her again.
    h.fake.inject(Fault.forbidden(), method="sendMessage", chat_id=maja.id)
    ada.send_text("and again?")
    await h.settle()
    bo = h.user(1002, "Bo", language="en")
    await ask_for_peer(h, bo)
    assert not any("would like to talk" in t for t in maja.texts[-2:])
    maja.send_text("I'm here")
    await h.settle()
    await h.tick(timedelta(minutes=1))
    assert "would like to talk" in maja.texts[-1]


async def test_a_peer_found_blocked_by_the_outbox_is_seen_to_like_any_other(
    harness: Harness,
) -> None:
    h = harness
    coco = await coordinator(h)
    maja = await make_peer(h, 2001, "Maja", capacity=2)
    ada, bo = h.user(1001, "Ada", language="en"), h.user(1002, "Bo", language="en")
    for citizen in (ada, bo):
        await ask_for_peer(h, citizen)
        await press(h, maja, "Accept")
    h.fake.inject(Fault.forbidden(), chat_id=maja.id)  # the next message to Maja is refused
    ada.send_text("/end")
    await h.settle()
    await press(h, ada, "End contact with", "Yes, end it")  # Maja is told through the outbox
    assert "Maja cannot be reached here right now" in bo.texts[-1]
    assert "Peer Maja cannot be reached any more" in coco.texts[-1]
    assert "Open contacts: 1" in coco.texts[-1]
