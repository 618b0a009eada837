"""Protecting peers: a peer ends a contact and reports the citizen in one step; coordinators
bar the citizen for a while or dismiss the report.

A barred citizen keeps "I need help now" and the emergency lines; asking for a peer gets a
neutral answer that never gives the reason. The bar ends by itself when its time has passed
(it is a date on the citizen's row, compared with the clock). The peer who reported is never
offered that citizen again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config.lines import emergency_lines
from bot.delivery import notices
from bot.i18n import N_, Translator
from bot.runtime import Runtime
from bot.services import contacts as contact_service
from bot.services import matching, peer_care
from bot.services.coordinators import coordinator_translator, tell_coordinators
from bot.staff import Actor
from bot.storage import Transaction
from bot.storage import audit as audit_store
from bot.storage import contacts as contact_store
from bot.storage import outbox as outbox_store
from bot.storage import reports as report_store
from bot.storage import requests as request_store
from bot.storage.reports import Report, ReportStatus
from bot.storage.requests import RequestStatus
from bot.storage.users import User

NOTE_LIMIT = 500
REASONS: dict[str, str] = {
    "abuse": N_("Abusive or threatening"),
    "sexual": N_("Sexual content"),
    "boundaries": N_("Repeated boundary crossing"),
    "other": N_("Other"),
}
BAR_PERIODS: dict[str, timedelta] = {
    "w1": timedelta(days=7),
    "m1": timedelta(days=30),
    "m3": timedelta(days=90),
}
BAR_LABELS: dict[str, str] = {
    "w1": N_("Bar 1 week"),
    "m1": N_("Bar 1 month"),
    "m3": N_("Bar 3 months"),
}


def reason_label(t: Translator, reason: str) -> str:
    return t._(REASONS[reason]) if reason in REASONS else reason


def barred_until(rt: Runtime, user: User | None) -> datetime | None:
    """When the citizen's bar ends, or None if they are not barred now."""
    if user is None or user.barred_until is None or user.barred_until <= rt.now():
        return None
    return user.barred_until


def decision_buttons(t: Translator, report_id: int) -> notices.Buttons:
    return (
        tuple((t._(label), f"bar:{code}:{report_id}") for code, label in BAR_LABELS.items()),
        ((t._("Dismiss"), f"bar:no:{report_id}"),),
    )


def report_summary(t: Translator, report: Report) -> str:
    lines = [
        t._(
            "Report #{number}: {peer} ended the contact with {citizen} and reported: {reason}.",
            number=report.id,
            peer=report.peer_name or "-",
            citizen=report.citizen_name or "-",
            reason=reason_label(t, report.reason),
        ),
        t._("Reported {time}.", time=t.datetime(report.created_at)),
    ]
    if report.note:
        lines.append(t._("The peer's note: {note}", note=report.note))
    return "\n".join(lines)


async def _tell_coordinators(rt: Runtime, tx: Transaction, report: Report, purpose: str) -> None:
    def notice(t: Translator) -> notices.Notice:
        text = report_summary(t, report)
        if report.status is not ReportStatus.OPEN:
            return notices.Notice(text)
        text += "\n" + t._("The citizen has not been told. Bar them from new peer contacts?")
        return notices.Notice(text, decision_buttons(t, report.id))

    await tell_coordinators(rt, tx, notice, purpose=purpose, ref_id=report.id)


async def end_and_report(rt: Runtime, peer: User, contact_id: int, reason: str) -> int | None:
    """End the peer's own contact and file the report in one transaction; coordinators are
    told. None for a contact that is not the peer's own active peer contact, or no reason.

    The citizen sees only the ordinary "has ended your conversation" message.
    """
    if reason not in REASONS:
        return None
    async with rt.storage.transaction() as tx:
        contact = await contact_store.contact(tx, contact_id)
        if contact is None or not contact.active or contact.kind != "peer":
            return None
        if contact.peer_id != peer.id:
            return None
        if not await contact_service.end_in(tx, rt, contact, "peer"):
            return None
        report_id = await report_store.create(
            tx, contact.citizen_id, contact.peer_id, contact.id, reason, rt.now()
        )
        report = await report_store.by_id(tx, report_id)
        assert report is not None
        await _tell_coordinators(rt, tx, report, "report")
        await peer_care.heavy_moment(tx, rt, contact.peer_id, "report")
    rt.wake_delivery()
    return report_id


async def note_prompt_sent(rt: Runtime, report_id: int, peer: User, message_id: int) -> bool:
    """Remember the message that asks the reporting peer for a note, so that a reply to it is
    known by its id; False if the report is not the peer's."""
    return await report_store.set_note_prompt(rt.storage, report_id, peer.id, message_id)


async def prompted_report(rt: Runtime, peer: User, replied_id: int) -> int | None:
    """The peer's own report whose note prompt they replied to; None for any other message."""
    return await report_store.by_note_prompt(rt.storage, peer.id, replied_id)


async def add_note(rt: Runtime, report_id: int, peer: User, text: str) -> bool:
    """The reporting peer adds one note; coordinators get it too. False if not theirs or done."""
    note = " ".join(text.split())[:NOTE_LIMIT]
    if not note:
        return False
    async with rt.storage.transaction() as tx:
        report = await report_store.by_id(tx, report_id)
        if report is None or report.peer_id != peer.id:
            return False
        if not await report_store.set_note(tx, report_id, note):
            return False
        report = await report_store.by_id(tx, report_id)
        assert report is not None
        await _tell_coordinators(rt, tx, report, "report-note")
    rt.wake_delivery()
    return True


async def recent(rt: Runtime, actor: Actor, days: int = 30) -> list[Report]:
    """Open reports and those of the last `days`, for coordinators only."""
    rt.roles.require_coordinator(actor)
    return await report_store.recent(rt.storage, rt.now() - timedelta(days=days))


@dataclass(frozen=True)
class Decision:
    report: Report | None  # None: unknown report
    decided_now: bool


async def decide(
    rt: Runtime,
    report_id: int,
    action: str,
    actor_telegram_id: int,
    pressed: tuple[int, int] | None = None,
) -> Decision:
    """Bar the citizen for a period (``w1``, ``m1``, ``m3``) or dismiss (``no``); first wins.

    A bar withdraws a waiting request (the citizen is told neutrally); the reporting peer
    hears that a coordinator has looked at it, never the outcome's details. The other
    coordinators' copies of the report change to show the decision (`pressed`, the message
    whose button was used, is edited by the caller).
    """
    now = rt.now()
    until = now + BAR_PERIODS[action] if action in BAR_PERIODS else None
    status = ReportStatus.BARRED if until else ReportStatus.DISMISSED
    async with rt.storage.transaction() as tx:
        report = await report_store.by_id(tx, report_id)
        if report is None or (action not in BAR_PERIODS and action != "no"):
            return Decision(None, False)
        if not await report_store.decide(tx, report_id, status, actor_telegram_id, now, until):
            return Decision(report, False)
        audit_action = "bar_citizen" if until else "dismiss_report"
        await audit_store.record(tx, actor_telegram_id, audit_action, f"report:{report_id}", now)
        if until and report.citizen_id is not None:
            await report_store.bar(tx, report.citizen_id, until)
            await _withdraw_open_request(rt, tx, report.citizen_id, until)
        if report.peer_chat is not None:
            peer = await _peer_translator(rt, tx, report)
            await notices.send(
                tx,
                report.peer_chat,
                notices.Notice(
                    peer._(
                        "A coordinator has looked at your report #{number}. Thank you for "
                        "telling us; you are welcome to ask them about it.",
                        number=report_id,
                    )
                ),
                purpose="report-decided",
                now=now,
                ref_id=report_id,
            )
        report = await report_store.by_id(tx, report_id)
        assert report is not None
        await _show_decision(rt, tx, report, pressed)
    rt.wake_delivery()
    return Decision(report, True)


def decision_text(t: Translator, report: Report) -> str:
    if report.status is ReportStatus.BARRED and report.barred_until is not None:
        return t._("barred until {date}", date=t.date(report.barred_until))
    if report.status is ReportStatus.DISMISSED:
        return t._("dismissed")
    return ""


async def _show_decision(
    rt: Runtime, tx: Transaction, report: Report, pressed: tuple[int, int] | None
) -> None:
    for purpose in ("report", "report-note"):
        for chat_id, message_id in await outbox_store.sent_messages(tx, purpose, report.id):
            if (chat_id, message_id) == pressed:
                continue
            t = await coordinator_translator(rt, tx, chat_id)
            text = report_summary(t, report) + "\n" + decision_text(t, report)
            await notices.edit(
                tx,
                chat_id,
                message_id,
                notices.Notice(text),
                purpose="report-decided",
                now=rt.now(),
            )


async def _peer_translator(rt: Runtime, tx: Transaction, report: Report) -> Translator:
    row = await tx.fetchone("SELECT language FROM users WHERE id = ?", (report.peer_id,))
    return rt.translator(row[0] if row else None)


async def _withdraw_open_request(
    rt: Runtime, tx: Transaction, citizen_id: int, until: datetime
) -> None:
    request = await request_store.open_for(tx, citizen_id)
    if request is None or request.status is not RequestStatus.WAITING:
        return
    if not await matching.withdraw(rt, tx, request.id, "barred"):
        return
    row = await tx.fetchone("SELECT telegram_id, language FROM users WHERE id = ?", (citizen_id,))
    if row is None:
        return
    t = rt.translator(row["language"])
    await notices.send(
        tx,
        row["telegram_id"],
        notices.Notice(
            "\n\n".join([barred_text(t, until), emergency_lines(t, rt.config)]),
            ((_help_now(t),),),
        ),
        purpose="request-withdrawn",
        now=rt.now(),
    )


def _help_now(t: Translator) -> tuple[str, str]:
    return (t._("I need help now"), "urgent:now")


def barred_text(t: Translator, until: datetime) -> str:
    """Neutral: no reason, no blame, and where help is; the emergency lines always follow it."""
    return t._(
        "Right now we cannot put you in contact with a peer through this service. It will be "
        "possible again from {date}. If you need to talk to someone now, the phone numbers "
        "below are there for you, and the button below alerts our coordinators.",
        date=t.date(until),
    )
