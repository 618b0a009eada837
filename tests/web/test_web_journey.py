"""A citizen in the web chat goes the whole way with a peer on Telegram, through the same
services: welcome, age, consent, intake, an offer, the relay both ways, help now, the end."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.domain import is_web_chat
from bot.fakebot import FakeUser
from tests.helpers import flows
from tests.helpers.flows import INTAKE_ANSWERS, make_peer, press
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
    # The page keeps the help button at the top (Telegram: under the text box).
    assert any("The button at the top is always there" in text for text in web.texts)
    assert not any("at the bottom" in text for text in web.texts)
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
    coordinator = await flows.coordinator(h)
    await web.start("en")
    await web.write("🆘 I need help now")
    assert any("urgent" in text.lower() for text in coordinator.texts)
    assert web.texts[-1]


async def in_web_contact(h: Harness, web: WebCitizen) -> FakeUser:
    peer = await make_peer(h, 2001, "Maja")
    await web_request(web)
    peer.press_button("Accept")
    await h.settle()
    await web.read()
    return peer


async def test_a_check_in_reaches_the_web_citizen_after_the_page_was_closed(
    harness: Harness, web: WebCitizen
) -> None:
    h = harness
    peer = await in_web_contact(h, web)
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Check-in message", "Tomorrow", "Only once", "Skip", "Plan it")
    # The page is closed: nothing is read for a day, then the page is opened again.
    await h.tick(timedelta(days=1))
    await web.reload()
    assert "How are you doing today?" in web.texts[-1]
    await web.press("Worse")
    assert "things are worse" in peer.texts[-1]
    assert "I have told your peer" in web.texts[-1]


async def test_the_peer_is_told_once_that_a_web_citizen_reads_later(
    harness: Harness, web: WebCitizen
) -> None:
    h = harness
    peer = await in_web_contact(h, web)
    later = "may not see this right away"
    peer.send_text("Are you there?")
    await h.settle()
    assert later not in peer.texts[-1]  # the page is open: it polled a moment ago
    await h.tick(timedelta(minutes=5))  # the page was closed
    peer.send_text("No hurry.")
    await h.settle()
    assert later in peer.texts[-1]
    peer.send_text("Take care.")
    await h.settle()
    assert sum(later in text for text in peer.texts) == 1
    await web.reload()  # a visit
    assert [t.split("\n")[-1] for t in web.texts[-3:]] == [
        "Are you there?",
        "No hurry.",
        "Take care.",
    ]
    await h.tick(timedelta(minutes=5))
    peer.send_text("Good night.")
    await h.settle()
    assert sum(later in text for text in peer.texts) == 2


async def test_crisis_words_before_consent_are_heard_in_the_web_chat(
    harness: Harness, web: WebCitizen
) -> None:
    await flows.coordinator(harness)  # someone to hear it
    await web.start("en")
    await web.write("I don't want to live anymore")
    assert any("112" in text for text in web.texts)


async def test_delete_in_the_web_chat_erases_the_person_and_the_transcript(
    harness: Harness, web: WebCitizen
) -> None:
    h = harness
    peer = await in_web_contact(h, web)
    await web.write("My secret words")
    chat_id = await web.chat_id()
    await web.write("/delete")
    await web.press("Yes, delete everything")
    assert "citizen chose to leave" in peer.texts[-1]
    await web.reload()
    # What remains is the answer about what remains; nothing they or the bot wrote before.
    assert len(web.messages) == 1 and web.messages[0]["from"] == "bot"
    assert "only this answer remains" in web.messages[0]["text"]  # as it says (test_web_texts)
    assert "My secret words" not in str(web.messages)
    rows = await h.rt.storage.fetchall(
        "SELECT text FROM web_messages WHERE chat_id = ?", (chat_id,)
    )
    assert [r[0] for r in rows] == [web.messages[0]["text"]]
    assert (
        await h.rt.storage.fetchone("SELECT 1 FROM users WHERE telegram_id = ?", (chat_id,)) is None
    )
    await web.write("/start")  # still welcome on the same device
    assert "welcome" in web.texts[-1].lower()


async def test_an_open_page_drops_what_delete_erased_without_a_reload(
    harness: Harness, web: WebCitizen
) -> None:
    h = harness
    await in_web_contact(h, web)
    await web.write("My secret words")
    shown = set(web.transcript)  # what the open page shows, read piece by piece
    await web.write("/delete")
    await web.press("Yes, delete everything")
    # Only what changed was read, and yet the page knows the rest is gone.
    answer = await web.read()
    assert answer.body["oldest"] == web.messages[0]["id"]
    assert not shown & set(web.transcript)
    assert len(web.messages) == 1 and web.messages[0]["from"] == "bot"
    assert "My secret words" not in str(web.messages)
    rows = await h.rt.storage.fetchall("SELECT message_id FROM web_messages")
    assert [r[0] for r in rows] == [web.messages[0]["id"]]


async def test_forget_this_device_ends_everything_and_the_secret_stops_working(
    harness: Harness, web: WebCitizen
) -> None:
    h = harness
    peer = await in_web_contact(h, web)
    chat_id = await web.chat_id()
    answer = await web.call("POST", "/api/forget")
    assert answer.status == 204
    await h.settle()
    assert "citizen chose to leave" in peer.texts[-1]
    again = await web.call("GET", "/api/messages")
    assert again.status == 401
    assert "no longer on this device" in again.body["error"]
    for table, column in (
        ("web_sessions", "chat_id"),
        ("web_messages", "chat_id"),
        ("users", "telegram_id"),
        ("inbox", "chat_id"),
    ):
        row = await h.rt.storage.fetchone(
            f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (chat_id,)
        )
        assert row is not None and row[0] == 0, table
    peer.send_text("Hello?")
    await h.settle()
    assert "Hello?" not in str(await h.rt.storage.fetchall("SELECT text FROM web_messages"))


async def test_a_picture_from_the_peer_is_named_in_words_in_the_web_chat(
    harness: Harness, web: WebCitizen
) -> None:
    h = harness
    peer = await in_web_contact(h, web)
    peer.send_photo(caption="the view from my walk")
    await h.settle()
    await web.read()
    assert "the view from my walk" in web.texts[-1]
    assert "cannot show" in web.texts[-1]


async def test_a_long_web_message_reaches_the_peer_whole(harness: Harness, web: WebCitizen) -> None:
    h = harness
    peer = await in_web_contact(h, web)
    words = ("word " * 819).strip()  # 4,094 characters: the name goes apart
    await web.write(words)
    assert peer.texts[-1] == words
    name = next(
        re.search(r"in contact with (.+?)\.", t) for t in peer.texts if "in contact with" in t
    )
    assert name is not None and peer.texts[-2] == name.group(1)


async def test_a_web_update_left_unfinished_by_a_crash_is_handled_after_the_restart(
    harness: Harness, web: WebCitizen
) -> None:
    h = harness
    await web.start("en", first=None)
    assert h.rt.web is not None
    offset = h.poller.offset if h.poller else None

    async def crash(update: dict) -> None:  # committed, then the process died
        return None

    h.rt.web.rt.updates.take_stored = crash  # type: ignore[method-assign,union-attr]
    answer = await web.call("POST", "/api/send", {"text": "/start"})
    assert answer.status == 202
    row = await h.rt.storage.fetchone("SELECT update_id FROM inbox")
    assert row is not None and row[0] < 0
    await h.restart()
    await web.read()
    assert "welcome" in web.texts[-1].lower()
    assert h.poller is not None and h.poller.offset == offset


async def test_my_data_in_the_web_chat_is_a_file_to_download(
    harness: Harness, web: WebCitizen
) -> None:
    await in_web_contact(harness, web)
    await web.write("/mydata")
    copy = web.messages[-1]
    assert copy["from"] == "bot" and copy["file"]["name"] == "mydata.json"
    assert "This is everything we keep about you" in copy["text"]
    answer = await web.call("GET", copy["file"]["url"].removeprefix("/chat"))
    assert answer.status == 200
    assert answer.headers["Content-Disposition"] == 'attachment; filename="mydata.json"'
    assert answer.body["requests"][0]["topic"] == "anxiety"
    transcript = answer.body["web_messages"]
    assert "/mydata" in [m["text"] for m in transcript]  # the web chat's own rows are theirs
    stranger = WebCitizen(harness, web.session)
    await stranger.start("en", first=None)
    assert (await stranger.call("GET", copy["file"]["url"].removeprefix("/chat"))).status == 404


async def test_a_device_not_seen_for_thirty_days_is_forgotten_once_nothing_is_open(
    harness: Harness, web: WebCitizen
) -> None:
    h = harness
    peer = await in_web_contact(h, web)
    chat_id = await web.chat_id()

    async def device_kept() -> bool:
        row = await h.rt.storage.fetchone(
            "SELECT 1 FROM web_sessions WHERE chat_id = ?", (chat_id,)
        )
        return row is not None

    await h.tick(timedelta(days=31))
    assert await device_kept()  # the contact is open: they may come back to their peer
    await web.write("/end")
    await web.press("End contact with Maja")
    await web.press("Yes, end it")
    await h.tick(timedelta(days=29, hours=23))
    assert await device_kept()
    await h.tick(timedelta(hours=2))
    assert not await device_kept()
    assert (await web.read()).status == 401
    assert "citizen chose to leave" not in peer.texts[-1]  # the contact had ended before


async def test_who5_ending_and_feedback_in_the_web_chat(harness: Harness, web: WebCitizen) -> None:
    h = harness
    peer = await in_web_contact(h, web)
    await web.press("Answer the questions")
    for number in range(1, 6):
        assert any(f"Question {number} of 5" in text for text in web.texts)
        await web.press("Most of the time")
    assert any("Your score is" in text for text in web.texts)
    rows = await h.rt.storage.fetchall("SELECT status, score FROM wellbeing")
    assert [tuple(r) for r in rows] == [("answered", 80)]

    await web.write("/end")
    await web.press("End contact with")
    await web.press("Yes, end it")
    assert "has ended" in peer.texts[-1]
    await web.press("4")
    await web.write("It helped to talk.")
    row = await h.rt.storage.fetchone("SELECT rating, comment FROM feedback")
    assert row is not None and tuple(row) == (4, "It helped to talk.")
    assert "It helped to talk." not in peer.texts[-1]


async def test_the_web_chats_answers_are_no_sign_that_telegram_is_there(
    harness: Harness, web: WebCitizen
) -> None:
    h = harness
    await web.start("en", first=None)
    assert h.rt.messages is not None and h.poller is not None
    counted: list[int] = []
    contact = h.rt.messages.contact
    h.rt.messages.contact = lambda: (counted.append(1), contact())[-1]  # type: ignore[method-assign]
    seen = len(h.fake.calls)
    answer = await web.call("POST", "/api/send", {"text": "/start"})
    assert answer.status == 202
    await h.poller.wait_idle()
    await web.read()
    assert "welcome" in web.texts[-1].lower()
    # Only what Telegram itself answered counts (background calls may come and go), so
    # /healthz still tells when Telegram is unreachable.
    assert len(counted) == sum(1 for call in h.fake.calls[seen:] if call.ok)


async def test_a_page_that_knows_more_than_there_is_gets_the_whole_transcript(
    harness: Harness, web: WebCitizen
) -> None:
    await web.start("en")
    answer = await web.call("GET", "/api/messages", after="999999")
    assert answer.status == 200
    assert [m["id"] for m in answer.body["messages"]] == [1, 2]  # from a restore: start over
    assert answer.body["seq"] == 2
    for odd in ("-5", "x", "1e9", ""):
        assert (await web.call("GET", "/api/messages", after=odd)).status == 200


async def test_a_peers_delete_withdraws_the_caption_of_an_old_picture_in_the_web_chat(
    harness: Harness, web: WebCitizen
) -> None:
    h = harness
    peer = await in_web_contact(h, web)
    peer.send_photo(caption="the view from my walk")
    await h.settle()
    await web.read()
    assert "the view from my walk" in web.texts[-1]
    await h.tick(timedelta(hours=50))  # too old to delete: Telegram edits the caption
    peer.send_text("/delete")
    await h.settle()
    peer.press_button("Yes, delete everything")
    await h.settle()
    await web.read()
    assert not any("the view from my walk" in text for text in web.texts), web.texts
    assert "(This message has been withdrawn by its sender.)" in web.texts


async def test_a_peer_invitation_cannot_be_used_in_the_web_chat(
    harness: Harness, web: WebCitizen
) -> None:
    """Peers work in Telegram: an invitation typed into the web chat makes nobody a peer, and
    stays unused for Telegram."""
    h = harness
    coordinator = h.user(COORDINATOR, "Coco", language="en")
    coordinator.send_text("/invite")
    await h.settle()
    payload = coordinator.texts[-1].split()[-1].split("start=")[1]
    await web.start("en", first=None)
    await web.write(f"/start {payload}")
    assert "Please open the link in the Telegram app." in web.texts[-1]
    chat = await web.chat_id()
    role = await h.rt.storage.fetchone("SELECT role FROM users WHERE telegram_id = ?", (chat,))
    assert role is None or role[0] == "citizen"
    profiles = await h.rt.storage.fetchone("SELECT COUNT(*) FROM peer_profiles")
    assert profiles is not None and profiles[0] == 0
    peer = h.user(2001, "Maja", language="en")
    peer.send_text(f"/start {payload}")
    await h.settle()
    assert "Which name should citizens see?" in peer.texts[-1]
