"""WHO-5 through the real Application: offered after the request, optional, followed up after
4 and 8 weeks of contact (across restarts), shown to the citizen, erased with /delete."""

import json
from dataclasses import replace
from datetime import time, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.fakebot import FakeTelegram, FakeUser
from bot.fakebot.core import Fault
from bot.services import privacy, wellbeing
from bot.storage import users as user_store
from tests.helpers.flows import (
    ADULT,
    INTAKE_ANSWERS,
    ask_for_peer,
    coordinator,
    in_contact,
    make_peer,
    press,
)
from tests.helpers.harness import BACKUP_COORDINATOR, COORDINATOR, Harness, make_config
from tests.journeys.test_discretion import first_lines, revealing, speak
from tests.journeys.test_privacy import scan_for

SCALE = (
    "All of the time",
    "Most of the time",
    "More than half of the time",
    "Less than half of the time",
    "Some of the time",
    "At no time",
)


def offers(h: Harness, user: FakeUser) -> list[str]:
    """Questionnaire offers sent to `user` (counted as sent: answering edits them)."""
    return [
        c.params["text"]
        for c in h.fake.calls
        if c.ok
        and c.method == "sendMessage"
        and c.params.get("chat_id") == user.id
        and "five short questions" in c.params["text"]
    ]


def questionnaire(user: FakeUser) -> str:
    """The text of the newest message that carries (or carried) the questionnaire."""
    for message in reversed(user.messages):
        text = message.get("text", "")
        if "Question" in text or "Your score is" in text or "five short questions" in text:
            return text
    return ""


async def answer_all(h: Harness, user: FakeUser, *labels: str) -> None:
    await press(h, user, "Answer the questions")
    for number, label in enumerate(labels, start=1):
        assert f"Question {number} of 5" in questionnaire(user)
        await press(h, user, label)


async def rows(h: Harness) -> list[tuple[str, str, str, int | None]]:
    found = await h.rt.storage.fetchall(
        "SELECT occasion, status, answers, score FROM wellbeing ORDER BY id"
    )
    return [(r[0], r[1], r[2], r[3]) for r in found]


async def test_offered_after_the_request_answered_and_shown_over_time(harness: Harness) -> None:
    h = harness
    await make_peer(h, 2001, "Maja")
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen)
    assert offers(h, citizen), "offered once the request is waiting"
    sent = [t for t in citizen.texts if t.startswith("Your request has been sent")]
    assert sent and citizen.texts.index(sent[0]) < len(citizen.texts) - 1
    # Over the last two weeks: 3+3+2+2+1 = 11, times 4 = 44.
    await answer_all(
        h,
        citizen,
        "More than half of the time",
        "More than half of the time",
        "Less than half of the time",
        "Less than half of the time",
        "Some of the time",
    )
    assert "Your score is 44 of 100" in questionnaire(citizen)
    assert "coordinator" not in questionnaire(citizen)
    assert await rows(h) == [("intake", "answered", "3,3,2,2,1", 44)]
    citizen.send_text("/wellbeing")
    await h.settle()
    assert "March 2, 2026: 44 (when you asked for a peer)" in citizen.texts[-1]
    user = await user_store.by_telegram_id(h.rt.storage, 1001)
    assert user is not None
    data = json.loads((await privacy.copy_of_data(h.rt, user)).document)
    assert data["wellbeing"][0]["score"] == 44


async def test_the_offer_goes_through_the_outbox_and_survives_a_failed_send(
    harness: Harness,
) -> None:
    h = harness
    await make_peer(h, 2001, "Maja")
    citizen = h.user(1001, language="en")
    citizen.send_text("/start")
    await h.settle()
    await press(h, citizen, "Talk to a peer", ADULT, "I agree", *INTAKE_ANSWERS, "Skip")
    h.fake.inject(Fault.server_error(), method="sendMessage", chat_id=citizen.id, times=2)
    citizen.press_button("Send request")
    await h.settle()
    h.fake.clear_faults()
    await h.tick(timedelta(minutes=5))
    assert len(offers(h, citizen)) == 1
    row = await h.rt.storage.fetchone(
        "SELECT priority, status FROM outbox WHERE purpose = 'wellbeing'"
    )
    assert row is not None and tuple(row) == (2, "sent")  # bulk: urgent rows go first


async def test_danish_questions_use_the_official_wording(harness: Harness) -> None:
    h = harness
    await make_peer(h, 2001, "Maja")
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen)
    await answer_all(h, citizen, "All of the time", "More than half of the time")
    user = await user_store.by_telegram_id(h.rt.storage, 1001)
    item = await wellbeing.own(h.rt, user, 1)
    assert item is not None and item.answers == (5, 3)
    text = wellbeing.question(h.rt.translator("da"), item)
    assert "I de sidste 2 uger" in text.text
    assert "har jeg følt mig aktiv og energisk" in text.text
    labels = [label for row in text.buttons for label, _ in row]
    assert labels[:6] == [
        "Hele tiden",
        "Det meste af tiden",
        "Lidt mere end halvdelen af tiden",
        "Lidt mindre end halvdelen af tiden",
        "Lidt af tiden",
        "På intet tidspunkt",
    ]
    first = wellbeing.question(h.rt.translator("da"), replace(item, answers=()))
    assert "har jeg været glad og i godt humør" in first.text


async def test_skip_forgets_and_never_nags(harness: Harness) -> None:
    h = harness
    await make_peer(h, 2001, "Maja")
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen)
    await answer_all(h, citizen, "All of the time")  # one answer, then changes their mind
    await press(h, citizen, "Skip the questions")
    assert "I will not ask again this time" in citizen.texts[-1]
    assert await rows(h) == [("intake", "skipped", "", None)]
    await h.tick(timedelta(days=3))
    assert len(offers(h, citizen)) == 1
    citizen.send_text("/wellbeing")
    await h.settle()
    assert "have not answered the wellbeing questions yet" in citizen.texts[-1]


async def test_not_offered_after_a_crisis_in_the_note(harness: Harness) -> None:
    h = harness
    await coordinator(h)
    await make_peer(h, 2001, "Maja")
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen, note="I want to die")
    assert offers(h, citizen) == []


async def test_follow_ups_after_4_and_8_weeks_survive_a_restart_and_fire_once(
    harness: Harness,
) -> None:
    h = harness
    _peer, citizen = await in_contact(h)
    await press(h, citizen, "No thanks")
    await h.tick(timedelta(days=27))
    assert len(offers(h, citizen)) == 1
    await h.stop()
    h.clock.advance(timedelta(days=1, hours=1))
    await h.start()
    await h.tick()
    assert len(offers(h, citizen)) == 2
    assert "in contact with a peer for a while" in offers(h, citizen)[-1]
    await h.restart()
    await h.tick(timedelta(hours=1))
    assert len(offers(h, citizen)) == 2
    await answer_all(h, citizen, *["Most of the time"] * 5)
    assert "Your score is 80 of 100" in questionnaire(citizen)
    await h.tick(timedelta(weeks=4))
    assert len(offers(h, citizen)) == 3
    await h.tick(timedelta(days=1))
    assert len(offers(h, citizen)) == 3
    assert [r[0] for r in await rows(h)] == ["intake", "week4", "week8"]


async def test_a_handover_does_not_restart_the_follow_up_clock(harness: Harness) -> None:
    h = harness
    coco = await coordinator(h)
    maja = await make_peer(h, 2001, "Maja", capacity=1)
    ole = await make_peer(h, 2002, "Ole", capacity=1)
    citizen = h.user(1001, "Ada", "en")
    await ask_for_peer(h, citizen)
    await press(h, citizen, "No thanks")
    await press(h, maja, "Accept")
    await h.tick(timedelta(days=14))
    coco.send_text("/queue active")
    await h.settle()
    await press(h, coco, "Open #1", "Hand to another peer", "Ole ·")
    await press(h, ole, "Accept")
    assert "Ole has said yes" in citizen.texts[-1]
    await h.tick(timedelta(days=13, hours=23))
    assert len(offers(h, citizen)) == 1
    await h.tick(timedelta(hours=2))  # four weeks after the first contact, with Maja
    assert len(offers(h, citizen)) == 2
    assert [r[0] for r in await rows(h)] == ["intake", "week4"]


async def test_follow_up_waits_for_the_end_of_quiet_hours(
    tmp_path: Path, fake: FakeTelegram, clock: FakeClock
) -> None:
    config = make_config(tmp_path, quiet_start=time(10, 30), quiet_end=time(12, 0))
    h = Harness(config, fake, clock)
    await h.start()
    try:
        _peer, citizen = await in_contact(h)  # 10:00 local on 2 March
        await press(h, citizen, "No thanks")
        await h.tick(timedelta(weeks=4, minutes=1))  # 11:01 (summer time by then): quiet
        assert len(offers(h, citizen)) == 1
        await h.tick(timedelta(hours=1))  # 12:01
        assert len(offers(h, citizen)) == 2
    finally:
        await h.stop()


async def test_low_score_offers_a_coordinator_gently_and_only_on_request(
    harness: Harness,
) -> None:
    h = harness
    coco = await coordinator(h)
    _peer, citizen = await in_contact(h)
    before = len(coco.texts)
    await answer_all(
        h,
        citizen,
        "Some of the time",
        "Some of the time",
        "At no time",
        "Less than half of the time",
        "Some of the time",
    )  # 1+1+0+2+1 = 5, times 4 = 20
    assert "Your score is 20 of 100" in questionnaire(citizen)
    assert "one of our coordinators can have a conversation with you" in questionnaire(citizen)
    assert len(coco.texts) == before, "no automatic alarm"
    result = next(m for m in citizen.messages if "Your score is" in m.get("text", ""))
    await press(h, citizen, "I'd like to talk with a coordinator")
    edited = citizen.message(result["message_id"])
    assert edited is not None and "I have told our coordinators" in edited["text"]
    assert "would like a conversation with a coordinator" in coco.texts[-1]
    assert "not an urgent alert" in coco.texts[-1]
    # A second press of the same (now replaced) button tells nobody twice.
    message_id = citizen.last_message["message_id"]
    wellbeing_id = (await h.rt.storage.fetchone("SELECT id FROM wellbeing"))[0]
    citizen.press(message_id, f"wb:talk:{wellbeing_id}", forge=True)
    await h.settle()
    assert sum("would like a conversation" in t for t in coco.texts) == 1
    await press(h, coco, "Write to them")
    assert "You are now writing with" in coco.texts[-1]
    assert "(coordinator) from our team is here" in citizen.texts[-1]


async def test_write_to_them_is_owned_by_the_first_press_and_goes_stale(
    harness: Harness,
) -> None:
    h = harness
    coco = await coordinator(h)
    backup = await coordinator(h, BACKUP_COORDINATOR, "Bo")
    _peer, citizen = await in_contact(h)
    await answer_all(h, citizen, *["At no time"] * 5)  # 0 of 100
    await press(h, citizen, "I'd like to talk with a coordinator")
    wellbeing_id = (await h.rt.storage.fetchone("SELECT id FROM wellbeing"))[0]
    greeting = "(coordinator) from our team is here"

    def greetings() -> int:
        return sum(greeting in t for t in citizen.texts)

    notice = next(m for m in coco.messages if "would like a conversation" in m.get("text", ""))
    await press(h, coco, "Write to them")
    assert "You are now writing with" in coco.texts[-1] and greetings() == 1
    # A second coordinator (or a forwarded button) cannot open another conversation.
    backup.press(backup.last_message["message_id"], f"wbc:talk:{wellbeing_id}", forge=True)
    await h.settle()
    assert h.fake.calls_to("answerCallbackQuery")[-1].params.get("text") == (
        "Another coordinator has already taken this."
    )
    # The same coordinator while the conversation lasts: back to it, nothing new for the citizen.
    coco.press(notice["message_id"], f"wbc:talk:{wellbeing_id}", forge=True)
    await h.settle()
    assert "You are now writing with" in coco.texts[-1] and greetings() == 1
    coco.send_text("/end")
    await h.settle()
    coco.press_button(coco.last_message["reply_markup"]["inline_keyboard"][0][0]["text"])
    await h.settle()
    await press(h, coco, "Yes, end it")
    ended = await h.rt.storage.fetchone(
        "SELECT id, status FROM contacts WHERE kind = 'coordinator'"
    )
    assert ended is not None and ended[1] == "ended"
    # Feedback is about peers: none asked after a coordinator's conversation, none counted.
    assert not any("talk with your peer" in text for text in citizen.texts)
    citizen.press(citizen.last_message["message_id"], f"fb:{ended[0]}:5", forge=True)
    await h.settle()
    assert (await h.rt.storage.fetchone("SELECT COUNT(*) FROM feedback"))[0] == 0
    contacts = (await h.rt.storage.fetchone("SELECT COUNT(*) FROM contacts"))[0]
    coco.press(notice["message_id"], f"wbc:talk:{wellbeing_id}", forge=True)
    await h.settle()
    assert h.fake.calls_to("answerCallbackQuery")[-1].params.get("text") == (
        "That button is no longer valid."
    )
    assert greetings() == 1
    assert (await h.rt.storage.fetchone("SELECT COUNT(*) FROM contacts"))[0] == contacts


CLOSED = "These questions have closed"


async def test_an_unanswered_questionnaire_closes_after_14_days(harness: Harness) -> None:
    h = harness
    await make_peer(h, 2001, "Maja")
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen)
    await answer_all(h, citizen, "All of the time", "At no time")  # two answers, then a pause
    await h.tick(timedelta(days=13, hours=23))
    await press(h, citizen, "Most of the time")  # still open the day before
    assert "Question 4 of 5" in questionnaire(citizen)
    await h.tick(timedelta(hours=1))
    await press(h, citizen, "Most of the time")
    assert any(CLOSED in text for text in citizen.texts)
    assert await rows(h) == [("intake", "offered", "", None)]  # nothing half-given is kept


async def test_a_questionnaire_closes_when_the_next_occasion_is_offered(
    harness: Harness,
) -> None:
    h = harness
    _peer, citizen = await in_contact(h)
    intake_message = next(m for m in citizen.messages if "five short" in m.get("text", ""))
    await h.tick(timedelta(days=28, hours=1))
    assert len(offers(h, citizen)) == 2
    intake_id, week4_id = [
        r[0] for r in await h.rt.storage.fetchall("SELECT id FROM wellbeing ORDER BY id")
    ]
    # The late intake answer must not become the baseline of the 4-week one.
    citizen.press(intake_message["message_id"], f"wb:go:{intake_id}", forge=True)
    await h.settle()
    assert any(CLOSED in text for text in citizen.texts)
    citizen.press(intake_message["message_id"], f"wb:a:{intake_id}:0:5", forge=True)
    await h.settle()
    await answer_all(h, citizen, *["Most of the time"] * 5)
    assert "Your score is 80 of 100" in questionnaire(citizen)
    found = await h.rt.storage.fetchall("SELECT id, status, baseline FROM wellbeing ORDER BY id")
    assert [tuple(r) for r in found] == [(intake_id, "offered", None), (week4_id, "answered", None)]


async def test_a_questionnaire_is_closed_by_a_later_one_even_within_14_days(
    harness: Harness,
) -> None:
    h = harness
    _peer, citizen = await in_contact(h)
    intake_message = next(m for m in citizen.messages if "five short" in m.get("text", ""))
    row = await h.rt.storage.fetchone("SELECT id, request_id, citizen_id FROM wellbeing")
    assert row is not None
    await h.tick(timedelta(days=2))
    async with h.rt.storage.transaction() as tx:  # as after a long outage: week 8 came early
        await tx.execute(
            "INSERT INTO wellbeing (citizen_id, request_id, occasion, offered_at)"
            " VALUES (?, ?, 'week8', ?)",
            (row[2], row[1], h.rt.now().isoformat()),
        )
    citizen.press(intake_message["message_id"], f"wb:go:{row[0]}", forge=True)
    await h.settle()
    assert any(CLOSED in text for text in citizen.texts)


async def test_forged_and_stale_buttons_are_refused(harness: Harness) -> None:
    h = harness
    _peer, citizen = await in_contact(h)
    other = h.user(1002, language="en")
    await ask_for_peer(h, other)
    row = await h.rt.storage.fetchone("SELECT id FROM wellbeing WHERE occasion = 'intake'")
    assert row is not None
    wellbeing_id = row[0]
    message_id = citizen.last_message["message_id"]
    for data in (
        f"wb:a:{wellbeing_id}:1:5",  # out of order
        f"wb:a:{wellbeing_id}:0:9",  # not on the scale
        f"wb:talk:{wellbeing_id}",  # not answered, not low
        "wb:go:abc",
        "wb:a:1:2",
        f"wbc:talk:{wellbeing_id}",  # a citizen pressing the coordinators' button
    ):
        citizen.press(message_id, data, forge=True)
        await h.settle()
        assert h.fake.calls_to("answerCallbackQuery")[-1].params.get("text") == (
            "That button is no longer valid."
        )
    # Someone else's questionnaire.
    other_id = (await h.rt.storage.fetchone("SELECT MAX(id) FROM wellbeing"))[0]
    assert other_id != wellbeing_id
    citizen.press(message_id, f"wb:a:{other_id}:0:5", forge=True)
    await h.settle()
    row = await h.rt.storage.fetchone("SELECT answers FROM wellbeing WHERE id = ?", (other_id,))
    assert row is not None and row[0] == ""
    # Answering the same question twice (a double tap) stores one answer.
    await press(h, citizen, "Answer the questions")
    citizen.press(message_id, f"wb:a:{wellbeing_id}:0:4", forge=True)
    citizen.press(message_id, f"wb:a:{wellbeing_id}:0:4", forge=True)
    await h.settle()
    assert (
        await h.rt.storage.fetchone("SELECT answers FROM wellbeing WHERE id = ?", (wellbeing_id,))
    )[0] == "4"
    assert COORDINATOR not in {c.params.get("chat_id") for c in h.fake.calls[-3:]}


async def test_delete_erases_the_answers(harness: Harness) -> None:
    h = harness
    peer = await make_peer(h, 2001, "Maja")
    citizen = h.user(1007654, language="en")
    await ask_for_peer(h, citizen)
    peer.press_button("Accept")
    await h.settle()
    await answer_all(h, citizen, *["At no time"] * 5)
    user = await user_store.by_telegram_id(h.rt.storage, 1007654)
    assert user is not None and user.pseudonym
    citizen.send_text("/delete")
    await h.settle()
    citizen.press_button("Yes, delete everything")
    await h.settle()
    assert await rows(h) == []
    assert await scan_for(h, [1007654, user.pseudonym]) == []


async def test_no_follow_up_for_a_citizen_marked_unreachable(harness: Harness) -> None:
    h = harness
    _peer, citizen = await in_contact(h)
    await press(h, citizen, "No thanks")
    # As after a send refused with Forbidden while the contact is still open.
    async with h.rt.storage.transaction() as tx:
        await tx.execute(
            "UPDATE users SET unreachable_at = ? WHERE telegram_id = ?",
            (h.clock.now().isoformat(), citizen.id),
        )
    await h.tick(timedelta(weeks=4, hours=1))
    assert len(offers(h, citizen)) == 1
    assert [r[0] for r in await rows(h)] == ["intake"]


async def test_a_danish_follow_up_with_a_low_score_starts_every_message_discreetly(
    harness: Harness,
) -> None:
    h = harness
    await coordinator(h)
    _peer, citizen = await in_contact(h)
    await press(h, citizen, "No thanks")
    await speak(h, citizen, "da")
    await h.tick(timedelta(weeks=4, hours=1))
    assert "Du har været i kontakt med en peer et stykke tid nu" in offers_da(h, citizen)[-1]
    await press(h, citizen, "Svar på spørgsmålene")
    for _ in range(5):
        await press(h, citizen, "På intet tidspunkt")
    result = next(m for m in citizen.messages if "Din score er" in m.get("text", ""))
    assert "Din score er 0 ud af 100." in result["text"]
    assert "en af vores koordinatorer" in result["text"]
    await press(h, citizen, "Jeg vil gerne tale med en koordinator")
    citizen.send_text("/wellbeing")
    await h.settle()
    assert "0 (efter 4 uger)" in citizen.texts[-1]
    assert revealing(first_lines(h, citizen)) == []


def offers_da(h: Harness, user: FakeUser) -> list[str]:
    return [
        c.params["text"]
        for c in h.fake.calls
        if c.ok
        and c.method == "sendMessage"
        and c.params.get("chat_id") == user.id
        and "fem korte spørgsmål" in c.params["text"]
    ]


async def test_the_result_is_explained_and_every_low_band_gets_a_guiding_sentence(
    harness: Harness,
) -> None:
    h = harness
    await make_peer(h, 2001, "Maja", capacity=3)
    explained = "higher means you have been feeling better. It is a snapshot of the last two weeks"
    heavier = "heavier than usual. It can help to talk about it"
    hard = "the last two weeks have been hard"
    # score -> (guiding sentence expected, coordinator offered)
    cases = {
        # 2+2+3+3+3 = 13 -> 52: above both cut-offs
        1001: (("Less than half", "Less than half", "More than half", "More than half",
                "More than half"), 52, None, False),
        # 2+2+2+3+3 = 12 -> 48: reduced wellbeing (50 or less)
        1002: (("Less than half", "Less than half", "Less than half", "More than half",
                "More than half"), 48, heavier, False),
        # 2+2+2+2+1 = 9 -> 36: reduced wellbeing, still above 28
        1003: (("Less than half", "Less than half", "Less than half", "Less than half",
                "Some of"), 36, heavier, False),
        # 1+2+2+1+1 = 7 -> 28: the lowest band (28 or less)
        1004: (("Some of", "Less than half", "Less than half", "Some of", "Some of"), 28, hard,
               True),
    }  # fmt: skip
    for user_id, (answers, expected, guide, offered) in cases.items():
        citizen = h.user(user_id, language="en")
        await ask_for_peer(h, citizen)
        await answer_all(h, citizen, *answers)
        result = next(m for m in citizen.messages if "Your score is" in m.get("text", ""))
        text = result["text"]
        assert f"Your score is {expected} of 100" in text, user_id
        assert explained in text, user_id
        for sentence in (heavier, hard):
            assert (sentence in text) == (sentence == guide), (user_id, sentence)
        labels = [b["text"] for row in result["reply_markup"]["inline_keyboard"] for b in row]
        assert ("I'd like to talk with a coordinator" in labels) == offered, user_id


async def test_the_source_is_credited_in_the_questionnaire_and_in_wellbeing(
    harness: Harness,
) -> None:
    h = harness
    await make_peer(h, 2001, "Maja")
    citizen = h.user(1001, language="en")
    await ask_for_peer(h, citizen)
    await press(h, citizen, "Answer the questions")
    credit = "the WHO-5 Well-Being Index, developed at Psychiatric Centre North Zealand"
    assert "Question 1 of 5" in citizen.texts[-1] and credit in citizen.texts[-1]
    await press(h, citizen, "Most of the time")
    assert "Question 2 of 5" in citizen.texts[-1] and credit not in citizen.texts[-1]
    for _ in range(4):
        await press(h, citizen, "Most of the time")
    assert "not a diagnosis" in citizen.texts[-1]
    citizen.send_text("/wellbeing")
    await h.settle()
    assert credit in citizen.texts[-1] and "not a diagnosis" in citizen.texts[-1]
    # The same in Danish, as a Danish citizen reads it.
    user = await user_store.by_telegram_id(h.rt.storage, 1001)
    da = h.rt.translator("da")
    danish_credit = "WHO-5 Trivselsindeks, udviklet på Psykiatrisk Center Nordsjælland"
    history = wellbeing.history_text(da, await wellbeing.history(h.rt, user))
    assert danish_credit in history and "ikke en diagnose" in history
    item = await wellbeing.own(h.rt, user, 1)
    assert item is not None
    first = wellbeing.question(da, replace(item, answers=()))
    assert danish_credit in first.text
