"""Crisis words are heard wherever a citizen writes, through the real Application.

Every situation a citizen can be in is set up by pressing the bot's own buttons; then the
citizen writes a crisis sentence (or sends a photo with one as its caption), and each test
proves the emergency answer reached them and the coordinator got an escalation for it.
"""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import ConversationHandler

from bot.app import build_application
from bot.fakebot import FakeUser
from handlers import crisis
from tests.helpers.flows import (
    ADULT,
    INTAKE_ANSWERS,
    ask_for_peer,
    coordinator,
    in_contact,
    make_peer,
    press,
)
from tests.helpers.harness import COORDINATOR, Harness, make_config

CRISIS = "I am going to kill myself tonight"
CRISIS_DA = "jeg vil tage mit eget liv i nat"
ANSWER = "our coordinators have been told (what kind of words, not what you wrote)"
ALERT_WHY = "wrote about thoughts of suicide or self-harm"

Setup = Callable[[Harness], Awaitable[FakeUser]]


def alerts(h: Harness) -> list[str]:
    return [t for t in h.fake.user(COORDINATOR).texts if t.startswith("Urgent #")]


async def newcomer(h: Harness) -> FakeUser:
    citizen = h.user(1001, "Ada", language="en")
    citizen.send_text("/start")
    await h.settle()
    return citizen


async def at_the_age_question(h: Harness) -> FakeUser:
    citizen = await newcomer(h)
    await press(h, citizen, "Talk to a peer")
    assert "how old are you?" in citizen.texts[-1]
    return citizen


async def at_consent(h: Harness) -> FakeUser:
    citizen = await at_the_age_question(h)
    await press(h, citizen, ADULT)
    assert "I agree" in str(citizen.last_message)
    return citizen


def in_intake(answers: int) -> Setup:
    async def setup(h: Harness) -> FakeUser:
        citizen = await at_consent(h)
        await press(h, citizen, "I agree", *[*INTAKE_ANSWERS, "Skip"][:answers])
        return citizen

    return setup


async def waiting(h: Harness) -> FakeUser:
    citizen = h.user(1001, "Ada", language="en")
    await ask_for_peer(h, citizen)  # no peer yet: the request waits
    assert await h.rt.storage.fetchone("SELECT 1 FROM requests WHERE status = 'waiting'")
    return citizen


async def with_a_peer(h: Harness) -> FakeUser:
    _peer, citizen = await in_contact(h)
    return citizen


async def with_a_coordinator(h: Harness) -> FakeUser:
    citizen = h.user(1001, "Ada", language="en")
    citizen.send_text("/help_now")
    await h.settle()
    coco = h.users[COORDINATOR]
    await press(h, coco, "I'm handling it", "Write to them")
    assert "from our team is here" in citizen.texts[-1]
    return citizen


async def answering_a_check_in(h: Harness) -> FakeUser:
    peer, citizen = await in_contact(h)
    peer.send_text("/checkin")
    await h.settle()
    await press(h, peer, "Check-in message", "Tomorrow", "Only once", "Skip", "Plan it")
    await h.tick(timedelta(days=1))
    assert "How are you doing today?" in citizen.texts[-1]
    return citizen


async def planning_a_check_in(h: Harness) -> FakeUser:
    _peer, citizen = await in_contact(h)
    citizen.send_text("/checkin")
    await h.settle()
    await press(h, citizen, "In 3 days", "Only once")
    assert "write a short note" in citizen.texts[-1]  # a step that takes typed text
    return citizen


async def after_the_contact_ended(h: Harness) -> FakeUser:
    _peer, citizen = await in_contact(h)
    citizen.send_text("/end")
    await h.settle()
    await press(h, citizen, "End contact with", "Yes, end it", "No thanks")
    return citizen


async def barred(h: Harness) -> FakeUser:
    peer, citizen = await in_contact(h)
    peer.send_text("/end")
    await h.settle()
    await press(h, peer, "End contact with", "End and report", "Abusive or threatening")
    await press(h, h.users[COORDINATOR], "Bar 1 week")
    assert await h.rt.storage.fetchone("SELECT 1 FROM users WHERE barred_until IS NOT NULL")
    return citizen


SITUATIONS: dict[str, Setup] = {
    "newcomer right after /start": newcomer,
    "newcomer at the age question": at_the_age_question,
    "newcomer at consent": at_consent,
    "intake, topic step": in_intake(0),
    "intake, language step": in_intake(1),
    "intake, times step": in_intake(2),
    "intake, note step": in_intake(3),
    "intake, confirm step": in_intake(4),
    "waiting for a peer": waiting,
    "in a contact with a peer": with_a_peer,
    "in a conversation with a coordinator": with_a_coordinator,
    "answering a check-in": answering_a_check_in,
    "planning a check-in": planning_a_check_in,
    "after the contact ended": after_the_contact_ended,
    "barred": barred,
}


@pytest.mark.parametrize("caption", [False, True], ids=["text", "photo caption"])
@pytest.mark.parametrize("situation", list(SITUATIONS))
async def test_crisis_words_are_answered_and_escalated_in_every_situation(
    harness: Harness, situation: str, caption: bool
) -> None:
    h = harness
    await coordinator(h)
    citizen = await SITUATIONS[situation](h)
    before_alerts, before_texts = len(alerts(h)), len(citizen.texts)
    if caption:
        citizen.send_photo(caption=CRISIS)
    else:
        citizen.send_text(CRISIS)
    update_id = h.fake.pending_updates()[-1]["update_id"]
    await h.settle()
    answers = [t for t in citizen.texts[before_texts:] if ANSWER in t]
    assert len(answers) == 1 and "112" in answers[0]
    new_alerts = alerts(h)[before_alerts:]
    assert len(new_alerts) == 1 and ALERT_WHY in new_alerts[0]
    row = await h.rt.storage.fetchone(
        "SELECT reason, categories, source_key FROM escalations ORDER BY id DESC LIMIT 1"
    )
    assert row["reason"] == "signal" and "level:2" in row["categories"]
    # In a contact the key is the message (so a message held for "whom is this for?" and sent
    # later counts once); elsewhere it is the update.
    assert row["source_key"] == f"update:{update_id}" or row["source_key"].startswith("relay:")


@pytest.mark.parametrize(
    ("situation", "question"),
    [
        ("intake, topic step", "What would you like to talk about?"),
        ("intake, times step", "When suits you best?"),
        ("intake, confirm step", "Please check your request:"),
    ],
)
async def test_in_intake_the_step_follows_the_answer_and_is_not_answered(
    harness: Harness, situation: str, question: str
) -> None:
    h = harness
    await coordinator(h)
    citizen = await SITUATIONS[situation](h)
    draft = tuple(await h.rt.storage.fetchone("SELECT step, note FROM requests"))
    citizen.send_text(CRISIS)
    await h.settle()
    assert ANSWER in citizen.texts[-2]
    assert question in citizen.texts[-1]  # where they were, with its buttons, nothing lost
    assert "Back" in str(citizen.last_message["reply_markup"])
    assert tuple(await h.rt.storage.fetchone("SELECT step, note FROM requests")) == draft
    await press(h, citizen, "Cancel" if situation.endswith("confirm step") else "Back")


async def test_at_the_note_step_the_words_are_the_note_and_the_summary_follows(
    harness: Harness,
) -> None:
    h = harness
    await coordinator(h)
    citizen = await in_intake(3)(h)
    citizen.send_text(CRISIS)
    await h.settle()
    assert ANSWER in citizen.texts[-2]
    assert f"Your words: {CRISIS}" in citizen.texts[-1]
    row = await h.rt.storage.fetchone("SELECT step, note FROM requests")
    assert tuple(row) == ("confirm", CRISIS)
    escalation = await h.rt.storage.fetchone("SELECT request_id FROM escalations")
    assert escalation[0] is not None  # the coordinator sees which request
    citizen.send_text("and one more thing")  # the dialogue follows the draft, not a stale state
    await h.settle()
    assert "Here you answer with the buttons" in citizen.texts[-1]
    assert tuple(await h.rt.storage.fetchone("SELECT note FROM requests")) == (CRISIS,)
    await press(h, citizen, "Send request")
    assert "Your request has been sent" in citizen.texts[-1]


async def test_in_a_contact_the_message_still_reaches_the_peer_and_the_dialogue_does_not_take_it(
    harness: Harness,
) -> None:
    h = harness
    await coordinator(h)
    peer, citizen = await in_contact(h)
    citizen.send_text("/checkin")
    await h.settle()
    await press(h, citizen, "In 3 days", "Only once")
    citizen.send_text(CRISIS)
    await h.settle()
    assert any(t.endswith("\n" + CRISIS) for t in peer.texts)  # relayed, never blocked
    assert any("may mean they are thinking about suicide" in t for t in peer.texts[-2:])
    draft = await h.rt.storage.fetchone("SELECT step, note FROM checkins")
    assert tuple(draft) == ("note", None)  # not taken as the check-in's note


def rows_by_table(h: Harness) -> Callable[[], Awaitable[dict[str, list[dict[str, Any]]]]]:
    async def read() -> dict[str, list[dict[str, Any]]]:
        tables = await h.rt.storage.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        found: dict[str, list[dict[str, Any]]] = {}
        for (name,) in tables:
            rows = await h.rt.storage.fetchall(f"SELECT * FROM {name}")
            found[name] = [dict(row) for row in rows]
        return found

    return read


async def written_by(h: Harness, act: Callable[[], object]) -> dict[str, list[dict[str, Any]]]:
    """The rows that `act` (and everything it set off) added to each table."""
    read = rows_by_table(h)
    before = await read()
    act()
    await h.settle()
    after = await read()
    added = {
        table: [row for row in rows if row not in before.get(table, [])]
        for table, rows in after.items()
    }
    return {table: rows for table, rows in added.items() if rows}


async def test_a_newcomer_s_crisis_words_store_what_i_need_help_now_stores_and_no_more(
    harness: Harness,
) -> None:
    h = harness
    await coordinator(h)
    citizen = h.user(1001, "Ada", language="da")
    other = h.user(1002, "Bo", language="da")
    for person in (citizen, other):
        person.send_text("/start")
    await h.settle()
    written = await written_by(h, lambda: citizen.send_text(CRISIS_DA))
    pressed = await written_by(h, lambda: other.press_button("Jeg har brug for hjælp nu"))

    # inbox_seen holds the update's number and time only (so a repeat is not handled twice).
    for rows in (written, pressed):
        assert [set(row) for row in rows.pop("inbox_seen")] == [{"update_id", "seen_at"}]
        # The bot's facts about itself (a sweep that ran meanwhile), never about a person.
        for fact in rows.pop("meta", []):
            assert not any(str(n) in fact["value"] for n in (1001, 1002, "Ada", "Bo"))
    assert set(written) == set(pressed) == {"users", "escalations", "outbox", "recent_messages"}
    (user,) = written["users"]
    stored = {key for key, value in user.items() if value is not None}
    assert stored == {"id", "telegram_id", "role", "language", "pseudonym", "created_at", "on_duty"}
    assert stored == {key for key, value in pressed["users"][0].items() if value is not None}
    assert (user["telegram_id"], user["role"], user["language"]) == (1001, "citizen", "da")
    assert user["consent_version"] is None and user["pseudonym"]
    (escalation,) = written["escalations"]
    assert (escalation["reason"], escalation["categories"]) == (
        "signal",
        "level:2,suicidal_ideation",
    )
    assert escalation["citizen_id"] == user["id"]
    assert escalation["note"] is escalation["request_id"] is escalation["contact_id"] is None
    # The coordinator's alert is the only message kept for sending.
    assert [(row["chat_id"], row["purpose"]) for row in written["outbox"]] == [
        (COORDINATOR, "escalation")
    ]
    # Message ids and times (never text) of the chat, for /forget, as after "I need help now".
    own = [row for row in written["recent_messages"] if row["chat_id"] == 1001]
    assert own and all(set(row) == {"chat_id", "message_id", "sent_at", "from_bot"} for row in own)
    assert {row["chat_id"] for row in written["recent_messages"]} == {1001, COORDINATOR}
    assert all(CRISIS_DA not in str(row) for table in written.values() for row in table)
    answer = citizen.texts[-1]
    assert "vores koordinatorer har fået besked" in answer and "112" in answer
    assert "opdigtet navn til dig, denne chat og dit sprog" in answer  # told what was stored
    assert "ikke det, du skrev" in answer


async def test_ordinary_words_outside_a_contact_raise_nothing(harness: Harness) -> None:
    h = harness
    await coordinator(h)
    await make_peer(h, 2001, "Maja")
    citizen = await newcomer(h)
    citizen.send_text("this homework is killing me")
    citizen.send_photo(caption="I'm dying to see the new film")
    await h.settle()
    assert await h.rt.storage.fetchall("SELECT 1 FROM escalations") == []
    assert await h.rt.storage.fetchone("SELECT 1 FROM users WHERE telegram_id = 1001") is None


async def test_a_peer_s_words_are_not_a_citizen_s_signal(harness: Harness) -> None:
    h = harness
    await coordinator(h)
    peer, citizen = await in_contact(h)
    peer.send_text("I once wanted to kill myself too, and it got better")
    await h.settle()
    assert any(
        t.endswith("\nI once wanted to kill myself too, and it got better") for t in citizen.texts
    )
    assert await h.rt.storage.fetchall("SELECT 1 FROM escalations") == []


async def test_the_detector_runs_once_per_message(harness: Harness) -> None:
    h = harness
    await coordinator(h)
    peer, citizen = await in_contact(h)
    detector = h.rt.detector
    assert detector is not None
    checked: list[str] = []
    original = detector.check

    def counting(text: str) -> Any:
        checked.append(text)
        return original(text)

    detector.check = counting  # type: ignore[method-assign]
    citizen.send_text("hello, how are you?")
    citizen.send_text(CRISIS)
    peer.send_text("I am here")
    await h.settle()
    assert sorted(checked) == sorted(["hello, how are you?", CRISIS, "I am here"])


def test_crisis_words_are_checked_in_a_group_before_every_dialogue(tmp_path: Path) -> None:
    """PTB tries groups in order and one handler per group: a handler in an earlier group than
    every ConversationHandler sees each message before any dialogue state or catch-all can."""
    application = build_application(make_config(tmp_path))
    groups = {
        group
        for group, handlers in application.handlers.items()
        for handler in handlers
        if getattr(handler, "callback", None) is crisis.crisis_words
    }
    dialogues = {
        group
        for group, handlers in application.handlers.items()
        for handler in handlers
        if isinstance(handler, ConversationHandler)
    }
    assert len(groups) == 1 and dialogues and max(groups) < min(dialogues)


@pytest.mark.parametrize("situation", ["waiting for a peer", "in a contact with a peer"])
async def test_crisis_words_added_by_editing_a_message_are_answered_and_escalated(
    harness: Harness, situation: str
) -> None:
    h = harness
    await coordinator(h)
    citizen = await SITUATIONS[situation](h)
    sent = citizen.send_text("I am so tired of everything today")
    await h.settle()
    peer_texts = [len(person.texts) for person in h.users.values()]
    before_alerts, before_texts = len(alerts(h)), len(citizen.texts)
    citizen.edit_text(sent["message_id"], CRISIS)
    await h.settle()
    answers = [t for t in citizen.texts[before_texts:] if ANSWER in t]
    assert len(answers) == 1 and "112" in answers[0]
    new_alerts = alerts(h)[before_alerts:]
    assert len(new_alerts) == 1 and ALERT_WHY in new_alerts[0]
    # Edits are never passed on: nobody else got the words, and no peer a note about them.
    for person, count in zip(h.users.values(), peer_texts, strict=True):
        if person is not citizen:
            assert not any(CRISIS in t for t in person.texts[count:])
            assert not any("may mean they are thinking" in t for t in person.texts[count:])
