"""Raw updates kept from arrival until their handlers finished, so a crash never loses one."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.storage.database import Database
from bot.storage.group_commit import GroupWriter


async def add_updates(db: Database, updates: list[dict[str, Any]], now: datetime) -> None:
    """Store a batch of updates in one statement (one round trip). Outside a transaction its rows
    commit one by one; if one fails, the poller's offset does not move, the batch is fetched
    again, and the ids already stored are ignored."""
    await db.executemany(
        "INSERT OR IGNORE INTO inbox (update_id, chat_id, payload, received_at)"
        " VALUES (?, ?, ?, ?)",
        [
            (update["update_id"], chat_of(update), json.dumps(update), now.isoformat())
            for update in updates
        ],
    )


async def unfinished(db: Database) -> list[dict[str, Any]]:
    rows = await db.fetchall("SELECT payload FROM inbox ORDER BY update_id")
    return [json.loads(row["payload"]) for row in rows]


def finish_later(writer: GroupWriter, update_id: int) -> None:
    """Forget the update once handled (the bot keeps no message text), in the next group commit."""
    writer.add("DELETE FROM inbox WHERE update_id = ?", (update_id,))


async def last_update_id(db: Database) -> int | None:
    row = await db.fetchone("SELECT MAX(update_id) FROM inbox")
    return row[0] if row and row[0] is not None else None


def chat_of(update: dict[str, Any]) -> int | None:
    for key in ("message", "edited_message", "my_chat_member"):
        if key in update:
            return update[key].get("chat", {}).get("id")
    if "callback_query" in update:
        return update["callback_query"].get("from", {}).get("id")
    return None
