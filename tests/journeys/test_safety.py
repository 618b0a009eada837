"""Urgent help, crisis signals and escalations, through the real Application."""

from datetime import UTC, datetime, timedelta

from bot.fakebot import Fault
from tests.helpers.flows import ADULT, ask_for_peer, coordinator, in_contact, make_peer, press
from tests.helpers.harness import BACKUP_COORDINATOR, COORDINATOR, Harness


def urgent_messages(h: Harness, chat_id: int) -> list[str]:
    return [t for t in h.fake.user(chat_id).texts if "Urgent #" in t or "Akut #" in t]


async def test_help_now_before_consent_reaches_every_coordinator(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    citizen = h.user(1001, language="da")
    citizen.send_text("/start")
    await h.settle()
    citizen.press_button("Jeg har brug for hjælp nu")
    await h.settle()
    answer = citizen.texts[-1]
    assert "112" in answer and "70 201 201" in answer
    assert "koordinatorer" in answer
    assert "opdigtet navn" in answer  # told what was stored without consent
    alert = coco.texts[-1]
    assert alert.startswith("Urgent #1")
    assert 'pressed "I need help now"' in alert
    user = await h.rt.storage.fetchone(
        "SELECT consent_version, pseudonym FROM users WHERE telegram_id = 1001"
    )
    assert user["consent_version"] is None and user["pseudonym"]


async def test_help_now_wins_over_any_dialogue_state(harness: Harness) -> None:
    h = harness
    await coordinator(h)
    citizen = h.user(1001, language="en")
    citizen.send_text("/start")
    await h.settle()
    citizen.press_button("Talk to a peer")
    await h.settle()
    citizen.press_button(ADULT)
    await h.settle()
    citizen.press_button("I agree")
    await h.settle()
    citizen.send_text("/help_now")
    await h.settle()
    assert "You are not alone" in citizen.texts[-1]
    assert urgent_messages(h, COORDINATOR)


async def test_outside_office_hours_the_citizen_is_told_at_once(harness: Harness) -> None:
    h = harness
    h.clock.set(datetime(2026, 3, 7, 21, 0, tzinfo=UTC))  # Saturday evening
    citizen = h.user(1001, language="en")
    citizen.send_text("/help_now")
    await h.settle()
    assert "office is closed right now" in citizen.texts[-1]
    assert "Monday" in citizen.texts[-1]


async def test_first_acknowledgement_wins_and_others_see_who(harness: Harness) -> None:
    h = harness
    h.config = h.config.__class__(**{**h.config.__dict__, "coordinator_ids": (COORDINATOR, 9003)})
    await h.restart()
    one, two = await coordinator(h), await coordinator(h, 9003, "Dina")
    citizen = h.user(1001, language="en")
    citizen.send_text("/help_now")
    await h.settle()
    one.press_button("I'm handling it")
    two.press_button("I'm handling it")
    await h.settle()
    assert one.answered_callbacks[-1] == "It is yours. Thank you."
    assert two.answered_callbacks[-1] == "Someone else is already handling this."
    assert "being handled by Coco" in two.texts[-1]
    assert "being handled by Coco" in one.texts[-1]
    row = await h.rt.storage.fetchone("SELECT acknowledged_by FROM escalations")
    assert row[0] == COORDINATOR


async def test_unacknowledged_is_resent_citizen_told_then_backups(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    backup = await coordinator(h, BACKUP_COORDINATOR, "Bent")
    greeting_count = len(backup.texts)
    citizen = h.user(1001, language="en")
    citizen.send_text("/help_now")
    await h.settle()
    assert len(urgent_messages(h, COORDINATOR)) == 1
    await h.tick(timedelta(minutes=4))
    assert len(urgent_messages(h, COORDINATOR)) == 1
    await h.tick(timedelta(minutes=2))
    assert coco.texts[-1].startswith("Still not acknowledged")
    assert "nobody has been able to answer yet" in citizen.texts[-1]
    assert len(backup.texts) == greeting_count
    await h.tick(timedelta(minutes=5))
    assert backup.texts[-1].startswith("Still not acknowledged")
    await h.tick(timedelta(minutes=30))
    assert len(backup.texts) == greeting_count + 1


async def test_crisis_words_in_relay_reach_peer_citizen_and_coordinator(harness: Harness) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    citizen.send_text("honestly i want to kill myself")
    await h.settle()
    assert any(t.endswith("\nhonestly i want to kill myself") for t in peer.texts)  # passed on
    assert any("may mean they are thinking about suicide" in t for t in peer.texts[-2:])
    assert "You do not have to carry it alone" in peer.texts[-1]  # care for the peer
    assert "112" in citizen.texts[-1]
    assert "wrote about thoughts of suicide or self-harm" in h.fake.user(COORDINATOR).texts[-1]
    shown = len(citizen.texts)
    citizen.send_text("i dont want to live anymore")
    await h.settle()
    assert len(citizen.texts) == shown  # emergency lines at most once an hour
    escalations = await h.rt.storage.fetchall("SELECT reason FROM escalations")
    assert [r[0] for r in escalations] == ["signal", "signal"]
    await h.tick(timedelta(minutes=61))
    citizen.send_text("i want to die")
    await h.settle()
    assert "112" in citizen.texts[-1]


async def test_ordinary_words_do_not_raise_anything(harness: Harness) -> None:
    h = harness
    peer = await make_peer(h, 2001, "Maja")
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen, note="I'm dying to see the new film with someone")
    peer.press_button("Accept")
    await h.settle()
    citizen.send_text("this homework is killing me")
    await h.settle()
    assert await h.rt.storage.fetchall("SELECT 1 FROM escalations") == []


async def test_crisis_words_in_intake_note(harness: Harness) -> None:
    h = harness
    await coordinator(h)
    citizen = h.user(1001, language="da")
    citizen.send_text("/start")
    await h.settle()
    citizen.press_button("Tal med en peer")
    await h.settle()
    citizen.press_button("18 år eller derover")
    await h.settle()
    citizen.press_button("Jeg accepterer")
    await h.settle()
    await press(h, citizen, "Angst", "Dansk", "Om aftenen")
    citizen.send_text("jeg har tænkt paa at tage mit eget liv")
    await h.settle()
    assert any("112" in text for text in citizen.texts[-2:])
    assert any("Akut #1" in t or "Urgent #1" in t for t in h.fake.user(COORDINATOR).texts)


async def test_peer_concern_with_note_and_coordinator_conversation(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    peer, citizen = await in_contact(h)
    peer.press_button("I'm worried")
    await h.settle()
    prompt = next(m for m in reversed(peer.messages) if "concern #1" in m.get("text", ""))
    peer.send_text("They sounded very low today", reply_to=prompt["message_id"])
    await h.settle()
    assert "Note added to urgent #1: They sounded very low today" in coco.texts[-1]
    coco.press_button("Write to them")
    await h.settle()
    assert "(coordinator) from our team" in citizen.texts[-1]
    coco.send_text("Hi, I'm from the team. How are you?")
    await h.settle()
    assert citizen.texts[-1].endswith("(coordinator)\nHi, I'm from the team. How are you?")
    citizen.send_text("ok thanks")  # a peer and a coordinator: the citizen is asked whom
    await h.settle()
    assert "Who is this message for?" in citizen.texts[-1]
    await press(h, citizen, "(coordinator)")
    assert coco.texts[-1].endswith("\nok thanks")
    assert not any("ok thanks" in t for t in peer.texts)


async def test_write_to_them_belongs_to_who_took_it_and_goes_stale(harness: Harness) -> None:
    h = harness
    h.config = h.config.__class__(**{**h.config.__dict__, "coordinator_ids": (COORDINATOR, 9003)})
    await h.restart()
    one, two = await coordinator(h), await coordinator(h, 9003, "Dina")
    citizen = h.user(1001, language="en")
    citizen.send_text("/help_now")
    await h.settle()
    one.press_button("I'm handling it")
    await h.settle()
    before = len(citizen.texts)
    two.press(two.last_message["message_id"], "esc:talk:1", forge=True)  # an older copy
    await h.settle()
    assert two.answered_callbacks[-1] == "Someone else is already handling this."
    assert len(citizen.texts) == before
    one.press_button("Write to them")
    await h.settle()
    assert "(coordinator) from our team" in citizen.texts[-1]
    one.send_text("/end")
    await h.settle()
    await press(h, one, "End")
    await h.tick(timedelta(days=8))
    before = len(citizen.texts)
    one.press_button("Write to them")
    await h.settle()
    assert one.answered_callbacks[-1] == "That button is no longer valid."
    assert len(citizen.texts) == before


async def test_forged_escalation_and_approve_buttons_do_nothing(harness: Harness) -> None:
    h = harness
    citizen = h.user(1001, language="en")
    citizen.send_text("/help_now")
    await h.settle()
    stranger = h.user(3001, language="en")
    stranger.send_text("/start")
    await h.settle()
    stranger.press(stranger.last_message["message_id"], "esc:ack:1", forge=True)
    stranger.press(stranger.last_message["message_id"], "peer:approve:1", forge=True)
    await h.settle()
    assert stranger.answered_callbacks == ["That button is no longer valid."] * 2
    row = await h.rt.storage.fetchone("SELECT status FROM escalations")
    assert row[0] == "open"
    stranger.send_text("/escalations")
    await h.settle()
    assert stranger.texts[-1].startswith("What I can do")


async def test_escalations_list_shows_who_acknowledged(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    h.user(1001, language="en").send_text("/help_now")
    await h.settle()
    coco.send_text("/escalations")
    await h.settle()
    assert "OPEN" in coco.texts[-1]
    coco.press_button("I'm handling #1")
    await h.settle()
    coco.send_text("/escalations")
    await h.settle()
    assert "acknowledged" in coco.texts[-1]


async def test_outbox_retries_flood_and_timeouts_then_delivers_once(harness: Harness) -> None:
    h = harness
    h.fake.inject(Fault.retry_after(7), method="sendMessage", chat_id=COORDINATOR)
    h.fake.inject(Fault.timeout(), method="sendMessage", chat_id=COORDINATOR)
    citizen = h.user(1001, language="en")
    citizen.send_text("/help_now")
    await h.settle()
    assert urgent_messages(h, COORDINATOR) == []
    await h.tick(timedelta(seconds=7))
    await h.tick(timedelta(seconds=2))
    assert len(urgent_messages(h, COORDINATOR)) == 1
    await h.tick(timedelta(seconds=60))
    assert len(urgent_messages(h, COORDINATOR)) == 1


async def test_blocked_coordinator_is_marked_unreachable_not_retried(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    coco.block()
    await h.settle()
    h.user(1001, language="en").send_text("/help_now")
    await h.settle()
    await h.tick(timedelta(seconds=30))
    row = await h.rt.storage.fetchone(
        "SELECT status FROM outbox WHERE chat_id = ? AND purpose = 'escalation'", (COORDINATOR,)
    )
    assert row[0] == "unreachable"
    attempts = [
        c
        for c in h.fake.calls
        if c.method == "sendMessage" and c.params.get("chat_id") == COORDINATOR and not c.ok
    ]
    assert len(attempts) == 1


async def test_unanswered_request_goes_to_coordinators(harness: Harness) -> None:
    h = harness
    await coordinator(h)
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen)
    await h.tick(timedelta(hours=3))
    assert not urgent_messages(h, COORDINATOR)
    await h.tick(timedelta(hours=1, minutes=1))
    assert "no peer has accepted their request in time" in h.fake.user(COORDINATOR).texts[-1]


async def test_persistent_help_button_is_never_relayed(harness: Harness) -> None:
    h = harness
    await coordinator(h)
    peer, citizen = await in_contact(h)
    keyboard = citizen.reply_keyboard
    assert keyboard is not None
    label = keyboard[0][0]
    citizen.send_text(label)
    await h.settle()
    assert label not in peer.texts
    assert "You are not alone" in citizen.texts[-1]
    assert urgent_messages(h, COORDINATOR)


async def test_signal_level_words_the_alert_and_orders_the_queue(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    _, citizen = await in_contact(h)
    citizen.send_text("alt er bare håbløst og jeg orker ikke mere")
    await h.settle()
    citizen.send_text("i have 30 pills ready on the table")
    await h.settle()
    assert "mentioned a method or a plan" in coco.texts[-1]
    coco.send_text("/escalations")
    await h.settle()
    listing = coco.texts[-1].splitlines()
    assert "mentioned a method or a plan" in listing[1]
    assert "deep distress" in listing[2]


async def test_alerts_go_to_coordinators_on_duty_or_to_all(harness: Harness) -> None:
    h = harness
    h.config = h.config.__class__(**{**h.config.__dict__, "coordinator_ids": (COORDINATOR, 9003)})
    await h.restart()
    one, two = await coordinator(h), await coordinator(h, 9003, "Dina")
    two.send_text("/onduty")
    await h.settle()
    h.user(1001, language="en").send_text("/help_now")
    await h.settle()
    assert urgent_messages(h, 9003) and not urgent_messages(h, COORDINATOR)
    two.send_text("/offduty")
    await h.settle()
    h.user(1002, language="en").send_text("/help_now")
    await h.settle()
    assert len(urgent_messages(h, COORDINATOR)) == 1 and len(urgent_messages(h, 9003)) == 2
    citizen = h.user(1003, language="en")
    citizen.send_text("/onduty")
    await h.settle()
    assert citizen.texts[-1].startswith("What I can do")
    assert one.texts  # the first coordinator is still reachable
