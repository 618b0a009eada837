"""Data rights through the real Application: consent versions, /privacy, /mydata, /delete,
retention, the audit trail, and that no role reaches another role's commands."""

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.services import intake, privacy
from bot.storage import users as user_store
from tests.helpers.flows import ADULT, ask_for_peer, coordinator, in_contact, make_peer, press
from tests.helpers.harness import Harness


async def scan_for(h: Harness, values: list[str | int]) -> list[str]:
    """Every table and column holding one of `values`, plus the raw file bytes."""
    db = h.rt.storage
    await db.checkpoint()
    found = []
    tables = [r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        columns = [r[1] for r in await db.fetchall(f"PRAGMA table_info({table})")]
        for column in columns:
            for value in values:
                hit = await db.fetchone(
                    f"SELECT 1 FROM {table} WHERE {column} = ? OR instr(CAST({column} AS TEXT), ?)",
                    (value, str(value)),
                )
                if hit:
                    found.append(f"{table}.{column}={value}")
    raw = db.path.read_bytes()
    found += [f"file:{v}" for v in values if str(v).encode() in raw]
    return found


async def test_privacy_text_in_both_languages(harness: Harness) -> None:
    for language, phrase in (("da", "dataansvarlig"), ("en", "data controller")):
        user = harness.user(1000 + len(language) + (language == "en"), language=language)
        user.send_text("/privacy")
        await harness.settle()
        text = user.texts[-1]
        assert phrase in text and "dpo@example.dk" in text and "180" in text


async def test_new_privacy_version_asks_again(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen)
    citizen.send_text("/status")
    await h.settle()
    citizen.press_button("Cancel my request")
    await h.settle()
    citizen.press_button("Yes, cancel it")
    await h.settle()
    monkeypatch.setattr(intake, "PRIVACY_VERSION", 2)
    citizen.send_text("/start")
    await h.settle()
    citizen.press_button("Talk to a peer")
    await h.settle()
    citizen.press_button(ADULT)
    await h.settle()
    assert "Before we start" in citizen.texts[-1]
    citizen.press_button("I agree")
    await h.settle()
    user = await user_store.by_telegram_id(h.rt.storage, 1001)
    assert user is not None and user.consent_version == 2


async def test_mydata_sends_a_file_and_a_summary(harness: Harness) -> None:
    h = harness
    peer = await make_peer(h, 2001, "Maja")
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen, note="about my week")
    peer.press_button("Accept")
    await h.settle()
    citizen.send_text("/mydata")
    await h.settle()
    sent = citizen.last_message
    assert sent["document"]["file_name"] == "mydata.json"
    assert "1 request" in sent["caption"] and "1 contact" in sent["caption"]
    user = await user_store.by_telegram_id(h.rt.storage, 1001)
    assert user is not None
    data = json.loads((await privacy.copy_of_data(h.rt, user)).document)
    assert data["requests"][0]["note"] == "about my week"
    # Every column the inventory lists for a request is in the copy, even when still empty.
    assert {"close_reason", "requeued_at", "first_contact_at"} <= data["requests"][0].keys()
    assert data["contacts"][0]["peer_id"] == "Maja"  # another person by made-up name
    assert "1001" not in json.dumps(data) and "2001" not in json.dumps(data)
    peer.send_text("/mydata")
    await h.settle()
    assert peer.last_message["document"]["file_name"] == "mydata.json"


async def test_delete_erases_every_trace_and_tells_the_peer_neutrally(harness: Harness) -> None:
    h = harness
    await coordinator(h)
    peer = await make_peer(h, 2001, "Maja")
    citizen = h.user(1007654, language="en")
    await ask_for_peer(h, citizen, note="private words of mine")
    peer.press_button("Accept")
    await h.settle()
    citizen.send_text("I want to die")  # a crisis signal: escalation rows mention them
    citizen.send_text("/help_now")
    await h.settle()
    user = await user_store.by_telegram_id(h.rt.storage, 1007654)
    assert user is not None and user.pseudonym
    citizen.send_text("/delete")
    await h.settle()
    citizen.press_button("Yes, delete everything")
    await h.settle()
    assert "has been deleted" in citizen.texts[-1]
    assert "chose to leave the service" in peer.texts[-1]
    assert user.pseudonym not in peer.texts[-1]
    assert await scan_for(h, [1007654, user.pseudonym, "private words of mine"]) == []
    escalations = await h.rt.storage.fetchall("SELECT citizen_id, note FROM escalations")
    assert escalations and all(row[0] is None for row in escalations)


async def test_peer_can_delete_too_and_citizen_is_told(harness: Harness) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    peer.send_text("/delete")
    await h.settle()
    peer.press_button("Yes, delete everything")
    await h.settle()
    assert "no longer available" in citizen.texts[-1]
    assert await scan_for(h, [2001, "Maja"]) == []


async def test_retention_purges_closed_cases_with_a_controllable_clock(harness: Harness) -> None:
    h = harness
    peer, citizen = await in_contact(h)
    citizen.send_text("hello")
    await h.settle()
    peer.send_text("/end")
    await h.settle()
    peer.press_button("End contact with")
    await h.settle()
    peer.press_button("Yes, end it")
    await h.settle()
    db = h.rt.storage
    assert await db.fetchall("SELECT 1 FROM relay_messages")
    await h.tick(timedelta(days=8))
    assert await db.fetchall("SELECT 1 FROM relay_messages") == []
    assert await db.fetchall("SELECT 1 FROM contacts")
    await h.tick(timedelta(days=100))
    assert await db.fetchall("SELECT 1 FROM contacts")
    await h.tick(timedelta(days=80))
    assert await db.fetchall("SELECT 1 FROM contacts") == []
    assert await db.fetchall("SELECT 1 FROM requests") == []
    assert await db.fetchone("SELECT 1 FROM users WHERE telegram_id = 1001") is None
    assert await db.fetchone("SELECT 1 FROM users WHERE telegram_id = 2001") is not None


async def test_audit_trail_records_coordinator_actions(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    await make_peer(h, 2001, "Maja")
    h.user(1001, language="en").send_text("/help_now")
    await h.settle()
    coco.press_button("I'm handling it")
    await h.settle()
    coco.press_button("Write to them")
    await h.settle()
    coco.send_text("/audit")
    await h.settle()
    text = coco.texts[-1]
    for action in ("approved a peer", "took an urgent request", "opened a conversation"):
        assert action in text


COORDINATOR_COMMANDS = ["/queue", "/peers", "/invite", "/escalations", "/audit", "/broadcast hi"]
PEER_COMMANDS = ["/available", "/away", "/mycontacts", "/profile"]
CALLBACKS = [
    "offer:acc:1",
    "offer:dec:1",
    "esc:ack:1",
    "esc:talk:1",
    "peer:approve:1",
    "q:cl:1:resolved",
    "q:move:1:2",
    "pa:rmok:2",
    "bc:send:1",
    "focus:1",
    "end:yes:1",
    "worry:1",
    "req:confirm:1",
    "fb:1:5",
    "intake:send",
    "onb:topics:done",
    "lang:set:xx",
    "consent:maybe",
    "del:maybe",
    "urgent:later",
    "nonsense",
]


async def test_no_role_reaches_another_roles_actions(harness: Harness) -> None:
    h = harness
    await coordinator(h)
    peer = await make_peer(h, 2001, "Maja")
    owner = h.user(1001, language="en")
    await ask_for_peer(h, owner)
    peer.press_button("Accept")
    await h.settle()
    h.user(1001).send_text("/help_now")
    await h.settle()
    before = await snapshot(h)
    citizen = h.user(1002, language="en")
    await ask_for_peer(h, citizen)
    other_peer = await make_peer(h, 2002, "Jonas")
    stranger = h.user(3001, language="en")
    baseline = await snapshot(h)
    assert baseline["contacts"] == before["contacts"]
    for actor in (citizen, other_peer, stranger):
        actor.send_text("/start")
        await h.settle()
        for command in COORDINATOR_COMMANDS:
            actor.send_text(command)
            await h.settle()
            assert "What I can do" in actor.texts[-1], (actor.id, command)
        for command in PEER_COMMANDS if actor is not other_peer else []:
            actor.send_text(command)
            await h.settle()
            assert "for peers" in actor.texts[-1], (actor.id, command)
        for data in CALLBACKS:
            actor.press(actor.last_message["message_id"], data, forge=True)
            await h.settle()
        assert await snapshot(h) == baseline, actor.id
    assert h.fake.unanswered_queries() == []


async def snapshot(h: Harness) -> dict[str, list[tuple]]:
    db = h.rt.storage
    return {
        table: [tuple(row) for row in await db.fetchall(f"SELECT * FROM {table}")]
        for table in ("contacts", "offers", "escalations", "peer_profiles", "feedback", "audit")
    }


async def test_public_task_informs_instead_of_asking(harness: Harness) -> None:
    h = harness
    h.config = replace(h.config, legal_basis="public_task")
    await h.restart()
    citizen = h.user(1001, language="en")
    citizen.send_text("/start")
    await h.settle()
    citizen.press_button("Talk to a peer")
    await h.settle()
    citizen.press_button(ADULT)
    await h.settle()
    assert "public task" in citizen.texts[-1]
    citizen.press_button("Continue")
    await h.settle()
    assert "What would you like to talk about?" in citizen.texts[-1]
    citizen.send_text("/privacy")
    await h.settle()
    notice = citizen.texts[-1]
    assert "Art." not in notice  # no article numbers in what citizens read
    assert "to object to our use of your data" in notice and "withdraw your consent" not in notice
    assert "databeskyttelsesloven" in notice
    citizen.send_text("/delete")
    await h.settle()
    citizen.press_button("Yes, delete everything")
    await h.settle()
    assert await h.rt.storage.fetchone("SELECT 1 FROM users WHERE telegram_id = 1001") is None


async def test_privacy_text_and_consent_screen_say_what_is_true(harness: Harness) -> None:
    h = harness
    citizen = h.user(1001, "Zorblatt", language="en")
    citizen.send_text("/start")
    await h.settle()
    await press(h, citizen, "Talk to a peer", ADULT)
    consent = citizen.texts[-1]
    for truth in (
        "Telegram shows us your Telegram name; we do not store it",
        "The name you use here, made up by us or chosen by you, is stored, and your peer and our "
        "coordinators see it",
        "not end-to-end encrypted",
        "health data",
        "withdraw your consent at any time with /delete",
    ):
        assert truth in consent, truth
    assert "Art." not in consent
    citizen.send_text("/privacy")
    await h.settle()
    notice = citizen.texts[-1]
    for truth in (
        "We do not store it",
        "chosen by you (/name). We store that name, and your peer and our coordinators see it",
        "ordinary Telegram cloud chat",
        "not end-to-end encrypted",
        "is health data",
        "withdraw at any time with /delete",
        "to see what we keep",
        "to have something corrected",
        "to have it erased",
        "to have its use restricted",
        "to withdraw your consent",
        "Datatilsynet",
        "databeskyttelsesloven",
    ):
        assert truth in notice, truth
    assert "Art." not in notice and "to object" not in notice  # objection: public task only
    # What the notice says is not stored is indeed nowhere in the database or its WAL.
    citizen.press_button("I agree")
    await h.settle()
    assert await user_store.by_telegram_id(h.rt.storage, 1001) is not None
    database = h.rt.storage.path
    raw = database.read_bytes() + database.with_name(database.name + "-wal").read_bytes()
    assert b"Zorblatt" not in raw  # the Telegram first name sent with every update
    # The name used here is stored, as both texts say, and /mydata shows it under that heading.
    user = await user_store.by_telegram_id(h.rt.storage, 1001)
    assert user is not None and user.pseudonym and user.pseudonym.encode() in raw
    citizen.send_text("/mydata")
    await h.settle()
    assert any(f"The name you use here: {user.pseudonym}" in text for text in citizen.texts[-3:])


async def test_danish_consent_and_privacy_say_the_name_used_here_is_stored_and_seen(
    harness: Harness,
) -> None:
    h = harness
    citizen = h.user(1001, "Zorblatt", language="da")
    citizen.send_text("/start")
    await h.settle()
    await press(h, citizen, "Tal med en peer", "18 år eller derover")
    consent = citizen.texts[-1]
    assert "vi gemmer det ikke" in consent
    assert "som du selv har valgt, gemmer vi, og din peer og vores koordinatorer ser det" in consent
    citizen.send_text("/privacy")
    await h.settle()
    assert "Det navn gemmer vi, og din peer og vores koordinatorer ser det" in citizen.texts[-1]
