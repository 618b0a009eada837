"""Every relayed message reaches exactly the person it was meant for, through the real
Application: replies to ended contacts, a coordinator beside a peer, names on every bubble."""

from datetime import timedelta

from bot.fakebot import FakeUser
from tests.helpers.flows import (
    ADULT,
    INTAKE_ANSWERS,
    ask_for_peer,
    coordinator,
    in_contact,
    make_peer,
    press,
)
from tests.helpers.harness import Harness


async def pseudonym(h: Harness, user: FakeUser) -> str:
    row = await h.rt.storage.fetchone(
        "SELECT pseudonym FROM users WHERE telegram_id = ?", (user.id,)
    )
    return row[0]


def saw(user: FakeUser, words: str) -> bool:
    return any(words in text for text in user.texts)


async def end_contact(h: Harness, user: FakeUser, name: str) -> None:
    user.send_text("/end")
    await h.settle()
    await press(h, user, f"End contact with {name}", "Yes, end it")


async def ask_again(h: Harness, citizen: FakeUser) -> None:
    """A citizen who consented before asks for a peer once more."""
    citizen.send_text("/start")
    await h.settle()
    await press(h, citizen, "Talk to a peer", ADULT, *INTAKE_ANSWERS, "Skip", "Send request")


async def two_citizens(h: Harness) -> tuple[FakeUser, FakeUser, FakeUser]:
    peer = await make_peer(h, 2001, "Maja", capacity=2)
    ada, bo = h.user(1001, "Ada", language="en"), h.user(1002, "Bo", language="en")
    for citizen in (ada, bo):
        await ask_for_peer(h, citizen)
        await press(h, peer, "Accept")
    return peer, ada, bo


async def test_a_peers_reply_to_an_ended_contact_reaches_nobody_and_one_press_sends_it_on(
    harness: Harness,
) -> None:
    h = harness
    peer, ada, bo = await two_citizens(h)
    ada_name, bo_name = await pseudonym(h, ada), await pseudonym(h, bo)
    ada.send_text("from ada")
    await h.settle()
    ada_copy = peer.last_message["message_id"]
    await end_contact(h, peer, ada_name)
    ada_seen, bo_seen = len(ada.texts), len(bo.texts)

    peer.send_text("are you still there?", reply_to=ada_copy)
    await h.settle()
    assert not any("still there" in t for t in ada.texts[ada_seen:] + bo.texts[bo_seen:])
    question = peer.last_message
    assert f"Your contact with {ada_name} has ended" in question["text"]
    assert f"send it to {bo_name} instead?" in question["text"]
    assert question["reply_to_message"]["text"] == "are you still there?"
    # The button carries only the contact; the words come from Telegram's own reply.
    data = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert data.startswith("relay:to:") and "still" not in data
    assert not await h.rt.storage.fetchall(
        "SELECT 1 FROM handover_notes UNION ALL SELECT 1 FROM feedback WHERE comment IS NOT NULL"
    )

    await press(h, peer, f"Send it to {bo_name}")
    assert bo.texts[-1] == "Maja\nare you still there?"
    assert peer.texts[-1] == f"Sent to {bo_name}."
    peer.press(question["message_id"], data, forge=True)  # replayed
    await h.settle()
    assert peer.answered_callbacks[-1] == "That message has already been sent."
    assert sum("are you still there?" in t for t in bo.texts) == 1
    assert not any("still there" in t for t in ada.texts[ada_seen:])


async def test_a_citizens_reply_to_an_earlier_peer_reaches_nobody_while_with_a_new_peer(
    harness: Harness,
) -> None:
    h = harness
    maja, ada = await in_contact(h)
    jonas = await make_peer(h, 2002, "Jonas")
    maja.send_text("take care")
    await h.settle()
    maja_copy = ada.last_message["message_id"]
    await end_contact(h, ada, "Maja")
    await press(h, ada, "No thanks")
    await ask_again(h, ada)
    await press(h, maja, "Decline")  # the earlier peer is asked first
    await press(h, jonas, "Accept")
    maja_seen, jonas_seen = len(maja.texts), len(jonas.texts)

    ada.send_text("thank you for before", reply_to=maja_copy)
    await h.settle()
    assert not any("thank you for before" in t for t in maja.texts[maja_seen:])
    assert not any("thank you for before" in t for t in jonas.texts[jonas_seen:])
    assert "Your contact with Maja has ended" in ada.texts[-1]
    await press(h, ada, "Send it to Jonas")
    assert jonas.texts[-1].endswith("\nthank you for before")
    assert not any("thank you for before" in t for t in maja.texts)


async def test_a_send_it_button_goes_stale_and_sends_only_the_senders_own_message(
    harness: Harness,
) -> None:
    h = harness
    peer, ada, bo = await two_citizens(h)
    ada.send_text("hello")
    await h.settle()
    ada_copy = peer.last_message["message_id"]
    await end_contact(h, peer, await pseudonym(h, ada))
    peer.send_text("late words", reply_to=ada_copy)
    await h.settle()
    question = peer.last_message
    data = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    # Bo cannot use the button (forged into Bo's own chat, it answers none of Bo's messages).
    bo.press(bo.last_message["message_id"], data, forge=True)
    await h.settle()
    assert bo.answered_callbacks[-1] == "That button is no longer valid."
    h.clock.advance(timedelta(hours=2))
    peer.press(question["message_id"], data)
    await h.settle()
    assert peer.answered_callbacks[-1].startswith("That button is no longer valid.")
    assert not any("late words" in t for t in bo.texts)


async def test_a_reply_older_than_every_current_contact_reaches_nobody_without_its_mapping(
    harness: Harness,
) -> None:
    """Mappings are purged a week after a contact ends; the reply's date still tells."""
    h = harness
    maja, ada = await in_contact(h)
    jonas = await make_peer(h, 2002, "Jonas")
    maja.send_text("an old message")
    await h.settle()
    old_copy = ada.last_message["message_id"]
    await end_contact(h, ada, "Maja")
    await h.rt.storage.execute("DELETE FROM relay_messages")
    h.clock.advance(timedelta(days=8))
    await ask_again(h, ada)
    await press(h, maja, "Decline")
    await press(h, jonas, "Accept")
    ada.send_text("about that", reply_to=old_copy)
    await h.settle()
    assert not any("about that" in t for t in jonas.texts + maja.texts)
    assert "conversation that has ended" in ada.texts[-1]


async def test_a_coordinator_beside_a_peer_names_everyone_asks_whom_and_ends_explicitly(
    harness: Harness,
) -> None:
    h = harness
    coco = await coordinator(h)  # known to the bot before: still gets a name to write under
    maja, ada = await in_contact(h)
    ada_name = await pseudonym(h, ada)
    ada.send_text("/help_now")
    await h.settle()
    await press(h, coco, "Write to them")
    coco_name = await pseudonym(h, coco)
    assert coco_name and f"under the name {coco_name}" in coco.texts[-1]
    opened = ada.texts[-1]
    assert opened.startswith(f"{coco_name} (coordinator) from our team is here")
    assert "Your contact with Maja goes on" in opened

    coco.send_text("How are you right now?")
    maja.send_text("thinking of you")
    await h.settle()
    assert f"{coco_name} (coordinator)\nHow are you right now?" in ada.texts
    assert "Maja\nthinking of you" in ada.texts
    coordinator_copy = next(
        m for m in ada.messages if m.get("text", "").endswith("How are you right now?")
    )

    seen = (len(maja.texts), len(coco.texts))
    ada.send_text("who gets this?")
    await h.settle()
    assert not any("who gets this?" in t for t in maja.texts[seen[0] :] + coco.texts[seen[1] :])
    ask = ada.last_message
    assert "Who is this message for?" in ask["text"]
    labels = [row[0]["text"] for row in ask["reply_markup"]["inline_keyboard"]]
    assert sorted(labels) == sorted(["Maja", f"{coco_name} (coordinator)"])
    await press(h, ada, "Maja")
    assert maja.texts[-1] == f"{ada_name}\nwho gets this?"
    assert ada.texts[-1] == "Sent to Maja."
    assert not any("who gets this?" in t for t in coco.texts)

    ada.send_text("a bit better", reply_to=coordinator_copy["message_id"])  # a reply decides
    await h.settle()
    assert coco.texts[-1] == f"{ada_name}\na bit better"
    assert not any("a bit better" in t for t in maja.texts)

    ada.send_text("/checkin")  # check-ins with the peer go on beside the coordinator
    await h.settle()
    assert "can be planned once you are in contact" not in ada.texts[-1]
    draft = await h.rt.storage.fetchone(
        "SELECT c.kind FROM checkins k JOIN contacts c ON c.id = k.contact_id"
    )
    assert draft[0] == "peer"
    ada.send_text("/end")  # the citizen could end either
    await h.settle()
    labels = [row[0]["text"] for row in ada.last_message["reply_markup"]["inline_keyboard"]]
    assert labels == ["End contact with Maja", f"End contact with {coco_name} (coordinator)"] or (
        labels == [f"End contact with {coco_name} (coordinator)", "End contact with Maja"]
    )
    await end_contact(h, coco, ada_name)
    assert ada.texts[-1].startswith(f"{coco_name} (coordinator) has ended your conversation")
    assert "Your contact with Maja goes on" in ada.texts[-1]
    assert not any("has ended" in t for t in maja.texts[-2:])
    ada.send_text("just us again")
    await h.settle()
    assert maja.texts[-1] == f"{ada_name}\njust us again"
    assert not any("just us again" in t for t in coco.texts)


async def test_formatting_is_kept_with_entities_shifted_in_utf16_behind_the_name(
    harness: Harness,
) -> None:
    h = harness
    peer = await make_peer(h, 2001, "Sø 🌿")  # an emoji is two UTF-16 units
    ada = h.user(1001, "Ada", language="en")
    await ask_for_peer(h, ada)
    await press(h, peer, "Accept")
    bold = {"type": "bold", "offset": 3, "length": 4}  # "🙂 hi" then "very" in bold
    link = {"type": "text_link", "offset": 8, "length": 4, "url": "https://example.org/"}
    peer.send_text("🙂 hi very glad", entities=[bold, link])
    await h.settle()
    got = ada.last_message
    assert got["text"] == "Sø 🌿\n🙂 hi very glad"
    shift = len("Sø 🌿\n".encode("utf-16-le")) // 2
    assert shift == 6
    assert got["entities"] == [
        {"type": "bold", "offset": 0, "length": 5},
        {**bold, "offset": 3 + shift},
        {**link, "offset": 8 + shift},
    ]
    assert got["has_protected_content"] is True
    assert [c.method for c in h.fake.calls[-3:]].count("copyMessage") == 0

    ada.send_photo("look 👀 here", caption_entities=[{"type": "italic", "offset": 8, "length": 4}])
    await h.settle()
    name = await pseudonym(h, ada)
    photo = peer.last_message
    assert photo["caption"] == f"{name}\nlook 👀 here"
    offset = len(f"{name}\n".encode("utf-16-le")) // 2
    assert photo["caption_entities"][1] == {"type": "italic", "offset": 8 + offset, "length": 4}


async def test_a_name_message_comes_first_only_where_no_caption_fits(harness: Harness) -> None:
    h = harness
    peer, ada = await in_contact(h)
    name = await pseudonym(h, ada)
    before = len(peer.messages)
    ada.send_sticker()
    ada.send_photo("x" * 1020)  # with the name it would pass Telegram's 1024
    ada.send_photo()
    ada.send_voice()
    ada.send_text("y" * 4095)
    await h.settle()
    got = peer.messages[before:]
    assert [m.get("text") for m in got[:2]] == [name, None]
    assert "sticker" in got[1]
    assert got[2]["text"] == name and got[3]["caption"] == "x" * 1020  # the words uncut
    assert got[4]["caption"] == name and "photo" in got[4]
    assert got[5]["caption"] == name and "voice" in got[5]
    assert [m["text"] for m in got[6:]] == [name, "y" * 4095]
    assert len(got) == 8
    # Replies still thread on both sides.
    peer.send_text("nice photo", reply_to=got[4]["message_id"])
    await h.settle()
    assert ada.last_message["reply_to_message"]["message_id"] > 0
    assert "photo" in ada.last_message["reply_to_message"]


async def test_a_citizen_who_deletes_everything_beside_a_coordinator_ends_both_contacts(
    harness: Harness,
) -> None:
    h = harness
    coco = await coordinator(h)
    maja, ada = await in_contact(h)
    ada.send_text("/help_now")
    await h.settle()
    await press(h, coco, "Write to them")
    ada.send_text("/delete")
    await h.settle()
    await press(h, ada, "Yes, delete everything")
    assert "chose to leave the service" in maja.texts[-1]
    assert "chose to leave the service" in coco.texts[-1]


async def test_a_coordinator_once_called_coordinator_gets_a_name_of_their_own(
    harness: Harness,
) -> None:
    h = harness
    coco = await coordinator(h)
    _maja, ada = await in_contact(h)
    await h.rt.storage.execute(
        "UPDATE users SET pseudonym = 'Koordinator' WHERE telegram_id = ?", (coco.id,)
    )
    ada.send_text("/help_now")
    await h.settle()
    await press(h, coco, "Write to them")
    name = await pseudonym(h, coco)
    assert name not in ("Koordinator", "Coordinator", "")
    assert ada.texts[-1].startswith(f"{name} (coordinator) from our team")


async def test_crisis_words_held_for_a_choice_reach_coordinators_at_once_and_once(
    harness: Harness,
) -> None:
    h = harness
    coco = await coordinator(h)
    maja, ada = await in_contact(h)
    ada.send_text("/help_now")
    await h.settle()
    await press(h, coco, "Write to them")
    before = await h.rt.storage.fetchone("SELECT COUNT(*) FROM escalations")
    ada.send_text("i want to kill myself")
    await h.settle()
    assert "Who is this message for?" in ada.texts[-2]
    assert "112" in ada.texts[-1]  # the emergency lines at once
    after = await h.rt.storage.fetchone("SELECT COUNT(*) FROM escalations")
    assert after[0] == before[0] + 1  # coordinators did not wait for the press
    assert not any("A note about" in t for t in maja.texts)  # Maja has not seen the words
    await press(h, ada, "Maja")
    assert maja.texts[-3].endswith("\ni want to kill myself")
    assert maja.texts[-2].startswith("A note about")
    assert maja.texts[-1].startswith("That was a heavy moment")  # now that she has the words
    again = await h.rt.storage.fetchone("SELECT COUNT(*) FROM escalations")
    assert again[0] == after[0]  # the same words, sent on, do not alert twice
