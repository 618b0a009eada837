"""The WHO-5 questionnaire without Telegram: offered once at the request and after 4 and 8 weeks
(not at night, not after a crisis, not twice within two weeks), scored 0-100, each band with
its own words, and a coordinator told only when a citizen with a low score asks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import FakeClock
from bot.runtime import Runtime
from bot.services import wellbeing
from bot.services.crisis import escalation
from bot.storage.users import User
from bot.storage.wellbeing import Occasion, Wellbeing, WellbeingStatus
from tests.helpers.harness import COORDINATOR
from tests.services import given

LOW = "Your answers suggest the last two weeks have been hard."
REDUCED = "Your answers suggest the last two weeks have been heavier than usual."


async def offered(rt: Runtime, user: User) -> int:
    request = await given.request(rt, user)
    found = await wellbeing.offer_at_intake(rt, user, request.id, rt.translator("en"))
    assert found is not None
    return found


async def answered(rt: Runtime, user: User, answers: tuple[int, ...]) -> Wellbeing:
    item_id = await offered(rt, user)
    item = None
    for number, value in enumerate(answers):
        item = await wellbeing.answer(rt, user, item_id, number, value)
        assert item is not None
    assert item is not None and item.status is WellbeingStatus.ANSWERED
    return item


def test_the_score_is_the_raw_sum_times_four() -> None:
    assert wellbeing.score((5, 5, 5, 5, 5)) == 100
    assert wellbeing.score((0, 0, 0, 0, 0)) == 0
    assert wellbeing.score((3, 2, 1, 0, 1)) == 28


async def test_each_band_has_its_own_words(rt: Runtime) -> None:
    t = rt.translator("en")
    for number, (answers, score, words) in enumerate(
        [
            ((2, 2, 1, 1, 1), 28, LOW),  # the cut-off for likely depression is included
            ((2, 2, 2, 1, 1), 32, REDUCED),
            ((3, 3, 3, 2, 2), 52, None),
        ]
    ):
        item = await answered(rt, await given.citizen(rt, 5100 + number), answers)
        assert item.score == score
        text = wellbeing.result_text(t, item)
        assert text.startswith(f"Thank you. Your score is {score} of 100.")
        assert (LOW in text) == (words == LOW)
        assert (REDUCED in text) == (words == REDUCED)


async def test_answers_must_come_in_order_from_the_citizen_themselves(rt: Runtime) -> None:
    user = await given.citizen(rt)
    other = await given.citizen(rt, 5999)
    item_id = await offered(rt, user)
    assert await wellbeing.answer(rt, user, item_id, 1, 3) is None  # item 2 before item 1
    assert await wellbeing.answer(rt, user, item_id, 0, 6) is None  # off the scale
    assert await wellbeing.answer(rt, other, item_id, 0, 3) is None  # not theirs
    first = await wellbeing.answer(rt, user, item_id, 0, 3)
    assert first is not None and first.answers == (3,) and first.score is None
    assert await wellbeing.answer(rt, user, item_id, 0, 4) is None  # the same item twice


async def test_offered_at_the_request_once_in_two_weeks_and_never_after_a_crisis(
    rt: Runtime, clock: FakeClock
) -> None:
    user = await given.citizen(rt)
    before = await given.mark(rt)
    item_id = await offered(rt, user)
    sent = await given.since(rt, before)
    assert [chat for chat, _ in sent] == [user.telegram_id]
    assert sent[0][1].startswith("While you wait, would you like to answer five short questions")
    assert await wellbeing.skip(rt, user, item_id)

    clock.advance(timedelta(days=13))
    second = await given.citizen(rt, 5002)
    request = await given.request(rt, second)
    await escalation.raise_escalation(
        rt, reason=escalation.Reason.SIGNAL, citizen_id=second.id, request_id=request.id
    )
    assert await wellbeing.offer_at_intake(rt, second, request.id, rt.translator("en")) is None


async def test_follow_ups_after_four_and_eight_weeks_of_contact_not_at_night(
    rt: Runtime, clock: FakeClock
) -> None:
    contact = await given.pair(rt)
    before = await given.mark(rt)
    clock.advance(timedelta(weeks=4) - timedelta(minutes=1))
    assert await wellbeing.offer_follow_ups(rt) == 0
    clock.set(datetime(2026, 3, 30, 21, 0, tzinfo=UTC))  # 23:00 in Copenhagen: quiet hours
    assert await wellbeing.offer_follow_ups(rt) == 0
    clock.set(datetime(2026, 3, 31, 7, 0, tzinfo=UTC))  # 09:00
    assert await wellbeing.offer_follow_ups(rt) == 1
    assert await wellbeing.offer_follow_ups(rt) == 0
    clock.advance(timedelta(weeks=4))
    assert await wellbeing.offer_follow_ups(rt) == 1
    sent = await given.since(rt, before)
    assert [chat for chat, _ in sent] == [contact.citizen_chat] * 2
    assert all(
        text.startswith("You have been in contact with a peer for a while") for _, text in sent
    )


async def test_after_downtime_only_the_eight_week_questionnaire_is_offered(
    rt: Runtime, clock: FakeClock
) -> None:
    await given.pair(rt)
    clock.advance(timedelta(weeks=8, hours=1))
    assert await wellbeing.offer_follow_ups(rt) == 1
    (occasion,) = await rt.storage.fetchone("SELECT occasion FROM wellbeing")
    assert occasion == Occasion.WEEK8.value


async def test_an_unanswered_questionnaire_closes_after_two_weeks_and_forgets_half_answers(
    rt: Runtime, clock: FakeClock
) -> None:
    user = await given.citizen(rt)
    item_id = await offered(rt, user)
    assert await wellbeing.answer(rt, user, item_id, 0, 3) is not None
    clock.advance(wellbeing.ANSWERABLE_FOR - timedelta(minutes=1))
    assert not await wellbeing.closed_for(rt, user, item_id)
    clock.advance(timedelta(minutes=1))
    assert await wellbeing.closed_for(rt, user, item_id)
    assert await wellbeing.closed_for(rt, user, item_id)  # and stays closed
    item = await wellbeing.own(rt, user, item_id)
    assert item is not None and item.answers == () and item.score is None


async def test_only_a_low_score_may_ask_for_a_coordinator_who_is_told_once(
    rt: Runtime,
) -> None:
    await given.coordinators_in_english(rt)
    fine = await given.citizen(rt, 5001)
    item = await answered(rt, fine, (3, 3, 3, 3, 3))
    assert not await wellbeing.ask_for_conversation(rt, fine, item.id)

    low = await given.citizen(rt, 5002)
    item = await answered(rt, low, (1, 1, 1, 1, 1))
    before = await given.mark(rt)
    assert await wellbeing.ask_for_conversation(rt, low, item.id)
    assert not await wellbeing.ask_for_conversation(rt, low, item.id)
    sent = await given.since(rt, before)
    assert [chat for chat, _ in sent] == [COORDINATOR]
    assert "would like a conversation with a coordinator" in sent[0][1]
    assert "This is not an urgent alert" in sent[0][1]
