"""Check-ins: planned in local wall time, fired exactly once, answered by the citizen.

A repeating weekly check-in is stored as local wall time and each occurrence is computed with
`zoneinfo`, so 10:00 stays 10:00 across daylight-saving changes. Quiet hours win over lateness:
a check-in due at night waits for the morning and says so. Firing marks the row sent in the same
transaction that queues the message, so a restart neither loses nor repeats it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.delivery import notices
from bot.domain import Checkin, CheckinStatus, Contact
from bot.errors import NotAllowed, UserInputError
from bot.i18n import N_
from bot.runtime import Runtime
from bot.storage import checkins as checkin_store
from bot.storage import contacts as contact_store
from bot.storage.outbox import Priority

LATE_AFTER = timedelta(minutes=2)
NOTE_LIMIT = 200
QUICK_HOUR = time(10, 0)


class Answer(StrEnum):
    BETTER = "better"
    SAME = "same"
    WORSE = "worse"
    TALK = "talk"


ANSWER_LABELS = {
    Answer.BETTER: N_("Better"),
    Answer.SAME: N_("About the same"),
    Answer.WORSE: N_("Worse"),
    Answer.TALK: N_("I'd like to talk"),
}
KIND_LABELS = {
    "checkin": N_("Check-in message"),
    "call": N_("Phone call"),
    "meeting": N_("Meeting"),
}
# A call or a meeting is planned only where the organisation offers that contact form
# (``[contact_forms]``): the peers' undertaking forbids it otherwise.
KIND_NEEDS = {"call": "phone", "meeting": "meeting"}


def kinds(config: Config) -> tuple[str, ...]:
    """What a peer may plan: check-in messages always, calls and meetings where offered."""
    return tuple(
        code
        for code in KIND_LABELS
        if code not in KIND_NEEDS or KIND_NEEDS[code] in config.contact_forms
    )


QUICK_CHOICES = {
    "tomorrow": N_("Tomorrow"),
    "3days": N_("In 3 days"),
    "week": N_("In a week"),
    "same": N_("Same time next week"),
}


# Time ------------------------------------------------------------------------------------------


def local_now(now: datetime, zone: ZoneInfo) -> datetime:
    """The current wall-clock time in the configured zone, without tzinfo, to the minute."""
    return now.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC)


def quick_time(choice: str, now: datetime, zone: ZoneInfo) -> datetime:
    """Local wall time for a quick choice (the day-based ones at 10:00)."""
    today = local_now(now, zone)
    if choice == "same":
        rounded = today.replace(minute=today.minute - today.minute % 5)
        return rounded + timedelta(days=7)
    days = {"tomorrow": 1, "3days": 3, "week": 7}.get(choice)
    if days is None:
        raise UserInputError(N_("That button is no longer valid."))
    return datetime.combine(today.date() + timedelta(days=days), QUICK_HOUR)


def in_quiet_hours(moment: time, config: Config) -> bool:
    start, end = config.quiet_start, config.quiet_end
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


def out_of_quiet_hours(local: datetime, config: Config) -> tuple[datetime, bool]:
    """Move a local time to the end of quiet hours if it falls inside them."""
    if not in_quiet_hours(local.time(), config):
        return local, False
    day = local.date() if local.time() < config.quiet_end else local.date() + timedelta(days=1)
    return datetime.combine(day, config.quiet_end), True


def occurrence(local: datetime, config: Config, kind: str) -> tuple[datetime, datetime, bool]:
    """(local wall time, UTC due moment, moved by quiet hours) for a planned time.

    Only check-in messages respect quiet hours; a call or meeting is when people agreed it.
    """
    moved_local, moved = out_of_quiet_hours(local, config) if kind == "checkin" else (local, False)
    return local, to_utc(moved_local, config.timezone), moved


# Planning --------------------------------------------------------------------------------------


def _side(contact: Contact, user_id: int) -> str:
    return "citizen" if contact.citizen_id == user_id else "peer"


async def plannable_contacts(rt: Runtime, user_id: int) -> list[Contact]:
    """The contacts a person may plan on: a citizen's one contact with a peer, or a peer's
    active peer contacts (never a coordinator's conversation)."""
    as_citizen = await contact_store.active_peer_for_citizen(rt.storage, user_id)
    if as_citizen is not None:
        return [as_citizen]
    return [c for c in await contact_store.active_for_peer(rt.storage, user_id) if c.kind == "peer"]


async def draft_of(rt: Runtime, user_id: int) -> Checkin | None:
    """The person's half-planned check-in on one of their own contacts, if any."""
    contacts = await plannable_contacts(rt, user_id)
    return await checkin_store.draft_for(rt.storage, [c.id for c in contacts])


async def _own_draft(rt: Runtime, draft_id: int, user_id: int) -> Checkin:
    """The draft if it is still the person's own draft; refuses any other (untrusted ids)."""
    draft = await draft_of(rt, user_id)
    if draft is None or draft.id != draft_id:
        raise NotAllowed("not the person's own check-in draft")
    return draft


async def plan_step(
    rt: Runtime, draft: Checkin, user_id: int, step: str, **values: object
) -> Checkin:
    """Store one answer of the planning dialogue on the person's own draft; the draft as stored."""
    await _own_draft(rt, draft.id, user_id)
    async with rt.storage.transaction() as tx:
        await checkin_store.update_draft(tx, draft.id, step=step, **values)
        refreshed = await checkin_store.by_id(tx, draft.id)
    assert refreshed is not None
    return refreshed


async def discard_draft(rt: Runtime, draft: Checkin, user_id: int) -> None:
    """Drop the person's own half-planned check-in ("Nothing was planned")."""
    await _own_draft(rt, draft.id, user_id)
    async with rt.storage.transaction() as tx:
        await checkin_store.delete_drafts(tx, [draft.contact_id])


async def upcoming(rt: Runtime, user_id: int) -> tuple[list[Checkin], list[Contact]]:
    """What is planned on the person's active contacts (a citizen's own, or all of a peer's),
    with those contacts so that names can be shown."""
    own = await contact_store.active_peer_for_citizen(rt.storage, user_id)
    contacts = [own] if own else await contact_store.active_for_peer(rt.storage, user_id)
    return await checkin_store.upcoming_for(rt.storage, [c.id for c in contacts]), contacts


async def start_draft(
    rt: Runtime, user_id: int, *, contact_id: int | None = None, replaces_id: int | None = None
) -> Checkin:
    """Begin planning on one of the person's own contacts (one draft at a time), or a new time
    for one of their own upcoming check-ins; `NotAllowed` for anyone else's (untrusted ids)."""
    replaces: Checkin | None = None
    if replaces_id is not None:
        owned = await own_checkin(rt, replaces_id, user_id)
        if owned is None:
            raise NotAllowed("not a check-in on the person's own contact")
        replaces, contact = owned
    else:
        found = [c for c in await plannable_contacts(rt, user_id) if c.id == contact_id]
        if not found:
            raise NotAllowed("not the person's own contact")
        contact = found[0]
    side = _side(contact, user_id)
    step = "kind" if side == "peer" and replaces is None else "when"
    async with rt.storage.transaction() as tx:
        await checkin_store.delete_drafts(tx, [contact.id])
        checkin_id = await checkin_store.create_draft(
            tx,
            contact.id,
            side,
            step,
            rt.now(),
            kind=replaces.kind if replaces else "checkin",
            note=replaces.note if replaces else None,
            repeat_weeks=replaces.repeat_weeks if replaces else 0,
            replaces_id=replaces.id if replaces else None,
        )
        draft = await checkin_store.by_id(tx, checkin_id)
    assert draft is not None
    return draft


def clean_note(text: str) -> str:
    note = " ".join(text.split())
    if not note:
        raise UserInputError(N_("That message was empty. Write a few words, or press Skip."))
    if len(note) > NOTE_LIMIT:
        raise UserInputError(N_("Please keep the note under 200 characters."))
    return note


def parse_clock(text: str) -> time:
    """A typed time of day such as 9, 9:30, 09.30 or 1930."""
    cleaned = text.strip().replace(".", ":")
    if cleaned.isdigit() and len(cleaned) in (3, 4):
        cleaned = f"{cleaned[:-2]}:{cleaned[-2:]}"
    elif cleaned.isdigit():
        cleaned = f"{cleaned}:00"
    try:
        return time.fromisoformat(cleaned.zfill(5))
    except ValueError as exc:
        raise UserInputError(N_("Please write a time like 10:00 or 18:30.")) from exc


async def confirm(rt: Runtime, draft: Checkin, user_id: int) -> Checkin:
    """Turn the person's own draft into a pending check-in (cancelling the one it replaces)."""
    draft = await _own_draft(rt, draft.id, user_id)
    if draft.local_time is None:
        raise UserInputError(N_("That button is no longer valid."))
    local, due_at, moved = occurrence(draft.local_time, rt.config, draft.kind)
    if due_at <= rt.now():
        raise UserInputError(N_("That time has already passed. Please choose a later one."))
    async with rt.storage.transaction() as tx:
        await checkin_store.schedule(tx, draft.id, local, due_at, moved)
        if draft.replaces_id is not None:
            await checkin_store.set_status(
                tx, draft.replaces_id, CheckinStatus.CANCELLED, (CheckinStatus.PENDING,)
            )
        scheduled = await checkin_store.by_id(tx, draft.id)
    assert scheduled is not None
    return scheduled


async def cancel(rt: Runtime, checkin_id: int, user_id: int) -> bool:
    """Cancel an upcoming check-in on one of the person's own active contacts; False for any
    other (someone else's, or no longer upcoming)."""
    if await own_checkin(rt, checkin_id, user_id) is None:
        return False
    async with rt.storage.transaction() as tx:
        return await checkin_store.set_status(
            tx, checkin_id, CheckinStatus.CANCELLED, checkin_store.UPCOMING
        )


async def own_checkin(rt: Runtime, checkin_id: int, user_id: int) -> tuple[Checkin, Contact] | None:
    """A check-in on one of the person's own active contacts, or None (untrusted ids)."""
    checkin = await checkin_store.by_id(rt.storage, checkin_id)
    if checkin is None:
        return None
    contact = await contact_store.contact(rt.storage, checkin.contact_id)
    if (
        contact is None
        or not contact.active
        or user_id not in (contact.citizen_id, contact.peer_id)
    ):
        return None
    return checkin, contact


# Firing ----------------------------------------------------------------------------------------


def checkin_notice(
    rt: Runtime, checkin: Checkin, contact: Contact, now: datetime
) -> notices.Notice:
    t = rt.translator(contact.citizen_language)
    # The first line is what a phone's notification shows: nothing about what the service is.
    lines = [
        t._("Hi, it's time for your check-in."),
        t._(
            "How are you doing today? {peer} asked me to check in with you.", peer=contact.peer_name
        )
        if checkin.created_by == "peer"
        else t._("How are you doing today? You asked me to check in with you."),
    ]
    if checkin.due_at is not None and now - checkin.due_at > LATE_AFTER:
        lines.append(
            t._(
                "(This check-in was planned for {time}; it comes a little late.)",
                time=t.weekday_datetime(checkin.due_at),
            )
        )
    if checkin.quiet_moved:
        lines.append(t._("(It was planned for the night, so I waited until morning.)"))
    buttons = (
        tuple(
            (t._(ANSWER_LABELS[a]), f"ci:{checkin.id}:{a.value}")
            for a in (Answer.BETTER, Answer.SAME)
        ),
        tuple(
            (t._(ANSWER_LABELS[a]), f"ci:{checkin.id}:{a.value}")
            for a in (Answer.WORSE, Answer.TALK)
        ),
        ((t._("I need help now"), "urgent:now"),),
    )
    return notices.Notice("\n".join(lines), buttons)


def reminder_notices(
    rt: Runtime, checkin: Checkin, contact: Contact
) -> tuple[notices.Notice, notices.Notice]:
    assert checkin.due_at is not None
    peer_t, citizen_t = (
        rt.translator(contact.peer_language),
        rt.translator(contact.citizen_language),
    )
    kind = checkin.kind
    peer_text = (
        peer_t._(
            "Reminder: phone call with {name} at {time}.",
            name=contact.citizen_name,
            time=peer_t.weekday_datetime(checkin.due_at),
        )
        if kind == "call"
        else peer_t._(
            "Reminder: meeting with {name} at {time}.",
            name=contact.citizen_name,
            time=peer_t.weekday_datetime(checkin.due_at),
        )
    )
    if checkin.note:
        peer_text += "\n" + peer_t._("Note: {note}", note=checkin.note)
    citizen_text = (
        citizen_t._(
            "Reminder: {name} will call you at {time}.",
            name=contact.peer_name,
            time=citizen_t.weekday_datetime(checkin.due_at),
        )
        if kind == "call"
        else citizen_t._(
            "Reminder: you are meeting {name} at {time}.",
            name=contact.peer_name,
            time=citizen_t.weekday_datetime(checkin.due_at),
        )
    )
    return notices.Notice(peer_text), notices.Notice(citizen_text)


@dataclass
class SweepResult:
    fired: int = 0
    reminded: int = 0
    postponed: int = 0
    unanswered: int = 0


async def sweep(rt: Runtime) -> SweepResult:
    """Fire what is due: reminders, check-ins (outside quiet hours), follow-ups."""
    result = SweepResult()
    now = rt.now()
    lead = timedelta(minutes=rt.config.reminder_minutes)
    for checkin in await checkin_store.due(rt.storage, (CheckinStatus.PENDING,), now + lead):
        if checkin.kind != "checkin":
            result.reminded += await _remind(rt, checkin, now)
    for checkin in await checkin_store.due(rt.storage, checkin_store.UPCOMING, now):
        if checkin.kind == "checkin" and in_quiet_hours(
            local_now(now, rt.config.timezone).time(), rt.config
        ):
            result.postponed += await _postpone(rt, checkin, now)
        else:
            result.fired += await _fire(rt, checkin, now)
    result.unanswered = await _tell_unanswered(rt, now)
    rt.wake_delivery()
    return result


async def _postpone(rt: Runtime, checkin: Checkin, now: datetime) -> int:
    local, _ = out_of_quiet_hours(local_now(now, rt.config.timezone), rt.config)
    async with rt.storage.transaction() as tx:
        return int(
            await checkin_store.set_status(
                tx,
                checkin.id,
                CheckinStatus.PENDING,
                (CheckinStatus.PENDING,),
                due_at=to_utc(local, rt.config.timezone).isoformat(),
                quiet_moved=1,
            )
        )


async def _remind(rt: Runtime, checkin: Checkin, now: datetime) -> int:
    """Remind both sides of a call or meeting; one whose time has passed (the bot was down)
    is dropped: a reminder after the event helps nobody."""
    async with rt.storage.transaction() as tx:
        contact = await contact_store.contact(tx, checkin.contact_id)
        if contact is None or not await checkin_store.set_status(
            tx, checkin.id, CheckinStatus.REMINDED, (CheckinStatus.PENDING,)
        ):
            return 0
        if checkin.due_at is not None and checkin.due_at <= now:
            return 0
        peer_notice, citizen_notice = reminder_notices(rt, checkin, contact)
        await notices.send(
            tx, contact.peer_chat, peer_notice, purpose="reminder", now=now, ref_id=checkin.id
        )
        if not in_quiet_hours(local_now(now, rt.config.timezone).time(), rt.config):
            await notices.send(
                tx,
                contact.citizen_chat,
                citizen_notice,
                purpose="reminder",
                now=now,
                ref_id=checkin.id,
            )
    return 1


def latest_due(checkin: Checkin, config: Config, now: datetime) -> Checkin:
    """A weekly series whose later weeks are due as well (the bot was down): the latest due
    week, with the repeats left after it. The weeks missed in between are not sent."""
    if checkin.local_time is None or checkin.due_at is None:
        return checkin
    latest = checkin
    while latest.repeat_weeks > 0 and latest.local_time is not None:
        local, due_at, moved = occurrence(
            latest.local_time + timedelta(days=7), config, checkin.kind
        )
        if due_at > now:
            break
        latest = replace(
            latest,
            local_time=local,
            due_at=due_at,
            quiet_moved=moved,
            repeat_weeks=latest.repeat_weeks - 1,
        )
    return latest


async def _fire(rt: Runtime, checkin: Checkin, now: datetime) -> int:
    """Exactly once: the status change and the queued message commit together. After
    downtime a series fires once, for its latest due week, and says it is late."""
    checkin = latest_due(checkin, rt.config, now)
    late = checkin.due_at is not None and now - checkin.due_at > LATE_AFTER
    async with rt.storage.transaction() as tx:
        contact = await contact_store.contact(tx, checkin.contact_id)
        if contact is None or not await checkin_store.set_status(
            tx,
            checkin.id,
            CheckinStatus.SENT,
            checkin_store.UPCOMING,
            fired_at=now.isoformat(),
            late=int(late),
            due_at=checkin.due_at.isoformat() if checkin.due_at else None,
            local_time=checkin.local_time,
            quiet_moved=int(checkin.quiet_moved),
            repeat_weeks=checkin.repeat_weeks,
        ):
            return 0
        if checkin.kind == "checkin":
            await notices.send(
                tx,
                contact.citizen_chat,
                checkin_notice(rt, checkin, contact, now),
                purpose="checkin",
                now=now,
                priority=Priority.BULK,
                ref_id=checkin.id,
            )
        if checkin.repeat_weeks > 0 and checkin.local_time is not None:
            local, due_at, moved = occurrence(
                checkin.local_time + timedelta(days=7), rt.config, checkin.kind
            )
            await checkin_store.add_occurrence(tx, checkin, local, due_at, moved, now)
    return 1


async def _tell_unanswered(rt: Runtime, now: datetime) -> int:
    told = 0
    limit = timedelta(hours=rt.config.checkin_answer_hours)
    for checkin in await checkin_store.unanswered_since(rt.storage, now - limit):
        async with rt.storage.transaction() as tx:
            contact = await contact_store.contact(tx, checkin.contact_id)
            if contact is None or not await checkin_store.set_status(
                tx, checkin.id, CheckinStatus.UNANSWERED, (CheckinStatus.SENT,)
            ):
                continue
            t = rt.translator(contact.peer_language)
            await notices.send(
                tx,
                contact.peer_chat,
                notices.Notice(
                    t._(
                        "{name} has not answered the check-in yet. That can mean many things; "
                        "perhaps send a short, friendly message when it suits you.",
                        name=contact.citizen_name,
                    )
                ),
                purpose="checkin-unanswered",
                now=now,
                ref_id=checkin.id,
            )
            told += 1
    return told


async def answer(rt: Runtime, checkin_id: int, citizen_id: int, value: str) -> bool:
    """Store the citizen's answer to their own check-in; "worse" and "talk" reach the peer now."""
    if value not in Answer.__members__.values():
        return False
    now = rt.now()
    async with rt.storage.transaction() as tx:
        checkin = await checkin_store.by_id(tx, checkin_id)
        contact = await contact_store.contact(tx, checkin.contact_id) if checkin else None
        if checkin is None or contact is None or contact.citizen_id != citizen_id:
            return False
        if not await checkin_store.set_status(
            tx,
            checkin_id,
            CheckinStatus.ANSWERED,
            (CheckinStatus.SENT, CheckinStatus.UNANSWERED),
            answer=value,
            answered_at=now.isoformat(),
        ):
            return False
        if value in (Answer.WORSE, Answer.TALK) and contact.active:
            t = rt.translator(contact.peer_language)
            text = (
                t._(
                    "{name} answered the check-in: things are worse. Perhaps write to them soon.",
                    name=contact.citizen_name,
                )
                if value == Answer.WORSE
                else t._(
                    "{name} answered the check-in: they would like to talk.",
                    name=contact.citizen_name,
                )
            )
            await notices.send(
                tx,
                contact.peer_chat,
                notices.Notice(text),
                purpose="checkin-answer",
                now=now,
                priority=Priority.URGENT,
                ref_id=checkin_id,
            )
    rt.wake_delivery()
    return True
