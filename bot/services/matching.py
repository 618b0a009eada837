"""Offering a waiting request to the best available peer, and what follows their answer.

Best means: approved, not away, available now by their chosen slots, below their capacity
(pending offers count), sharing topic and language, fewest active contacts first, and never
someone who was already asked about this request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.config import labels
from bot.delivery import notices
from bot.runtime import Runtime
from bot.services.crisis import escalation
from bot.services.office_hours import in_slot, office_time_between
from bot.storage import Transaction
from bot.storage import contacts as contact_store
from bot.storage import handover as handover_store
from bot.storage import outbox as outbox_store
from bot.storage import peers as peer_store
from bot.storage import reports as report_store
from bot.storage import requests as request_store
from bot.storage import users as user_store
from bot.storage.contacts import Contact, Offer, OfferStatus
from bot.storage.peers import PeerProfile, PeerStatus
from bot.storage.requests import Request, RequestStatus


def is_free(rt: Runtime, peer: PeerProfile, pending: int) -> bool:
    """Approved, reachable (not blocking the bot), with the current undertaking accepted, not
    away, in one of their availability slots now, and below capacity."""
    return (
        peer.status is PeerStatus.APPROVED
        and not peer.unreachable
        and peer.undertaking_version == rt.config.undertaking_version
        and not peer.away
        and any(in_slot(slot, rt.now(), rt.config.timezone) for slot in peer.availability)
        and peer.active_contacts + pending < peer.capacity
    )


def is_candidate(rt: Runtime, peer: PeerProfile, request: Request, pending: int) -> bool:
    topic_ok = request.topic in peer.topics or request.topic == "other"
    return (
        is_free(rt, peer, pending)
        and topic_ok
        and (request.language or rt.config.default_language) in peer.languages
    )


def offer_notice(
    rt: Runtime, peer: PeerProfile, request: Request, offer_id: int, handover: str | None = None
) -> notices.Notice:
    t = rt.translator(peer.language)
    lines = [
        t._("A citizen would like to talk with a peer."),
        t._("Topic: {topic}", topic=labels.topic(t, request.topic)),
        t._("Age: {band}", band=labels.stored_age_band(t, request.age_band)),
        t._("Contact: {form}", form=labels.contact_form(t, request.contact_form)),
        t._("When: {times}", times=labels.times(t, request.times)),
        t._("Language: {language}", language=labels.language(request.language)),
    ]
    if request.contact_form == "phone":
        lines.append(
            t._(
                "They would like a phone call: they will give you their number in the chat "
                "themselves. Use it only for your calls, and delete it when the contact ends."
            )
        )
    elif request.contact_form == "meeting":
        lines.append(
            t._(
                "They would like to meet: only at {organisation}, {address}.",
                organisation=rt.config.organisation_name,
                address=rt.config.organisation_address,
            )
        )
    if request.note:
        lines.append(t._("In their own words: {note}", note=request.note))
    if handover:
        lines.append(t._("A note from an earlier peer (the citizen agreed): {note}", note=handover))
    lines.append(
        t._("Please answer within {minutes} minutes.", minutes=rt.config.offer_timeout_minutes)
    )
    return notices.Notice(
        "\n".join(lines),
        (((t._("Accept"), f"offer:acc:{offer_id}"), (t._("Decline"), f"offer:dec:{offer_id}")),),
    )


async def offer_next(rt: Runtime, request_id: int) -> int | None:
    """Offer the request to the next best peer; returns the offer id, or None if nobody fits."""
    async with rt.storage.transaction() as tx:
        offer_id = await offer_next_in(tx, rt, request_id)
    rt.wake_delivery()
    return offer_id


async def offer_next_in(tx: Transaction, rt: Runtime, request_id: int) -> int | None:
    """`offer_next` inside the caller's transaction."""
    request = await request_store.by_id(tx, request_id)
    if request is None or request.status is not RequestStatus.WAITING:
        return None
    if await contact_store.pending_offer(tx, request_id) is not None:
        return None
    asked = await contact_store.peers_already_asked(tx, request_id)
    asked |= await report_store.peers_who_reported(tx, request.citizen_id)
    pending = await contact_store.pending_offers_by_peer(tx)
    approved = await peer_store.approved(tx)
    earlier = [  # the citizen's earlier peer first: they have talked before
        p
        for p in approved
        if p.user_id == request.preferred_peer_id
        and p.user_id not in asked
        and is_free(rt, p, pending.get(p.user_id, 0))
    ]
    candidates = earlier or [
        peer
        for peer in approved
        if peer.user_id not in asked
        and peer.user_id != request.citizen_id
        and is_candidate(rt, peer, request, pending.get(peer.user_id, 0))
    ]
    if not candidates:
        return None
    peer = min(candidates, key=lambda p: (p.active_contacts, p.user_id))
    return await offer_in(tx, rt, request, peer)


async def offer_in(tx: Transaction, rt: Runtime, request: Request, peer: PeerProfile) -> int:
    """Create one offer with its expiry and the peer's message, in the caller's transaction."""
    now = rt.now()
    expires = now + timedelta(minutes=rt.config.offer_timeout_minutes)
    offer_id = await contact_store.create_offer(tx, request.id, peer.user_id, now, expires)
    kept = await handover_store.kept_for(tx, request.citizen_id)
    await notices.send(
        tx,
        peer.telegram_id,
        offer_notice(rt, peer, request, offer_id, kept.note if kept else None),
        purpose="offer",
        now=now,
        ref_id=offer_id,
    )
    return offer_id


@dataclass(frozen=True)
class Suitable:
    """A peer a coordinator may choose for a request, with their load."""

    peer: PeerProfile
    pending: int
    topic_match: bool


async def suitable_peers(
    rt: Runtime, request: Request, exclude: set[int] | frozenset[int] = frozenset()
) -> list[Suitable]:
    """Approved peers free now who speak the request's language; matching topics first."""
    pending = await contact_store.pending_offers_by_peer(rt.storage)
    language = request.language or rt.config.default_language
    reported = await report_store.peers_who_reported(rt.storage, request.citizen_id)
    found = [
        Suitable(
            peer,
            pending.get(peer.user_id, 0),
            request.topic in peer.topics or request.topic == "other",
        )
        for peer in await peer_store.approved(rt.storage)
        if peer.user_id not in exclude
        and peer.user_id not in reported
        and peer.user_id != request.citizen_id
        and language in peer.languages
        and is_free(rt, peer, pending.get(peer.user_id, 0))
    ]
    found.sort(
        key=lambda s: (not s.topic_match, s.peer.active_contacts + s.pending, s.peer.user_id)
    )
    return found


async def chosen_peer_in(
    tx: Transaction, rt: Runtime, request: Request, peer_id: int
) -> PeerProfile | None:
    """The coordinator's choice, checked again at the moment of the offer."""
    peer = await peer_store.profile(tx, peer_id)
    if peer is None or peer.user_id == request.citizen_id:
        return None
    if peer_id in await report_store.peers_who_reported(tx, request.citizen_id):
        return None
    pending = await contact_store.pending_offers_by_peer(tx)
    language = request.language or rt.config.default_language
    if language not in peer.languages or not is_free(rt, peer, pending.get(peer_id, 0)):
        return None
    return peer


class AcceptOutcome(StrEnum):
    ACCEPTED = "accepted"
    TAKEN = "taken"  # expired, withdrawn or someone else was quicker
    NOT_YOURS = "not_yours"


@dataclass(frozen=True)
class AcceptResult:
    outcome: AcceptOutcome
    contact: Contact | None = None


async def _accept(rt: Runtime, offer_id: int, peer_telegram_id: int) -> AcceptResult:
    now = rt.now()
    async with rt.storage.transaction() as tx:
        peer = await user_store.by_telegram_id(tx, peer_telegram_id)
        offer = await contact_store.offer(tx, offer_id)
        if peer is None or offer is None or offer.peer_id != peer.id:
            return AcceptResult(AcceptOutcome.NOT_YOURS)
        if offer.status is not OfferStatus.PENDING or offer.expires_at <= now:
            return AcceptResult(AcceptOutcome.TAKEN)
        request = await request_store.by_id(tx, offer.request_id)
        assert request is not None
        moved = await request_store.set_status(
            tx, request.id, RequestStatus.ACTIVE, now, expected=(RequestStatus.WAITING,)
        )
        answered = await contact_store.answer_offer(
            tx, offer_id, peer.id, OfferStatus.ACCEPTED, now
        )
        if not (moved and answered):
            raise _Lost
        contact_id = await contact_store.create_contact(
            tx, request.id, request.citizen_id, peer.id, now
        )
        await peer_store.set_focus(tx, peer.id, contact_id)
        await peer_store.touch(tx, peer.id, now)
        contact = await contact_store.contact(tx, contact_id)
        assert contact is not None
        t = rt.translator(contact.citizen_language)
        await notices.send(
            tx,
            contact.citizen_chat,
            # The help button under the text box stays from consent; these buttons are inline.
            notices.Notice(
                t._(
                    "Good news: {peer} has said yes to being your peer. You can write here now, "
                    "and I will pass your messages on. {peer} will not see your name or number, "
                    "and you will not see theirs.",
                    peer=contact.peer_name,
                )
                + "\n\n"
                + t._("When you want to stop, /end or the button below ends the contact."),
                (((t._("End the contact"), f"end:ask:{contact_id}"),),),
            ),
            purpose="accepted",
            now=now,
            ref_id=contact_id,
        )
    rt.wake_delivery()
    return AcceptResult(AcceptOutcome.ACCEPTED, contact)


class _Lost(Exception):
    """Rolls the accept transaction back when another change got there first."""


async def accept(rt: Runtime, offer_id: int, peer_telegram_id: int) -> AcceptResult:
    """Exactly one peer wins a request: the offer and the request change in one transaction."""
    try:
        return await _accept(rt, offer_id, peer_telegram_id)
    except _Lost:
        return AcceptResult(AcceptOutcome.TAKEN)


async def decline(rt: Runtime, offer_id: int, peer_telegram_id: int) -> bool:
    """The peer says no; the request goes on to the next peer at once."""
    now = rt.now()
    async with rt.storage.transaction() as tx:
        peer = await user_store.by_telegram_id(tx, peer_telegram_id)
        offer = await contact_store.offer(tx, offer_id)
        if peer is None or offer is None or offer.peer_id != peer.id:
            return False
        if not await contact_store.answer_offer(tx, offer_id, peer.id, OfferStatus.DECLINED, now):
            return False
        await peer_store.touch(tx, peer.id, now)
    await offer_next(rt, offer.request_id)
    return True


async def expire_offers(rt: Runtime) -> int:
    """Offers nobody answered in time pass on; the peer's message says so."""
    now = rt.now()
    expired = await contact_store.expired_offers(rt.storage, now)
    for offer in expired:
        async with rt.storage.transaction() as tx:
            if not await contact_store.answer_offer(
                tx, offer.id, offer.peer_id, OfferStatus.EXPIRED, now
            ):
                continue
            await retract_offer_message(rt, tx, offer.id, offer.peer_id, Retraction.EXPIRED)
        await offer_next(rt, offer.request_id)
    rt.wake_delivery()
    return len(expired)


class Retraction(StrEnum):
    EXPIRED = "expired"
    CLOSED = "closed"  # the request is no longer open
    PASSED = "passed"  # a coordinator gave it to someone else
    WITHDRAWN = "withdrawn"  # the citizen erased their data


async def retract_offer_message(
    rt: Runtime, tx: Transaction, offer_id: int, peer_id: int, why: Retraction
) -> None:
    """Edit the offer the peer got (its buttons go); an offer not yet sent is not sent."""
    await outbox_store.cancel_pending(tx, "offer", offer_id)
    peer = await user_store.by_id(tx, peer_id)
    if peer is None:
        return
    t = rt.translator(peer.language)
    text = {
        Retraction.EXPIRED: t._(
            "This request was not answered in time and has been passed on. That is fine."
        ),
        Retraction.CLOSED: t._("This request is no longer open. Thank you all the same."),
        Retraction.PASSED: t._(
            "A coordinator has passed this request to another peer. Thank you all the same."
        ),
        Retraction.WITHDRAWN: t._("This request has been withdrawn. Thank you all the same."),
    }[why]
    for chat_id, message_id in await outbox_store.sent_messages(tx, "offer", offer_id):
        await notices.edit(
            tx, chat_id, message_id, notices.Notice(text), purpose="offer-closed", now=rt.now()
        )


async def withdraw_in(tx: Transaction, rt: Runtime, offer: Offer, why: Retraction) -> bool:
    """Take back one pending offer and tell its peer; False if it was no longer pending."""
    if not await contact_store.withdraw_offer(tx, offer.id, rt.now()):
        return False
    await retract_offer_message(rt, tx, offer.id, offer.peer_id, why)
    return True


async def _tell_citizen_nobody_yet(rt: Runtime, tx: Transaction, request: Request) -> None:
    """Say it plainly, with the three honest choices."""
    citizen = await user_store.by_id(tx, request.citizen_id)
    if citizen is None:
        return
    t = rt.translator(citizen.language)
    notice = notices.Notice(
        t._(
            "We are sorry, but no peer has been able to say yes to your request yet. Our "
            "coordinators know. You can keep waiting, see who else you can talk to, or cancel "
            "your request."
        ),
        (
            ((t._("Keep waiting"), f"wait:keep:{request.id}"),),
            ((t._("Someone to talk to"), f"wait:lines:{request.id}"),),
            ((t._("Cancel my request"), f"req:cancel:{request.id}"),),
        ),
    )
    await notices.send(
        tx, citizen.telegram_id, notice, purpose="unanswered", now=rt.now(), ref_id=request.id
    )


async def cancel_request(rt: Runtime, request_id: int, citizen_id: int) -> bool:
    """The citizen withdraws their own waiting request; any peer holding the offer is told.
    False for anyone else's request (untrusted ids) and for one no longer waiting."""
    async with rt.storage.transaction() as tx:
        request = await request_store.by_id(tx, request_id)
        if request is None or request.citizen_id != citizen_id:
            return False
        if not await withdraw(rt, tx, request.id, "citizen"):
            return False
    rt.wake_delivery()
    return True


async def withdraw(rt: Runtime, tx: Transaction, request_id: int, reason: str) -> bool:
    """Cancel a waiting request inside `tx`; any peer holding its offer is told."""
    now = rt.now()
    if not await request_store.set_status(
        tx,
        request_id,
        RequestStatus.CANCELLED,
        now,
        expected=(RequestStatus.WAITING,),
        reason=reason,
    ):
        return False
    for offer in await contact_store.withdraw_offers(tx, request_id, now):
        await retract_offer_message(rt, tx, offer.id, offer.peer_id, Retraction.CLOSED)
    return True


async def match_waiting(rt: Runtime) -> int:
    """Try waiting requests without an offer (peers become available over time).

    Stops at the first request nobody can take while no peer at all is free, so a long queue
    on a quiet evening costs one query, not one per request.
    """
    offered = 0
    for request in await request_store.waiting_without_offer(rt.storage):
        if not await _anyone_free(rt):
            break
        if await offer_next(rt, request.id) is not None:
            offered += 1
    return offered


async def _anyone_free(rt: Runtime) -> bool:
    pending = await contact_store.pending_offers_by_peer(rt.storage)
    return any(
        is_free(rt, peer, pending.get(peer.user_id, 0))
        for peer in await peer_store.approved(rt.storage)
    )


async def raise_unanswered(rt: Runtime) -> int:
    """Requests nobody accepted within the total waiting time (office hours) go to coordinators."""
    now = rt.now()
    limit = timedelta(hours=rt.config.total_wait_hours)
    raised = 0
    for request in await request_store.waiting(rt.storage):
        since = request.waiting_since
        if request.unanswered_at is not None or since is None:
            continue
        waited = office_time_between(rt.config.office_hours, since, now, rt.config.timezone)
        if waited < limit:
            continue
        async with rt.storage.transaction() as tx:
            if await request_store.mark_unanswered(tx, request.id, now):
                await escalation.raise_in(
                    tx,
                    rt,
                    reason=escalation.Reason.UNANSWERED,
                    citizen_id=request.citizen_id,
                    request_id=request.id,
                )
                await _tell_citizen_nobody_yet(rt, tx, request)
                raised += 1
    rt.wake_delivery()
    return raised
