"""Raw updates kept from arrival until their handlers finished, so a crash never loses one.

Stored without names (`without_names`), and removed as soon as they are handled, or at once
when the person who sent them erases their data (`forget_chat`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.storage.database import Database, Transaction
from bot.storage.group_commit import GroupWriter


async def add_updates(db: Database, updates: list[dict[str, Any]], now: datetime) -> None:
    """Store a batch of updates in one statement (one round trip). Outside a transaction its rows
    commit one by one; if one fails, the poller's offset does not move, the batch is fetched
    again, and the ids already stored are ignored."""
    await db.executemany(
        "INSERT OR IGNORE INTO inbox (update_id, chat_id, payload, received_at)"
        " VALUES (?, ?, ?, ?)",
        [
            (
                update["update_id"],
                chat_of(update),
                json.dumps(without_names(update)),
                now.isoformat(),
            )
            for update in updates
        ],
    )


# Telegram sends names with every update; the bot addresses people by pseudonym and never needs
# them, so they are not written down. `first_name` stays as "" because PTB requires the field.
_DROPPED = ("last_name", "username", "usernames", "active_usernames")
_BLANKED = ("first_name", "phone_number", "sender_user_name")


def without_names(value: Any) -> Any:
    """A copy of a raw update with every name, username and phone number taken out of every
    user, chat and contact in it (ids, language_code and message content stay: handling needs
    them)."""
    if isinstance(value, list):
        return [without_names(item) for item in value]
    if not isinstance(value, dict):
        return value
    return {
        key: "" if key in _BLANKED else without_names(item)
        for key, item in value.items()
        if key not in _DROPPED
    }


async def unfinished(db: Database) -> list[dict[str, Any]]:
    rows = await db.fetchall("SELECT payload FROM inbox ORDER BY update_id")
    return [json.loads(row["payload"]) for row in rows]


def finish_later(writer: GroupWriter, update_id: int) -> None:
    """Forget the update once handled (the bot keeps no message text), in the next group commit."""
    writer.add("DELETE FROM inbox WHERE update_id = ?", (update_id,))


async def forget_chat(tx: Transaction, chat_id: int) -> None:
    """An erasure: this chat's updates, the one being handled included, are not kept."""
    await tx.execute("DELETE FROM inbox WHERE chat_id = ?", (chat_id,))


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
