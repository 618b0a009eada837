"""Escalations: a person may be in crisis and a human coordinator must see it.

Raised in the same transaction as the outbox rows that carry it, so it reaches coordinators even
if the process dies the next instant. Unacknowledged after the configured time it is re-sent,
the citizen who asked for help is told honestly, after the same time again it goes to the
backup coordinators too, and after the same time once more the e-mail alarm goes out.

When no coordinator can be reached at all (nobody on call outside office hours, or Telegram
refused every alert), the citizen is told so at once with the emergency numbers, the backups
are alerted, and the e-mail alarm goes out without waiting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot import metrics
from bot.config import labels
from bot.config.lines import emergency_lines
from bot.delivery import notices
from bot.errors import NotAllowed
from bot.i18n import N_, Translator
from bot.runtime import Runtime
from bot.services import contacts as contact_service
from bot.services import peer_care, pseudonyms, relay
from bot.services.coordinators import (
    coordinator_chats,
    coordinator_translator,
    on_duty_chats,
    reachable_chats,
    tell_coordinators,
)
from bot.services.crisis import alarms
from bot.services.office_hours import is_open, next_opening
from bot.staff import Actor
from bot.storage import Transaction
from bot.storage import audit as audit_store
from bot.storage import contacts as contact_store
from bot.storage import escalations as escalation_store
from bot.storage import outbox as outbox_store
from bot.storage import requests as request_store
from bot.storage import users as user_store
from bot.storage.alarms import Stage
from bot.storage.escalations import Escalation
from bot.storage.outbox import OutboxMessage, Priority
from bot.storage.users import User

log = logging.getLogger(__name__)

PURPOSE = "escalation"


class Reason(StrEnum):
    BUTTON = "button"
    SIGNAL = "signal"
    PEER_CONCERN = "peer_concern"
    UNANSWERED = "unanswered"


# A crisis signal's level (from triage) decides the wording and the order of the queue.
SIGNAL_LEVEL_LABELS = {
    3: N_("mentioned a method or a plan for suicide or self-harm (highest concern)"),
    2: N_("wrote about thoughts of suicide or self-harm"),
    1: N_("wrote words of deep distress"),
}


def signal_level(escalation: Escalation) -> int:
    """0 for escalations without a known level; 1-3 for crisis signals."""
    for category in escalation.categories:
        if category.startswith("level:") and category[6:].isdigit():
            return int(category[6:])
    return 0


# Stored with the reason "unanswered" (the table's CHECK allows no new reason): the person is
# left without an answer; the category says why.
HANDED_BACK = "handed_back"
HANDED_BACK_LABEL = N_(
    "their conversation with a coordinator ended because that person is no longer a coordinator"
)


def why(t: Translator, escalation: Escalation) -> str:
    if HANDED_BACK in escalation.categories:
        return t._(HANDED_BACK_LABEL)
    level = signal_level(escalation)
    if escalation.reason == Reason.SIGNAL and level in SIGNAL_LEVEL_LABELS:
        return t._(SIGNAL_LEVEL_LABELS[level])
    return t._(REASON_LABELS[Reason(escalation.reason)])


REASON_LABELS = {
    Reason.BUTTON: N_('pressed "I need help now"'),
    Reason.SIGNAL: N_("wrote words that may mean risk of suicide or self-harm"),
    Reason.PEER_CONCERN: N_("their peer is worried about them"),
    Reason.UNANSWERED: N_("no peer has accepted their request in time"),
}


async def render(
    rt: Runtime, tx: Transaction, escalation: Escalation, t: Translator, *, repeat: bool = False
) -> notices.Notice:
    """What a coordinator sees: who (by pseudonym), why, the request, and what they can do."""
    citizen = await user_store.by_id(tx, escalation.citizen_id) if escalation.citizen_id else None
    request = (
        await request_store.by_id(tx, escalation.request_id) if escalation.request_id else None
    )
    contact = (
        await contact_store.contact(tx, escalation.contact_id) if escalation.contact_id else None
    )
    head = (
        t._("Still not acknowledged: urgent #{number}", number=escalation.id)
        if repeat
        else t._("Urgent #{number}", number=escalation.id)
    )
    lines = [
        head,
        t._("Who: {name}", name=citizen.pseudonym if citizen and citizen.pseudonym else "-"),
        t._("Why: {reason}", reason=why(t, escalation)),
        t._("Raised: {time}", time=t.datetime(escalation.created_at)),
    ]
    if request is not None:
        lines.append(
            t._(
                "Request: {topic}, {form}",
                topic=labels.topic(t, request.topic),
                form=labels.contact_form(t, request.contact_form),
            )
        )
    if contact is not None and contact.kind == "peer":
        lines.append(t._("Peer: {name}", name=contact.peer_name))
    if escalation.note:
        lines.append(t._("Note: {note}", note=escalation.note))
    if escalation.repeat_count and escalation.last_repeat_at is not None:
        lines.append(
            t._(
                "Pressed {count} times, the last at {time}",
                count=escalation.repeat_count + 1,
                time=t.time(escalation.last_repeat_at),
            )
        )
    buttons: list[tuple[str, str]] = [(t._("I'm handling it"), f"esc:ack:{escalation.id}")]
    if citizen is not None:
        buttons.append((t._("Write to them"), f"esc:talk:{escalation.id}"))
    return notices.Notice("\n".join(lines), (tuple(buttons),))


async def _notify(
    rt: Runtime, tx: Transaction, escalation: Escalation, chats: list[int], *, repeat: bool = False
) -> None:
    for chat_id in chats:
        t = await coordinator_translator(rt, tx, chat_id)
        notice = await render(rt, tx, escalation, t, repeat=repeat)
        await notices.send(
            tx,
            chat_id,
            notice,
            purpose=PURPOSE,
            now=rt.now(),
            priority=Priority.URGENT,
            ref_id=escalation.id,
            repeat_note=t._("This may repeat an earlier alert."),
        )


async def raise_in(
    tx: Transaction,
    rt: Runtime,
    *,
    reason: Reason,
    citizen_id: int | None = None,
    request_id: int | None = None,
    contact_id: int | None = None,
    note: str | None = None,
    categories: frozenset[str] = frozenset(),
    source_key: str | None = None,
    citizen_answered: bool = False,
    peer_saw_words: bool = True,
) -> int | None:
    """Write the escalation and its urgent messages inside the caller's transaction.

    `citizen_answered`: the caller tells the citizen itself whether anyone can be reached
    (see `nobody_reachable_text`), so no separate message is queued for them.
    `peer_saw_words`: for crisis words, whether the peer received them; only then is it a
    heavy moment for the peer (a debrief offer about words they never saw is a riddle)."""
    escalation = await escalation_store.create(
        tx,
        source_key=source_key,
        reason=reason.value,
        categories=categories,
        note=note,
        citizen_id=citizen_id,
        request_id=request_id,
        contact_id=contact_id,
        now=rt.now(),
    )
    if escalation is None:
        return None
    escalation_id = escalation.id
    metrics.ESCALATIONS.labels(reason=reason.value).inc()
    await _notify(rt, tx, escalation, await on_duty_chats(rt, tx))
    if not await reachable_chats(rt, tx):
        await _reached_nobody(rt, tx, escalation, tell_citizen=not citizen_answered)
    if (
        contact_id is not None
        and reason is not Reason.UNANSWERED
        and (reason is not Reason.SIGNAL or peer_saw_words)
    ):
        contact = await contact_store.contact(tx, contact_id)
        if contact is not None and contact.kind == "peer":
            await peer_care.heavy_moment(
                tx, rt, contact.peer_id, reason.value, citizen_name=contact.citizen_name
            )
    return escalation_id


# Presses of "I need help now" by one person join their escalation for this long after it was
# raised (open or already taken): one alert, not thirty. Later presses raise a new one.
REPEAT_WINDOW = timedelta(minutes=30)
# Coordinators hear of repeats at most this often; each note says how many and the last time.
REPEAT_NOTE_EVERY = timedelta(minutes=5)


async def join_repeat(
    tx: Transaction, rt: Runtime, citizen_id: int, source_key: str
) -> Escalation | None:
    """Join a repeated press to the citizen's open escalation; None if there is none to join.

    Coordinators are told how often and when (the alert's owner once someone has it, else the
    same chats as the alert); the peer heard once when it was raised and hears nothing more."""
    now = rt.now()
    found = await escalation_store.to_join(tx, citizen_id, now - REPEAT_WINDOW)
    if found is None:
        return None
    if not await escalation_store.add_repeat(tx, found.id, source_key, now):
        return found  # this very press was counted before a restart
    if found.repeat_noted_at is not None and now - found.repeat_noted_at < REPEAT_NOTE_EVERY:
        return found
    await escalation_store.repeat_noted(tx, found.id, now)
    if found.acknowledged and found.acknowledged_by is not None:
        chats = [found.acknowledged_by]
        if (group := rt.roles.coordinator_group) is not None:
            chats.append(group)
    else:
        chats = await on_duty_chats(rt, tx)
    for chat_id in dict.fromkeys(chats):
        t = await coordinator_translator(rt, tx, chat_id)
        lines = [
            t._(
                'Urgent #{number}: they pressed "I need help now" again ({count} times in all, '
                "the last at {time}).",
                number=found.id,
                count=found.repeat_count + 2,
                time=t.time(now),
            )
        ]
        buttons: notices.Buttons = ()
        if not found.acknowledged:
            lines.append(t._("Nobody has taken it yet."))
            buttons = (((t._("I'm handling it"), f"esc:ack:{found.id}"),),)
        await notices.send(
            tx,
            chat_id,
            notices.Notice("\n".join(lines), buttons),
            purpose="escalation-repeat",
            now=now,
            priority=Priority.URGENT,
            ref_id=found.id,
        )
    return found


async def raise_escalation(rt: Runtime, **kwargs: object) -> int | None:
    async with rt.storage.transaction() as tx:
        escalation_id = await raise_in(tx, rt, **kwargs)  # type: ignore[arg-type]
    rt.wake_delivery()
    return escalation_id


NOTE_LIMIT = 500


async def add_note(rt: Runtime, escalation_id: int, peer_id: int, text: str) -> bool:
    """A peer's note on their own concern, passed on to the same coordinators; False for a
    concern on someone else's contact, anything that is no concern, or a second note."""
    note = " ".join(text.split())[:NOTE_LIMIT]
    if not note:
        return False
    async with rt.storage.transaction() as tx:
        found = await escalation_store.by_id(tx, escalation_id)
        if found is None or found.reason != Reason.PEER_CONCERN:
            return False
        contact = await contact_store.contact(tx, found.contact_id or 0)
        if contact is None or contact.peer_id != peer_id:
            return False
        if not await escalation_store.set_note(tx, escalation_id, note):
            return False
        await tell_coordinators(
            rt,
            tx,
            lambda t: notices.Notice(
                t._("Note added to urgent #{number}: {note}", number=escalation_id, note=note)
            ),
            purpose="escalation-note",
            priority=Priority.URGENT,
            ref_id=escalation_id,
        )
    rt.wake_delivery()
    return True


@dataclass(frozen=True)
class AckResult:
    won: bool
    escalation: Escalation | None


async def acknowledge(
    rt: Runtime, escalation_id: int, coordinator_telegram_id: int, coordinator_name: str
) -> AckResult:
    """First press owns it; every other coordinator's message is edited to say who took it."""
    now = rt.now()
    async with rt.storage.transaction() as tx:
        won = await escalation_store.acknowledge(tx, escalation_id, coordinator_telegram_id, now)
        escalation = await escalation_store.by_id(tx, escalation_id)
        if won and escalation is not None:
            metrics.TIME_TO_ACK.observe((now - escalation.created_at).total_seconds())
            await audit_store.record(
                tx, coordinator_telegram_id, "acknowledge", f"escalation:{escalation_id}", now
            )
            await alarms.cancel(tx, escalation_id)
            await _tell_citizen_seen(rt, tx, escalation)
            for chat_id, message_id in await outbox_store.sent_messages(tx, PURPOSE, escalation_id):
                t = await coordinator_translator(rt, tx, chat_id)
                text = t._(
                    "Urgent #{number} is being handled by {name} (since {time}).",
                    number=escalation_id,
                    name=coordinator_name,
                    time=t.time(now),
                )
                buttons: notices.Buttons = ()
                if chat_id == coordinator_telegram_id and escalation.citizen_id is not None:
                    buttons = (((t._("Write to them"), f"esc:talk:{escalation_id}"),),)
                await notices.edit(
                    tx,
                    chat_id,
                    message_id,
                    notices.Notice(text, buttons),
                    purpose="escalation-ack",
                    now=now,
                    priority=Priority.URGENT,
                )
    rt.wake_delivery()
    return AckResult(won, escalation)


async def hand_back_in(tx: Transaction, rt: Runtime, coordinator_telegram_id: int) -> None:
    """A coordinator lost the role: their conversations end and their cases go back to the team.

    Runs inside the removal's transaction, after `rt.roles` no longer counts them, so the
    re-alerts reach only the remaining coordinators. The citizen is told neutrally; acknowledged
    escalations are open again and alerted anew; a conversation without such an escalation
    becomes a new one, so someone picks the person up."""
    reopened_citizens: set[int] = set()
    chats = await on_duty_chats(rt, tx)
    for escalation in await escalation_store.acknowledged_by(tx, coordinator_telegram_id):
        if not await escalation_store.reopen(tx, escalation.id):
            continue
        await audit_store.record(
            tx, coordinator_telegram_id, "hand_back", f"escalation:{escalation.id}", rt.now()
        )
        reopened = await escalation_store.by_id(tx, escalation.id)
        assert reopened is not None
        await _notify(rt, tx, reopened, chats, repeat=True)
        if escalation.citizen_id is not None:
            reopened_citizens.add(escalation.citizen_id)
    user = await user_store.by_telegram_id(tx, coordinator_telegram_id)
    if user is None:
        return
    for contact in await contact_store.active_for_peer(tx, user.id):
        if contact.kind != "coordinator":
            continue
        if not await contact_service.end_in(tx, rt, contact, "handed_back"):
            continue
        waiting = await escalation_store.open_citizens(tx)
        if contact.citizen_id not in reopened_citizens | waiting:
            reopened_citizens.add(contact.citizen_id)
            await raise_in(
                tx,
                rt,
                reason=Reason.UNANSWERED,
                categories=frozenset({HANDED_BACK}),
                citizen_id=contact.citizen_id,
                request_id=contact.request_id,
                source_key=f"handed_back:{contact.id}",
                citizen_answered=True,
            )


async def recent(rt: Runtime, actor: Actor, days: int = 7) -> list[Escalation]:
    """Open escalations and those of the last `days`, for coordinators only: open ones first,
    the gravest signal first among them, then the newest."""
    rt.roles.require_coordinator(actor)
    found = await escalation_store.recent(rt.storage, rt.now() - timedelta(days=days))
    return sorted(found, key=lambda e: (e.acknowledged, -signal_level(e), -e.id))


async def concern_prompt_sent(
    rt: Runtime, escalation_id: int, peer_id: int, message_id: int
) -> bool:
    """Remember the message that asks the peer for a note on their own concern, so that a reply
    to it is known by its id; False if the concern is not on one of the peer's contacts."""
    return await escalation_store.set_note_prompt(rt.storage, escalation_id, peer_id, message_id)


async def prompted_concern(rt: Runtime, peer_id: int, replied_id: int) -> Escalation | None:
    """The peer's own concern whose note prompt they replied to, while it has no note yet;
    None for a reply to any other message."""
    found = await escalation_store.by_note_prompt(rt.storage, peer_id, replied_id)
    if found is None or found.reason != Reason.PEER_CONCERN or found.note:
        return None
    return found


async def follow_up(rt: Runtime) -> int:
    """Re-send what nobody acknowledged, tell the citizen honestly, alert backups, then raise
    the e-mail alarm: each stage one wait after the previous one, each once."""
    now = rt.now()
    wait = timedelta(minutes=rt.config.escalation_ack_minutes)
    handled = 0
    for escalation_id in await escalation_store.open_undelivered(rt.storage):
        handled += await reached_nobody(rt, escalation_id)
    for escalation in await escalation_store.open_older_than(rt.storage, now - wait):
        async with rt.storage.transaction() as tx:
            if not escalation.renotified:
                if await escalation_store.mark_followed_up(tx, escalation.id, "renotified", now):
                    await _notify(rt, tx, escalation, coordinator_chats(rt), repeat=True)
                    if not escalation.unreached:  # else they were told plainly already
                        await _tell_citizen_still_waiting(rt, tx, escalation)
                    handled += 1
            elif not escalation.backup_notified:
                if escalation.created_at <= now - 2 * wait and (
                    await escalation_store.mark_followed_up(tx, escalation.id, "backup", now)
                ):
                    backups = coordinator_chats(rt, backups=True)
                    await _notify(rt, tx, escalation, backups, repeat=True)
                    handled += 1
            elif (
                not escalation.alarmed
                and escalation.created_at <= now - 3 * wait
                and await escalation_store.mark_followed_up(tx, escalation.id, "alarm", now)
            ):
                await alarms.queue(rt, tx, escalation, Stage.UNACKNOWLEDGED)
                handled += 1
    rt.wake_delivery()
    return handled


async def reached_nobody(rt: Runtime, escalation_id: int) -> int:
    """Telegram refused every alert of an open escalation: nobody saw it. Returns 1 if this
    was news (the citizen told, backups alerted, the alarm queued), else 0."""
    async with rt.storage.transaction() as tx:
        escalation = await escalation_store.by_id(tx, escalation_id)
        if escalation is None or escalation.acknowledged or escalation.unreached:
            return 0
        if await outbox_store.delivery_state(tx, PURPOSE, escalation_id) & {"pending", "sent"}:
            return 0
        done = await _reached_nobody(rt, tx, escalation, tell_citizen=True)
    rt.wake_delivery()
    return int(done)


async def after_undeliverable(rt: Runtime, message: OutboxMessage) -> None:
    """The outbox gave a message up; if it was an escalation's last hope, act on it now."""
    if message.purpose == PURPOSE and message.ref_id is not None:
        await reached_nobody(rt, message.ref_id)


async def _reached_nobody(
    rt: Runtime, tx: Transaction, escalation: Escalation, *, tell_citizen: bool
) -> bool:
    now = rt.now()
    if not await escalation_store.mark_followed_up(tx, escalation.id, "unreached", now):
        return False
    log.warning("escalation %d: no coordinator can be reached", escalation.id)
    if tell_citizen:
        await _tell_citizen_nobody_reachable(rt, tx, escalation)
    await _tell_peer_nobody_reachable(rt, tx, escalation)
    backups = coordinator_chats(rt, backups=True)
    if backups and await escalation_store.mark_followed_up(tx, escalation.id, "backup", now):
        await _notify(rt, tx, escalation, backups)
    await alarms.queue(rt, tx, escalation, Stage.UNREACHABLE)
    return True


def nobody_reachable_text(t: Translator, rt: Runtime) -> str:
    """Said at once when no coordinator can be reached; the emergency lines follow it."""
    config, now = rt.config, rt.now()
    if is_open(config.office_hours, now, config.timezone):
        return t._(
            "Right now none of our coordinators can be reached, so nobody from our team can "
            "answer you yet. Your message waits for them."
        )
    return t._(
        "Our office is closed right now (it opens {when}), and we are not here around the "
        "clock, so nobody can answer you before then. Your message waits for us.",
        when=t.weekday_datetime(next_opening(config.office_hours, now, config.timezone)),
    )


async def _reachable_citizen(tx: Transaction, escalation: Escalation) -> User | None:
    """The escalation's citizen, unless gone or known to have blocked the bot."""
    if escalation.citizen_id is None:
        return None
    citizen = await user_store.by_id(tx, escalation.citizen_id)
    return None if citizen is None or citizen.unreachable else citizen


async def _send_urgent(
    rt: Runtime, tx: Transaction, chat_id: int, text: str, purpose: str, escalation: Escalation
) -> None:
    await notices.send(
        tx,
        chat_id,
        notices.Notice(text),
        purpose=purpose,
        now=rt.now(),
        priority=Priority.URGENT,
        ref_id=escalation.id,
    )


async def _tell_citizen_nobody_reachable(
    rt: Runtime, tx: Transaction, escalation: Escalation
) -> None:
    """Only citizens who asked for help or wrote crisis words expect an answer from the team."""
    if escalation.reason not in (Reason.BUTTON, Reason.SIGNAL):
        return
    if (citizen := await _reachable_citizen(tx, escalation)) is None:
        return
    t = rt.translator(citizen.language)
    text = "\n\n".join([nobody_reachable_text(t, rt), emergency_lines(t, rt.config)])
    await _send_urgent(rt, tx, citizen.telegram_id, text, "escalation-unreached", escalation)


async def _tell_peer_nobody_reachable(rt: Runtime, tx: Transaction, escalation: Escalation) -> None:
    """A worried peer must not believe the team has it in hand when nobody can see it."""
    if escalation.reason != Reason.PEER_CONCERN or escalation.contact_id is None:
        return
    contact = await contact_store.contact(tx, escalation.contact_id)
    if contact is None or contact.kind != "peer":
        return
    t = rt.translator(contact.peer_language)
    text = t._(
        "Right now none of our coordinators can be reached, so nobody from the team has seen "
        "your concern about {name} yet; it is kept for them. If you think {name} may be in "
        "danger now, tell them to call 112 or one of the numbers under /help_now. You do not "
        "have to carry this alone: you can stop here and take care of yourself.",
        name=contact.citizen_name,
    )
    await _send_urgent(rt, tx, contact.peer_chat, text, "escalation-unreached", escalation)


async def _tell_citizen_seen(rt: Runtime, tx: Transaction, escalation: Escalation) -> None:
    """A coordinator took it: the citizen who asked (or wrote crisis words) hears at once that
    a person has seen it; no time is promised. Queued with the acknowledgement, so not lost."""
    if escalation.reason not in (Reason.BUTTON, Reason.SIGNAL):
        return
    if (citizen := await _reachable_citizen(tx, escalation)) is None:
        return
    t = rt.translator(citizen.language)
    text = t._(
        "A person from our team has seen your message and will write to you here. If you are "
        "in danger before then, call 112."
    )
    await _send_urgent(rt, tx, citizen.telegram_id, text, "escalation-seen", escalation)


async def _tell_citizen_still_waiting(rt: Runtime, tx: Transaction, escalation: Escalation) -> None:
    if escalation.reason != Reason.BUTTON:
        return
    if (citizen := await _reachable_citizen(tx, escalation)) is None:
        return
    t = rt.translator(citizen.language)
    text = "\n\n".join(
        [
            t._("Our team has been told, but nobody has been able to answer yet. We keep trying."),
            emergency_lines(t, rt.config),
        ]
    )
    await _send_urgent(rt, tx, citizen.telegram_id, text, "escalation-wait", escalation)


# What coordinators were called before they had names of their own ("Coordinator" in the
# language they used then); shown as "Coordinator (coordinator)", so they are renamed.
OLD_COORDINATOR_NAMES = frozenset({"Coordinator", "Koordinator"})

# How long the "Write to them" button of an urgent alert may open a conversation.
TALK_WINDOW = timedelta(days=7)


async def open_conversation(
    rt: Runtime, escalation_id: int, coordinator_telegram_id: int, language: str
) -> contact_store.Contact | None:
    """A coordinator writes with the citizen through the bot, as anonymous as a peer would.

    None when the alert is gone or older than `TALK_WINDOW` (an old button must not message a
    citizen out of the blue); `NotAllowed` when another coordinator has taken it.
    """
    found = await escalation_store.by_id(rt.storage, escalation_id)
    if found is None or found.citizen_id is None or rt.now() - found.created_at > TALK_WINDOW:
        return None
    if found.acknowledged and found.acknowledged_by not in (None, coordinator_telegram_id):
        raise NotAllowed("another coordinator has this escalation")
    return await talk_with_citizen(
        rt,
        found.citizen_id,
        found.request_id,
        coordinator_telegram_id,
        language,
        audit_target=f"escalation:{escalation_id}",
    )


async def talk_with_citizen(
    rt: Runtime,
    citizen_id: int,
    request_id: int | None,
    coordinator_telegram_id: int,
    language: str,
    *,
    audit_target: str,
) -> contact_store.Contact | None:
    """Open (or return) a coordinator's conversation with a citizen; the citizen is told."""
    async with rt.storage.transaction() as tx:
        contact = await talk_with_citizen_in(
            rt,
            tx,
            citizen_id,
            request_id,
            coordinator_telegram_id,
            language,
            audit_target=audit_target,
        )
    rt.wake_delivery()
    return contact


async def talk_with_citizen_in(
    rt: Runtime,
    tx: Transaction,
    citizen_id: int,
    request_id: int | None,
    coordinator_telegram_id: int,
    language: str,
    *,
    audit_target: str,
) -> contact_store.Contact | None:
    """`talk_with_citizen` inside the caller's transaction (which wakes delivery after it), so
    a caller can make the same transaction own the conversation first."""
    now = rt.now()
    if await user_store.by_id(tx, citizen_id) is None:
        return None
    coordinator = await user_store.ensure(
        tx,
        coordinator_telegram_id,
        user_store.Role.COORDINATOR,
        now,
        language=language,
        pseudonym=pseudonyms.citizen_pseudonym(),
    )
    if not coordinator.pseudonym or coordinator.pseudonym in OLD_COORDINATOR_NAMES:
        # Everyone who writes through the bot has a name: a coordinator known before gets one
        # now, once (a peer who is also a coordinator keeps their peer name).
        await user_store.set_pseudonym(tx, coordinator.id, pseudonyms.citizen_pseudonym())
    existing = await contact_store.active_between(tx, citizen_id, coordinator.id)
    if existing is not None:
        return existing
    contact_id = await contact_store.create_contact(
        tx, request_id, citizen_id, coordinator.id, now, kind="coordinator"
    )
    await audit_store.record(tx, coordinator_telegram_id, "open_conversation", audit_target, now)
    contact = await contact_store.contact(tx, contact_id)
    assert contact is not None
    citizen_t = Translator(
        contact.citizen_language or rt.config.default_language, rt.config.timezone
    )
    name = relay.display_name(citizen_t, contact, relay.Side.PEER)
    lines = [
        citizen_t._(
            "{name} from our team is here and would like to talk with you. Just write here; "
            "they will not see your name or number.",
            name=name,
        )
    ]
    beside = [
        c
        for c in await contact_store.active_involving(tx, citizen_id)
        if c.citizen_id == citizen_id and c.id != contact_id
    ]
    if beside:
        lines.append(
            citizen_t._(
                "Your contact with {peer} goes on. Every message shows who wrote it. When you "
                "write, I ask whom it is for, unless you reply to someone's message: then it "
                "goes to them.",
                peer=relay.display_name(citizen_t, beside[0], relay.Side.PEER),
            )
        )
    await notices.send(
        tx,
        contact.citizen_chat,
        notices.Notice("\n\n".join(lines)),
        purpose="coordinator-contact",
        now=now,
        priority=Priority.URGENT,
        ref_id=contact_id,
    )
    return contact
