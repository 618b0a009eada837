"""Offers of a request to a peer, the contacts that follow, the relay mapping and feedback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain import Contact
from bot.storage.database import Database, Row, Transaction
from bot.storage.group_commit import GroupWriter


class OfferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Offer:
    id: int
    request_id: int
    peer_id: int
    status: OfferStatus
    expires_at: datetime


def _offer(row: Row) -> Offer:
    return Offer(
        id=row["id"],
        request_id=row["request_id"],
        peer_id=row["peer_id"],
        status=OfferStatus(row["status"]),
        expires_at=datetime.fromisoformat(row["expires_at"]),
    )


CONTACT_SQL = """
    SELECT c.*, cu.telegram_id AS citizen_chat, pu.telegram_id AS peer_chat,
        cu.pseudonym AS citizen_name, pu.pseudonym AS peer_name,
        cu.language AS citizen_language, pu.language AS peer_language,
        pu.unreachable_at AS peer_unreachable_at
    FROM contacts c
    JOIN users cu ON cu.id = c.citizen_id
    JOIN users pu ON pu.id = c.peer_id
"""


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _contact(row: Row) -> Contact:
    return Contact(
        id=row["id"],
        kind=row["kind"],
        request_id=row["request_id"],
        citizen_id=row["citizen_id"],
        peer_id=row["peer_id"],
        citizen_chat=row["citizen_chat"],
        peer_chat=row["peer_chat"],
        citizen_name=row["citizen_name"] or "",
        peer_name=row["peer_name"] or "",
        citizen_language=row["citizen_language"],
        peer_language=row["peer_language"],
        active=row["status"] == "active",
        last_sender=row["last_sender"],
        last_message_at=_dt(row["last_message_at"]),
        started_at=_dt(row["started_at"]),
        ended_at=_dt(row["ended_at"]),
        ended_by=row["ended_by"],
        peer_unreachable=row["peer_unreachable_at"] is not None,
        handover_asked=row["handover_asked_at"] is not None,
    )


# Offers ---------------------------------------------------------------------------------------


async def create_offer(
    tx: Transaction, request_id: int, peer_id: int, now: datetime, expires: datetime
) -> int:
    return await tx.execute(
        "INSERT INTO offers (request_id, peer_id, status, offered_at, expires_at)"
        " VALUES (?, ?, 'pending', ?, ?)",
        (request_id, peer_id, now.isoformat(), expires.isoformat()),
    )


async def offer(db: Database | Transaction, offer_id: int) -> Offer | None:
    row = await db.fetchone("SELECT * FROM offers WHERE id = ?", (offer_id,))
    return _offer(row) if row else None


async def pending_offer(db: Database | Transaction, request_id: int) -> Offer | None:
    row = await db.fetchone(
        "SELECT * FROM offers WHERE request_id = ? AND status = 'pending'", (request_id,)
    )
    return _offer(row) if row else None


async def answer_offer(
    tx: Transaction, offer_id: int, peer_id: int, status: OfferStatus, now: datetime
) -> bool:
    """Settle a pending offer for its own peer; False if it was not theirs or not pending."""
    return bool(
        await tx.execute_rowcount(
            "UPDATE offers SET status = ?, answered_at = ?"
            " WHERE id = ? AND peer_id = ? AND status = 'pending'",
            (status.value, now.isoformat(), offer_id, peer_id),
        )
    )


async def expired_offers(db: Database, now: datetime) -> list[Offer]:
    rows = await db.fetchall(
        "SELECT * FROM offers WHERE status = 'pending' AND expires_at <= ?", (now.isoformat(),)
    )
    return [_offer(row) for row in rows]


async def withdraw_offers(tx: Transaction, request_id: int, now: datetime) -> list[Offer]:
    rows = await tx.fetchall(
        "SELECT * FROM offers WHERE request_id = ? AND status = 'pending'", (request_id,)
    )
    await tx.execute(
        "UPDATE offers SET status = 'withdrawn', answered_at = ?"
        " WHERE request_id = ? AND status = 'pending'",
        (now.isoformat(), request_id),
    )
    return [_offer(row) for row in rows]


async def withdraw_offer(tx: Transaction, offer_id: int, now: datetime) -> bool:
    return bool(
        await tx.execute_rowcount(
            "UPDATE offers SET status = 'withdrawn', answered_at = ?"
            " WHERE id = ? AND status = 'pending'",
            (now.isoformat(), offer_id),
        )
    )


async def pending_offers_of_peer(db: Database | Transaction, peer_id: int) -> list[Offer]:
    rows = await db.fetchall(
        "SELECT * FROM offers WHERE peer_id = ? AND status = 'pending' ORDER BY id", (peer_id,)
    )
    return [_offer(row) for row in rows]


async def pending_offers(db: Database | Transaction) -> dict[int, Offer]:
    """The pending offer of each request that has one, by request id."""
    rows = await db.fetchall("SELECT * FROM offers WHERE status = 'pending'")
    return {row["request_id"]: _offer(row) for row in rows}


async def pending_offers_by_peer(db: Database | Transaction) -> dict[int, int]:
    rows = await db.fetchall(
        "SELECT peer_id, COUNT(*) FROM offers WHERE status = 'pending' GROUP BY peer_id"
    )
    return {row[0]: row[1] for row in rows}


async def peers_already_asked(db: Database | Transaction, request_id: int) -> set[int]:
    """Peers who answered or let an offer expire; an offer taken back never counted as asked."""
    rows = await db.fetchall(
        "SELECT peer_id FROM offers WHERE request_id = ? AND status != 'withdrawn'", (request_id,)
    )
    return {row[0] for row in rows}


# Contacts -------------------------------------------------------------------------------------


async def create_contact(
    tx: Transaction,
    request_id: int | None,
    citizen_id: int,
    peer_id: int,
    now: datetime,
    kind: str = "peer",
) -> int:
    if kind == "peer" and request_id is not None:
        # Kept on the request, so the time to first contact outlives the contact rows.
        await tx.execute(
            "UPDATE requests SET first_contact_at = ? WHERE id = ? AND first_contact_at IS NULL",
            (now.isoformat(), request_id),
        )
    return await tx.execute(
        "INSERT INTO contacts (kind, request_id, citizen_id, peer_id, status, started_at)"
        " VALUES (?, ?, ?, ?, 'active', ?)",
        (kind, request_id, citizen_id, peer_id, now.isoformat()),
    )


async def active_between(
    db: Database | Transaction, citizen_id: int, peer_id: int
) -> Contact | None:
    row = await db.fetchone(
        CONTACT_SQL + " WHERE c.citizen_id = ? AND c.peer_id = ? AND c.status = 'active'",
        (citizen_id, peer_id),
    )
    return _contact(row) if row else None


async def contact(db: Database | Transaction, contact_id: int) -> Contact | None:
    row = await db.fetchone(CONTACT_SQL + " WHERE c.id = ?", (contact_id,))
    return _contact(row) if row else None


async def active_for_citizen(db: Database | Transaction, citizen_id: int) -> Contact | None:
    row = await db.fetchone(
        CONTACT_SQL + " WHERE c.citizen_id = ? AND c.status = 'active'"
        " ORDER BY c.kind = 'coordinator' DESC, c.id DESC LIMIT 1",
        (citizen_id,),
    )
    return _contact(row) if row else None


async def active_peer_for_citizen(db: Database | Transaction, citizen_id: int) -> Contact | None:
    """The citizen's active contact with a peer, also while a coordinator talks with them."""
    row = await db.fetchone(
        CONTACT_SQL + " WHERE c.citizen_id = ? AND c.status = 'active' AND c.kind = 'peer'"
        " ORDER BY c.id DESC LIMIT 1",
        (citizen_id,),
    )
    return _contact(row) if row else None


async def active_involving(db: Database | Transaction, user_id: int) -> list[Contact]:
    """Every active contact the user is part of, on either side, in one query.

    A citizen's coordinator conversation comes first (it takes over while open), then the
    newest; a peer's contacts follow in the order they started. Who spoke last trails here by
    up to a group commit (`note_relayed_later`); the relay keeps the newer value in memory.
    """
    rows = await db.fetchall(
        CONTACT_SQL + " WHERE c.status = 'active' AND (c.citizen_id = ? OR c.peer_id = ?)"
        " ORDER BY c.kind = 'coordinator' DESC, c.id DESC",
        (user_id, user_id),
    )
    found = [_contact(row) for row in rows]
    as_peer = sorted((c for c in found if c.peer_id == user_id), key=lambda c: c.id)
    return [c for c in found if c.citizen_id == user_id] + as_peer


async def last_ended_peer(
    db: Database | Transaction, citizen_id: int, since: datetime
) -> Contact | None:
    """The citizen's most recent peer contact that ended since `since`."""
    row = await db.fetchone(
        CONTACT_SQL + " WHERE c.citizen_id = ? AND c.kind = 'peer' AND c.status = 'ended'"
        " AND c.ended_at >= ? ORDER BY c.ended_at DESC LIMIT 1",
        (citizen_id, since.isoformat()),
    )
    return _contact(row) if row else None


async def active_for_request(db: Database | Transaction, request_id: int) -> Contact | None:
    """The active peer contact that serves a request, if any."""
    row = await db.fetchone(
        CONTACT_SQL + " WHERE c.request_id = ? AND c.kind = 'peer' AND c.status = 'active'",
        (request_id,),
    )
    return _contact(row) if row else None


async def active_peer_contacts(db: Database | Transaction) -> dict[int, Contact]:
    """Every active peer contact, by request id."""
    rows = await db.fetchall(
        CONTACT_SQL + " WHERE c.kind = 'peer' AND c.status = 'active' AND c.request_id IS NOT NULL"
    )
    return {row["request_id"]: _contact(row) for row in rows}


async def active_for_peer(db: Database | Transaction, peer_id: int) -> list[Contact]:
    rows = await db.fetchall(
        CONTACT_SQL + " WHERE c.peer_id = ? AND c.status = 'active' ORDER BY c.started_at",
        (peer_id,),
    )
    return [_contact(row) for row in rows]


async def end_contact(tx: Transaction, contact_id: int, ended_by: str, now: datetime) -> bool:
    ended = await tx.execute_rowcount(
        "UPDATE contacts SET status = 'ended', ended_at = ?, ended_by = ?"
        " WHERE id = ? AND status = 'active'",
        (now.isoformat(), ended_by, contact_id),
    )
    await tx.execute(
        "UPDATE peer_profiles SET focus_contact_id = NULL WHERE focus_contact_id = ?",
        (contact_id,),
    )
    return bool(ended)


def note_relayed_later(
    writer: GroupWriter,
    contact_id: int,
    sender: str,
    source: tuple[int, int],
    copy: tuple[int, int],
    now: datetime,
    copy_kind: str = "text",
    *,
    name_copy: int | None = None,
) -> None:
    """Map both directions (so a reply on either side threads) and note who spoke last.

    The copy's row says what kind of message it is ('text', 'caption' or 'bare'), so that an
    erasure knows it is the bot's copy of someone's words and how to withdraw it. A separate
    name message (`name_copy`, a text in the copy's chat) maps to the same source, one way."""
    at = now.isoformat()
    rows: list[tuple[tuple[int, int], tuple[int, int], str | None]] = [
        (source, copy, None),
        (copy, source, copy_kind),
    ]
    if name_copy is not None:
        rows.append(((copy[0], name_copy), source, "text"))
    for (chat, message), (other_chat, other_message), kind in rows:
        writer.add(
            "INSERT OR REPLACE INTO relay_messages (chat_id, message_id, contact_id,"
            " other_chat_id, other_message_id, created_at, copy_kind) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (chat, message, contact_id, other_chat, other_message, at, kind),
        )
    writer.add(
        "UPDATE contacts SET last_sender = ?, last_message_at = ? WHERE id = ?",
        (sender, at, contact_id),
    )


async def claim_crisis_notice(
    db: Database, contact_id: int, now: datetime, not_since: datetime
) -> bool:
    """True once per period: the citizen sees the emergency lines at most once an hour."""
    return bool(
        await db.execute_rowcount(
            "UPDATE contacts SET crisis_notice_at = ? WHERE id = ?"
            " AND (crisis_notice_at IS NULL OR crisis_notice_at <= ?)",
            (now.isoformat(), contact_id, not_since.isoformat()),
        )
    )


async def claim_handover(
    tx: Transaction, contact_id: int, peer_id: int, now: datetime, ended_since: datetime
) -> bool:
    """True once per ended peer contact, for its own peer, while the end is recent enough."""
    return bool(
        await tx.execute_rowcount(
            "UPDATE contacts SET handover_asked_at = ? WHERE id = ? AND peer_id = ?"
            " AND kind = 'peer' AND status = 'ended' AND ended_by = 'peer'"
            " AND handover_asked_at IS NULL AND ended_at >= ?",
            (now.isoformat(), contact_id, peer_id, ended_since.isoformat()),
        )
    )


# Relay mapping --------------------------------------------------------------------------------


async def counterpart(
    db: Database | Transaction, chat_id: int, message_id: int
) -> tuple[int, int] | None:
    """(contact id, the other side's message id) for a relayed message in `chat_id`."""
    row = await db.fetchone(
        "SELECT contact_id, other_message_id FROM relay_messages"
        " WHERE chat_id = ? AND message_id = ?",
        (chat_id, message_id),
    )
    return (row[0], row[1]) if row else None


@dataclass(frozen=True)
class RelayedCopy:
    """The bot's copy of someone's message, in the other side's chat."""

    chat_id: int
    message_id: int
    kind: str  # 'text', 'caption' or 'bare'
    sent_at: datetime
    source_id: int  # the message in the sender's chat it copies (a name sent apart shares it)


async def copies_of(db: Database | Transaction, telegram_id: int) -> list[RelayedCopy]:
    """Copies the bot made of messages from `telegram_id`'s chat, as far as it still knows
    them (mappings go 7 days after a contact ends)."""
    rows = await db.fetchall(
        "SELECT chat_id, message_id, copy_kind, created_at, other_message_id FROM relay_messages"
        " WHERE other_chat_id = ? AND copy_kind IS NOT NULL ORDER BY created_at, message_id",
        (telegram_id,),
    )
    return [
        RelayedCopy(row[0], row[1], row[2], datetime.fromisoformat(row[3]), row[4]) for row in rows
    ]


# Feedback -------------------------------------------------------------------------------------


async def add_feedback(
    tx: Transaction, contact_id: int, citizen_id: int, rating: int, now: datetime
) -> int:
    await tx.execute("UPDATE feedback SET awaiting_comment = 0 WHERE citizen_id = ?", (citizen_id,))
    return await tx.execute(
        "INSERT INTO feedback (contact_id, citizen_id, rating, created_at) VALUES (?, ?, ?, ?)",
        (contact_id, citizen_id, rating, now.isoformat()),
    )


async def feedback_exists(db: Database | Transaction, contact_id: int) -> bool:
    row = await db.fetchone("SELECT 1 FROM feedback WHERE contact_id = ?", (contact_id,))
    return row is not None


async def awaiting_comment(db: Database | Transaction, citizen_id: int) -> int | None:
    row = await db.fetchone(
        "SELECT id FROM feedback WHERE citizen_id = ? AND awaiting_comment = 1", (citizen_id,)
    )
    return row[0] if row else None


async def set_comment(db: Database, feedback_id: int, comment: str | None) -> None:
    await db.execute(
        "UPDATE feedback SET comment = ?, awaiting_comment = 0 WHERE id = ?",
        (comment, feedback_id),
    )


async def set_handover_prompt(
    db: Database | Transaction, contact_id: int, peer_id: int, message_id: int
) -> bool:
    """Remember which message in the peer's chat asks for a note for the next peer; False if
    the contact is not the peer's."""
    return bool(
        await db.execute_rowcount(
            "UPDATE contacts SET handover_prompt_id = ? WHERE id = ? AND peer_id = ?",
            (message_id, contact_id, peer_id),
        )
    )


async def by_handover_prompt(
    db: Database | Transaction, peer_id: int, message_id: int
) -> int | None:
    """The peer's contact whose handover prompt is `message_id`."""
    row = await db.fetchone(
        "SELECT id FROM contacts WHERE handover_prompt_id = ? AND peer_id = ?",
        (message_id, peer_id),
    )
    return int(row[0]) if row else None
