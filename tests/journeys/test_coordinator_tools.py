"""Coordinators' tools through the real Application: the queue with filters and actions (offer
to a chosen peer, hand a contact to another peer, close with a reason), peers (pause, resume,
remove) and broadcasts; each audited, for coordinators only, and stale or doubled presses
change nothing."""

from datetime import timedelta

from bot.fakebot import FakeUser
from tests.helpers.flows import ask_for_peer, coordinator, make_peer, press
from tests.helpers.harness import Harness

INVALID = "That button is no longer valid."


def data_of(user: FakeUser, label: str) -> tuple[int, str]:
    """(message id, callback data) of the newest button whose label contains `label`."""
    for message in reversed(user.messages):
        for row in message.get("reply_markup", {}).get("inline_keyboard", []):
            for button in row:
                if label in button["text"]:
                    return message["message_id"], button["callback_data"]
    raise AssertionError(f"no button {label!r}")


async def audit_actions(h: Harness) -> list[str]:
    rows = await h.rt.storage.fetchall("SELECT action FROM audit ORDER BY id")
    return [row[0] for row in rows]


async def request_row(h: Harness, request_id: int) -> tuple[str, str | None]:
    row = await h.rt.storage.fetchone(
        "SELECT status, close_reason FROM requests WHERE id = ?", (request_id,)
    )
    return row[0], row[1]


async def test_queue_filters_list_each_kind(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    maja = await make_peer(h, 2001, "Maja", capacity=1)
    first, second = h.user(1001, "Ada", "en"), h.user(1002, "Bo", "en")
    await ask_for_peer(h, first)
    await ask_for_peer(h, second)
    assert "would like to talk" in maja.texts[-1]  # #1 is offered to Maja; #2 waits

    coco.send_text("/queue")
    await h.settle()
    assert "#1 · Anxiety · offered to Maja" in coco.texts[-1]
    assert "#2 · Anxiety · waiting" in coco.texts[-1]
    coco.send_text("/queue waiting")
    await h.settle()
    assert "#2" in coco.texts[-1] and "#1" not in coco.texts[-1]
    coco.send_text("/queue tilbudt")  # the Danish word works too
    await h.settle()
    assert "#1" in coco.texts[-1] and "#2" not in coco.texts[-1]
    await press(h, coco, "Unanswered")
    assert coco.texts[-1] == "No open requests in “Unanswered”."

    second.send_text("/help_now")
    await h.settle()
    coco.send_text("/queue urgent")
    await h.settle()
    assert coco.texts[-1].splitlines()[1].startswith("⚠️ #2")
    assert "#1" not in coco.texts[-1]
    coco.send_text("/queue everything")
    await h.settle()
    assert coco.texts[-1].startswith("Show one kind with /queue waiting")

    await h.tick(timedelta(hours=5))  # Maja let #1 expire; nobody said yes to either in time
    coco.send_text("/queue unanswered")
    await h.settle()
    assert "#1 · Anxiety · unanswered" in coco.texts[-1]
    assert "⚠️ #2 · Anxiety · offered to Maja" in coco.texts[-1]


async def test_offer_to_a_chosen_peer_withdraws_the_pending_offer(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    maja = await make_peer(h, 2001, "Maja", capacity=1)
    ole = await make_peer(h, 2002, "Ole", capacity=2)
    citizen = h.user(1001, "Ada", "en")
    await ask_for_peer(h, citizen)
    assert "would like to talk" in maja.texts[-1]
    ole_before = len(ole.texts)

    coco.send_text("/queue")
    await h.settle()
    await press(h, coco, "Open #1")
    assert coco.texts[-1].startswith("Request #1 from ")
    assert "Status: offered to Maja" in coco.texts[-1]
    await press(h, coco, "Offer to a peer")
    assert "Choose a peer for #1" in coco.texts[-1]
    labels = [
        b["text"] for row in coco.messages[-1]["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert "Ole · 0 of 2 ✓" in labels
    assert not any(label.startswith("Maja") for label in labels)  # she holds the offer now
    message_id, data = data_of(coco, "Ole ·")
    await press(h, coco, "Ole ·")
    assert coco.texts[-1].startswith("Offered to Ole. They have 30 minutes")
    assert "passed this request to another peer" in maja.texts[-1]
    assert "would like to talk" in ole.texts[-1] and len(ole.texts) == ole_before + 1

    coco.press(message_id, data, forge=True)  # the same press again
    await h.settle()
    assert coco.answered_callbacks[-1] == "That peer has this offer already."
    assert len(ole.texts) == ole_before + 1
    assert await audit_actions(h) == ["approve_peer", "approve_peer", "offer_request"]

    await press(h, ole, "Accept")
    assert "Ole has said yes" in citizen.texts[-1]
    coco.press(message_id, data, forge=True)  # stale now: the request is in contact
    await h.settle()
    assert coco.answered_callbacks[-1] == INVALID


async def test_hand_an_active_contact_to_another_peer(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    maja = await make_peer(h, 2001, "Maja", capacity=1)
    ole = await make_peer(h, 2002, "Ole", capacity=1)
    citizen = h.user(1001, "Ada", "en")
    await ask_for_peer(h, citizen)
    await press(h, maja, "Accept")
    pseudonym = (
        await h.rt.storage.fetchone("SELECT pseudonym FROM users WHERE telegram_id = 1001")
    )[0]

    coco.send_text("/queue active")
    await h.settle()
    assert "#1 · Anxiety · in contact with Maja" in coco.texts[-1]
    await press(h, coco, "Open #1", "Hand to another peer")
    message_id, data = data_of(coco, "Ole ·")
    await press(h, coco, "Ole ·")
    assert f"passed your contact with {pseudonym} on to another peer" in maja.texts[-1]
    assert "Your conversation with Maja here has ended, and another peer" in citizen.texts[-1]
    assert "would like to talk" in ole.texts[-1]
    assert await request_row(h, 1) == ("waiting", None)

    coco.press(message_id, data, forge=True)  # doubled: the contact has ended already
    await h.settle()
    assert coco.answered_callbacks[-1] == INVALID
    assert sum("would like to talk" in t for t in ole.texts) == 1

    await press(h, ole, "Accept")
    assert "Ole has said yes" in citizen.texts[-1]
    citizen.send_text("hello again")
    await h.settle()
    assert ole.texts[-1].endswith("\nhello again")
    assert not any("hello again" in t for t in maja.texts)
    assert (await audit_actions(h))[-1] == "reassign_contact"


async def test_close_a_waiting_and_an_active_request_with_a_reason(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    maja = await make_peer(h, 2001, "Maja", capacity=2)
    ada, bo = h.user(1001, "Ada", "en"), h.user(1002, "Bo", "en")
    await ask_for_peer(h, ada)
    await press(h, maja, "Accept")
    await ask_for_peer(h, bo)
    assert "would like to talk" in maja.texts[-1]  # #2 is offered to Maja

    coco.send_text("/queue")
    await h.settle()
    await press(h, coco, "Open #2", "Close…")
    assert coco.texts[-1].startswith("Why is #2 being closed?")
    message_id, data = data_of(coco, "No longer needed")
    await press(h, coco, "No longer needed")
    assert coco.texts[-1] == "Request #2 is closed (No longer needed)."
    assert bo.texts[-1].startswith("Our team has closed your request here.")
    assert "no longer open" in maja.texts[-1]
    assert await request_row(h, 2) == ("closed", "not_needed")
    coco.press(message_id, data, forge=True)
    await h.settle()
    assert coco.answered_callbacks[-1] == INVALID
    assert sum("closed your request" in t for t in bo.texts) == 1

    coco.send_text("/queue")
    await h.settle()
    await press(h, coco, "Open #1", "Close…", "No response from the citizen")
    assert any(t.startswith("We have not heard from you for a while") for t in ada.texts[-2:])
    assert "how it was to talk with your peer" in ada.texts[-1]
    assert "has ended" in maja.texts[-1]
    assert await request_row(h, 1) == ("closed", "no_response")
    ada.send_text("anyone there?")
    await h.settle()
    assert "anyone there?" not in maja.texts
    coco.send_text("/audit")
    await h.settle()
    assert coco.texts[-1].count("closed a request") == 2


async def test_only_coordinators_and_only_well_formed_buttons(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    maja = await make_peer(h, 2001, "Maja")
    citizen = h.user(1001, "Ada", "en")
    await ask_for_peer(h, citizen)
    for stranger in (citizen, maja):
        for command in ("/queue", "/peers", "/broadcast hello"):
            stranger.send_text(command)
            await h.settle()
            assert stranger.texts[-1].startswith("What I can do")
        message_id = stranger.last_message["message_id"]
        for data in ("q:cl:1:resolved", "q:offer:1:2", "pa:rmok:2", "pa:pause:2", "bc:send:1"):
            stranger.press(message_id, data, forge=True)
            await h.settle()
            assert stranger.answered_callbacks[-1] == INVALID
    assert await request_row(h, 1) == ("waiting", None)
    row = await h.rt.storage.fetchone("SELECT status FROM peer_profiles")
    assert row[0] == "approved"

    coco.send_text("/queue")
    await h.settle()
    message_id = coco.last_message["message_id"]
    for data in ("q:cl:1:bogus", "q:offer:x:2", "q:open:99", "q:f:nothing", "q:zap:1", "pa:rm:x"):
        coco.press(message_id, data, forge=True)
        await h.settle()
        assert coco.answered_callbacks[-1] == INVALID, data
    coco.press(message_id, "q:offer:1:3", forge=True)  # user 3 is the citizen, not a peer
    await h.settle()
    assert coco.answered_callbacks[-1] == "That peer cannot take it right now. Please choose again."
    assert await request_row(h, 1) == ("waiting", None)
    assert await audit_actions(h) == ["approve_peer"]


async def test_pause_and_resume_a_peer(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    maja = await make_peer(h, 2001, "Maja", capacity=2)
    ada, bo = h.user(1001, "Ada", "en"), h.user(1002, "Bo", "en")
    await ask_for_peer(h, ada)
    await press(h, maja, "Accept")
    await ask_for_peer(h, bo)
    assert "would like to talk" in maja.texts[-1]

    coco.send_text("/peers")
    await h.settle()
    assert "Maja: approved, 1 of 2 contacts, 0 heavy this week; last active" in coco.texts[-1]
    await press(h, coco, "Maja")
    message_id, data = data_of(coco, "Pause")
    await press(h, coco, "Pause")
    assert coco.texts[-1] == "Maja gets no new offers now; their contacts go on."
    assert "paused new offers for you" in maja.texts[-1]
    assert "no longer open" in maja.texts[-2]  # Bo's offer was taken back
    coco.press(message_id, data, forge=True)
    await h.settle()
    assert coco.answered_callbacks[-1] == INVALID

    ada.send_text("still there?")  # the existing contact goes on
    await h.settle()
    assert maja.texts[-1].endswith("\nstill there?")
    await h.tick(timedelta(minutes=1))
    assert not any("would like to talk" in t for t in maja.texts[-3:])

    coco.send_text("/peers")
    await h.settle()
    assert "Maja: paused" in coco.texts[-1]
    await press(h, coco, "Maja", "Resume")
    assert coco.texts[-1] == "Maja gets offers again."
    await h.tick(timedelta(seconds=15))
    assert "would like to talk" in maja.texts[-1]  # Bo's request finds her again
    assert (await audit_actions(h))[-2:] == ["pause_peer", "resume_peer"]


async def test_remove_a_peer_passes_everything_on_at_once(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    maja = await make_peer(h, 2001, "Maja", capacity=2)
    ada, bo = h.user(1001, "Ada", "en"), h.user(1002, "Bo", "en")
    await ask_for_peer(h, ada)
    await press(h, maja, "Accept")
    await h.tick(timedelta(days=1))  # long after Ada's request was sent
    await ask_for_peer(h, bo)
    assert "would like to talk" in maja.texts[-1]
    ole = await make_peer(h, 2002, "Ole", capacity=1)

    coco.send_text("/peers")
    await h.settle()
    await press(h, coco, "Maja", "Remove…")
    assert "their 1 contact goes to another peer" in coco.texts[-1]
    message_id, data = data_of(coco, "Yes, remove")
    await press(h, coco, "Yes, remove")
    done = coco.message(message_id)
    assert done is not None
    assert done["text"] == "Maja is no longer a peer. Their contacts have been passed on."
    assert "Your role as a peer here has ended" in maja.texts[-1]
    assert "no longer open" in maja.texts[-2] or "no longer open" in maja.texts[-3]
    assert "Maja can no longer continue as a peer here" in ada.texts[-1]
    assert "would like to talk" in ole.texts[-1]  # Bo's request went to Ole
    handed = [t for t in coco.texts if t.startswith("Request #1 needs a new peer")]
    assert len(handed) == 1  # nobody else was free for Ada's: the coordinators have it

    coco.press(message_id, data, forge=True)
    await h.settle()
    assert coco.answered_callbacks[-1] == INVALID
    assert sum("Your role as a peer here has ended" in t for t in maja.texts) == 1

    maja.send_text("hello?")
    await h.settle()
    assert "hello?" not in ada.texts
    maja.send_text("/available")
    await h.settle()
    assert maja.texts[-1] == "This command is for peers."
    await h.tick(timedelta(minutes=1))  # Ada's waiting clock started again: no alert yet
    assert not any("no peer has been able to say yes" in t for t in ada.texts)
    coco.send_text("/peers")
    await h.settle()
    assert "Maja" not in coco.texts[-1]
    assert (await audit_actions(h))[-1] == "remove_peer"
    await h.restart()
    row = await h.rt.storage.fetchone("SELECT status FROM peer_profiles WHERE user_id = 2")
    assert row is not None


async def test_broadcast_is_confirmed_sent_once_and_rate_limited(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    maja = await make_peer(h, 2001, "Maja")
    jens = await make_peer(h, 2002, "Jens")
    jens.send_text("/language")
    await h.settle()
    await press(h, jens, "Dansk")
    coco.send_text("/broadcast")
    await h.settle()
    assert coco.texts[-1].startswith("Write the message after the command")
    coco.send_text("/broadcast Supervision meeting on Thursday at 17:00.")
    await h.settle()
    assert coco.texts[-1].startswith("This goes to 2 peers:")
    await press(h, coco, "Cancel")
    assert coco.texts[-1] == "Not sent."

    coco.send_text("/broadcast Supervision meeting on Thursday at 17:00.\nSee you!")
    await h.settle()
    message_id, data = data_of(coco, "Send to 2 peers")
    await h.restart()  # the draft lives in the database
    await press(h, coco, "Send to 2 peers")
    assert coco.texts[-1] == "Sent to 2 peers."
    assert maja.texts[-1] == (
        "From the coordinators:\n\nSupervision meeting on Thursday at 17:00.\nSee you!"
    )
    assert jens.texts[-1].startswith("Fra koordinatorerne:")
    coco.press(message_id, data, forge=True)
    await h.settle()
    assert coco.answered_callbacks[-1] == INVALID
    assert sum(t.startswith("From the coordinators") for t in maja.texts) == 1
    row = await h.rt.storage.fetchone("SELECT text, recipients FROM broadcasts")
    assert tuple(row) == (None, 2)

    coco.send_text("/broadcast One more thing")
    await h.settle()
    assert coco.texts[-1].startswith("You can send the next broadcast at")
    await h.tick(timedelta(minutes=61))
    coco.send_text("/broadcast One more thing")
    await h.settle()
    assert coco.texts[-1].startswith("This goes to 2 peers:")
    assert (await audit_actions(h)).count("broadcast") == 1
    message_id, data = data_of(coco, "Send to 2 peers")
    await h.tick(timedelta(days=2))  # an unsent draft does not keep its text
    row = await h.rt.storage.fetchone("SELECT COUNT(*) FROM broadcasts WHERE text IS NOT NULL")
    assert row[0] == 0
    coco.press(message_id, data, forge=True)
    await h.settle()
    assert coco.answered_callbacks[-1] == INVALID
    assert sum(t.startswith("From the coordinators") for t in maja.texts) == 1


async def test_broadcast_without_peers_and_in_danish(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    coco.send_text("/language")
    await h.settle()
    await press(h, coco, "Dansk")
    coco.send_text("/broadcast Hej")
    await h.settle()
    assert coco.texts[-1] == "Der er ingen godkendte peers endnu."
    coco.send_text("/queue")
    await h.settle()
    assert coco.texts[-1] == "Ingen åbne henvendelser."
    await press(h, coco, "Venter")
    assert coco.texts[-1] == "Ingen åbne henvendelser i »Venter«."
    coco.send_text("/help")
    await h.settle()
    assert "/broadcast efterfulgt af en besked" in coco.texts[-1]


async def test_long_lists_page_and_stay_within_telegram_limits(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    now = h.rt.now().isoformat()
    async with h.rt.storage.transaction() as tx:  # many waiting requests and peers at once
        for n in range(1, 41):
            await tx.execute(
                "INSERT INTO users (telegram_id, role, pseudonym, language, created_at)"
                " VALUES (?, ?, ?, 'en', ?)",
                (5000 + n, "citizen" if n <= 20 else "peer", f"Person {n:02d} " + "x" * 20, now),
            )
            if n <= 20:
                await tx.execute(
                    "INSERT INTO requests (citizen_id, status, topic, language, created_at,"
                    " submitted_at) VALUES (?, 'waiting', 'stress', 'da', ?, ?)",
                    (n + 1, now, now),
                )
            else:
                await tx.execute(
                    "INSERT INTO peer_profiles (user_id, status) VALUES (?, 'approved')", (n + 1,)
                )
    coco.send_text("/queue")
    await h.settle()
    first_page = coco.texts[-1]
    assert first_page.count("· Stress ·") == 15
    await press(h, coco, "Next ›")
    assert coco.texts[-1].count("· Stress ·") == 5
    assert "#20 · Stress" in coco.texts[-1] and "#1 · Stress" not in coco.texts[-1]
    await press(h, coco, "Open #20")
    assert coco.texts[-1].startswith("Request #20 from Person 20")

    coco.send_text("/peers")
    await h.settle()
    assert coco.texts[-1].count("approved") == 15
    await press(h, coco, "Next ›")
    assert coco.texts[-1].count("approved") == 5
    assert all(len(text) <= 4096 for text in coco.texts)
    await press(h, coco, "‹ Previous")
    assert "Person 21" in coco.texts[-1]


async def test_closing_for_a_citizen_who_blocked_the_bot_sends_them_nothing(
    harness: Harness,
) -> None:
    h = harness
    coco = await coordinator(h)
    citizen = h.user(1001, "Ada", "en")
    await ask_for_peer(h, citizen)
    citizen.block()
    await h.settle()
    coco.send_text("/queue")
    await h.settle()
    await press(h, coco, "Open #1", "Close…", "No response from the citizen")
    assert coco.texts[-1] == "Request #1 is closed (No response from the citizen)."
    assert await request_row(h, 1) == ("closed", "no_response")
    rows = await h.rt.storage.fetchall(
        "SELECT status FROM outbox WHERE chat_id = 1001 AND purpose = 'request-closed'"
    )
    assert [row[0] for row in rows] == []
