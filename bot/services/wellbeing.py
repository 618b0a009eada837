"""WHO-5 Well-Being Index: offered, never required, at the request and after 4 and 8 weeks.

Five items about the last two weeks, each answered 0-5; the raw score (0-25) times 4 gives
0-100. The questionnaire is offered once the request is waiting (never inside intake, which
stays under a minute) and again through the sweeper after 4 and 8 weeks of contact; the
offering row and its message commit together, so a restart neither loses nor repeats it.
"Skip" ends it for that occasion and nothing reminds.

The result is explained (higher is better; a snapshot of two weeks, not a diagnosis) and each
low band gets its own guiding sentence: 50 or less is the cut-off the WHO-5 literature uses for
reduced wellbeing worth talking about, 28 or less the one for likely depression, where a
conversation with a coordinator is offered, gently and only if the citizen presses for it.
Sources and the exact wording of the credit are in docs/wellbeing.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.delivery import notices
from bot.i18n import N_, Translator
from bot.runtime import Runtime
from bot.services import intake
from bot.services.checkins import in_quiet_hours, local_now
from bot.services.coordinators import coordinator_translator, on_duty_chats
from bot.services.crisis import escalation
from bot.storage import contacts as contact_store
from bot.storage import users as user_store
from bot.storage import wellbeing as wellbeing_store
from bot.storage.contacts import Contact
from bot.storage.outbox import Priority
from bot.storage.users import User
from bot.storage.wellbeing import Occasion, Wellbeing, WellbeingStatus

ITEMS = (
    N_("I have felt cheerful and in good spirits"),
    N_("I have felt calm and relaxed"),
    N_("I have felt active and vigorous"),
    N_("I woke up feeling fresh and rested"),
    N_("My daily life has been filled with things that interest me"),
)
SCALE = (
    (5, N_("All of the time")),
    (4, N_("Most of the time")),
    (3, N_("More than half of the time")),
    (2, N_("Less than half of the time")),
    (1, N_("Some of the time")),
    (0, N_("At no time")),
)
LOW_SCORE = 28  # or less: likely depression (docs/wellbeing.md)
REDUCED_SCORE = 50  # or less: reduced wellbeing (docs/wellbeing.md)
FOLLOW_UPS = ((Occasion.WEEK4, timedelta(weeks=4)), (Occasion.WEEK8, timedelta(weeks=8)))
# Not offered again at a new request within the questionnaire's own two-week timeframe.
QUIET_PERIOD = timedelta(days=14)
# An unanswered questionnaire closes after this long, or when the next occasion is offered, so
# that late answers cannot stand for another time (the intake score is the baseline).
ANSWERABLE_FOR = timedelta(days=14)
PURPOSE = "wellbeing"


def score(answers: tuple[int, ...]) -> int:
    """The WHO-5 percentage score: raw sum 0-25 times 4."""
    return sum(answers) * 4


# Rendering -------------------------------------------------------------------------------------


def offer_notice(t: Translator, wellbeing_id: int, occasion: Occasion) -> notices.Notice:
    intro = (
        t._(
            "While you wait, would you like to answer five short questions about how you have been?"
        )
        if occasion is Occasion.INTAKE
        else t._(
            "You have been in contact with a peer for a while now. Would you like to answer the "
            "five short questions about how you have been once more?"
        )
    )
    text = "\n\n".join(
        [
            intro,
            t._(
                "It is completely optional and changes nothing about your contact. Your answers "
                "help us show whether peer support helps; coordinators only see figures for "
                "many people together. You can see your own scores with /wellbeing, and /delete "
                "removes them."
            ),
        ]
    )
    return notices.Notice(
        text,
        (
            ((t._("Answer the questions"), f"wb:go:{wellbeing_id}"),),
            ((t._("No thanks"), f"wb:skip:{wellbeing_id}"),),
        ),
    )


def credit(t: Translator) -> str:
    """Where the questions come from, as the questionnaire and /wellbeing say it."""
    return t._(
        "The questions are the WHO-5 Well-Being Index, developed at Psychiatric Centre North "
        "Zealand (Psykiatrisk Center Nordsjælland)."
    )


def explanation(t: Translator) -> str:
    return t._(
        "The score goes from 0 to 100: higher means you have been feeling better. It is a "
        "snapshot of the last two weeks, not a diagnosis."
    )


def question(t: Translator, item: Wellbeing) -> notices.Notice:
    """The next unanswered item, with the six answers and a way out; the first says the source."""
    number = len(item.answers)
    parts = [
        t._("Question {number} of 5", number=number + 1),
        t._("Over the last two weeks:") + "\n" + t._(ITEMS[number]),
    ]
    if number == 0:
        parts.append(credit(t))
    text = "\n\n".join(parts)
    rows = tuple(((t._(label), f"wb:a:{item.id}:{number}:{value}"),) for value, label in SCALE)
    return notices.Notice(text, (*rows, ((t._("Skip the questions"), f"wb:skip:{item.id}"),)))


def result_text(t: Translator, item: Wellbeing) -> str:
    assert item.score is not None
    lines = [
        t._("Thank you. Your score is {score} of 100.", score=item.score),
        explanation(t),
    ]
    if low(item):
        lines.append(
            t._(
                "Your answers suggest the last two weeks have been hard. If you would like, one "
                "of our coordinators can have a conversation with you as well. It is entirely "
                "up to you. If it has felt like this for a while, your own doctor can help too."
            )
        )
    elif reduced(item):
        lines.append(
            t._(
                "Your answers suggest the last two weeks have been heavier than usual. It can "
                "help to talk about it, with your peer or someone close to you. If it goes on "
                "for a while, your own doctor can help too."
            )
        )
    lines.append(t._("You can see your scores over time with /wellbeing."))
    return "\n\n".join(lines)


def low(item: Wellbeing) -> bool:
    """At or below the cut-off for likely depression: a coordinator is offered."""
    return item.score is not None and item.score <= LOW_SCORE


def reduced(item: Wellbeing) -> bool:
    """At or below the cut-off for reduced wellbeing (the lowest band included)."""
    return item.score is not None and item.score <= REDUCED_SCORE


OCCASION_LABELS = {
    Occasion.INTAKE: N_("when you asked for a peer"),
    Occasion.WEEK4: N_("after 4 weeks"),
    Occasion.WEEK8: N_("after 8 weeks"),
}


def history_text(t: Translator, items: list[Wellbeing]) -> str:
    if not items:
        return t._(
            "You have not answered the wellbeing questions yet. They are offered when you ask "
            "for a peer and after 4 and 8 weeks of contact."
        )
    lines = [t._("Your wellbeing scores (WHO-5, 0-100; higher is better):")]
    for item in items:
        assert item.answered_at is not None
        lines.append(
            t._(
                "{date}: {score} ({occasion})",
                date=t.date(item.answered_at),
                score=item.score,
                occasion=t._(OCCASION_LABELS[item.occasion]),
            )
        )
    if len(items) >= 2:
        change = (items[-1].score or 0) - (items[0].score or 0)
        signed = f"+{change}" if change > 0 else str(change)
        lines.append(t._("Change since the first time: {change}", change=signed))
    return "\n".join(lines) + "\n\n" + explanation(t) + "\n" + credit(t)


# Offering --------------------------------------------------------------------------------------


async def offer_at_intake(rt: Runtime, citizen: User, request_id: int, t: Translator) -> int | None:
    """The questionnaire right after a request was sent: its row and its message (through the
    outbox, bulk) in one transaction, so a crash loses neither. None when it is better not to
    ask now (no consent, a crisis was raised, or asked recently)."""
    if not intake.has_consent(citizen, rt.config):
        return None
    now = rt.now()
    async with rt.storage.transaction() as tx:
        if await wellbeing_store.request_escalated(tx, request_id):
            return None
        if await wellbeing_store.recent_for(tx, citizen.id, now - QUIET_PERIOD):
            return None
        wellbeing_id = await wellbeing_store.offer(tx, citizen.id, request_id, Occasion.INTAKE, now)
        if wellbeing_id is None:
            return None
        await notices.send(
            tx,
            citizen.telegram_id,
            offer_notice(t, wellbeing_id, Occasion.INTAKE),
            purpose=PURPOSE,
            now=now,
            priority=Priority.BULK,
            ref_id=wellbeing_id,
        )
    rt.wake_delivery()
    return wellbeing_id


async def offer_follow_ups(rt: Runtime) -> int:
    """Offer the 4- and 8-week questionnaires that have become due (not at night).

    An 8-week contact whose 4-week offer never went out (the bot was down) gets only the
    8-week one: nobody receives two at once.
    """
    now = rt.now()
    if in_quiet_hours(local_now(now, rt.config.timezone).time(), rt.config):
        return 0
    offered = 0
    far_past = datetime(2000, 1, 1, tzinfo=UTC)
    windows = (
        (Occasion.WEEK4, now - timedelta(weeks=4), now - timedelta(weeks=8)),
        (Occasion.WEEK8, now - timedelta(weeks=8), far_past),
    )
    for occasion, before, after in windows:
        for citizen_id, request_id in await wellbeing_store.follow_ups_due(
            rt.storage, occasion, before, after, intake.consent_version(rt.config)
        ):
            offered += await _offer_follow_up(rt, citizen_id, request_id, occasion, now)
    if offered:
        rt.wake_delivery()
    return offered


async def _offer_follow_up(
    rt: Runtime, citizen_id: int, request_id: int, occasion: Occasion, now: datetime
) -> int:
    async with rt.storage.transaction() as tx:
        citizen = await user_store.by_id(tx, citizen_id)
        if citizen is None or citizen.unreachable or not intake.has_consent(citizen, rt.config):
            return 0
        wellbeing_id = await wellbeing_store.offer(tx, citizen_id, request_id, occasion, now)
        if wellbeing_id is None:
            return 0
        await wellbeing_store.close_earlier(tx, request_id, now)
        t = rt.translator(citizen.language)
        await notices.send(
            tx,
            citizen.telegram_id,
            offer_notice(t, wellbeing_id, occasion),
            purpose=PURPOSE,
            now=now,
            priority=Priority.BULK,
            ref_id=wellbeing_id,
        )
    return 1


# Answering -------------------------------------------------------------------------------------


async def own(rt: Runtime, citizen: User | None, wellbeing_id: int) -> Wellbeing | None:
    """The citizen's own questionnaire, or None (callback data is untrusted)."""
    if citizen is None:
        return None
    item = await wellbeing_store.by_id(rt.storage, wellbeing_id)
    return item if item is not None and item.citizen_id == citizen.id else None


def open_for_answers(item: Wellbeing | None) -> bool:
    return item is not None and item.status in (WellbeingStatus.OFFERED, WellbeingStatus.ANSWERING)


async def closed_for(rt: Runtime, citizen: User | None, wellbeing_id: int) -> bool:
    """True for the citizen's own unanswered questionnaire that has closed (14 days, or the
    next occasion was offered); any half-given answers are forgotten then."""
    item = await own(rt, citizen, wellbeing_id)
    if item is None or not open_for_answers(item):
        return False
    expired = rt.now() - item.offered_at >= ANSWERABLE_FOR
    if not expired and not await wellbeing_store.superseded(rt.storage, item):
        return False
    async with rt.storage.transaction() as tx:
        await wellbeing_store.close_open(tx, item.id)
    return True


async def answer(
    rt: Runtime, citizen: User | None, wellbeing_id: int, number: int, value: int
) -> Wellbeing | None:
    """Store the answer to item `number`; the fifth completes the score. None if stale."""
    item = await own(rt, citizen, wellbeing_id)
    if (
        item is None
        or not open_for_answers(item)
        or number != len(item.answers)
        or value not in range(6)
    ):
        return None
    answers = (*item.answers, value)
    async with rt.storage.transaction() as tx:
        if not await wellbeing_store.add_answer(tx, item.id, item.answers, value):
            return None
        if len(answers) == len(ITEMS):
            await wellbeing_store.finish(tx, item.id, score(answers), rt.now())
        updated = await wellbeing_store.by_id(tx, item.id)
    return updated


async def skip(rt: Runtime, citizen: User | None, wellbeing_id: int) -> bool:
    item = await own(rt, citizen, wellbeing_id)
    if item is None:
        return False
    async with rt.storage.transaction() as tx:
        return await wellbeing_store.skip(tx, item.id)


async def history(rt: Runtime, citizen: User | None) -> list[Wellbeing]:
    if citizen is None:
        return []
    return await wellbeing_store.answered_for(rt.storage, citizen.id)


@dataclass(frozen=True)
class TalkResult:
    """A coordinator's press of "Write to them": the conversation, or why not."""

    contact: Contact | None
    taken_by_other: bool = False


async def take_conversation(
    rt: Runtime, wellbeing_id: int, coordinator_telegram_id: int, language: str
) -> TalkResult:
    """The first press owns the citizen's wish to talk and opens the conversation in the same
    transaction. Later presses change nothing: another coordinator is told it is taken; the
    same coordinator gets their conversation back while it is active, else nothing (stale)."""
    async with rt.storage.transaction() as tx:
        item = await wellbeing_store.by_id(tx, wellbeing_id)
        if item is None or item.talk_asked_at is None:
            return TalkResult(None)
        if item.talk_taken_by is not None:
            if item.talk_taken_by != coordinator_telegram_id:
                return TalkResult(None, taken_by_other=True)
            if item.talk_contact_id is None:
                return TalkResult(None)
            contact = await contact_store.contact(tx, item.talk_contact_id)
            return TalkResult(contact if contact is not None and contact.active else None)
        if not await wellbeing_store.take_talk(tx, item.id, coordinator_telegram_id):
            return TalkResult(None, taken_by_other=True)
        contact = await escalation.talk_with_citizen_in(
            rt,
            tx,
            item.citizen_id,
            item.request_id,
            coordinator_telegram_id,
            language,
            audit_target=f"wellbeing:{item.id}",
        )
        if contact is None:  # the citizen is gone (then so is this row, by cascade)
            return TalkResult(None)
        await wellbeing_store.set_talk_contact(tx, item.id, contact.id)
    rt.wake_delivery()
    return TalkResult(contact)


async def ask_for_conversation(rt: Runtime, citizen: User | None, wellbeing_id: int) -> bool:
    """The citizen asked to talk with a coordinator after a low score: coordinators are told
    through the outbox (not as an alarm), once."""
    item = await own(rt, citizen, wellbeing_id)
    if item is None or citizen is None or not low(item):
        return False
    now = rt.now()
    async with rt.storage.transaction() as tx:
        if not await wellbeing_store.ask_talk(tx, item.id, now):
            return False
        for chat_id in await on_duty_chats(rt, tx):
            t = await coordinator_translator(rt, tx, chat_id)
            notice = notices.Notice(
                t._(
                    "{name} would like a conversation with a coordinator. They asked after "
                    "answering the wellbeing questions. This is not an urgent alert; please "
                    "write to them when you can.",
                    name=citizen.pseudonym or "-",
                ),
                (((t._("Write to them"), f"wbc:talk:{item.id}"),),),
            )
            await notices.send(
                tx, chat_id, notice, purpose="wellbeing-talk", now=now, ref_id=item.id
            )
    rt.wake_delivery()
    return True
