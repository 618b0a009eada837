"""Erasure that erases, through the real Application: /delete reaches every copy the bot
controls (the database file and its WAL, the outbox, the inbox, offers and relayed copies on
other people's screens, the pre-migration copy), /mydata shows everything the inventory lists,
and the bot says exactly what remains."""

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from telegram import Update

from bot.fakebot import FakeUser, Fault
from bot.services import backups, privacy
from bot.storage import inbox
from bot.storage import users as user_store
from bot.storage.inventory import INVENTORY
from bot.storage.personal_data import not_included
from tests.helpers.flows import ADULT, INTAKE_ANSWERS, coordinator, make_peer, press
from tests.helpers.harness import Harness

# Six bytes as an integer (Telegram ids have grown past 32 bits): a random match is unthinkable.
CITIZEN_ID = 7_300_000_123
FIRST_NAME, USERNAME = "Zorblatt", "zorb_the_user"
NOTE = "my sister does not know about the pills"
RELAYED = "the nights are the worst part"
CHECKIN_NOTE = "ask how the nights went"
OWN_CHECKIN_NOTE = "remind me to breathe slowly"
REPORT_NOTE = "kept writing insults after I asked to stop"
STATES = ["waiting", "offered", "held_back", "blocked_peer", "in_contact", "reported", "checkins"]


def varint(n: int) -> bytes:
    """SQLite's variable-length integer (used for rowids and record headers)."""
    if n > 0x00FFFFFFFFFFFFFF:
        raise ValueError("not needed here")
    groups = []
    while True:
        groups.append(n & 0x7F)
        n >>= 7
        if not n:
            break
    groups.reverse()
    return bytes([g | 0x80 for g in groups[:-1]] + [groups[-1]])


def forms_of(value: int | str) -> list[bytes]:
    """How a value can lie in an SQLite file: text (as in JSON) and, for an integer, the
    big-endian record forms (SQLite stores the smallest of 1-4, 6 or 8 bytes) and a varint."""
    if isinstance(value, str):
        return [value.encode(), json.dumps(value)[1:-1].encode()]
    forms = [str(value).encode(), value.to_bytes(8, "big", signed=True), varint(value)]
    for size in (1, 2, 3, 4, 6):
        if -(1 << (8 * size - 1)) <= value < 1 << (8 * size - 1):
            forms.append(value.to_bytes(size, "big", signed=True))
            break
    return forms


def traces(database: Path, values: list[int | str]) -> list[str]:
    """Each value found in the raw bytes of the database file or its WAL, right now."""
    found = []
    for path in (database, database.with_name(database.name + "-wal")):
        raw = path.read_bytes() if path.exists() else b""
        found += [f"{path.name}:{v!r}" for v in values for f in forms_of(v) if f in raw]
    return found


def citizen(h: Harness) -> FakeUser:
    h.fake.user(CITIZEN_ID, FIRST_NAME, language_code="en", username=USERNAME)
    return h.user(CITIZEN_ID, FIRST_NAME, language="en")


async def ask(h: Harness, person: FakeUser) -> None:
    person.send_text("/start")
    await h.settle()
    await press(h, person, "Talk to a peer", ADULT, "I agree", *INTAKE_ANSWERS)
    person.send_text(NOTE)
    await h.settle()
    await press(h, person, "Send request")


async def delete(h: Harness, person: FakeUser) -> None:
    person.send_text("/delete")
    await h.settle()
    person.press_button("Yes, delete everything")
    await h.settle()


async def reach(h: Harness, state: str) -> tuple[FakeUser, FakeUser | None]:
    """The citizen in `state`, and the peer concerned (if any)."""
    person = citizen(h)
    if state == "waiting":
        await ask(h, person)
        return person, None
    peer = await make_peer(h, 2001, "Maja")
    if state == "held_back":
        h.fake.inject(Fault.retry_after(120), method="sendMessage", chat_id=peer.id)
    if state == "blocked_peer":
        # Blocked before the bot heard of it (a block it hears of keeps offers away at once).
        h.fake.inject(Fault.forbidden(), method="sendMessage", chat_id=peer.id)
    await ask(h, person)
    if state in ("offered", "held_back", "blocked_peer"):
        return person, peer
    peer.press_button("Accept")
    await h.settle()
    person.send_text(RELAYED)
    await h.settle()
    assert RELAYED in peer.texts[-1]
    if state == "reported":
        coco = await coordinator(h)
        peer.send_text("/end")
        await h.settle()
        await press(h, peer, "End contact with", "End and report", "Abusive or threatening")
        prompt = next(m for m in reversed(peer.messages) if "(R#" in m.get("text", ""))
        peer.send_text(REPORT_NOTE, reply_to=prompt["message_id"])
        await h.settle()
        await press(h, coco, "Bar 1 month")
    if state == "checkins":
        peer.send_text("/checkin")
        await h.settle()
        await press(h, peer, "Check-in message", "Tomorrow", "Only once")
        peer.send_text(CHECKIN_NOTE)
        await h.settle()
        await press(h, peer, "Plan it")
        await h.tick(timedelta(days=1))
        await press(h, person, "Worse")
        person.send_text("/checkin")
        await h.settle()
        await press(h, person, "In 3 days", "Only once")
        person.send_text(OWN_CHECKIN_NOTE)
        await h.settle()
        await press(h, person, "Plan it")
    return person, peer


@pytest.mark.parametrize("state", STATES)
async def test_delete_leaves_no_trace_in_the_database_file_or_wal(
    harness: Harness, state: str
) -> None:
    h = harness
    person, peer = await reach(h, state)
    user = await user_store.by_telegram_id(h.rt.storage, CITIZEN_ID)
    assert user is not None and user.pseudonym
    wrote = [NOTE] + ([RELAYED] if state in ("in_contact", "reported", "checkins") else [])
    others = [REPORT_NOTE] if state == "reported" else []
    wrote += [OWN_CHECKIN_NOTE] if state == "checkins" else []
    others += [CHECKIN_NOTE] if state == "checkins" else []
    values: list[int | str] = [CITIZEN_ID, FIRST_NAME, USERNAME, user.pseudonym, *wrote, *others]
    assert traces(h.rt.storage.path, values)  # the scan does find them while they are kept
    await delete(h, person)
    # No clean stop, no sweep: the bytes as they are right after the erasure.
    assert traces(h.rt.storage.path, values) == []
    assert "has been deleted" in person.texts[-1]
    if peer is not None:
        await h.tick(timedelta(minutes=5))  # a held-back offer's wait is over
        assert not [t for t in peer.texts if NOTE in t or RELAYED in t]


async def test_unanswered_offer_is_withdrawn_from_the_peers_screen(harness: Harness) -> None:
    h = harness
    person, peer = await reach(h, "offered")
    offer = peer.last_message
    assert offer is not None and NOTE in offer["text"] and offer.get("reply_markup")
    await delete(h, person)
    withdrawn = peer.message(offer["message_id"])
    assert withdrawn is not None
    assert withdrawn["text"] == "This request has been withdrawn. Thank you all the same."
    assert not withdrawn.get("reply_markup")


async def test_held_back_offer_is_never_sent_after_delete(harness: Harness) -> None:
    h = harness
    person, peer = await reach(h, "held_back")
    assert peer is not None and not any(NOTE in t for t in peer.texts)
    row = await h.rt.storage.fetchone("SELECT status FROM outbox WHERE purpose = 'offer'")
    assert row is not None and row[0] == "pending"  # waiting out Telegram's 429
    await delete(h, person)
    await h.tick(timedelta(minutes=10))
    assert not any(NOTE in t for t in peer.texts)
    to_peer = [c for c in h.fake.calls if c.ok and c.params.get("chat_id") == peer.id]
    assert to_peer and not [c for c in to_peer if NOTE in json.dumps(c.params)]
    rows = await h.rt.storage.fetchall("SELECT status, params FROM outbox WHERE purpose = 'offer'")
    assert [tuple(r) for r in rows] == [("cancelled", "{}")]


async def test_offer_to_a_peer_who_blocked_the_bot_keeps_no_text(harness: Harness) -> None:
    h = harness
    person, _ = await reach(h, "blocked_peer")
    rows = await h.rt.storage.fetchall("SELECT status, params FROM outbox WHERE purpose = 'offer'")
    assert [tuple(r) for r in rows] == [("unreachable", "{}")]  # given up: the text goes
    await delete(h, person)
    assert traces(h.rt.storage.path, [NOTE]) == []


async def test_relayed_copies_are_deleted_within_48_hours_and_edited_after(
    harness: Harness,
) -> None:
    h = harness
    person, peer = await reach(h, "in_contact")
    assert peer is not None
    person.send_photo("an old photo of my room")
    await h.settle()
    old = next(m for m in reversed(peer.messages) if m.get("text", "").endswith("\n" + RELAYED))
    old_photo = next(m for m in reversed(peer.messages) if "photo" in m)
    await h.tick(timedelta(hours=50))
    person.send_text("a newer message")
    person.send_photo("a new photo of my room")
    await h.settle()
    assert any(t.endswith("\na newer message") for t in peer.texts) and "a new photo" in json.dumps(
        peer.messages
    )
    await delete(h, person)
    withdrawn = "(This message has been withdrawn by its sender.)"
    edited = peer.message(old["message_id"])
    assert edited is not None and edited["text"] == withdrawn
    photo = peer.message(old_photo["message_id"])
    assert photo is not None and photo["caption"] == withdrawn  # Telegram keeps the picture
    remaining = json.dumps(peer.messages)
    for words in (RELAYED, "a newer message", "old photo of my room", "new photo of my room"):
        assert words not in remaining
    said = person.texts[-1]
    assert "4 messages of yours that were passed on" in said
    assert "1 picture, voice message or sticker you sent more than two days ago" in said


async def test_after_delete_the_bot_says_what_remains_and_why(harness: Harness) -> None:
    h = harness
    person, _ = await reach(h, "reported")
    bar_end = await h.rt.storage.fetchone("SELECT barred_until FROM reports")
    await delete(h, person)
    said = person.texts[-1]
    assert "Everything we kept about you has been deleted" not in said
    assert "a peer reported a problem in your contact" in said
    # Kept the retention period after the bar ends (30 days from 2 March, then 180 days).
    assert bar_end is not None and bar_end[0].startswith("2026-04-01")
    assert "Until September 28, 2026 we keep that report" in said
    assert "coded mark" in said and "Anonymous figures" in said
    mark = await h.rt.storage.fetchone("SELECT citizen_id, note, citizen_mark FROM reports")
    assert mark is not None and mark[0] is None and mark[1] is None and mark[2]


async def test_mydata_holds_every_inventory_column_or_says_why_not(harness: Harness) -> None:
    h = harness
    await reach(h, "checkins")
    user = await user_store.by_telegram_id(h.rt.storage, CITIZEN_ID)
    assert user is not None
    data = json.loads((await privacy.copy_of_data(h.rt, user)).document)
    reasons = data["not_included"]
    assert set(reasons) == set(not_included())
    for table in INVENTORY:
        if table.mine is None:
            assert reasons[table.name], table.name
            assert table.name not in data
            continue
        assert table.name in data, table.name
        expected = {c.name for c in table.columns} - set(table.withheld)
        for row in data[table.name]:
            assert set(row) == expected, table.name
        for column in table.withheld:
            assert reasons[f"{table.name}.{column}"], (table.name, column)
    # The special-category data the person has a right to see.
    checkins = data["checkins"]
    assert {c["note"] for c in checkins} >= {CHECKIN_NOTE, OWN_CHECKIN_NOTE}
    assert "worse" in {c["answer"] for c in checkins}
    assert str(CITIZEN_ID) not in json.dumps(data)


async def test_mydata_includes_the_peers_concern_and_the_crisis_categories(
    harness: Harness,
) -> None:
    h = harness
    person, peer = await reach(h, "in_contact")
    assert peer is not None
    person.send_text("I want to die")
    await h.settle()
    peer.press_button("I'm worried")
    await h.settle()
    prompt = next(m for m in reversed(peer.messages) if "concern #" in m.get("text", ""))
    peer.send_text("they sounded very low today", reply_to=prompt["message_id"])
    await h.settle()
    rows = await h.rt.storage.fetchall("SELECT reason, categories, note FROM escalations")
    assert len(rows) == 2
    user = await user_store.by_telegram_id(h.rt.storage, CITIZEN_ID)
    assert user is not None
    data = json.loads((await privacy.copy_of_data(h.rt, user)).document)
    exported = {(e["reason"], e["categories"], e["note"]) for e in data["escalations"]}
    assert exported == {tuple(r) for r in rows}
    assert any(e["categories"] for e in data["escalations"])  # the kind of crisis signal
    assert "they sounded very low today" in {e["note"] for e in data["escalations"]}


async def test_inbox_stores_no_names_or_usernames(harness: Harness) -> None:
    h = harness
    person = citizen(h)
    person.send_text("/start")
    assert h.poller is not None
    await h.poller.poll_once(wait=0)
    rows = await h.rt.storage.fetchall("SELECT payload FROM inbox")
    assert rows  # stored before it is handled
    payload = json.loads(rows[0][0])
    sender = payload["message"]["from"]
    assert sender["first_name"] == "" and "username" not in sender
    assert sender["language_code"] == "en" and sender["id"] == CITIZEN_ID
    assert Update.de_json(payload, h.app.bot if h.app else None) is not None  # replayable
    await h.settle()
    assert await h.rt.storage.fetchall("SELECT 1 FROM inbox") == []  # gone once handled
    assert traces(h.rt.storage.path, [FIRST_NAME, USERNAME]) == []


def test_inbox_strips_every_name_in_a_raw_update() -> None:
    raw = {
        "update_id": 1,
        "callback_query": {
            "id": "9",
            "from": {"id": 5, "is_bot": False, "first_name": "A", "last_name": "B"},
            "message": {
                "message_id": 3,
                "date": 0,
                "chat": {"id": 5, "type": "private", "first_name": "A", "username": "ab"},
                "contact": {"phone_number": "+4512345678", "first_name": "C", "user_id": 6},
            },
            "chat_instance": "x",
        },
    }
    text = json.dumps(inbox.without_names(raw))
    for name in ('"A"', '"B"', "ab", "+4512345678", '"C"'):
        assert name not in text
    assert '"id": 5' in text


async def test_pre_migration_copy_is_deleted_after_the_backup_period(
    harness: Harness,
) -> None:
    h = harness
    database = h.rt.config.database
    copy = backups.migration_copy_path(database, 3)
    copy.write_bytes(b"an old copy")
    await h.tick()
    assert copy.exists()
    await h.tick(timedelta(days=h.rt.config.backup_keep_days - 1))
    assert copy.exists()
    await h.tick(timedelta(days=1, minutes=1))
    assert not copy.exists()


async def test_pre_migration_copy_from_an_older_version_is_dated_by_its_file(
    harness: Harness,
) -> None:
    h = harness
    copy = backups.migration_copy_path(h.rt.config.database, 2)
    copy.write_bytes(b"an old copy nobody noted")
    written = (h.clock.now() - timedelta(days=h.rt.config.backup_keep_days)).timestamp()
    os.utime(copy, (written, written))
    await h.tick()
    assert not copy.exists()


async def test_pre_migration_copy_is_encrypted_with_the_backup_key_and_dated(
    tmp_path: Path,
) -> None:
    from bot.app import open_with_backup
    from bot.clock import FakeClock
    from bot.runtime import Runtime
    from bot.storage import Database
    from bot.storage.audit import get_meta
    from bot.storage.backups import FERNET_PREFIX, new_key
    from tests.conftest import START
    from tests.helpers.harness import make_config

    config = make_config(tmp_path, backup_key=new_key())
    old = await Database.open(config.database, migrate=False)
    await old.migrate(4)
    await old.execute(
        "INSERT INTO users (telegram_id, role, created_at) VALUES (?, 'citizen', 'now')",
        (CITIZEN_ID,),
    )
    await old.close()
    db = await open_with_backup(Runtime(config=config, clock=FakeClock(START)))
    copy = backups.migration_copy_path(config.database, 4)
    assert copy.read_bytes().startswith(FERNET_PREFIX)
    assert traces(copy, [CITIZEN_ID]) == []
    assert await get_meta(db, backups.MIGRATION_STAMP + copy.name) == START.isoformat()
    await db.close()


async def test_erasure_leaves_other_peoples_messages_alone(harness: Harness) -> None:
    h = harness
    peer = await make_peer(h, 2001, "Maja")
    person = citizen(h)
    await ask(h, person)
    # Someone else writes the very same words to the same peer; their offer waits out a 429.
    h.fake.inject(Fault.retry_after(120), method="sendMessage", chat_id=peer.id)
    other = h.user(1002, "Other", language="en")
    await ask(h, other)
    offers = await h.rt.storage.fetchall("SELECT status FROM outbox WHERE purpose = 'offer'")
    assert [r[0] for r in offers] == ["sent", "pending"]
    await delete(h, person)
    await h.tick(timedelta(minutes=5))
    assert sum(NOTE in t for t in peer.texts) == 1  # the other person's offer still went
    assert "This request has been withdrawn. Thank you all the same." in peer.texts
