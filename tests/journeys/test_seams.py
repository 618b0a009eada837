"""Where separately built features meet: a coordinator beside a peer and /status or an alert,
crisis words in a coordinator conversation, a name sent apart and /delete."""

import json
from datetime import timedelta

from bot.fakebot import FakeUser
from bot.fakebot.core import Fault
from bot.services import privacy
from bot.storage import users as user_store
from tests.helpers.flows import coordinator, in_contact, make_peer, press
from tests.helpers.harness import Harness
from tests.journeys.test_relay_routing import ask_again


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


async def test_an_alert_beside_a_coordinator_names_the_peer_and_the_peer_hears_it(
    harness: Harness,
) -> None:
    h = harness
    coco, maja, ada = await coordinator_beside_peer(h)
    coco_name = await pseudonym(h, coco)
    h.clock.advance(timedelta(minutes=31))  # past the window: a new alert, not a repeat
    seen = len(maja.texts)
    ada.send_text("/help_now")
    await h.settle()
    row = await h.rt.storage.fetchone(
        "SELECT c.kind FROM escalations e JOIN contacts c ON c.id = e.contact_id"
        " ORDER BY e.id DESC LIMIT 1"
    )
    assert row[0] == "peer"
    alert = next(t for t in reversed(coco.texts) if t.startswith("Urgent #2\n"))
    assert "Peer: Maja" in alert and coco_name not in alert
    heard = maja.texts[seen:]
    assert len(heard) == 1 and "asked for urgent help" in heard[0]


async def test_crisis_words_to_a_coordinator_name_the_peer_and_leave_the_peer_out(
    harness: Harness,
) -> None:
    h = harness
    coco, maja, ada = await coordinator_beside_peer(h)
    coco_name = await pseudonym(h, coco)
    coco.send_text("How are you right now?")
    await h.settle()
    copy = ada.last_message["message_id"]
    seen_maja, seen_coco = len(maja.texts), len(coco.texts)
    ada.send_text("i want to kill myself", reply_to=copy)
    await h.settle()
    told = coco.texts[seen_coco:]
    assert told[0].endswith("\ni want to kill myself")
    alert = next(t for t in told if t.startswith("Urgent #2\n"))
    assert "Peer: Maja" in alert and coco_name not in alert
    assert not any(t.startswith("A note about") for t in told)  # the peer's note is the peer's
    assert maja.texts[seen_maja:] == []  # Maja saw nothing, so nothing to debrief


async def test_crisis_words_held_for_a_choice_give_the_peer_a_debrief_only_once_sent(
    harness: Harness,
) -> None:
    h = harness
    _coco, maja, ada = await coordinator_beside_peer(h)
    seen = len(maja.texts)
    ada.send_text("i want to kill myself")
    await h.settle()
    assert "Who is this message for?" in ada.texts[-2]
    assert maja.texts[seen:] == []  # no "heavy moment" about words Maja has not seen
    await press(h, ada, "Maja")
    assert maja.texts[seen].endswith("\ni want to kill myself")
    assert maja.texts[seen + 1].startswith("A note about")
    # Now that Maja has the words, she is offered a debrief, once.
    assert maja.texts[seen + 2].startswith("That was a heavy moment")
    assert len(maja.texts) == seen + 3


async def test_crisis_words_on_media_that_cannot_be_passed_on_give_the_peer_no_riddle(
    harness: Harness,
) -> None:
    h = harness
    await coordinator(h)
    maja, ada = await in_contact(h)
    seen = len(maja.texts)
    video = {"video": h.fake._new_file("video"), "caption": "i want to kill myself"}
    h.fake._user_message(ada, ada.id, video, None)
    await h.settle()
    assert ada.texts[-2].startswith("This kind of message cannot be passed on")
    assert "112" in ada.texts[-1]
    assert (await h.rt.storage.fetchone("SELECT COUNT(*) FROM escalations"))[0] == 1
    assert maja.texts[seen:] == []  # Maja received nothing: no debrief offer about it


async def send_name_apart(h: Harness, ada: FakeUser, maja: FakeUser) -> list[dict]:
    """A sticker and an over-long text: each goes as a name message and then the copy."""
    before = len(maja.messages)
    ada.send_sticker()
    ada.send_text("y" * 4095)
    await h.settle()
    got = maja.messages[before:]
    name = await pseudonym(h, ada)
    assert [m.get("text") for m in got] == [name, None, name, "y" * 4095]
    return got


async def delete_everything(h: Harness, person: FakeUser) -> None:
    person.send_text("/delete")
    await h.settle()
    await press(h, person, "Yes, delete everything")


async def test_delete_within_two_days_removes_the_name_sent_apart_with_its_message(
    harness: Harness,
) -> None:
    h = harness
    maja, ada = await in_contact(h)
    got = await send_name_apart(h, ada, maja)
    await delete_everything(h, ada)
    assert [maja.message(m["message_id"]) for m in got] == [None] * 4
    assert "2 messages of yours that were passed on" in ada.texts[-1]


async def test_delete_after_two_days_withdraws_the_name_sent_apart_and_counts_each_message_once(
    harness: Harness,
) -> None:
    h = harness
    maja, ada = await in_contact(h)
    got = await send_name_apart(h, ada, maja)
    name = await pseudonym(h, ada)
    await h.tick(timedelta(hours=50))
    await delete_everything(h, ada)
    now = [maja.message(m["message_id"]) for m in got]
    withdrawn = "(This message has been withdrawn by its sender.)"
    assert [m.get("text") for m in now if m] == [withdrawn, None, withdrawn, withdrawn]
    assert "sticker" in now[1]  # Telegram keeps showing an old sticker
    assert name not in json.dumps(now)
    said = ada.texts[-1]
    assert "1 message of yours that was passed on" in said
    assert "1 picture, voice message or sticker" in said


async def test_a_reply_to_a_name_sent_apart_threads_to_its_message(harness: Harness) -> None:
    h = harness
    maja, ada = await in_contact(h)
    got = await send_name_apart(h, ada, maja)
    maja.send_text("nice sticker", reply_to=got[0]["message_id"])
    await h.settle()
    assert ada.last_message["reply_to_message"]["message_id"] > 0
    assert "sticker" in ada.last_message["reply_to_message"]


async def test_mydata_works_and_shows_joined_presses_and_the_command_menu(
    harness: Harness,
) -> None:
    h = harness
    await coordinator(h)
    maja, ada = await in_contact(h)
    for _ in range(2):
        ada.send_text("/help_now")
        await h.settle()
    for person in (ada, maja):
        person.send_text("/mydata")
        await h.settle()
        assert person.last_message["document"]["file_name"] == "mydata.json"  # it used to fail

    async def copy(person: FakeUser) -> dict:
        user = await user_store.by_telegram_id(h.rt.storage, person.id)
        assert user is not None
        return json.loads((await privacy.copy_of_data(h.rt, user)).document)

    ada_data, maja_data = await copy(ada), await copy(maja)
    assert ada_data["escalation_presses"] == [{"escalation_id": 1}]  # the second press joined
    assert maja_data["escalation_presses"] == []
    assert [row["menu"] for row in maja_data["command_menus"]] == ["peer:en"]
    assert ada_data["command_menus"] == []  # the default menu is not kept
    assert "chat_migrations" in ada_data["not_included"]


async def test_a_find_me_a_new_peer_button_pressed_by_anyone_else_changes_nothing(
    harness: Harness,
) -> None:
    h = harness
    coco = await coordinator(h)
    maja, ada = await in_contact(h)
    bo = h.user(1002, "Bo", language="en")
    bo.send_text("/start")
    await h.settle()
    stranger = h.user(3001, "Kim", language="en")
    stranger.send_text("/start")
    await h.settle()
    maja.block()
    ada.send_text("are you there?")
    await h.settle()
    offer = ada.last_message
    data = next(
        b["callback_data"]
        for row in offer["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "Find me a new peer"
    )
    tables = "SELECT status, ended_by FROM contacts UNION ALL SELECT status, NULL FROM requests"
    before = [tuple(r) for r in await h.rt.storage.fetchall(tables)]
    for person in (bo, stranger, coco):
        seen = len(h.fake.calls)
        person.press(person.last_message["message_id"], data, forge=True)
        await h.settle()
        assert person.answered_callbacks[-1] == "That button is no longer valid."
        elsewhere = [
            c for c in h.fake.calls[seen:] if c.params.get("chat_id", person.id) != person.id
        ]
        assert elsewhere == []
    assert [tuple(r) for r in await h.rt.storage.fetchall(tables)] == before
    ada.press(offer["message_id"], data)  # Ada's own press still works
    await h.settle()
    assert ada.texts[-1].startswith("Your request is open again")


async def test_a_name_sent_apart_is_taken_back_when_its_message_cannot_follow(
    harness: Harness,
) -> None:
    h = harness
    maja, ada = await in_contact(h)
    before = len(maja.messages)
    h.fake.inject(Fault.error(400, "Bad Request: message to copy not found"), method="copyMessage")
    ada.send_sticker()
    await h.settle()
    assert maja.messages[before:] == []  # no name standing alone
    assert ada.texts[-1] == "Sorry, that message could not be passed on. Please try again."
    ada.send_sticker()  # the next one goes as usual
    await h.settle()
    assert [m.get("text") for m in maja.messages[before:]] == [await pseudonym(h, ada), None]


async def test_crisis_words_replying_to_an_ended_contact_alert_with_the_current_peer(
    harness: Harness,
) -> None:
    h = harness
    coco = await coordinator(h)
    maja, ada = await in_contact(h)
    jonas = await make_peer(h, 2002, "Jonas")
    maja.send_text("take care")
    await h.settle()
    maja_copy = ada.last_message["message_id"]
    ada.send_text("/end")
    await h.settle()
    await press(h, ada, "End contact with Maja", "Yes, end it", "No thanks")
    await ask_again(h, ada)
    await press(h, maja, "Decline")  # the earlier peer is asked first
    await press(h, jonas, "Accept")
    maja_seen, jonas_seen, coco_seen = len(maja.texts), len(jonas.texts), len(coco.texts)
    ada.send_text("i want to kill myself", reply_to=maja_copy)
    await h.settle()
    assert "Your contact with Maja has ended" in ada.texts[-2]
    alert = next(t for t in coco.texts[coco_seen:] if t.startswith("Urgent #"))
    assert "Peer: Jonas" in alert
    row = await h.rt.storage.fetchone(
        "SELECT c.status FROM escalations e JOIN contacts c ON c.id = e.contact_id"
    )
    assert row[0] == "active"
    assert maja.texts[maja_seen:] == [] and jonas.texts[jonas_seen:] == []
