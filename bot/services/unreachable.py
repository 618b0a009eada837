"""A peer who blocked the bot: their contacts are not left hanging, and matching skips them.

Found out when a relayed message is refused (`Forbidden`), when Telegram reports the block, or
when the outbox cannot deliver to them. The first time, the peer is marked unreachable (so no
offer goes to them), the coordinators are told with each contact's request to open (where
"Hand to another peer" and "Close" decide), and each citizen is told kindly and offered a new
peer. The contacts stay open until a coordinator or the citizen decides; the peer is reachable
again as soon as they write to the bot or unblock it.
"""

from __future__ import annotations

from enum import StrEnum

from bot.delivery import notices
from bot.runtime import Runtime
from bot.services import contacts as contact_service
from bot.services import request_queue
from bot.services.coordinators import tell_coordinators
from bot.storage import contacts as contact_store
from bot.storage import peers as peer_store
from bot.storage import users as user_store
from bot.storage.users import User


async def came_back(rt: Runtime, telegram_id: int) -> None:
    """Whoever writes, presses a button or unblocks the bot can be reached again (a peer gets
    offers again)."""
    await user_store.mark_unreachable(rt.storage, telegram_id, None)


async def mark_blocked(rt: Runtime, telegram_id: int) -> None:
    """Record that Telegram refused a message to this person (they blocked the bot)."""
    await user_store.mark_unreachable(rt.storage, telegram_id, rt.now())


async def membership_changed(rt: Runtime, telegram_id: int, *, blocked: bool) -> None:
    """Telegram says a person blocked (or unblocked) the bot: a peer's citizens and the
    coordinators are told once, a citizen's contact ends; unblocking makes them reachable."""
    user = await user_store.by_telegram_id(rt.storage, telegram_id)
    if user is None:
        return
    if blocked:
        await peer_unreachable(rt, user.telegram_id)
        await contact_service.citizen_unreachable(rt, user)
    else:
        await came_back(rt, user.telegram_id)


async def citizen_gone(rt: Runtime, citizen_id: int) -> None:
    """A relayed message to a citizen was refused: their contacts end (see
    `contacts.citizen_unreachable`)."""
    citizen = await user_store.by_id(rt.storage, citizen_id)
    if citizen is not None:
        await contact_service.citizen_unreachable(rt, citizen)


async def peer_unreachable(rt: Runtime, telegram_id: int) -> bool:
    """Mark a peer who blocked the bot; the first time, tell coordinators and citizens.

    True when this call found it out (False when it was known, or the person is no peer).
    """
    now = rt.now()
    async with rt.storage.transaction() as tx:
        user = await user_store.by_telegram_id(tx, telegram_id)
        if user is None or await peer_store.profile(tx, user.id) is None:
            return False
        if not await user_store.mark_unreachable_once(tx, telegram_id, now):
            return False
        contacts = [c for c in await contact_store.active_for_peer(tx, user.id) if c.kind == "peer"]
        for contact in contacts:
            t = rt.translator(contact.citizen_language)
            await notices.send(
                tx,
                contact.citizen_chat,
                notices.Notice(
                    t._(
                        "{name} cannot be reached here right now, so messages to them are not "
                        "passed on. It is not about you. Our coordinators know. If you like, "
                        "we can find you a new peer; or you can wait and see whether {name} "
                        "comes back.",
                        name=contact.peer_name,
                    ),
                    (((t._("Find me a new peer"), f"relay:new:{contact.id}"),),),
                ),
                purpose="peer-unreachable",
                now=now,
                ref_id=contact.id,
            )
        requests = [c.request_id for c in contacts if c.request_id is not None]
        await tell_coordinators(
            rt,
            tx,
            lambda t: notices.Notice(
                t._(
                    "Peer {name} cannot be reached any more (they may have blocked the bot). "
                    "They get no new offers until they write to the bot again. Open contacts: "
                    "{count}. Their citizens were told and can ask for a new peer themselves; "
                    "you can hand each contact to another peer or close it.",
                    name=user.pseudonym or "-",
                    count=len(contacts),
                ),
                tuple(
                    ((t._("Open #{number}", number=request_id), f"q:open:{request_id}"),)
                    for request_id in requests[:10]
                ),
            ),
            purpose="peer-unreachable",
            ref_id=user.id,
        )
    rt.wake_delivery()
    return True


class NewPeer(StrEnum):
    REQUEUED = "requeued"  # the contact ended and the request is looking for a new peer
    BACK = "back"  # the peer can be reached again: the contact goes on
    STALE = "stale"  # not the citizen's, or already ended


async def find_new_peer(rt: Runtime, citizen: User, contact_id: int) -> NewPeer:
    """The citizen of an unreachable peer's contact asks for a new peer."""
    async with rt.storage.transaction() as tx:
        contact = await contact_store.contact(tx, contact_id)
        if (
            contact is None
            or not contact.active
            or contact.kind != "peer"
            or contact.citizen_id != citizen.id
            or contact.request_id is None
        ):
            return NewPeer.STALE
        if not contact.peer_unreachable:
            return NewPeer.BACK
        if not await request_queue.detach_in(tx, rt, contact, "peer_unreachable"):
            return NewPeer.STALE
        await request_queue.rematch_in(tx, rt, contact.request_id)
    rt.wake_delivery()
    return NewPeer.REQUEUED
