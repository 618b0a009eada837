"""/forget through the real Application: the last 48 hours of a private chat are deleted (the
bot's messages and the person's own), older ones stay, and ids are kept no longer than needed."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.services import privacy
from bot.storage import users as user_store
from tests.helpers.flows import ask_for_peer, in_contact, press
from tests.helpers.harness import Harness


async def test_forget_deletes_both_sides_of_the_last_48_hours_after_a_yes(
    harness: Harness,
) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    said = citizen.send_text("Something private I said")
    await h.settle()
    peer.send_text("A reply from the peer")
    await h.settle()
    assert citizen.texts[-1] == "Maja\nA reply from the peer"
    peer_view = list(peer.texts)
    citizen.send_text("/forget")
    await h.settle()
    assert citizen.texts[-1].startswith("Clear this chat?")
    assert "buttons you may still need" in citizen.texts[-1]  # e.g. a check-in question
    await press(h, citizen, "Yes, delete them")
    assert len(citizen.messages) == 1, citizen.texts
    assert citizen.texts[0].startswith("Done: the messages of the last 48 hours are deleted.")
    assert "Clear history" in citizen.texts[0] and "Message preview" in citizen.texts[0]
    assert citizen.message(said["message_id"]) is None, "the person's own words too"
    assert peer.texts == peer_view, "the peer's chat is not touched"
    for call in h.fake.calls_to("deleteMessages"):
        assert call.ok and 1 <= len(call.params["message_ids"]) <= 100
    rows = await h.rt.storage.fetchall(
        "SELECT message_id FROM recent_messages WHERE chat_id = ?", (citizen.id,)
    )
    assert [r[0] for r in rows] == [citizen.messages[0]["message_id"]]
    citizen.send_text("still here")  # the contact goes on
    await h.settle()
    assert peer.texts[-1].endswith("\nstill here")


async def test_older_than_48_hours_stays_and_many_messages_go_in_batches(
    harness: Harness,
) -> None:
    h = harness
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen)
    old = list(citizen.messages)
    await h.tick(timedelta(hours=49))
    stale = await h.rt.storage.fetchone(
        "SELECT count(*) FROM recent_messages WHERE chat_id = ? AND sent_at <= ?",
        (citizen.id, (h.clock.now() - timedelta(hours=48)).isoformat()),
    )
    assert stale[0] == 0, "ids older than 48 hours are pruned"
    for _ in range(60):
        citizen.send_text("/status")
    await h.settle()
    assert len(citizen.messages) >= len(old) + 60
    citizen.send_text("/forget")
    await h.settle()
    await press(h, citizen, "Yes, delete them")
    calls = h.fake.calls_to("deleteMessages")
    assert len(calls) == 2 and all(c.ok for c in calls)
    assert all(len(c.params["message_ids"]) <= 100 for c in calls)
    assert [m["message_id"] for m in citizen.messages[:-1]] == [m["message_id"] for m in old]


async def test_saying_no_deletes_nothing_and_strangers_have_nothing_recorded(
    harness: Harness,
) -> None:
    h = harness
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen)
    count = len(citizen.messages)
    citizen.send_text("/forget")
    await h.settle()
    await press(h, citizen, "No, keep them")
    assert citizen.texts[-1] == "Fine, nothing has been deleted."
    assert len(citizen.messages) == count + 1
    assert not h.fake.calls_to("deleteMessages")
    stranger = h.user(3001, language="en")
    stranger.send_text("/forget")
    await h.settle()
    assert "I keep no record of this chat" in stranger.texts[-1]
    stranger.press(stranger.last_message["message_id"], "forget:yes", forge=True)
    await h.settle()
    assert stranger.answered_callbacks[-1] == "That button is no longer valid."
    citizen.press(citizen.last_message["message_id"], "forget:everyone", forge=True)
    await h.settle()
    assert citizen.answered_callbacks[-1] == "That button is no longer valid."
    assert not h.fake.calls_to("deleteMessages") and not h.fake.calls_to("deleteMessage")
    assert (
        await h.rt.storage.fetchone(
            "SELECT 1 FROM recent_messages WHERE chat_id = ?", (stranger.id,)
        )
        is None
    )


async def test_a_batch_telegram_refuses_is_deleted_one_by_one(harness: Harness) -> None:
    from bot.fakebot import Fault

    h = harness
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen)
    citizen.send_text("/forget")
    await h.settle()
    h.fake.inject(
        Fault.error(400, "Bad Request: message can't be deleted for everyone"),
        method="deleteMessages",
    )
    await press(h, citizen, "Yes, delete them")
    assert len(citizen.messages) == 1
    assert h.fake.calls_to("deleteMessage")


async def test_recent_ids_are_in_mydata_and_gone_after_delete(harness: Harness) -> None:
    h = harness
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen)
    user = await user_store.by_telegram_id(h.rt.storage, citizen.id)
    assert user is not None
    data = json.loads((await privacy.copy_of_data(h.rt, user)).document)
    assert data["recent_messages"] and set(data["recent_messages"][0]) == {
        "message_id",
        "sent_at",
        "from_bot",
    }
    citizen.send_text("/delete")
    await h.settle()
    await press(h, citizen, "Yes, delete everything")
    await h.rt.later.flush()
    assert (
        await h.rt.storage.fetchone(
            "SELECT 1 FROM recent_messages WHERE chat_id = ?", (citizen.id,)
        )
        is None
    )


async def test_forget_speaks_danish(harness: Harness) -> None:
    h = harness
    citizen = h.user(1001, language="da")
    citizen.send_text("/forget")
    await h.settle()
    assert "Jeg fører ingen liste over beskeder" in citizen.texts[-1]
    assert "Ryd historik" in citizen.texts[-1]
    citizen.send_text("/start")
    await h.settle()
    await press(h, citizen, "Tal med en peer", "18 år eller derover", "Jeg accepterer")
    citizen.send_text("/forget")
    await h.settle()
    assert citizen.texts[-1].startswith("Vil du rydde denne chat?")
    await press(h, citizen, "Ja, slet dem")
    assert [t.split("\n")[0] for t in citizen.texts] == [
        "Beskederne fra de seneste 48 timer er nu slettet."
    ]
