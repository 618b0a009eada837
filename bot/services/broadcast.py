"""A coordinator's message to every peer (a supervision meeting, news), confirmed first.

`/broadcast <text>` makes a draft and shows how many peers will get it; only the author's
press of *Send* sends it, once, through the outbox at bulk priority (urgent messages always go
first, and the dispatcher paces itself below Telegram's limits). A coordinator can send one
broadcast per `coordinators.broadcast_interval_minutes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.delivery import notices
from bot.errors import UserInputError
from bot.i18n import N_
from bot.runtime import Runtime
from bot.services import privacy
from bot.storage import Database, Transaction
from bot.storage import audit as audit_store
from bot.storage import broadcasts as broadcast_store
from bot.storage import peers as peer_store
from bot.storage.outbox import Priority
from bot.storage.peers import PeerProfile, PeerStatus

TEXT_LIMIT = 3500  # leaves room for the header within Telegram's 4096 characters
DRAFT_LIFETIME = privacy.DRAFT_LIFETIME


async def recipients(db: Database | Transaction) -> list[PeerProfile]:
    """Approved peers, paused ones too: a pause stops offers, not news from the team."""
    return await peer_store.with_status(db, PeerStatus.APPROVED, PeerStatus.PAUSED)


async def next_allowed(rt: Runtime, db: Database | Transaction, actor: int) -> datetime | None:
    """When the coordinator may broadcast again; None if they may now."""
    last = await broadcast_store.last_sent_by(db, actor)
    if last is None:
        return None
    allowed = last + timedelta(minutes=rt.config.broadcast_interval_minutes)
    return allowed if allowed > rt.now() else None


@dataclass(frozen=True)
class Draft:
    id: int
    text: str
    recipients: int


def clean(text: str) -> str:
    body = text.strip()
    if not body:
        raise UserInputError(
            N_(
                "Write the message after the command, for example: /broadcast Supervision "
                "meeting on Thursday at 17:00."
            )
        )
    if len(body) > TEXT_LIMIT:
        raise UserInputError(N_("Please keep a broadcast under 3500 characters."))
    return body


async def prepare(rt: Runtime, actor: int, text: str) -> Draft:
    """Store the draft (replacing the coordinator's earlier unsent one) and count recipients."""
    body = clean(text)
    now = rt.now()
    async with rt.storage.transaction() as tx:
        await broadcast_store.discard_drafts_before(tx, now - DRAFT_LIFETIME)
        draft_id = await broadcast_store.create_draft(tx, actor, body, now)
        count = len(await recipients(tx))
    return Draft(draft_id, body, count)


class SendOutcome(StrEnum):
    SENT = "sent"
    STALE = "stale"  # unknown, someone else's, already sent or cancelled
    TOO_SOON = "too_soon"
    NOBODY = "nobody"


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    recipients: int = 0
    next_at: datetime | None = None


async def send(rt: Runtime, broadcast_id: int, actor: int) -> SendResult:
    """Send the author's draft to every peer, once; audited with the count, never the text."""
    now = rt.now()
    async with rt.storage.transaction() as tx:
        draft = await broadcast_store.by_id(tx, broadcast_id)
        if draft is None or draft.actor_id != actor or draft.sent_at is not None or not draft.text:
            return SendResult(SendOutcome.STALE)
        if now - draft.created_at > DRAFT_LIFETIME:
            return SendResult(SendOutcome.STALE)
        next_at = await next_allowed(rt, tx, actor)
        if next_at is not None:
            return SendResult(SendOutcome.TOO_SOON, next_at=next_at)
        peers = await recipients(tx)
        if not peers:
            return SendResult(SendOutcome.NOBODY)
        for peer in peers:
            t = rt.translator(peer.language)
            await notices.send(
                tx,
                peer.telegram_id,
                notices.Notice(t._("From the coordinators:") + "\n\n" + draft.text),
                purpose="broadcast",
                now=now,
                priority=Priority.BULK,
                ref_id=broadcast_id,
            )
        await broadcast_store.mark_sent(tx, broadcast_id, len(peers), now)
        await audit_store.record(tx, actor, "broadcast", f"broadcast:{broadcast_id}", now)
    rt.wake_delivery()
    return SendResult(SendOutcome.SENT, len(peers))


async def cancel(rt: Runtime, broadcast_id: int, actor: int) -> bool:
    async with rt.storage.transaction() as tx:
        return await broadcast_store.discard(tx, broadcast_id, actor)
