"""Ending a contact, and the citizen's optional feedback afterwards."""

from __future__ import annotations

from bot.config.lines import talk_lines
from bot.delivery import notices
from bot.i18n import Translator
from bot.runtime import Runtime
from bot.services import communities, peer_care, relay
from bot.storage import Transaction
from bot.storage import checkins as checkin_store
from bot.storage import contacts as contact_store
from bot.storage import requests as request_store
from bot.storage import users as user_store
from bot.storage.contacts import Contact
from bot.storage.requests import Request, RequestStatus
from bot.storage.users import User

COMMENT_LIMIT = 500


def feedback_notice(t: Translator, contact_id: int) -> notices.Notice:
    return notices.Notice(
        t._(
            "If you like, tell us how it was to talk with your peer, from 1 (not good) to "
            "5 (very good). It is optional and helps us improve."
        ),
        (
            tuple((str(n), f"fb:{contact_id}:{n}") for n in range(1, 6)),
            ((t._("No thanks"), f"fb:{contact_id}:0"),),
        ),
    )


async def end(rt: Runtime, contact: Contact, ended_by: str) -> bool:
    """End the contact for both sides; the citizen is offered feedback and a new request later.

    `ended_by` is ``citizen``, ``peer``, ``unreachable`` (the citizen blocked the bot),
    ``coordinator`` or ``handed_back`` (the coordinator in the conversation lost the role).
    """
    async with rt.storage.transaction() as tx:
        ended = await end_in(tx, rt, contact, ended_by)
    rt.wake_delivery()
    return ended


async def end_own(rt: Runtime, contact_id: int, user_id: int) -> bool:
    """A person ends one of their own active contacts, from whichever side they are on; False
    for anyone else's contact (untrusted ids) or one already ended."""
    contact = await contact_store.contact(rt.storage, contact_id)
    if (
        contact is None
        or not contact.active
        or user_id not in (contact.citizen_id, contact.peer_id)
    ):
        return False
    return await end(rt, contact, "citizen" if contact.citizen_id == user_id else "peer")


async def end_in(
    tx: Transaction,
    rt: Runtime,
    contact: Contact,
    ended_by: str,
    *,
    close_reason: str | None = None,
) -> bool:
    """`end` inside the caller's transaction; `close_reason` is stored on the request."""
    now = rt.now()
    if not await contact_store.end_contact(tx, contact.id, ended_by, now):
        return False
    await checkin_store.cancel_for_contact(tx, contact.id)
    if contact.request_id is not None and contact.kind == "peer":
        await request_store.set_status(
            tx,
            contact.request_id,
            RequestStatus.CLOSED,
            now,
            expected=(RequestStatus.ACTIVE,),
            reason=close_reason or ended_by,
        )
    peer_t = rt.translator(contact.peer_language)
    citizen_t = rt.translator(contact.citizen_language)
    if ended_by != "peer":
        await notices.send(
            tx,
            contact.peer_chat,
            notices.Notice(
                peer_t._(
                    "Your contact with {name} has ended. Thank you for your time and care.",
                    name=contact.citizen_name,
                )
            ),
            purpose="contact-ended",
            now=now,
            ref_id=contact.id,
        )
    if ended_by == "unreachable" and contact.kind == "peer":
        await peer_care.heavy_moment(tx, rt, contact.peer_id, "blocked")
    if ended_by == "peer" and contact.kind == "coordinator":
        await notices.send(
            tx,
            contact.citizen_chat,
            notices.Notice(await _coordinator_ended(tx, rt, citizen_t, contact)),
            purpose="contact-ended",
            now=now,
            ref_id=contact.id,
        )
        return True
    if ended_by == "peer":
        await notices.send(
            tx,
            contact.citizen_chat,
            notices.Notice(
                citizen_t._(
                    "{name} has ended your conversation here. Thank you for talking with us. "
                    "You are welcome to ask for a peer again at any time with /start.",
                    name=contact.peer_name,
                )
                + "\n\n"
                + talk_lines(citizen_t, rt.config)
            ),
            purpose="contact-ended",
            now=now,
            ref_id=contact.id,
        )
    if ended_by == "handed_back":
        await notices.send(
            tx,
            contact.citizen_chat,
            notices.Notice(
                citizen_t._(
                    "The coordinator you were writing with can no longer continue this "
                    "conversation here. The rest of our team has been told. You can write "
                    "/start at any time."
                )
                + "\n\n"
                + talk_lines(citizen_t, rt.config)
            ),
            purpose="contact-ended",
            now=now,
            ref_id=contact.id,
        )
        return True
    if ended_by != "unreachable" and contact.kind == "peer":
        # Feedback is about peers: a coordinator's conversation is not asked about, nor counted.
        await notices.send(
            tx,
            contact.citizen_chat,
            feedback_notice(citizen_t, contact.id),
            purpose="feedback",
            now=now,
            ref_id=contact.id,
        )
        await communities.offer_after_contact(tx, rt, contact)
    return True


async def _coordinator_ended(tx: Transaction, rt: Runtime, t: Translator, contact: Contact) -> str:
    """What a citizen hears when the coordinator ends their conversation: who, and whether
    their contact with a peer goes on."""
    name = relay.display_name(t, contact, relay.Side.PEER)
    text = t._("{name} has ended your conversation here. Thank you for talking with us.", name=name)
    peer = await contact_store.active_for_citizen(tx, contact.citizen_id)
    if peer is not None and peer.kind == "peer":
        return (
            text
            + " "
            + t._(
                "Your contact with {peer} goes on: just write here as before.", peer=peer.peer_name
            )
        )
    return "\n\n".join(
        [text + " " + t._("You can write /start at any time."), talk_lines(t, rt.config)]
    )


async def of_peer(rt: Runtime, peer_id: int) -> list[Contact]:
    """The active contacts in which the person is the peer (or the coordinator), oldest first."""
    return await contact_store.active_for_peer(rt.storage, peer_id)


async def own_as_peer(
    rt: Runtime, contact_id: int, peer_id: int, *, kind: str | None = None
) -> Contact | None:
    """One of the person's own active contacts as its peer (of `kind`, if given); None for
    anyone else's (untrusted ids)."""
    found = [c for c in await of_peer(rt, peer_id) if c.id == contact_id]
    return found[0] if found and (kind is None or found[0].kind == kind) else None


async def mine(rt: Runtime, user_id: int) -> list[Contact]:
    """The person's active contacts: a citizen's own (a coordinator's conversation beside a
    peer's, say), or else those of the peer (or coordinator) they are."""
    involving = await contact_store.active_involving(rt.storage, user_id)
    as_citizen = [c for c in involving if c.citizen_id == user_id]
    return as_citizen or [c for c in involving if c.peer_id == user_id]


async def serving(rt: Runtime, request: Request) -> Contact | None:
    """The active peer contact that serves the request, also while a coordinator talks with
    the citizen."""
    return await contact_store.active_for_request(rt.storage, request.id)


async def citizen_unreachable(rt: Runtime, citizen: User) -> int:
    """A citizen blocked the bot: their contact ends and the peer is told; nothing is retried."""
    await user_store.mark_unreachable(rt.storage, citizen.telegram_id, rt.now())
    ended = 0
    for contact in await contact_store.active_involving(rt.storage, citizen.id):
        if contact.citizen_id == citizen.id:  # a coordinator's conversation and a peer's alike
            ended += int(await end(rt, contact, "unreachable"))
    return ended


async def rate(rt: Runtime, citizen: User, contact_id: int, rating: int) -> bool:
    """Store a 1-5 rating for the citizen's own ended contact, once; 0 means no thanks."""
    contact = await contact_store.contact(rt.storage, contact_id)
    if (
        contact is None
        or contact.citizen_id != citizen.id
        or contact.active
        or contact.kind != "peer"
    ):
        return False
    if rating == 0 or await contact_store.feedback_exists(rt.storage, contact_id):
        return rating == 0
    async with rt.storage.transaction() as tx:
        await contact_store.add_feedback(tx, contact_id, citizen.id, rating, rt.now())
    return True


async def comment_pending(rt: Runtime, citizen: User) -> int | None:
    return await contact_store.awaiting_comment(rt.storage, citizen.id)


async def add_comment(rt: Runtime, feedback_id: int, text: str | None) -> None:
    comment = " ".join((text or "").split())[:COMMENT_LIMIT] or None
    await contact_store.set_comment(rt.storage, feedback_id, comment)
