"""The coordinators' queue: open requests by state, and what a coordinator can do with one.

Offer a waiting request to a chosen peer (through the ordinary offer, with its expiry), hand an
active contact to another peer, or close a request with a reason. Each action checks the state
again inside its transaction (a stale or doubled button changes nothing), is audited there, and
tells the people involved through the outbox, neutrally and never with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.delivery import notices
from bot.i18n import N_
from bot.runtime import Runtime
from bot.services import contacts as contact_service
from bot.services import matching
from bot.services.coordinators import tell_coordinators
from bot.services.matching import Retraction
from bot.storage import Transaction
from bot.storage import audit as audit_store
from bot.storage import checkins as checkin_store
from bot.storage import contacts as contact_store
from bot.storage import escalations as escalation_store
from bot.storage import requests as request_store
from bot.storage import users as user_store
from bot.storage.contacts import Contact, Offer
from bot.storage.requests import Request, RequestStatus


class Filter(StrEnum):
    ALL = "all"
    WAITING = "waiting"  # nobody has it now
    OFFERED = "offered"  # a peer is being asked
    UNANSWERED = "unanswered"  # raised to coordinators: nobody said yes in time
    URGENT = "urgent"  # the citizen has an urgent alert nobody acknowledged
    ACTIVE = "active"  # in contact with a peer


FILTER_LABELS = {
    Filter.ALL: N_("All"),
    Filter.WAITING: N_("Waiting"),
    Filter.OFFERED: N_("Offered"),
    Filter.UNANSWERED: N_("Unanswered"),
    Filter.URGENT: N_("Urgent"),
    Filter.ACTIVE: N_("In contact"),
}

# `/queue venter` works as well as `/queue waiting`.
FILTER_WORDS = {
    **{f.value: f for f in Filter},
    "alle": Filter.ALL,
    "venter": Filter.WAITING,
    "tilbudt": Filter.OFFERED,
    "ubesvaret": Filter.UNANSWERED,
    "ubesvarede": Filter.UNANSWERED,
    "akut": Filter.URGENT,
    "kontakt": Filter.ACTIVE,
}


class CloseReason(StrEnum):
    RESOLVED = "resolved"
    NOT_NEEDED = "not_needed"
    REFERRED = "referred"
    NO_RESPONSE = "no_response"
    OTHER = "other"


CLOSE_LABELS = {
    CloseReason.RESOLVED: N_("Resolved"),
    CloseReason.NOT_NEEDED: N_("No longer needed"),
    CloseReason.REFERRED: N_("Referred elsewhere"),
    CloseReason.NO_RESPONSE: N_("No response from the citizen"),
    CloseReason.OTHER: N_("Other"),
}


@dataclass(frozen=True)
class Item:
    """One open request as a coordinator sees it."""

    request: Request
    citizen_name: str
    offer: Offer | None
    offered_to: str | None
    contact: Contact | None
    urgent: bool

    @property
    def state(self) -> Filter:
        if self.contact is not None or self.request.status is RequestStatus.ACTIVE:
            return Filter.ACTIVE
        if self.request.unanswered_at is not None:
            return Filter.UNANSWERED
        return Filter.OFFERED if self.offer is not None else Filter.WAITING

    def matches(self, wanted: Filter) -> bool:
        if wanted is Filter.ALL:
            return True
        if wanted is Filter.URGENT:
            return self.urgent
        if wanted is Filter.UNANSWERED:
            return self.request.unanswered_at is not None and self.contact is None
        if wanted is Filter.OFFERED:
            return self.offer is not None
        if wanted is Filter.WAITING:
            return self.request.status is RequestStatus.WAITING and self.offer is None
        return self.state is Filter.ACTIVE


async def items(rt: Runtime, wanted: Filter = Filter.ALL) -> list[Item]:
    """Open requests (waiting and in contact), the urgent ones first, then the oldest."""
    db = rt.storage
    offers = await contact_store.pending_offers(db)
    contacts = await contact_store.active_peer_contacts(db)
    urgent = await escalation_store.open_citizens(db)
    found = []
    for request in await request_store.open_requests(db):
        offer = offers.get(request.id)
        citizen = await user_store.by_id(db, request.citizen_id)
        offered_to = None
        if offer is not None:
            peer = await user_store.by_id(db, offer.peer_id)
            offered_to = peer.pseudonym if peer and peer.pseudonym else "-"
        item = Item(
            request,
            citizen.pseudonym if citizen and citizen.pseudonym else "-",
            offer,
            offered_to,
            contacts.get(request.id),
            request.citizen_id in urgent,
        )
        if item.matches(wanted):
            found.append(item)
    found.sort(key=lambda i: (not i.urgent, i.request.waiting_since or i.request.created_at))
    return found


async def item(rt: Runtime, request_id: int) -> Item | None:
    """One open request, for its card; None when it is closed or unknown."""
    return next((i for i in await items(rt) if i.request.id == request_id), None)


async def _audit(tx: Transaction, rt: Runtime, actor: int, action: str, target: str) -> None:
    await audit_store.record(tx, actor, action, target, rt.now())


# Offer to a chosen peer -------------------------------------------------------------------------


class OfferOutcome(StrEnum):
    OFFERED = "offered"
    ALREADY = "already"  # the same offer is pending (a doubled press)
    STALE = "stale"  # the request is no longer waiting
    PEER_BUSY = "peer_busy"  # the peer is no longer free or suitable


async def offer_to(rt: Runtime, request_id: int, peer_id: int, actor: int) -> OfferOutcome:
    """Offer a waiting request to the peer a coordinator chose; a pending offer to someone else
    is withdrawn first (that peer is told). Declined or expired, matching goes on as usual."""
    async with rt.storage.transaction() as tx:
        request = await request_store.by_id(tx, request_id)
        if request is None or request.status is not RequestStatus.WAITING:
            return OfferOutcome.STALE
        pending = await contact_store.pending_offer(tx, request_id)
        if pending is not None and pending.peer_id == peer_id:
            return OfferOutcome.ALREADY
        peer = await matching.chosen_peer_in(tx, rt, request, peer_id)
        if peer is None:
            return OfferOutcome.PEER_BUSY
        if pending is not None:
            await matching.withdraw_in(tx, rt, pending, Retraction.PASSED)
        await matching.offer_in(tx, rt, request, peer)
        await _audit(tx, rt, actor, "offer_request", f"request:{request_id},peer:{peer_id}")
    rt.wake_delivery()
    return OfferOutcome.OFFERED


# Hand an active contact to another peer --------------------------------------------------------


async def detach_in(
    tx: Transaction, rt: Runtime, contact: Contact, ended_by: str = "coordinator"
) -> bool:
    """End a peer's contact on the coordinators' side and put its request back to matching.

    The peer's check-ins for it are cancelled; nobody is told here (the callers say why, in
    their own words). False when the contact had already ended.
    """
    now = rt.now()
    if contact.kind != "peer" or contact.request_id is None:
        return False
    if not await contact_store.end_contact(tx, contact.id, ended_by, now):
        return False
    await checkin_store.cancel_for_contact(tx, contact.id)
    await request_store.requeue(tx, contact.request_id, now)
    return True


async def _tell(
    tx: Transaction, rt: Runtime, chat_id: int, text: str, purpose: str, ref_id: int
) -> None:
    await notices.send(
        tx, chat_id, notices.Notice(text), purpose=purpose, now=rt.now(), ref_id=ref_id
    )


async def reassign(rt: Runtime, contact_id: int, peer_id: int, actor: int) -> OfferOutcome:
    """The contact ends for its peer, and the chosen peer gets the request as an ordinary offer;
    everyone is told neutrally. If the new peer declines, matching goes on as usual."""
    async with rt.storage.transaction() as tx:
        contact = await contact_store.contact(tx, contact_id)
        if contact is None or not contact.active or contact.request_id is None:
            return OfferOutcome.STALE
        if contact.peer_id == peer_id:
            return OfferOutcome.PEER_BUSY
        request = await request_store.by_id(tx, contact.request_id)
        if request is None:
            return OfferOutcome.STALE
        peer = await matching.chosen_peer_in(tx, rt, request, peer_id)
        if peer is None:
            return OfferOutcome.PEER_BUSY
        if not await detach_in(tx, rt, contact):
            return OfferOutcome.STALE  # nothing was written yet
        request = await request_store.by_id(tx, contact.request_id)
        assert request is not None
        peer_t = rt.translator(contact.peer_language)
        await _tell(
            tx,
            rt,
            contact.peer_chat,
            peer_t._(
                "A coordinator has passed your contact with {name} on to another peer. Thank "
                "you for your time and care.",
                name=contact.citizen_name,
            ),
            "contact-ended",
            contact.id,
        )
        citizen_t = rt.translator(contact.citizen_language)
        await _tell(
            tx,
            rt,
            contact.citizen_chat,
            citizen_t._(
                "Your conversation with {name} here has ended, and another peer will take "
                "over. I will tell you as soon as they say yes.",
                name=contact.peer_name,
            ),
            "contact-moved",
            contact.id,
        )
        await matching.offer_in(tx, rt, request, peer)
        await _audit(tx, rt, actor, "reassign_contact", f"contact:{contact_id},peer:{peer_id}")
    rt.wake_delivery()
    return OfferOutcome.OFFERED


async def rematch_in(tx: Transaction, rt: Runtime, request_id: int) -> bool:
    """Offer a request to the next peer, or, when nobody is free, hand it to the coordinators
    (not urgent: it stays open, and the unanswered alert still comes in time)."""
    if await matching.offer_next_in(tx, rt, request_id) is not None:
        return True
    await tell_coordinators(
        rt,
        tx,
        lambda t: notices.Notice(
            t._(
                "Request #{number} needs a new peer and nobody is free right now. It "
                "stays open; please look at it in /queue.",
                number=request_id,
            ),
            (((t._("Open #{number}", number=request_id), f"q:open:{request_id}"),),),
        ),
        purpose="request-handed",
        ref_id=request_id,
    )
    return False


# Close with a reason ----------------------------------------------------------------------------


class _Stale(Exception):
    """Rolls a coordinator's action back when the state changed under it."""


async def close(rt: Runtime, request_id: int, reason: CloseReason, actor: int) -> bool:
    """Close an open request for a reason; a contact ends, offers are withdrawn, and the citizen
    gets a short kind message (never the reason). False if it was no longer open."""
    try:
        await _close(rt, request_id, reason, actor)
    except _Stale:
        return False
    rt.wake_delivery()
    return True


async def _close(rt: Runtime, request_id: int, reason: CloseReason, actor: int) -> None:
    now = rt.now()
    async with rt.storage.transaction() as tx:
        request = await request_store.by_id(tx, request_id)
        if request is None or request.status not in (RequestStatus.WAITING, RequestStatus.ACTIVE):
            raise _Stale
        citizen = await user_store.by_id(tx, request.citizen_id)
        contact = await contact_store.active_for_request(tx, request_id)
        if citizen is not None and not citizen.unreachable:
            t = rt.translator(citizen.language)
            text = (
                t._(
                    "We have not heard from you for a while, so our team has closed your "
                    "request. You are welcome to ask for a peer again at any time with /start."
                )
                if reason is CloseReason.NO_RESPONSE
                else t._(
                    "Our team has closed your request here. Thank you for reaching out. You are "
                    "welcome to ask for a peer again at any time with /start."
                )
            )
            await _tell(tx, rt, citizen.telegram_id, text, "request-closed", request_id)
        if contact is not None:
            if not await contact_service.end_in(
                tx, rt, contact, "coordinator", close_reason=reason.value
            ):
                raise _Stale
        else:
            if not await request_store.set_status(
                tx,
                request_id,
                RequestStatus.CLOSED,
                now,
                expected=(RequestStatus.WAITING, RequestStatus.ACTIVE),
                reason=reason.value,
            ):
                raise _Stale
            for offer in await contact_store.withdraw_offers(tx, request_id, now):
                await matching.retract_offer_message(
                    rt, tx, offer.id, offer.peer_id, Retraction.CLOSED
                )
        await _audit(tx, rt, actor, "close_request", f"request:{request_id},{reason.value}")
