"""Groups Telegram turned into supergroups: the old id and the new one."""

from __future__ import annotations

from datetime import datetime

from bot.storage.database import Database, Transaction


async def record(
    db: Database | Transaction, old_chat_id: int, new_chat_id: int, now: datetime
) -> bool:
    """Note a migration once; True if it was news."""
    return bool(
        await db.execute_rowcount(
            "INSERT OR IGNORE INTO chat_migrations (old_chat_id, new_chat_id, migrated_at)"
            " VALUES (?, ?, ?)",
            (old_chat_id, new_chat_id, now.isoformat()),
        )
    )


async def moves(db: Database | Transaction) -> dict[int, int]:
    rows = await db.fetchall("SELECT old_chat_id, new_chat_id FROM chat_migrations")
    return {row["old_chat_id"]: row["new_chat_id"] for row in rows}
