"""Handover notes: a few words from one peer to the citizen's next, kept only with consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Database, Row, Transaction


@dataclass(frozen=True)
class HandoverNote:
    id: int
    citizen_id: int
    from_peer_id: int | None
    note: str
    kept: bool


def _note(row: Row) -> HandoverNote:
    return HandoverNote(
        row["id"], row["citizen_id"], row["from_peer_id"], row["note"], row["status"] == "kept"
    )


async def add_pending(
    tx: Transaction, citizen_id: int, peer_id: int, note: str, now: datetime
) -> int:
    await tx.execute(
        "DELETE FROM handover_notes WHERE citizen_id = ? AND status = 'pending'", (citizen_id,)
    )
    return await tx.execute(
        "INSERT INTO handover_notes (citizen_id, from_peer_id, note, status, created_at)"
        " VALUES (?, ?, ?, 'pending', ?)",
        (citizen_id, peer_id, note, now.isoformat()),
    )


async def by_id(db: Database | Transaction, note_id: int) -> HandoverNote | None:
    row = await db.fetchone("SELECT * FROM handover_notes WHERE id = ?", (note_id,))
    return _note(row) if row else None


async def keep(tx: Transaction, note_id: int) -> bool:
    """Keeping one note replaces any earlier kept note for the same citizen."""
    note = await by_id(tx, note_id)
    if note is None:
        return False
    await tx.execute(
        "DELETE FROM handover_notes WHERE citizen_id = ? AND status = 'kept' AND id != ?",
        (note.citizen_id, note_id),
    )
    return bool(
        await tx.execute_rowcount(
            "UPDATE handover_notes SET status = 'kept' WHERE id = ?", (note_id,)
        )
    )


async def delete(db: Database | Transaction, note_id: int) -> None:
    await db.execute("DELETE FROM handover_notes WHERE id = ?", (note_id,))


async def kept_for(db: Database | Transaction, citizen_id: int) -> HandoverNote | None:
    row = await db.fetchone(
        "SELECT * FROM handover_notes WHERE citizen_id = ? AND status = 'kept'"
        " ORDER BY id DESC LIMIT 1",
        (citizen_id,),
    )
    return _note(row) if row else None
