"""Coordinators' messages to all peers: a draft until confirmed, then only the count is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Database, Row, Transaction


@dataclass(frozen=True)
class Broadcast:
    id: int
    actor_id: int
    text: str | None
    recipients: int | None
    created_at: datetime
    sent_at: datetime | None


def _broadcast(row: Row) -> Broadcast:
    return Broadcast(
        id=row["id"],
        actor_id=row["actor_id"],
        text=row["text"],
        recipients=row["recipients"],
        created_at=datetime.fromisoformat(row["created_at"]),
        sent_at=datetime.fromisoformat(row["sent_at"]) if row["sent_at"] else None,
    )


async def create_draft(tx: Transaction, actor_id: int, text: str, now: datetime) -> int:
    """A new draft replaces the coordinator's earlier unsent ones."""
    await tx.execute("DELETE FROM broadcasts WHERE actor_id = ? AND sent_at IS NULL", (actor_id,))
    return await tx.execute(
        "INSERT INTO broadcasts (actor_id, text, created_at) VALUES (?, ?, ?)",
        (actor_id, text, now.isoformat()),
    )


async def by_id(db: Database | Transaction, broadcast_id: int) -> Broadcast | None:
    row = await db.fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
    return _broadcast(row) if row else None


async def mark_sent(tx: Transaction, broadcast_id: int, recipients: int, now: datetime) -> bool:
    """Once, for an unsent draft; the text goes (the outbox carries it until delivered)."""
    return bool(
        await tx.execute_rowcount(
            "UPDATE broadcasts SET sent_at = ?, recipients = ?, text = NULL"
            " WHERE id = ? AND sent_at IS NULL",
            (now.isoformat(), recipients, broadcast_id),
        )
    )


async def discard(tx: Transaction, broadcast_id: int, actor_id: int) -> bool:
    return bool(
        await tx.execute_rowcount(
            "DELETE FROM broadcasts WHERE id = ? AND actor_id = ? AND sent_at IS NULL",
            (broadcast_id, actor_id),
        )
    )


async def discard_drafts_before(tx: Transaction, moment: datetime) -> None:
    """Drafts nobody confirmed do not keep their text for long."""
    await tx.execute(
        "DELETE FROM broadcasts WHERE sent_at IS NULL AND created_at <= ?", (moment.isoformat(),)
    )


async def last_sent_by(db: Database | Transaction, actor_id: int) -> datetime | None:
    row = await db.fetchone(
        "SELECT MAX(sent_at) FROM broadcasts WHERE actor_id = ? AND sent_at IS NOT NULL",
        (actor_id,),
    )
    return datetime.fromisoformat(row[0]) if row and row[0] else None
