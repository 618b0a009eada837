"""Heavy moments in a peer's work, kept so the bot can offer care and suggest breaks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Database, Row, Transaction


@dataclass(frozen=True)
class PeerEvent:
    id: int
    peer_id: int
    kind: str
    created_at: datetime


def _event(row: Row) -> PeerEvent:
    return PeerEvent(
        row["id"], row["peer_id"], row["kind"], datetime.fromisoformat(row["created_at"])
    )


async def add(
    tx: Transaction, peer_id: int, kind: str, now: datetime, follow_up_at: datetime
) -> int:
    return await tx.execute(
        "INSERT INTO peer_events (peer_id, kind, created_at, follow_up_at) VALUES (?, ?, ?, ?)",
        (peer_id, kind, now.isoformat(), follow_up_at.isoformat()),
    )


async def count_since(db: Database | Transaction, peer_id: int, since: datetime) -> int:
    row = await db.fetchone(
        "SELECT COUNT(*) FROM peer_events WHERE peer_id = ? AND created_at >= ?",
        (peer_id, since.isoformat()),
    )
    return int(row[0]) if row else 0


async def has_kind_since(
    db: Database | Transaction, peer_id: int, kind: str, since: datetime
) -> bool:
    row = await db.fetchone(
        "SELECT 1 FROM peer_events WHERE peer_id = ? AND kind = ? AND created_at >= ? LIMIT 1",
        (peer_id, kind, since.isoformat()),
    )
    return row is not None


async def due_follow_ups(db: Database, now: datetime) -> list[PeerEvent]:
    rows = await db.fetchall(
        "SELECT * FROM peer_events WHERE follow_up_at IS NOT NULL AND follow_up_at <= ?",
        (now.isoformat(),),
    )
    return [_event(row) for row in rows]


async def follow_up_done(tx: Transaction, event_id: int) -> bool:
    return bool(
        await tx.execute_rowcount(
            "UPDATE peer_events SET follow_up_at = NULL WHERE id = ? AND follow_up_at IS NOT NULL",
            (event_id,),
        )
    )


async def by_id(db: Database | Transaction, event_id: int) -> PeerEvent | None:
    row = await db.fetchone("SELECT * FROM peer_events WHERE id = ?", (event_id,))
    return _event(row) if row else None


async def ask_debrief(tx: Transaction, event_id: int, now: datetime) -> bool:
    return bool(
        await tx.execute_rowcount(
            "UPDATE peer_events SET debrief_asked_at = ? WHERE id = ? AND debrief_asked_at IS NULL",
            (now.isoformat(), event_id),
        )
    )
