"""The audit trail of coordinators' actions: who did what, when (ids only, no content)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Database, Transaction


@dataclass(frozen=True)
class AuditEntry:
    actor_id: int
    action: str
    target: str | None
    created_at: datetime


async def record(
    db: Database | Transaction, actor_id: int, action: str, target: str | None, now: datetime
) -> None:
    await db.execute(
        "INSERT INTO audit (actor_id, action, target, created_at) VALUES (?, ?, ?, ?)",
        (actor_id, action, target, now.isoformat()),
    )


async def latest(db: Database, limit: int = 30) -> list[AuditEntry]:
    rows = await db.fetchall("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
    return [
        AuditEntry(
            row["actor_id"], row["action"], row["target"], datetime.fromisoformat(row["created_at"])
        )
        for row in rows
    ]


async def get_meta(db: Database, key: str) -> str | None:
    row = await db.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
    return row[0] if row else None


async def delete_meta(db: Database, key: str) -> None:
    await db.execute("DELETE FROM meta WHERE key = ?", (key,))


async def set_meta(db: Database, key: str, value: str) -> None:
    await db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
