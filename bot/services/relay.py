"""Routing of conversation messages between a citizen and their peer (or a coordinator).

The bot copies messages and keeps only which message id maps to which; it never stores text.
A message reaches a citizen only through a contact the sender is part of, chosen by the reply
it answers or the peer's current focus, never by guesswork.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot import metrics
from bot.runtime import Runtime
from bot.storage import contacts as contact_store
from bot.storage import peers as peer_store
from bot.storage.contacts import Contact
from bot.storage.users import User

BURST_GAP = timedelta(minutes=10)
CRISIS_NOTICE_EVERY = timedelta(hours=1)
SPOKEN_KEY = "relay.last_spoken"
SPOKEN_KEEP = 10_000
SPOKEN_SETTLED = timedelta(minutes=1)


class Side(StrEnum):
    CITIZEN = "citizen"
    PEER = "peer"


class RouteProblem(StrEnum):
    NO_CONTACT = "no_contact"
    CHOOSE = "choose"  # a peer with several contacts must say who the message is for


@dataclass(frozen=True)
class Route:
    contact: Contact | None
    side: Side
    target_chat: int
    reply_to: int | None
    problem: RouteProblem | None = None


async def route(rt: Runtime, sender: User, reply_to_message_id: int | None) -> Route:
    """Decide where a message from `sender` goes."""
    db = rt.storage
    if reply_to_message_id is not None:
        mapped = await contact_store.counterpart(db, sender.telegram_id, reply_to_message_id)
        if mapped is not None:
            contact = await contact_store.contact(db, mapped[0])
            if contact is not None and contact.active:
                contact = _fresh(rt, contact)
                side = _side_of(contact, sender)
                if side is not None:
                    if side is Side.PEER:
                        await peer_store.set_focus(db, sender.id, contact.id)
                    return Route(contact, side, _other_chat(contact, side), mapped[1])
    involving = [_fresh(rt, c) for c in await contact_store.active_involving(db, sender.id)]
    as_citizen = [c for c in involving if c.citizen_id == sender.id]
    if as_citizen:
        return Route(as_citizen[0], Side.CITIZEN, as_citizen[0].peer_chat, None)
    contacts = [c for c in involving if c.peer_id == sender.id]
    if not contacts:
        return Route(None, Side.CITIZEN, 0, None, RouteProblem.NO_CONTACT)
    if len(contacts) == 1:
        return Route(contacts[0], Side.PEER, contacts[0].citizen_chat, None)
    profile = await peer_store.profile(db, sender.id)
    focus = profile.focus_contact_id if profile else None
    chosen = next((c for c in contacts if c.id == focus), None)
    if chosen is None or _someone_else_spoke_last(contacts, chosen):
        return Route(None, Side.PEER, 0, None, RouteProblem.CHOOSE)
    return Route(chosen, Side.PEER, chosen.citizen_chat, None)


def _someone_else_spoke_last(contacts: list[Contact], chosen: Contact) -> bool:
    """True when the newest message in the peer's chat came from another citizen.

    Then an unthreaded reply is ambiguous, and guessing could reach the wrong person.
    """
    spoken = [c for c in contacts if c.last_message_at is not None]
    if not spoken:
        return False
    latest = max(spoken, key=lambda c: c.last_message_at)  # type: ignore[arg-type, return-value]
    return latest.id != chosen.id and latest.last_sender == Side.CITIZEN.value


def _side_of(contact: Contact, sender: User) -> Side | None:
    if contact.citizen_id == sender.id:
        return Side.CITIZEN
    if contact.peer_id == sender.id:
        return Side.PEER
    return None


def _other_chat(contact: Contact, side: Side) -> int:
    return contact.peer_chat if side is Side.CITIZEN else contact.citizen_chat


def needs_header(contact: Contact, side: Side, rt: Runtime) -> bool:
    """A name header starts each burst: first message, the other side spoke, or a long pause."""
    if contact.last_sender != side.value or contact.last_message_at is None:
        return True
    return rt.now() - contact.last_message_at > BURST_GAP


def delivered(
    rt: Runtime, route_: Route, source: tuple[int, int], copy_id: int, copy_kind: str = "text"
) -> None:
    """Record the mapping (with the copy's kind: 'text', 'caption' or 'bare') and the burst
    counter in the next group commit."""
    assert route_.contact is not None
    metrics.RELAYED.inc()
    now = rt.now()
    contact_store.note_relayed_later(
        rt.later,
        route_.contact.id,
        route_.side.value,
        source,
        (route_.target_chat, copy_id),
        now,
        copy_kind,
    )
    spoken = _last_spoken(rt)
    if len(spoken) >= SPOKEN_KEEP:
        _forget_old_spoken(rt, spoken, now)
    spoken[route_.contact.id] = (route_.side.value, now)
    if route_.side is Side.PEER and route_.contact.kind == "peer":
        peer_store.touch_later(rt.later, route_.contact.peer_id, now)


def _last_spoken(rt: Runtime) -> dict[int, tuple[str, datetime]]:
    """Who wrote last in each contact, as relayed by this process.

    The group commit writes the same to the contact's row some milliseconds later; until then
    the row is behind, and the next message of a burst would get a second name header (or a
    peer's unthreaded reply could miss that another citizen just wrote).
    """
    spoken: dict[int, tuple[str, datetime]] = rt.extras.setdefault(SPOKEN_KEY, {})
    return spoken


def _forget_old_spoken(rt: Runtime, spoken: dict[int, tuple[str, datetime]], now: datetime) -> None:
    """Keep memory bounded: forget contacts quiet for `SPOKEN_SETTLED`, whose group commit
    landed long ago, and drop cached contacts so that theirs are read afresh from the rows.
    Recent entries stay: their rows may still be waiting for the group commit."""
    for contact_id, (_, at) in list(spoken.items()):
        if now - at > SPOKEN_SETTLED:
            del spoken[contact_id]
    rt.storage.forget_cached(["contacts"])


def _fresh(rt: Runtime, contact: Contact) -> Contact:
    """The contact with who-wrote-last as relayed, if its row has not caught up yet."""
    known = _last_spoken(rt).get(contact.id)
    if (
        known is None
        or (contact.last_sender, contact.last_message_at) == known
        or (contact.last_message_at is not None and contact.last_message_at > known[1])
    ):
        return contact
    return replace(contact, last_sender=known[0], last_message_at=known[1])


async def focus(rt: Runtime, peer: User, contact_id: int) -> Contact | None:
    """The peer chooses whom their next messages go to; only their own active contacts."""
    contact = await contact_store.contact(rt.storage, contact_id)
    if contact is None or not contact.active or contact.peer_id != peer.id:
        return None
    await peer_store.set_focus(rt.storage, peer.id, contact.id)
    return contact


async def should_show_crisis_lines(rt: Runtime, contact: Contact) -> bool:
    now = rt.now()
    return await contact_store.claim_crisis_notice(
        rt.storage, contact.id, now, now - CRISIS_NOTICE_EVERY
    )
